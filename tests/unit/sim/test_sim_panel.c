/* SPDX-License-Identifier: MIT
 *
 * test_sim_panel.c - the simulated panel, driven message by message in
 * virtual time with a tiny fake keypad that writes key bytes into the module
 * stream. Every frame the panel emits must pass kb_decode_panel(); the
 * engine (live input) is fed the same frames and must come to the model's
 * truth.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_proto.h"
#include "sim/kb_sim_panel.h"

/* ------------------------------------------------------------ rig */

#define LOG_N 32768
#define MAX_PEV 512
#define MAX_ACTS 1024

typedef struct {
  uint8_t b[16];
  uint8_t n;
  uint64_t t;
} frame_t;

static struct {
  kb_sim_panel_t p;
  kb_engine_t eng;
  uint64_t t;
  frame_t log[LOG_N];
  unsigned nlog;
  unsigned bad;   /* frames that failed a check */
  unsigned count[256];
  kb_event_t pev[MAX_PEV];
  unsigned npev;
  /* fake keypad: one queue of (partition, key) */
  uint8_t kq_part[256], kq_key[256];
  unsigned kq_head, kq_len;
  uint8_t alarm_key;
  int alarm_sends; /* messages still to carry alarm_key in byte 0 */
  int kslot;       /* partitions 1-4 type into: 0 = 0x05, 1 = 0x0A only, 2 = either */
  unsigned keys_0a; /* keys the fake keypad put into a 0x0A */
  kb_sim_act_t acts[MAX_ACTS]; /* the panel's ground truth, in order */
  unsigned nacts;
} R;

static void on_act(void *ctx, const kb_sim_act_t *a) {
  (void)ctx;
  if (R.nacts < MAX_ACTS) R.acts[R.nacts++] = *a;
}

static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->type == KB_EV_PANEL_EVENT && R.npev < MAX_PEV) R.pev[R.npev++] = *ev;
}

static void rig(const kb_sim_cfg_t *c) {
  memset(&R, 0, sizeof R);
  R.t = 1000000;
  kb_sim_panel_init(&R.p, c, R.t);
  kb_sim_panel_on_act(&R.p, on_act, NULL);
  kb_engine_init(&R.eng, KB_MODE_LIVE, on_event, NULL);
}

static void rig_default(int later_gen) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, later_gen);
  rig(&c);
}

static void step(void) {
  uint8_t b[16], mod[16];
  uint16_t bits;
  uint32_t gap;
  kb_decoded_t d;
  uint8_t n;
  kb_sim_panel_next(&R.p, R.t, b, &bits, &gap);
  R.t += gap;
  n = kb_decode_nbytes(bits);
  kb_decode_panel(b, n, bits, &d);
  if (d.check != KB_CHECK_OK) {
    if (R.bad < 5)
      fprintf(stderr, "  bad frame %02X (%u bytes): check %u\n", b[0], n, (unsigned)d.check);
    R.bad++;
  }
  R.count[b[0]]++;
  if (R.nlog < LOG_N) {
    memcpy(R.log[R.nlog].b, b, 16);
    R.log[R.nlog].n = n;
    R.log[R.nlog].t = R.t;
    R.nlog++;
  }
  (void)kb_engine_panel(&R.eng, b, n, bits, 0, (uint32_t)(R.t / 1000u), NULL);
  /* the fake keypad answers */
  memset(mod, KB_KEY_NONE, sizeof mod);
  if (R.alarm_sends > 0) {
    mod[0] = R.alarm_key;
    R.alarm_sends--;
  }
  if ((b[0] == KB_CMD_STATUS_HIGH || (b[0] == KB_CMD_STATUS && R.kslot != 1) ||
       (b[0] == KB_CMD_PROG_STATUS && R.kslot != 0)) &&
      R.kq_len) {
    static const uint8_t slot[4] = {2, 3, 8, 9};
    unsigned part = R.kq_part[R.kq_head % 256];
    unsigned base = b[0] == KB_CMD_STATUS_HIGH ? 5 : 1;
    if (part >= base && part < base + 4 && slot[part - base] < n) {
      mod[slot[part - base]] = R.kq_key[R.kq_head % 256];
      R.kq_head++;
      R.kq_len--;
      R.keys_0a += b[0] == KB_CMD_PROG_STATUS;
    }
  }
  R.t += (uint64_t)bits * 1000u;
  kb_sim_panel_module(&R.p, R.t, mod, bits);
}

static void run_s(double s) {
  uint64_t end = R.t + (uint64_t)(s * 1e6);
  while (R.t < end) step();
}

/* The virtual keypad's alphabet (kb_keys.h): one table of key codes. */
static uint8_t keycode(char ch) { return kb_keys_code(ch); }

/* Queues keys for a partition and runs until the keypad has sent them. */
static void type(unsigned part, const char *s) {
  for (; *s; s++) {
    R.kq_part[(R.kq_head + R.kq_len) % 256] = (uint8_t)part;
    R.kq_key[(R.kq_head + R.kq_len) % 256] = keycode(*s);
    R.kq_len++;
  }
  while (R.kq_len) step();
}

static void zone(unsigned z, bool open) { kb_sim_panel_zone(&R.p, z, open, R.t); }

static const kb_sim_truth_t *T(void) { return kb_sim_panel_truth(&R.p); }
static const kb_sim_part_truth_t *TP(unsigned part) { return &T()->part[part - 1]; }
static const kb_partition_t *EP(unsigned part) { return &R.eng.status.part[part - 1]; }

/* A status frame (0x05/0x1B) logged from index `from` on that carries status
 * st for partition part. */
static bool saw_status(unsigned from, unsigned part, uint8_t st) {
  uint8_t cmd = part <= 4 ? KB_CMD_STATUS : KB_CMD_STATUS_HIGH;
  unsigned i = (part - 1u) % 4u;
  for (unsigned k = from; k < R.nlog; k++)
    if (R.log[k].b[0] == cmd && 3u + 2u * i < R.log[k].n && R.log[k].b[3 + 2 * i] == st)
      return true;
  return false;
}

static unsigned count_cmd(unsigned from, uint8_t cmd) {
  unsigned c = 0;
  for (unsigned k = from; k < R.nlog; k++) c += R.log[k].b[0] == cmd;
  return c;
}

static const kb_event_t *find_pev(unsigned kind, unsigned number) {
  for (unsigned i = 0; i < R.npev; i++)
    if (R.pev[i].panel.pev.kind == kind && R.pev[i].panel.pev.number == number) return &R.pev[i];
  return NULL;
}

static bool zbit(const uint8_t *m, unsigned z) { return (m[(z - 1) / 8] >> ((z - 1) % 8)) & 1u; }

/* The engine's view agrees with the model's truth (at a stable moment). */
static void agree(void) {
  const kb_sim_truth_t *t = T();
  for (unsigned part = 1; part <= 8; part++) {
    const kb_sim_part_truth_t *tp = &t->part[part - 1];
    const kb_partition_t *ep = EP(part);
    if (!tp->enabled) {
      if (ep->known) KT_EQ(ep->disabled, 1);
      continue;
    }
    KT_EQ(ep->status, tp->status);
    KT_EQ(ep->lights, tp->lights);
    KT_EQ(ep->ready, tp->ready);
    KT_EQ(ep->armed, tp->armed == KB_SIM_ARM_NIGHT ? KB_ARMED_STAY : tp->armed);
    KT_EQ(ep->no_entry_delay, tp->no_entry_delay);
    KT_EQ(ep->exit_delay, tp->exit_delay);
    KT_EQ(ep->entry_delay, tp->entry_delay);
    KT_EQ(ep->alarm, tp->alarm);
    KT_EQ(ep->fire, tp->fire);
    if (tp->access_code) KT_EQ(ep->access_code, tp->access_code);
  }
  for (unsigned z = 1; z <= 64; z++) {
    KT_EQ(zbit(R.eng.status.zones_open, z), zbit(t->zones_open, z));
    KT_EQ(zbit(R.eng.status.zones_alarm, z), zbit(t->zones_alarm, z));
  }
  KT_EQ(R.eng.status.trouble, t->trouble);
  KT_EQ(R.eng.status.ac_power, t->ac_ok);
  KT_EQ(R.eng.status.battery_ok, t->battery_ok);
  KT_EQ(R.eng.status.pgm, t->pgm);
  KT_EQ(R.eng.status.time.year, t->time.year);
  KT_EQ(R.eng.status.time.month, t->time.month);
  KT_EQ(R.eng.status.time.day, t->time.day);
  KT_EQ(R.eng.status.time.hour, t->time.hour);
  KT_EQ(R.eng.status.time.minute, t->time.minute);
}

/* ------------------------------------------------------------ tests */

