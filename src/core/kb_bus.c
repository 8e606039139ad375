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
  kb_engine_init(&bus->engine, KB_MODE_LIVE, cfg ? cfg->event_cb : NULL,
                 cfg ? cfg->event_ctx : NULL);
  kb_keys_init(&bus->keys, cfg ? cfg->keys_cb : NULL, cfg ? cfg->keys_ctx : NULL);
  bus->last_us = 0;
  bus->ms = 0;
  bus->rem_us = 0;
  bus->clock_started = 0;
  bus->connected = false;
  bus->xpd = NULL;
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
  if (d >= 1000u) { /* whole ms; between two close polls, no division */
    bus->ms += d / 1000u;
    d %= 1000u;
  }
  rem = bus->rem_us + d;
  if (rem >= 1000u) {
    rem -= 1000u;
    bus->ms++;
  }
  bus->rem_us = (uint16_t)rem;
}

static bool is_classic(const kb_bus_t *bus) {
  return bus->engine.status.series == KB_SERIES_CLASSIC;
}

/* The Classic bus's poll: the same steps as kb_bus_poll() (docs at the top
 * of kb_bus.h) with the Classic link and decoder. */
static void poll_classic(kb_bus_t *bus, uint32_t now_us) {
  const kb_cls_frame_t *f;
  kb_link_change_t ch;
  unsigned n = 0;
  kb_cls_link_t *l = &bus->classic.link;
  bool keys = !kb_keys_idle(&bus->keys, bus->connected);
  while ((f = kb_cls_link_peek(l)) != NULL) {
    (void)kb_cls_frame(&bus->cls, f, bus->ms);
    /* the key's echo (K0) is read before the pop */
    if (keys)
      kb_keys_step_cls(&bus->keys, &bus->classic.keys, &bus->cls.status, f, bus->connected,
                       now_us, bus->ms);
    kb_cls_link_pop(l);
    n++;
  }
  if (n > 0u) {
    kb_link_stats_t s;
    kb_cls_link_stats(l, &s);
    bus->cls.health.ring_overflows = s.overflows;
    bus->cls.health.ring_high_water = s.high_water;
  }
  ch = kb_cls_link_tick(l, now_us);
  if (ch != KB_LINK_NO_CHANGE) {
    bus->connected = ch == KB_LINK_CONNECTED;
    kb_cls_connected(&bus->cls, bus->connected, bus->ms);
  }
  if (!kb_keys_idle(&bus->keys, bus->connected))
    kb_keys_step_cls(&bus->keys, &bus->classic.keys, &bus->cls.status, NULL, bus->connected,
                     now_us, bus->ms);
}

void kb_bus_poll(kb_bus_t *bus, uint32_t now_us) {
  const kb_frame_t *f;
  kb_link_change_t ch;
  KB_ASSERT(bus != NULL);
  clock_to(bus, now_us);
  if (is_classic(bus)) {
    poll_classic(bus, now_us);
    return;
  }
  f = kb_link_ring_peek(&bus->link);
  if (f != NULL) {
    /* Frames change the engine, not the keypad's queue: idle before the
     * first frame, it stays idle through the drain. */
    bool keys = !kb_keys_idle(&bus->keys, bus->connected);
    kb_xpd_t *xpd = bus->xpd;
    unsigned n = 0;
    if (!keys && xpd == NULL) { /* the usual drain: the engine alone */
      do {
        kb_engine_frame(&bus->engine, f, bus->ms);
        kb_link_ring_pop(&bus->link);
        n++;
      } while ((f = kb_link_ring_peek(&bus->link)) != NULL);
    } else {
      do {
        kb_engine_frame(&bus->engine, f, bus->ms);
        /* the key's echo is read before the pop overwrites it */
        if (keys) kb_keys_step(&bus->keys, &bus->link, &bus->engine, f, now_us);
        if (xpd != NULL) kb_xpd_frame(xpd, f);
        kb_link_ring_pop(&bus->link);
        n++;
      } while ((f = kb_link_ring_peek(&bus->link)) != NULL);
      /* a change the interrupt held up can go out once the message it was
       * driving has been published, i.e. after a drain */
      if (xpd != NULL) kb_xpd_poll(xpd);
    }
    /* The link's statistics into the health. They change only when the
     * interrupt publishes or drops a frame: the high-water mark rises to H
     * when H frames wait, a drop needs a full ring (KB_FRAME_RING >= 2
     * frames waiting). Those frames all wait for the poll that drains them,
     * which reads the statistics after its drain; so a rise above 1, or a
     * drop, is always seen by a poll that drained 2 frames or more, and
     * the mark's first rise (to 1) by the first poll that drains one. The
     * usual poll, one frame in a ring that has been used, copies nothing. */
    if (n > 1u || bus->engine.health.ring_high_water == 0u) {
      kb_link_stats_t s;
      kb_link_stats(&bus->link, &s);
      kb_engine_link_stats(&bus->engine, &s);
    }
  }
  ch = kb_link_tick(&bus->link, now_us);
  if (ch != KB_LINK_NO_CHANGE) {
    bus->connected = ch == KB_LINK_CONNECTED;
    kb_engine_connected(&bus->engine, bus->connected, bus->ms);
  }
  if (!kb_keys_idle(&bus->keys, bus->connected))
    kb_keys_step(&bus->keys, &bus->link, &bus->engine, NULL, now_us);
}

