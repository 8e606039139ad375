/* SPDX-License-Identifier: MIT
 *
 * kb_gpio_panel.h - the Linux port of the panel role (keybus/kb_panel.h):
 * the engine plays the panel and drives real DSC keypads through the kernel
 * GPIO v2 uAPI (<linux/gpio.h>, no libgpiod), like kb_gpio.h does for the
 * reader. docs/keypad-interface.md has the wiring and the timing limits.
 *
 * What it promises
 *   - One line request for the two outputs (clock and data write), set
 *     together by one GPIO_V2_LINE_SET_VALUES_IOCTL per change, and one for
 *     the data input (GET_VALUES). Both outputs start released: bus clock
 *     high, data line not pulled.
 *   - kb_gpio_panel_step() is one half period of the clock: it reads the
 *     data line, calls kb_pnl_isr() and applies the levels it returns (only
 *     the lines that change). kb_gpio_panel_run() calls it every
 *     KB_PNL_HALF_US on an absolute CLOCK_MONOTONIC schedule
 *     (clock_nanosleep TIMER_ABSTIME, so lateness never accumulates); a
 *     wake-up more than a whole half period late is not caught up (no burst
 *     of short phases): the schedule restarts from now, counted in
 *     `overruns`. Lateness is measured on every step (max_late_us,
 *     histogram): a half period that ends late is a stretched clock phase;
 *     over about 1 ms a keypad may take it for a frame gap
 *     (`stretched` counts those over KB_GPIO_PANEL_STRETCH_US).
 *   - A failed ioctl is returned (KB_GPIO_GONE for a vanished chip,
 *     KB_GPIO_ERR_IO otherwise); kb_gpio_panel_run() stops on it.
 *
 * Timing honestly: a user-space thread is not a hardware timer. On a
 * Raspberry Pi with a stock kernel and SCHED_FIFO, wake-ups are typically
 * 10-60 us late with tails of several hundred us under load; PREEMPT_RT and
 * an isolated CPU bring the tail under ~100 us. DSC keypads are clocked
 * slaves: a late edge only lengthens a phase; the risk is a phase stretched
 * past the keypad's frame-gap threshold. The counters make that visible.
 *
 * Who calls what, from where
 *   kb_gpio_panel_open/close: the task, before/after the clock thread.
 *   kb_gpio_panel_run(): the clock thread (the "interrupt side"; give it
 *   SCHED_FIFO: kb_gpio_panel_rt()). It is the only caller of kb_pnl_isr();
 *   its task hook is the simplest place for the task side (one thread). A
 *   task side on another thread instead needs the core built with KB_SMP=1
 *   (kb_config.h) when the two can run on different CPUs.
 *   kb_gpio_panel_step(): instead of run(), for a caller with its own timer
 *   (and the tests). kb_gpio_panel_stats(): any thread (a snapshot, fields
 *   may be mid-update).
 */
#ifndef KB_GPIO_PANEL_H_
#define KB_GPIO_PANEL_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_panel.h"
#include "kb_gpio.h" /* kb_gpio_rc_t */

#ifdef __cplusplus
extern "C" {
#endif

#define KB_GPIO_PANEL_STRETCH_US 500u

typedef struct {
  const char *chip_path;  /* "/dev/gpiochip0", or NULL: chip_label, or search by names */
  const char *chip_label;
  const char *clock_name, *data_name, *write_name; /* line names, or NULL: the offsets */
  unsigned clock_offset, data_offset, write_offset;
  bool clock_active_high; /* true: GPIO level = bus clock level. false (the
                           * reference wiring, B2): an NPN on the clock, GPIO
                           * high pulls the bus clock low */
  bool write_active_low;  /* true: GPIO low pulls the data line low. false (an
                           * NPN, the reference wiring): GPIO high pulls it low */
  bool input_active_low;  /* the data input reads the inverse of the bus */
  const char *dev_dir;    /* where gpiochipN live; NULL = "/dev" */
} kb_gpio_panel_cfg_t;

typedef struct {
  uint64_t halves;       /* steps made */
  uint64_t sets, gets;   /* ioctls */
  uint64_t overruns;     /* wake-ups more than a half period late: schedule restarted */
  uint64_t stretched;    /* wake-ups more than KB_GPIO_PANEL_STRETCH_US late */
  uint32_t max_late_us;  /* worst wake-up lateness */
  uint64_t late_hist[5]; /* lateness <50, <100, <200, <500, >=500 us */
} kb_gpio_panel_stats_t;

typedef struct kb_gpio_panel_s kb_gpio_panel_t;

/* Opens the lines for pnl (initialised with kb_pnl_init). KB_GPIO_OK and *out
 * set, or an error (*out NULL): KB_GPIO_ERR_CONFIG for a line or chip not
 * found, KB_GPIO_GONE for no chip now, KB_GPIO_ERR_IO otherwise. */
kb_gpio_rc_t kb_gpio_panel_open(const kb_gpio_panel_cfg_t *cfg, kb_pnl_t *pnl,
                                kb_gpio_panel_t **out);

/* One half period: read data, kb_pnl_isr(), set what changed. */
kb_gpio_rc_t kb_gpio_panel_step(kb_gpio_panel_t *g);

/* The clock loop: steps every KB_PNL_HALF_US until *stop is nonzero or a
 * step fails (its rc is returned). task (may be NULL) runs after every
 * second step, in this thread: the panel role's task side (kb_pnl_poll and
 * the kb_pnl_set_* calls) then shares the thread with kb_pnl_isr(), and the
 * core needs no KB_SMP build. It must return well within a half period. */
kb_gpio_rc_t kb_gpio_panel_run(kb_gpio_panel_t *g, volatile int *stop, void (*task)(void *ctx),
                               void *ctx);

/* SCHED_FIFO at priority prio for the calling thread: 0 or an errno. */
int kb_gpio_panel_rt(int prio);

/* Bus clock high, data released, then the lines are freed; NULL is fine. */
void kb_gpio_panel_close(kb_gpio_panel_t *g);

void kb_gpio_panel_stats(const kb_gpio_panel_t *g, kb_gpio_panel_stats_t *out);
int kb_gpio_panel_last_errno(const kb_gpio_panel_t *g);

#ifdef __cplusplus
}
#endif

#endif /* KB_GPIO_PANEL_H_ */
