/* SPDX-License-Identifier: MIT
 *
 * kbe_common.c - the task life cycle both roles share (kbe_common.h).
 */
#include "kbe_common.h"

#include <stdio.h>

#include "esp_log.h"
#include "esp_timer.h"
#include "keybus_esp.h"

static const char *const TAG = "keybus";

uint32_t kbe_life_uptime_s(void) { return (uint32_t)(esp_timer_get_time() / 1000000); }

void kbe_life_fail(kbe_life_t *l, const char *call, esp_err_t e) {
  (void)snprintf(l->failure, sizeof l->failure, "%s: %s", call, esp_err_to_name(e));
  l->init_err = e;
  ESP_LOGE(TAG, "%sstart failed: %s", l->who, l->failure);
}

void kbe_life_note(const kbe_life_t *l, const char *call, esp_err_t e) {
  if (e != ESP_OK) ESP_LOGW(TAG, "%sstop: %s: %s", l->who, call, esp_err_to_name(e));
}

esp_err_t kbe_life_start(kbe_life_t *l, TaskFunction_t fn, const char *name, UBaseType_t prio,
                         BaseType_t core) {
  l->failure[0] = '\0';
  l->stop = false;
  if (l->lock == NULL) l->lock = xSemaphoreCreateMutexStatic(l->lock_buf);
  if (l->done == NULL) l->done = xSemaphoreCreateBinaryStatic(l->done_buf);
  if (l->lock == NULL || l->done == NULL) {
    kbe_life_fail(l, "xSemaphoreCreateStatic", ESP_ERR_INVALID_STATE);
    l->state = KBE_FAILED;
    return l->init_err;
  }
  l->task = xTaskCreateStaticPinnedToCore(fn, name, CONFIG_KEYBUS_TASK_STACK, NULL, prio, l->stack,
                                          l->tcb, core);
  if (l->task == NULL) {
    kbe_life_fail(l, "xTaskCreateStaticPinnedToCore", ESP_ERR_INVALID_ARG);
    l->state = KBE_FAILED;
    return l->init_err;
  }
  /* the init runs on the task (its core gets the role's interrupts) */
  (void)xSemaphoreTake(l->done, portMAX_DELAY);
  if (l->init_err != ESP_OK) {
    vTaskDelete(l->task);
    l->task = NULL;
  }
  return l->init_err;
}

void kbe_life_report(kbe_life_t *l, int state) {
  if (state == KBE_RUNNING) l->init_err = ESP_OK;
  l->state = state;
  (void)xSemaphoreGive(l->done);
}

void kbe_life_task(bool (*begin)(void), bool (*step)(void), void (*end)(void)) {
  if (begin()) {
    while (step()) {
    }
    end();
  }
  for (;;) (void)ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
}

esp_err_t kbe_life_stop(kbe_life_t *l) {
  if (l->state != KBE_RUNNING) return ESP_OK;
  l->stop = true;
  (void)xSemaphoreTake(l->done, portMAX_DELAY);
  vTaskDelete(l->task);
  l->task = NULL;
  return ESP_OK;
}

const char *kbe_life_failure(const kbe_life_t *l) {
  return l->state == KBE_FAILED ? l->failure : "";
}

bool kbe_life_on_task(const kbe_life_t *l) {
  return l->task != NULL && xTaskGetCurrentTaskHandle() == l->task;
}

bool kbe_life_lock(kbe_life_t *l, uint32_t wait_ms) {
  TickType_t t;
  if (l->state != KBE_RUNNING || l->lock == NULL || kbe_life_on_task(l)) return false;
  t = wait_ms == UINT32_MAX ? portMAX_DELAY : pdMS_TO_TICKS(wait_ms);
  if (xSemaphoreTake(l->lock, t) != pdTRUE) return false;
  if (l->state != KBE_RUNNING) {
    (void)xSemaphoreGive(l->lock);
    return false;
  }
  return true;
}

void kbe_life_unlock(kbe_life_t *l) { (void)xSemaphoreGive(l->lock); }
