/* SPDX-License-Identifier: MIT
 *
 * kb_gpio.c - the Linux GPIO v2 character-device backend (kb_gpio.h).
 *
 * Why raw ioctls and not libgpiod: Debian 12's libgpiod is 1.6, which speaks
 * the v1 uAPI (a fixed 16-event FIFO per line that drops the NEWEST event
 * silently, no sequence numbers); the v2 uAPI in the 6.1 kernel headers has
 * a configurable FIFO (up to 1024 events, drops the oldest) and sequence
 * numbers that make every loss visible.
 */
#define _GNU_SOURCE 1 /* nothing GNU is used; keeps O_CLOEXEC visible everywhere */

#include "kb_gpio.h"
#include "kb_gpio_line.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH 64     /* events per read(): 3 KiB on the stack */
#define CHIP_SCAN 64    /* /dev/gpiochip0..63: numbers have gaps (Pi 5: 11..15) */
#define LINE_CLOCK 0
#define LINE_DATA 1
#define LINE_PC16 2 /* Classic panels only */

struct kb_gpio_s {
  kb_gpio_cfg_t cfg;
  kb_link_t *link;     /* PowerSeries: through the edge adaptor */
  kb_edge_port_t edge;
  kb_cls_link_t *cls;  /* Classic (kb_gpio_open_classic): fed directly, link NULL */
  uint8_t clv[3];      /* Classic: the levels of clock, data, PC-16 */
  bool cpending;       /* Classic: a sample is armed for ct_sample */
  uint32_t ct_sample;
  int in_fd, out_fd;
  bool open;
  int last_errno;
  unsigned clock_off, data_off, write_off, pc16_off;
  /* sequence numbers of the last event (valid once have_seq) */
  bool have_seq;
  uint32_t seqno, line_seqno[3];
  bool have_line_seq[3];
  uint64_t last_ts; /* ns of the last event handled */
  uint64_t last_try_ns;
  bool out_low;     /* the write line pulls the bus low now */
  /* write abort hand-over: edge side bumps req, task side catches done up */
  volatile uint32_t abort_req, abort_done;
  kb_gpio_stats_t st;
};

static uint64_t now_ns(const kb_gpio_t *g) {
  struct timespec ts;
  if (g->cfg.now_ns) return g->cfg.now_ns(g->cfg.now_ctx);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t us32(uint64_t ns) { return (uint32_t)(ns / 1000u); }

const char *kb_gpio_rc_name(kb_gpio_rc_t rc) {
  switch (rc) {
  case KB_GPIO_OK: return "ok";
  case KB_GPIO_GONE: return "gone";
  case KB_GPIO_ERR_CONFIG: return "config";
  case KB_GPIO_ERR_IO: return "io";
  }
  return "?";
}

/* Resolves the configured lines on the chip open on fd. */
static bool resolve_all(kb_gpio_t *g, int fd, unsigned nlines) {
  const kb_gpio_cfg_t *c = &g->cfg;
  if (!kb_gpio_line_resolve(fd, nlines, c->clock_name, c->clock_offset, &g->clock_off) ||
      !kb_gpio_line_resolve(fd, nlines, c->data_name, c->data_offset, &g->data_off))
    return false;
  if (c->write_enabled &&
      !kb_gpio_line_resolve(fd, nlines, c->write_name, c->write_offset, &g->write_off))
    return false;
  if (g->cls && !kb_gpio_line_resolve(fd, nlines, c->pc16_name, c->pc16_offset, &g->pc16_off))
    return false;
  return true;
}

/* Opens the chip holding the lines; returns its fd, or -1 with *rc set. */
static int open_chip(kb_gpio_t *g, kb_gpio_rc_t *rc) {
  const kb_gpio_cfg_t *c = &g->cfg;
  char path[256];
  int seen_any = 0;
  if (c->chip_path) {
    struct gpiochip_info ci;
    int fd = open(c->chip_path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      g->last_errno = errno;
      *rc = kb_gpio_line_gone(errno) ? KB_GPIO_GONE : KB_GPIO_ERR_IO;
      return -1;
    }
    if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) < 0) {
      g->last_errno = errno;
      *rc = kb_gpio_line_gone(errno) ? KB_GPIO_GONE : KB_GPIO_ERR_IO;
      close(fd);
      return -1;
    }
    if (!resolve_all(g, fd, ci.lines)) {
      *rc = KB_GPIO_ERR_CONFIG;
      close(fd);
      return -1;
    }
    return fd;
  }
  for (unsigned n = 0; n < CHIP_SCAN; n++) {
    struct gpiochip_info ci;
    int fd;
    snprintf(path, sizeof path, "%s/gpiochip%u", c->dev_dir ? c->dev_dir : "/dev", n);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    seen_any = 1;
    memset(&ci, 0, sizeof ci);
    if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) == 0) {
      bool label_ok = !c->chip_label || strncmp(ci.label, c->chip_label, sizeof ci.label) == 0;
      if (label_ok && resolve_all(g, fd, ci.lines)) return fd;
      if (label_ok && c->chip_label) { /* the chip is there, a line is not */
        close(fd);
        *rc = KB_GPIO_ERR_CONFIG;
        return -1;
      }
    }
    close(fd);
  }
  /* no chip (yet): a module not loaded, a device that is being replugged */
  g->last_errno = seen_any ? ENODEV : ENOENT;
  *rc = KB_GPIO_GONE;
  return -1;
}

