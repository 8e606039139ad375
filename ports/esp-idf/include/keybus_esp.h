/* SPDX-License-Identifier: MIT
 *
 * keybus_esp.h - the keybus component for ESP-IDF 5.x / 6.x: one DSC Keybus
 * on two (three with the write driver) GPIOs, decoded by a static task.
 *
 * What it promises
 *   - Memory by construction: the bus (link, engine, virtual keypad), the
 *     frame ring, the key queue, the task's stack and control block and its
 *     mutex are static (sized by Kconfig). The only heap taken is what the
 *     ESP-IDF drivers allocate inside their own create calls during
 *     kbe_start() (gpio_install_isr_service, gptimer_new_timer,
 *     gptimer_register_event_callbacks), each checked. Nothing after.
 *   - Interrupts: the clock pin's any-edge interrupt and a GPTimer one-shot
 *     alarm (KB_SAMPLE_US after each edge), both handlers in IRAM touching
 *     only DRAM, both allocated by the keybus task, which is pinned to one
 *     core (kb_port.h, 3). The timer is started once; the clock interrupt
 *     only sets its count and re-arms its alarm (never gptimer_start/stop
 *     per edge).
 *   - kbe_start() runs the init once, synchronously, on the keybus task, in
 *     this order: state initialised -> timer created, callback registered,
 *     enabled, started -> clock interrupt attached last. Every esp_err_t is
 *     checked; the first failure undoes what was done, leaves the component
 *     FAILED with the step and the error's name (kbe_failure()), logged once,
 *     and is returned. No retry. kbe_stop() detaches the interrupt first,
 *     then disables and deletes the timer. start, stop, start works.
 *   - Whether a panel is present comes only from frames seen on the bus; it
 *     never gates kbe_start(). No panel: one warning, then at most one line
 *     per 10 minutes.
 *   - A failed-allocation callback (heap_caps_register_failed_alloc_callback)
 *     records size, caps and function name (no logging in the failing
 *     context); the keybus task logs each distinct failure once with the
 *     caps decoded ("SPIRAM|8BIT"), counted in the health.
 *
 * Who calls what, from where
 *   kbe_config_default(), kbe_start(), kbe_stop(), kbe_state(),
 *   kbe_failure(), kbe_lock(), kbe_unlock(), kbe_health()
 *                      any task (not an interrupt); kbe_start/kbe_stop not
 *                      concurrently with each other.
 *   kbe_config_t callbacks (bus.event_cb, bus.keys_cb, poll_cb)
 *                      the keybus task, inside its poll, with the bus lock
 *                      held: they may read the bus, must not block, must
 *                      not call kbe_lock/kbe_stop.
 *   The kb_bus_t returned by kbe_lock() may be used (kb_bus_status,
 *   kb_bus_keys_submit, ...) until kbe_unlock(), from the locking task only.
 */
#ifndef KEYBUS_ESP_H_
#define KEYBUS_ESP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "keybus/kb_bus.h"

/* kb_bus_t's layout (the engine's sizes) and KB_ISR_FN come from the
 * component's configuration header: every source of the component, of the
 * engine and of its users must be built with it (ports/esp-idf/CMakeLists.txt
 * defines it PUBLIC; ESPHome adds it as a build flag). */
#ifndef KEYBUS_ESP_CONFIG_H_
#error "keybus: build with -DKB_CONFIG_FILE=\"keybus_esp_config.h\" (docs/esp32.md)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The thresholds of kbe_healthy() (override with -D). */
#ifndef KBE_HEALTH_ERR_PCT
#define KBE_HEALTH_ERR_PCT 5u /* checksum errors per 100 frames, at most (exclusive) */
#endif
#ifndef KBE_HEALTH_OVERFLOW_S
#define KBE_HEALTH_OVERFLOW_S 600u /* no ring overflow in the last 10 minutes */
#endif
#ifndef KBE_HEALTH_HEAP_FLOOR
#define KBE_HEALTH_HEAP_FLOOR 16384u /* minimum-ever free internal heap, bytes */
#endif

typedef enum {
  KBE_STOPPED = 0, /* never started, or stopped */
  KBE_RUNNING = 1, /* interrupts attached, task polling */
  KBE_FAILED = 2   /* kbe_start() failed: kbe_failure() says where */
} kbe_state_t;

/* Attaches (attach true) or detaches the clock pin's any-edge interrupt
 * calling isr(NULL). For frameworks that own the GPIO ISR service (ESPHome:
 * InternalGPIOPin::attach_interrupt). Called on the keybus task. */
typedef esp_err_t (*kbe_attach_fn)(void *ctx, int pin, void (*isr)(void *), bool attach);

