/* SPDX-License-Identifier: MIT
 *
 * kb_classic.c - Classic series decode and status (kb_classic.h). The rules
 * follow the protocol notes, classic-and-keypad.md A6, step by step; each
 * place where we differ from the reference on purpose (its quirks, A10)
 * says so and names its test in tests/unit/core/test_classic.c.
 *
 * Events come from comparing the model before and after a frame (emit()),
 * so each change is reported exactly once whatever rule made it.
 */
#include "keybus/kb_classic.h"

#include <string.h>

#include "keybus/kb_proto.h"

/* ---------------------------------------- Declarations internal to this file */

#define MEMORY_BIT (1u << KB_CLS_BL_MEMORY)
#define ARMED_BIT (1u << KB_CLS_BL_ARMED)
#define BYPASS_BIT (1u << KB_CLS_BL_BYPASS)
#define TROUBLE_BIT (1u << KB_CLS_BL_TROUBLE)

#define BLINK_ON_MS 600u    /* seen off less than this ago while on: blinking */
#define BLINK_MEMORY_MS 600u
#define BLINK_OTHER_MS 1200u
#define BEEP_QUIET_MS 500u  /* beep off time follows "now" this long after a beep */
#define STAY_AWAY_MS 2000u  /* beep burst that turns a stay arming into away */
#define EXIT_OFF_MS 600u    /* Armed light off this long: the exit delay is over */
#define KEY_REPEAT_MS (3u * KB_CLS_FRAME_MS) /* a held key repeats every frame */

static const struct {
  uint8_t k0, ps;
} key_map[] = {
    {0xD7, KB_KEY_0},  {0xBE, KB_KEY_1},     {0xDE, KB_KEY_2},           {0xEE, KB_KEY_3},
    {0xBD, KB_KEY_4},  {0xDD, KB_KEY_5},     {0xED, KB_KEY_6},           {0xBB, KB_KEY_7},
    {0xDB, KB_KEY_8},  {0xEB, KB_KEY_9},     {KB_CLS_KEY_STAR, KB_KEY_STAR}, {KB_CLS_KEY_POUND, KB_KEY_POUND},
    {KB_CLS_KEY_FIRE, KB_KEY_ALARM_FIRE}, {KB_CLS_KEY_AUX, KB_KEY_ALARM_AUX},
    {KB_CLS_KEY_PANIC, KB_KEY_ALARM_PANIC},
};

static void ev_send(kb_cls_t *c, kb_event_t *ev, uint8_t type, uint8_t part, uint32_t t_ms) {
  ev->type = type;
  ev->partition = part;
  ev->t_ms = t_ms;
  if (c->cb) c->cb(c->cb_ctx, ev);
}

static void ev_state(kb_cls_t *c, uint8_t type, uint8_t part, uint8_t on, uint32_t t_ms) {
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.state.on = on;
  ev_send(c, &ev, type, part, t_ms);
}

static uint32_t since(uint32_t now, uint32_t then) { return (uint32_t)(now - then); }

/* ------------------------------------------------------------- Helpers */

uint8_t kb_cls_lights(uint8_t d1) {
  uint8_t l = 0;
  /* D1 bits 7..1 are Ready..Fire; PowerSeries bits 0..6 are the same lights */
  for (unsigned i = 0; i < 7u; i++)
    if (d1 & (0x80u >> i)) l |= (uint8_t)(1u << i);
  return l;
}

uint8_t kb_cls_key_to_ps(uint8_t k0) {
  for (unsigned i = 0; i < sizeof key_map / sizeof key_map[0]; i++)
    if (key_map[i].k0 == k0) return key_map[i].ps;
  return KB_KEY_NONE;
}

