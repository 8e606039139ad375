/* SPDX-License-Identifier: MIT
 *
 * kd_keypad_run.c - keybusd --role keypad's loop (kd_keypad_run.h).
 */
#define _GNU_SOURCE 1 /* mlockall flags on every libc */

#include "kd_keypad_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kd_log.h"
#include "sim/kb_sim_keypad.h"

typedef struct {
  const kd_keypad_run_cfg_t *c;
  kb_pnl_t pnl;
  kb_gpio_panel_t *gpio;
  volatile int clock_stop;
  /* sim */
  kb_skp_t kp;
  kb_skp_bus_t bus;
  uint64_t w0_ns;
  /* announce */
  bool announcing;
  unsigned ann_i;
  uint64_t keys, bad_cmds;
} run_t;

static run_t R; /* one role per process */

/* kb_gpio_rc_name() lives in kb_gpio.c, which this unit need not link */
static const char *rc_name(kb_gpio_rc_t rc) {
  return rc == KB_GPIO_GONE ? "no such GPIO chip now" : rc == KB_GPIO_ERR_CONFIG ? "a line or chip not found, or busy" : "I/O error";
}

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void publish(run_t *r, const char *t, const char *p, bool retain) {
  if (r->c->mq) (void)kd_mqtt_publish(r->c->mq, t, p, strlen(p), retain);
}

/* discovery documents, then the states, as the window allows */
static void announce_step(run_t *r) {
  const kd_keypad_cfg_t *k = &r->c->kp;
  unsigned n = kd_keypad_entities(k);
  char t[KD_KEYPAD_TOPIC_MAX], d[KD_KEYPAD_DOC_MAX];
  if (!r->c->mq) return;
  if (kd_mqtt_announce(r->c->mq)) {
    r->announcing = true;
    r->ann_i = 0;
  }
  while (r->announcing && kd_mqtt_room(r->c->mq) > 0) {
    if (r->ann_i < n) {
      if (kd_keypad_discovery(k, r->ann_i, t, sizeof t, d, sizeof d) == 0) publish(r, t, d, true);
    } else if (r->ann_i < 2 * n) {
      if (kd_keypad_state(k, &r->pnl, r->ann_i - n, t, sizeof t, d, sizeof d) == 1) publish(r, t, d, true);
    } else {
      r->announcing = false;
      break;
    }
    r->ann_i++;
  }
}

static void inbound(run_t *r) {
  kd_mqtt_in_t in;
  if (!r->c->mq) return;
  while (kd_mqtt_take(r->c->mq, &in)) {
    if (in.sub == r->c->sub_command) {
      char st[KD_KEYPAD_TOPIC_MAX], sv[16];
      if (in.too_long ||
          kd_keypad_command(&r->c->kp, &r->pnl, in.payload, st, sizeof st, sv, sizeof sv) != KD_KEYPAD_APPLIED) {
        r->bad_cmds++;
        kd_log(KD_WARNING, "keypad: bad command on %s/%s/keypad/set (%zu bytes): ignored", r->c->kp.prefix,
               r->c->kp.id, in.len);
      } else if (st[0]) {
        publish(r, st, sv, true);
      }
    } else if (in.sub == r->c->sub_ha_status && in.len == 6 && !memcmp(in.payload, "online", 6)) {
      kd_mqtt_request_announce(r->c->mq);
    }
  }
}

/* the task step: answers in, next frame staged, keys out, commands in */
static void role_task(run_t *r) {
  uint8_t code;
  char t[KD_KEYPAD_TOPIC_MAX], p[64];
  (void)kb_pnl_poll(&r->pnl);
  while (kb_pnl_key(&r->pnl, &code)) {
    r->keys++;
    if (kd_keypad_key_msg(&r->c->kp, code, t, sizeof t, p, sizeof p) == 0) publish(r, t, p, false);
  }
  inbound(r);
  announce_step(r);
}

static volatile sig_atomic_t *g_stop_flag;

/* the GPIO clock loop's hook: the task in the clock's thread */
static void gpio_task(void *ctx) {
  run_t *r = ctx;
  role_task(r);
  if (*g_stop_flag) r->clock_stop = 1;
}

