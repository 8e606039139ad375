/* SPDX-License-Identifier: MIT
 *
 * keys_bench.c - key latency of the virtual keypad (kb_keys) in bus time:
 * the simulated panel (later generation, partitions 1, 2, 5), the virtual
 * wire (no noise, no jitter: every clock period is exactly 1 ms), the link,
 * the engine and kb_keys behind kb_bus_poll(), as a firmware task loop would
 * run them (the task polls at every message boundary). Requests are submitted one after the
 * other; for every key the panel accepted, kb_keys reports (KB_KEYS_NOTE_KEY)
 * when it was handed to the link (t_due_us) and the frame that carried it
 * (t_frame_us, slot_cycle), and the wire reports every message with its
 * start, so:
 *
 *   key out     = t_frame_us + slot_cycle * 1 ms (first bit of the slot)
 *   latency     = key out - t_due_us
 *   minimum     = start of the first eligible slot at or after t_due_us
 *                 (0x05/0x0A slot for partitions 1-4, 0x1B for 5-8)
 *   over min    = latency - minimum (slots the key let pass)
 *
 * and per request: submission -> last key out, against the n-th eligible
 * slot after the submission (one key per qualifying message is the
 * protocol's limit), which adds the waits for the panel's prompts (the `*`
 * menu and the access-code prompt are read through the noise filter).
 *
 * Output: `bench key_latency_mean_ms X ms`, `bench key_latency_max_ms`,
 * `bench key_latency_over_min_mean_ms`, `bench key_latency_over_min_max_ms`,
 * `bench key_request_over_min_mean_ms`, `bench keys_accepted`, and `info`
 * lines per request type. Deterministic (fixed seed, virtual time).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keybus/kb_bus.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_link.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define MAXMSG 200000
#define PERIOD_US 1000u /* no jitter */
#define ROUNDS 6

typedef struct {
  const char *type;
  uint8_t partition;
  const char *keys;
  const char *code;
  int set_time;
} req_def_t;

static const req_def_t REQS[] = {
    {"arm_stay_code", 1, "s", "1234", 0}, {"disarm", 1, "1234", NULL, 0},
    {"arm_away_code", 2, "w", "1234", 0}, {"disarm", 2, "1234", NULL, 0},
    {"arm_stay_code", 5, "s", "1234", 0}, {"disarm", 5, "1234", NULL, 0},
    {"ten_keys", 1, "##########", NULL, 0}, {"ten_keys", 2, "##########", NULL, 0},
    {"ten_keys", 5, "##########", NULL, 0}, {"set_time", 1, NULL, "1234", 1},
    {"set_time", 5, NULL, "1234", 1},
};
#define NREQ (sizeof REQS / sizeof REQS[0])

typedef struct {
  const char *name;
  unsigned keys, reqs, not_done;
  double lat_sum, lat_max, over_sum, over_max;
  double req_sum, req_over_sum, req_over_max;
} type_stat_t;

static struct {
  kb_sim_panel_t panel;
  kb_wire_t w;
  kb_bus_t bus; /* link + engine + kb_keys */
  /* every message: start and command */
  uint64_t t_start[MAXMSG];
  uint8_t cmd[MAXMSG];
  uint16_t bits[MAXMSG];
  unsigned nmsg;
  /* requests */
  unsigned next; /* next request to submit (index over ROUNDS * NREQ) */
  uint64_t t_next;
  uint16_t id;
  uint64_t t_submit;
  const req_def_t *cur;
  unsigned cur_keys;
  uint64_t cur_last_out;
  int busy;
  /* figures */
  type_stat_t ts[16];
  unsigned nts;
  unsigned keys_all;
  double lat_sum, lat_max, over_sum, over_max, req_over_sum, req_over_max;
  unsigned reqs_all, failed;
  unsigned pkeys[9];
  double plat[9], pover[9], pmax[9];
} B;

static type_stat_t *stat_of(const char *name) {
  for (unsigned i = 0; i < B.nts; i++)
    if (strcmp(B.ts[i].name, name) == 0) return &B.ts[i];
  B.ts[B.nts].name = name;
  return &B.ts[B.nts++];
}

static int qualifies(unsigned i, uint8_t partition) {
  static const uint8_t slot[4] = {2, 3, 8, 9};
  unsigned byte = slot[(partition - 1u) & 3u];
  if (B.bits[i] < 8u * byte + 1u) return 0;
  return partition <= 4 ? (B.cmd[i] == 0x05 || B.cmd[i] == 0x0A) : B.cmd[i] == 0x1B;
}