uint8_t kb_cls_key_code(char ch) {
  if (ch >= '0' && ch <= '9') {
    uint8_t ps = kb_proto_digit_key((unsigned)(ch - '0'));
    for (unsigned i = 0; i < 10u; i++)
      if (key_map[i].ps == ps) return key_map[i].k0;
  }
  switch (ch) {
    case '*': return KB_CLS_KEY_STAR;
    case '#': return KB_CLS_KEY_POUND;
    case 'f': case 'F': return KB_CLS_KEY_FIRE;
    case 'a': case 'A': return KB_CLS_KEY_AUX;
    case 'p': case 'P': return KB_CLS_KEY_PANIC;
    default: return KB_CLS_KEY_NONE;
  }
}

/* ------------------------------------------------------------- Events */

/* Reports every difference between the model before (o) and now. */
static void emit(kb_cls_t *c, const kb_status_t *o, uint32_t t) {
  const kb_status_t *s = &c->status;
  const kb_partition_t *op = &o->part[0], *np = &s->part[0];
  kb_event_t ev;
  if (np->lights != op->lights || np->status != op->status) {
    memset(&ev, 0, sizeof ev);
    ev.part.lights = np->lights;
    ev.part.status = np->status;
    ev_send(c, &ev, KB_EV_PARTITION, 1, t);
  }
  if (s->flash[0] != o->flash[0]) {
    memset(&ev, 0, sizeof ev);
    ev.part.lights = s->flash[0];
    ev_send(c, &ev, KB_EV_FLASH, 1, t);
  }
  if (np->ready != op->ready) ev_state(c, KB_EV_READY, 1, np->ready, t);
  if (np->exit_delay != op->exit_delay || np->exit_target != op->exit_target) {
    memset(&ev, 0, sizeof ev);
    ev.exit_delay.on = np->exit_delay;
    ev.exit_delay.target = np->exit_delay ? np->exit_target : KB_EXIT_NONE;
    ev_send(c, &ev, KB_EV_EXIT_DELAY, 1, t);
  }
  if (np->armed != op->armed) {
    memset(&ev, 0, sizeof ev);
    ev.armed.on = np->armed != KB_ARMED_NONE;
    ev.armed.mode = np->armed;
    ev_send(c, &ev, KB_EV_ARMED, 1, t);
  }
  if (np->no_entry_delay != op->no_entry_delay) ev_state(c, KB_EV_NO_ENTRY_DELAY, 1, np->no_entry_delay, t);
  if (np->alarm != op->alarm) ev_state(c, KB_EV_ALARM, 1, np->alarm, t);
  if (np->fire != op->fire) ev_state(c, KB_EV_FIRE, 1, np->fire, t);
  if (s->trouble != o->trouble) ev_state(c, KB_EV_TROUBLE, 0, s->trouble, t);
  for (unsigned z = 0; z < KB_CLS_ZONES; z++) {
    uint8_t m = (uint8_t)(1u << z);
    if ((s->zones_open[0] ^ o->zones_open[0]) & m) {
      memset(&ev, 0, sizeof ev);
      ev.zone.on = (s->zones_open[0] & m) != 0;
      ev.zone.zone = (uint8_t)(z + 1u);
      ev_send(c, &ev, KB_EV_ZONE_OPEN, 0, t);
    }
    if ((s->zones_alarm[0] ^ o->zones_alarm[0]) & m) {
      memset(&ev, 0, sizeof ev);
      ev.zone.on = (s->zones_alarm[0] & m) != 0;
      ev.zone.zone = (uint8_t)(z + 1u);
      ev_send(c, &ev, KB_EV_ZONE_ALARM, 0, t);
    }
  }
  for (unsigned i = 0; i < 3u; i++)
    if (s->keypad_alarm[i] != o->keypad_alarm[i]) {
      memset(&ev, 0, sizeof ev);
      ev.keypad_alarm.on = s->keypad_alarm[i];
      ev.keypad_alarm.key = (uint8_t)(KB_ALARM_KEY_FIRE + i);
      ev_send(c, &ev, KB_EV_KEYPAD_ALARM, 1, t);
    }
}

/* ------------------------------------------------------------ The rules */

