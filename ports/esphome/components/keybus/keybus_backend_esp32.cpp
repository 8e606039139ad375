// keybus_backend_esp32.cpp - the port seam on ESP32 (esp-idf framework): the
// ESP-IDF component of this repository (ports/esp-idf, keybus_esp.h). Its
// static task decodes the bus; the hub only locks the bus for a snapshot.
//
// The GPIO ISR service: ESPHome's ESP32InternalGPIOPin::attach_interrupt
// installs it itself (ESP_INTR_FLAG_LEVEL3, no IRAM flag) the first time any
// component attaches an interrupt, tracking that in its own static flag; when
// someone else installed it first, ESPHome's install fails
// (ESP_ERR_INVALID_STATE), it logs an error and does NOT add its handler. So
// under ESPHome the component never installs the service: kbe_config_t.attach
// routes the clock interrupt through attach_interrupt, and ESPHome's install
// and ours cannot conflict whatever the order (docs/esphome.md).
#include "esphome/core/defines.h"
#ifdef USE_ESP32

#include "keybus_backend.h"

#include <cmath>

#include "esphome/core/gpio.h"
#include "esphome/core/hal.h"
#include "esphome/core/log.h"

#include "keybus_esp.h"

namespace esphome {
namespace keybus {

static const char *const TAG = "keybus.esp32";
static InternalGPIOPin *clock_pin = nullptr;

// kbe_attach_fn, called on the keybus task (kbe_start / kbe_stop)
static esp_err_t attach_clock(void *ctx, int pin, void (*isr)(void *), bool attach) {
  auto *p = static_cast<InternalGPIOPin *>(ctx);
  (void) pin;
  if (p == nullptr)
    return ESP_ERR_INVALID_ARG;
  if (attach)
    p->attach_interrupt<void>(isr, nullptr, gpio::INTERRUPT_ANY_EDGE);
  else
    p->detach_interrupt();
  return ESP_OK;
}

bool backend_start(const BackendConfig &cfg, std::string *failure) {
  kbe_config_t c;
  kbe_config_default(&c);
  c.clock_pin = cfg.clock_pin;
  c.data_pin = cfg.data_pin;
  c.write_pin = cfg.write_pin;
  c.panel = cfg.panel;
  c.pc16_pin = cfg.pc16_pin;
  c.bus = cfg.bus;
  clock_pin = cfg.clock_pin_object;
  c.attach = attach_clock;
  c.attach_ctx = clock_pin;
  esp_err_t e = kbe_start(&c);
  if (e != ESP_OK) {
    *failure = kbe_failure()[0] != '\0' ? kbe_failure() : esp_err_to_name(e);
    return false;
  }
  ESP_LOGI(TAG, "keybus task running");
  return true;
}

kb_bus_t *backend_lock(uint32_t wait_ms) { return kbe_lock(wait_ms); }

void backend_unlock() { kbe_unlock(); }

uint32_t backend_pump(uint32_t max_frames, PumpStats *st) {
  (void) max_frames;
  *st = PumpStats{};
  return 0;
}

uint64_t backend_time_ms() { return millis(); }

bool backend_sim_zone(uint8_t zone, bool open) {
  (void) zone;
  (void) open;
  return false;
}

void backend_heap(const kb_health_t &h, bool connected, BackendHeap *out) {
  (void) h;
  (void) connected;
  kbe_health_t k;
  kbe_health(&k);  // takes the bus lock briefly: called outside the hub's lock
  out->free_bytes = (float) k.heap_free;
  out->min_free_bytes = (float) k.heap_min_free;
  out->largest_block = (float) k.heap_largest;
  out->healthy = k.healthy;  // THE definition: kbe_healthy() (docs/esp32.md)
  out->isr_service_shared = k.isr_service_shared;
}

}  // namespace keybus
}  // namespace esphome

#endif  // USE_ESP32
