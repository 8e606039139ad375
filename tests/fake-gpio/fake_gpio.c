/* SPDX-License-Identifier: MIT
 *
 * fake_gpio.c - the fake GPIO character device (fake_gpio.h). Built as a
 * shared object and put ahead of the C library (linked into the test, or
 * LD_PRELOAD): its open/close/ioctl/read/poll take the calls on the fake
 * chip paths and fds, and hand everything else to the next definition
 * (dlsym RTLD_NEXT). It models the kernel's v2 line request as far as the
 * backend relies on it; see gpiolib-cdev.c for the real one.
 */
#define _GNU_SOURCE 1 /* RTLD_NEXT */

#include "fake_gpio.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_CHIPS 4
#define MAX_LINES 64
#define MAX_FDS 64
#define FIFO_MAX 1024u

typedef struct {
  char path[128], label[32];
  unsigned nlines;
  char names[MAX_LINES][32];
  bool gone;
  unsigned gen; /* bumped when the chip vanishes: older fds stay dead */
} chip_t;

typedef struct {
  int fd; /* -1: free */
  bool line; /* false: a chip fd */
  int chip;
  unsigned gen;
  /* line request */
  unsigned n;
  unsigned off[MAX_LINES];
  uint64_t flags;
  uint32_t seqno, line_seqno[MAX_LINES];
  struct gpio_v2_line_event *fifo;
  unsigned cap, head, count;
} ffd_t;

static chip_t chips[MAX_CHIPS];
static int nchips;
static ffd_t fds[MAX_FDS];
static bool fds_init;
static int level[MAX_LINES];
static fake_gpio_world_t world;
static uint64_t now_ns, latency_ns;
static unsigned drop_n;
static int drop_line = -1; /* drop_n applies to this offset only; -1: any */
static bool wrong_labels;
static bool pin_invert; /* inputs: pin = !bus (an inverting opto stage) */
static bool vanish_on_read;
static unsigned silent_n; /* edges of silent_line that raise no event at all */
static int silent_line = -1;
static fake_gpio_stats_t st;

/* the C library's versions */
static int (*real_open)(const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);

static void resolve_real(void) {
  if (real_open) return;
  /* POSIX's way to store a function pointer from dlsym (ISO C has no cast) */
  *(void **)(&real_open) = dlsym(RTLD_NEXT, "open");
  *(void **)(&real_close) = dlsym(RTLD_NEXT, "close");
  *(void **)(&real_ioctl) = dlsym(RTLD_NEXT, "ioctl");
  *(void **)(&real_read) = dlsym(RTLD_NEXT, "read");
  *(void **)(&real_poll) = dlsym(RTLD_NEXT, "poll");
  *(void **)(&real_ppoll) = dlsym(RTLD_NEXT, "ppoll");
  if (!real_open || !real_close || !real_ioctl || !real_read || !real_poll || !real_ppoll) abort();
}

static void init_fds(void) {
  if (fds_init) return;
  for (int i = 0; i < MAX_FDS; i++) fds[i].fd = -1;
  fds_init = true;
}

static ffd_t *find(int fd) {
  init_fds();
  if (fd < 0) return NULL;
  for (int i = 0; i < MAX_FDS; i++)
    if (fds[i].fd == fd) return &fds[i];
  return NULL;
}

static ffd_t *new_fd(void) {
  int fd;
  init_fds();
  resolve_real();
  for (int i = 0; i < MAX_FDS; i++) {
    if (fds[i].fd != -1) continue;
    fd = real_open("/dev/null", O_RDWR | O_CLOEXEC); /* a real fd number to stand in */
    if (fd < 0) return NULL;
    memset(&fds[i], 0, sizeof fds[i]);
    fds[i].fd = fd;
    st.open_fds++;
    return &fds[i];
  }
  errno = EMFILE;
  return NULL;
}

static void free_fd(ffd_t *f) {
  free(f->fifo);
  f->fifo = NULL;
  f->fd = -1;
  st.open_fds--;
}

static bool dead(const ffd_t *f) { return chips[f->chip].gone || chips[f->chip].gen != f->gen; }

/* ------------------------------------------------------------ control */

void fake_gpio_reset(void) {
  init_fds();
  resolve_real();
  for (int i = 0; i < MAX_FDS; i++)
    if (fds[i].fd != -1) {
      real_close(fds[i].fd);
      free_fd(&fds[i]);
    }
  memset(chips, 0, sizeof chips);
  nchips = 0;
  memset(&world, 0, sizeof world);
  for (int i = 0; i < MAX_LINES; i++) level[i] = 1;
  now_ns = 0;
  latency_ns = 0;
  drop_n = 0;
  drop_line = -1;
  wrong_labels = false;
  pin_invert = false;
  vanish_on_read = false;
  silent_n = 0;
  silent_line = -1;
  memset(&st, 0, sizeof st);
}