static void frames_decode_later_gen(void) {
  rig_default(1);
  run_s(2);
  type(1, "1234");
  run_s(12);
  zone(1, true);
  run_s(12);
  type(1, "1234");
  zone(1, false);
  kb_sim_panel_ac(&R.p, false, R.t);
  run_s(10 * 60);
  KT_EQ(R.bad, 0);
  KT_EQ(R.log[0].b[0], KB_CMD_CONFIG); /* version first */
  KT_CHECK(R.count[KB_CMD_STATUS] > 1000);
  KT_CHECK(R.count[KB_CMD_STATUS_HIGH] > 1000);
  KT_CHECK(R.count[KB_CMD_CONFIG] >= 3); /* start, 4 and 8 min */
  KT_CHECK(R.count[KB_CMD_QUERY] >= 20 && R.count[KB_CMD_QUERY] <= 23);
  KT_CHECK(R.count[KB_CMD_ZONES_1] >= 3);
  KT_CHECK(R.count[KB_CMD_EVENT_HIGH] >= 5);
  KT_CHECK(R.count[KB_CMD_EXTENDED] >= 3);
  KT_CHECK(R.count[KB_CMD_EVENT] >= 10);
  KT_EQ(R.count[KB_CMD_PROG_STATUS], 0); /* no menu, no programming status */
  KT_EQ(R.count[0x0F], 0);
  for (unsigned k = 0; k < R.nlog; k++) {
    if (R.log[k].b[0] == KB_CMD_STATUS || R.log[k].b[0] == KB_CMD_STATUS_HIGH)
      KT_EQ(R.log[k].n, 10);
    if (R.log[k].b[0] == KB_CMD_QUERY) KT_EQ(R.log[k].n, 9);
  }
  KT_EQ(R.eng.health.frames, R.eng.health.frames_ok);
  KT_EQ(R.eng.status.version, 0x41);
  KT_EQ(R.eng.status.early, 0);
  agree();
}

static void frames_decode_early_gen(void) {
  rig_default(0);
  run_s(2);
  type(1, "1234");
  run_s(12);
  zone(2, true);
  run_s(3);
  type(1, "1234");
  zone(2, false);
  run_s(5 * 60);
  KT_EQ(R.bad, 0);
  KT_EQ(R.count[KB_CMD_STATUS_HIGH], 0);
  KT_EQ(R.count[KB_CMD_EVENT_HIGH], 0);
  KT_EQ(R.count[KB_CMD_EXTENDED], 0);
  KT_CHECK(R.count[KB_CMD_STATUS] > 1000);
  for (unsigned k = 0; k < R.nlog; k++) {
    if (R.log[k].b[0] == KB_CMD_STATUS) KT_EQ(R.log[k].n, 6);
    if (R.log[k].b[0] == KB_CMD_QUERY) KT_EQ(R.log[k].n, 7);
    if (R.log[k].b[0] == KB_CMD_ZONES_1) { /* unused partition 2 reads FF FF */
      KT_EQ(R.log[k].b[4], 0xFF);
      KT_EQ(R.log[k].b[5], KB_ST_ABSENT);
    }
  }
  KT_EQ(R.eng.status.early, 1);
  KT_EQ(R.eng.status.version, 0x23);
  KT_EQ(EP(2)->disabled, 1);
  agree();
}

static void arm_away_by_code(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  agree();
  KT_EQ(EP(1)->status, KB_ST_READY);
  KT_EQ(EP(1)->lights, 0x81);
  from = R.nlog;
  type(1, "1234");
  run_s(1);
  KT_EQ(TP(1)->exit_delay, 1);
  KT_EQ(EP(1)->exit_delay, 1);
  KT_EQ(EP(1)->exit_target, KB_EXIT_AWAY);
  KT_CHECK(saw_status(from, 1, 0x08));
  agree();
  run_s(10);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
  KT_EQ(EP(1)->armed, KB_ARMED_AWAY);
  KT_EQ(EP(1)->status, 0x05);
  KT_CHECK(find_pev(KB_PEV_ARMED_AWAY, 0) != NULL);
  KT_CHECK(find_pev(KB_PEV_ARMED_BY_CODE, 1) != NULL);
  KT_EQ(EP(1)->access_code, 1);
  agree();
  /* disarm by the master code */
  from = R.nlog;
  type(1, "5555");
  run_s(0.5);
  KT_CHECK(saw_status(from, 1, 0x3E));
  KT_CHECK(find_pev(KB_PEV_DISARMED_BY_CODE, 40) != NULL);
  run_s(2);
  KT_EQ(EP(1)->armed, KB_ARMED_NONE);
  KT_EQ(EP(1)->access_code, 40);
  agree();
}

static void wrong_code(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  from = R.nlog;
  type(1, "9999");
  run_s(0.4);
  KT_EQ(TP(1)->status, KB_ST_WRONG_CODE);
  KT_EQ(EP(1)->status, KB_ST_WRONG_CODE);
  run_s(2);
  KT_CHECK(saw_status(from, 1, KB_ST_WRONG_CODE));
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_EQ(TP(1)->exit_delay, 0);
  KT_EQ(EP(1)->status, KB_ST_READY);
  agree();
}

static void arm_not_ready(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  zone(6, true);
  run_s(1);
  KT_EQ(EP(1)->status, 0x03);
  KT_EQ(EP(1)->ready, 0);
  KT_CHECK(zbit(R.eng.status.zones_open, 6));
  from = R.nlog;
  type(1, "1234");
  run_s(0.5);
  KT_EQ(TP(1)->status, KB_ST_ARMING_FAILED);
  run_s(2);
  KT_CHECK(saw_status(from, 1, KB_ST_ARMING_FAILED));
  KT_EQ(TP(1)->exit_delay, 0);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  /* stay key while not ready: same */
  from = R.nlog;
  type(1, "s");
  run_s(2);
  KT_CHECK(saw_status(from, 1, KB_ST_ARMING_FAILED));
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  agree();
}

static void arm_away_then(void) {
  rig_default(1);
  run_s(2);
  type(1, "1234");
  run_s(11);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
}

static void entry_delay_disarm_in_time(void) {
  arm_away_then();
  zone(1, true);
  run_s(2);
  KT_EQ(TP(1)->entry_delay, 1);
  KT_EQ(EP(1)->entry_delay, 1);
  KT_EQ(EP(1)->status, 0x0C);
  agree();
  type(1, "1234");
  run_s(2);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_EQ(TP(1)->alarm, 0);
  KT_CHECK(find_pev(KB_PEV_DISARMED_BY_CODE, 1) != NULL);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 1) == NULL);
  zone(1, false);
  run_s(2);
  agree();
}

static void entry_delay_late_alarm(void) {
  unsigned from;
  arm_away_then();
  zone(1, true);
  run_s(11);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(EP(1)->alarm, 1);
  KT_EQ(EP(1)->status, 0x11);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 1) != NULL);
  KT_CHECK(zbit(R.eng.status.zones_alarm, 1));
  KT_CHECK(count_cmd(0, 0xBB) >= 1); /* bell */
  agree();
  from = R.nlog;
  type(1, "1234");
  run_s(0.5);
  KT_CHECK(saw_status(from, 1, 0x3D)); /* disarmed, alarm memory */
  run_s(2);
  KT_EQ(TP(1)->memory, 1);
  KT_EQ(EP(1)->lights & 0x04, 0x04);
  KT_EQ(EP(1)->alarm, 0);
  zone(1, false); /* the zone restores */
  run_s(2);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM_RESTORED, 1) != NULL);
  KT_EQ(zbit(R.eng.status.zones_alarm, 1), 0);
  KT_EQ(EP(1)->status, KB_ST_READY);
  agree();
  /* arming clears the memory */
  type(1, "1234");
  run_s(1);
  KT_EQ(TP(1)->memory, 0);
  agree();
}

static void instant_zone_alarm(void) {
  arm_away_then();
  zone(2, true);
  run_s(1.5);
  KT_EQ(TP(1)->alarm, 1);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 2) != NULL);
  agree();
  /* interior zones alarm at once in away */
  zone(3, true);
  run_s(1.5);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 3) != NULL);
  agree();
}

static void fire_zone(void) {
  rig_default(1);
  run_s(2);
  zone(4, true);
  run_s(1.5);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(TP(1)->fire, 1);
  KT_EQ(EP(1)->fire, 1);
  KT_EQ(EP(1)->lights & 0x40, 0x40);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 4) != NULL);
  agree();
  type(1, "1234"); /* silence */
  zone(4, false);
  run_s(2);
  KT_EQ(TP(1)->fire, 0);
  KT_EQ(TP(1)->alarm, 0);
  agree();
}

static void zone_24h(void) {
  rig_default(1);
  run_s(2);
  zone(5, true);
  run_s(1.5);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(TP(1)->fire, 0);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 5) != NULL);
  agree();
}

static void panic_key_handshake(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  /* pressed once, not repeated during the 0x1C: no alarm */
  from = R.nlog;
  R.alarm_key = KB_KEY_ALARM_PANIC;
  R.alarm_sends = 1;
  run_s(1);
  KT_EQ(count_cmd(from, KB_CMD_VERIFY), 1);
  KT_EQ(T()->keypad_alarm[2], 0);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_PANIC_ALARM, 0) == NULL);
  /* repeated: 0x1C, then a beep and the event */
  from = R.nlog;
  R.alarm_sends = 2;
  run_s(1);
  KT_EQ(count_cmd(from, KB_CMD_VERIFY), 1);
  for (unsigned k = from; k < R.nlog; k++)
    if (R.log[k].b[0] == KB_CMD_VERIFY) {
      KT_EQ(R.log[k].n, 2);
      KT_EQ(R.log[k - 1].b[0] != KB_CMD_VERIFY, 1);
      break;
    }
  KT_EQ(count_cmd(from, KB_CMD_BEEP), 1);
  /* raised, then restored ~0.2 s later (captures): the engine saw both */
  KT_CHECK(find_pev(KB_PEV_KEYPAD_PANIC_ALARM, 0) != NULL);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_PANIC_RESTORED, 0) != NULL);
  KT_EQ(T()->keypad_alarm[2], 0);
  KT_EQ(R.eng.status.keypad_alarm[2], 0);
  /* fire key: raised in the truth and the engine until its restore */
  R.alarm_key = KB_KEY_ALARM_FIRE;
  R.alarm_sends = 2;
  while (!T()->keypad_alarm[0]) step();
  while (!find_pev(KB_PEV_KEYPAD_FIRE_ALARM, 0)) step();
  KT_EQ(R.eng.status.keypad_alarm[0], 1);
  run_s(1);
  KT_EQ(R.eng.status.keypad_alarm[0], 0);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_FIRE_RESTORED, 0) != NULL);
  agree();
}

