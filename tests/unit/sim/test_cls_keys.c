/* SPDX-License-Identifier: MIT
 *
 * test_cls_keys.c - the Classic virtual keypad (kb_cls_keys.h and the
 * Classic link's write path) in closed loop: the writer's keys go out in
 * the keypad slots of the simulated Classic wire (open collector: ANDed
 * with a simulated keypad's), the simulated panel acts on what the wire
 * carried, the decoder shows the result. Also the request checks, quirks
 * A10.2 (alarm-key gate) and A10.3 (6-digit codes).
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "host/kb_cls_edges.h"
#include "keybus/kb_classic.h"
#include "keybus/kb_cls_keys.h"
#include "sim/kb_sim_classic.h"

static kb_simc_wire_t wire;
static kb_cls_replay_t port;
static kb_cls_t dec;
static kb_cls_keys_t kp;
static unsigned nwrote;

static void on_frame(void *ctx, const kb_cls_frame_t *f, uint64_t t_us) {
  (void)ctx;
  (void)kb_cls_frame(&dec, f, (uint32_t)(t_us / 1000u));
  nwrote += f->wrote != 0;
  kb_cls_keys_step(&kp, f, true, (uint32_t)(t_us / 1000u));
}

static void rig(const char *code, uint32_t exit_ms) {
  kb_simc_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.exit_delay_ms = exit_ms;
  strcpy(cfg.code, code);
  kb_cls_init(&dec, KB_MODE_LIVE, NULL, NULL);
  kb_cls_replay_init(&port, 0, on_frame, NULL, NULL);
  kb_cls_keys_init(&kp, &port.link);
  kb_simc_wire_init(&wire, &cfg, 1000, kb_cls_replay_port, &port);
  nwrote = 0;
}

static uint32_t now_ms(void) { return (uint32_t)(wire.wave.t / 1000u); }

static void run_to(double t_s) {
  uint64_t end = (uint64_t)(t_s * 1e6);
  while (wire.wave.t < end) {
    kb_cls_keys_step(&kp, NULL, true, now_ms()); /* the task between frames */
    kb_simc_wire_step(&wire);
  }
}

static const kb_partition_t *P(void) { return &dec.status.part[0]; }

static void write_arm_away_and_disarm(void) {
  rig("1234", 2000);
  run_to(1);
  KT_EQ(kb_cls_keys_submit(&kp, "w", "1234", now_ms()), KB_OK);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_PENDING);
  KT_EQ(kb_cls_keys_submit(&kp, "1", NULL, now_ms()), KB_ERR_BUSY);
  run_to(2);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  KT_EQ(nwrote, 6); /* 1 2 3 4 * 1, each in its own frame */
  KT_EQ(P()->exit_delay, 1);
  run_to(5);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(kb_cls_keys_submit(&kp, "1234", NULL, now_ms()), KB_OK);
  run_to(7);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->ready, 1);
  /* the request's keys (the code) are gone */
  for (unsigned i = 0; i < KB_CLS_KEYS_MAX; i++) KT_EQ(kp.key[i], 0xFF);
  KT_EQ(port.link.wr_armed, 0);
}

/* One key per frame at most, 50 ms apart at least (A7). */
static void one_key_per_frame(void) {
  rig("1234", 2000);
  run_to(1);
  KT_EQ(kb_cls_keys_submit(&kp, "1#2#3", NULL, now_ms()), KB_OK);
  run_to(2);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  for (unsigned i = 1; i < 5; i++) KT_CHECK(kp.t_key_ms[i] - kp.t_key_ms[i - 1] >= KB_CLS_KEYS_HOLDOFF_MS);
}

static void request_checks(void) {
  rig("1234", 2000);
  KT_EQ(kb_cls_keys_submit(&kp, "", NULL, 0), KB_ERR_KEY);
  KT_EQ(kb_cls_keys_submit(&kp, "c", NULL, 0), KB_ERR_KEY);     /* chime: not on Classic */
  KT_EQ(kb_cls_keys_submit(&kp, "12x", NULL, 0), KB_ERR_KEY);   /* one bad key refuses all */
  KT_EQ(kb_cls_keys_submit(&kp, "@", "1234", 0), KB_ERR_KEY);
  KT_EQ(kb_cls_keys_submit(&kp, "s", NULL, 0), KB_ERR_CODE);    /* shortcuts need a code */
  KT_EQ(kb_cls_keys_submit(&kp, "w", "12345", 0), KB_ERR_CODE);
  KT_EQ(kb_cls_keys_submit(&kp, "n", "12a4", 0), KB_ERR_CODE);
  KT_EQ(kb_cls_keys_submit(&kp, "123456789012345678901234567890123", NULL, 0), KB_ERR_KEY);
  KT_EQ(kb_cls_keys_submit(&kp, NULL, NULL, 0), KB_ERR_KEY);
  KT_EQ(kb_cls_keys_submit(&kp, "s", "1234567", 0), KB_ERR_CODE); /* 7 digits */
  KT_EQ(kb_cls_keys_submit(&kp, "wwwww", "123456", 0), KB_ERR_KEY); /* 40 keys: too long, refused whole */
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_IDLE);
  KT_EQ(kb_cls_keys_submit(&kp, "wwww", "123456", 0), KB_OK);      /* 32 keys: fits */
  KT_EQ(kp.n, 32);
  kb_cls_keys_init(&kp, &port.link);
  KT_EQ(kb_cls_keys_submit(&kp, "S", "4321", 0), KB_OK); /* stay: the code alone */
  KT_EQ(kp.n, 4);
  KT_EQ(kp.key[0], 0xBD);
  kb_cls_keys_init(&kp, &port.link);
  KT_EQ(kb_cls_keys_submit(&kp, "fA", NULL, 0), KB_OK);
  KT_EQ(kp.key[0], KB_CLS_KEY_FIRE);
  KT_EQ(kp.key[1], KB_CLS_KEY_AUX);
}

