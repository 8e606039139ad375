/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's soc/gpio_struct.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