static void chime_toggle(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  from = R.nlog;
  type(1, "c");
  run_s(0.3);
  KT_EQ(TP(1)->chime, 1);
  KT_CHECK(saw_status(from, 1, 0xA3));
  run_s(2);
  KT_EQ(EP(1)->status, KB_ST_READY);
  /* a delay zone opening beeps */
  from = R.nlog;
  zone(1, true);
  run_s(1);
  KT_CHECK(count_cmd(from, KB_CMD_BEEP) >= 1);
  zone(1, false);
  from = R.nlog;
  type(1, "*4");
  run_s(0.3);
  KT_EQ(TP(1)->chime, 0);
  KT_CHECK(saw_status(from, 1, KB_ST_STAR_MENU));
  KT_CHECK(saw_status(from, 1, 0xA4));
  run_s(2);
  agree();
}

static void bypass_star1(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  zone(6, true);
  run_s(1);
  from = R.nlog;
  type(1, "*106");
  KT_EQ(TP(1)->menu, KB_SIM_MENU_BYPASS);
  KT_CHECK(saw_status(from, 1, KB_ST_BYPASS_MENU));
  type(1, "#");
  run_s(2);
  KT_CHECK(zbit(T()->zones_bypass, 6));
  KT_CHECK(find_pev(KB_PEV_ZONE_BYPASSED, 6) != NULL);
  KT_CHECK(zbit(R.eng.status.zones_bypass, 6));
  KT_EQ(TP(1)->ready, 1);
  KT_EQ(TP(1)->lights & 0x08, 0x08);
  agree();
  /* armed with the zone open: bypassed, no alarm */
  type(1, "1234");
  run_s(11);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
  KT_EQ(TP(1)->alarm, 0);
  agree();
  type(1, "1234");
  run_s(2);
  KT_EQ(zbit(T()->zones_bypass, 6), 0); /* disarming ends the bypass */
  KT_EQ(zbit(R.eng.status.zones_bypass, 6), 0);
  zone(6, false);
  run_s(2);
  agree();
}

static void command_output_star7(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  from = R.nlog;
  type(1, "*7");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  type(1, "1234");
  KT_EQ(TP(1)->status, 0xB2);
  type(1, "1");
  run_s(0.5);
  KT_CHECK(saw_status(from, 1, 0x33));
  KT_EQ(T()->pgm, 0x0001);
  KT_EQ(R.eng.status.pgm, 0x0001);
  KT_CHECK(count_cmd(from, 0x87) >= 1);
  KT_CHECK(find_pev(KB_PEV_COMMAND_OUTPUT, 1) != NULL);
  run_s(6); /* 5 s pulse */
  KT_EQ(T()->pgm, 0);
  KT_EQ(R.eng.status.pgm, 0);
  /* the command output 4 key, then the code */
  type(1, "}1234");
  run_s(0.5);
  KT_EQ(T()->pgm, 0x0008);
  KT_EQ(R.eng.status.pgm, 0x0008);
  KT_CHECK(find_pev(KB_PEV_COMMAND_OUTPUT, 4) != NULL);
  run_s(2);
  agree();
}

static void ac_loss_trouble(void) {
  rig_default(1);
  run_s(2);
  kb_sim_panel_ac(&R.p, false, R.t);
  run_s(2);
  KT_EQ(T()->trouble, 1);
  KT_EQ(TP(1)->lights & 0x10, 0x10);
  KT_EQ(R.eng.status.trouble, 1);
  KT_EQ(R.eng.status.ac_power, 0);
  KT_CHECK(find_pev(KB_PEV_AC_TROUBLE, 0) != NULL);
  agree();
  kb_sim_panel_battery(&R.p, false, R.t);
  run_s(2);
  KT_EQ(R.eng.status.battery_ok, 0);
  agree();
  kb_sim_panel_ac(&R.p, true, R.t);
  kb_sim_panel_battery(&R.p, true, R.t);
  run_s(2);
  KT_EQ(R.eng.status.trouble, 0);
  KT_CHECK(find_pev(KB_PEV_AC_RESTORED, 0) != NULL);
  KT_CHECK(find_pev(KB_PEV_BATTERY_RESTORED, 0) != NULL);
  agree();
}

static void partitions_later_gen(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.partitions = 0xF3; /* 1, 2, 5-8 */
  c.zone[9].partition = 2;
  c.zone[9].type = KB_SIM_ZONE_DELAY; /* zone 10 */
  c.zone[16].partition = 5;
  c.zone[16].type = KB_SIM_ZONE_INSTANT; /* zone 17 */
  c.zone[39].partition = 8;
  c.zone[39].type = KB_SIM_ZONE_INSTANT; /* zone 40 */
  rig(&c);
  run_s(3);
  KT_EQ(EP(3)->disabled, 1);
  KT_EQ(EP(4)->disabled, 1);
  KT_EQ(EP(5)->status, KB_ST_READY);
  KT_EQ(EP(8)->status, KB_ST_READY);
  agree();
  /* partition 2 arms stay via its slot of 0x05 */
  type(2, "s1234");
  run_s(11);
  KT_EQ(TP(2)->armed, KB_SIM_ARM_STAY);
  KT_EQ(EP(2)->armed, KB_ARMED_STAY);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_CHECK(find_pev(KB_PEV_ARMED_STAY, 0) != NULL);
  agree();
  /* partition 5 arms away via 0x1B; its events are 0xEB only */
  type(5, "1234");
  run_s(11);
  KT_EQ(TP(5)->armed, KB_SIM_ARM_AWAY);
  KT_EQ(EP(5)->armed, KB_ARMED_AWAY);
  KT_EQ(EP(5)->access_code, 1);
  agree();
  zone(17, true);
  run_s(2);
  KT_EQ(TP(5)->alarm, 1);
  KT_EQ(EP(5)->alarm, 1);
  agree();
  /* partition 8: zone 40 (0xE6.0B) alarms through 0xEB set 4 */
  type(8, "w1234");
  run_s(11);
  zone(40, true);
  run_s(2);
  KT_CHECK(zbit(R.eng.status.zones_open, 40));
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 40) != NULL);
  KT_EQ(EP(8)->alarm, 1);
  agree();
  type(8, "1234");
  type(5, "1234");
  type(2, "1234");
  zone(40, false);
  zone(17, false);
  run_s(3);
  KT_EQ(R.bad, 0);
  agree();
}

static void early_gen_two_partitions(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 0);
  c.partitions = 0x03;
  c.zone[9].partition = 2;
  c.zone[9].type = KB_SIM_ZONE_DELAY;
  c.zone[40].partition = 1; /* zone 41: not on an early panel */
  c.zone[40].type = KB_SIM_ZONE_INSTANT;
  rig(&c);
  run_s(3);
  KT_EQ(EP(2)->status, KB_ST_READY);
  type(2, "s1234");
  run_s(11);
  KT_EQ(TP(2)->armed, KB_SIM_ARM_STAY);
  KT_EQ(EP(2)->armed, KB_ARMED_STAY);
  zone(41, true); /* ignored */
  zone(10, true);
  run_s(11);
  KT_EQ(TP(2)->alarm, 1);
  KT_CHECK(find_pev(KB_PEV_ZONE_ALARM, 10) != NULL);
  type(2, "1234");
  zone(10, false);
  run_s(3);
  KT_EQ(R.count[KB_CMD_STATUS_HIGH], 0);
  KT_EQ(R.count[KB_CMD_EVENT_HIGH], 0);
  KT_EQ(R.bad, 0);
  agree();
}

static void set_time_star6(void) {
  unsigned from;
  rig_default(1);
  run_s(2);
  KT_EQ(R.eng.status.time.year, 2024);
  from = R.nlog;
  type(1, "*6");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  type(1, "5555");
  KT_EQ(TP(1)->status, KB_ST_USER_MENU);
  type(1, "1");
  KT_EQ(TP(1)->status, KB_ST_SET_TIME);
  type(1, "0930021525");
  KT_EQ(TP(1)->status, KB_ST_USER_MENU);
  type(1, "#");
  run_s(1);
  KT_CHECK(saw_status(from, 1, KB_ST_STAR_MENU));
  KT_CHECK(saw_status(from, 1, KB_ST_SET_TIME));
  KT_EQ(T()->time.year, 2025);
  KT_EQ(T()->time.month, 2);
  KT_EQ(T()->time.day, 15);
  KT_EQ(T()->time.hour, 9);
  KT_EQ(T()->time.minute, 30);
  KT_EQ(EP(1)->status, KB_ST_READY);
  agree();
  /* the clock runs on (the seconds were not reset) */
  run_s(125);
  KT_CHECK(T()->time.minute == 32 || T()->time.minute == 33);
  agree();
}

