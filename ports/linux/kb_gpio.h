/* SPDX-License-Identifier: MIT
 *
 * kb_gpio.h - the Linux GPIO character-device backend: the Keybus clock and
 * data lines read as timestamped edge events through the kernel's v2 uAPI
 * (<linux/gpio.h>, kernel >= 5.10; no libgpiod), the write line driven with
 * GPIO_V2_LINE_SET_VALUES_IOCTL. docs/linux-gpio.md has the wiring, how lines
 * are found and the real-time limits.
 *
 * What it promises
 *   - One line request for clock + data (inputs, both edges, a deep kernel
 *     event buffer), one for the write output (released at request time).
 *   - Each event goes to the edge adaptor (kb_edge.h) in timestamp order;
 *     the level after each edge is rebuilt from the alternation of that
 *     line's edges (and the count of lost ones), never from the kernel's
 *     rising/falling label, which it reads too late under load (counted when
 *     it disagrees). The data sample is the adaptor's: the data level in
 *     force at clock edge + KB_SAMPLE_US by the edges' timestamps, so a late
 *     wake-up delays decoding but never changes a bit.
 *   - Lost events (gaps in seqno / line_seqno) are counted; the frame they
 *     hit fails the engine's checks, as a glitch would.
 *   - Each message is published KB_GAP_US after its last rising edge (the
 *     link's idle call, through the adaptor), not at the next message's
 *     first edge: kb_gpio_poll() never waits past that moment + event_lag_us
 *     (its poll timeout is shortened to it, with microsecond resolution),
 *     and makes the call then if the clock pin still reads high and no
 *     later event is queued. So a frame reaches kb_bus_poll() about
 *     KB_GAP_US + event_lag_us + the wake-up latency after its last bit.
 *     Other samples need no wake-up: the next event takes them at their own
 *     time.
 *   - The write line: what kb_edge_feed() returns is applied at once. A pull
 *     low that would start more than write_budget_us after its clock edge's
 *     timestamp is not driven at all (too late to be read in time): it is
 *     counted, the line stays released for the rest of the key, and the key
 *     is aborted (kb_link_write_abort) by kb_gpio_task(). Releases are always
 *     applied, and the line is released when the clock stops (idle_settle_us
 *     without an edge).
 *   - A chip that vanishes (ENODEV, EPOLLERR/HUP) is a state, not a crash:
 *     kb_gpio_poll() returns KB_GPIO_GONE and tries to reopen every
 *     retry_ms until the lines are back.
 *
 * Who calls what, from where
 *   kb_gpio_open/poll/close: the capture thread (the "interrupt side": it
 *   runs the link's kb_link_edge/kb_link_sample through the adaptor; give it
 *   SCHED_FIFO). kb_gpio_task(): the task thread, right before each
 *   kb_bus_poll() (it calls the link's task-side write abort). If the two
 *   are different threads, build the core with KB_SMP=1 (kb_port.h 4). A
 *   single-threaded caller calls poll, task, kb_bus_poll in turn.
 */
#ifndef KB_GPIO_H_
#define KB_GPIO_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_cls_link.h"
#include "keybus/kb_edge.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_GPIO_NAME_MAX 32

/* How to find the lines. Either chip_path ("/dev/gpiochip0"), or chip_label
 * (the first /dev/gpiochipN whose label matches: "pinctrl-rp1",
 * "pinctrl-bcm2711", "pinctrl-bcm2835"), or neither: then the line names
 * are searched on every chip. A line is its name ("GPIO17") if set, else its
 * offset on the chip. */
typedef struct {
  const char *chip_path;
  const char *chip_label;
  const char *clock_name, *data_name, *write_name;
  unsigned clock_offset, data_offset, write_offset;
  bool write_enabled;          /* false: read-only, the write line is never requested */
  bool write_active_low;       /* true: GPIO low = pull the bus low (inverting driver) */
  bool input_active_low;       /* true: the input pins read the inverse of the bus
                                  (an inverting opto stage): ACTIVE_LOW on the request */
  unsigned event_buffer_size;  /* kernel FIFO in events; 0 = 1024 (the kernel's maximum) */
  uint32_t write_budget_us;    /* latest start of a pull low after its edge; 0 = 150 */
  uint32_t idle_settle_us;     /* fire a pending sample only when this much older; 0 = 2000 */
  uint32_t event_lag_us;       /* how late the kernel may queue an event after its timestamp:
                                  the idle call is made (and the message published) only
                                  once it is this much in the past; 0 = 200 */
  uint32_t retry_ms;           /* reopen period while gone; 0 = 1000 */
  const char *dev_dir;         /* where gpiochipN live; NULL = "/dev" */
  /* kb_gpio_open_classic only: the Classic's PC-16 line (the PGM terminal
   * in PC16-OUT mode, docs/classic.md), by name or offset like the others */
  const char *pc16_name;
  unsigned pc16_offset;
  /* the clock of the event timestamps (CLOCK_MONOTONIC, ns); NULL = clock_gettime */
  uint64_t (*now_ns)(void *ctx);
  void *now_ctx;
} kb_gpio_cfg_t;

