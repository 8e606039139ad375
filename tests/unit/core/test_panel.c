/* SPDX-License-Identifier: MIT
 *
 * test_panel.c - the panel role (keybus/kb_panel.h): frames byte-exact
 * against the reference keypad interface's output (notes D2/D3), the wire
 * timing, the start-up sequence, the scheduler, keys and alarm keys read
 * back, and closed loop with a simulated keypad on the virtual bus
 * (src/sim/kb_sim_keypad.h), with noise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_panel.h"
#include "sim/kb_sim_keypad.h"

#define MAXF 400

typedef struct {
  kb_pnl_t pnl;
  kb_skp_t kp;
  kb_skp_bus_t bus;
  kb_skp_frame_t f[MAXF];
  uint64_t ft[MAXF]; /* virtual time the keypad finished each frame */
  unsigned nf;
  uint8_t keys[256];
  unsigned nkeys;
} rig_t;

static void on_frame(void *ctx, const kb_skp_frame_t *f) {
  rig_t *r = ctx;
  if (r->nf < MAXF) {
    r->f[r->nf] = *f;
    r->ft[r->nf] = r->bus.t;
    r->nf++;
  }
}

static void task(void *ctx, uint64_t now) {
  rig_t *r = ctx;
  uint8_t c;
  (void)now;
  (void)kb_pnl_poll(&r->pnl);
  while (kb_pnl_key(&r->pnl, &c))
    if (r->nkeys < sizeof r->keys) r->keys[r->nkeys++] = c;
}

static rig_t *rig_new(double ber, kb_vcd_writer_t *vcd) {
  rig_t *r = calloc(1, sizeof *r);
  kb_pnl_cfg_t pc;
  kb_skp_bus_cfg_t bc;
  KT_CHECK(r != NULL);
  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 0;
  kb_pnl_init(&r->pnl, &pc);
  kb_skp_init(&r->kp, 1, 40);
  r->kp.on_frame = on_frame;
  r->kp.frame_ctx = r;
  kb_skp_bus_cfg_default(&bc);
  bc.ber = ber;
  kb_skp_bus_init(&r->bus, &bc, &r->pnl, vcd, 0);
  r->bus.task = task;
  r->bus.task_ctx = r;
  KT_CHECK(kb_skp_bus_add(&r->bus, &r->kp));
  return r;
}

static void run_ms(rig_t *r, unsigned ms) { kb_skp_bus_run_until(&r->bus, r->bus.t + 1000ull * ms); }

/* Runs through the start-up sequence (its 200 ms pause included). */
static rig_t *rig_started(void) {
  rig_t *r = rig_new(0, NULL);
  run_ms(r, 800); /* the start-up 0x27 ends at 752 ms */
  KT_CHECK(kb_pnl_started(&r->pnl));
  return r;
}

/* The first frame with command cmd at or after index from, or -1. */
static int find(const rig_t *r, unsigned from, uint8_t cmd) {
  for (unsigned i = from; i < r->nf; i++)
    if (r->f[i].n && r->f[i].bytes[0] == cmd) return (int)i;
  return -1;
}

/* The last frame with command cmd, or -1 (a frame staged before a change
 * still goes out with the old state: the last one has the new). */
static int find_last(const rig_t *r, uint8_t cmd) {
  for (unsigned i = r->nf; i-- > 0;)
    if (r->f[i].n && r->f[i].bytes[0] == cmd) return (int)i;
  return -1;
}

static void check_frame(const rig_t *r, int i, const char *hex) {
  uint8_t want[KB_SKP_BYTES];
  unsigned n = 0;
  char buf[128];
  KT_CHECK(i >= 0);
  if (i < 0) return;
  while (*hex && n < KB_SKP_BYTES) {
    unsigned v;
    if (*hex == ' ') {
      hex++;
      continue;
    }
    if (sscanf(hex, "%2x", &v) != 1) break;
    want[n++] = (uint8_t)v;
    hex += 2;
  }
  {
    size_t o = 0;
    for (unsigned j = 0; j < r->f[i].n && o + 4 < sizeof buf; j++)
      o += (size_t)snprintf(buf + o, sizeof buf - o, "%02X ", r->f[i].bytes[j]);
    buf[o] = 0;
  }
  KT_EQ(r->f[i].n, n);
  KT_CHECK(r->f[i].ok);
  if (r->f[i].n != n || memcmp(r->f[i].bytes, want, n) != 0)
    kt_fail(__FILE__, __LINE__, "frame %d: got %s", i, buf);
}

/* ------------------------------------------------------- D2 vectors */

static void test_d2_startup_vectors(void) {
  rig_t *r = rig_started();
  check_frame(r, find(r, 0, 0x16), "16 0E 23 F1 38");
  check_frame(r, find(r, 0, 0x5D), "5D 00 00 00 00 00 5D");
  check_frame(r, find(r, 0, 0x4C), "4C AA AA AA AA AA AA AA AA AA AA AA");
  check_frame(r, find(r, 0, 0xB1), "B1 FF FF FF FF 00 00 00 00 AD");
  check_frame(r, find(r, 0, 0xA5), "A5 18 0E ED 80 00 00 38");
  check_frame(r, find(r, 0, 0x05), "05 81 01 10 C7");
  check_frame(r, find(r, 0, 0xD5), "D5 AA AA AA AA AA AA AA AA");
  check_frame(r, find(r, 0, 0x27), "27 81 01 10 C7 00 80");
  free(r);
}

