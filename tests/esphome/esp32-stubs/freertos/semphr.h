/* Stub (see ../esp_err.h): ESPHome's helpers.h includes it under USE_ESP32. */
#ifndef KB_STUB_SEMPHR_H_
#define KB_STUB_SEMPHR_H_
#include "freertos/FreeRTOS.h"
#ifdef __cplusplus
extern "C" {
#endif
SemaphoreHandle_t xSemaphoreCreateMutex(void);
BaseType_t xSemaphoreTake(SemaphoreHandle_t s, TickType_t t);
BaseType_t xSemaphoreGive(SemaphoreHandle_t s);
void vSemaphoreDelete(SemaphoreHandle_t s);
#ifdef __cplusplus
}
#endif
#endif