static void periodic_and_clock(void) {
  rig_default(1);
  run_s(1.5);
  KT_EQ(count_cmd(0, KB_CMD_CONFIG), 1);
  KT_EQ(count_cmd(0, KB_CMD_ZONES_1), 1);
  KT_EQ(count_cmd(0, KB_CMD_QUERY), 1);
  run_s(30 * 60);
  /* every 4 min: 0x16 and 0x27; 0x11 every 30 s; 0xA5 timestamp every 60 s */
  KT_CHECK(count_cmd(0, KB_CMD_CONFIG) >= 8 && count_cmd(0, KB_CMD_CONFIG) <= 9);
  KT_CHECK(count_cmd(0, KB_CMD_ZONES_1) >= 8 && count_cmd(0, KB_CMD_ZONES_1) <= 9);
  KT_CHECK(count_cmd(0, KB_CMD_QUERY) >= 60 && count_cmd(0, KB_CMD_QUERY) <= 62);
  KT_CHECK(count_cmd(0, KB_CMD_EVENT) >= 30 && count_cmd(0, KB_CMD_EVENT) <= 32);
  KT_EQ(T()->time.hour, 12);
  KT_EQ(T()->time.minute, 30);
  agree();
  /* a day later the date rolls over */
  run_s(24 * 3600 - 30 * 60 + 90);
  KT_EQ(T()->time.day, 16);
  KT_EQ(T()->time.hour, 12);
  KT_EQ(R.bad, 0);
  agree();
}

static void night_and_stay(void) {
  rig_default(1);
  run_s(2);
  type(1, "n1234");
  run_s(0.6);
  KT_EQ(EP(1)->exit_target, KB_EXIT_NO_ENTRY_DELAY);
  run_s(11);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NIGHT);
  KT_EQ(EP(1)->armed, KB_ARMED_STAY);
  KT_EQ(EP(1)->no_entry_delay, 1);
  KT_EQ(EP(1)->status, 0x06);
  agree();
  zone(3, true); /* interior: bypassed at night */
  run_s(1);
  KT_EQ(TP(1)->alarm, 0);
  zone(1, true); /* delay zone: instant at night */
  run_s(1.5);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(TP(1)->entry_delay, 0);
  agree();
  type(1, "1234");
  zone(1, false);
  zone(3, false);
  run_s(2);
  agree();
  /* stay: interior ignored, Bypass light */
  type(1, "s1234");
  run_s(1);
  KT_EQ(EP(1)->exit_target, KB_EXIT_STAY);
  run_s(11);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_STAY);
  KT_EQ(TP(1)->lights & 0x08, 0x08);
  zone(3, true);
  run_s(1);
  KT_EQ(TP(1)->alarm, 0);
  agree();
}

static void quick_arm(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.quick_arm = 1;
  c.exit_delay_s = 3;
  rig(&c);
  run_s(2);
  type(1, "w");
  run_s(4);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
  KT_CHECK(find_pev(KB_PEV_ARMED_SPECIAL, 0) != NULL);
  agree();
  /* cancel during the exit delay */
  type(1, "1234");
  run_s(2);
  type(1, "s");
  run_s(1);
  KT_EQ(TP(1)->exit_delay, 1);
  type(1, "1234");
  run_s(2);
  KT_EQ(TP(1)->exit_delay, 0);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_EQ(EP(1)->exit_delay, 0);
  agree();
}

static void six_digit_codes_and_menu_exit(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.code_digits = 6;
  memcpy(c.code[1], "123456", 7);
  memcpy(c.code[KB_SIM_MASTER], "555555", 7);
  c.code[2][0] = 0;
  rig(&c);
  run_s(2);
  type(1, "*");
  KT_EQ(TP(1)->status, KB_ST_STAR_MENU);
  type(1, "#");
  KT_EQ(TP(1)->status, KB_ST_READY);
  type(1, "1234");
  KT_EQ(TP(1)->menu, KB_SIM_MENU_CODE);
  type(1, "56");
  run_s(1);
  KT_EQ(TP(1)->exit_delay, 1);
  type(1, "555555");
  run_s(2);
  KT_EQ(TP(1)->access_code, 40);
  /* 0x16 says 6-digit codes */
  for (unsigned k = 0; k < R.nlog; k++)
    if (R.log[k].b[0] == KB_CMD_CONFIG) KT_EQ(R.log[k].b[4] & 0x08, 0x08);
  agree();
}

static void deterministic(void) {
  static uint8_t a[4000][16];
  static uint32_t ga[4000];
  kb_sim_cfg_t c;
  kb_sim_panel_t *p = malloc(sizeof *p);
  uint64_t t = 0;
  uint16_t bits;
  uint32_t gap;
  unsigned diff_gap = 0;
  uint8_t mod[16];
  memset(mod, KB_KEY_NONE, sizeof mod);
  kb_sim_cfg_default(&c, 1);
  for (int run = 0; run < 3; run++) {
    c.seed = run == 2 ? 7 : 1;
    kb_sim_panel_init(p, &c, 0);
    t = 0;
    for (unsigned i = 0; i < 4000; i++) {
      uint8_t b[16];
      kb_sim_panel_next(p, t, b, &bits, &gap);
      if (i == 100) kb_sim_panel_zone(p, 2, true, t);
      t += gap + (uint64_t)bits * 1000u;
      kb_sim_panel_module(p, t, mod, bits);
      KT_CHECK(gap >= 1100);
      if (run == 0) {
        memcpy(a[i], b, 16);
        ga[i] = gap;
      } else if (run == 1) {
        if (memcmp(a[i], b, 16) != 0 || ga[i] != gap) {
          KT_CHECK(!"same seed, different output");
          break;
        }
      } else {
        diff_gap += ga[i] != gap;
      }
    }
  }
  KT_CHECK(diff_gap > 1000);
  free(p);
}

static void status_lights_rules(void) {
  rig_default(1);
  run_s(2);
  /* disabled partitions: 0xC7 with lights 0x00 (0x10 with a trouble) */
  KT_EQ(TP(2)->status, KB_ST_DISABLED);
  KT_EQ(TP(2)->lights, 0x00);
  KT_EQ(TP(6)->status, KB_ST_DISABLED);
  kb_sim_panel_ac(&R.p, false, R.t);
  KT_EQ(TP(2)->lights, 0x10);
  kb_sim_panel_ac(&R.p, true, R.t);
  /* exit delay away: Ready + Armed, no Bypass */
  type(1, "1234");
  KT_EQ(TP(1)->status, 0x08);
  KT_EQ(TP(1)->lights, 0x83);
  run_s(11);
  KT_EQ(TP(1)->lights, 0x82);
  type(1, "1234");
  run_s(2);
  KT_EQ(TP(1)->lights, 0x81);
  /* keys on a disabled partition are not read */
  type(2, "1234");
  run_s(1);
  KT_EQ(TP(2)->status, KB_ST_DISABLED);
  KT_EQ(T()->keys, 8);
}

static void trailing_bits(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.trailing_bits = 2;
  rig(&c);
  run_s(2);
  type(1, "1234");
  run_s(12);
  KT_EQ(R.bad, 0);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
  agree();
}


/* The 0x0A (0x0F) logged from index `from` on are well formed: 10 bytes,
 * checksum OK, partition 1 (2) in programming with the lights and status of
 * the 0x05 sent just before (no key typed in the window), zone lights zl
 * (bit z-1 = zone z, zones 1-32), byte 8
 * 0x00. Returns how many there were. */
static unsigned check_programming(unsigned from, uint8_t cmd, uint32_t zl) {
  unsigned part = cmd == 0x0F ? 2 : 1, c = 0, last05 = 0;
  for (unsigned k = from; k < R.nlog; k++) {
    const frame_t *f = &R.log[k];
    kb_decoded_t d;
    if (f->b[0] == KB_CMD_STATUS) last05 = k;
    if (f->b[0] != cmd) continue;
    c++;
    KT_EQ(f->n, 10);
    kb_decode_panel(f->b, f->n, (uint16_t)(8u * f->n - 7u), &d);
    KT_EQ(d.check, KB_CHECK_OK);
    KT_EQ(d.parts_kind, KB_PARTS_PROGRAMMING);
    KT_EQ(d.nparts, 1);
    KT_EQ(d.part[0].partition, part);
    if (last05) { /* (the first of the window may follow the 0x05 that took a key) */
      KT_EQ(d.part[0].lights, R.log[last05].b[2 * part]);
      KT_EQ(d.part[0].status, R.log[last05].b[2 * part + 1]);
    }
    KT_CHECK(f->b[3] >= KB_ST_MENU_FIRST);
    KT_EQ(f->b[2] & 0x20, 0x20); /* Program light */
    KT_EQ((uint32_t)f->b[4] | (uint32_t)f->b[5] << 8 | (uint32_t)f->b[6] << 16 |
              (uint32_t)f->b[7] << 24,
          zl);
    KT_EQ(f->b[8], 0x00);
  }
  return c;
}

/* One 0x05 per round as before: between two 0x05 at most one each of 0x1B,
 * 0x0A, 0x0F and one other message (0x1C aside). */
static void rounds_keep_05(unsigned from) {
  unsigned n1b = 0, n0a = 0, n0f = 0, other = 0;
  for (unsigned k = from; k < R.nlog; k++) {
    uint8_t c = R.log[k].b[0];
    if (c == KB_CMD_STATUS) {
      n1b = n0a = n0f = other = 0;
      continue;
    }
    if (c == KB_CMD_STATUS_HIGH) n1b++;
    else if (c == KB_CMD_PROG_STATUS) n0a++;
    else if (c == 0x0F) n0f++;
    else if (c != KB_CMD_VERIFY) other++;
    KT_CHECK(n1b <= 1 && n0a <= 1 && n0f <= 1 && other <= 1);
  }
}

