/* SPDX-License-Identifier: MIT
 *
 * test_sim_classic.c - closed loop on the Classic virtual wire: the
 * simulated Classic panel (kb_sim_classic.h) and its keypad make frames,
 * the frames go out as clock/data/PC-16 edges, the Classic replay (the
 * port: kb_cls_link through its sample timing) captures them and the
 * decoder (kb_classic.h) keeps the status. Expectations are about what the
 * DECODER says, never about the panel model's truth: arm/disarm, alarm,
 * fire and trouble, keypad alarms, stay, no entry delay, keys, and a panel
 * without PC16-OUT.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "host/kb_cls_edges.h"
#include "keybus/kb_classic.h"
#include "sim/kb_sim_classic.h"

static kb_simc_wire_t wire;
static kb_cls_replay_t port;
static kb_cls_t dec;
static unsigned nkeys, nkeyalarm_on;

static void on_ev(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->type == KB_EV_KEY) nkeys++;
  if (ev->type == KB_EV_KEYPAD_ALARM && ev->keypad_alarm.on) nkeyalarm_on++;
}

static void on_frame(void *ctx, const kb_cls_frame_t *f, uint64_t t_us) {
  (void)ctx;
  (void)kb_cls_frame(&dec, f, (uint32_t)(t_us / 1000u));
}

static void rig(const kb_simc_cfg_t *cfg) {
  kb_cls_init(&dec, KB_MODE_LIVE, on_ev, NULL);
  kb_cls_replay_init(&port, 0, on_frame, NULL, NULL);
  kb_simc_wire_init(&wire, cfg, 1000, kb_cls_replay_port, &port);
  nkeys = nkeyalarm_on = 0;
}

/* Runs the wire until virtual time t_s seconds. */
static void run_to(double t_s) {
  uint64_t end = (uint64_t)(t_s * 1e6);
  while (wire.wave.t < end) kb_simc_wire_step(&wire);
  kb_cls_replay_advance(&port, wire.wave.t);
}

static const kb_partition_t *P(void) { return &dec.status.part[0]; }

static void classic_arm_disarm(void) {
  kb_simc_cfg_t cfg = {3000, "1234", false};
  rig(&cfg);
  run_to(1);
  KT_EQ(dec.status.synced, 1);
  KT_EQ(P()->ready, 1);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(kb_simc_wire_keys(&wire, "1234"), 4);
  run_to(2.5);
  KT_EQ(P()->exit_delay, 1);
  KT_EQ(P()->exit_target, KB_EXIT_AWAY);
  run_to(6);
  KT_EQ(P()->exit_delay, 0);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->ready, 0);
  KT_EQ(P()->no_entry_delay, 0);
  KT_EQ(P()->status, KB_ST_ARMED_AWAY);
  kb_simc_wire_keys(&wire, "1234");
  run_to(8);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->ready, 1);
  KT_EQ(P()->status, KB_ST_READY);
  KT_EQ(nkeys, 8); /* each key once, though the keypad held it 3 frames */
  /* not ready: the code does nothing while a zone is open */
  kb_simc_zone(&wire.panel, 3, true, wire.wave.t);
  run_to(9);
  KT_EQ(P()->ready, 0);
  KT_EQ(dec.status.zones_open[0], 0x04);
  kb_simc_wire_keys(&wire, "1234");
  run_to(11);
  KT_EQ(P()->exit_delay, 0);
  KT_EQ(P()->armed, KB_ARMED_NONE);
}

static void classic_alarm(void) {
  kb_simc_cfg_t cfg = {2000, "4321", false};
  rig(&cfg);
  run_to(1);
  kb_simc_wire_keys(&wire, "4321");
  run_to(5);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  kb_simc_zone(&wire.panel, 2, true, wire.wave.t);
  run_to(5.5);
  KT_EQ(P()->alarm, 1);
  KT_EQ(dec.status.zones_alarm[0], 0x02);
  KT_EQ(dec.status.zones_open[0] & 0x02, 0x02);
  KT_EQ(P()->status, KB_ST_ALARM);
  KT_CHECK(P()->lights & KB_LIGHT_MEMORY);
  kb_simc_wire_keys(&wire, "4321");
  run_to(7.5);
  KT_EQ(P()->alarm, 0);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(dec.status.zones_alarm[0], 0);
  kb_simc_zone(&wire.panel, 2, false, wire.wave.t);
  run_to(9);
  KT_EQ(P()->ready, 1);
  KT_EQ(dec.status.zones_open[0], 0); /* quirk A10.1: the zone reads again after the alarm */
}

static void classic_fire_trouble(void) {
  rig(NULL);
  run_to(1);
  kb_simc_fire(&wire.panel, true);
  run_to(1.5);
  KT_EQ(P()->fire, 1);
  KT_CHECK(P()->lights & KB_LIGHT_FIRE);
  kb_simc_trouble(&wire.panel, true);
  run_to(2);
  KT_EQ(dec.status.trouble, 1);
  kb_simc_fire(&wire.panel, false);
  kb_simc_trouble(&wire.panel, false);
  run_to(2.5);
  KT_EQ(P()->fire, 0);
  KT_EQ(dec.status.trouble, 0);
  kb_simc_wire_keys(&wire, "F");
  run_to(3.5);
  KT_EQ(dec.status.keypad_alarm[0], 1);
  KT_EQ(nkeyalarm_on, 1);
  run_to(8);
  KT_EQ(dec.status.keypad_alarm[0], 0);
  KT_EQ(nkeyalarm_on, 1);
}

static void classic_stay_and_night(void) {
  kb_simc_cfg_t cfg = {2000, "1234", false};
  rig(&cfg);
  run_to(1);
  kb_simc_arm_stay(&wire.panel, wire.wave.t);
  run_to(2);
  KT_EQ(P()->exit_delay, 1);
  KT_EQ(P()->exit_target, KB_EXIT_STAY);
  run_to(4);
  KT_EQ(P()->armed, KB_ARMED_STAY);
  KT_EQ(P()->status, KB_ST_ARMED_STAY);
  kb_simc_wire_keys(&wire, "1234");
  run_to(6);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  kb_simc_wire_keys(&wire, "*91234");
  run_to(13);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(P()->no_entry_delay, 1);
  KT_CHECK(dec.status.flash[0] & KB_LIGHT_ARMED);
}

static void classic_no_pc16(void) {
  kb_simc_cfg_t cfg = {2000, "1234", true};
  rig(&cfg);
  run_to(3);
  KT_EQ(dec.status.synced, 0);
  KT_EQ(P()->known, 0);
  KT_CHECK(dec.health.frames > 50);
  KT_EQ(dec.health.frames_ok, 0);
}

KT_MAIN(KT_CASE(classic_arm_disarm), KT_CASE(classic_alarm), KT_CASE(classic_fire_trouble),
        KT_CASE(classic_stay_and_night), KT_CASE(classic_no_pc16))
