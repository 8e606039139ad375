// keybus_hub.cpp - the ESPHome keybus hub (see keybus_hub.h).
#include "keybus_hub.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "esphome/core/application.h"
#include "esphome/core/hal.h"
#include "esphome/core/log.h"

#include "kb_ha.h"
#include "kb_status_words.h"
#include "keybus/kb_err.h"

namespace esphome {
namespace keybus {

static const char *const TAG = "keybus";

// ------------------------------------------------------------ alarm panel

KeybusAlarmPanel::KeybusAlarmPanel(KeybusHub *hub, uint8_t partition) : hub_(hub), partition_(partition) {
  // ESPHome's panel has no "unknown": start from disarmed without publishing;
  // the hub publishes what the bus says once the partition's status is known.
  this->current_state_ = alarm_control_panel::ACP_STATE_DISARMED;
  this->desired_state_ = alarm_control_panel::ACP_STATE_DISARMED;
}

uint32_t KeybusAlarmPanel::get_supported_features() const {
  return alarm_control_panel::ACP_FEAT_ARM_HOME | alarm_control_panel::ACP_FEAT_ARM_AWAY |
         alarm_control_panel::ACP_FEAT_ARM_NIGHT;
}

// Home Assistant asks for a code only when the hub has none of its own.
bool KeybusAlarmPanel::get_requires_code() const { return !this->hub_->has_code(); }

void KeybusAlarmPanel::control(const alarm_control_panel::AlarmControlPanelCall &call) {
  if (!call.get_state().has_value())
    return;
  ArmMode mode;
  switch (*call.get_state()) {
    case alarm_control_panel::ACP_STATE_DISARMED:
      mode = ARM_MODE_DISARM;
      break;
    case alarm_control_panel::ACP_STATE_ARMED_HOME:
      mode = ARM_MODE_HOME;
      break;
    case alarm_control_panel::ACP_STATE_ARMED_AWAY:
      mode = ARM_MODE_AWAY;
      break;
    case alarm_control_panel::ACP_STATE_ARMED_NIGHT:
      mode = ARM_MODE_NIGHT;
      break;
    default:
      ESP_LOGW(TAG, "partition %u: that state cannot be asked of the panel", this->partition_);
      return;
  }
  // queued to the virtual keypad; the state is published when the panel shows it
  if (call.get_code().has_value()) {
    std::string code = *call.get_code();
    this->hub_->arm(this->partition_, mode, &code);
    std::fill(code.begin(), code.end(), '\0');
  } else {
    this->hub_->arm(this->partition_, mode, nullptr);
  }
}

// ------------------------------------------------------------ configuration

void KeybusHub::set_simulation(float speed, uint32_t exit_s, uint32_t entry_s, uint32_t stop_after_ms,
                               uint32_t seed) {
  this->simulation_ = true;
  this->cfg_.speed = speed;
  this->cfg_.exit_delay_s = (uint8_t) exit_s;
  this->cfg_.entry_delay_s = (uint8_t) entry_s;
  this->cfg_.seed = seed;
  this->stop_after_ms_ = stop_after_ms;
}

void KeybusHub::add_binary(binary_sensor::BinarySensor *s, uint8_t kind, uint8_t index) {
  this->slots_.push_back(Slot{0, kind, index, s});
}
void KeybusHub::add_sensor(sensor::Sensor *s, uint8_t kind) { this->slots_.push_back(Slot{1, kind, 0, s}); }
void KeybusHub::add_text(text_sensor::TextSensor *s, uint8_t kind, uint8_t index) {
  this->slots_.push_back(Slot{2, kind, index, s});
}
void KeybusHub::add_panel(KeybusAlarmPanel *p) { this->slots_.push_back(Slot{3, 0, p->partition(), p}); }

// ------------------------------------------------------------ callbacks

// Backend context (ESP32: the keybus task with the bus lock held; host: the
// main loop inside backend_pump). Copies only.
void KeybusHub::on_event(void *ctx, const kb_event_t *ev) {
  auto *h = static_cast<KeybusHub *>(ctx);
  if (h->ev_len_ == KEYBUS_EVENT_RING) {
    h->ev_dropped_++;  // entity states come from the status snapshot: only the last-event text misses it
    return;
  }
  h->events_[(h->ev_head_ + h->ev_len_) % KEYBUS_EVENT_RING] = *ev;
  h->ev_len_++;
}

void KeybusHub::on_keys(void *ctx, const kb_keys_note_t *n) {
  auto *h = static_cast<KeybusHub *>(ctx);
  if (n->type != KB_KEYS_NOTE_END && n->type != KB_KEYS_NOTE_CLEAR)
    return;
  if (h->note_len_ == KEYBUS_NOTE_RING)
    return;
  Note &o = h->notes_[(h->note_head_ + h->note_len_) % KEYBUS_NOTE_RING];
  o.id = n->id;
  o.partition = n->partition;
  o.result = n->type == KB_KEYS_NOTE_CLEAR ? 0xFF : n->result;
  o.status = n->status;
  o.reason = n->reason;
  h->note_len_++;
}

// ------------------------------------------------------------ lifecycle

void KeybusHub::setup() {
  this->cfg_.code = this->code_.empty() ? nullptr : this->code_.c_str();
  this->cfg_.bus.event_cb = &KeybusHub::on_event;
  this->cfg_.bus.event_ctx = this;
  this->cfg_.bus.keys_cb = &KeybusHub::on_keys;
  this->cfg_.bus.keys_ctx = this;
  if (this->cfg_.clock_pin_object != nullptr)
    this->cfg_.clock_pin_object->setup();
  if (!backend_start(this->cfg_, &this->failure_)) {
    // logged once; the component stays failed (no retry), the failure text is published
    ESP_LOGE(TAG, "the bus did not start: %s", this->failure_.c_str());
    this->status_set_error();
    return;
  }
  this->started_ = true;
}

static const char *partition_words(const kb_partition_t &p, char *buf, size_t n) {
  if (!p.known)
    return "unknown";
  const char *w = kb_status_words(p.status);
  if (w != nullptr)
    return w;
  snprintf(buf, n, "status 0x%02X", p.status);
  return buf;
}

static void event_text(const kb_event_t &ev, char *buf, size_t n) {
  buf[0] = '\0';
  switch (ev.type) {
    case KB_EV_CONNECTED:
      snprintf(buf, n, "keybus %s", ev.state.on ? "connected" : "disconnected");
      break;
    case KB_EV_ARMED:
      if (ev.armed.on)
        snprintf(buf, n, "partition %u armed %s", ev.partition, ev.armed.mode == KB_ARMED_STAY ? "stay" : "away");
      else
        snprintf(buf, n, "partition %u disarmed", ev.partition);
      break;
    case KB_EV_EXIT_DELAY:
      if (ev.exit_delay.on)
        snprintf(buf, n, "partition %u exit delay", ev.partition);
      break;
    case KB_EV_ENTRY_DELAY:
      if (ev.state.on)
        snprintf(buf, n, "partition %u entry delay", ev.partition);
      break;
    case KB_EV_ALARM:
      snprintf(buf, n, "partition %u %s", ev.partition, ev.state.on ? "alarm" : "alarm over");
      break;
    case KB_EV_FIRE:
      snprintf(buf, n, "partition %u fire %s", ev.partition, ev.state.on ? "on" : "off");
      break;
    case KB_EV_ZONE_OPEN:
      snprintf(buf, n, "zone %u %s", ev.zone.zone, ev.zone.on ? "open" : "closed");
      break;
    case KB_EV_ZONE_ALARM:
      snprintf(buf, n, "zone %u %s", ev.zone.zone, ev.zone.on ? "alarm" : "alarm restored");
      break;
    case KB_EV_ZONE_TAMPER:
      snprintf(buf, n, "zone %u %s", ev.zone.zone, ev.zone.on ? "tamper" : "tamper restored");
      break;
    case KB_EV_ZONE_BYPASS:
      snprintf(buf, n, "zone %u %s", ev.zone.zone, ev.zone.on ? "bypassed" : "not bypassed");
      break;
    case KB_EV_TROUBLE:
      snprintf(buf, n, "trouble %s", ev.state.on ? "on" : "off");
      break;
    case KB_EV_AC_POWER:
      snprintf(buf, n, "AC power %s", ev.state.on ? "restored" : "lost");
      break;
    case KB_EV_BATTERY:
      snprintf(buf, n, "battery %s", ev.state.on ? "ok" : "low");
      break;
    case KB_EV_ACCESS_CODE:
      snprintf(buf, n, "partition %u: access code number %u", ev.partition, ev.access.user);
      break;
    default:
      break;  // frames, keys, time, sounds...: not worth a text
  }
}

static bool bit_of(const uint8_t *bits, uint8_t z) { return z >= 1 && ((bits[(z - 1u) / 8u] >> ((z - 1u) % 8u)) & 1u); }

static bool acp_state(const kb_partition_t &p, alarm_control_panel::AlarmControlPanelState *out) {
  const char *s = kb_ha_alarm_state(&p);
  if (s == nullptr)
    return false;
  static const struct {
    const char *word;
    alarm_control_panel::AlarmControlPanelState state;
  } map[] = {
      {"disarmed", alarm_control_panel::ACP_STATE_DISARMED},
      {"arming", alarm_control_panel::ACP_STATE_ARMING},
      {"pending", alarm_control_panel::ACP_STATE_PENDING},
      {"armed_home", alarm_control_panel::ACP_STATE_ARMED_HOME},
      {"armed_away", alarm_control_panel::ACP_STATE_ARMED_AWAY},
      {"armed_night", alarm_control_panel::ACP_STATE_ARMED_NIGHT},
      {"triggered", alarm_control_panel::ACP_STATE_TRIGGERED},
  };
  for (const auto &m : map) {
    if (strcmp(m.word, s) == 0) {
      *out = m.state;
      return true;
    }
  }
  return false;
}

// Publishes slot s when its value differs from what the entity shows; true
// when it published (one publication).
bool KeybusHub::publish_slot_(const Slot &s) {
  const bool synced = this->have_status_ && this->status_.synced;
  const kb_partition_t *part =
      (s.index >= 1 && s.index <= KB_MAX_PARTITIONS) ? &this->status_.part[s.index - 1] : nullptr;
  switch (s.domain) {
    case 0: {
      auto *b = static_cast<binary_sensor::BinarySensor *>(s.entity);
      bool v;
      switch (s.kind) {
        case BK_CONNECTED:
          if (!this->have_status_)
            return false;
          v = this->status_.connected;
          break;
        case BK_HEALTHY:
          if (!this->have_status_)
            return false;
          v = this->heap_.healthy;
          break;
        default:
          if (!synced)
            return false;
          switch (s.kind) {
            case BK_ZONE_OPEN: v = bit_of(this->status_.zones_open, s.index); break;
            case BK_ZONE_ALARM: v = bit_of(this->status_.zones_alarm, s.index); break;
            case BK_ZONE_TAMPER: v = bit_of(this->status_.zones_tamper, s.index); break;
            case BK_ZONE_BYPASS: v = bit_of(this->status_.zones_bypass, s.index); break;
            case BK_READY: if (!part || !part->known) return false; v = part->ready; break;
            case BK_FIRE: if (!part || !part->known) return false; v = part->fire; break;
            case BK_ALARM: if (!part || !part->known) return false; v = part->alarm; break;
            case BK_TROUBLE: v = this->status_.trouble; break;
            case BK_AC_POWER: v = this->status_.ac_power; break;
            case BK_BATTERY_LOW: v = !this->status_.battery_ok; break;
            default: return false;
          }
      }
      if (b->has_state() && b->state == v)
        return false;
      b->publish_state(v);
      return true;
    }
    case 1: {
      auto *se = static_cast<sensor::Sensor *>(s.entity);
      if (!this->have_status_)
        return false;
      const kb_health_t &h = this->health_shown_;
      float v;
      switch (s.kind) {
        case SK_FRAMES: v = (float) h.frames; break;
        case SK_ERRORS:
          v = (float) (h.checksum_errors + h.length_errors + h.framing_errors + h.runts);
          break;
        case SK_CHECKSUM_ERRORS: v = (float) h.checksum_errors; break;
        case SK_RING_OVERFLOWS: v = (float) h.ring_overflows; break;
        case SK_RING_HIGH_WATER: v = (float) h.ring_high_water; break;
        case SK_HEAP_FREE: v = this->heap_.free_bytes; break;
        case SK_HEAP_MIN_FREE: v = this->heap_.min_free_bytes; break;
        case SK_HEAP_LARGEST: v = this->heap_.largest_block; break;
        case SK_LOOP_MAX_US: v = (float) this->shown_loop_max_us_; break;
        case SK_EVENTS_DROPPED: v = (float) this->shown_ev_dropped_; break;
        default: return false;
      }
      if (se->has_state() && (se->state == v || (std::isnan(se->state) && std::isnan(v))))
        return false;
      se->publish_state(v);
      return true;
    }
    case 2: {
      auto *t = static_cast<text_sensor::TextSensor *>(s.entity);
      char buf[64];
      const char *v;
      switch (s.kind) {
        case TK_PARTITION_STATUS:
          if (!synced || part == nullptr)
            return false;
          v = partition_words(*part, buf, sizeof buf);
          break;
        case TK_LAST_EVENT:
          if (this->last_event_[0] == '\0')
            return false;
          v = this->last_event_;
          break;
        case TK_FAILURE:
          v = this->failure_.empty() ? "none" : this->failure_.c_str();
          break;
        default:
          return false;
      }
      if (t->has_state() && t->state == v)
        return false;
      t->publish_state(v);
      return true;
    }
    case 3: {
      auto *p = static_cast<KeybusAlarmPanel *>(s.entity);
      alarm_control_panel::AlarmControlPanelState st;
      if (!synced || part == nullptr || !acp_state(*part, &st) || p->get_state() == st)
        return false;
      p->show(st);
      return true;
    }
    default:
      return false;
  }
}

void KeybusHub::loop() {
  const uint32_t t0 = micros();
  this->loops_++;
  // 1. the port: host runs at most KEYBUS_LOOP_FRAMES simulated messages
  //    (each decoded inside by kb_bus_poll); ESP32: nothing (the keybus task)
  PumpStats ps;
  if (this->started_)
    backend_pump(KEYBUS_LOOP_FRAMES, &ps);

  // 2. a snapshot of the engine and at most KEYBUS_LOOP_EVENTS events, under the lock
  kb_event_t evs[KEYBUS_LOOP_EVENTS];
  Note notes[KEYBUS_NOTE_RING];
  uint32_t nev = 0, nnotes = 0;
  kb_bus_t *bus = this->started_ ? backend_lock(0) : nullptr;
  if (bus != nullptr) {
    this->status_ = *kb_bus_status(bus);
    this->health_ = *kb_bus_health(bus);
    this->have_status_ = true;
    while (this->ev_len_ > 0 && nev < KEYBUS_LOOP_EVENTS) {
      evs[nev++] = this->events_[this->ev_head_];
      this->ev_head_ = (this->ev_head_ + 1) % KEYBUS_EVENT_RING;
      this->ev_len_--;
    }
    while (this->note_len_ > 0) {
      notes[nnotes++] = this->notes_[this->note_head_];
      this->note_head_ = (this->note_head_ + 1) % KEYBUS_NOTE_RING;
      this->note_len_--;
    }
    backend_unlock();
  }
  uint32_t frames = this->health_.frames - this->prev_frames_;
  this->prev_frames_ = this->health_.frames;
  for (uint32_t i = 0; i < nev; i++) {
    char text[sizeof this->last_event_];
    event_text(evs[i], text, sizeof text);
    if (text[0] != '\0')
      memcpy(this->last_event_, text, sizeof text);
  }
  for (uint32_t i = 0; i < nnotes; i++) {
    const Note &n = notes[i];
    if (n.result == 0xFF) {
      ESP_LOGW(TAG, "partition %u: the virtual keypad typed # to clear an unfinished entry (request %u)",
               n.partition, n.id);
      continue;
    }
    kb_keys_info_t info{};
    info.result = n.result;
    info.status = n.status;
    info.reason = n.reason;
    const char *word = kb_ha_result_word((kb_keys_result_t) n.result, &info);
    if (n.result == KB_KEYS_DONE)
      ESP_LOGI(TAG, "partition %u: request %u %s", n.partition, n.id, word);
    else
      ESP_LOGW(TAG, "partition %u: request %u %s", n.partition, n.id, word);
  }

  // 3. the health values, every health_interval
  // (the backend's time: the simulation's virtual time on the host)
  const uint64_t now = backend_time_ms();
  if (this->have_status_ && (!this->health_taken_ || now - this->last_health_ms_ >= this->health_interval_ms_)) {
    // the health values change with every frame: they are taken (and so
    // published) at most once per health_interval
    this->health_shown_ = this->health_;
    this->shown_loop_max_us_ = this->max_loop_us_;
    this->shown_ev_dropped_ = this->ev_dropped_;
    backend_heap(this->health_, this->status_.connected, &this->heap_);
    this->last_health_ms_ = now;
    this->health_taken_ = true;
  }

  // 4. at most KEYBUS_LOOP_PUBLISH publications, round robin over the entities
  uint32_t published = 0;
  const size_t n = this->slots_.size();
  for (size_t k = 0; k < n && published < KEYBUS_LOOP_PUBLISH; k++) {
    const Slot &s = this->slots_[this->cursor_];
    this->cursor_ = (this->cursor_ + 1) % n;
    if (this->publish_slot_(s))
      published++;
  }
  this->publications_ += published;

  // accounting: the most one loop() did
  if (frames > this->max_frames_)
    this->max_frames_ = frames;
  if (ps.messages > this->max_messages_)
    this->max_messages_ = ps.messages;
  if (ps.max_frames_per_message > this->max_frames_per_message_)
    this->max_frames_per_message_ = ps.max_frames_per_message;
  if (ps.at_bound)
    this->loops_at_frame_bound_++;
  if (nev == KEYBUS_LOOP_EVENTS)
    this->loops_at_event_bound_++;
  if (nev > this->max_events_)
    this->max_events_ = nev;
  if (published > this->max_publish_)
    this->max_publish_ = published;
  if (published == KEYBUS_LOOP_PUBLISH)
    this->loops_at_publish_bound_++;
  const uint32_t dt = micros() - t0;
  if (dt > this->max_loop_us_)
    this->max_loop_us_ = dt;

  if (this->simulation_ && this->stop_after_ms_ != 0 && backend_time_ms() >= this->stop_after_ms_) {
    this->summary_();
    this->stop_after_ms_ = 0;
    App.safe_reboot();  // host: on_shutdown hooks, then exit(0)
  }
}

void KeybusHub::summary_() {
  ESP_LOGI(TAG,
           "summary: loops=%u virtual_ms=%llu frames=%u publications=%u events_dropped=%u "
           "bound_frames=%u bound_events=%u bound_publish=%u "
           "max_frames_per_loop=%u max_events_per_loop=%u max_publish_per_loop=%u "
           "loops_at_frame_bound=%u loops_at_event_bound=%u loops_at_publish_bound=%u "
           "max_messages_per_loop=%u max_frames_per_message=%u max_loop_us=%u",
           (unsigned) this->loops_, (unsigned long long) backend_time_ms(), (unsigned) this->health_.frames,
           (unsigned) this->publications_, (unsigned) this->ev_dropped_, (unsigned) KEYBUS_LOOP_FRAMES,
           (unsigned) KEYBUS_LOOP_EVENTS, (unsigned) KEYBUS_LOOP_PUBLISH, (unsigned) this->max_frames_,
           (unsigned) this->max_events_, (unsigned) this->max_publish_, (unsigned) this->loops_at_frame_bound_,
           (unsigned) this->loops_at_event_bound_, (unsigned) this->loops_at_publish_bound_,
           (unsigned) this->max_messages_, (unsigned) this->max_frames_per_message_, (unsigned) this->max_loop_us_);
}

void KeybusHub::dump_config() {
  ESP_LOGCONFIG(TAG, "Keybus:");
  if (this->simulation_) {
    ESP_LOGCONFIG(TAG, "  Port: simulated panel (host), speed x%.1f, exit/entry delay %us/%us", this->cfg_.speed,
                  this->cfg_.exit_delay_s, this->cfg_.entry_delay_s);
    ESP_LOGCONFIG(TAG, "  Pins (validated, not used here): clock GPIO%d, data GPIO%d, write %s%d", this->cfg_.clock_pin,
                  this->cfg_.data_pin, this->cfg_.write_pin < 0 ? "none" : "GPIO",
                  this->cfg_.write_pin < 0 ? 0 : this->cfg_.write_pin);
  } else {
    ESP_LOGCONFIG(TAG, "  Clock pin: GPIO%d, data pin: GPIO%d, write pin: %s%d", this->cfg_.clock_pin,
                  this->cfg_.data_pin, this->cfg_.write_pin < 0 ? "none (listen only) " : "GPIO",
                  this->cfg_.write_pin < 0 ? 0 : this->cfg_.write_pin);
  }
  ESP_LOGCONFIG(TAG, "  Partitions: 0x%02X", this->cfg_.partitions);
  // the code itself is a secret: only whether there is one and its length
  if (this->code_.empty())
    ESP_LOGCONFIG(TAG, "  Code: none (arm/disarm need a code from the caller)");
  else
    ESP_LOGCONFIG(TAG, "  Code: set (%u digits)", (unsigned) this->code_.size());
  ESP_LOGCONFIG(TAG, "  Entities: %u; per loop(): at most %u frames, %u events, %u publications",
                (unsigned) this->slots_.size(), (unsigned) KEYBUS_LOOP_FRAMES, (unsigned) KEYBUS_LOOP_EVENTS,
                (unsigned) KEYBUS_LOOP_PUBLISH);
  if (!this->failure_.empty())
    ESP_LOGCONFIG(TAG, "  FAILED: %s", this->failure_.c_str());
}

// ------------------------------------------------------------ commands

bool KeybusHub::submit_(uint8_t partition, uint8_t action, const char *keys, const std::string *code) {
  if (!this->started_) {
    ESP_LOGW(TAG, "partition %u: not queued: the bus is not running", partition);
    return false;
  }
  if (this->cfg_.write_pin < 0) {
    ESP_LOGW(TAG, "partition %u: not queued: listen only (no write_pin)", partition);
    return false;
  }
  kb_ha_cmd_t cmd;
  memset(&cmd, 0, sizeof cmd);
  cmd.action = action;
  cmd.partition = partition;
  if (keys != nullptr)
    snprintf(cmd.keys, sizeof cmd.keys, "%s", keys);
  // raw keys carry a code only where they say so (`@`: the hub's code, typed
  // if the panel prompts for it)
  const bool wants_code = action != KB_HA_ACT_KEYS || (keys != nullptr && strchr(keys, '@') != nullptr);
  const std::string &c = code != nullptr ? *code : this->code_;
  if (wants_code && !c.empty())
    snprintf(cmd.code, sizeof cmd.code, "%s", c.c_str());
  kb_bus_t *bus = backend_lock(100);
  if (bus == nullptr) {
    kb_ha_cmd_wipe(&cmd);
    ESP_LOGW(TAG, "partition %u: not queued: the bus is busy", partition);
    return false;
  }
  uint16_t id = 0;
  kb_err_t e = kb_ha_submit(bus, &cmd, &id);  // wipes the code whatever the outcome
  backend_unlock();
  kb_ha_cmd_wipe(&cmd);
  if (e != KB_OK) {
    ESP_LOGW(TAG, "partition %u: not queued: %s", partition, kb_ha_err_word(e));
    return false;
  }
  ESP_LOGI(TAG, "partition %u: request %u queued", partition, id);
  return true;
}

bool KeybusHub::arm(uint8_t partition, ArmMode mode, const std::string *code) {
  static const uint8_t actions[] = {KB_HA_ACT_DISARM, KB_HA_ACT_ARM_HOME, KB_HA_ACT_ARM_AWAY, KB_HA_ACT_ARM_NIGHT};
  static const char *const names[] = {"disarm", "arm home", "arm away", "arm night"};
  ESP_LOGI(TAG, "partition %u: %s (%s code)", partition, names[mode],
           code != nullptr ? "the action's" : (this->code_.empty() ? "no" : "the hub's"));
  return this->submit_(partition, actions[mode], nullptr, code);
}

bool KeybusHub::write_keys(uint8_t partition, const std::string &keys) {
  // the keys may hold a code: their count only
  ESP_LOGI(TAG, "partition %u: %u keys", partition, (unsigned) keys.size());
  return this->submit_(partition, KB_HA_ACT_KEYS, keys.c_str(), nullptr);
}

bool KeybusHub::sim_zone(uint8_t zone, bool open) {
  if (!backend_sim_zone(zone, open)) {
    ESP_LOGW(TAG, "zone %u: no simulated panel here", zone);
    return false;
  }
  ESP_LOGI(TAG, "simulated panel: zone %u %s", zone, open ? "opened" : "closed");
  return true;
}

}  // namespace keybus
}  // namespace esphome