kb_err_t kb_bus_xpd_attach(kb_bus_t *bus, kb_xpd_t *x) {
  kb_err_t err;
  if (bus == NULL) return KB_ERR_ARG;
  if (x == NULL) {
    if (bus->xpd != NULL) kb_xpd_detach(bus->xpd);
    bus->xpd = NULL;
    return KB_OK;
  }
  if (bus->xpd != NULL) return KB_ERR_BUSY;
  if (is_classic(bus)) return KB_ERR_ARG; /* no module replies on the Classic bus */
  err = kb_xpd_attach(x, &bus->link);
  if (err == KB_OK) bus->xpd = x;
  return err;
}

kb_link_t *kb_bus_link(kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return is_classic(bus) ? NULL : &bus->link;
}

kb_err_t kb_bus_set_series(kb_bus_t *bus, uint8_t series) {
  kb_event_cb cb;
  void *ctx;
  if (bus == NULL || (series != KB_SERIES_POWER && series != KB_SERIES_CLASSIC)) return KB_ERR_ARG;
  /* frames counts every frame either decoder was given (common part) */
  if (bus->engine.health.frames != 0u || kb_keys_pending(&bus->keys) != 0u || bus->xpd != NULL)
    return KB_ERR_BUSY;
  /* the callback is in the common part of both decoders */
  cb = bus->engine.cb;
  ctx = bus->engine.cb_ctx;
  if (series == KB_SERIES_CLASSIC) {
    kb_cls_link_init(&bus->classic.link, 0);
    kb_cls_keys_init(&bus->classic.keys, &bus->classic.link);
    kb_cls_init(&bus->cls, KB_MODE_LIVE, cb, ctx);
  } else {
    kb_link_init(&bus->link);
    kb_engine_init(&bus->engine, KB_MODE_LIVE, cb, ctx);
  }
  bus->connected = false;
  return KB_OK;
}

uint8_t kb_bus_series(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return is_classic(bus) ? KB_SERIES_CLASSIC : KB_SERIES_POWER;
}

kb_cls_link_t *kb_bus_cls_link(kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return is_classic(bus) ? &bus->classic.link : NULL;
}

const kb_status_t *kb_bus_status(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return is_classic(bus) ? &bus->cls.status : &bus->engine.status;
}

const kb_health_t *kb_bus_health(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return is_classic(bus) ? &bus->cls.health : &bus->engine.health;
}

uint32_t kb_bus_ms(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  return bus->ms;
}

uint32_t kb_bus_frame_age_ms(const kb_bus_t *bus) {
  KB_ASSERT(bus != NULL);
  if (is_classic(bus))
    return bus->cls.health.has_frame ? bus->ms - bus->cls.health.last_frame_ms : UINT32_MAX;
  return kb_engine_frame_age_ms(&bus->engine, bus->ms);
}

kb_err_t kb_bus_keys_submit(kb_bus_t *bus, uint8_t partition, const char *keys, const char *code,
                            uint16_t *id) {
  KB_ASSERT(bus != NULL);
  if (is_classic(bus))
    return kb_keys_submit_cls(&bus->keys, &bus->cls.status, partition, keys, code, bus->last_us,
                              id);
  return kb_keys_submit(&bus->keys, &bus->engine, partition, keys, code, bus->last_us, id);
}

kb_err_t kb_bus_set_time(kb_bus_t *bus, uint8_t partition, uint16_t year, uint8_t month,
                         uint8_t day, uint8_t hour, uint8_t minute, const char *code,
                         uint16_t *id) {
  KB_ASSERT(bus != NULL);
  if (is_classic(bus)) return KB_ERR_ARG; /* the Classic has no clock (A9) */
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