static uint64_t slot_start(unsigned i, uint8_t partition) {
  static const uint8_t slot[4] = {2, 3, 8, 9};
  unsigned byte = slot[(partition - 1u) & 3u];
  return B.t_start[i] + (uint64_t)(8u * byte - 7u) * PERIOD_US;
}

/* Start of the n-th (1 = first) eligible slot at or after t; 0 if unknown. */
static uint64_t nth_slot(uint64_t t, uint8_t partition, unsigned n) {
  for (unsigned i = 0; i < B.nmsg; i++) {
    if (!qualifies(i, partition) || slot_start(i, partition) < t) continue;
    if (--n == 0) return slot_start(i, partition);
  }
  return 0;
}

/* 32-bit link time -> 64-bit virtual time near `ref` */
static uint64_t widen(uint32_t t32, uint64_t ref) {
  uint64_t base = ref & ~(uint64_t)0xFFFFFFFFu, t = base | t32;
  if (t > ref + 0x80000000ull) t -= 0x100000000ull;
  else if (t + 0x80000000ull < ref) t += 0x100000000ull;
  return t;
}

static void on_note(void *ctx, const kb_keys_note_t *n) {
  (void)ctx;
  if (!B.cur || n->id != B.id) return;
  if (n->type == KB_KEYS_NOTE_KEY) {
    uint64_t now = B.w.t;
    uint64_t due = widen(n->t_due_us, now), frame = widen(n->t_frame_us, now);
    uint64_t out = frame + (uint64_t)n->slot_cycle * PERIOD_US;
    uint64_t min = nth_slot(due, n->partition, 1);
    double lat = (double)(out - due) / 1000.0, over = (double)(out - min) / 1000.0;
    type_stat_t *s = stat_of(B.cur->type);
    if (!min || out < min) {
      fprintf(stderr, "keys_bench: key %u of request %u went out before the first eligible slot\n",
              n->index, n->id);
      B.failed++;
    }
    s->keys++;
    s->lat_sum += lat;
    s->over_sum += over;
    if (lat > s->lat_max) s->lat_max = lat;
    if (over > s->over_max) s->over_max = over;
    B.keys_all++;
    B.lat_sum += lat;
    B.over_sum += over;
    if (lat > B.lat_max) B.lat_max = lat;
    if (over > B.over_max) B.over_max = over;
    B.cur_keys++;
    B.pkeys[n->partition]++;
    B.plat[n->partition] += lat;
    B.pover[n->partition] += over;
    if (lat > B.pmax[n->partition]) B.pmax[n->partition] = lat;
    B.cur_last_out = out;
  } else {
    type_stat_t *s = stat_of(B.cur->type);
    s->reqs++;
    B.reqs_all++;
    if (n->result != KB_KEYS_DONE) {
      s->not_done++;
      fprintf(stderr, "keys_bench: request %u (%s, partition %u) ended with result %u status 0x%02X\n",
              n->id, B.cur->type, n->partition, n->result, n->status);
    }
    if (B.cur_keys) {
      uint64_t min = nth_slot(B.t_submit, n->partition, B.cur_keys);
      double req = (double)(B.cur_last_out - B.t_submit) / 1000.0;
      double over = min ? (double)(B.cur_last_out - min) / 1000.0 : 0.0;
      s->req_sum += req;
      s->req_over_sum += over;
      if (over > s->req_over_max) s->req_over_max = over;
      B.req_over_sum += over;
      if (over > B.req_over_max) B.req_over_max = over;
    }
    B.busy = 0;
    B.t_next = B.w.t + 2000000u + (uint64_t)(B.next * 37u % 11u) * 17000u; /* idle, varied phase */
  }
}

static void on_msg(void *ctx, const kb_wire_msg_t *m) {
  (void)ctx;
  if (B.nmsg >= MAXMSG) return;
  B.t_start[B.nmsg] = m->t_start;
  B.cmd[B.nmsg] = m->panel[0];
  B.bits[B.nmsg] = m->bits;
  B.nmsg++;
}

static void submit(uint64_t now) {
  const req_def_t *d = &REQS[B.next % NREQ];
  kb_err_t err;
  B.next++;
  if (d->set_time)
    err = kb_bus_set_time(&B.bus, d->partition, 2024, 3, (uint8_t)(1 + B.next % 28), 10,
                          (uint8_t)(B.next % 60), d->code, &B.id);
  else
    err = kb_bus_keys_submit(&B.bus, d->partition, d->keys, d->code, &B.id);
  if (err != KB_OK) {
    fprintf(stderr, "keys_bench: submit %s on partition %u refused (%d)\n", d->type, d->partition, (int)err);
    B.failed++;
    B.t_next = now + 1000000u;
    return;
  }
  B.cur = d;
  B.cur_keys = 0;
  B.t_submit = now;
  B.busy = 1;
}