int fake_gpio_add_chip(const char *path, const char *label, unsigned nlines,
                       const char *const *names) {
  chip_t *c;
  if (nchips >= MAX_CHIPS || nlines == 0 || nlines > MAX_LINES) return -1;
  c = &chips[nchips];
  memset(c, 0, sizeof *c);
  snprintf(c->path, sizeof c->path, "%s", path);
  snprintf(c->label, sizeof c->label, "%s", label);
  c->nlines = nlines;
  for (unsigned i = 0; i < nlines; i++)
    if (names && names[i]) snprintf(c->names[i], sizeof c->names[i], "%s", names[i]);
  return nchips++;
}

void fake_gpio_set_world(const fake_gpio_world_t *w) { world = *w; }
uint64_t fake_gpio_now(void) { return now_ns; }
uint64_t fake_gpio_now_cb(void *ctx) {
  (void)ctx;
  return now_ns;
}
void fake_gpio_set_latency(uint64_t ns) { latency_ns = ns; }
void fake_gpio_drop(unsigned n) {
  drop_n = n;
  drop_line = -1;
}
void fake_gpio_drop_line(unsigned offset, unsigned n) {
  drop_n = n;
  drop_line = (int)offset;
}
void fake_gpio_wrong_labels(bool on) { wrong_labels = on; }
void fake_gpio_invert_inputs(bool on) { pin_invert = on; }
void fake_gpio_vanish_on_read(void) { vanish_on_read = true; }
void fake_gpio_lose_irq(unsigned offset, unsigned n) {
  silent_n = n;
  silent_line = (int)offset;
}
void fake_gpio_stats(fake_gpio_stats_t *out) { *out = st; }
int fake_gpio_level(unsigned offset) { return offset < MAX_LINES ? level[offset] : -1; }

void fake_gpio_vanish(bool gone) {
  chip_t *c;
  if (nchips == 0) return;
  c = &chips[nchips - 1];
  if (gone && !c->gone) c->gen++;
  c->gone = gone;
}

static void world_to(uint64_t t) {
  if (t > now_ns) now_ns = t;
  if (world.advance) world.advance(world.ctx, now_ns);
}

void fake_gpio_advance(uint64_t t_ns) { world_to(t_ns); }

/* The kernel's edge_irq_thread: one event per requested line with that edge
 * enabled; the FIFO drops its oldest when full; seqnos count every event. */
void fake_gpio_edge(unsigned offset, int lvl, uint64_t t_ns) {
  if (offset >= MAX_LINES) return;
  level[offset] = lvl ? 1 : 0;
  init_fds();
  if (silent_n > 0 && silent_line == (int)offset) { /* the interrupt never fired */
    silent_n--;
    return;
  }
  for (int i = 0; i < MAX_FDS; i++) {
    ffd_t *f = &fds[i];
    int logical = ((lvl != 0) != pin_invert) != ((f->flags & GPIO_V2_LINE_FLAG_ACTIVE_LOW) != 0);
    uint64_t want = logical ? GPIO_V2_LINE_FLAG_EDGE_RISING : GPIO_V2_LINE_FLAG_EDGE_FALLING;
    struct gpio_v2_line_event *e;
    unsigned k;
    if (f->fd < 0 || !f->line || f->chip != nchips - 1 || dead(f) || !(f->flags & want)) continue;
    for (k = 0; k < f->n && f->off[k] != offset; k++) {
    }
    if (k == f->n) continue;
    f->seqno++;
    f->line_seqno[k]++;
    if (drop_n > 0 && (drop_line < 0 || drop_line == (int)offset)) {
      drop_n--;
      st.injected++;
      continue;
    }
    if (f->count == f->cap) {
      f->head = (f->head + 1u) % f->cap;
      f->count--;
      st.overflowed++;
    }
    e = &f->fifo[(f->head + f->count) % f->cap];
    memset(e, 0, sizeof *e);
    e->timestamp_ns = t_ns;
    e->id = (logical != 0) != wrong_labels ? GPIO_V2_LINE_EVENT_RISING_EDGE
                                       : GPIO_V2_LINE_EVENT_FALLING_EDGE;
    e->offset = offset;
    e->seqno = f->seqno;
    e->line_seqno = f->line_seqno[k];
    f->count++;
    st.events++;
  }
}

/* ------------------------------------------------------- interposers */

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  resolve_real();
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  for (int c = 0; c < nchips; c++) {
    ffd_t *f;
    if (strcmp(path, chips[c].path) != 0) continue;
    if (chips[c].gone) {
      errno = ENOENT;
      return -1;
    }
    f = new_fd();
    if (!f) return -1;
    f->line = false;
    f->chip = c;
    f->gen = chips[c].gen;
    st.opens++;
    return f->fd;
  }
  return real_open(path, flags, mode);
}