static int set_out(kb_gpio_t *g, bool low) {
  struct gpio_v2_line_values v;
  bool pin = low != g->cfg.write_active_low;
  memset(&v, 0, sizeof v);
  v.mask = 1;
  v.bits = pin ? 1u : 0u;
  g->st.writes_set++;
  return ioctl(g->out_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &v);
}

static void close_lines(kb_gpio_t *g) {
  if (g->out_fd >= 0) {
    if (g->out_low) (void)set_out(g, false); /* released before it goes */
    close(g->out_fd);
  }
  if (g->in_fd >= 0) close(g->in_fd);
  g->in_fd = g->out_fd = -1;
  g->out_low = false;
  g->open = false;
}

/* The lines' levels now (GET_VALUES); false on error. pc (Classic: the
 * PC-16 line, the request's third) may be NULL. */
static bool read_levels3(kb_gpio_t *g, bool *clk, bool *dat, bool *pc) {
  struct gpio_v2_line_values v;
  memset(&v, 0, sizeof v);
  v.mask = g->cls ? 7u : 3u;
  if (ioctl(g->in_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0) return false;
  *clk = (v.bits & 1u) != 0;
  *dat = (v.bits & 2u) != 0;
  if (pc) *pc = (v.bits & 4u) != 0;
  return true;
}

static bool read_levels(kb_gpio_t *g, bool *clk, bool *dat) { return read_levels3(g, clk, dat, NULL); }

static kb_gpio_rc_t open_lines(kb_gpio_t *g) {
  struct gpio_v2_line_request rq;
  kb_gpio_rc_t rc = KB_GPIO_OK;
  bool clk, dat;
  uint32_t t;
  int chip = open_chip(g, &rc);
  if (chip < 0) return rc;

  memset(&rq, 0, sizeof rq);
  rq.offsets[0] = g->clock_off;
  rq.offsets[1] = g->data_off;
  rq.num_lines = 2;
  if (g->cls) { /* the PC-16 line in the same request: one FIFO, one order */
    rq.offsets[2] = g->pc16_off;
    rq.num_lines = 3;
  }
  snprintf(rq.consumer, sizeof rq.consumer, "keybus");
  rq.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING |
                    GPIO_V2_LINE_FLAG_EDGE_FALLING;
  if (g->cfg.input_active_low) rq.config.flags |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
  rq.event_buffer_size = g->cfg.event_buffer_size ? g->cfg.event_buffer_size : 1024u;
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &rq) < 0) goto fail;
  g->in_fd = rq.fd;
  /* drain loops end with EAGAIN instead of blocking */
  if (fcntl(g->in_fd, F_SETFL, fcntl(g->in_fd, F_GETFL) | O_NONBLOCK) < 0) goto fail;

  if (g->cfg.write_enabled) {
    memset(&rq, 0, sizeof rq);
    rq.offsets[0] = g->write_off;
    rq.num_lines = 1;
    snprintf(rq.consumer, sizeof rq.consumer, "keybus-write");
    rq.config.flags = GPIO_V2_LINE_FLAG_OUTPUT;
    rq.config.num_attrs = 1;
    rq.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
    rq.config.attrs[0].attr.values = g->cfg.write_active_low ? 1u : 0u; /* released */
    rq.config.attrs[0].mask = 1;
    if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &rq) < 0) goto fail;
    g->out_fd = rq.fd;
  }
  close(chip);
  chip = -1;
  g->open = true;
  g->have_seq = false;
  g->have_line_seq[0] = g->have_line_seq[1] = g->have_line_seq[2] = false;
  g->out_low = false;
  if (g->cls) { /* Classic: the levels as read, no sample armed */
    bool pc;
    if (!read_levels3(g, &clk, &dat, &pc)) goto fail;
    g->clv[LINE_CLOCK] = clk;
    g->clv[LINE_DATA] = dat;
    g->clv[LINE_PC16] = pc;
    g->cpending = false;
    return KB_GPIO_OK;
  }
  /* start from the real levels (the adaptor assumes both high) */
  if (!read_levels(g, &clk, &dat)) goto fail;
  t = us32(now_ns(g));
  if (clk != (g->edge.level[KB_EDGE_CLOCK] != 0)) kb_edge_missed(&g->edge, KB_EDGE_CLOCK, clk, t);
  if (dat != (g->edge.level[KB_EDGE_DATA] != 0)) kb_edge_missed(&g->edge, KB_EDGE_DATA, dat, t);
  return KB_GPIO_OK;