static void menu_sends_0a(void) {
  unsigned from, n05, n0a;
  rig_default(1);
  run_s(2);
  zone(2, true);
  run_s(1);
  /* typing a code from the plain display is no menu */
  type(1, "12");
  run_s(1);
  KT_EQ(TP(1)->menu, KB_SIM_MENU_CODE);
  KT_EQ(count_cmd(0, KB_CMD_PROG_STATUS), 0);
  type(1, "#");
  /* '*' through 0x05: the panel shows 0x9E and sends 0x0A every round */
  type(1, "*");
  from = R.nlog;
  run_s(2);
  KT_EQ(TP(1)->status, KB_ST_STAR_MENU);
  n0a = check_programming(from, KB_CMD_PROG_STATUS, 0x02); /* open zone 2 */
  n05 = count_cmd(from, KB_CMD_STATUS);
  KT_CHECK(n0a >= 5);
  KT_CHECK(n05 + 1 >= n0a && n05 <= n0a + 1); /* one of each per round */
  KT_EQ(count_cmd(from, 0x0F), 0);
  rounds_keep_05(0);
  KT_EQ(EP(1)->status, KB_ST_STAR_MENU); /* the engine reads 0x05; 0x0A does not disturb it */
  /* keys typed into the 0x0A slot only are acted on: *1, bypass zone 6 */
  R.kslot = 1;
  type(1, "1");
  KT_EQ(TP(1)->menu, KB_SIM_MENU_BYPASS);
  KT_EQ(R.keys_0a, 1);
  from = R.nlog;
  run_s(1);
  /* *1: bypassed zones (none yet) */
  KT_EQ(check_programming(from, KB_CMD_PROG_STATUS, 0x00) > 0, 1);
  type(1, "06");
  KT_EQ(R.keys_0a, 3);
  KT_CHECK(zbit(T()->zones_bypass, 6));
  from = R.nlog;
  run_s(1);
  KT_EQ(TP(1)->status, KB_ST_BYPASS_MENU);
  /* zone 6 bypassed, open zone 2 not shown */
  KT_EQ(check_programming(from, KB_CMD_PROG_STATUS, 0x20) > 0, 1);
  /* '#' through 0x0A leaves the menu: no 0x0A any more */
  type(1, "#");
  KT_EQ(R.keys_0a, 4);
  KT_EQ(TP(1)->menu, KB_SIM_MENU_NONE);
  from = R.nlog;
  run_s(3);
  KT_EQ(count_cmd(from, KB_CMD_PROG_STATUS), 0);
  KT_CHECK(find_pev(KB_PEV_ZONE_BYPASSED, 6) != NULL);
  /* either slot (as the engine's keypad): *6, code, 1, time */
  R.kslot = 2;
  type(1, "*65555");
  KT_EQ(TP(1)->status, KB_ST_USER_MENU);
  type(1, "10930021525#");
  run_s(2);
  KT_EQ(T()->time.year, 2025);
  KT_EQ(T()->time.hour, 9);
  KT_CHECK(R.keys_0a > 4);
  KT_EQ(R.bad, 0);
  rounds_keep_05(0);
  zone(2, false);
  run_s(2);
  agree();
}

static void menu_sends_0f_partition2(void) {
  kb_sim_cfg_t c;
  unsigned from;
  for (int gen = 0; gen < 2; gen++) {
    kb_sim_cfg_default(&c, gen);
    c.partitions = 0x03;
    c.zone[9].partition = 2;
    c.zone[9].type = KB_SIM_ZONE_DELAY; /* zone 10 */
    rig(&c);
    run_s(2);
    zone(10, true);
    type(2, "*");
    from = R.nlog;
    run_s(2);
    KT_EQ(TP(2)->status, KB_ST_STAR_MENU);
    KT_CHECK(check_programming(from, 0x0F, 0x200) >= 5); /* zone 10 */
    KT_EQ(count_cmd(from, KB_CMD_PROG_STATUS), 0);
    /* both partitions in menus: 0x0A and 0x0F in each round */
    type(1, "*");
    from = R.nlog;
    run_s(2);
    KT_CHECK(check_programming(from, KB_CMD_PROG_STATUS, 0x00) >= 5);
    KT_CHECK(check_programming(from, 0x0F, 0x200) >= 5);
    rounds_keep_05(0);
    /* a key of partition 2 in 0x0A's slot (byte 3) */
    R.kslot = 1;
    type(2, "#");
    KT_EQ(R.keys_0a, 1);
    KT_EQ(TP(2)->menu, KB_SIM_MENU_NONE);
    type(1, "#");
    from = R.nlog;
    run_s(2);
    KT_EQ(count_cmd(from, KB_CMD_PROG_STATUS) + count_cmd(from, 0x0F), 0);
    KT_EQ(R.bad, 0);
    zone(10, false);
    run_s(2);
    agree();
  }
}

/* ------------------------------------------------------------ issue 6 */

/* Acts from index `from` on, as a compact string: one letter per act
 * (K key, A arm, D disarm, I invalid code, B bypass, T time set, O output,
 * F alarm key, M menu, L alarm, X exit start, R refused, C chime, E entry
 * start, P tamper). */
static const char *acts_str(unsigned from) {
  static char buf[MAX_ACTS + 1];
  static const char letters[] = "KADIBTOFMLXRCEP";
  unsigned n = 0;
  for (unsigned i = from; i < R.nacts; i++)
    buf[n++] = R.acts[i].type < sizeof letters - 1 ? letters[R.acts[i].type] : '?';
  buf[n] = 0;
  return buf;
}

static const kb_sim_act_t *find_act(unsigned from, uint8_t type) {
  for (unsigned i = from; i < R.nacts; i++)
    if (R.acts[i].type == type) return &R.acts[i];
  return NULL;
}

static void zone_tamper(void) {
  unsigned from;
  const kb_event_t *ev;
  rig_default(1);
  run_s(2);
  KT_EQ(T()->trouble, 0);
  from = R.nlog;
  kb_sim_panel_zone_tamper(&R.p, 2, true, R.t);
  KT_CHECK(zbit(T()->zones_tamper, 2));
  KT_EQ(T()->trouble, 1);
  KT_EQ(TP(1)->lights & 0x10, 0x10);
  KT_EQ(R.acts[R.nacts - 1].type, KB_SIM_ACT_TAMPER);
  KT_EQ(R.acts[R.nacts - 1].zone, 2);
  KT_EQ(R.acts[R.nacts - 1].value, 1);
  run_s(2);
  KT_CHECK(zbit(R.eng.status.zones_tamper, 2));
  KT_EQ(R.eng.status.trouble, 1);
  ev = find_pev(KB_PEV_ZONE_TAMPER, 2);
  KT_CHECK(ev != NULL);
  /* the 0xEB carries set 0 code 0x57 for zone 2, partition 1 (as the capture
   * in the notes §7 line 27 has it for partition 8) */
  {
    int seen = 0;
    for (unsigned k = from; k < R.nlog; k++)
      if (R.log[k].b[0] == KB_CMD_EVENT_HIGH && R.log[k].b[8] == 0x57) {
        KT_EQ(R.log[k].b[2], 0x01);
        KT_EQ(R.log[k].b[7], 0x00);
        seen = 1;
      }
    KT_CHECK(seen);
  }
  /* a repeat does nothing */
  from = R.nacts;
  kb_sim_panel_zone_tamper(&R.p, 2, true, R.t);
  KT_EQ(R.nacts, from);
  /* zone 40 on partition 1 (set 4 0x47) */
  R.p.cfg.zone[39].partition = 1;
  R.p.cfg.zone[39].type = KB_SIM_ZONE_INSTANT;
  kb_sim_panel_zone_tamper(&R.p, 40, true, R.t);
  run_s(2);
  KT_CHECK(zbit(R.eng.status.zones_tamper, 40));
  /* restore both: Trouble goes off */
  kb_sim_panel_zone_tamper(&R.p, 2, false, R.t);
  KT_EQ(T()->trouble, 1); /* zone 40 still tampered */
  kb_sim_panel_zone_tamper(&R.p, 40, false, R.t);
  KT_EQ(T()->trouble, 0);
  run_s(2);
  KT_CHECK(!zbit(R.eng.status.zones_tamper, 2));
  KT_CHECK(!zbit(R.eng.status.zones_tamper, 40));
  KT_CHECK(find_pev(KB_PEV_ZONE_TAMPER_RESTORED, 2) != NULL);
  KT_CHECK(find_pev(KB_PEV_ZONE_TAMPER_RESTORED, 40) != NULL);
  KT_EQ(R.eng.status.trouble, 0);
  /* a zone not in use ignores it */
  kb_sim_panel_zone_tamper(&R.p, 30, true, R.t);
  KT_CHECK(!zbit(T()->zones_tamper, 30));
  agree();
}