/* A6.2: blink detection of one light from its on/off history. */
static void blink_track(kb_cls_t *c, unsigned i, int on, uint32_t t) {
  uint8_t m = (uint8_t)(1u << i);
  uint32_t timeout = i == KB_CLS_BL_MEMORY ? BLINK_MEMORY_MS : BLINK_OTHER_MS;
  if (on) {
    /* A light that comes on after a long time off is not flashing, though
     * it was seen off less than 600 ms ago (the reference's rule alone
     * makes every light "blink" for 600 ms when it comes on: a steady Armed
     * light at arming would read as no entry delay). It flashes when the off
     * time it ends was short (within the timeout of its last on time). */
    if (!(c->lit & m)) {
      if ((c->seen_on & m) && since(t, c->on_ms[i]) <= timeout)
        c->recur |= m;
      else
        c->recur &= (uint8_t)~m;
    }
    c->lit |= m;
    c->on_ms[i] = t;
    c->seen_on |= m;
    if ((c->recur & m) && (c->seen_off & m) && since(t, c->off_ms[i]) < BLINK_ON_MS)
      c->blink |= m;
    else
      c->blink &= (uint8_t)~m;
  } else {
    c->lit &= (uint8_t)~m;
    c->off_ms[i] = t;
    c->seen_off |= m;
    if (!(c->seen_on & m) || since(t, c->on_ms[i]) > timeout) c->blink &= (uint8_t)~m;
  }
}

/* The flashing lights in PowerSeries order (status.flash). */
static uint8_t flash_lights(uint8_t blink) {
  uint8_t l = 0;
  if (blink & MEMORY_BIT) l |= KB_LIGHT_MEMORY;
  if (blink & ARMED_BIT) l |= KB_LIGHT_ARMED;
  if (blink & BYPASS_BIT) l |= KB_LIGHT_BYPASS;
  if (blink & TROUBLE_BIT) l |= KB_LIGHT_TROUBLE;
  return l;
}

static void set_zone(uint8_t *map, unsigned z, int on) {
  if (on)
    map[0] |= (uint8_t)(1u << z);
  else
    map[0] &= (uint8_t)~(1u << z);
}

/* The status code of an armed (or disarmed) partition. */
static uint8_t armed_code(const kb_partition_t *p) {
  if (p->armed == KB_ARMED_NONE) return KB_ST_DISARMED;
  if (p->no_entry_delay)
    return p->armed == KB_ARMED_STAY ? KB_ST_ARMED_STAY_NO_ENTRY : KB_ST_ARMED_AWAY_NO_ENTRY;
  return p->armed == KB_ARMED_STAY ? KB_ST_ARMED_STAY : KB_ST_ARMED_AWAY;
}

/* A6.9 with this frame's changes (quirk A10.4, decided: the reference reads
 * flags the application clears; here "changed" means "changed by this
 * frame"; test quirk4_status_from_frame_changes). */
static uint8_t status_code(const kb_cls_t *c, const kb_status_t *o) {
  const kb_partition_t *p = &c->status.part[0], *op = &o->part[0];
  int any_open = c->status.zones_open[0] != 0;
  /* (no entry delay shows on the armed code: it can come a flash later) */
  int armed_changed = p->armed != op->armed || p->no_entry_delay != op->no_entry_delay;
  uint8_t code = p->status;
  if ((c->blink & (MEMORY_BIT | BYPASS_BIT | TROUBLE_BIT)) == (MEMORY_BIT | BYPASS_BIT | TROUBLE_BIT))
    return KB_CLS_ST_PROGRAMMING;
  if (p->ready != op->ready)
    /* the reference writes "ready" on any change of ready, also when it
     * goes off; a not-ready panel says so */
    code = p->ready ? KB_ST_READY : KB_ST_NOT_READY;
  else if (c->status.zones_open[0] != o->zones_open[0] && any_open)
    code = KB_ST_NOT_READY;
  if (armed_changed) code = armed_code(p);
  if (p->alarm != op->alarm) {
    if (p->alarm)
      code = KB_ST_ALARM;
    else if (!armed_changed)
      /* the reference says "disarmed" here even while the panel stays
       * armed (its step 5 then reads ready/zones); an alarm that ends
       * while armed shows the armed mode again */
      code = armed_code(p);
  }
  if (p->exit_delay != op->exit_delay) {
    if (p->exit_delay)
      code = KB_ST_EXIT_DELAY;
    else if (p->armed == KB_ARMED_NONE)
      code = KB_ST_DISARMED;
  }
  /* the first frame (code still "none") reads as the state it shows */
  if (code == KB_ST_DISARMED || code == KB_ST_NONE)
    code = p->ready ? KB_ST_READY : any_open ? KB_ST_NOT_READY : KB_ST_DISARMED;
  return code;
}