int close(int fd) {
  ffd_t *f = find(fd);
  resolve_real();
  if (f) free_fd(f);
  return real_close(fd);
}

static int chip_ioctl(ffd_t *f, unsigned long req, void *arg) {
  chip_t *c = &chips[f->chip];
  if (dead(f)) {
    errno = ENODEV;
    return -1;
  }
  if (req == GPIO_GET_CHIPINFO_IOCTL) {
    struct gpiochip_info *ci = arg;
    const char *base = strrchr(c->path, '/');
    memset(ci, 0, sizeof *ci);
    snprintf(ci->name, sizeof ci->name, "%.31s", base ? base + 1 : c->path);
    snprintf(ci->label, sizeof ci->label, "%s", c->label);
    ci->lines = c->nlines;
    return 0;
  }
  if (req == GPIO_V2_GET_LINEINFO_IOCTL) {
    struct gpio_v2_line_info *li = arg;
    unsigned off = li->offset;
    if (off >= c->nlines) {
      errno = EINVAL;
      return -1;
    }
    memset(li, 0, sizeof *li);
    li->offset = off;
    snprintf(li->name, sizeof li->name, "%s", c->names[off]);
    li->flags = GPIO_V2_LINE_FLAG_INPUT;
    return 0;
  }
  if (req == GPIO_V2_GET_LINE_IOCTL) {
    struct gpio_v2_line_request *rq = arg;
    uint64_t fl = rq->config.flags;
    ffd_t *nf;
    if (rq->num_lines == 0 || rq->num_lines > GPIO_V2_LINES_MAX ||
        ((fl & GPIO_V2_LINE_FLAG_INPUT) && (fl & GPIO_V2_LINE_FLAG_OUTPUT)) ||
        ((fl & (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING)) &&
         !(fl & GPIO_V2_LINE_FLAG_INPUT))) {
      errno = EINVAL;
      return -1;
    }
    for (unsigned i = 0; i < rq->num_lines; i++) {
      if (rq->offsets[i] >= c->nlines) {
        errno = EINVAL;
        return -1;
      }
      for (int j = 0; j < MAX_FDS; j++) { /* a line is requested once */
        ffd_t *o = &fds[j];
        if (o->fd < 0 || !o->line || o->chip != f->chip || dead(o)) continue;
        for (unsigned k = 0; k < o->n; k++)
          if (o->off[k] == rq->offsets[i]) {
            errno = EBUSY;
            return -1;
          }
      }
    }
    nf = new_fd();
    if (!nf) return -1;
    nf->line = true;
    nf->chip = f->chip;
    nf->gen = f->gen;
    nf->n = rq->num_lines;
    memcpy(nf->off, rq->offsets, rq->num_lines * sizeof rq->offsets[0]);
    nf->flags = fl;
    nf->cap = rq->event_buffer_size ? rq->event_buffer_size : 16u * rq->num_lines;
    if (nf->cap > FIFO_MAX) nf->cap = FIFO_MAX;
    nf->fifo = calloc(nf->cap, sizeof *nf->fifo);
    if (!nf->fifo) abort();
    if (fl & GPIO_V2_LINE_FLAG_OUTPUT) {
      for (unsigned a = 0; a < rq->config.num_attrs && a < GPIO_V2_LINE_NUM_ATTRS_MAX; a++) {
        const struct gpio_v2_line_config_attribute *at = &rq->config.attrs[a];
        if (at->attr.id != GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES) continue;
        for (unsigned i = 0; i < rq->num_lines; i++)
          if (at->mask & (1ull << i)) level[rq->offsets[i]] = (int)((at->attr.values >> i) & 1u);
      }
    } else {
      st.buffer_size = nf->cap;
    }
    rq->fd = nf->fd;
    st.requests++;
    return 0;
  }
  errno = ENOTTY;
  return -1;
}