static void test_d2_lights_and_zones(void) {
  rig_t *r = rig_started();
  unsigned m;
  /* all lights off, Backlight off */
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_READY, KB_PNL_OFF), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_BACKLIGHT, KB_PNL_OFF), KB_OK);
  m = r->nf;
  run_ms(r, 120);
  check_frame(r, find_last(r, 0x05), "05 00 01 10 C7");
  /* Ready + Armed + Backlight */
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_READY, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_ARMED, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_BACKLIGHT, KB_PNL_ON), KB_OK);
  m = r->nf;
  run_ms(r, 120);
  check_frame(r, find_last(r, 0x05), "05 83 01 10 C7");
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_ARMED), KB_PNL_ON);
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_MEMORY), KB_PNL_OFF);
  /* zone 1 LED on (default lights) */
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_ARMED, KB_PNL_OFF), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 1, KB_PNL_ON), KB_OK);
  m = r->nf;
  run_ms(r, 120);
  check_frame(r, find(r, m, 0x27), "27 81 01 10 C7 01 81");
  KT_EQ(kb_skp_zone_light(&r->kp, 1), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&r->kp, 2), KB_PNL_OFF);
  /* Ready flashing + zone 1 flashing */
  KT_EQ(kb_pnl_set_zone(&r->pnl, 1, KB_PNL_OFF), KB_OK);
  m = r->nf;
  run_ms(r, 120);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_READY, KB_PNL_BLINK), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 1, KB_PNL_BLINK), KB_OK);
  m = r->nf;
  run_ms(r, 120);
  check_frame(r, find(r, m, 0x5D), "5D 01 01 00 00 00 5F");
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_READY), KB_PNL_BLINK);
  KT_EQ(kb_skp_zone_light(&r->kp, 1), KB_PNL_BLINK);
  free(r);
}

static void test_d2_beep_tone_buzzer(void) {
  static const struct {
    int kind; /* 0 beep, 1 tone, 2 buzzer */
    unsigned a, b, c;
    const char *hex;
  } v[] = {
      {0, 3, 0, 0, "64 06 6A"},   {0, 128, 0, 0, "64 FF 63"}, {0, 200, 0, 0, "64 FF 63"},
      {1, 2, 0, 4, "75 24 99"},   {1, 3, 1, 2, "75 B2 27"},   {1, 0, 0, 0, "75 00 75"},
      {2, 5, 0, 0, "7F 05 84"},   {0, 2, 0, 0, "64 04 68"},   {2, 1, 0, 0, "7F 01 80"},
      {1, 0, 1, 0, "75 80 F5"},
  };
  rig_t *r = rig_started();
  for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
    unsigned m = r->nf;
    uint8_t cmd = v[i].kind == 0 ? 0x64 : v[i].kind == 1 ? 0x75 : 0x7F;
    if (v[i].kind == 0) kb_pnl_beep(&r->pnl, v[i].a);
    if (v[i].kind == 1) kb_pnl_tone(&r->pnl, v[i].a, v[i].b != 0, v[i].c);
    if (v[i].kind == 2) kb_pnl_buzzer(&r->pnl, v[i].a);
    run_ms(r, 150);
    check_frame(r, find(r, m, cmd), v[i].hex);
    /* sent once */
    KT_EQ(find(r, (unsigned)find(r, m, cmd) + 1u, cmd), -1);
  }
  KT_EQ(r->kp.beeps, 3u + 128u + 128u + 2u);
  KT_EQ(r->kp.buzzer, 1);
  KT_EQ(r->kp.tone, 0x80);
  /* 0 cancels a pending beep / buzzer */
  kb_pnl_beep(&r->pnl, 4);
  kb_pnl_beep(&r->pnl, 0);
  kb_pnl_buzzer(&r->pnl, 9);
  kb_pnl_buzzer(&r->pnl, 0);
  {
    unsigned m = r->nf;
    run_ms(r, 150);
    KT_EQ(find(r, m, 0x64), -1);
    KT_EQ(find(r, m, 0x7F), -1);
  }
  free(r);
}

static void test_time_and_status(void) {
  rig_t *r = rig_started();
  unsigned m = r->nf;
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 12, 6, 11, 45), KB_OK);
  kb_pnl_set_status(&r->pnl, 0x11); /* "in alarm" */
  run_ms(r, 250);
  /* 26 -> 0x26; month 12 << 2 | day 6 >> 3 = 0x30; (6 & 7) << 5 | 11 = 0xCB;
   * 45 << 2 = 0xB4; checksum A5+26+30+CB+B4 = 0x27A */
  check_frame(r, find(r, m, 0xA5), "A5 26 30 CB B4 00 00 7A");
  check_frame(r, find_last(r, 0x05), "05 81 11 10 C7");
  KT_EQ(r->kp.status, 0x11);
  KT_EQ(r->kp.time[0], 0x26);
  KT_EQ(kb_pnl_set_time(&r->pnl, 1999, 1, 1, 0, 0), KB_OK);
  KT_EQ(r->pnl.time[0], 0x99);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2070, 1, 1, 0, 0), KB_ERR_RANGE);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 13, 1, 0, 0), KB_ERR_RANGE);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 1, 0, 0, 0), KB_ERR_RANGE);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 1, 1, 24, 0), KB_ERR_RANGE);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 1, 1, 0, 60), KB_ERR_RANGE);
  KT_EQ(r->pnl.time[0], 0x99); /* refused: unchanged */
  free(r);
}

