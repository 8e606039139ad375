/* SPDX-License-Identifier: MIT
 *
 * test_bus_classic.c - kb_bus in Classic mode (kb_bus_set_series(), API
 * 1.4): the simulated Classic panel's wire feeds the bus's Classic link as a
 * port's interrupts would (kb_simc_port_t), kb_bus_poll() is the task loop;
 * the status, events, health and the connected rule come out of the same
 * calls as for PowerSeries. Also the set_series rules and what a Classic bus
 * refuses.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "host/kb_text.h"
#include "keybus/kb_bus.h"
#include "sim/kb_scenario.h"
#include "sim/kb_sim_classic.h"

static kb_bus_t bus;
static kb_simc_wire_t wire;
static kb_simc_port_t port;
static unsigned nev[KB_EV_COUNT + 1];
static unsigned nkey, nclear, nend, ndigit;
static uint8_t last_result;

static void on_keys(void *ctx, const kb_keys_note_t *n) {
  (void)ctx;
  if (n->type == KB_KEYS_NOTE_KEY) {
    nkey++;
    ndigit += n->key == KB_KEY_DIGIT;
  }
  if (n->type == KB_KEYS_NOTE_CLEAR) nclear++;
  if (n->type == KB_KEYS_NOTE_END) {
    nend++;
    last_result = n->result;
  }
}

static char synced_text[128];

static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->type == KB_EV_SYNCED) (void)kb_text_event(ev, synced_text, sizeof synced_text);
  if (ev->type <= KB_EV_COUNT) nev[ev->type]++;
}

static void rig(const char *code) {
  kb_bus_cfg_t cfg;
  kb_simc_cfg_t pc;
  memset(&cfg, 0, sizeof cfg);
  cfg.event_cb = on_event;
  cfg.keys_cb = on_keys;
  memset(nev, 0, sizeof nev);
  nkey = nclear = nend = ndigit = 0;
  last_result = 0xFF;
  kb_bus_init(&bus, &cfg);
  KT_EQ(kb_bus_set_series(&bus, KB_SERIES_CLASSIC), KB_OK);
  memset(&pc, 0, sizeof pc);
  pc.exit_delay_ms = 2000;
  strcpy(pc.code, code);
  kb_simc_port_init(&port, kb_bus_cls_link(&bus));
  kb_simc_wire_init(&wire, &pc, 1000, kb_simc_port_edge, &port);
}

/* The wire runs to t_s; the task polls every 5 ms of wire time. */
static void run_to(double t_s) {
  uint64_t end = (uint64_t)(t_s * 1e6);
  while (wire.wave.t < end) {
    uint64_t t0 = wire.wave.t, t1 = kb_simc_wire_step(&wire);
    for (uint64_t t = t0; t < t1; t += 5000u) {
      kb_simc_port_advance(&port, t);
      kb_bus_poll(&bus, (uint32_t)t);
    }
  }
}

static void set_series_rules(void) {
  kb_bus_init(&bus, NULL);
  KT_EQ(kb_bus_series(&bus), KB_SERIES_POWER);
  KT_CHECK(kb_bus_link(&bus) == &bus.link);
  KT_CHECK(kb_bus_cls_link(&bus) == NULL);
  KT_EQ(kb_bus_set_series(&bus, 7), KB_ERR_ARG);
  KT_EQ(kb_bus_set_series(NULL, KB_SERIES_CLASSIC), KB_ERR_ARG);
  KT_EQ(kb_bus_series(&bus), KB_SERIES_POWER);
  KT_EQ(kb_bus_set_series(&bus, KB_SERIES_CLASSIC), KB_OK);
  KT_EQ(kb_bus_series(&bus), KB_SERIES_CLASSIC);
  KT_CHECK(kb_bus_cls_link(&bus) == &bus.classic.link);
  KT_CHECK(kb_bus_link(&bus) == NULL);
  KT_EQ(kb_bus_status(&bus)->series, KB_SERIES_CLASSIC);
  KT_EQ(kb_bus_status(&bus)->zones_max, 8);
  KT_CHECK(kb_bus_status(&bus)->absent != 0);
  /* and back, before any frame */
  KT_EQ(kb_bus_set_series(&bus, KB_SERIES_POWER), KB_OK);
  KT_EQ(kb_bus_series(&bus), KB_SERIES_POWER);
  KT_EQ(kb_bus_status(&bus)->absent, 0);
  KT_CHECK(kb_bus_link(&bus) == &bus.link);
  /* the Classic has no clock and no module replies */
  KT_EQ(kb_bus_set_series(&bus, KB_SERIES_CLASSIC), KB_OK);
  KT_EQ(kb_bus_set_time(&bus, 1, 2026, 1, 2, 3, 4, "1234", NULL), KB_ERR_ARG);
  {
    static kb_xpd_t x;
    kb_xpd_init(&x);
    KT_EQ(kb_bus_xpd_attach(&bus, &x), KB_ERR_ARG);
  }
}

