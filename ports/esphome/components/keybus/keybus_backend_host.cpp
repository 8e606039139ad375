// keybus_backend_host.cpp - the port seam on ESPHome's host platform: the
// simulated panel (src/sim/kb_sim_panel) on the virtual wire (src/sim/kb_wire)
// feeds the engine's link exactly where the ESP32's clock interrupt and
// sampling timer would (kb_link_edge / kb_link_sample, through the wire's
// edge port), and the wire runs the task side (kb_bus_poll) at each gap's
// idle point, as the ESP32's keybus task would. Virtual time follows the wall
// clock times `speed`, never more than the messages loop() allows.
// Everything runs on the main loop (no thread): the lock is a formality.
#include "esphome/core/defines.h"
#ifdef USE_HOST

#include "keybus_backend.h"

#include <cmath>
#include <cstring>

#include "esphome/core/hal.h"
#include "esphome/core/log.h"

#include "sim/kb_sim_classic.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

namespace esphome {
namespace keybus {

static const char *const TAG = "keybus.sim";

namespace {
struct Sim {
  kb_bus_t bus;
  kb_sim_panel_t panel;
  kb_wire_t wire;
  bool running;
  double speed;
  uint64_t v0_us;      // virtual time at start
  uint32_t w0_ms;      // wall time at start
  // panel: classic (issue 11): the simulated Classic panel's wire, a frame
  // at a time, feeding the bus's Classic link through kb_simc_port; the task
  // polls every 5 ms of virtual time in between
  bool classic;
  kb_simc_wire_t cw;
  kb_simc_port_t cport;
};
Sim sim;  // static: nothing is allocated
}  // namespace

static void sim_task(void *ctx, uint64_t now_us) { kb_bus_poll(static_cast<kb_bus_t *>(ctx), (uint32_t) now_us); }

static const char *arm_name(uint8_t v) {
  switch (v) {
    case KB_SIM_ARM_STAY: return "stay";
    case KB_SIM_ARM_AWAY: return "away";
    case KB_SIM_ARM_NIGHT: return "night";
    default: return "?";
  }
}

// What the simulated panel did with the keys it read back: the proof that a
// request reached it. Code numbers only, never digits.
static void sim_act(void *ctx, const kb_sim_act_t *a) {
  (void) ctx;
  switch (a->type) {
    case KB_SIM_ACT_EXIT_START:
      ESP_LOGI(TAG, "simulated panel: partition %u exit delay (arming %s, access code number %u)", a->partition,
               arm_name(a->value), a->code);
      break;
    case KB_SIM_ACT_ARM:
      ESP_LOGI(TAG, "simulated panel: partition %u armed %s (access code number %u)", a->partition,
               arm_name(a->value), a->code);
      break;
    case KB_SIM_ACT_DISARM:
      ESP_LOGI(TAG, "simulated panel: partition %u disarmed by access code number %u", a->partition, a->code);
      break;
    case KB_SIM_ACT_INVALID_CODE:
      ESP_LOGW(TAG, "simulated panel: partition %u: invalid access code", a->partition);
      break;
    case KB_SIM_ACT_ENTRY_START:
      ESP_LOGI(TAG, "simulated panel: partition %u entry delay (zone %u)", a->partition, a->zone);
      break;
    case KB_SIM_ACT_CHIME:
      ESP_LOGI(TAG, "simulated panel: partition %u door chime %s", a->partition, a->value ? "on" : "off");
      break;
    case KB_SIM_ACT_ALARM:
      ESP_LOGI(TAG, "simulated panel: partition %u alarm (zone %u)", a->partition, a->zone);
      break;
    default:
      break;
  }
}

static bool classic_start(const BackendConfig &cfg, std::string *failure) {
  kb_simc_cfg_t pc;
  const uint64_t t0 = 1000000;  // virtual µs
  memset(&pc, 0, sizeof pc);
  pc.exit_delay_ms = (uint32_t) cfg.exit_delay_s * 1000u;
  snprintf(pc.code, sizeof pc.code, "%s", cfg.code != nullptr ? cfg.code : "1234");
  if (kb_bus_set_series(&sim.bus, KB_SERIES_CLASSIC) != KB_OK) {
    *failure = "kb_bus_set_series: refused";
    return false;
  }
  kb_simc_port_init(&sim.cport, kb_bus_cls_link(&sim.bus));
  kb_simc_wire_init(&sim.cw, &pc, t0, kb_simc_port_edge, &sim.cport);
  sim.classic = true;
  sim.speed = cfg.speed;
  sim.v0_us = t0;
  sim.w0_ms = millis();
  sim.running = true;
  ESP_LOGI(TAG, "simulated Classic panel (no hardware): partition 1, zones 1-8");
  return true;
}

bool backend_start(const BackendConfig &cfg, std::string *failure) {
  kb_sim_cfg_t sc;
  kb_wire_cfg_t wc;
  kb_wire_port_t port;
  const uint64_t t0 = 1000000;  // virtual µs
  memset(&sim, 0, sizeof sim);
  kb_bus_init(&sim.bus, &cfg.bus);
  if (cfg.panel == KB_SERIES_CLASSIC)
    return classic_start(cfg, failure);
  kb_sim_cfg_default(&sc, 1);
  sc.partitions = cfg.partitions;
  // the hub's code is the simulated panel's user 1 code (so the YAML's actions
  // work); without one, "1234"
  memset(sc.code, 0, sizeof sc.code);
  const char *code = cfg.code != nullptr ? cfg.code : "1234";
  sc.code_digits = (uint8_t) strlen(code);
  snprintf(sc.code[1], sizeof sc.code[1], "%s", code);
  snprintf(sc.code[KB_SIM_MASTER], sizeof sc.code[KB_SIM_MASTER], "%s", sc.code_digits == 6 ? "555555" : "5555");
  sc.exit_delay_s = cfg.exit_delay_s;
  sc.entry_delay_s = cfg.entry_delay_s;
  sc.seed = cfg.seed;
  kb_sim_panel_init(&sim.panel, &sc, t0);
  kb_sim_panel_on_act(&sim.panel, sim_act, nullptr);
  kb_wire_cfg_default(&wc);
  wc.seed = cfg.seed;
  wc.task_us = 5000;
  wc.idle_task = true;  // the task sees each frame 1.05 ms after its end, like a 1 ms poll
  memset(&port, 0, sizeof port);
  port.link = kb_bus_link(&sim.bus);
  port.task = sim_task;
  port.ctx = &sim.bus;
  kb_wire_init(&sim.wire, &wc, &sim.panel, &port, nullptr, t0);
  sim.speed = cfg.speed;
  sim.v0_us = t0;
  sim.w0_ms = millis();
  sim.running = true;
  (void) failure;
  ESP_LOGI(TAG, "simulated panel (no hardware): partitions 0x%02X, zones 1-6 on partition 1", cfg.partitions);
  return true;
}

kb_bus_t *backend_lock(uint32_t wait_ms) {
  (void) wait_ms;
  return sim.running ? &sim.bus : nullptr;
}

void backend_unlock() {}

uint32_t backend_pump(uint32_t max_frames, PumpStats *st) {
  st->messages = 0;
  st->frames = 0;
  st->max_frames_per_message = 0;
  st->at_bound = false;
  if (!sim.running)
    return 0;
  const uint64_t target = sim.v0_us + (uint64_t) ((double) (uint32_t) (millis() - sim.w0_ms) * 1000.0 * sim.speed);
  const uint32_t f0 = kb_bus_health(&sim.bus)->frames;
  uint32_t before = f0;
  if (sim.classic) {
    // one Classic frame per step (its frame and no module data: 1 frame)
    while (sim.cw.wave.t < target) {
      if (st->frames + KEYBUS_FRAMES_PER_MESSAGE > max_frames) {
        st->at_bound = true;
        break;
      }
      const uint64_t ta = sim.cw.wave.t, tb = kb_simc_wire_step(&sim.cw);
      for (uint64_t t = ta; t < tb; t += 5000u) {
        kb_simc_port_advance(&sim.cport, t);
        kb_bus_poll(&sim.bus, (uint32_t) t);
      }
      const uint32_t after = kb_bus_health(&sim.bus)->frames;
      if (after - before > st->max_frames_per_message)
        st->max_frames_per_message = after - before;
      before = after;
      st->frames = after - f0;
      st->messages++;
    }
    return st->frames;
  }
  while (kb_wire_now(&sim.wire) < target) {
    // a message carries at most KEYBUS_FRAMES_PER_MESSAGE frames (the panel's
    // and the keypads' module data): start one only while it fits the budget
    if (st->frames + KEYBUS_FRAMES_PER_MESSAGE > max_frames) {
      st->at_bound = true;
      break;
    }
    kb_wire_step(&sim.wire);  // one message (its task calls, kb_bus_poll, included)
    const uint32_t after = kb_bus_health(&sim.bus)->frames;
    if (after - before > st->max_frames_per_message)
      st->max_frames_per_message = after - before;
    before = after;
    st->frames = after - f0;
    st->messages++;
  }
  return st->frames;
}

uint64_t backend_time_ms() {
  if (!sim.running)
    return 0;
  return ((sim.classic ? sim.cw.wave.t : kb_wire_now(&sim.wire)) - sim.v0_us) / 1000u;
}

bool backend_sim_zone(uint8_t zone, bool open) {
  if (sim.running && sim.classic) {
    if (zone < 1 || zone > KB_CLS_ZONES)
      return false;
    kb_simc_zone(&sim.cw.panel, zone, open, sim.cw.wave.t);
    return true;
  }
  if (!sim.running || zone < 1 || zone > KB_SIM_ZONES)
    return false;
  kb_sim_panel_zone(&sim.panel, zone, open, kb_wire_now(&sim.wire));
  return true;
}

// The host has no heap API worth reporting: NAN (unknown). healthy: keybus
// connected and fewer than 5 % of the frames with a checksum error (the ESP32
// uses kbe_healthy(), which adds the ring-overflow and heap-floor checks).
void backend_heap(const kb_health_t &h, bool connected, BackendHeap *out) {
  out->free_bytes = NAN;
  out->min_free_bytes = NAN;
  out->largest_block = NAN;
  out->isr_service_shared = false;
  out->healthy = connected && (uint64_t) h.checksum_errors * 100u <= (uint64_t) h.frames * 5u;
}

}  // namespace keybus
}  // namespace esphome

#endif  // USE_HOST