static void acts_ground_truth(void) {
  unsigned from;
  const kb_sim_act_t *a;
  rig_default(1);
  run_s(2);
  KT_EQ(R.nacts, 0); /* nothing happened yet */
  /* a code from the plain display: 4 keys, code entry, exit delay, armed */
  from = R.nacts;
  type(1, "1234");
  KT_STREQ(acts_str(from), "KMKKKMX");
  KT_EQ(R.acts[from].key, KB_KEY_1);
  KT_EQ(R.acts[from].partition, 1);
  KT_EQ(R.acts[from + 1].value, KB_SIM_MENU_CODE);
  a = find_act(from, KB_SIM_ACT_EXIT_START);
  KT_EQ(a->value, KB_SIM_ARM_AWAY);
  KT_EQ(a->code, 1);
  run_s(11);
  KT_STREQ(acts_str(from), "KMKKKMXA");
  a = find_act(from, KB_SIM_ACT_ARM);
  KT_EQ(a->value, KB_SIM_ARM_AWAY);
  KT_EQ(a->code, 1);
  KT_CHECK(a->t_us >= R.acts[from].t_us + 10000000u);
  /* wrong code while armed: invalid, nothing else */
  from = R.nacts;
  type(1, "9999");
  KT_STREQ(acts_str(from), "KMKKKMI");
  /* disarm by the master code */
  from = R.nacts;
  type(1, "5555");
  KT_STREQ(acts_str(from), "KMKKKMD");
  KT_EQ(find_act(from, KB_SIM_ACT_DISARM)->code, 40);
  run_s(2);
  /* *1 06 bypass on, 06 off, # */
  from = R.nacts;
  type(1, "*10606#");
  KT_STREQ(acts_str(from), "KMKMKKBKKBKM");
  KT_EQ(R.acts[from + 3].value, KB_SIM_MENU_BYPASS);
  a = find_act(from, KB_SIM_ACT_BYPASS);
  KT_EQ(a->zone, 6);
  KT_EQ(a->value, 1);
  KT_EQ(R.acts[from + 10].value, 0);
  /* s + code: prompt, exit delay stay */
  from = R.nacts;
  type(1, "s1234");
  KT_STREQ(acts_str(from), "KMKKKKMX");
  KT_EQ(R.acts[from + 1].value, KB_SIM_MENU_PROMPT);
  KT_EQ(find_act(from, KB_SIM_ACT_EXIT_START)->value, KB_SIM_ARM_STAY);
  type(1, "1234");
  run_s(2);
  /* *7 code 2: output 2 by code 1 */
  from = R.nacts;
  type(1, "*712342");
  a = find_act(from, KB_SIM_ACT_OUTPUT);
  KT_CHECK(a != NULL);
  KT_EQ(a->value, 2);
  KT_EQ(a->code, 1);
  run_s(2);
  /* *6 code 1 time: time set */
  from = R.nacts;
  type(1, "*612341101501152425#");
  KT_CHECK(find_act(from, KB_SIM_ACT_TIME_SET) != NULL);
  /* chime */
  from = R.nacts;
  type(1, "c");
  KT_STREQ(acts_str(from), "KC");
  /* not ready: s refused */
  zone(2, true);
  from = R.nacts;
  type(1, "s");
  KT_STREQ(acts_str(from), "KR");
  KT_EQ(R.acts[from + 1].value, KB_ST_ARMING_FAILED);
  zone(2, false);
  run_s(2);
  /* panic key: one KEY (partition 0) and the alarm key act */
  from = R.nacts;
  R.alarm_key = KB_KEY_ALARM_PANIC;
  R.alarm_sends = 2;
  run_s(1);
  KT_CHECK(strncmp(acts_str(from), "KF", 2) == 0);
  KT_EQ(R.acts[from].key, KB_KEY_ALARM_PANIC);
  KT_EQ(R.acts[from].partition, 0);
  KT_EQ(R.acts[from + 1].value, 2);
  /* a zone alarm while armed away: exit start, armed, alarm by zone 2 */
  type(1, "1234");
  run_s(11);
  from = R.nacts;
  zone(2, true);
  KT_STREQ(acts_str(from), "L");
  KT_EQ(R.acts[from].zone, 2);
  type(1, "1234");
  zone(2, false);
  /* every KEY act is one key the panel counted; acts come in time order */
  {
    unsigned keys = 0;
    for (unsigned i = 0; i < R.nacts; i++) {
      keys += R.acts[i].type == KB_SIM_ACT_KEY;
      if (i) KT_CHECK(R.acts[i].t_us >= R.acts[i - 1].t_us);
    }
    KT_EQ(keys, T()->keys);
  }
}

/* Index of the first frame from `from` on whose bytes start with pre (n
 * bytes), or -1. */
static int find_frame(unsigned from, const uint8_t *pre, unsigned n) {
  for (unsigned k = from; k < R.nlog; k++)
    if (memcmp(R.log[k].b, pre, n) == 0) return (int)k;
  return -1;
}

/* The frame at index k is exactly the n bytes b. */
static bool frame_is(int k, const uint8_t *b, unsigned n) {
  return k >= 0 && R.log[k].n == n && memcmp(R.log[k].b, b, n) == 0;
}

/* taligentx #108 capture C (PC585/PC1565, firmware 2.3 = our early panel):
 * Aux key -> 0x1C -> 0x64 3 beeps -> 0xA5 "Keypad Aux alarm" (partition 1,
 * byte 7 = 0x01) -> 0xA5 "Keypad Aux alarm restored" 0.2 s later. */
static void keypad_alarm_restores_like_capture(void) {
  static const uint8_t beep3[4] = {0x64, 0x00, 0x06, 0x6A};
  static const uint8_t a5[1] = {0xA5};
  unsigned from;
  int k1c, kb, ka, kr;
  rig_default(0);
  run_s(3);
  from = R.nlog;
  R.alarm_key = KB_KEY_ALARM_AUX;
  R.alarm_sends = 2;
  run_s(2);
  k1c = find_frame(from, (const uint8_t *)"\x1C", 1);
  kb = find_frame(from, beep3, 2);
  KT_CHECK(k1c >= 0 && kb > k1c);
  KT_CHECK(frame_is(kb, beep3, 4)); /* byte for byte as captured */
  ka = find_frame((unsigned)kb, a5, 1);
  KT_CHECK(ka > kb);
  if (ka < 0) return;
  KT_EQ(R.log[ka].b[3] >> 6, 1);  /* partition 1 */
  KT_EQ(R.log[ka].b[5] & 3, 0);   /* set 0 */
  KT_EQ(R.log[ka].b[6], 0x4F);    /* keypad Aux alarm */
  KT_EQ(R.log[ka].b[7], 0x01);    /* as captured on this generation */
  kr = find_frame((unsigned)ka + 1u, a5, 1);
  KT_CHECK(kr > ka);
  if (kr < 0) return;
  KT_EQ(R.log[kr].b[6], 0x53);    /* restored */
  KT_EQ(R.log[kr].b[3] >> 6, 1);
  /* 0.2 s later as captured (60.43 -> 60.63 s), give or take one round */
  KT_CHECK(R.log[kr].t - R.log[ka].t >= 150000);
  KT_CHECK(R.log[kr].t - R.log[ka].t <= 450000);
  KT_EQ(R.eng.status.keypad_alarm[1], 0);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_AUX_ALARM, 0) != NULL);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_AUX_RESTORED, 0) != NULL);
  /* aux is silent: no partition alarm */
  KT_EQ(TP(1)->alarm, 0);
  KT_EQ(R.bad, 0);
}

/* Panic programmed audible: the partition goes into alarm (status 0x11, the
 * Memory light, the bell) and the Ready light stays, as in taligentx #108 C
 * ("Ready Memory Trouble Backlight - Partition in alarm" after a Panic). */
static void panic_audible_alarm(void) {
  kb_sim_cfg_t c;
  unsigned from;
  kb_sim_cfg_default(&c, 1);
  c.panic_audible = 1;
  rig(&c);
  run_s(2);
  from = R.nacts;
  R.alarm_key = KB_KEY_ALARM_PANIC;
  R.alarm_sends = 2;
  run_s(2);
  KT_STREQ(acts_str(from), "KFL");
  KT_EQ(R.acts[from + 2].zone, 0);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(TP(1)->status, 0x11);
  KT_EQ(TP(1)->lights, 0x85); /* Ready Memory Backlight */
  KT_EQ(EP(1)->alarm, 1);
  KT_EQ(EP(1)->status, 0x11);
  {
    static const uint8_t bell_on[5] = {0xBB, 0x00, 0x20, 0x00, 0xDB};
    KT_CHECK(find_frame(0, bell_on, 5) >= 0);
  }
  KT_EQ(R.eng.status.keypad_alarm[2], 0); /* the key's alarm restored */
  /* a code silences it: disarmed with alarm memory */
  from = R.nlog;
  type(1, "1234");
  run_s(0.5);
  KT_CHECK(saw_status(from, 1, 0x3D));
  run_s(2);
  KT_EQ(TP(1)->alarm, 0);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_EQ(EP(1)->alarm, 0);
  {
    static const uint8_t bell_off[5] = {0xBB, 0x00, 0x00, 0x00, 0xBB}; /* as Dilbert66 logs */
    KT_CHECK(find_frame(from, bell_off, 5) >= 0);
  }
  agree();
  /* not audible (the default): no partition alarm */
  rig_default(1);
  run_s(2);
  R.alarm_key = KB_KEY_ALARM_PANIC;
  R.alarm_sends = 2;
  run_s(2);
  KT_EQ(TP(1)->alarm, 0);
  KT_CHECK(find_pev(KB_PEV_KEYPAD_PANIC_ALARM, 0) != NULL);
}

/* *9 + code: arming with no entry delay. taligentx #300: after a *9 stay
 * arming the panel sends 0x27 "8A 16": Armed Bypass Backlight, status 0x16.
 * The model: stay unless a delay zone opened during the exit delay
 * (someone left), then away (0x16 without the Bypass light). */