static int line_ioctl(ffd_t *f, unsigned long req, void *arg) {
  struct gpio_v2_line_values *v = arg;
  if (dead(f)) {
    errno = ENODEV;
    return -1;
  }
  if (req == GPIO_V2_LINE_GET_VALUES_IOCTL) {
    uint64_t bits = 0;
    st.get_values++;
    if (v->mask == 0) {
      errno = EINVAL;
      return -1;
    }
    for (unsigned i = 0; i < f->n; i++) {
      int pin = level[f->off[i]];
      if (f->flags & GPIO_V2_LINE_FLAG_INPUT) pin ^= pin_invert ? 1 : 0;
      if (f->flags & GPIO_V2_LINE_FLAG_ACTIVE_LOW) pin ^= 1;
      if ((v->mask & (1ull << i)) && pin) bits |= 1ull << i;
    }
    v->bits = bits;
    return 0;
  }
  if (req == GPIO_V2_LINE_SET_VALUES_IOCTL) {
    st.set_values++;
    if (!(f->flags & GPIO_V2_LINE_FLAG_OUTPUT)) {
      errno = EPERM;
      return -1;
    }
    for (unsigned i = 0; i < f->n; i++) {
      int val;
      if (!(v->mask & (1ull << i))) continue;
      val = (int)((v->bits >> i) & 1u);
      if (level[f->off[i]] == val) continue;
      level[f->off[i]] = val;
      if (world.output) world.output(world.ctx, f->off[i], val, now_ns);
    }
    return 0;
  }
  errno = ENOTTY;
  return -1;
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  void *arg;
  ffd_t *f;
  va_start(ap, req);
  arg = va_arg(ap, void *);
  va_end(ap);
  resolve_real();
  f = find(fd);
  if (!f) return real_ioctl(fd, req, arg);
  return f->line ? line_ioctl(f, req, arg) : chip_ioctl(f, req, arg);
}

ssize_t read(int fd, void *buf, size_t count) {
  ffd_t *f = find(fd);
  size_t n = 0;
  resolve_real();
  if (!f) return real_read(fd, buf, count);
  if (vanish_on_read && f->line) { /* removed between poll() and read() */
    vanish_on_read = false;
    fake_gpio_vanish(true);
  }
  if (!f->line || dead(f)) {
    errno = f->line ? ENODEV : EINVAL;
    return -1;
  }
  if (count < sizeof(struct gpio_v2_line_event)) {
    errno = EINVAL;
    return -1;
  }
  if (f->count == 0) {
    errno = EAGAIN;
    return -1;
  }
  while (f->count > 0 && (n + 1u) * sizeof(struct gpio_v2_line_event) <= count) {
    memcpy((char *)buf + n * sizeof(struct gpio_v2_line_event), &f->fifo[f->head],
           sizeof(struct gpio_v2_line_event));
    f->head = (f->head + 1u) % f->cap;
    f->count--;
    n++;
  }
  return (ssize_t)(n * sizeof(struct gpio_v2_line_event));
}

static int ready(struct pollfd *p, nfds_t n) {
  int r = 0;
  for (nfds_t i = 0; i < n; i++) {
    ffd_t *f = find(p[i].fd);
    p[i].revents = 0;
    if (!f) continue;
    if (dead(f)) p[i].revents = POLLERR | POLLHUP;
    else if (f->line && f->count > 0) p[i].revents = (short)(p[i].events & POLLIN);
    if (p[i].revents) r++;
  }
  return r;
}

/* poll() and ppoll() on fake fds, in virtual time; timeout in ns, < 0 =
 * none. Returns -2 when no fd is a fake one (the caller asks the C library). */
static int fake_wait(struct pollfd *p, nfds_t n, int64_t timeout) {
  bool any = false;
  int r;
  uint64_t limit, next;
  for (nfds_t i = 0; i < n; i++)
    if (find(p[i].fd)) any = true;
  if (!any) {
    if (n == 0 && nchips > 0) { /* a plain wait, in virtual time */
      world_to(now_ns + (timeout > 0 ? (uint64_t)timeout : 0u));
      return 0;
    }
    return -2;
  }
  r = ready(p, n);
  if (r > 0 || timeout == 0) return r;
  st.waits++;
  limit = timeout < 0 ? UINT64_MAX : now_ns + (uint64_t)timeout;
  next = world.next_ns ? world.next_ns(world.ctx) : UINT64_MAX;
  /* the thread wakes latency_ns after what woke it (an edge, or the
   * timeout): a stall longer than the timeout is a stall too */
  if (next != UINT64_MAX && next <= limit) {
    world_to((next < now_ns ? now_ns : next) + latency_ns);
  } else if (limit != UINT64_MAX) {
    st.timeouts++;
    world_to(limit + latency_ns);
  }
  return ready(p, n);
}

int poll(struct pollfd *p, nfds_t n, int timeout) {
  int r;
  resolve_real();
  r = fake_wait(p, n, timeout < 0 ? -1 : (int64_t)timeout * 1000000);
  return r == -2 ? real_poll(p, n, timeout) : r;
}

int ppoll(struct pollfd *p, nfds_t n, const struct timespec *tmo, const sigset_t *mask) {
  int r;
  resolve_real();
  r = fake_wait(p, n, tmo ? (int64_t)tmo->tv_sec * 1000000000 + tmo->tv_nsec : -1);
  return r == -2 ? real_ppoll(p, n, tmo, mask) : r;
}
