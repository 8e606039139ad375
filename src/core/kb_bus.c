/* SPDX-License-Identifier: MIT
 *
 * kb_bus.c - the task loop shared by every port and frontend (kb_bus.h): the
 * link's ring drained into the engine and the virtual keypad, the
 * disconnected rule, the link's statistics into the health, and the one
 * clock (32-bit µs in, the engine's ms derived wrap-safely here).
 */
#include "keybus/kb_bus.h"

#include <stddef.h>

void kb_bus_init(kb_bus_t *bus, const kb_bus_cfg_t *cfg) {
  KB_ASSERT(bus != NULL);
  kb_link_init(&bus->link);
  kb_engine_init(&bus->engine, KB_INPUT_LIVE, cfg ? cfg->event_cb : NULL,
                 cfg ? cfg->event_ctx : NULL);
  kb_keys_init(&bus->keys, cfg ? cfg->keys_cb : NULL, cfg ? cfg->keys_ctx : NULL);
  bus->last_us = 0;
  bus->ms = 0;
  bus->rem_us = 0;
  bus->clock_started = 0;
}

/* Advances the ms clock to now_us. The first poll aligns it with the
 * caller's clock (ms = now_us / 1000, once); after that only differences
 * count, so the µs counter's wrap is just another difference. */
static void clock_to(kb_bus_t *bus, uint32_t now_us) {
  uint32_t d = now_us - bus->last_us, rem;
  if (!bus->clock_started) {
    bus->clock_started = 1;
    bus->ms = now_us / 1000u;
    bus->rem_us = (uint16_t)(now_us % 1000u);
    bus->last_us = now_us;
    return;
  }
  if ((int32_t)d <= 0) return; /* no time passed, or a stale stamp */
  bus->last_us = now_us;
  if (d < 1000u) { /* the usual case between two polls: no division */
    rem = bus->rem_us + d;
    if (rem >= 1000u) {
      rem -= 1000u;
      bus->ms++;
    }
  } else {
    bus->ms += d / 1000u;
    rem = bus->rem_us + d % 1000u;
    if (rem >= 1000u) {
      rem -= 1000u;
      bus->ms++;
    }
  }
  bus->rem_us = (uint16_t)rem;
}

void kb_bus_poll(kb_bus_t *bus, uint32_t now_us) {
  const kb_frame_t *f;
  kb_link_change_t ch;
  kb_link_stats_t s;
  KB_ASSERT(bus != NULL);
  clock_to(bus, now_us);
  while ((f = kb_link_peek(&bus->link)) != NULL) {
    kb_engine_frame(&bus->engine, f, bus->ms);
    kb_keys_step(&bus->keys, &bus->link, &bus->engine, f, now_us); /* the echo, before the pop */
    kb_link_pop(&bus->link);
  }
  ch = kb_link_tick(&bus->link, now_us);
  if (ch != KB_LINK_NO_CHANGE)
    kb_engine_connected(&bus->engine, ch == KB_LINK_CONNECTED, bus->ms);
  kb_keys_step(&bus->keys, &bus->link, &bus->engine, NULL, now_us);
  kb_link_stats(&bus->link, &s);
  kb_engine_link_stats(&bus->engine, &s);
}

kb_link_t *kb_bus_link(kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return &bus->link;
}

const kb_status_t *kb_bus_status(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return &bus->engine.status;
}

const kb_health_t *kb_bus_health(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return &bus->engine.health;
}

uint32_t kb_bus_ms(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return bus->ms;
}

uint32_t kb_bus_frame_age_ms(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return kb_engine_frame_age_ms(&bus->engine, bus->ms);
}

kb_err_t kb_bus_keys_submit(kb_bus_t *bus, uint8_t partition, const char *keys, const char *code,
                            uint16_t *id) {
  KB_ASSERT(bus != NULL);
  return kb_keys_submit(&bus->keys, &bus->engine, partition, keys, code, bus->last_us, id);
}

kb_err_t kb_bus_set_time(kb_bus_t *bus, uint8_t partition, uint16_t year, uint8_t month,
                         uint8_t day, uint8_t hour, uint8_t minute, const char *code,
                         uint16_t *id) {
  KB_ASSERT(bus != NULL);
  return kb_keys_set_time(&bus->keys, &bus->engine, partition, year, month, day, hour, minute,
                          code, bus->last_us, id);
}

kb_keys_result_t kb_bus_keys_result(const kb_bus_t *bus, uint16_t id, kb_keys_info_t *out) {
  KB_ASSERT(bus != NULL);
  return kb_keys_result(&bus->keys, id, out);
}

uint8_t kb_bus_keys_pending(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return kb_keys_pending(&bus->keys);
}
