/* SPDX-License-Identifier: MIT
 * sdkconfig.h - the host fake's configuration: ESP-IDF's esp32c3 defaults
 * that the fake models, and no CONFIG_KEYBUS_* (the component's defaults
 * apply, as under ESPHome). */
#ifndef FAKE_SDKCONFIG_H_
#define FAKE_SDKCONFIG_H_
#define CONFIG_FREERTOS_HZ 100
#define CONFIG_IDF_TARGET "esp32c3"
#endif
