/* SPDX-License-Identifier: MIT
 *
 * kb_gpio_panel.c - the panel role on Linux GPIO (kb_gpio_panel.h).
 */
#define _GNU_SOURCE 1 /* O_CLOEXEC, sched_setscheduler */

#include "kb_gpio_panel.h"
#include "kb_gpio_line.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define CHIP_SCAN 64
#define OUT_CLOCK 1u /* bit of the output request */
#define OUT_WRITE 2u

struct kb_gpio_panel_s {
  kb_gpio_panel_cfg_t cfg;
  kb_pnl_t *pnl;
  int in_fd, out_fd;
  unsigned clock_off, data_off, write_off;
  uint8_t out_bits; /* GPIO levels set now (OUT_CLOCK, OUT_WRITE) */
  int last_errno;
  kb_gpio_panel_stats_t st;
};

static bool resolve_all(kb_gpio_panel_t *g, int fd, unsigned nlines) {
  const kb_gpio_panel_cfg_t *c = &g->cfg;
  return kb_gpio_line_resolve(fd, nlines, c->clock_name, c->clock_offset, &g->clock_off) &&
         kb_gpio_line_resolve(fd, nlines, c->data_name, c->data_offset, &g->data_off) &&
         kb_gpio_line_resolve(fd, nlines, c->write_name, c->write_offset, &g->write_off);
}

/* The chip holding the three lines: its fd, or -1 with *rc set. */
static int open_chip(kb_gpio_panel_t *g, kb_gpio_rc_t *rc) {
  const kb_gpio_panel_cfg_t *c = &g->cfg;
  char path[256];
  for (unsigned n = 0; n < (c->chip_path ? 1u : CHIP_SCAN); n++) {
    struct gpiochip_info ci;
    int fd;
    if (c->chip_path) {
      snprintf(path, sizeof path, "%s", c->chip_path);
    } else {
      snprintf(path, sizeof path, "%s/gpiochip%u", c->dev_dir ? c->dev_dir : "/dev", n);
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (c->chip_path) {
        g->last_errno = errno;
        *rc = kb_gpio_line_gone(errno) ? KB_GPIO_GONE : KB_GPIO_ERR_IO;
        return -1;
      }
      continue;
    }
    memset(&ci, 0, sizeof ci);
    if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) == 0) {
      bool label_ok = !c->chip_label || strncmp(ci.label, c->chip_label, sizeof ci.label) == 0;
      if (label_ok && resolve_all(g, fd, ci.lines)) return fd;
      if (label_ok && (c->chip_label || c->chip_path)) {
        close(fd);
        *rc = KB_GPIO_ERR_CONFIG;
        return -1;
      }
    }
    close(fd);
  }
  g->last_errno = ENOENT;
  *rc = KB_GPIO_GONE;
  return -1;
}

/* GPIO levels for the bus state r (kb_pnl_isr's result). */
static uint8_t gpio_bits(const kb_gpio_panel_t *g, uint8_t r) {
  bool clk_high = (r & KB_PNL_CLK_HIGH) != 0, data_low = (r & KB_PNL_DATA_LOW) != 0;
  uint8_t b = 0;
  if (clk_high == g->cfg.clock_active_high) b |= OUT_CLOCK;
  if (data_low != g->cfg.write_active_low) b |= OUT_WRITE;
  return b;
}

kb_gpio_rc_t kb_gpio_panel_open(const kb_gpio_panel_cfg_t *cfg, kb_pnl_t *pnl,
                                kb_gpio_panel_t **out) {
  struct gpio_v2_line_request rq;
  kb_gpio_panel_t *g;
  kb_gpio_rc_t rc = KB_GPIO_OK;
  int chip;
  if (!out) return KB_GPIO_ERR_CONFIG;
  *out = NULL;
  if (!cfg || !pnl) return KB_GPIO_ERR_CONFIG;
  g = calloc(1, sizeof *g);
  if (!g) return KB_GPIO_ERR_IO;
  g->cfg = *cfg;
  g->pnl = pnl;
  g->in_fd = g->out_fd = -1;
  chip = open_chip(g, &rc);
  if (chip < 0) {
    free(g);
    return rc;
  }
  /* outputs: released (bus clock idle high, data not pulled) from the start */
  g->out_bits = gpio_bits(g, KB_PNL_CLK_HIGH);
  memset(&rq, 0, sizeof rq);
  rq.offsets[0] = g->clock_off;
  rq.offsets[1] = g->write_off;
  rq.num_lines = 2;
  snprintf(rq.consumer, sizeof rq.consumer, "keybus-panel");
  rq.config.flags = GPIO_V2_LINE_FLAG_OUTPUT;
  rq.config.num_attrs = 1;
  rq.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
  rq.config.attrs[0].attr.values = g->out_bits;
  rq.config.attrs[0].mask = 3;
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &rq) < 0) goto fail;
  g->out_fd = rq.fd;
  memset(&rq, 0, sizeof rq);
  rq.offsets[0] = g->data_off;
  rq.num_lines = 1;
  snprintf(rq.consumer, sizeof rq.consumer, "keybus-panel-in");
  rq.config.flags = GPIO_V2_LINE_FLAG_INPUT;
  if (g->cfg.input_active_low) rq.config.flags |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &rq) < 0) goto fail;
  g->in_fd = rq.fd;
  close(chip);
  *out = g;
  return KB_GPIO_OK;
