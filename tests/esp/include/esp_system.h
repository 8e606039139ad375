/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's esp_system.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