static void test_bad_args(void) {
  kb_pnl_t p;
  kb_pnl_init(&p, NULL);
  KT_EQ(kb_pnl_set_light(&p, KB_PNL_LIGHT_COUNT, KB_PNL_ON), KB_ERR_ARG);
  KT_EQ(kb_pnl_set_light(&p, KB_PNL_LIGHT_READY, (kb_pnl_state_t)3), KB_ERR_ARG);
  KT_EQ(kb_pnl_set_zone(&p, 0, KB_PNL_ON), KB_ERR_ARG);
  KT_EQ(kb_pnl_set_zone(&p, 33, KB_PNL_ON), KB_ERR_ARG);
  KT_EQ(kb_pnl_set_zone(&p, 32, KB_PNL_ON), KB_OK);
  KT_EQ(p.zones[3], 0x80);
  KT_EQ(p.lights, 0x81);
}

/* --------------------------------------------------- wire timing (ISR) */

/* Drives the interrupt alone with a released data line: the bus levels per
 * half period. */
static void test_wire_timing(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  uint8_t lv[400];
  unsigned n = 0, lows = 0, first = 0, last = 0;
  kb_pnl_cfg_default(&c);
  c.powerup_ms = 0;
  kb_pnl_init(&p, &c);
  /* skip the start-up sequence: stage a 0x05 by hand */
  p.step = 8;
  (void)kb_pnl_poll(&p);
  KT_EQ(p.tx[0], 0x05);
  KT_EQ(p.tx_bits, 41);
  for (n = 0; n < sizeof lv; n++) lv[n] = kb_pnl_isr(&p, true);
  /* the clock: 42 low half periods (41 bits + the trailing cycle), each
   * followed by one high; the data: the panel bits while the clock is high */
  for (unsigned i = 0; i < sizeof lv; i++) {
    if (!(lv[i] & KB_PNL_CLK_HIGH)) {
      if (!lows) first = i;
      lows++;
      last = i;
      KT_CHECK(!(lv[i] & KB_PNL_DATA_LOW)); /* released in the keypads' phase */
    }
  }
  KT_EQ(lows, 42);
  KT_EQ(last - first, 82u); /* one half low, one half high, 42 times */
  {
    /* 00000101 0 10000001 00000001 00010000 11000111 (D3 format) */
    static const char *bits = "00000101" "0" "10000001" "00000001" "00010000" "11000111";
    for (unsigned k = 0; k < 41; k++) {
      uint8_t v = lv[first + 2 * k + 1];
      KT_CHECK(v & KB_PNL_CLK_HIGH);
      KT_EQ(!(v & KB_PNL_DATA_LOW), bits[k] == '1');
    }
    /* the trailing cycle's high phase: released */
    KT_CHECK(!(lv[first + 83] & KB_PNL_DATA_LOW));
  }
  /* the task did not poll: no second frame, the clock idles high */
  for (unsigned i = first + 84; i < sizeof lv; i++) KT_EQ(lv[i], KB_PNL_CLK_HIGH);
  {
    kb_pnl_stats_t s;
    kb_pnl_stats(&p, &s);
    KT_EQ(s.frames, 1);
    KT_EQ(s.contention, 0);
  }
  /* the next frame waits for the gap: 1 high half (trailing) + 10 */
  (void)kb_pnl_poll(&p);
  {
    kb_pnl_t q = p;
    unsigned hi = 0;
    q.cnt = 0;
    while (kb_pnl_isr(&q, true) & KB_PNL_CLK_HIGH) hi++;
    KT_EQ(hi, KB_PNL_GAP_HALVES);
  }
}

static void test_powerup_wait(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  kb_pnl_cfg_default(&c);
  KT_EQ(c.powerup_ms, 4000);
  c.powerup_ms = 10; /* 20 half periods of data high */
  kb_pnl_init(&p, &c);
  (void)kb_pnl_poll(&p);
  /* 19 highs then a low, five times: never long enough */
  for (unsigned i = 0; i < 100; i++) KT_EQ(kb_pnl_isr(&p, (i % 20) != 19), KB_PNL_CLK_HIGH);
  for (unsigned i = 0; i < 20; i++) KT_EQ(kb_pnl_isr(&p, true), KB_PNL_CLK_HIGH);
  KT_EQ(kb_pnl_isr(&p, true), 0); /* the first falling edge: 0x16 starts */
  KT_EQ(p.tx[0], 0x16);
}

/* Runs one staged frame through the interrupt; slot(k) gives the keypads'
 * level in slot k. Returns the half periods used. */
static unsigned clock_frame(kb_pnl_t *p, bool (*slot)(unsigned k)) {
  unsigned halves = 0, k = 0;
  uint8_t prev = KB_PNL_CLK_HIGH, v;
  bool in = true;
  for (;;) {
    v = kb_pnl_isr(p, in);
    halves++;
    if (!(v & KB_PNL_CLK_HIGH)) {
      in = slot(k);
    } else {
      if (!(prev & KB_PNL_CLK_HIGH)) k++;
      in = !(v & KB_PNL_DATA_LOW);
    }
    if ((prev & KB_PNL_CLK_HIGH) == 0 && (v & KB_PNL_CLK_HIGH) && !p->tx_ready) break;
    prev = v;
    if (halves > 2000) break;
  }
  return halves;
}