static void reads_frames(void) {
  const kb_health_t *h;
  rig("1234");
  KT_EQ(kb_bus_frame_age_ms(&bus), UINT32_MAX);
  run_to(1.0);
  KT_EQ(kb_bus_status(&bus)->synced, 1);
  KT_EQ(kb_bus_status(&bus)->connected, 1);
  KT_EQ(kb_bus_status(&bus)->part[0].ready, 1);
  KT_EQ(nev[KB_EV_SYNCED], 1);
  KT_EQ(nev[KB_EV_CONNECTED], 1);
  h = kb_bus_health(&bus);
  KT_CHECK(h->frames >= 15u && h->frames <= 20u); /* ~51 ms a frame */
  KT_EQ(h->frames_ok, h->frames);
  KT_EQ(h->ring_high_water, 1);
  KT_EQ(h->ring_overflows, 0);
  KT_CHECK(kb_bus_frame_age_ms(&bus) < 60u);
  /* a frame polled: the series is fixed */
  KT_EQ(kb_bus_set_series(&bus, KB_SERIES_POWER), KB_ERR_BUSY);
  /* a zone opens: the event comes through the bus's callback */
  kb_simc_zone(&wire.panel, 3, true, wire.wave.t);
  run_to(1.5);
  KT_EQ(kb_bus_status(&bus)->zones_open[0], 0x04);
  KT_CHECK(nev[KB_EV_ZONE_OPEN] >= 1u);
  /* the bus stops: disconnected after the 3 s rule */
  for (uint32_t t = (uint32_t)wire.wave.t; t < (uint32_t)wire.wave.t + 4000000u; t += 10000u)
    kb_bus_poll(&bus, t);
  KT_EQ(kb_bus_status(&bus)->connected, 0);
  KT_EQ(nev[KB_EV_CONNECTED], 2);
}

/* The task held up: frames wait in the Classic ring; the high-water mark
 * and the overflows reach the health. */
static void ring_statistics(void) {
  rig("1234");
  run_to(0.5);
  /* 12 frames (~600 ms) with no poll: the ring (KB_CLS_RING) overflows */
  for (int i = 0; i < 12; i++) kb_simc_wire_step(&wire);
  kb_simc_port_advance(&port, wire.wave.t);
  kb_bus_poll(&bus, (uint32_t)wire.wave.t);
  KT_EQ(kb_bus_health(&bus)->ring_high_water, KB_CLS_RING);
  KT_CHECK(kb_bus_health(&bus)->ring_overflows > 0u);
}

static const kb_partition_t *P(void) { return &kb_bus_status(&bus)->part[0]; }

/* Nothing of the code left: the queue, the writer, the link's copy. */
static void no_secret_left(void) {
  for (unsigned i = 0; i < KB_KEYS_QUEUE; i++)
    for (unsigned j = 0; j < KB_KEYS_CODE_MAX; j++) KT_EQ(bus.keys.q[i].code[j], 0);
  for (unsigned i = 0; i < KB_CLS_KEYS_MAX; i++) KT_EQ(bus.classic.keys.key[i], 0xFF);
  KT_EQ(bus.classic.link.wr_key, 0xFF);
}

/* The virtual keypad on Classic through the bus's request API: arm away
 * with the code (w = code + *1), the goal from the PC-16 armed bit, then
 * disarm with the code as digits. */