typedef enum {
  KB_GPIO_OK = 0,     /* events handled (or none before the timeout) */
  KB_GPIO_GONE,       /* the chip vanished or cannot be opened now: retried */
  KB_GPIO_ERR_CONFIG, /* a line or chip not found / a bad configuration: not retried */
  KB_GPIO_ERR_IO      /* an unexpected system error (errno in last_errno) */
} kb_gpio_rc_t;

typedef struct {
  uint64_t events;          /* events read */
  uint64_t lost;            /* events lost (sequence gaps) */
  uint64_t label_mismatch;  /* kernel edge label differed from the rebuilt level */
  uint64_t out_of_order;    /* timestamps earlier than the previous one (clamped) */
  uint64_t resyncs;         /* idle level reads that corrected a level */
  uint64_t writes_set;      /* SET_VALUES calls */
  uint64_t writes_late;     /* pull lows not driven: past the budget */
  uint64_t aborts;          /* write aborts made: a late pull low, or the chip gone */
  uint64_t gone;            /* times the chip vanished */
  uint64_t reopens;         /* successful reopens */
  uint32_t max_lag_us;      /* worst (handling time - edge timestamp) of a clock edge */
} kb_gpio_stats_t;

typedef struct kb_gpio_s kb_gpio_t;

/* Opens the lines for `link` (an initialised link: kb_bus_link(&bus)); the
 * config is copied (strings must outlive the handle). On success *out owns
 * the lines (KB_GPIO_OK). KB_GPIO_GONE: no chip now; *out is still valid
 * and kb_gpio_poll() retries. Other errors: *out is NULL. */
kb_gpio_rc_t kb_gpio_open(const kb_gpio_cfg_t *cfg, kb_link_t *link, kb_gpio_t **out);

/* The same for a Classic panel (docs/classic.md): clock, data AND the PC-16
 * line (cfg->pc16_name / pc16_offset) in ONE line request (their events
 * share one FIFO and one timestamp order), fed to a Classic link
 * (kb_bus_cls_link(&bus)): each clock edge to kb_cls_link_edge() (its
 * write request applied as for PowerSeries), and the sample KB_SAMPLE_US
 * later with the data and PC-16 levels in force then by the events'
 * timestamps (kb_cls_link_sample()), taken at the first event past it or
 * when the bus goes quiet. A Classic frame is published by the link at the
 * next frame's first falling edge (no idle call: the poll never wakes for
 * one). Levels, lost events, a vanished chip, late writes: as above.
 * kb_gpio_edges() is unused (its levels stay high). */
kb_gpio_rc_t kb_gpio_open_classic(const kb_gpio_cfg_t *cfg, kb_cls_link_t *link, kb_gpio_t **out);

/* Waits up to timeout_ms for events (less when the link's idle call falls
 * due sooner: see above), feeds them to the link, drives the write line,
 * makes the idle call when due. While gone: retries the open (every
 * retry_ms). */
kb_gpio_rc_t kb_gpio_poll(kb_gpio_t *g, int timeout_ms);

/* Task side: performs a pending write abort. Call before kb_bus_poll(). */
void kb_gpio_task(kb_gpio_t *g);

/* Releases the write line, then the lines; frees g. NULL is fine. */
void kb_gpio_close(kb_gpio_t *g);

/* Counters, the adaptor (levels, samples), the open state, the last errno. */
void kb_gpio_stats(const kb_gpio_t *g, kb_gpio_stats_t *out);
const kb_edge_port_t *kb_gpio_edges(const kb_gpio_t *g);
bool kb_gpio_is_open(const kb_gpio_t *g);
int kb_gpio_last_errno(const kb_gpio_t *g);
const char *kb_gpio_rc_name(kb_gpio_rc_t rc);

/* The 32-bit microsecond clock of the link (the low 32 bits of the event
 * clock in us): pass it to kb_bus_poll(). */
uint32_t kb_gpio_now_us(const kb_gpio_t *g);

#ifdef __cplusplus
}
#endif

#endif /* KB_GPIO_H_ */
