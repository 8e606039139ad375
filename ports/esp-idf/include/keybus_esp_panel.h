/* SPDX-License-Identifier: MIT
 *
 * keybus_esp_panel.h - the keybus component's panel role for ESP-IDF 5.x /
 * 6.x: the ESP32 plays the panel and drives real DSC keypads (PowerSeries,
 * or Classic with cfg.pnl.classic) on three GPIOs, with the engine of
 * keybus/kb_panel.h (docs/keypad-interface.md, docs/esp32.md "Panel role").
 *
 * What it promises
 *   - Memory by construction: the engine (kb_pnl_t), the task's stack and
 *     control block and its two semaphores are static. The only heap taken
 *     is what the GPTimer driver allocates inside gptimer_new_timer and its
 *     first gptimer_register_event_callbacks during kbe_pnl_start(), each
 *     checked. Nothing after.
 *   - One interrupt: a GPTimer alarm with auto-reload every half period
 *     (KB_PNL_HALF_US, 1 kHz clock; KB_PNL_CLASSIC_HALF_US for Classic),
 *     set up once and started once; its callback (IRAM, DRAM only) reads the
 *     data line with gpio_ll_get_level, calls kb_pnl_isr() and writes the
 *     write pin then the clock pin with gpio_ll_set_level. It wakes the task
 *     at the end of every frame (one notification per frame).
 *   - kbe_pnl_start() runs the init once, synchronously, on the keybus
 *     task: engine state -> pins (outputs set to their released level
 *     before they become outputs) -> timer created, callback registered,
 *     alarm set, enabled, started (the interrupt last). Every esp_err_t is
 *     checked; the first failure undoes what was done, leaves the role
 *     FAILED with the call and the error's name (kbe_pnl_failure()), logs
 *     one line and returns the error. No retry. kbe_pnl_stop() stops the
 *     timer first, then releases both lines. start, stop, start works.
 *   - Wiring (docs/esp32.md "Panel role"): both outputs drive NPN bases, so
 *     clock GPIO high = bus clock LOW, write GPIO high = data LOW; the data
 *     GPIO reads the bus data line through a divider.
 *
 * Who calls what, from where
 *   kbe_pnl_config_default(), kbe_pnl_start(), kbe_pnl_stop(),
 *   kbe_pnl_state(), kbe_pnl_failure(), kbe_pnl_lock(), kbe_pnl_unlock(),
 *   kbe_pnl_health()   any task (not an interrupt); start/stop not
 *                      concurrently with each other.
 *   cfg.key_cb, cfg.poll_cb
 *                      the keybus task, after each kb_pnl_poll(), with the
 *                      engine's lock held: they may call kb_pnl_set_*,
 *                      kb_pnl_beep, ... on the kb_pnl_t they get; must not
 *                      block, must not call kbe_pnl_lock/kbe_pnl_stop.
 *   The kb_pnl_t returned by kbe_pnl_lock() may be used (kb_pnl_set_light,
 *   kb_pnl_set_zone, kb_pnl_beep, kb_pnl_stats, ...) until kbe_pnl_unlock(),
 *   from the locking task only; never kb_pnl_poll/kb_pnl_key (the task's).
 *
 * The reader (keybus_esp.h) and the panel role are exclusive on one bus;
 * the Kconfig role (CONFIG_KEYBUS_ROLE_KEYPAD) selects which sources the
 * component builds. Both APIs share kbe_state_t and the health thresholds.
 */
#ifndef KEYBUS_ESP_PANEL_H_
#define KEYBUS_ESP_PANEL_H_

#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "keybus/kb_panel.h"
#include "keybus_esp.h"

/* The panel role's Kconfig values (menuconfig -> keybus -> Panel role):
 * the #ifndef defaults apply without the Kconfig (ESPHome, host). Bool
 * options (CONFIG_KEYBUS_ROLE_KEYPAD, CONFIG_KEYBUS_PANEL_CLASSIC) are only
 * ever tested with defined(): ESP-IDF leaves an unset bool undefined. */