/* A6.1-A6.8 for one accepted frame. */
static void apply(kb_cls_t *c, const kb_cls_frame_t *f, uint32_t t) {
  kb_status_t old = c->status;
  kb_status_t *s = &c->status;
  kb_partition_t *p = &s->part[0];
  const uint8_t d0 = f->d[0], d1 = f->d[1], p0 = f->p[0], p1 = f->p[1];
  const int ready_l = (d1 & KB_CLS_D1_READY) != 0, armed_l = (d1 & KB_CLS_D1_ARMED) != 0;
  const int bypass_l = (d1 & KB_CLS_D1_BYPASS) != 0;
  const int armed_bit = (p1 & KB_CLS_P1_ARMED_A) != 0, alarm_bit = (p1 & KB_CLS_P1_ALARM) != 0;
  uint8_t alarm_zones = 0;

  /* A6.1 lights (beep is not a light of the model: KB_EV_BEEP on its rise) */
  p->lights = kb_cls_lights(d1);
  p->known = 1;

  /* A6.2 blink */
  blink_track(c, KB_CLS_BL_MEMORY, (d1 & KB_CLS_D1_MEMORY) != 0, t);
  blink_track(c, KB_CLS_BL_ARMED, armed_l, t);
  blink_track(c, KB_CLS_BL_BYPASS, bypass_l, t);
  blink_track(c, KB_CLS_BL_TROUBLE, (d1 & KB_CLS_D1_TROUBLE) != 0, t);
  s->flash[0] = flash_lights(c->blink);

  /* A6.3 beep timing */
  if (d1 & KB_CLS_D1_BEEP) {
    if (!c->beep) {
      kb_event_t ev;
      memset(&ev, 0, sizeof ev);
      ev.sound.beeps = 1;
      ev_send(c, &ev, KB_EV_BEEP, 1, t);
    }
    c->beep = 1;
    c->beep_seen = 1;
    c->beep_on_ms = t;
  } else {
    c->beep = 0;
    if (!c->beep_seen || since(t, c->beep_on_ms) > BEEP_QUIET_MS) c->beep_off_ms = t;
  }

  /* A6.4 armed, stay/away, no entry delay */
  if (armed_bit) {
    c->exit_armed = 1;
    if (bypass_l || (p1 & KB_CLS_P1_BYPASS)) {
      p->armed = KB_ARMED_STAY;
      c->was_stay = 1;
    } else if (c->was_stay) {
      /* a beep burst of more than about 1.5 s that just ended: the panel
       * re-activated the interior zones (stay -> away; notes F4) */
      if (!c->beep && !alarm_bit && since(t, c->beep_off_ms) > STAY_AWAY_MS) p->armed = KB_ARMED_AWAY;
    } else {
      p->armed = KB_ARMED_AWAY;
    }
    if (c->blink & ARMED_BIT) {
      p->no_entry_delay = 1;
      c->exit_state = KB_EXIT_NO_ENTRY_DELAY;
    }
    p->ready = 0;
  } else {
    c->was_stay = 0;
    p->armed = KB_ARMED_NONE;
    p->alarm = 0;
  }

  /* A6.5 ready, exit delay */
  if (ready_l && !armed_bit) {
    p->ready = 1;
    p->alarm = 0;
    c->exit_armed = 0;
    c->freeze = 0;
    c->star = 0;
    /* quirk A10.1, decided: the zones that were in alarm are forgotten at
     * the ready-and-disarmed frame that also ends the alarm freeze (the
     * reference never clears them; test quirk1_alarm_zone_mask_cleared) */
    c->trig_zones = 0;
    if (!(c->blink & ARMED_BIT)) p->no_entry_delay = 0;
    if (armed_l) {
      p->exit_delay = 1;
      if (c->exit_state != KB_EXIT_NO_ENTRY_DELAY) c->exit_state = bypass_l ? KB_EXIT_STAY : KB_EXIT_AWAY;
    } else if (!(c->blink & ARMED_BIT) &&
               (!(c->seen_on & ARMED_BIT) || since(t, c->on_ms[KB_CLS_BL_ARMED]) > EXIT_OFF_MS)) {
      p->exit_delay = 0;
      c->exit_state = KB_EXIT_NONE;
    }
  } else {
    if (d0) p->ready = 0;
    if (c->exit_armed && !armed_bit) {
      p->ready = 0;
      c->exit_armed = 0;
    }
    if (p->exit_delay && armed_bit) p->exit_delay = 0;
  }
  /* the model's target means something during the exit delay only */
  p->exit_target = p->exit_delay ? c->exit_state : (uint8_t)KB_EXIT_NONE;

  /* A6.6 open zones (zone z: D0 bit 8-z) */
  if (!c->freeze && !c->star && !(c->blink & (MEMORY_BIT | BYPASS_BIT | TROUBLE_BIT))) {
    for (unsigned z = 0; z < KB_CLS_ZONES; z++) {
      uint8_t m = (uint8_t)(1u << z);
      if ((!(c->trig_zones & m) && !alarm_bit) || p->exit_delay)
        set_zone(s->zones_open, z, (d0 & (0x80u >> z)) != 0);
    }
  }

  /* A6.7 alarm zones (1-6: P0 bits 7-2) and alarm */
  for (unsigned z = 0; z < 6u; z++)
    if (p0 & (0x80u >> z)) alarm_zones |= (uint8_t)(1u << z);
  c->trig_zones |= alarm_zones;
  if (alarm_bit)
    for (unsigned z = 0; z < 6u; z++) {
      uint8_t m = (uint8_t)(1u << z);
      if ((alarm_zones ^ s->zones_alarm[0]) & m) set_zone(s->zones_open, z, (alarm_zones & m) != 0);
    }
  s->zones_alarm[0] = alarm_zones;
  if (d1 & 0xFEu) { /* at least one light on: not a blank frame */
    if (alarm_bit && !(c->blink & MEMORY_BIT)) {
      p->ready = 0;
      p->alarm = 1;
      c->alarm_trig = 1;
    } else if (!(c->blink & MEMORY_BIT) && p->armed == old.part[0].armed) {
      p->alarm = 0;
      if (c->alarm_trig) {
        c->alarm_trig = 0;
        c->freeze = 1;
      }
    }
  }

  /* A6.8 trouble, fire, keypad alarms (followed: on while the bit is) */
  s->trouble = (p1 & KB_CLS_P1_TROUBLE) != 0;
  p->fire = (p0 & KB_CLS_P0_FIRE) != 0;
  s->keypad_alarm[0] = (p1 & KB_CLS_P1_FIRE) != 0;
  s->keypad_alarm[1] = (p1 & KB_CLS_P1_AUX) != 0;
  s->keypad_alarm[2] = (p1 & KB_CLS_P1_PANIC) != 0;

  /* A6.9 synthesised status code */
  p->status = status_code(c, &old);
  emit(c, &old, t);
}