static void star9_no_entry_delay(void) {
  static const uint8_t cap300[8] = {0x27, 0x00, 0x8A, 0x16, 0x00, 0xC7, 0x00, 0x8E};
  kb_sim_cfg_t c;
  unsigned from, afrom;
  const kb_sim_act_t *a;
  kb_sim_cfg_default(&c, 1);
  c.status_zones = 1;
  rig(&c);
  run_s(2);
  from = R.nlog;
  afrom = R.nacts;
  type(1, "*9");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE); /* no more "function not available" */
  type(1, "1234");
  KT_EQ(TP(1)->status, 0x09);  /* arming: no entry delay (brief) */
  a = find_act(afrom, KB_SIM_ACT_EXIT_START);
  KT_CHECK(a && a->value == KB_SIM_ARM_STAY && a->code == 1);
  run_s(2);
  KT_EQ(TP(1)->status, 0x08);
  KT_EQ(TP(1)->lights, 0x8B); /* Ready Armed Bypass Backlight (as taligentx #12 for stay) */
  run_s(10);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_STAY);
  KT_EQ(TP(1)->no_entry_delay, 1);
  KT_EQ(TP(1)->status, 0x16);
  KT_EQ(TP(1)->lights, 0x8A);
  KT_CHECK(saw_status(from, 1, 0x16));
  /* the 0x27 the panel sends is the captured one, byte for byte */
  KT_CHECK(find_frame(from, cap300, 8) >= 0);
  KT_CHECK(find_pev(KB_PEV_ARMED_STAY, 0) != NULL);
  KT_CHECK(find_pev(KB_PEV_ARMED_NO_ENTRY_DELAY, 0) != NULL);
  KT_EQ(EP(1)->no_entry_delay, 1);
  KT_EQ(EP(1)->status, 0x16);
  KT_EQ(EP(1)->lights, 0x8A);
  /* the Armed light flashes (0x5D byte 2 b1) */
  {
    static const uint8_t f5d[3] = {0x5D, 0x00, 0x02};
    KT_CHECK(find_frame(from, f5d, 3) >= 0);
  }
  /* no entry delay: the delay zone is instant; interior (stay) ignored */
  zone(3, true);
  run_s(1);
  KT_EQ(TP(1)->alarm, 0);
  zone(3, false);
  zone(1, true);
  KT_EQ(TP(1)->alarm, 1);
  KT_EQ(TP(1)->entry_delay, 0);
  zone(1, false);
  type(1, "1234");
  run_s(3);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  KT_EQ(TP(1)->no_entry_delay, 0);
  /* *9 and someone leaves through the delay zone: away, no Bypass light */
  afrom = R.nacts;
  type(1, "*91234");
  run_s(2);
  zone(1, true);
  run_s(2);
  zone(1, false);
  run_s(10);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_AWAY);
  KT_EQ(TP(1)->no_entry_delay, 1);
  KT_EQ(TP(1)->status, 0x16);
  KT_EQ(TP(1)->lights, 0x82);
  a = find_act(afrom, KB_SIM_ACT_ARM);
  KT_CHECK(a && a->value == KB_SIM_ARM_AWAY);
  zone(3, true); /* interior active in away */
  KT_EQ(TP(1)->alarm, 1);
  zone(3, false);
  type(1, "1234");
  run_s(2);
  /* *9 while armed: not available */
  type(1, "1234");
  run_s(12);
  type(1, "*9");
  KT_EQ(TP(1)->status, KB_ST_NOT_AVAILABLE_2);
  KT_EQ(R.bad, 0);
}

/* The periodic and start-up traffic of real panels, byte for byte where a
 * capture shows the frame. */
static void periodic_real_panel_traffic(void) {
  static const uint8_t c3[5] = {0xC3, 0x00, 0x00, 0xFF, 0xC2};             /* #190 */
  static const uint8_t f5d[8] = {0x5D, 0, 0, 0, 0, 0, 0, 0x5D};             /* #108 */
  static const uint8_t e618[10] = {0xE6, 0, 0x18, 0x01, 0, 0, 0, 0, 0, 0xFF}; /* #108 */
  static const uint8_t t75[4] = {0x75, 0x00, 0x00, 0x75};                  /* Dilbert66 #120 */
  static const uint8_t e62b[4] = {0xE6, 0x00, 0x2B, 0x01};
  static const uint8_t e62c[9] = {0xE6, 0x00, 0x2C, 0x01, 0, 0, 0, 0, 0x13}; /* #2 C */
  static const uint8_t b1[11] = {0xB1, 0x00, 0x3F, 0, 0, 0, 0x00, 0, 0, 0, 0xF0};
  kb_sim_cfg_t c;
  unsigned n5d = 0, n618 = 0, nc3 = 0, n2b = 0, n2c = 0, nb1 = 0, n4c = 0;
  kb_sim_cfg_default(&c, 1);
  c.enabled_zones_s = 60;
  rig(&c);
  run_s(5 * 60 + 1);
  KT_EQ(R.bad, 0);
  /* start-up: 0x16 first, the tone off and one 0x4C within the first seconds */
  KT_EQ(R.log[0].b[0], KB_CMD_CONFIG);
  KT_CHECK(find_frame(0, t75, 4) >= 0 && R.log[find_frame(0, t75, 4)].t < 3000000);
  for (unsigned k = 0; k < R.nlog; k++) {
    const frame_t *f = &R.log[k];
    if (f->b[0] == 0x5D) {
      n5d++;
      KT_CHECK(frame_is((int)k, f5d, 8));
    }
    if (f->b[0] == KB_CMD_EXTENDED && f->b[2] == 0x18) {
      n618++;
      KT_CHECK(frame_is((int)k, e618, 10));
    }
    if (f->b[0] == 0xC3) {
      nc3++;
      KT_CHECK(frame_is((int)k, c3, 5));
    }
    if (f->b[0] == KB_CMD_EXTENDED && f->b[2] == 0x2B) {
      n2b++;
      KT_CHECK(memcmp(f->b, e62b, 4) == 0);
      KT_EQ(f->b[4], 0x3F); /* zones 1-6 on partition 1 */
    }
    if (f->b[0] == KB_CMD_EXTENDED && f->b[2] == 0x2C) {
      n2c++;
      KT_CHECK(frame_is((int)k, e62c, 9));
    }
    if (f->b[0] == 0xB1) {
      nb1++;
      KT_CHECK(frame_is((int)k, b1, 11));
    }
    if (f->b[0] == 0x4C) {
      n4c++;
      KT_EQ(f->n, 15);
      KT_EQ(f->b[14], 0xAA);
      KT_CHECK(f->t < 4000000);
    }
  }
  KT_CHECK(n5d >= 10 && n5d <= 11); /* every 30 s */
  KT_EQ(n618, n5d);                 /* 0xE6.18 follows each 0x5D */
  KT_CHECK(nc3 >= 10 && nc3 <= 11); /* every 30 s */
  KT_CHECK(n2b >= 5 && n2b <= 6);   /* every 60 s, one partition in use */
  KT_CHECK(n2c == n2b || n2c + 1 == n2b); /* (the last 0x2C may be still to come) */
  KT_EQ(nb1, 1);                    /* every 4 min */
  KT_EQ(n4c, 1);
  KT_EQ(count_cmd(0, 0x63), 0);     /* partition 2 not in use */
  agree();
  /* early panel: no 0xC3 / 0xE6, a 13-byte 0x4C */
  rig_default(0);
  run_s(65);
  KT_EQ(R.bad, 0);
  KT_EQ(count_cmd(0, 0xC3), 0);
  KT_EQ(count_cmd(0, KB_CMD_EXTENDED), 0);
  KT_EQ(count_cmd(0, 0x5D), 2);
  KT_EQ(count_cmd(0, 0x4C), 1);
  for (unsigned k = 0; k < R.nlog; k++)
    if (R.log[k].b[0] == 0x4C) KT_EQ(R.log[k].n, 13);
}

/* Zone groups resent when partition 1/2's status or lights change
 * (taligentx #168: 0x2D right after "invalid access code"), and the entry
 * delay tone. */
static void status_change_resends_zones_and_tone(void) {
  kb_sim_cfg_t c;
  unsigned from;
  int k;
  kb_sim_cfg_default(&c, 1);
  c.status_zones = 1;
  rig(&c);
  run_s(3);
  from = R.nlog;
  type(1, "9999");
  run_s(1);
  {
    static const uint8_t z8f[4] = {0x27, 0x00, 0x81, 0x8F};
    static const uint8_t s8f[4] = {0x05, 0x00, 0x81, 0x8F};
    int k5 = find_frame(from, s8f, 4);
    k = find_frame(from, z8f, 4);
    KT_CHECK(k5 >= 0 && k >= 0);
    if (k5 >= 0 && k >= 0) /* in the same round as the 0x05 that shows it */
      KT_CHECK((k > k5 ? R.log[k].t - R.log[k5].t : R.log[k5].t - R.log[k].t) < 300000);
  }
  /* nothing changes: no 0x27 for minutes but the 4-min one */
  run_s(3);
  from = R.nlog;
  run_s(200);
  KT_EQ(count_cmd(from, KB_CMD_ZONES_1), 0);
  /* entry delay: constant tone on 0x75, off at the disarm */
  type(1, "1234");
  run_s(11);
  from = R.nlog;
  zone(1, true);
  run_s(1);
  {
    static const uint8_t on[4] = {0x75, 0x00, 0x80, 0xF5};
    static const uint8_t off[4] = {0x75, 0x00, 0x00, 0x75};
    k = find_frame(from, on, 4);
    KT_CHECK(frame_is(k, on, 4));
    type(1, "1234");
    run_s(1);
    KT_CHECK(find_frame((unsigned)(k < 0 ? 0 : k), off, 4) > k);
  }
  zone(1, false);
  run_s(2);
  /* the entry delay runs out: alarm, the tone goes off */
  type(1, "1234");
  run_s(11);
  zone(1, true);
  from = R.nlog;
  run_s(11);
  KT_EQ(TP(1)->alarm, 1);
  {
    static const uint8_t off[4] = {0x75, 0x00, 0x00, 0x75};
    KT_CHECK(find_frame(from, off, 4) >= 0);
  }
  type(1, "1234");
  zone(1, false);
  run_s(2);
  KT_EQ(R.bad, 0);
  agree();
}

