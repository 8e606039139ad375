/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's hal/gpio_ll.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