fail:
  g->last_errno = errno;
  rc = kb_gpio_line_gone(errno) ? KB_GPIO_GONE
       : (errno == EBUSY || errno == EINVAL) ? KB_GPIO_ERR_CONFIG
                                             : KB_GPIO_ERR_IO;
  close(chip);
  kb_gpio_panel_close(g);
  return rc;
}

static kb_gpio_rc_t failed(kb_gpio_panel_t *g) {
  g->last_errno = errno;
  return kb_gpio_line_gone(errno) ? KB_GPIO_GONE : KB_GPIO_ERR_IO;
}

kb_gpio_rc_t kb_gpio_panel_step(kb_gpio_panel_t *g) {
  struct gpio_v2_line_values v;
  uint8_t r, bits;
  memset(&v, 0, sizeof v);
  v.mask = 1;
  g->st.gets++;
  if (ioctl(g->in_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0) return failed(g);
  r = kb_pnl_isr(g->pnl, (v.bits & 1u) != 0);
  g->st.halves++;
  bits = gpio_bits(g, r);
  if (bits != g->out_bits) {
    /* both lines in one call: the data bit and its clock edge together */
    memset(&v, 0, sizeof v);
    v.mask = 3;
    v.bits = bits;
    g->st.sets++;
    if (ioctl(g->out_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0) return failed(g);
    g->out_bits = bits;
  }
  return KB_GPIO_OK;
}

static uint64_t ts_ns(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static struct timespec ns_ts(uint64_t ns) {
  struct timespec t;
  t.tv_sec = (time_t)(ns / 1000000000ull);
  t.tv_nsec = (long)(ns % 1000000000ull);
  return t;
}

kb_gpio_rc_t kb_gpio_panel_run(kb_gpio_panel_t *g, volatile int *stop, void (*task)(void *ctx),
                               void *ctx) {
  const uint64_t half = (uint64_t)KB_PNL_HALF_US * 1000u;
  struct timespec now;
  uint64_t next;
  clock_gettime(CLOCK_MONOTONIC, &now);
  next = ts_ns(&now) + half;
  while (!*stop) {
    struct timespec due = ns_ts(next);
    uint64_t late, n;
    kb_gpio_rc_t rc;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR && !*stop) {
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    n = ts_ns(&now);
    late = n > next ? n - next : 0;
    if (late / 1000u > g->st.max_late_us) g->st.max_late_us = (uint32_t)(late / 1000u);
    g->st.late_hist[late < 50000u ? 0 : late < 100000u ? 1 : late < 200000u ? 2 : late < 500000u ? 3 : 4]++;
    if (late > (uint64_t)KB_GPIO_PANEL_STRETCH_US * 1000u) g->st.stretched++;
    rc = kb_gpio_panel_step(g);
    if (rc != KB_GPIO_OK) return rc;
    if (task && !(g->st.halves & 1u)) task(ctx); /* every ms, after the edge */
    if (late >= half) {
      g->st.overruns++;
      next = n + half; /* no catching up with a burst of short phases */
    } else {
      next += half;
    }
  }
  return KB_GPIO_OK;
}

int kb_gpio_panel_rt(int prio) {
  struct sched_param sp;
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = prio;
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) return errno;
  return 0;
}

void kb_gpio_panel_close(kb_gpio_panel_t *g) {
  if (!g) return;
  if (g->out_fd >= 0) {
    struct gpio_v2_line_values v;
    uint8_t idle = gpio_bits(g, KB_PNL_CLK_HIGH);
    if (g->out_bits != idle) {
      memset(&v, 0, sizeof v);
      v.mask = 3;
      v.bits = idle;
      (void)ioctl(g->out_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v);
    }
    close(g->out_fd);
  }
  if (g->in_fd >= 0) close(g->in_fd);
  free(g);
}

void kb_gpio_panel_stats(const kb_gpio_panel_t *g, kb_gpio_panel_stats_t *out) { *out = g->st; }

int kb_gpio_panel_last_errno(const kb_gpio_panel_t *g) { return g->last_errno; }
