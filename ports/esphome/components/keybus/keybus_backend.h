#pragma once
// keybus_backend.h - the port seam of the ESPHome keybus hub: what sits under
// the engine. Exactly one implementation is compiled in:
//   keybus_backend_esp32.cpp (USE_ESP32): the ESP-IDF component (keybus_esp.h,
//     kbe_*): a static task decodes the bus; the clock interrupt is attached
//     through ESPHome's InternalGPIOPin::attach_interrupt (kbe_config_t.attach).
//   keybus_backend_host.cpp (USE_HOST): the simulated panel (src/sim:
//     kb_sim_panel on a kb_wire) drives the engine's link in virtual time,
//     in place of the pins.
// Who calls: the hub (keybus_hub.cpp), from setup() and loop() only, i.e. the
// ESPHome main loop. The bus callbacks of BackendConfig.bus run on the
// backend's task (ESP32: the keybus task, with the bus lock held; host: inside
// backend_pump(), on the main loop).
#include <cstdint>
#include <string>

#include "keybus/kb_bus.h"

namespace esphome {

class InternalGPIOPin;

namespace keybus {

struct BackendConfig {
  int clock_pin{-1};
  int data_pin{-1};
  int write_pin{-1};
  uint8_t partitions{1};    // bit p-1: partition p in use
  const char *code{nullptr};  // the hub's code (secret) or nullptr; the simulated panel's user 1 code
  kb_bus_cfg_t bus{};       // engine events and key notes
  InternalGPIOPin *clock_pin_object{nullptr};  // ESP32: the clock pin, for attach_interrupt
  // host: the simulated panel
  float speed{1.0f};
  uint8_t exit_delay_s{10}, entry_delay_s{10};
  uint32_t seed{1};
  // issue 11: the panel series (KB_SERIES_POWER / KB_SERIES_CLASSIC) and the
  // Classic's PC-16 pin (ESP32; -1 none). Host + Classic: the simulated
  // Classic panel (src/sim/kb_sim_classic.h) instead.
  uint8_t panel{0};
  int pc16_pin{-1};
};

struct BackendHeap {
  // NAN when not applicable (host)
  float free_bytes, min_free_bytes, largest_block;
  bool healthy;
  bool isr_service_shared;
};

// Starts the bus; false with *failure set (e.g. "gptimer_new_timer: ESP_ERR_NOT_FOUND").
bool backend_start(const BackendConfig &cfg, std::string *failure);
// The bus, locked against the backend's task; nullptr when not running or busy
// (wait_ms 0: do not wait). Pair with backend_unlock().
kb_bus_t *backend_lock(uint32_t wait_ms);
void backend_unlock();
// Host: runs the simulated panel up to speed x wall time, but never more
// than max_frames frames decoded (kb_bus_poll runs inside, at each message's
// idle point): a message is started only while KEYBUS_FRAMES_PER_MESSAGE more
// frames fit. Returns the frames decoded. ESP32: 0 (the keybus task decodes).
static const uint32_t KEYBUS_FRAMES_PER_MESSAGE = 2;  // the panel's frame + its module data
struct PumpStats {
  uint32_t messages{0}, frames{0}, max_frames_per_message{0};
  bool at_bound{false};  // stopped by the frame budget
};
uint32_t backend_pump(uint32_t max_frames, PumpStats *st);
// The backend's time in ms: ESP32 millis(), host the simulation's virtual
// time (so the health interval and stop_after follow the simulated panel).
uint64_t backend_time_ms();
// Host: opens or closes a zone of the simulated panel; false elsewhere.
bool backend_sim_zone(uint8_t zone, bool open);
// Health the engine does not know (heap, the one healthy flag).
void backend_heap(const kb_health_t &h, bool connected, BackendHeap *out);

}  // namespace keybus
}  // namespace esphome
