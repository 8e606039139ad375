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
#include "keybus/kb_bus.h"
#include "sim/kb_sim_classic.h"

static kb_bus_t bus;
static kb_simc_wire_t wire;
static kb_simc_port_t port;
static unsigned nev[KB_EV_COUNT + 1];

static void on_event(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (ev->type <= KB_EV_COUNT) nev[ev->type]++;
}

static void rig(const char *code) {
  kb_bus_cfg_t cfg;
  kb_simc_cfg_t pc;
  memset(&cfg, 0, sizeof cfg);
  cfg.event_cb = on_event;
  memset(nev, 0, sizeof nev);
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
  KT_CHECK(kb_bus_cls_link(&bus) == &bus.cls_link);
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

KT_MAIN(KT_CASE(set_series_rules), KT_CASE(reads_frames), KT_CASE(ring_statistics))