static unsigned noise_slot;
static bool slot_noise(unsigned k) { return k != noise_slot; }
static bool slot_none(unsigned k) {
  (void)k;
  return true;
}

/* A 0 in the command byte's slots that the keypad does not confirm in the
 * 0x1C frame is noise: one 0x1C, no key. */
static void test_alarm_noise_rejected(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  kb_pnl_stats_t s;
  uint8_t code;
  kb_pnl_cfg_default(&c);
  c.powerup_ms = 0;
  kb_pnl_init(&p, &c);
  p.step = 8;
  (void)kb_pnl_poll(&p);
  KT_EQ(p.tx[0], 0x05);
  noise_slot = 3;
  clock_frame(&p, slot_noise);
  (void)kb_pnl_poll(&p);
  KT_EQ(p.tx[0], 0x1C); /* the handshake */
  KT_EQ(p.tx_bits, 9);
  clock_frame(&p, slot_none);
  (void)kb_pnl_poll(&p);
  KT_EQ(p.tx[0], 0x05); /* back to status */
  KT_CHECK(!kb_pnl_key(&p, &code));
  kb_pnl_stats(&p, &s);
  KT_EQ(s.alarm_asks, 1);
  KT_EQ(s.alarm_noise, 1);
  /* a 0 in the partition-1 key byte that is no key: rejected */
  noise_slot = 12;
  clock_frame(&p, slot_noise);
  (void)kb_pnl_poll(&p);
  KT_CHECK(!kb_pnl_key(&p, &code));
  kb_pnl_stats(&p, &s);
  KT_EQ(s.rejected, 1);
  KT_EQ(s.keys, 0);
}

static bool slot_low(unsigned k) {
  (void)k;
  return false;
}

/* A data line held low: every keypad slot reads 0 (the key "0", 0x00, in
 * byte 2; something in the alarm slots), but so do the panel's own 1-bits:
 * the answers are ignored, no key, no alarm handshake. */
static void test_stuck_low_line_no_keys(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  kb_pnl_stats_t s;
  uint8_t code;
  kb_pnl_cfg_default(&c);
  c.powerup_ms = 0;
  kb_pnl_init(&p, &c);
  p.step = 8;
  for (unsigned i = 0; i < 5; i++) {
    (void)kb_pnl_poll(&p);
    KT_EQ(p.tx[0], 0x05); /* never a 0x1C */
    /* the stuck line: slots and the panel's bits all read 0 */
    {
      unsigned halves = 0;
      uint8_t prev = KB_PNL_CLK_HIGH, v;
      for (;;) {
        v = kb_pnl_isr(&p, false);
        halves++;
        if (!(prev & KB_PNL_CLK_HIGH) && (v & KB_PNL_CLK_HIGH) && !p.tx_ready) break;
        prev = v;
        if (halves > 200) break;
      }
    }
  }
  (void)kb_pnl_poll(&p);
  KT_CHECK(!kb_pnl_key(&p, &code));
  kb_pnl_stats(&p, &s);
  KT_EQ(s.clashed, 5);
  KT_EQ(s.keys, 0);
  KT_EQ(s.alarm_asks, 0);
  KT_CHECK(s.contention > 5);
  (void)slot_low;
}

/* A panel bit of 1 that reads back 0: another driver on the line. */
static bool slot_none_contend(unsigned k) {
  (void)k;
  return true;
}
static void test_contention_counted(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  kb_pnl_stats_t s;
  uint8_t v;
  kb_pnl_cfg_default(&c);
  c.powerup_ms = 0;
  kb_pnl_init(&p, &c);
  p.step = 8;
  (void)kb_pnl_poll(&p);
  (void)slot_none_contend;
  /* start, slot 0, then panel bit 0 (a 0 of 0x05): reads 0, no contention */
  KT_EQ(kb_pnl_isr(&p, true), 0);
  v = kb_pnl_isr(&p, true);
  KT_EQ(v, KB_PNL_CLK_HIGH | KB_PNL_DATA_LOW);
  KT_EQ(kb_pnl_isr(&p, false), 0);
  /* bits 1..4 are 0 too; bit 5 is 1: released, but the line reads 0 */
  for (unsigned k = 1; k < 5; k++) {
    KT_EQ(kb_pnl_isr(&p, true), KB_PNL_CLK_HIGH | KB_PNL_DATA_LOW);
    KT_EQ(kb_pnl_isr(&p, false), 0);
  }
  KT_EQ(kb_pnl_isr(&p, true), KB_PNL_CLK_HIGH);
  KT_EQ(kb_pnl_isr(&p, false), 0);
  kb_pnl_stats(&p, &s);
  KT_EQ(s.contention, 1);
}

/* ------------------------------------------------- closed loop */