/* Event buffer: *6 code, Enter (0x82) -> 0xAA + 0xEC of event 000, arrows
 * walk it (taligentx #175: event 000 "Enter *6 programming" = set 2 0xE6 by
 * the master code). The engine takes them as history, not state. */
static void event_buffer_browsing(void) {
  unsigned from;
  int ka, ke;
  rig_default(1);
  run_s(2);
  type(1, "1234");
  run_s(12);
  type(1, "1234");
  run_s(3);
  type(1, "*65555");
  KT_EQ(TP(1)->status, KB_ST_USER_MENU);
  from = R.nlog;
  R.kq_part[(R.kq_head + R.kq_len) % 256] = 1;
  R.kq_key[(R.kq_head + R.kq_len) % 256] = KB_KEY_ENTER;
  R.kq_len++;
  run_s(1.5);
  KT_EQ(TP(1)->menu, KB_SIM_MENU_EVENTS);
  KT_EQ(TP(1)->status, KB_ST_USER_MENU);
  ka = find_frame(from, (const uint8_t *)"\xAA", 1);
  ke = find_frame(from, (const uint8_t *)"\xEC", 1);
  KT_CHECK(ka >= 0 && ke > ka);
  if (ka < 0 || ke < 0) return;
  KT_EQ(R.log[ka].n, 9);
  KT_EQ(R.log[ka].b[3] >> 6, 1);     /* partition 1 */
  KT_EQ(R.log[ka].b[5] & 3, 2);      /* set 2 */
  KT_EQ(R.log[ka].b[6], 0xE6);       /* *6 by master code, as captured */
  KT_EQ(R.log[ka].b[7], 0x00);       /* event 000 */
  KT_EQ(R.log[ke].b[2], 0x01);
  KT_EQ(R.log[ke].b[7], 0x02);
  KT_EQ(R.log[ke].b[8], 0xE6);
  KT_EQ(R.log[ke].b[9], 0x00);
  /* '>' : event 001 = the disarm by code 1 (set 0 0xC0) */
  from = R.nlog;
  R.kq_part[(R.kq_head + R.kq_len) % 256] = 1;
  R.kq_key[(R.kq_head + R.kq_len) % 256] = KB_KEY_RIGHT;
  R.kq_len++;
  run_s(1.5);
  ka = find_frame(from, (const uint8_t *)"\xAA", 1);
  KT_CHECK(ka >= 0);
  if (ka >= 0) {
    KT_EQ(R.log[ka].b[7], 0x01);
    KT_EQ(R.log[ka].b[5] & 3, 0);
    KT_EQ(R.log[ka].b[6], 0xC0);
  }
  /* history is not state: still disarmed, the access code that disarmed */
  KT_EQ(EP(1)->armed, KB_ARMED_NONE);
  type(1, "#");
  run_s(2);
  KT_EQ(R.bad, 0);
  agree();
}

/* Menus as the virtual keypad's safety tests need them. */
static void menus_like_a_real_panel(void) {
  kb_sim_cfg_t c;
  unsigned from;
  kb_sim_cfg_default(&c, 1);
  c.key_timeout_s = 5;
  rig(&c);
  run_s(2);
  /* at a 0x9F prompt a non-digit key is ignored */
  type(1, "s");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  from = R.nacts;
  type(1, "*w[");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  KT_STREQ(acts_str(from), "KKK");
  /* a wrong code: 0x8F briefly, then the normal status */
  type(1, "9999");
  KT_EQ(TP(1)->status, KB_ST_WRONG_CODE);
  run_s(1.5);
  KT_EQ(TP(1)->status, KB_ST_READY);
  KT_EQ(TP(1)->menu, KB_SIM_MENU_NONE);
  /* digits from the plain display: a new code entry, which arms away */
  type(1, "1234");
  KT_EQ(TP(1)->exit_delay, 1);
  KT_EQ(TP(1)->exit_target, KB_SIM_ARM_AWAY);
  type(1, "1234");
  run_s(2);
  KT_EQ(TP(1)->armed, KB_SIM_ARM_NONE);
  /* '#' clears a partial entry, a prompt, a menu and a brief status */
  type(1, "12#");
  KT_EQ(TP(1)->menu, KB_SIM_MENU_NONE);
  type(1, "34");
  KT_EQ(TP(1)->menu, KB_SIM_MENU_CODE); /* 3, 4 start a new entry */
  type(1, "#");
  type(1, "w#");
  KT_EQ(TP(1)->status, KB_ST_READY);
  type(1, "*1#");
  KT_EQ(TP(1)->status, KB_ST_READY);
  type(1, "0000");
  KT_EQ(TP(1)->status, KB_ST_WRONG_CODE);
  type(1, "#");
  KT_EQ(TP(1)->status, KB_ST_READY);
  /* a prompt left unanswered is dropped after key_timeout_s */
  type(1, "s");
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  run_s(4);
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  run_s(1.5);
  KT_EQ(TP(1)->status, KB_ST_READY);
  KT_EQ(R.acts[R.nacts - 1].type, KB_SIM_ACT_MENU);
  KT_EQ(R.acts[R.nacts - 1].value, KB_SIM_MENU_NONE);
  /* *1: zone lights = bypassed zones; the Bypass light follows */
  type(1, "*1");
  type(1, "02");
  from = R.nlog;
  run_s(1);
  KT_EQ(TP(1)->lights & 0x08, 0x08);
  KT_EQ(check_programming(from, KB_CMD_PROG_STATUS, 0x02) > 0, 1);
  type(1, "02");
  from = R.nlog;
  run_s(1);
  KT_EQ(TP(1)->lights & 0x08, 0x00);
  KT_EQ(check_programming(from, KB_CMD_PROG_STATUS, 0x00) > 0, 1);
  type(1, "#");
  run_s(2);
  agree();
}

/* 6-digit codes: 0x16 byte 4 b3 (notes §3.12); a 4-digit code leaves the
 * panel waiting for 2 more digits, at the plain display and at a prompt. */
static void six_digit_panel_waits(void) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.code_digits = 6;
  memcpy(c.code[1], "123456", 7);
  c.key_timeout_s = 10;
  rig(&c);
  run_s(2);
  KT_EQ(R.log[0].b[0], KB_CMD_CONFIG);
  KT_EQ(R.log[0].b[4], 0xF9); /* b3 set */
  type(1, "1234");
  run_s(3);
  KT_EQ(TP(1)->menu, KB_SIM_MENU_CODE);
  KT_EQ(TP(1)->status, KB_ST_READY);
  KT_EQ(TP(1)->exit_delay, 0);
  type(1, "#");
  type(1, "s1234");
  run_s(3);
  KT_EQ(TP(1)->status, KB_ST_ENTER_CODE);
  KT_EQ(TP(1)->exit_delay, 0);
  type(1, "56");
  KT_EQ(TP(1)->exit_delay, 1);
  KT_EQ(TP(1)->exit_target, KB_SIM_ARM_STAY);
  /* 4-digit panel: b3 clear */
  rig_default(1);
  run_s(1);
  KT_EQ(R.log[0].b[4], 0xF1);
}

KT_MAIN(KT_CASE(frames_decode_later_gen), KT_CASE(frames_decode_early_gen),
        KT_CASE(arm_away_by_code), KT_CASE(wrong_code), KT_CASE(arm_not_ready),
        KT_CASE(entry_delay_disarm_in_time), KT_CASE(entry_delay_late_alarm),
        KT_CASE(instant_zone_alarm), KT_CASE(fire_zone), KT_CASE(zone_24h),
        KT_CASE(panic_key_handshake), KT_CASE(chime_toggle), KT_CASE(bypass_star1),
        KT_CASE(command_output_star7), KT_CASE(ac_loss_trouble), KT_CASE(partitions_later_gen),
        KT_CASE(early_gen_two_partitions), KT_CASE(set_time_star6), KT_CASE(periodic_and_clock),
        KT_CASE(night_and_stay), KT_CASE(quick_arm), KT_CASE(six_digit_codes_and_menu_exit),
        KT_CASE(deterministic), KT_CASE(status_lights_rules), KT_CASE(trailing_bits),
        KT_CASE(menu_sends_0a), KT_CASE(menu_sends_0f_partition2),
        KT_CASE(zone_tamper), KT_CASE(acts_ground_truth),
        KT_CASE(keypad_alarm_restores_like_capture), KT_CASE(panic_audible_alarm),
        KT_CASE(star9_no_entry_delay), KT_CASE(periodic_real_panel_traffic),
        KT_CASE(status_change_resends_zones_and_tone), KT_CASE(event_buffer_browsing),
        KT_CASE(menus_like_a_real_panel), KT_CASE(six_digit_panel_waits))
