#pragma once
// keybus_hub.h - the ESPHome keybus hub: thin C++ over the C engine
// (include/keybus) behind the port seam of keybus_backend.h.
//
// What it promises
//   - Entities are touched only from loop() (the main loop): the engine's
//     callbacks (which may run on the keybus task) only copy events and key
//     results into fixed rings; loop() drains them.
//   - Bounded work per loop(): at most KEYBUS_LOOP_FRAMES frames decoded (host:
//     simulated messages run; ESP32: none, the keybus task decodes), at most
//     KEYBUS_LOOP_EVENTS engine events drained and at most KEYBUS_LOOP_PUBLISH
//     entity publications (what is left waits for the next loop()). The hub
//     counts the most it did in one loop() (dump at the end of a host run).
//   - Nothing is allocated after setup(); the access code is never logged.
// Who calls: ESPHome (setup/loop/dump_config), the generated code (setters,
//   add_*), the platform entities (KeybusAlarmPanel::control) and the actions,
//   all from the main loop.
#include <cstdint>
#include <string>
#include <vector>

#include "esphome/core/automation.h"
#include "esphome/core/component.h"
#include "esphome/core/defines.h"
#include "esphome/core/gpio.h"
#include "esphome/components/alarm_control_panel/alarm_control_panel.h"
#include "esphome/components/binary_sensor/binary_sensor.h"
#include "esphome/components/sensor/sensor.h"
#include "esphome/components/text_sensor/text_sensor.h"

#include "keybus/kb_bus.h"
#include "keybus_backend.h"

namespace esphome {
namespace keybus {

// The bounds of one loop() (docs/esphome.md, "Bounded work").
static const uint32_t KEYBUS_LOOP_FRAMES = 8;
static const uint32_t KEYBUS_LOOP_EVENTS = 8;
static const uint32_t KEYBUS_LOOP_PUBLISH = 8;
static const uint32_t KEYBUS_EVENT_RING = 32;  // engine events waiting for loop()
static const uint32_t KEYBUS_NOTE_RING = 8;    // key request results waiting

enum ArmMode : uint8_t { ARM_MODE_DISARM = 0, ARM_MODE_HOME, ARM_MODE_AWAY, ARM_MODE_NIGHT };

enum BinaryKind : uint8_t {
  BK_ZONE_OPEN = 0,
  BK_ZONE_ALARM,
  BK_ZONE_TAMPER,
  BK_ZONE_BYPASS,
  BK_READY,
  BK_FIRE,
  BK_ALARM,
  BK_TROUBLE,
  BK_AC_POWER,
  BK_BATTERY_LOW,
  BK_CONNECTED,
  BK_HEALTHY,
};

enum SensorKind : uint8_t {
  SK_FRAMES = 0,
  SK_ERRORS,
  SK_CHECKSUM_ERRORS,
  SK_RING_OVERFLOWS,
  SK_RING_HIGH_WATER,
  SK_HEAP_FREE,
  SK_HEAP_MIN_FREE,
  SK_HEAP_LARGEST,
  SK_LOOP_MAX_US,
  SK_EVENTS_DROPPED,
};

enum TextKind : uint8_t { TK_PARTITION_STATUS = 0, TK_LAST_EVENT, TK_FAILURE };

class KeybusHub;

class KeybusAlarmPanel : public alarm_control_panel::AlarmControlPanel {
 public:
  KeybusAlarmPanel(KeybusHub *hub, uint8_t partition);
  uint32_t get_supported_features() const override;
  bool get_requires_code() const override;
  bool get_requires_code_to_arm() const override { return false; }
  uint8_t partition() const { return this->partition_; }
  // the hub's publication (main loop): the state the panel shows
  void show(alarm_control_panel::AlarmControlPanelState s) { this->publish_state(s); }

 protected:
  void control(const alarm_control_panel::AlarmControlPanelCall &call) override;
  KeybusHub *hub_;
  uint8_t partition_;
};

class KeybusHub : public Component {
 public:
  // configuration (generated code)
  void set_pins(int clock, int data, int write) {
    this->cfg_.clock_pin = clock;
    this->cfg_.data_pin = data;
    this->cfg_.write_pin = write;
  }
  void set_partitions(uint8_t mask) { this->cfg_.partitions = mask; }
  // issue 11: panel: classic (docs/esphome.md, "Classic panels")
  void set_panel(uint8_t series, int pc16_pin) {
    this->cfg_.panel = series;
    this->cfg_.pc16_pin = pc16_pin;
  }
  void set_code(const std::string &code) { this->code_ = code; }
  void set_health_interval(uint32_t ms) { this->health_interval_ms_ = ms; }
  void set_clock_pin_object(InternalGPIOPin *pin) { this->cfg_.clock_pin_object = pin; }
  void set_simulation(float speed, uint32_t exit_s, uint32_t entry_s, uint32_t stop_after_ms, uint32_t seed);