fail:
  g->last_errno = errno;
  rc = kb_gpio_line_gone(errno)             ? KB_GPIO_GONE
       : (errno == EBUSY || errno == EINVAL) ? KB_GPIO_ERR_CONFIG
                                             : KB_GPIO_ERR_IO;
  if (chip >= 0) close(chip);
  close_lines(g);
  return rc;
}

static kb_gpio_rc_t gpio_open(const kb_gpio_cfg_t *cfg, kb_link_t *link, kb_cls_link_t *cls,
                              kb_gpio_t **out) {
  kb_gpio_t *g;
  kb_gpio_rc_t rc;
  if (!out) return KB_GPIO_ERR_CONFIG;
  *out = NULL;
  if (!cfg || (!link && !cls)) return KB_GPIO_ERR_CONFIG;
  if (cls && !cfg->chip_path && !cfg->chip_label && !cfg->pc16_name) return KB_GPIO_ERR_CONFIG;
  if (!cfg->chip_path && !cfg->chip_label && !(cfg->clock_name && cfg->data_name))
    return KB_GPIO_ERR_CONFIG; /* offsets need a chip */
  g = calloc(1, sizeof *g);
  if (!g) return KB_GPIO_ERR_IO;
  g->cfg = *cfg;
  if (!g->cfg.write_budget_us) g->cfg.write_budget_us = 150;
  if (!g->cfg.idle_settle_us) g->cfg.idle_settle_us = 2000;
  if (!g->cfg.event_lag_us) g->cfg.event_lag_us = 200;
  if (!g->cfg.retry_ms) g->cfg.retry_ms = 1000;
  if (g->cfg.event_buffer_size > 1024u) g->cfg.event_buffer_size = 1024u;
  g->link = link;
  g->cls = cls;
  g->in_fd = g->out_fd = -1;
  kb_edge_init(&g->edge, link);
  g->last_try_ns = now_ns(g);
  rc = open_lines(g);
  if (rc == KB_GPIO_OK || rc == KB_GPIO_GONE) {
    *out = g;
    return rc;
  }
  free(g);
  return rc;
}

