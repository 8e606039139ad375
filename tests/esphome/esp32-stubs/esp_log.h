/* Stub (see esp_err.h): ESPHome's log.h includes it under USE_ESP_IDF. */
#ifndef KB_STUB_ESP_LOG_H_
#define KB_STUB_ESP_LOG_H_
#endif