static void keys_arm_away_and_disarm(void) {
  uint16_t id = 0, id2 = 0;
  kb_keys_info_t info;
  rig("1234");
  run_to(1.0);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "w", "1234", &id), KB_OK);
  KT_CHECK(id != 0u);
  KT_EQ(kb_bus_keys_pending(&bus), 1);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_PENDING);
  run_to(2.0);
  KT_EQ(nkey, 6);   /* 1 2 3 4 * 1, each echoed */
  KT_EQ(ndigit, 5); /* the digits (the code's among them) are never named */
  KT_EQ(kb_bus_keys_result(&bus, id, &info), KB_KEYS_DONE); /* exit delay shown */
  KT_EQ(info.accepted, 6);
  KT_EQ(info.code_typed, 1);
  KT_EQ(P()->exit_delay, 1);
  no_secret_left();
  run_to(5.0);
  KT_EQ(P()->armed, KB_ARMED_AWAY);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "1234", NULL, &id2), KB_OK);
  run_to(6.5);
  KT_EQ(kb_bus_keys_result(&bus, id2, NULL), KB_KEYS_DONE);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(nclear, 0); /* nothing left unfinished: no `#` */
  KT_EQ(kb_bus_keys_pending(&bus), 0);
  no_secret_left();
}

/* A wrong code: the Classic shows no rejection, the goal is not reached:
 * TIMED_OUT after KB_KEYS_GOAL_MS, then the `#` clear (noted). */
static void keys_wrong_code(void) {
  uint16_t id = 0;
  rig("1234");
  run_to(1.0);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "w", "9999", &id), KB_OK);
  run_to(2.0);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_PENDING); /* judged by the goal */
  run_to(7.0);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_TIMED_OUT);
  KT_EQ(P()->armed, KB_ARMED_NONE);
  KT_EQ(P()->exit_delay, 0);
  KT_EQ(nclear, 1);
  KT_EQ(nkey, 6); /* the clear's `#` is not a key of the request */
  KT_CHECK(kb_keys_idle(&bus.keys, true));
  no_secret_left();
}

/* Requests the Classic cannot do are refused up front, nothing queued. */
static void keys_refused(void) {
  rig("1234");
  run_to(0.5);
  KT_EQ(kb_bus_keys_submit(&bus, 2, "1234", NULL, NULL), KB_ERR_PARTITION);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "c", NULL, NULL), KB_ERR_KEY);  /* chime: PowerSeries */
  KT_EQ(kb_bus_keys_submit(&bus, 1, "[", NULL, NULL), KB_ERR_KEY);  /* command output */
  KT_EQ(kb_bus_keys_submit(&bus, 1, "1f", NULL, NULL), KB_ERR_KEY); /* alarm key alone */
  KT_EQ(kb_bus_keys_submit(&bus, 1, "w", NULL, NULL), KB_ERR_CODE);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "*", "1234", NULL), KB_ERR_CODE); /* nowhere to go */
  KT_EQ(kb_bus_keys_submit(&bus, 1, "w", "12345", NULL), KB_ERR_CODE);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "", NULL, NULL), KB_ERR_KEY);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "nnnnn", "123456", NULL), KB_ERR_KEY); /* 40 keys */
  KT_EQ(kb_bus_set_time(&bus, 1, 2026, 1, 2, 3, 4, "1234", NULL), KB_ERR_ARG);
  KT_EQ(kb_bus_keys_pending(&bus), 0);
  /* a full request (KB_KEYS_MAX keys, no terminator in the queue) */
  {
    char full[KB_KEYS_MAX + 1];
    memset(full, '#', KB_KEYS_MAX);
    full[KB_KEYS_MAX] = '\0';
    KT_EQ(kb_bus_keys_submit(&bus, 1, full, NULL, NULL), KB_OK);
    full[KB_KEYS_MAX - 1] = '\0';
    KT_EQ(kb_bus_keys_submit(&bus, 1, full, NULL, NULL), KB_OK);
    run_to(6.0); /* a key every other frame (the 50 ms hold-off) */
    KT_EQ(kb_bus_keys_pending(&bus), 0);
    KT_EQ(last_result, KB_KEYS_DONE);
    KT_EQ(nkey, 2u * KB_KEYS_MAX - 1u);
  }
  for (int i = 0; i < KB_KEYS_QUEUE; i++) KT_EQ(kb_bus_keys_submit(&bus, 1, "#", NULL, NULL), KB_OK);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "#", NULL, NULL), KB_ERR_FULL);
  run_to(7.0);
  KT_EQ(kb_bus_keys_pending(&bus), 0);
  KT_EQ(last_result, KB_KEYS_DONE);
}

