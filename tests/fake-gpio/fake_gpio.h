/* SPDX-License-Identifier: MIT
 *
 * fake_gpio.h - a fake GPIO character device for tests (libfakegpio.so):
 * it interposes open/close/ioctl/read/poll/ppoll and answers, for the chip paths
 * registered here, the v2 uAPI calls a backend makes (chip info, line info,
 * line requests with edge detection and an event buffer, get/set values,
 * reading struct gpio_v2_line_event with timestamps and sequence numbers).
 * Every other path and fd goes to the C library untouched.
 *
 * What it promises
 *   Virtual time, in CLOCK_MONOTONIC-like ns, owned by the fake: it moves
 *   only in poll()/ppoll() (to the next edge of the world + the wake-up
 *   latency, or by the timeout + the latency) and by fake_gpio_advance().
 *   The "world" (the test's simulated bus) generates edges lazily up to the
 *   time asked, through
 *   fake_gpio_edge(), and hears every output change at the virtual time of
 *   the SET_VALUES call. The kernel's FIFO is modelled: capacity =
 *   event_buffer_size (0 = 16 x lines, max 1024), full -> the OLDEST event
 *   is dropped, seqno/line_seqno count every event generated, so loss shows
 *   as gaps. Faults: drop the next n events, wrong edge labels, a vanished
 *   chip (ENODEV from read/ioctl, POLLERR|POLLHUP from poll, ENOENT on open).
 *
 * Who calls it: the test's single thread (no locking).
 */
#ifndef FAKE_GPIO_H_
#define FAKE_GPIO_H_

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  /* generate every edge with time <= now_ns (via fake_gpio_edge) */
  void (*advance)(void *ctx, uint64_t now_ns);
  /* time of the next edge the world will generate; UINT64_MAX: none */
  uint64_t (*next_ns)(void *ctx);
  /* an output line changed to value at now_ns */
  void (*output)(void *ctx, unsigned offset, int value, uint64_t now_ns);
  void *ctx;
} fake_gpio_world_t;

typedef struct {
  uint64_t events;       /* events put in a FIFO */
  uint64_t overflowed;   /* events dropped because a FIFO was full */
  uint64_t injected;     /* events dropped by fake_gpio_drop */
  uint64_t set_values;   /* SET_VALUES calls */
  uint64_t get_values;
  uint64_t requests;     /* successful line requests */
  uint64_t opens;        /* successful opens of a fake chip */
  unsigned buffer_size;  /* event buffer of the last edge request */
  int open_fds;          /* fake fds open now */
  uint64_t waits;        /* poll()/ppoll() calls on fake fds that waited */
  uint64_t timeouts;     /* ... that ended by their timeout (no edge before it) */
} fake_gpio_stats_t;

/* Resets everything (chips, world, time 0, faults, stats). */
void fake_gpio_reset(void);

/* Adds a chip at `path` with `label` and nlines lines; names[i] may be NULL
 * (names may be NULL). Returns its index or -1. */
int fake_gpio_add_chip(const char *path, const char *label, unsigned nlines,
                       const char *const *names);

void fake_gpio_set_world(const fake_gpio_world_t *w);

/* The bus is on the chip added last ("the bus chip"); the others are decoys.
 * An input line of the bus chip changed to level at t_ns (the world calls this from
 * its advance or output callback, in time order). */
void fake_gpio_edge(unsigned offset, int level, uint64_t t_ns);

/* Level of a line of the bus chip (input: as driven by the world; output: as set). */
int fake_gpio_level(unsigned offset);

uint64_t fake_gpio_now(void);
/* The clock for kb_gpio_cfg_t.now_ns. */
uint64_t fake_gpio_now_cb(void *ctx);
/* Moves virtual time forward to t_ns (the world generates up to it). */
void fake_gpio_advance(uint64_t t_ns);
/* Wake-up latency: poll() returns this long after the edge it waited for. */
void fake_gpio_set_latency(uint64_t ns);
/* The next n events generated are lost (seqnos still counted). */
void fake_gpio_drop(unsigned n);
/* The next n events of that line are lost. */
void fake_gpio_drop_line(unsigned offset, unsigned n);
/* The next n edges of that line raise no interrupt: no event, no seqno (the
 * BCM2835/2711 edge-detect bug): the level changes without a trace. */
void fake_gpio_lose_irq(unsigned offset, unsigned n);
/* Every edge label inverted (the kernel's label read too late). */
void fake_gpio_wrong_labels(bool on);
/* The input pins read the inverse of the bus (an inverting opto stage);
 * GPIO_V2_LINE_FLAG_ACTIVE_LOW on the request inverts them back. */
void fake_gpio_invert_inputs(bool on);
/* The bus chip vanishes (true) or comes back (false; old fds stay dead). */
void fake_gpio_vanish(bool gone);
/* The bus chip vanishes at the next read() of a line fd (after poll said
 * POLLIN: the removal races with the reader). */
void fake_gpio_vanish_on_read(void);

void fake_gpio_stats(fake_gpio_stats_t *out);

#endif /* FAKE_GPIO_H_ */