kb_gpio_rc_t kb_gpio_open(const kb_gpio_cfg_t *cfg, kb_link_t *link, kb_gpio_t **out) {
  if (!link) {
    if (out) *out = NULL;
    return KB_GPIO_ERR_CONFIG;
  }
  return gpio_open(cfg, link, NULL, out);
}

kb_gpio_rc_t kb_gpio_open_classic(const kb_gpio_cfg_t *cfg, kb_cls_link_t *link, kb_gpio_t **out) {
  if (!link) {
    if (out) *out = NULL;
    return KB_GPIO_ERR_CONFIG;
  }
  return gpio_open(cfg, NULL, link, out);
}

static void went_away(kb_gpio_t *g, int e) {
  g->last_errno = e;
  g->st.gone++;
  close_lines(g);
  /* a key armed now could never finish: take it out of the link */
  if (g->cfg.write_enabled) g->abort_req++;
  g->last_try_ns = now_ns(g);
}

/* A failed call with errno e: the chip went away (KB_GPIO_GONE: reopened
 * later), or another I/O error (kept in last_errno). */
static kb_gpio_rc_t io_failed(kb_gpio_t *g, int e) {
  if (kb_gpio_line_gone(e)) {
    went_away(g, e);
    return KB_GPIO_GONE;
  }
  g->last_errno = e;
  return KB_GPIO_ERR_IO;
}

/* The write line for request w after the clock edge at ts (ns). */
static kb_gpio_rc_t drive(kb_gpio_t *g, kb_link_write_t w, uint64_t ts) {
  bool low = w == KB_LINK_WRITE_PULL_LOW;
  if (!g->cfg.write_enabled) return KB_GPIO_OK;
  if (low && g->abort_req != g->abort_done) low = false; /* key being aborted */
  if (low) {
    uint64_t now = now_ns(g);
    if (now > ts && now - ts > (uint64_t)g->cfg.write_budget_us * 1000u) {
      /* too late to be read in this low phase: never drive a late bit */
      g->st.writes_late++;
      g->abort_req++;
      low = false;
    }
  }
  if (low == g->out_low) return KB_GPIO_OK;
  if (set_out(g, low) < 0) return io_failed(g, errno);
  g->out_low = low;
  return KB_GPIO_OK;
}

/* Classic: the armed sample, once time t (us) has reached it, with the
 * levels in force (every event stamped before t applied). */
static void cls_sample_due(kb_gpio_t *g, uint32_t t) {
  if (!g->cpending || (int32_t)(t - g->ct_sample) < 0) return;
  g->cpending = false;
  kb_cls_link_sample(g->cls, g->clv[LINE_CLOCK] != 0, g->clv[LINE_DATA] != 0, g->clv[LINE_PC16] != 0);
}

/* Classic: one event of `line` (gap: that line's lost events) at t. */
static kb_gpio_rc_t cls_event(kb_gpio_t *g, unsigned line, uint32_t gap, bool rising, uint64_t ts, uint32_t t) {
  bool level = g->clv[line] != 0;
  cls_sample_due(g, t); /* an event past the sample: the sample first */
  if (gap & 1u) level = !level; /* an odd number lost: the level before this edge */
  level = !level;
  if (rising != level) g->st.label_mismatch++;
  g->clv[line] = level;
  if (line != LINE_CLOCK) return KB_GPIO_OK;
  {
    /* a clock edge before the armed sample cancels it (as kb_edge does) */
    kb_link_write_t w = kb_cls_link_edge(g->cls, level, t);
    uint64_t now = now_ns(g);
    uint64_t lag = now > ts ? (now - ts) / 1000u : 0u;
    g->cpending = true;
    g->ct_sample = t + KB_SAMPLE_US;
    if (lag > g->st.max_lag_us) g->st.max_lag_us = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    return drive(g, w, ts);
  }
}