static void test_startup_sequence(void) {
  static const uint8_t want[] = {0x16, 0x5D, 0x4C, 0xB1, 0xA5, 0x05, 0xD5, 0x27, 0x05, 0x05};
  rig_t *r = rig_new(0, NULL);
  KT_CHECK(!kb_pnl_started(&r->pnl));
  run_ms(r, 900);
  KT_CHECK(kb_pnl_started(&r->pnl));
  KT_CHECK(r->kp.nlog >= sizeof want);
  KT_EQ(r->kp.bad, 0);
  for (unsigned i = 0; i < sizeof want; i++) KT_EQ(r->kp.log[i], want[i]);
  /* the 200 ms pause after 0x16: the keypad finishes 0x5D (7 bytes: 58
   * clock cycles of 1 ms) 200 ms + the gap after it finished 0x16 */
  KT_CHECK(r->ft[1] - r->ft[0] - 58000u >= 200000u);
  KT_CHECK(r->ft[1] - r->ft[0] - 58000u < 207000u);
  /* without the pause: 0xB1 (10 bytes: 82 cycles, first falling edge to
   * trailing rising edge 81.5 ms) after 5.5 ms of clock high (the trailing
   * cycle's high half and the 5 ms gap) */
  KT_EQ(r->ft[3] - r->ft[2], 81500u + 5500u);
  /* steady state: 0x05 about every 47 ms (41 ms of bits + the gap) */
  {
    uint64_t d = r->ft[9] - r->ft[8];
    KT_CHECK(d >= 46000u && d <= 49000u);
  }
  free(r);
}

static void test_scheduler_order(void) {
  rig_t *r = rig_started();
  unsigned m = r->nf;
  /* everything at once: zones first (group by group), then flashing, beep,
   * tone, buzzer, date, then 0x05 again */
  KT_EQ(kb_pnl_set_zone(&r->pnl, 12, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 3, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_TROUBLE, KB_PNL_BLINK), KB_OK);
  kb_pnl_beep(&r->pnl, 1);
  kb_pnl_tone(&r->pnl, 1, false, 1);
  kb_pnl_buzzer(&r->pnl, 2);
  KT_EQ(kb_pnl_set_time(&r->pnl, 2026, 1, 2, 3, 4), KB_OK);
  run_ms(r, 600);
  {
    static const uint8_t want[] = {0x27, 0x2D, 0x5D, 0x64, 0x75, 0x7F, 0xA5, 0x05};
    /* the frame staged before the changes may come first */
    unsigned i = m;
    while (i < r->nf && r->f[i].bytes[0] == 0x05) i++;
    for (unsigned j = 0; j < sizeof want; j++) KT_EQ(r->f[i + j].bytes[0], want[j]);
    if (getenv("KT_DEBUG"))
      for (unsigned j = m; j < r->nf; j++) printf("%u %02X\n", j, r->f[j].bytes[0]);
  }
  KT_EQ(kb_skp_zone_light(&r->kp, 12), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&r->kp, 3), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&r->kp, 4), KB_PNL_OFF);
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_TROUBLE), KB_PNL_BLINK);
  KT_EQ(r->kp.beeps, 1);
  KT_EQ(r->kp.buzzer, 2);
  /* nothing changed: only 0x05 */
  m = r->nf;
  run_ms(r, 500);
  KT_CHECK(r->nf - m >= 9);
  for (unsigned i = m; i < r->nf; i++) KT_EQ(r->f[i].bytes[0], 0x05);
  free(r);
}

static void test_keys_read_back(void) {
  static const uint8_t typed[] = {0x05, 0x0A, 0x0F, 0x11, 0x2D, 0x28, 0x00, 0xAF, 0xBB, 0x82};
  static const char *names[] = {"1", "2", "3", "4", "#", "*", "0", "stay", "chime", "enter"};
  rig_t *r = rig_started();
  for (unsigned i = 0; i < sizeof typed; i++) KT_CHECK(kb_skp_press(&r->kp, typed[i]));
  run_ms(r, 1000);
  KT_EQ(kb_skp_pending(&r->kp), 0);
  KT_EQ(r->nkeys, sizeof typed);
  for (unsigned i = 0; i < sizeof typed && i < r->nkeys; i++) {
    KT_EQ(r->keys[i], typed[i]);
    KT_STREQ(kb_pnl_key_name(r->keys[i]), names[i]);
  }
  KT_CHECK(kb_pnl_key_name(0x01) == NULL);
  KT_EQ(r->pnl.alarm_asks, 0); /* a chime key (0xBB in byte 2) is no alarm */
  /* 0xF7 (menu) is one bit away from "no key": off unless configured */
  KT_CHECK(kb_skp_press(&r->kp, 0xF7));
  run_ms(r, 200);
  KT_EQ(r->nkeys, sizeof typed);
  KT_EQ(r->pnl.rejected, 1);
  r->pnl.menu_key = 1; /* what cfg.menu_key = true sets */
  KT_CHECK(kb_skp_press(&r->kp, 0xF7));
  run_ms(r, 200);
  KT_EQ(r->nkeys, sizeof typed + 1u);
  KT_EQ(r->keys[sizeof typed], 0xF7);
  KT_STREQ(kb_pnl_key_name(0xF7), "menu");
  free(r);
}

