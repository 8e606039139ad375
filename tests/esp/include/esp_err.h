/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's esp_err.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