/* A10.3: a 6-digit code in the away and night strings (the reference's
 * 7-byte buffers overflow): every key is there, in order, and the panel
 * arms. */
static void quirk3_six_digit_code_shortcuts(void) {
  static const uint8_t want_n[] = {0xB7, 0xEB, 0xBE, 0xDE, 0xEE, 0xBD, 0xDD, 0xED}; /* * 9 1 2 3 4 5 6 */
  rig("123456", 2000);
  KT_EQ(kb_cls_keys_submit(&kp, "n", "123456", 0), KB_OK);
  KT_EQ(kp.n, 8);
  KT_CHECK(memcmp(kp.key, want_n, 8) == 0);
  kb_cls_keys_init(&kp, &port.link);
  KT_EQ(kb_cls_keys_submit(&kp, "w", "123456", 0), KB_OK);
  KT_EQ(kp.n, 8);
  KT_EQ(kp.key[6], 0xB7);
  KT_EQ(kp.key[7], 0xBE);
  kb_cls_keys_init(&kp, &port.link);
  run_to(1);
  KT_EQ(kb_cls_keys_submit(&kp, "n", "123456", now_ms()), KB_OK);
  run_to(6);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->no_entry_delay, 1);
}

/* A10.2: after an alarm key only the next key waits (500 ms), and it is
 * typed, not dropped; the keys after it go at the normal pace, and a later
 * request is not slowed at all. */
static void quirk2_alarm_gate_not_sticky(void) {
  rig("1234", 2000);
  run_to(1);
  KT_EQ(kb_cls_keys_submit(&kp, "p123", NULL, now_ms()), KB_OK);
  run_to(3);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  KT_EQ(nwrote, 4);
  KT_CHECK(kp.t_key_ms[1] - kp.t_key_ms[0] >= KB_CLS_KEYS_ALARM_MS);
  KT_CHECK(kp.t_key_ms[2] - kp.t_key_ms[1] < 200u);
  KT_CHECK(kp.t_key_ms[3] - kp.t_key_ms[2] < 200u);
  KT_EQ(dec.status.keypad_alarm[2], 1); /* the panel saw the P key */
  KT_EQ(kb_cls_keys_submit(&kp, "45", NULL, now_ms()), KB_OK);
  run_to(4);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DONE);
  KT_CHECK(kp.t_key_ms[1] - kp.t_key_ms[0] < 200u);
}

/* Another keypad types in the same frames: the echo differs, the request
 * ends COLLIDED (the wire carried the AND of both keys). */
static void collision_detected(void) {
  rig("1234", 2000);
  run_to(1);
  kb_simc_wire_keys(&wire, "9999999999");
  run_to(1.2);
  KT_EQ(kb_cls_keys_submit(&kp, "1111111111", NULL, now_ms()), KB_OK);
  run_to(3);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_COLLIDED);
  for (unsigned i = 0; i < KB_CLS_KEYS_MAX; i++) KT_EQ(kp.key[i], 0xFF);
}

/* No clock: the key never goes out; the request times out and the armed
 * key is replaced by 0xFF (only releases). A disconnection ends it too. */
static void timeout_and_disconnect(void) {
  rig("1234", 2000);
  KT_EQ(kb_cls_keys_submit(&kp, "12", NULL, 100), KB_OK);
  kb_cls_keys_step(&kp, NULL, true, 100);
  KT_EQ(port.link.wr_armed, 1);
  kb_cls_keys_step(&kp, NULL, true, 100 + KB_CLS_KEYS_KEY_MS + 1);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_TIMED_OUT);
  KT_EQ(port.link.wr_key, 0xFF);
  kb_cls_keys_init(&kp, &port.link);
  port.link.wr_armed = 0;
  KT_EQ(kb_cls_keys_submit(&kp, "12", NULL, 100), KB_OK);
  kb_cls_keys_step(&kp, NULL, false, 200);
  KT_EQ(kb_cls_keys_result(&kp), KB_CLS_KEYS_DISCONNECTED);
}

KT_MAIN(KT_CASE(write_arm_away_and_disarm), KT_CASE(one_key_per_frame), KT_CASE(request_checks),
        KT_CASE(quirk3_six_digit_code_shortcuts), KT_CASE(quirk2_alarm_gate_not_sticky),
        KT_CASE(collision_detected), KT_CASE(timeout_and_disconnect))