static void test_alarm_keys(void) {
  rig_t *r = rig_started();
  unsigned m = r->nf;
  KT_CHECK(kb_skp_press(&r->kp, KB_SKP_ALARM | 0xBB));
  KT_CHECK(kb_skp_press(&r->kp, 0x05));
  KT_CHECK(kb_skp_press(&r->kp, KB_SKP_ALARM | 0xDD));
  KT_CHECK(kb_skp_press(&r->kp, KB_SKP_ALARM | 0xEE));
  run_ms(r, 1000);
  KT_EQ(r->nkeys, 4);
  KT_EQ(r->keys[0], KB_PNL_KEY_FIRE);
  KT_EQ(r->keys[1], 0x05);
  KT_EQ(r->keys[2], KB_PNL_KEY_AUX);
  KT_EQ(r->keys[3], KB_PNL_KEY_PANIC);
  KT_STREQ(kb_pnl_key_name(r->keys[0]), "fire");
  /* each one: exactly one 0x1C, right after the frame that carried it */
  {
    unsigned n1c = 0;
    for (unsigned i = m; i < r->nf; i++) {
      if (r->f[i].bytes[0] == 0x1C) {
        n1c++;
        check_frame(r, (int)i, "1C");
      }
    }
    KT_EQ(n1c, 3);
  }
  KT_EQ(r->pnl.alarm_noise, 0);
  free(r);
}

/* An alarm key pressed while the start-up sequence runs: the keypad repeats
 * it only in the next frame, so 0x1C goes before the next start-up frame. */
static void test_alarm_key_during_startup(void) {
  rig_t *r = rig_new(0, NULL);
  KT_CHECK(kb_skp_press(&r->kp, KB_SKP_ALARM | 0xEE));
  run_ms(r, 900);
  KT_EQ(r->nkeys, 1);
  KT_EQ(r->keys[0], KB_PNL_KEY_PANIC);
  KT_EQ(r->kp.log[0], 0x16);
  KT_EQ(r->kp.log[1], 0x1C);
  KT_EQ(r->kp.log[2], 0x5D); /* then the sequence goes on */
  KT_CHECK(kb_pnl_started(&r->pnl));
  free(r);
}

static void test_keypad_zone(void) {
  rig_t *r = rig_started();
  uint8_t open = 0;
  unsigned m;
  KT_CHECK(kb_pnl_keypad_zones(&r->pnl, &open) == false || open == 0);
  kb_skp_zone(&r->kp, true);
  m = r->nf;
  run_ms(r, 300);
  KT_CHECK(find(r, m, 0xD5) >= 0);
  KT_CHECK(kb_pnl_keypad_zones(&r->pnl, &open));
  KT_EQ(open, 0x01);
  kb_skp_zone(&r->kp, false);
  run_ms(r, 300);
  KT_CHECK(kb_pnl_keypad_zones(&r->pnl, &open));
  KT_EQ(open, 0x00);
  KT_EQ(r->pnl.zone_queries, 2);
  free(r);
}

static void test_task_stops_bus_idles(void) {
  rig_t *r = rig_started();
  uint64_t edges;
  r->bus.task = NULL; /* default task: kb_pnl_poll */
  run_ms(r, 100);
  r->bus.cfg.task_us = 1000000000u; /* the task hangs */
  r->bus.next_task = r->bus.t + r->bus.cfg.task_us;
  run_ms(r, 100);
  edges = r->bus.edges;
  run_ms(r, 500);
  KT_EQ(r->bus.edges, edges); /* no frame, no half frame */
  KT_EQ(r->bus.clk, 1);
  free(r);
}

/* Noise on both directions: no key is invented, none reordered; alarm keys
 * still need the keypad's confirmation; the display ends up right. */
static void test_noise(void) {
  static const uint8_t typed[] = {0x05, 0x0A, 0x0F, 0x11, 0x16, 0x1B, 0x1C, 0x22, 0x27, 0x00};
  rig_t *r = rig_new(2e-3, NULL);
  unsigned j = 0, fires = 0;
  run_ms(r, 700);
  for (unsigned rep = 0; rep < 10; rep++)
    for (unsigned i = 0; i < sizeof typed; i++) KT_CHECK(kb_skp_press(&r->kp, typed[i]));
  KT_CHECK(kb_skp_press(&r->kp, KB_SKP_ALARM | 0xBB));
  KT_EQ(kb_pnl_set_zone(&r->pnl, 5, KB_PNL_ON), KB_OK);
  run_ms(r, 8000);
  KT_CHECK(r->bus.flips > 20);
  /* every key read back is the next typed one, or a later one (a key bent
   * by noise is dropped, never replaced) */
  for (unsigned i = 0; i < r->nkeys; i++) {
    if (r->keys[i] == KB_PNL_KEY_FIRE) {
      fires++;
      continue;
    }
    if (getenv("KT_DEBUG")) printf("key %02X j %u\n", r->keys[i], j);
    while (j < 100 && typed[j % 10] != r->keys[i]) j++;
    KT_CHECK(j < 100);
    j++;
  }
  KT_CHECK(fires <= 1);
  KT_CHECK(r->nkeys >= 80); /* most get through */
  {
    kb_pnl_stats_t s;
    kb_pnl_stats(&r->pnl, &s);
    KT_CHECK(s.rejected + s.alarm_noise > 0); /* the noise did reach the checks */
    KT_EQ(s.keys_lost, 0);
    if (s.keys + s.rejected < 100) kt_fail(__FILE__, __LINE__, "keys %u rejected %u", s.keys, s.rejected);
  }
  KT_CHECK(r->kp.bad > 0); /* the keypad dropped bent frames */
  run_ms(r, 500);
  KT_EQ(kb_skp_zone_light(&r->kp, 5), KB_PNL_ON);
  free(r);
}