static void sim_task(void *ctx, uint64_t now) {
  (void)now;
  role_task(ctx);
}

static int sim_keys(run_t *r, const char *keys) {
  static const char digits[] = "0123456789*#";
  static const uint8_t codes[] = {0x00, 0x05, 0x0A, 0x0F, 0x11, 0x16, 0x1B, 0x1C, 0x22, 0x27, 0x28, 0x2D};
  for (const char *k = keys ? keys : ""; *k; k++) {
    const char *d = strchr(digits, *k);
    uint16_t code = d ? codes[d - digits]
                    : *k == 'f' ? (uint16_t)(KB_SKP_ALARM | 0xBB)
                    : *k == 'a' ? (uint16_t)(KB_SKP_ALARM | 0xDD)
                    : *k == 'p' ? (uint16_t)(KB_SKP_ALARM | 0xEE)
                                : 0xFFFF;
    if (code == 0xFFFF || !kb_skp_press(&r->kp, code)) return -1;
  }
  return 0;
}

int kd_keypad_run(const kd_keypad_run_cfg_t *c, volatile sig_atomic_t *stop) {
  run_t *r = &R;
  kb_pnl_cfg_t pc;
  memset(r, 0, sizeof *r);
  r->c = c;
  kb_pnl_cfg_default(&pc);
  if (c->sim) pc.powerup_ms = 0;
  kb_pnl_init(&r->pnl, &pc);
  if (c->sim) {
    kb_skp_bus_cfg_t bc;
    kb_skp_init(&r->kp, 1, 40);
    if (sim_keys(r, c->sim_keys) != 0) {
      kd_log(KD_ERROR, "keypad: the simulated keypad's keys are 0-9 * # f a p");
      return 1;
    }
    kb_skp_bus_cfg_default(&bc);
    kb_skp_bus_init(&r->bus, &bc, &r->pnl, NULL, 0);
    r->bus.task = sim_task;
    r->bus.task_ctx = r;
    (void)kb_skp_bus_add(&r->bus, &r->kp);
    r->w0_ns = mono_ns();
    kd_log(KD_INFO, "keypad: driving a simulated keypad");
    while (!*stop) {
      struct timespec d = {0, 1000000L};
      kb_skp_bus_run_until(&r->bus, (mono_ns() - r->w0_ns) / 1000u);
      nanosleep(&d, NULL);
    }
    kd_log(KD_INFO, "keypad: stopped (%llu keys, %llu bad commands)", (unsigned long long)r->keys,
           (unsigned long long)r->bad_cmds);
    return 0;
  }
  {
    kb_gpio_rc_t rc = kb_gpio_panel_open(&c->gpio, &r->pnl, &r->gpio);
    kb_gpio_panel_stats_t st;
    int e;
    if (rc != KB_GPIO_OK) {
      kd_log(KD_ERROR, "keypad: cannot open the keypad lines: %s (docs/keypad-interface.md)", rc_name(rc));
      return 1;
    }
    /* one thread: the clock steps, and the task between them (kb_gpio_panel.h) */
    e = kb_gpio_panel_rt(50);
    if (e) kd_log(KD_INFO, "keypad: no real-time priority (%s): expect stretched clock phases under load", strerror(e));
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) kd_log(KD_INFO, "keypad: memory not locked (%s)", strerror(errno));
    kd_log(KD_INFO, "keypad: driving the keypad bus (waiting for the keypads to power up)");
    g_stop_flag = stop;
    rc = kb_gpio_panel_run(r->gpio, &r->clock_stop, gpio_task, r);
    kb_gpio_panel_stats(r->gpio, &st);
    kd_log(KD_INFO, "keypad: stopped (%llu keys; clock: %llu half periods, worst wake-up %u us late, %llu stretched)",
           (unsigned long long)r->keys, (unsigned long long)st.halves, st.max_late_us,
           (unsigned long long)st.stretched);
    kb_gpio_panel_close(r->gpio); /* bus clock idle high, data released */
    if (rc != KB_GPIO_OK) {
      kd_log(KD_ERROR, "keypad: the GPIO lines failed: %s", rc_name(rc));
      return 1;
    }
    return 0;
  }
}