/* One event, in timestamp order. */
static kb_gpio_rc_t handle(kb_gpio_t *g, const struct gpio_v2_line_event *e) {
  unsigned line;
  uint32_t gap = 0;
  uint64_t ts = e->timestamp_ns;
  bool level;
  uint32_t t;
  g->st.events++;
  if (g->have_seq && e->seqno != g->seqno + 1u) g->st.lost += (uint32_t)(e->seqno - g->seqno - 1u);
  g->have_seq = true;
  g->seqno = e->seqno;
  if (e->offset == g->clock_off) line = LINE_CLOCK;
  else if (e->offset == g->data_off) line = LINE_DATA;
  else if (g->cls && e->offset == g->pc16_off) line = LINE_PC16;
  else return KB_GPIO_OK;
  if (g->have_line_seq[line]) gap = e->line_seqno - g->line_seqno[line] - 1u;
  g->have_line_seq[line] = true;
  g->line_seqno[line] = e->line_seqno;
  if (ts < g->last_ts) {
    g->st.out_of_order++;
    ts = g->last_ts;
  }
  g->last_ts = ts;
  t = us32(ts);
  if (g->cls) return cls_event(g, line, gap, e->id == GPIO_V2_LINE_EVENT_RISING_EDGE, ts, t);
  /* the level: alternation, counting the edges the kernel dropped on this
   * line (each was a change too); their times are unknown, so an odd number
   * of them changes the level just before this edge */
  level = g->edge.level[line] != 0;
  if (gap & 1u) {
    level = !level;
    kb_edge_missed(&g->edge, line == LINE_CLOCK ? KB_EDGE_CLOCK : KB_EDGE_DATA, level, t);
  }
  level = !level;
  if ((e->id == GPIO_V2_LINE_EVENT_RISING_EDGE) != level) g->st.label_mismatch++;
  if (line == LINE_DATA) {
    (void)kb_edge_feed(&g->edge, KB_EDGE_DATA, level, t);
    return KB_GPIO_OK;
  }
  {
    kb_link_write_t w = kb_edge_feed(&g->edge, KB_EDGE_CLOCK, level, t);
    uint64_t now = now_ns(g);
    uint64_t lag = now > ts ? (now - ts) / 1000u : 0u;
    if (lag > g->st.max_lag_us) g->st.max_lag_us = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
    return drive(g, w, ts);
  }
}

/* Sorts a batch by timestamp (insertion sort: batches are short and almost
 * always already in order; the kernel queues events from the IRQ thread). */
static void sort_batch(struct gpio_v2_line_event *ev, size_t n) {
  for (size_t i = 1; i < n; i++) {
    struct gpio_v2_line_event x = ev[i];
    size_t j = i;
    while (j > 0 && ev[j - 1].timestamp_ns > x.timestamp_ns) {
      ev[j] = ev[j - 1];
      j--;
    }
    ev[j] = x;
  }
}

/* The event clock (ns) at which the adaptor time `due` (us, the low 32 bits
 * of the same clock) comes, seen from now (due at or before now: now). */
static uint64_t due_ns(uint64_t now, uint32_t due) {
  int32_t d = (int32_t)(due - us32(now));
  if (d <= 0) return now;
  return (now / 1000u + (uint64_t)(uint32_t)d) * 1000u;
}

/* When the poll must return at the latest for the link's idle call (the
 * message that just ended is published there): its time + event_lag_us.
 * 0: no such deadline, or it has passed (the call was tried, or is being
 * made now): the caller's timeout stands. */
