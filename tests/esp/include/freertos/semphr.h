/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's freertos/semphr.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