/* The firmware task: one kb_bus_poll() per call; a request submitted here
 * is polled again at once, so its first key is handed to the link at the
 * submission (as a firmware submitting between polls would see at its next
 * poll, a few ms later at most). */
static void task(void *ctx, uint64_t now) {
  (void)ctx;
  kb_bus_poll(&B.bus, (uint32_t)now);
  if (!B.busy && B.next < ROUNDS * NREQ && now >= B.t_next && kb_bus_status(&B.bus)->synced) {
    submit(now);
    kb_bus_poll(&B.bus, (uint32_t)now);
  }
}

int main(void) {
  kb_sim_cfg_t c;
  kb_wire_cfg_t wc;
  kb_wire_port_t port;
  kb_sim_cfg_default(&c, 1);
  c.partitions = 0x13;
  c.zone[8] = (kb_sim_zone_cfg_t){2, KB_SIM_ZONE_DELAY};
  c.zone[16] = (kb_sim_zone_cfg_t){5, KB_SIM_ZONE_DELAY};
  c.exit_delay_s = 2;
  c.seed = 7;
  kb_sim_panel_init(&B.panel, &c, 0);
  {
    const kb_bus_cfg_t bc = {NULL, NULL, on_note, NULL};
    kb_bus_init(&B.bus, &bc);
  }
  kb_wire_cfg_default(&wc);
  wc.seed = 7;
  port.link = kb_bus_link(&B.bus);
  port.task = task;
  port.ctx = NULL;
  kb_wire_init(&B.w, &wc, &B.panel, &port, NULL, 0);
  B.w.on_msg = on_msg;
  B.t_next = 3000000u;
  while ((B.next < ROUNDS * NREQ || B.busy) && B.w.t < 3600000000ull && B.nmsg < MAXMSG)
    kb_wire_step(&B.w);
  kb_wire_finish(&B.w);
  if (B.busy || B.next < ROUNDS * NREQ || !B.keys_all) {
    printf("bench: FAIL keys: the run did not finish (%u of %u requests)\n", B.next, (unsigned)(ROUNDS * NREQ));
    return 1;
  }
  for (unsigned i = 0; i < B.nts; i++) {
    const type_stat_t *s = &B.ts[i];
    printf("info keys %-14s requests %2u keys %3u  per key: mean %6.1f ms max %6.1f ms, over the next "
           "eligible slot mean %6.1f max %6.1f ms; request -> last key mean %7.1f ms, over the n-th "
           "eligible slot mean %6.1f max %6.1f ms%s\n",
           s->name, s->reqs, s->keys, s->lat_sum / s->keys, s->lat_max, s->over_sum / s->keys, s->over_max,
           s->req_sum / s->reqs, s->req_over_sum / s->reqs, s->req_over_max, s->not_done ? "  (NOT ALL DONE)" : "");
  }
  for (unsigned p = 1; p <= 8; p++)
    if (B.pkeys[p])
      printf("info keys partition %u (%s slot, module byte %u): keys %3u, per key mean %6.1f ms max %6.1f ms, "
             "over the next eligible slot mean %.1f ms\n",
             p, p <= 4 ? "0x05/0x0A" : "0x1B", (unsigned[]){2, 3, 8, 9}[(p - 1) & 3], B.pkeys[p],
             B.plat[p] / B.pkeys[p], B.pmax[p], B.pover[p] / B.pkeys[p]);
  printf("info keys bus: %u messages, %.1f s of bus time, clock period %u us, task at every message boundary\n",
         B.nmsg, B.w.t / 1e6, PERIOD_US);
  printf("bench keys_accepted %u keys\n", B.keys_all);
  printf("bench key_latency_mean_ms %.1f ms\n", B.lat_sum / B.keys_all);
  printf("bench key_latency_max_ms %.1f ms\n", B.lat_max);
  printf("bench key_latency_over_min_mean_ms %.1f ms\n", B.over_sum / B.keys_all);
  printf("bench key_latency_over_min_max_ms %.1f ms\n", B.over_max);
  printf("bench key_request_over_min_mean_ms %.1f ms\n", B.req_over_sum / B.reqs_all);
  printf("bench key_request_over_min_max_ms %.1f ms\n", B.req_over_max);
  for (unsigned i = 0; i < B.nts; i++)
    if (B.ts[i].not_done) B.failed++;
  if (B.failed) {
    printf("bench: FAIL keys: %u request(s) not done or keys out of place\n", B.failed);
    return 1;
  }
  return 0;
}
