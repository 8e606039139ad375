/* SPDX-License-Identifier: MIT
 * The host fake of ESP-IDF's esp_heap_caps.h: tests/esp/include/esp_fake_api.h. */
#include "esp_fake_api.h"