/* ------------------------------------------------------- Classic (B5) */

static rig_t *rig_classic(double ber) {
  rig_t *r = calloc(1, sizeof *r);
  kb_pnl_cfg_t pc;
  kb_skp_bus_cfg_t bc;
  KT_CHECK(r != NULL);
  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 100; /* the reference's wait for Classic keypads */
  pc.classic = true;
  kb_pnl_init(&r->pnl, &pc);
  kb_skp_init(&r->kp, 1, 40);
  r->kp.classic = 1;
  r->kp.on_frame = on_frame;
  r->kp.frame_ctx = r;
  kb_skp_bus_cfg_default(&bc);
  bc.ber = ber;
  bc.half_us = KB_PNL_CLASSIC_HALF_US;
  kb_skp_bus_init(&r->bus, &bc, &r->pnl, NULL, 0);
  r->bus.task = task;
  r->bus.task_ctx = r;
  KT_CHECK(kb_skp_bus_add(&r->bus, &r->kp));
  return r;
}

static int find_bytes(const rig_t *r, unsigned from, uint8_t b0, uint8_t b1) {
  for (unsigned i = from; i < r->nf; i++)
    if (r->f[i].n == 2 && r->f[i].bytes[0] == b0 && r->f[i].bytes[1] == b1) return (int)i;
  return -1;
}

static void test_classic_d2_frames(void) {
  rig_t *r = rig_classic(0);
  unsigned m;
  KT_CHECK(kb_pnl_started(&r->pnl)); /* no start-up sequence */
  run_ms(r, 400);
  KT_CHECK(r->nf >= 4);
  check_frame(r, 0, "00 80"); /* default: no zone LEDs, Ready */
  KT_EQ(r->kp.bad, 0);
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_READY), KB_PNL_ON);
  /* zone 1 + zone 8 + Armed, then a key: its click on the beeper bit */
  KT_EQ(kb_pnl_set_zone(&r->pnl, 1, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 8, KB_PNL_ON), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_READY, KB_PNL_OFF), KB_OK);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_ARMED, KB_PNL_ON), KB_OK);
  run_ms(r, 200);
  m = r->nf;
  KT_CHECK(find_bytes(r, 0, 0x81, 0x40) >= 0);
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xBE, 150));
  run_ms(r, 600);
  {
    int c = find_bytes(r, m, 0x81, 0x41);
    KT_CHECK(c >= 0);
    check_frame(r, c, "81 41");
    /* the click is short: 100 ms, one or two frames */
    KT_CHECK(r->kp.beep_frames >= 1 && r->kp.beep_frames <= 2);
    KT_EQ(r->kp.beeps_on, 1);
  }
  KT_EQ(r->nkeys, 1);
  KT_EQ(r->keys[0], 0x05);
  KT_EQ(kb_skp_zone_light(&r->kp, 1), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&r->kp, 8), KB_PNL_ON);
  KT_EQ(kb_skp_zone_light(&r->kp, 2), KB_PNL_OFF);
  KT_EQ(kb_skp_light(&r->kp, KB_PNL_LIGHT_ARMED), KB_PNL_ON);
  free(r);
}

/* 500 Hz, 16 cycles, the keypad's slots before each bit, 26 ms high. */
static void test_classic_wire_timing(void) {
  kb_pnl_t p;
  kb_pnl_cfg_t c;
  uint8_t lv[200];
  unsigned lows = 0, first = 0, last = 0, n;
  kb_pnl_cfg_default(&c);
  c.classic = true;
  c.powerup_ms = 10; /* 10 half periods of 1 ms */
  kb_pnl_init(&p, &c);
  (void)kb_pnl_poll(&p);
  KT_EQ(p.tx_bits, 16);
  KT_EQ(p.tx[0], 0x00);
  KT_EQ(p.tx[1], 0x80);
  for (n = 0; n < sizeof lv; n++) lv[n] = kb_pnl_isr(&p, true);
  for (unsigned i = 0; i < sizeof lv; i++) {
    if (!(lv[i] & KB_PNL_CLK_HIGH)) {
      if (!lows) first = i;
      lows++;
      last = i;
    }
  }
  KT_EQ(first, 10); /* after the power-up wait */
  KT_EQ(lows, 16);
  KT_EQ(last - first, 30u);
  for (unsigned k = 0; k < 16; k++) /* 00000000 10000000 */
    KT_EQ(!(lv[first + 2 * k + 1] & KB_PNL_DATA_LOW), k == 8);
  KT_EQ(p.frames, 1);
  /* the next frame: 26 ms of clock high after the last bit's high phase */
  (void)kb_pnl_poll(&p);
  {
    unsigned hi = 0;
    kb_pnl_t q = p;
    q.cnt = 0;
    while (kb_pnl_isr(&q, true) & KB_PNL_CLK_HIGH) hi++;
    KT_EQ(hi, KB_PNL_CLASSIC_GAP_HALVES); /* + the half frame_done began: 26 ms */
  }
}