static uint64_t idle_wake_ns(const kb_gpio_t *g, uint64_t now) {
  uint32_t due;
  uint64_t w;
  if (!kb_edge_idle_due(&g->edge, &due)) return 0;
  w = due_ns(now, due) + (uint64_t)g->cfg.event_lag_us * 1000u;
  return w > now ? w : 0;
}

/* The idle call, once its time is event_lag_us in the past: every event
 * stamped before it is then in our hands (read until EAGAIN), so the
 * adaptor may advance to it. The clock pin read now guards against an
 * event later than that: it must still be high (if it reads low, a falling
 * edge is on its way; its event decides, as the boundary). */
static kb_gpio_rc_t timed(kb_gpio_t *g) {
  uint64_t now = now_ns(g), lag = (uint64_t)g->cfg.event_lag_us * 1000u;
  uint32_t due, t;
  bool clk, dat;
  if (!kb_edge_idle_due(&g->edge, &due)) return KB_GPIO_OK;
  if (now < lag || now - lag <= g->last_ts) return KB_GPIO_OK;
  t = us32(now - lag);
  if ((int32_t)(t - due) < 0) return KB_GPIO_OK;
  if (!read_levels(g, &clk, &dat)) return io_failed(g, errno);
  if (!clk) return KB_GPIO_OK;
  kb_edge_advance(&g->edge, t);
  return KB_GPIO_OK;
}

/* Classic: idle (below) at t: the armed sample, the write line released,
 * the levels re-read. */
static kb_gpio_rc_t cls_idle(kb_gpio_t *g, uint32_t t) {
  bool lv[3];
  cls_sample_due(g, t);
  if (g->out_low) {
    kb_gpio_rc_t rc = drive(g, KB_LINK_WRITE_RELEASE, g->last_ts);
    if (rc != KB_GPIO_OK) return rc;
  }
  if (!read_levels3(g, &lv[0], &lv[1], &lv[2])) return io_failed(g, errno);
  for (unsigned i = 0; i < 3; i++)
    if (lv[i] != (g->clv[i] != 0)) {
      g->clv[i] = lv[i];
      g->have_line_seq[i] = false;
      g->st.resyncs++;
    }
  return KB_GPIO_OK;
}

/* No event for a while: fire a sample that is surely complete, re-read the
 * levels in case an edge was lost without a trace. */
static kb_gpio_rc_t idle(kb_gpio_t *g) {
  uint64_t now = now_ns(g), settle = (uint64_t)g->cfg.idle_settle_us * 1000u;
  bool clk, dat;
  uint32_t t;
  if (now < g->last_ts + settle) return KB_GPIO_OK;
  t = us32(now - settle);
  if (g->cls) return cls_idle(g, t);
  kb_edge_advance(&g->edge, t);
  /* no clock edge for that long: no low phase can still be going on (a bus
   * cut while a bit was pulled low); never hold the data line down */
  if (g->out_low) {
    kb_gpio_rc_t rc = drive(g, KB_LINK_WRITE_RELEASE, g->last_ts);
    if (rc != KB_GPIO_OK) return rc;
  }
  if (!read_levels(g, &clk, &dat)) return io_failed(g, errno);
  /* a corrected line forgets its sequence base: the edges lost before this
   * read (a gap the next event would reveal) are in the level read now */
  if (clk != (g->edge.level[KB_EDGE_CLOCK] != 0)) {
    kb_edge_missed(&g->edge, KB_EDGE_CLOCK, clk, t);
    g->have_line_seq[LINE_CLOCK] = false;
    g->st.resyncs++;
  }
  if (dat != (g->edge.level[KB_EDGE_DATA] != 0)) {
    kb_edge_missed(&g->edge, KB_EDGE_DATA, dat, t);
    g->have_line_seq[LINE_DATA] = false;
    g->st.resyncs++;
  }
  return KB_GPIO_OK;
}

