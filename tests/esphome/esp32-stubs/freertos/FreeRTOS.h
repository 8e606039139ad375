/* Stub (see ../esp_err.h): ESPHome's helpers.h includes it under USE_ESP32. */
#ifndef KB_STUB_FREERTOS_H_
#define KB_STUB_FREERTOS_H_
#include <stdint.h>
typedef int BaseType_t;
typedef uint32_t TickType_t;
typedef void *SemaphoreHandle_t;
typedef void *TaskHandle_t;
#define portMAX_DELAY ((TickType_t) 0xffffffffUL)
#define pdTRUE 1
#define pdFALSE 0
#endif