static void test_classic_keys(void) {
  rig_t *r = rig_classic(0);
  run_ms(r, 200);
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xBE, 250)); /* 1: held 4 frames, one key */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xDE, 120)); /* 2 */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xE7, 300)); /* # */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xD7, 120)); /* 0 */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0xD7, 120)); /* 0 again, after a release */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0x3F, 1300)); /* Fire, held: one */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0x6F, 500));  /* Panic, too short: none */
  KT_CHECK(kb_skp_press_hold(&r->kp, 0x5F, 2300)); /* Aux, held 2.3 s: two */
  run_ms(r, 7000);
  KT_EQ(kb_skp_pending(&r->kp), 0);
  {
    static const uint8_t want[] = {0x05, 0x0A, 0x2D, 0x00, 0x00, KB_PNL_KEY_FIRE, KB_PNL_KEY_AUX,
                                   KB_PNL_KEY_AUX};
    KT_EQ(r->nkeys, sizeof want);
    for (unsigned i = 0; i < sizeof want && i < r->nkeys; i++) KT_EQ(r->keys[i], want[i]);
  }
  KT_EQ(r->pnl.rejected, 0);
  free(r);
}

static void test_classic_flash_beep_buzzer(void) {
  rig_t *r = rig_classic(0);
  unsigned on = 0, off = 0, changes = 0, prev = 2;
  run_ms(r, 200);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_ARMED, KB_PNL_BLINK), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 3, KB_PNL_BLINK), KB_OK);
  {
    unsigned m = r->nf;
    run_ms(r, 3000);
    for (unsigned i = m; i < r->nf; i++) {
      unsigned a = (r->f[i].bytes[1] & 0x40) != 0, z = (r->f[i].bytes[0] & 0x20) != 0;
      KT_EQ(a, z); /* flashing lights flash together */
      if (a) on++;
      else off++;
      if (prev != 2 && a != prev) changes++;
      prev = a;
    }
  }
  /* 500 ms on, 500 ms off: about 6 changes in 3 s */
  KT_CHECK(on > 10 && off > 10);
  KT_CHECK(changes >= 5 && changes <= 7);
  KT_EQ(kb_pnl_set_light(&r->pnl, KB_PNL_LIGHT_ARMED, KB_PNL_OFF), KB_OK);
  KT_EQ(kb_pnl_set_zone(&r->pnl, 3, KB_PNL_OFF), KB_OK);
  kb_pnl_beep(&r->pnl, 3);
  run_ms(r, 1500);
  KT_EQ(r->kp.beeps_on, 3);
  kb_pnl_buzzer(&r->pnl, 1);
  {
    uint32_t f0 = r->kp.beep_frames;
    run_ms(r, 2000);
    KT_EQ(r->kp.beeps_on, 4); /* one long sound */
    /* 1 s of frames every ~59 ms */
    KT_CHECK(r->kp.beep_frames - f0 >= 15 && r->kp.beep_frames - f0 <= 19);
  }
  KT_EQ(r->kp.bad, 0);
  free(r);
}

static void test_classic_noise(void) {
  static const uint8_t codes[] = {0xBE, 0xDE, 0xEE, 0xBD, 0xDD, 0xED, 0xBB, 0xDB, 0xEB, 0xD7};
  static const uint8_t keys[] = {0x05, 0x0A, 0x0F, 0x11, 0x16, 0x1B, 0x1C, 0x22, 0x27, 0x00};
  rig_t *r = rig_classic(3e-3);
  unsigned j = 0;
  run_ms(r, 200);
  for (unsigned rep = 0; rep < 3; rep++)
    for (unsigned i = 0; i < sizeof codes; i++) KT_CHECK(kb_skp_press_hold(&r->kp, codes[i], 200));
  run_ms(r, 15000);
  KT_CHECK(r->bus.flips > 10);
  for (unsigned i = 0; i < r->nkeys; i++) {
    while (j < 30 && keys[j % 10] != r->keys[i]) j++;
    if (j >= 30) kt_fail(__FILE__, __LINE__, "key %u: 0x%02X out of order or invented", i, r->keys[i]);
    j++;
  }
  KT_CHECK(r->nkeys >= 27); /* a key lasts 3-4 frames: one bent frame rarely loses it */
  free(r);
}

KT_MAIN(KT_CASE(test_classic_d2_frames), KT_CASE(test_classic_wire_timing),
        KT_CASE(test_classic_keys), KT_CASE(test_classic_flash_beep_buzzer),
        KT_CASE(test_classic_noise), KT_CASE(test_d2_startup_vectors), KT_CASE(test_d2_lights_and_zones),
        KT_CASE(test_d2_beep_tone_buzzer), KT_CASE(test_time_and_status), KT_CASE(test_bad_args),
        KT_CASE(test_wire_timing), KT_CASE(test_powerup_wait), KT_CASE(test_alarm_noise_rejected),
        KT_CASE(test_contention_counted), KT_CASE(test_stuck_low_line_no_keys), KT_CASE(test_startup_sequence),
        KT_CASE(test_scheduler_order), KT_CASE(test_keys_read_back), KT_CASE(test_alarm_keys), KT_CASE(test_alarm_key_during_startup),
        KT_CASE(test_keypad_zone), KT_CASE(test_task_stops_bus_idles), KT_CASE(test_noise))