kb_gpio_rc_t kb_gpio_poll(kb_gpio_t *g, int timeout_ms) {
  struct pollfd p;
  struct gpio_v2_line_event ev[EV_BATCH];
  struct timespec ts, *tsp = NULL;
  int r;
  size_t total = 0;
  uint64_t t_now, wake;
  kb_gpio_rc_t trc;
  if (!g) return KB_GPIO_ERR_CONFIG;
  if (!g->open) {
    uint64_t now = now_ns(g), period = (uint64_t)g->cfg.retry_ms * 1000000u;
    kb_gpio_rc_t rc;
    if (now - g->last_try_ns < period) {
      uint64_t left_ms = (period - (now - g->last_try_ns) + 999999u) / 1000000u;
      int wait = timeout_ms < 0 || (uint64_t)timeout_ms > left_ms ? (int)left_ms : timeout_ms;
      (void)poll(NULL, 0, wait); /* nothing to watch: just wait */
      return KB_GPIO_GONE;
    }
    g->last_try_ns = now;
    rc = open_lines(g);
    if (rc != KB_GPIO_OK) return rc == KB_GPIO_ERR_CONFIG ? rc : KB_GPIO_GONE;
    g->st.reopens++;
  }
  p.fd = g->in_fd;
  p.events = POLLIN;
  p.revents = 0;
  /* the timeout, shortened to the idle call's deadline (us resolution) */
  t_now = now_ns(g);
  wake = idle_wake_ns(g, t_now);
  if (timeout_ms >= 0 || wake) {
    uint64_t w = timeout_ms >= 0 ? (uint64_t)timeout_ms * 1000000u : UINT64_MAX;
    if (wake && wake - t_now < w) w = wake - t_now;
    ts.tv_sec = (time_t)(w / 1000000000u);
    ts.tv_nsec = (long)(w % 1000000000u);
    tsp = &ts;
  }
  r = ppoll(&p, 1, tsp, NULL);
  if (r < 0) {
    if (errno == EINTR) return KB_GPIO_OK;
    g->last_errno = errno;
    return KB_GPIO_ERR_IO;
  }
  if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(p.revents & POLLIN)) {
    went_away(g, ENODEV);
    return KB_GPIO_GONE;
  }
  for (;;) {
    ssize_t n = read(g->in_fd, ev, sizeof ev);
    size_t k;
    if (n < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) break;
      if (e == EINTR) continue;
      return io_failed(g, e);
    }
    k = (size_t)n / sizeof ev[0];
    if (k == 0) break;
    sort_batch(ev, k);
    for (size_t i = 0; i < k; i++) {
      kb_gpio_rc_t rc = handle(g, &ev[i]);
      if (rc != KB_GPIO_OK) return rc;
    }
    total += k;
    if (k < EV_BATCH) break;
  }
  trc = timed(g);
  if (trc != KB_GPIO_OK) return trc;
  if (total == 0) return idle(g);
  return KB_GPIO_OK;
}

void kb_gpio_task(kb_gpio_t *g) {
  uint32_t req;
  if (!g) return;
  req = g->abort_req;
  if (req == g->abort_done) return;
  if (g->cls) kb_cls_link_write_abort(g->cls);
  else kb_link_write_abort(g->link);
  g->st.aborts++;
  g->abort_done = req;
}

void kb_gpio_close(kb_gpio_t *g) {
  if (!g) return;
  close_lines(g);
  free(g);
}

void kb_gpio_stats(const kb_gpio_t *g, kb_gpio_stats_t *out) { *out = g->st; }
const kb_edge_port_t *kb_gpio_edges(const kb_gpio_t *g) { return &g->edge; }
bool kb_gpio_is_open(const kb_gpio_t *g) { return g->open; }
int kb_gpio_last_errno(const kb_gpio_t *g) { return g->last_errno; }
uint32_t kb_gpio_now_us(const kb_gpio_t *g) { return us32(now_ns(g)); }