/* The bus goes away with requests pending: every one ends DISCONNECTED,
 * the armed key is released, the code wiped. */
static void keys_disconnected(void) {
  uint16_t a = 0, b = 0;
  rig("1234");
  run_to(1.0);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "w", "1234", &a), KB_OK);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "1234", NULL, &b), KB_OK);
  run_to(1.1); /* a key or two out */
  for (uint32_t t = (uint32_t)wire.wave.t; t < (uint32_t)wire.wave.t + 4000000u; t += 10000u)
    kb_bus_poll(&bus, t);
  KT_EQ(kb_bus_keys_result(&bus, a, NULL), KB_KEYS_DISCONNECTED);
  KT_EQ(kb_bus_keys_result(&bus, b, NULL), KB_KEYS_DISCONNECTED);
  KT_EQ(bus.classic.link.wr_armed == 0 || bus.classic.link.wr_key == 0xFF, 1);
  for (unsigned i = 0; i < KB_CLS_KEYS_MAX; i++) KT_EQ(bus.classic.keys.key[i], 0xFF);
}

/* The sync gate: nothing is written before the decoder passed start-up. */
static void keys_wait_for_sync(void) {
  uint16_t id = 0;
  rig("1234");
  KT_EQ(kb_bus_keys_submit(&bus, 1, "1", NULL, &id), KB_OK);
  kb_bus_poll(&bus, 500u);
  KT_EQ(bus.classic.link.wr_armed, 0);
  run_to(1.0);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_DONE);
}

/* The SYNCED event of a Classic panel names it, not a PowerSeries
 * generation (it printed "later generation"). */
static void synced_event_text(void) {
  synced_text[0] = '\0';
  rig("1234");
  run_to(0.5);
  KT_CHECK(strstr(synced_text, "later generation") == NULL);
  KT_CHECK(strstr(synced_text, "Classic") != NULL);
}

static int run_scn(const char *text) {
  kb_scenario_t *s = NULL;
  kb_scenario_opts_t o;
  kb_scenario_result_t res;
  char err[256];
  int rc;
  memset(&o, 0, sizeof o);
  if (kb_scenario_parse(&s, text, strlen(text), "t", err, sizeof err) != KB_SCN_OK) return -1;
  rc = kb_scenario_run(s, &o, &res);
  kb_scenario_free(s);
  return rc;
}

/* `expect panel later|early` is about a PowerSeries generation: on a
 * Classic panel neither holds (both passed/failed by the early flag). */
static void expect_panel_generation_on_classic(void) {
  KT_EQ(run_scn("panel classic\nexpect synced by 1s\nend 2s\n"), 0);
  KT_EQ(run_scn("panel classic\nexpect panel later by 1s\nend 2s\n"), 1);
  KT_EQ(run_scn("panel classic\nexpect panel early by 1s\nend 2s\n"), 1);
  KT_EQ(run_scn("expect panel later by 1s\nend 2s\n"), 0);
}

/* A physical keypad types in the same frame as the virtual one: the echo
 * differs (open collector: the AND of both), the request ends COLLIDED
 * and the `#` clear follows (noted). */
static void keys_collision(void) {
  uint16_t id = 0;
  rig("1234");
  run_to(1.0);
  KT_EQ(kb_bus_keys_submit(&bus, 1, "5555", NULL, &id), KB_OK);
  KT_EQ(kb_simc_wire_keys(&wire, "2222"), 4);
  run_to(3.0);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_COLLIDED);
  KT_EQ(nclear, 1);
  KT_EQ(last_result, KB_KEYS_COLLIDED);
  KT_CHECK(kb_keys_idle(&bus.keys, true));
}

KT_MAIN(KT_CASE(synced_event_text), KT_CASE(keys_collision), KT_CASE(expect_panel_generation_on_classic), KT_CASE(set_series_rules), KT_CASE(reads_frames), KT_CASE(ring_statistics),
        KT_CASE(keys_arm_away_and_disarm), KT_CASE(keys_wrong_code), KT_CASE(keys_refused),
        KT_CASE(keys_disconnected), KT_CASE(keys_wait_for_sync))