  void add_binary(binary_sensor::BinarySensor *s, uint8_t kind, uint8_t index);
  void add_sensor(sensor::Sensor *s, uint8_t kind);
  void add_text(text_sensor::TextSensor *s, uint8_t kind, uint8_t index);
  void add_panel(KeybusAlarmPanel *p);

  void setup() override;
  void loop() override;
  void dump_config() override;
  float get_setup_priority() const override { return setup_priority::DATA; }

  // commands (main loop): false when not queued (logged, code never shown)
  bool arm(uint8_t partition, ArmMode mode, const std::string *code);
  bool write_keys(uint8_t partition, const std::string &keys);
  bool sim_zone(uint8_t zone, bool open);
  bool has_code() const { return !this->code_.empty(); }

  // the engine's callbacks (backend context; see keybus_backend.h)
  static void on_event(void *ctx, const kb_event_t *ev);
  static void on_keys(void *ctx, const kb_keys_note_t *n);

 protected:
  struct Slot {
    uint8_t domain;  // 0 binary, 1 sensor, 2 text, 3 panel
    uint8_t kind;
    uint8_t index;   // zone or partition
    void *entity;
  };
  struct Note {
    uint16_t id;
    uint8_t partition, result, status, reason;
  };
  bool publish_slot_(const Slot &s);
  bool submit_(uint8_t partition, uint8_t action, const char *keys, const std::string *code);
  void summary_();

  BackendConfig cfg_;
  std::string code_;
  bool simulation_{false};
  uint64_t stop_after_ms_{0};
  uint32_t health_interval_ms_{10000};
  bool started_{false};
  std::string failure_;
  std::vector<Slot> slots_;
  size_t cursor_{0};

  // snapshot of the engine, taken at the top of each loop()
  kb_status_t status_{};
  kb_health_t health_{};
  bool have_status_{false};
  BackendHeap heap_{};
  kb_health_t health_shown_{};  // refreshed every health_interval
  uint64_t last_health_ms_{0};
  bool health_taken_{false};
  uint32_t shown_loop_max_us_{0}, shown_ev_dropped_{0};

  // rings written by the callbacks (under the bus lock), read by loop()
  kb_event_t events_[KEYBUS_EVENT_RING];
  uint32_t ev_head_{0}, ev_len_{0}, ev_dropped_{0};
  Note notes_[KEYBUS_NOTE_RING];
  uint32_t note_head_{0}, note_len_{0};
  char last_event_[64]{};
  bool last_event_new_{false};

  // loop() accounting (counts, not time; the duration is reported, not asserted)
  uint32_t loops_{0};
  uint32_t max_frames_{0}, max_messages_{0}, max_events_{0}, max_publish_{0};
  uint32_t loops_at_publish_bound_{0}, loops_at_frame_bound_{0}, loops_at_event_bound_{0};
  uint32_t max_frames_per_message_{0};
  uint32_t max_loop_us_{0};
  uint32_t prev_frames_{0};
  uint32_t publications_{0};
};

template<typename... Ts> class WriteKeysAction : public Action<Ts...> {
 public:
  explicit WriteKeysAction(KeybusHub *hub) : hub_(hub) {}
  TEMPLATABLE_VALUE(uint8_t, partition)
  TEMPLATABLE_VALUE(std::string, keys)
  void play(Ts... x) override { this->hub_->write_keys(this->partition_.value(x...), this->keys_.value(x...)); }

 protected:
  KeybusHub *hub_;
};

template<typename... Ts> class ArmAction : public Action<Ts...> {
 public:
  explicit ArmAction(KeybusHub *hub) : hub_(hub) {}
  void set_mode(ArmMode m) { this->mode_ = m; }
  TEMPLATABLE_VALUE(uint8_t, partition)
  TEMPLATABLE_VALUE(std::string, code)
  void play(Ts... x) override {
    if (this->code_.has_value()) {
      std::string c = this->code_.value(x...);
      this->hub_->arm(this->partition_.value(x...), this->mode_, &c);
      std::fill(c.begin(), c.end(), '\0');
    } else {
      this->hub_->arm(this->partition_.value(x...), this->mode_, nullptr);
    }
  }

 protected:
  KeybusHub *hub_;
  ArmMode mode_{ARM_MODE_AWAY};
};

template<typename... Ts> class SimZoneAction : public Action<Ts...> {
 public:
  explicit SimZoneAction(KeybusHub *hub) : hub_(hub) {}
  void set_zone(uint8_t zone, bool open) {
    this->zone_ = zone;
    this->open_ = open;
  }
  void play(Ts... x) override { this->hub_->sim_zone(this->zone_, this->open_); }

 protected:
  KeybusHub *hub_;
  uint8_t zone_{1};
  bool open_{true};
};

}  // namespace keybus
}  // namespace esphome