#ifndef CONFIG_KEYBUS_PANEL_CLOCK_PIN
#define CONFIG_KEYBUS_PANEL_CLOCK_PIN 4 /* NPN base on the clock (yellow): high = clock low */
#endif
#ifndef CONFIG_KEYBUS_PANEL_DATA_PIN
#define CONFIG_KEYBUS_PANEL_DATA_PIN 5 /* data (green) through the divider, read */
#endif
#ifndef CONFIG_KEYBUS_PANEL_WRITE_PIN
#define CONFIG_KEYBUS_PANEL_WRITE_PIN 6 /* NPN base on the data: high = data low */
#endif
#ifndef CONFIG_KEYBUS_PANEL_POWERUP_MS
#define CONFIG_KEYBUS_PANEL_POWERUP_MS 4000 /* data high this long before the first frame */
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int clock_pin;          /* NPN base pulling the bus clock low (output) */
  int data_pin;           /* bus data line through the divider (input) */
  int write_pin;          /* NPN base pulling the bus data low (output) */
  int core;               /* core of the keybus task and of the timer interrupt */
  unsigned task_priority; /* keybus task priority */
  kb_pnl_cfg_t pnl;       /* powerup_ms, menu_key, classic (kb_panel.h) */
  /* Each key the keypads sent (kb_pnl_key() codes: kb_pnl_key_name()
   * names them), oldest first, on the keybus task with the lock held. Keys
   * may be an access code being typed: log them only if you must. */
  void (*key_cb)(void *ctx, kb_pnl_t *pnl, uint8_t code);
  void *key_ctx;
  /* After each task pass, lock held (e.g. to publish what changed). */
  void (*poll_cb)(void *ctx, kb_pnl_t *pnl);
  void *poll_ctx;
} kbe_pnl_config_t;

/* The Kconfig values (the panel role's pins, its power-up wait, Classic,
 * the task's core and priority), the engine's defaults otherwise, no
 * callbacks. */
void kbe_pnl_config_default(kbe_pnl_config_t *cfg);

/* Brings the role up (see above). ESP_OK, or the first failing call's
 * error (state FAILED), ESP_ERR_INVALID_STATE when already running,
 * ESP_ERR_INVALID_ARG for a bad config (pins equal, out of range, an
 * output on an input-only pin). */
esp_err_t kbe_pnl_start(const kbe_pnl_config_t *cfg);

/* Takes it down: timer alarm off, stopped, disabled and deleted, then both
 * outputs released (clock high, data released). ESP_OK also when not
 * running. A frame cut short is ignored by the keypads (its length is
 * wrong). */
esp_err_t kbe_pnl_stop(void);

kbe_state_t kbe_pnl_state(void);

/* "" when not FAILED; else "<call>: <esp_err_to_name>". Static storage. */
const char *kbe_pnl_failure(void);

/* The engine, locked against the keybus task, or NULL when not running,
 * not had within wait_ms (UINT32_MAX: forever), or called from the keybus
 * task (its callbacks get the engine as an argument). Keep it short: frames
 * wait for the task (the bus clock stays high meanwhile). */
kb_pnl_t *kbe_pnl_lock(uint32_t wait_ms);
void kbe_pnl_unlock(void);

/* The panel role's health (task context). */
typedef struct {
  uint32_t heap_free;      /* internal heap: heap_caps_get_free_size */
  uint32_t heap_min_free;  /* heap_caps_get_minimum_free_size */
  uint32_t heap_largest;   /* heap_caps_get_largest_free_block */
  uint32_t stack_free_min; /* keybus task: bytes never used */
  uint32_t uptime_s;
  kb_pnl_stats_t pnl;      /* the engine's counters */
  bool started;            /* the start-up sequence went out (keypads powered) */
  uint32_t halves;         /* timer interrupts since start */
  uint32_t notifies;       /* frames announced to the task */
  uint32_t stalls;         /* task passes that found the timer had not ticked */
  bool ticking;            /* the timer ticked since the task's previous pass */
  uint32_t overflow_age_s; /* since answers were last lost (ring full); UINT32_MAX none */
  uint32_t clash_age_s;    /* since a frame last clashed (line held low,
                            * a second panel); UINT32_MAX none */
  bool healthy;            /* kbe_pnl_healthy() of the above */
} kbe_pnl_health_t;

/* Fills h: from any task (locks the engine briefly) or from the callbacks. */
void kbe_pnl_health(kbe_pnl_health_t *h);

/* THE definition of healthy for the panel role (docs/esp32.md): running
 * with the start-up sequence sent, the timer ticking (at the task's last
 * pass), no answer lost and no
 * clashed frame in the last KBE_HEALTH_OVERFLOW_S seconds, minimum free
 * internal heap at least KBE_HEALTH_HEAP_FLOOR. Reported, never used. */
bool kbe_pnl_healthy(const kbe_pnl_health_t *h);

#ifdef __cplusplus
}
#endif

#endif /* KEYBUS_ESP_PANEL_H_ */