typedef struct {
  int clock_pin;          /* yellow line; any-edge interrupt */
  int data_pin;           /* green line; sampled */
  int write_pin;          /* NPN base of the write driver; -1: listen only */
  int core;               /* core of the keybus task and both interrupts */
  unsigned task_priority; /* keybus task priority */
  kb_bus_cfg_t bus;       /* engine events, key notes: on the keybus task */
  /* NULL: kbe installs the GPIO ISR service with ESP_INTR_FLAG_IRAM, or
   * uses the one already installed (ESP_ERR_INVALID_STATE: shared, noted
   * in the health) and adds its handler. */
  kbe_attach_fn attach;
  void *attach_ctx;
  /* Called on the keybus task after each kb_bus_poll(), lock held (e.g. to
   * publish what changed). May be NULL. */
  void (*poll_cb)(void *ctx, kb_bus_t *bus);
  void *poll_ctx;
  /* issue 11: the panel series, KB_SERIES_POWER (0, the default) or
   * KB_SERIES_CLASSIC (PC1500/PC1550/PC2550, docs/classic.md): then the bus
   * is switched (kb_bus_set_series) and the Classic pair of interrupt
   * handlers is attached, which also samples pc16_pin (the PGM terminal
   * in PC16-OUT mode; needed, an input distinct from the others). */
  uint8_t panel;
  int pc16_pin; /* -1: none (PowerSeries) */
} kbe_config_t;

/* The Kconfig values (CONFIG_KEYBUS_*), no callbacks. */
void kbe_config_default(kbe_config_t *cfg);

/* Brings the bus up (see above). ESP_OK, or the first failing call's
 * error (state FAILED), or ESP_ERR_INVALID_STATE when already running,
 * ESP_ERR_INVALID_ARG for a bad config (same pins, pin out of range). */
esp_err_t kbe_start(const kbe_config_t *cfg);

/* Takes it down: interrupt detached first, write line released, timer
 * stopped, disabled and deleted. ESP_OK also when not running. */
esp_err_t kbe_stop(void);

kbe_state_t kbe_state(void);

/* "" when not FAILED; else "<call>: <esp_err_to_name>", e.g.
 * "gptimer_new_timer: ESP_ERR_NOT_FOUND". Static storage. */
const char *kbe_failure(void);

/* The bus, locked against the keybus task's poll, or NULL when not running,
 * the lock was not had within wait_ms (UINT32_MAX: forever), or the caller
 * is the keybus task itself (its callbacks get the bus as an argument).
 * Keep it short (the ring holds KB_FRAME_RING frames while the task
 * waits). */
kb_bus_t *kbe_lock(uint32_t wait_ms);
void kbe_unlock(void);

/* The health monitor (task context: the heap queries take locks). */
typedef struct {
  /* heap, internal RAM (MALLOC_CAP_INTERNAL) */
  uint32_t heap_free;        /* heap_caps_get_free_size */
  uint32_t heap_min_free;    /* heap_caps_get_minimum_free_size */
  uint32_t heap_largest;     /* heap_caps_get_largest_free_block */
  uint8_t fragmentation_pct; /* 100 - 100 * largest / free */
  /* failed allocations (the callback) */
  uint32_t alloc_failed;     /* count, all */
  uint32_t alloc_last_size;  /* the last one's size, caps, function */
  uint32_t alloc_last_caps;
  const char *alloc_last_fn; /* NULL when none */
  /* task, system */
  uint32_t stack_free_min; /* keybus task: bytes never used */
  uint32_t uptime_s;
  int reset_reason;        /* esp_reset_reason() */
  const char *reset_name;  /* "POWERON", "PANIC", "TASK_WDT", ... */
  const char *version;     /* esp_app_desc_t version */
  const char *build_id;    /* first 16 hex digits of the ELF SHA-256 */
  bool isr_service_shared; /* the GPIO ISR service was installed by another */
  /* engine (kb_bus_health) */
  kb_health_t bus;
  bool connected;          /* keybus connected (frames within KB_DISCONNECT_US) */
  uint32_t overflow_age_s; /* since the last ring overflow; UINT32_MAX none */
  bool healthy;            /* kbe_healthy() of the above */
} kbe_health_t;

/* Fills h: from any task (locks the bus briefly), or from the bus
 * callbacks on the keybus task (which hold the lock already). */
void kbe_health(kbe_health_t *h);

/* THE definition of healthy (docs/esp32.md): keybus connected, checksum
 * error rate under KBE_HEALTH_ERR_PCT percent of frames, no ring overflow
 * in the last KBE_HEALTH_OVERFLOW_S seconds, minimum free internal heap
 * above KBE_HEALTH_HEAP_FLOOR bytes. Reported, never used to refuse
 * anything. */
bool kbe_healthy(const kbe_health_t *h);

/* caps decoded into names joined by '|', e.g. 0x404 -> "SPIRAM|8BIT";
 * unknown bits as hex. Returns buf. */
const char *kbe_caps_name(uint32_t caps, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* KEYBUS_ESP_H_ */