/* ------------------------------------------------------------- Task API */

void kb_cls_init(kb_cls_t *c, kb_engine_mode_t mode, kb_event_cb cb, void *ctx) {
  memset(c, 0, sizeof *c);
  c->cb = cb;
  c->cb_ctx = ctx;
  c->mode = (uint8_t)mode;
  c->key = KB_CLS_KEY_NONE;
  c->status.series = KB_SERIES_CLASSIC;
  c->status.zones_max = KB_CLS_ZONES;
  c->status.absent = KB_CLS_ABSENT;
}

void kb_cls_set_mode(kb_cls_t *c, kb_engine_mode_t mode) {
  c->mode = (uint8_t)mode;
  c->have_last = 0; /* a hold never spans two inputs */
}

void kb_cls_connected(kb_cls_t *c, bool connected, uint32_t t_ms) {
  if ((c->status.connected != 0) == connected) return;
  c->status.connected = connected ? 1u : 0u;
  ev_state(c, KB_EV_CONNECTED, 0, c->status.connected, t_ms);
}

kb_cls_check_t kb_cls_frame(kb_cls_t *c, const kb_cls_frame_t *f, uint32_t t_ms) {
  c->health.frames++;
  /* quirk A10.5, decided: a frame of fewer than 16 bits is a runt after
   * start-up too (test quirk5_partial_frames_dropped) */
  if (f->bits < KB_CLS_FRAME_BITS) {
    c->health.runts++;
    return KB_CLS_RUNT;
  }
  if (f->bits > KB_CLS_FRAME_BITS) {
    c->health.length_errors++;
    return KB_CLS_LONG;
  }
  if (!c->started) {
    if (f->p[0] == 0xFFu) return KB_CLS_NO_PC16;
    c->started = 1;
    c->status.synced = 1;
    kb_cls_connected(c, true, t_ms);
    {
      kb_event_t ev;
      memset(&ev, 0, sizeof ev);
      ev.synced.series = KB_SERIES_CLASSIC; /* not a PowerSeries generation */
      ev_send(c, &ev, KB_EV_SYNCED, 0, t_ms);
    }
  } else if (f->p[0] == 0xFFu && f->p[1] == 0xFFu) {
    c->health.framing_errors++;
    return KB_CLS_PC16_IDLE;
  }
  /* A log prints a frame only when it changed: the last frame repeated
   * until one frame period before this one (blink and beep timers see the
   * same history as live input would). */
  if (c->mode == KB_MODE_LOG && c->have_last && since(t_ms, c->last_ms) > 2u * KB_CLS_FRAME_MS &&
      since(t_ms, c->last_ms) < 0x80000000u)
    apply(c, &c->last, t_ms - KB_CLS_FRAME_MS);
  apply(c, f, t_ms);
  c->last = *f;
  c->last_ms = t_ms;
  c->have_last = 1;
  c->health.frames_ok++;
  c->health.has_frame = 1;
  c->health.last_frame_ms = t_ms;
  if (f->kbits >= 8u) (void)kb_cls_keypad(c, f->k[0], f->k[1], f->kbits, t_ms);
  return KB_CLS_OK;
}

uint8_t kb_cls_keypad(kb_cls_t *c, uint8_t k0, uint8_t k1, uint8_t kbits, uint32_t t_ms) {
  uint8_t ps;
  int repeat;
  (void)k1; /* K1 has no known meaning (notes F3) */
  if (kbits < 8u || k0 == KB_CLS_KEY_NONE) {
    c->key = KB_CLS_KEY_NONE;
    return KB_KEY_NONE;
  }
  ps = kb_cls_key_to_ps(k0);
  repeat = c->key == k0 && since(t_ms, c->key_ms) <= KEY_REPEAT_MS;
  c->key = k0;
  c->key_ms = t_ms;
  if (ps == KB_KEY_NONE) return KB_KEY_NONE;
  /* A8: a `*` freezes the open zones (its menus light other zones) until
   * the next ready-and-disarmed frame */
  if (k0 == KB_CLS_KEY_STAR) c->star = 1;
  if (!repeat) {
    kb_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.key.code = kb_proto_key_digit(ps) >= 0 ? KB_KEY_DIGIT : ps;
    ev.key.cmd = 0;
    ev_send(c, &ev, KB_EV_KEY, 1, t_ms);
  }
  return ps;
}
