/* Stub (see esp_err.h): ESPHome's helpers.h includes it under USE_ESP32. */
#ifndef KB_STUB_ESP_HEAP_CAPS_H_
#define KB_STUB_ESP_HEAP_CAPS_H_
#include <stddef.h>
#include <stdint.h>
#define MALLOC_CAP_8BIT (1 << 2)
#define MALLOC_CAP_SPIRAM (1 << 10)
#define MALLOC_CAP_INTERNAL (1 << 11)
#ifdef __cplusplus
extern "C" {
#endif
void *heap_caps_malloc(size_t size, uint32_t caps);
void heap_caps_free(void *ptr);
#ifdef __cplusplus
}
#endif
#endif
