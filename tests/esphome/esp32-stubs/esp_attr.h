/* Stub (see esp_err.h): ESP-IDF's placement attributes, empty on the host. */
#ifndef KB_STUB_ESP_ATTR_H_
#define KB_STUB_ESP_ATTR_H_
#define IRAM_ATTR
#define DRAM_ATTR
#endif
