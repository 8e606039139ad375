/* SPDX-License-Identifier: MIT
 * Task-side engine: start-up gate, noise filter, status model, events.
 * Rules follow the protocol notes §5; where the notes mark a reference quirk
 * (§10.2) we do what is right, and tests/unit/core/test_engine.c names each
 * such difference (quirk_*). */
#include "keybus/kb_engine.h"

#include <string.h>

#include "keybus/kb_module.h"

/* ENGINE_COLD: out of line on purpose, rare work kept off the status
 * stream's path. ENGINE_INLINE: the steps of every frame's path, inlined
 * even where they have two callers (kb_engine_panel, kb_engine_frame),
 * except in builds for size (-Os), where the compiler chooses. */
#if defined(__GNUC__) || defined(__clang__)
#define ENGINE_COLD static __attribute__((noinline))
#if defined(__OPTIMIZE_SIZE__) /* -Os: one copy, the compiler's choice */
#define ENGINE_INLINE static inline
#else
#define ENGINE_INLINE static inline __attribute__((always_inline))
#endif
#else
#define ENGINE_COLD static
#define ENGINE_INLINE static inline
#endif

/* kb_engine_t.sup_state */
#define SUP_NONE 0u    /* no supervision reply yet */
#define SUP_SEEN 1u    /* sup_hash: a reply seen once, not applied yet */
#define SUP_APPLIED 2u /* sup_hash: the reply the status shows */

/* ------------------------------------------------------------ helpers */

static void emit(kb_engine_t *e, kb_event_t *ev, uint32_t t_ms) {
  ev->t_ms = t_ms;
  if (e->cb) e->cb(e->cb_ctx, ev);
}

/* A cleared event of `type` for partition p: the caller fills its member. */
static void ev_start(kb_event_t *ev, uint8_t type, uint8_t p) {
  memset(ev, 0, sizeof *ev);
  ev->type = type;
  ev->partition = p;
}

/* The events whose member is `state` (an on/off condition). */
static void emit_state(kb_engine_t *e, uint8_t type, uint8_t p, uint8_t on, uint32_t t_ms) {
  kb_event_t ev;
  ev_start(&ev, type, p);
  ev.state.on = on;
  emit(e, &ev, t_ms);
}

static void emit_armed(kb_engine_t *e, uint8_t p, uint8_t on, uint8_t mode, uint32_t t_ms) {
  kb_event_t ev;
  ev_start(&ev, KB_EV_ARMED, p);
  ev.armed.on = on;
  ev.armed.mode = mode;
  emit(e, &ev, t_ms);
}

static void emit_exit(kb_engine_t *e, uint8_t p, uint8_t on, uint8_t target, uint32_t t_ms) {
  kb_event_t ev;
  ev_start(&ev, KB_EV_EXIT_DELAY, p);
  ev.exit_delay.on = on;
  ev.exit_delay.target = target;
  emit(e, &ev, t_ms);
}

static void set_flag(kb_engine_t *e, uint8_t *field, uint8_t v, uint8_t type, uint8_t partition,
                     uint32_t t_ms) {
  if (*field == v) return;
  *field = v;
  emit_state(e, type, partition, v, t_ms);
}

/* Sets or clears zone z (1-based) in a bitmap; reports a change. */
static void set_zone(kb_engine_t *e, uint8_t *map, uint8_t zone, uint8_t on, uint8_t type,
                     uint32_t t_ms) {
  uint8_t i, m;
  if (zone < 1 || zone > KB_MAX_ZONES) return;
  i = (uint8_t)((zone - 1u) / 8u);
  m = (uint8_t)(1u << ((zone - 1u) % 8u));
  if (((map[i] & m) != 0) == (on != 0)) return;
  map[i] = (uint8_t)(on ? map[i] | m : map[i] & (uint8_t)~m);
  {
    kb_event_t ev;
    ev_start(&ev, type, 0);
    ev.zone.on = on;
    ev.zone.zone = zone;
    emit(e, &ev, t_ms);
  }
}

/* ------------------------------------------------------- zone bypass */

/* Which partition showed zone z (1-based) bypassed: 1-8, 0 = not known
 * (a "zone bypassed" event that names no partition). One nibble per zone. */
static uint8_t byp_owner(const kb_engine_t *e, uint8_t z) {
  uint8_t b = e->byp_owner[(z - 1u) / 2u];
  return ((z - 1u) & 1u) ? (uint8_t)(b >> 4) : (uint8_t)(b & 0x0Fu);
}

static void bypass_zone(kb_engine_t *e, uint8_t z, uint8_t on, uint8_t owner, uint32_t t_ms) {
  if (z < 1 || z > KB_MAX_ZONES) return;
  if (on) {
    uint8_t *b = &e->byp_owner[(z - 1u) / 2u];
    *b = ((z - 1u) & 1u) ? (uint8_t)((*b & 0x0Fu) | (owner << 4)) : (uint8_t)((*b & 0xF0u) | owner);
  }
  set_zone(e, e->status.zones_bypass, z, on, KB_EV_ZONE_BYPASS, t_ms);
}

/* Ends the bypass of the zones partition p showed (p = 0: of every zone);
 * with unknown_too, also of the zones no partition was named for. */
static void bypass_clear(kb_engine_t *e, uint8_t p, bool unknown_too, uint32_t t_ms) {
  for (uint8_t g = 0; g < KB_ZONE_BYTES; g++)
    for (uint8_t i = 0; e->status.zones_bypass[g] && i < 8; i++) {
      uint8_t z = (uint8_t)(8u * g + i + 1u), o = byp_owner(e, z);
      if (p == 0 || o == p || (unknown_too && o == 0)) bypass_zone(e, z, 0, 0, t_ms);
    }
}

static bool any_bypass(const kb_engine_t *e) {
  uint8_t a = 0;
  for (uint8_t g = 0; g < KB_ZONE_BYTES; g++) a |= e->status.zones_bypass[g];
  return a != 0;
}

/* The Bypass light means "zones bypassed" in the partition's normal
 * statuses; in menus and programming it may flash or mean something else. */
static bool bypass_light_valid(const kb_partition_t *pt) {
  return pt->known && pt->status >= KB_ST_READY && pt->status <= KB_ST_ARMED_AWAY_NO_ENTRY;
}

/* Partition p's committed lights byte changed. Its Bypass light off says
 * none of its zones is bypassed: the zones it showed bypassed end their
 * bypass; and when no partition in use shows the light, no zone at all is
 * bypassed (which also ends the bypasses no partition was named for). Only
 * a lights byte committed in a normal status counts: one committed in a
 * menu (where lights flash) is not re-read when the status alone changes
 * back, so a flash caught "off" never ends a bypass. */
static void bypass_light(kb_engine_t *e, uint8_t p, uint32_t t_ms) {
  const kb_partition_t *pt = &e->status.part[p - 1];
  if (!any_bypass(e) || !bypass_light_valid(pt) || (pt->lights & KB_LIGHT_BYPASS)) return;
  bypass_clear(e, p, false, t_ms);
  for (uint8_t q = 0; q < KB_MAX_PARTITIONS; q++) {
    const kb_partition_t *o = &e->status.part[q];
    if (o->known && !o->disabled && (!bypass_light_valid(o) || (o->lights & KB_LIGHT_BYPASS))) return;
  }
  bypass_clear(e, 0, true, t_ms);
}

/* Zone lights of partition p's *1 menu (status 0xA0, notes §3.10/§3.34):
 * a lit zone is bypassed; an unlit one is not, if it is one partition p
 * showed bypassed (a zone of another partition is never lit here, so an
 * unlit zone says nothing about the others' zones). */
static void bypass_menu(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  uint8_t p = d->part[0].partition;
  if (d->part[0].status != KB_ST_BYPASS_MENU || p < 1 || p > KB_MAX_PARTITIONS) return;
  for (uint8_t i = 0; i < 32; i++) {
    uint8_t z = (uint8_t)(d->zone_lights_first + i), on = (d->zone_lights[i / 8u] >> (i % 8u)) & 1u;
    if (z > KB_MAX_ZONES) break;
    if (on)
      bypass_zone(e, z, 1, p, t_ms);
    else if (byp_owner(e, z) == p)
      bypass_zone(e, z, 0, 0, t_ms);
  }
}

void kb_engine_init(kb_engine_t *e, kb_engine_mode_t mode, kb_event_cb cb, void *ctx) {
  KB_ASSERT(e != NULL);
  memset(e, 0, sizeof *e);
  e->mode = (uint8_t)mode;
  e->cb = cb;
  e->cb_ctx = ctx;
  /* Until the panel reports a trouble, AC and battery count as fine. */
  e->status.ac_power = 1;
  e->status.battery_ok = 1;
}

void kb_engine_set_mode(kb_engine_t *e, kb_engine_mode_t mode) {
  KB_ASSERT(e != NULL);
  e->mode = (uint8_t)mode;
}

/* ------------------------------------------------- partition rules §5.2 */

/* Mode of a partition armed with no entry delay (status 0x06 or 0x16, lights
 * li), from all the evidence, in this order:
 * 1. a mode already known for this arming stays (0x04/0x05, the panel's
 *    "armed stay/away" events, an earlier decision);
 * 2. the mode requested, as the exit delay of this arming showed it (0x08
 *    with the Bypass light = stay, without = away);
 * 3. the Bypass light: a stay arming bypasses the stay/away zones, so the
 *    light on means stay and off means away.
 * The status code alone does not decide: the notes name 0x06 "stay" and
 * 0x16 "away" with no entry delay, but a *9 stay arming shows 0x16 with
 * the Bypass light (taligentx issue 300). An away arming with zones
 * bypassed by hand also shows the light: it reads as stay until the panel
 * says away (0x05 status, "armed away" event). */
static uint8_t no_entry_delay_mode(const kb_partition_t *pt, uint8_t li) {
  if (pt->armed != KB_ARMED_NONE) return pt->armed;
  if (pt->exit_target == KB_EXIT_STAY) return KB_ARMED_STAY;
  if (pt->exit_target == KB_EXIT_AWAY) return KB_ARMED_AWAY;
  return (li & KB_LIGHT_BYPASS) ? KB_ARMED_STAY : KB_ARMED_AWAY;
}

/* Re-derives partition p's state from its committed lights/status bytes and
 * reports what changed. */
/* A status byte that says armed, arming or a delay (what a "disarmed" panel
 * event overrides, see disarm()). */
static bool armed_status(uint8_t st) {
  switch (st) {
    case KB_ST_ARMED_STAY:
    case KB_ST_ARMED_AWAY:
    case KB_ST_ARMED_STAY_NO_ENTRY:
    case KB_ST_ARMED_AWAY_NO_ENTRY:
    case KB_ST_EXIT_DELAY:
    case KB_ST_ARMING_NO_ENTRY:
    case KB_ST_ENTRY_DELAY:
    case KB_ST_ALARM: return true;
    default: return false;
  }
}

static void apply_partition(kb_engine_t *e, uint8_t p, uint32_t t_ms) {
  kb_partition_t *pt = &e->status.part[p - 1];
  kb_partition_t n = *pt;
  uint8_t st = n.status, li = n.lights;

  /* disarmed by a panel event since this byte was committed (disarm()) */
  if (e->pev_disarmed != 0u && armed_status(st) && ((e->pev_disarmed >> ((p - 1u) & 7u)) & 1u))
    st = KB_ST_DISARMED;

  n.disabled = st == KB_ST_DISABLED;
  if (st < KB_ST_BATTERY_CHECK) n.fire = (li & KB_LIGHT_FIRE) != 0;
  /* Trouble is a system light; it is read from partition 1's lights only
   * (0x05, or a 0x27 that confirmed them), and only in plain states (menus
   * make the light flash). 0x1B's partition 5 would otherwise overwrite it
   * (quirk, notes §5.2/§10.2). */
  if (p == 1u && st <= KB_ST_ARMED_STAY_NO_ENTRY)
    set_flag(e, &e->status.trouble, (li & KB_LIGHT_TROUBLE) != 0, KB_EV_TROUBLE, 0, t_ms);

  switch (st) {
    case KB_ST_READY:
    case KB_ST_READY_FORCE:
    case KB_ST_NOT_READY:
      n.ready = st != KB_ST_NOT_READY;
      n.entry_delay = 0;
      if (st != KB_ST_NOT_READY) {
        n.armed = KB_ARMED_NONE;
        n.alarm = 0;
      }
      /* Disarmed statuses end an exit delay and a no-entry-delay arming
       * (the reference keeps both: quirk, notes §5.2). */
      if (n.armed == KB_ARMED_NONE) {
        n.no_entry_delay = 0;
        n.exit_delay = 0;
        n.exit_target = KB_EXIT_NONE;
      }
      break;
    case KB_ST_ARMED_STAY:
    case KB_ST_ARMED_AWAY:
      /* "armed stay/away" with the entry delay: after 0x06/0x16 the entry
       * delay is back (taligentx issue 300: 0x16, later 0x04) */
      n.armed = st == KB_ST_ARMED_STAY ? KB_ARMED_STAY : KB_ARMED_AWAY;
      n.no_entry_delay = 0;
      n.ready = 0;
      n.exit_delay = 0;
      n.exit_target = KB_EXIT_NONE;
      n.entry_delay = 0;
      break;
    case KB_ST_ARMED_STAY_NO_ENTRY:
    case KB_ST_ARMED_AWAY_NO_ENTRY:
      /* the same rule for 0x05 and 0x27 (quirk, notes §5.3) */
      n.armed = no_entry_delay_mode(pt, li);
      n.no_entry_delay = 1;
      n.ready = 0;
      n.exit_delay = 0;
      n.exit_target = KB_EXIT_NONE;
      break;
    case KB_ST_EXIT_DELAY:
      n.exit_delay = 1;
      if (n.exit_target != KB_EXIT_NO_ENTRY_DELAY)
        n.exit_target = (li & KB_LIGHT_BYPASS) ? KB_EXIT_STAY : KB_EXIT_AWAY;
      n.ready = 1;
      break;
    case KB_ST_ARMING_NO_ENTRY:
      n.ready = 1;
      n.exit_target = KB_EXIT_NO_ENTRY_DELAY;
      break;
    case KB_ST_ENTRY_DELAY:
      n.ready = 0;
      n.entry_delay = 1;
      break;
    case KB_ST_ALARM:
      n.ready = 0;
      n.entry_delay = 0;
      n.alarm = 1;
      break;
    case KB_ST_ARMING_BYPASS:
      n.ready = 1;
      break;
    case KB_ST_DISARMED_MEMORY:
    case KB_ST_DISARMED:
      /* "Disarmed" shows briefly even with zones open: the Ready light says
       * whether the partition is ready (the reference sets ready here, and
       * reports a false ready/not-ready flip) */
      if (st == KB_ST_DISARMED) n.ready = li & KB_LIGHT_READY;
      n.exit_delay = 0;
      n.exit_target = KB_EXIT_NONE;
      n.entry_delay = 0;
      n.armed = KB_ARMED_NONE;
      n.no_entry_delay = 0;
      n.alarm = 0;
      break;
    case KB_ST_WRONG_CODE: /* shown briefly; the Ready light tells readiness */
      if (n.armed == KB_ARMED_NONE) n.ready = li & KB_LIGHT_READY;
      break;
    default:
      n.ready = 0;
      break;
  }
  if (n.disabled) n.ready = 0;

  /* report in a stable order: disabled, armed, exit, entry, alarm, ... */
  if (n.disabled != pt->disabled) emit_state(e, KB_EV_DISABLED, p, n.disabled, t_ms);
  if (n.armed != pt->armed) emit_armed(e, p, n.armed != KB_ARMED_NONE, n.armed, t_ms);
  if (n.no_entry_delay != pt->no_entry_delay)
    emit_state(e, KB_EV_NO_ENTRY_DELAY, p, n.no_entry_delay, t_ms);
  if (n.exit_delay != pt->exit_delay || (n.exit_delay && n.exit_target != pt->exit_target))
    emit_exit(e, p, n.exit_delay, n.exit_target, t_ms);
  if (n.entry_delay != pt->entry_delay) emit_state(e, KB_EV_ENTRY_DELAY, p, n.entry_delay, t_ms);
  if (n.alarm != pt->alarm) emit_state(e, KB_EV_ALARM, p, n.alarm, t_ms);
  if (n.fire != pt->fire) emit_state(e, KB_EV_FIRE, p, n.fire, t_ms);
  if (n.ready != pt->ready) emit_state(e, KB_EV_READY, p, n.ready, t_ms);
  *pt = n;
}

/* 0x27 partition rules (§5.3): only the armed statuses are taken from it. */
static void apply_zone_status_parts(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  for (uint8_t i = 0; i < d->nparts; i++) {
    uint8_t p = d->part[i].partition, st = d->part[i].status;
    kb_partition_t *pt;
    kb_partition_t old;
    if (p > KB_MAX_PARTITIONS) continue;
    pt = &e->status.part[p - 1];
    old = *pt;
    if (st == KB_ST_ARMED_STAY || st == KB_ST_ARMED_AWAY) {
      pt->armed = st == KB_ST_ARMED_STAY ? KB_ARMED_STAY : KB_ARMED_AWAY;
      pt->no_entry_delay = 0;
    } else if (st == KB_ST_ARMED_STAY_NO_ENTRY || st == KB_ST_ARMED_AWAY_NO_ENTRY) {
      pt->armed = no_entry_delay_mode(pt, d->part[i].lights);
      pt->no_entry_delay = 1;
    } else {
      continue;
    }
    pt->ready = 0;
    pt->exit_delay = 0;
    pt->exit_target = KB_EXIT_NONE;
    if (pt->armed != old.armed) emit_armed(e, p, 1, pt->armed, t_ms);
    if (pt->no_entry_delay != old.no_entry_delay)
      emit_state(e, KB_EV_NO_ENTRY_DELAY, p, pt->no_entry_delay, t_ms);
    if (old.exit_delay) emit_exit(e, p, 0, KB_EXIT_NONE, t_ms);
    if (old.ready) emit_state(e, KB_EV_READY, p, 0, t_ms);
  }
}

/* --------------------------------------------------- status bytes + filter */

static void commit_byte(kb_engine_t *e, uint8_t p, uint8_t k, uint8_t v) {
  kb_partition_t *pt = &e->status.part[p - 1];
  if (k == 0)
    pt->lights = v;
  else {
    pt->status = v;
    pt->known = 1;
    if (e->pev_disarmed != 0u) /* a new byte: read as it is */
      e->pev_disarmed &= (uint8_t)~(1u << ((p - 1u) & 7u));
  }
  memset(&e->filt[p - 1][k], 0, sizeof e->filt[p - 1][k]);
}

/* Committed bytes of partition p changed: report them and re-derive the
 * partition's state (a lights byte alone means nothing before the status
 * byte is known). */
static void partition_changed(kb_engine_t *e, uint8_t p, uint8_t lights, uint32_t t_ms) {
  const kb_partition_t *pt = &e->status.part[p - 1];
  kb_event_t ev;
  if (!pt->known) return;
  ev_start(&ev, KB_EV_PARTITION, p);
  ev.part.lights = pt->lights;
  ev.part.status = pt->status;
  emit(e, &ev, t_ms);
  apply_partition(e, p, t_ms);
  if (lights) bypass_light(e, p, t_ms);
}

static void noise(kb_engine_t *e, uint8_t p, uint8_t k, uint8_t cmd, uint32_t t_ms) {
  kb_event_t ev;
  e->health.filter_rejections++;
  ev_start(&ev, KB_EV_NOISE, p);
  ev.noise.byte = k;
  ev.noise.cmd = cmd;
  emit(e, &ev, t_ms);
}

/* Index of the candidate slot holding v, or -1. */
static int filt_slot(const kb_filter_byte_t *f, uint8_t v) {
  if (!f->n[0]) return -1; /* slots fill from the front: nothing pending */
  for (int s = 0; s < KB_FILTER_SLOTS; s++)
    if (f->n[s] && f->val[s] == v) return s;
  return -1;
}

/* Live filter of one status byte: true when v is to be committed now. A
 * change is confirmed by K copies; copies that differ (corrupted ones, or a
 * status the panel showed briefly) are counted apart in other slots and
 * never push it out, so a change is late by K-1 frames plus the corrupted
 * ones, never more. Slots are kept most recently seen first. */
static bool filter_live(kb_engine_t *e, uint8_t p, uint8_t k, uint8_t v, bool have, uint8_t cur,
                        uint8_t cmd, uint32_t t_ms) {
  kb_filter_byte_t *f = &e->filt[p - 1][k];
  uint8_t n;
  int s;
  if (have && v == cur) { /* the committed value: twice in a row means no change */
    if (f->n[0] && ++f->back >= 2) {
      memset(f, 0, sizeof *f);
      noise(e, p, k, cmd, t_ms);
    }
    return false;
  }
  s = filt_slot(f, v);
  if (s >= 0) {
    f->back = 0; /* a candidate repeats; a new value does not vouch for one */
    n = f->n[s];
  } else {
    s = KB_FILTER_SLOTS - 1;   /* a new value: the least recent slot goes */
    if (f->n[s]) noise(e, p, k, cmd, t_ms); /* it never settled */
    n = 0;
  }
  for (; s > 0; s--) { /* move to the front */
    f->val[s] = f->val[s - 1];
    f->n[s] = f->n[s - 1];
  }
  f->val[0] = v;
  f->n[0] = (uint8_t)(n + 1u);
  return f->n[0] >= KB_FILTER_K;
}

static void status_frame(kb_engine_t *e, const kb_decoded_t *d, uint16_t noise_mask,
                         uint32_t t_ms) {
  for (uint8_t i = 0; i < d->nparts; i++) {
    uint8_t p = d->part[i].partition;
    uint8_t v[2];
    uint8_t changed = 0;
    kb_partition_t *pt;
    if (p > KB_MAX_PARTITIONS) continue;
    pt = &e->status.part[p - 1];
    v[0] = d->part[i].lights;
    v[1] = d->part[i].status;
    for (uint8_t k = 0; k < 2; k++) {
      uint8_t cur = k ? pt->status : pt->lights;
      bool have = pt->known != 0;
      if (e->mode == KB_MODE_LOG) {
        if (noise_mask & (1u << (2u * (p - 1u) + k))) {
          noise(e, p, k, d->cmd, t_ms);
        } else if (!have || v[k] != cur) {
          commit_byte(e, p, k, v[k]);
          changed |= (uint8_t)(1u << k); /* bit 0 lights, bit 1 status */
        }
      } else if (filter_live(e, p, k, v[k], have, cur, d->cmd, t_ms)) {
        commit_byte(e, p, k, v[k]);
        changed |= (uint8_t)(1u << k); /* bit 0 lights, bit 1 status */
      }
    }
    if (changed) partition_changed(e, p, changed & 1u, t_ms);
  }
}

/* A checksummed 0x27/0x2D/0x34/0x3E confirms pending changes it agrees with. */
static void corroborate(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  for (uint8_t i = 0; i < d->nparts; i++) {
    uint8_t p = d->part[i].partition;
    uint8_t v[2];
    uint8_t changed = 0;
    if (p > KB_MAX_PARTITIONS) continue;
    v[0] = d->part[i].lights;
    v[1] = d->part[i].status;
    for (uint8_t k = 0; k < 2; k++) {
      if (filt_slot(&e->filt[p - 1][k], v[k]) >= 0) {
        commit_byte(e, p, k, v[k]);
        changed |= (uint8_t)(1u << k); /* bit 0 lights, bit 1 status */
      }
    }
    if (changed) partition_changed(e, p, changed & 1u, t_ms);
  }
}

/* -------------------------------------------------- panel events §5.4 */

static void disarm(kb_engine_t *e, uint8_t p, uint32_t t_ms) {
  kb_partition_t *pt = &e->status.part[p - 1];
  /* The committed status byte may still say armed or a delay: the panel's
   * "disarmed" message can pass in a single 0x05 (a key pressed at once, a
   * prompt next), too quick for the filter. Left alone, the next lights-only
   * change would re-derive the old state from it (an exit delay back on a
   * disarmed partition, and a keypad request judged by it). The panel's own
   * event says disarmed: until a new status byte is committed, that byte is
   * read as "disarmed" (the byte itself stays what the wire said). */
  if (armed_status(pt->status)) e->pev_disarmed |= (uint8_t)(1u << ((p - 1u) & 7u));
  if (pt->armed != KB_ARMED_NONE) {
    pt->armed = KB_ARMED_NONE;
    emit_armed(e, p, 0, KB_ARMED_NONE, t_ms);
  }
  set_flag(e, &pt->no_entry_delay, 0, KB_EV_NO_ENTRY_DELAY, p, t_ms);
  if (pt->exit_delay) {
    pt->exit_delay = 0;
    pt->exit_target = KB_EXIT_NONE;
    emit_exit(e, p, 0, KB_EXIT_NONE, t_ms);
  }
  set_flag(e, &pt->entry_delay, 0, KB_EV_ENTRY_DELAY, p, t_ms);
  set_flag(e, &pt->alarm, 0, KB_EV_ALARM, p, t_ms);
  /* bypassing lasts one arming cycle: this partition's bypasses end (and
   * those no partition was named for; another partition's stay) */
  bypass_clear(e, p, true, t_ms);
}

/* The user a live panel event names, reported on every such event (the same user
 * arming and disarming is two events), partition 0 when it names none. */
static void access_code_event(kb_engine_t *e, const kb_decoded_t *d, uint8_t p, uint32_t t_ms) {
  kb_event_t ev;
  ev_start(&ev, KB_EV_ACCESS_CODE, p);
  ev.access.user = d->event.number;
  ev.access.pev = d->event;
  ev.access.parts = d->event_parts;
  ev.access.time = d->time;
  emit(e, &ev, t_ms);
}

static void arm_mode(kb_engine_t *e, uint8_t p, uint8_t mode, uint32_t t_ms) {
  kb_partition_t *pt = &e->status.part[p - 1];
  if (pt->armed != mode) {
    pt->armed = mode;
    emit_armed(e, p, 1, mode, t_ms);
  }
  if (pt->exit_delay) {
    pt->exit_delay = 0;
    pt->exit_target = KB_EXIT_NONE;
    emit_exit(e, p, 0, KB_EXIT_NONE, t_ms);
  }
  set_flag(e, &pt->ready, 0, KB_EV_READY, p, t_ms);
}

/* Rules of one panel event for partition p (1..8). */
static void event_partition(kb_engine_t *e, const kb_pev_t *v, uint8_t p, uint32_t t_ms) {
  kb_partition_t *pt = &e->status.part[p - 1];
  switch (v->kind) {
    case KB_PEV_DISARMED_BY_CODE:
      pt->access_code = v->number;
      disarm(e, p, t_ms);
      break;
    case KB_PEV_DISARMED_ALARM_MEMORY:
    case KB_PEV_DISARMED_SPECIAL:
      disarm(e, p, t_ms);
      break;
    case KB_PEV_RECENT_CLOSING_ALARM:
      set_flag(e, &pt->alarm, 1, KB_EV_ALARM, p, t_ms);
      break;
    case KB_PEV_ZONE_ALARM:
      set_flag(e, &pt->alarm, 1, KB_EV_ALARM, p, t_ms);
      set_flag(e, &pt->entry_delay, 0, KB_EV_ENTRY_DELAY, p, t_ms);
      set_zone(e, e->status.zones_alarm, (uint8_t)v->number, 1, KB_EV_ZONE_ALARM, t_ms);
      break;
    case KB_PEV_ZONE_ALARM_RESTORED:
      set_zone(e, e->status.zones_alarm, (uint8_t)v->number, 0, KB_EV_ZONE_ALARM, t_ms);
      break;
    case KB_PEV_ARMED_BY_CODE:
      pt->access_code = v->number;
      break;
    case KB_PEV_ARMED_ENTRY_DELAY:
      set_flag(e, &pt->no_entry_delay, 0, KB_EV_NO_ENTRY_DELAY, p, t_ms);
      break;
    case KB_PEV_ARMED_STAY:
      arm_mode(e, p, KB_ARMED_STAY, t_ms);
      break;
    case KB_PEV_ARMED_AWAY:
    case KB_PEV_ACTIVATE_STAY_AWAY:
      arm_mode(e, p, KB_ARMED_AWAY, t_ms);
      break;
    case KB_PEV_ARMED_NO_ENTRY_DELAY:
      set_flag(e, &pt->no_entry_delay, 1, KB_EV_NO_ENTRY_DELAY, p, t_ms);
      set_flag(e, &pt->ready, 0, KB_EV_READY, p, t_ms);
      break;
    default:
      break;
  }
}

static void keypad_alarm(kb_engine_t *e, uint8_t which, uint8_t on, uint32_t t_ms) {
  kb_event_t ev;
  if (e->status.keypad_alarm[which - 1] == on) return;
  e->status.keypad_alarm[which - 1] = on;
  ev_start(&ev, KB_EV_KEYPAD_ALARM, 0);
  ev.keypad_alarm.on = on;
  ev.keypad_alarm.key = which;
  emit(e, &ev, t_ms);
}

static bool same_time(const kb_time_t *a, const kb_time_t *b) {
  return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
         a->minute == b->minute;
}

/* Is this live event message one the panel already sent? 0xEB and 0xCE
 * repeat the 0xA5 sent just before them (sets 0-3); and a message equal to
 * the last one (command, partitions, time, set and code) is a repeat of it,
 * not a second event. The last message is remembered only when it was new. */
static bool pev_repeat(kb_engine_t *e, const kb_decoded_t *d) {
  const kb_pev_t *v = &d->event;
  bool dup = e->last_pev_cmd && e->last_pev.set == v->set && e->last_pev.code == v->code &&
             ((e->last_pev_cmd == KB_CMD_EVENT &&
               (d->cmd == KB_CMD_EVENT_HIGH || d->cmd == KB_CMD_PANEL_STATUS) && v->set < 4) ||
              (e->last_pev_cmd == d->cmd && e->last_pev_parts == d->event_parts &&
               same_time(&e->last_pev_time, &d->time)));
  if (!dup) {
    e->last_pev = *v;
    e->last_pev_cmd = d->cmd;
    e->last_pev_parts = d->event_parts;
    e->last_pev_time = d->time;
  }
  return dup;
}

static void panel_event(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  const kb_pev_t *v = &d->event;
  bool live = d->event_number == KB_EVENT_LIVE;
  bool dup = live && pev_repeat(e, d);
  bool user = !dup && v->number && kb_pev_names_code(v->kind);
  kb_event_t ev;
  if (!dup) {
    ev_start(&ev, KB_EV_PANEL_EVENT, 0);
    ev.panel.pev = *v;
    ev.panel.parts = d->event_parts;
    ev.panel.number = d->event_number;
    ev.panel.time = d->time;
    ev.panel.cmd = d->cmd;
    emit(e, &ev, t_ms);
  }
  if (!live) return; /* event-buffer entries are history, not state */

  switch (v->kind) { /* system events */
    case KB_PEV_KEYPAD_FIRE_ALARM: keypad_alarm(e, KB_ALARM_KEY_FIRE, 1, t_ms); return;
    case KB_PEV_KEYPAD_AUX_ALARM: keypad_alarm(e, KB_ALARM_KEY_AUX, 1, t_ms); return;
    case KB_PEV_KEYPAD_PANIC_ALARM: keypad_alarm(e, KB_ALARM_KEY_PANIC, 1, t_ms); return;
    case KB_PEV_KEYPAD_FIRE_RESTORED: keypad_alarm(e, KB_ALARM_KEY_FIRE, 0, t_ms); return;
    case KB_PEV_KEYPAD_AUX_RESTORED: keypad_alarm(e, KB_ALARM_KEY_AUX, 0, t_ms); return;
    case KB_PEV_KEYPAD_PANIC_RESTORED: keypad_alarm(e, KB_ALARM_KEY_PANIC, 0, t_ms); return;
    case KB_PEV_BATTERY_TROUBLE:
      set_flag(e, &e->status.battery_ok, 0, KB_EV_BATTERY, 0, t_ms);
      return;
    case KB_PEV_BATTERY_RESTORED:
      set_flag(e, &e->status.battery_ok, 1, KB_EV_BATTERY, 0, t_ms);
      return;
    case KB_PEV_AC_TROUBLE:
      set_flag(e, &e->status.ac_power, 0, KB_EV_AC_POWER, 0, t_ms);
      return;
    case KB_PEV_AC_RESTORED:
      set_flag(e, &e->status.ac_power, 1, KB_EV_AC_POWER, 0, t_ms);
      return;
    case KB_PEV_ZONE_TAMPER:
      set_zone(e, e->status.zones_tamper, (uint8_t)v->number, 1, KB_EV_ZONE_TAMPER, t_ms);
      return;
    case KB_PEV_ZONE_TAMPER_RESTORED:
      set_zone(e, e->status.zones_tamper, (uint8_t)v->number, 0, KB_EV_ZONE_TAMPER, t_ms);
      return;
    case KB_PEV_ZONE_BYPASSED: {
      /* the partition it names, if exactly one (for bypass_light()) */
      uint8_t m = d->event_parts, owner = 0;
      if (m && !(m & (m - 1u)))
        while (!((m >> owner) & 1u)) owner++;
      bypass_zone(e, (uint8_t)v->number, 1, m && !(m & (m - 1u)) ? (uint8_t)(owner + 1u) : 0, t_ms);
      return;
    }
    default:
      break;
  }
  /* Partition-specific rules apply to each partition the event names; an
   * event naming none (0xEB mask 0, 0xA5 partition 0) touches no partition
   * (the reference indexes partition -1 there: quirk, notes §5.4). */
  {
    /* the partitions named, lowest first; the loop ends at the highest */
    unsigned m = d->event_parts & ((1u << KB_MAX_PARTITIONS) - 1u);
    if (user && !m) access_code_event(e, d, 0, t_ms);
    for (uint8_t p = 1; m; p++, m >>= 1)
      if (m & 1u) {
        if (user) access_code_event(e, d, p, t_ms);
        event_partition(e, v, p, t_ms);
      }
  }
}

/* ------------------------------------------------------- frame dispatch */

/* A frame that failed its checks (the callers count a good one inline). */
ENGINE_COLD void count_check(kb_engine_t *e, kb_check_t c, uint8_t cmd, uint32_t t_ms) {
  kb_event_t ev;
  e->health.frames++;
  switch (c) {
    case KB_CHECK_OK: e->health.frames_ok++; return;
    case KB_CHECK_CHECKSUM: e->health.checksum_errors++; break;
    case KB_CHECK_LENGTH: e->health.length_errors++; break;
    case KB_CHECK_FRAMING: e->health.framing_errors++; break;
    case KB_CHECK_UNKNOWN: e->health.unknown_cmds++; break;
    default: e->health.runts++; break;
  }
  ev_start(&ev, KB_EV_FRAME_ERROR, 0);
  ev.frame_error.check = (uint8_t)c;
  ev.frame_error.cmd = cmd;
  emit(e, &ev, t_ms);
}

static void alive(kb_engine_t *e, uint32_t t_ms) {
  e->health.has_frame = 1;
  e->health.last_frame_ms = t_ms;
  if (!e->status.connected) {
    e->status.connected = 1;
    emit_state(e, KB_EV_CONNECTED, 0, 1, t_ms);
  }
}

static void zone_bits(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  uint8_t g = (uint8_t)((d->zone_first - 1u) / 8u);
  if (g < KB_ZONE_BYTES && d->zone_count == 8u && (d->zone_first - 1u) % 8u == 0u) {
    /* a whole byte of the map: only the zones that changed, lowest first
     * (set_zone() reports nothing for the others) */
    uint8_t diff = (uint8_t)(e->status.zones_open[g] ^ d->zones);
    for (uint8_t i = 0; diff; i++, diff = (uint8_t)(diff >> 1))
      if (diff & 1u)
        set_zone(e, e->status.zones_open, (uint8_t)(d->zone_first + i), (d->zones >> i) & 1u,
                 KB_EV_ZONE_OPEN, t_ms);
    return;
  }
  if (g < KB_ZONE_BYTES && e->status.zones_open[g] == d->zones) return; /* nothing changed */
  for (uint8_t i = 0; i < d->zone_count; i++)
    set_zone(e, e->status.zones_open, (uint8_t)(d->zone_first + i), (d->zones >> i) & 1u,
             KB_EV_ZONE_OPEN, t_ms);
}

/* Does value v of partition p's byte k agree with the 0x05 stream: the
 * committed value, a pending candidate, or a partition not known yet? */
static bool agrees(const kb_engine_t *e, uint8_t p, uint8_t k, uint8_t v) {
  const kb_partition_t *pt = &e->status.part[p - 1];
  if (!pt->known) return true;
  if (v == (k ? pt->status : pt->lights)) return true;
  return filt_slot(&e->filt[p - 1][k], v) >= 0;
}

/* Marks the held partition bytes of group g that the 0x05 stream shows:
 * committed, counted as a candidate, or in the last full 0x05 frame (a
 * status shown for a frame or two, such as a prompt, counts too). */
static void zone_hold_mark(kb_engine_t *e, uint8_t g) {
  for (uint8_t i = 0; i < 4; i++) {
    uint8_t p = (uint8_t)(i / 2u + 1u), k = i % 2u, v = e->zhold[g].parts[i];
    uint8_t st = e->zhold[g].parts[2u * (i / 2u) + 1u];
    bool shown = !kb_proto_part_in_use(st) || p > KB_MAX_PARTITIONS || agrees(e, p, k, v) ||
                 (e->last_status_n[0] > 2u + i && e->last_status[0][2 + i] == v);
    if (shown) e->zhold[g].seen = (uint8_t)(e->zhold[g].seen | (1u << i));
  }
}

static void zone_hold_apply(kb_engine_t *e, uint8_t g, uint32_t t_ms) {
  kb_decoded_t z;
  z.zone_first = (uint8_t)(8u * g + 1u);
  z.zone_count = 8;
  z.zones = e->zhold[g].zones;
  e->zhold[g].left = 0;
  zone_bits(e, &z, t_ms);
}

/* Zones of a checksummed zone-status frame (live input): applied when its
 * partition 1-2 bytes agree with what the 0x05 stream shows, else held for
 * a few status frames until it does (a 0x27 can come before the 0x05 that
 * shows a new status), and dropped if it never does. A partition the frame
 * shows as not in use (0x27 sends FF FF for partition 2 of early panels) is
 * not compared. */
static void zone_status_zones(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  uint8_t g = (uint8_t)((d->zone_first - 1u) / 8u);
  /* groups 0-3 (zones 1-32), and only those the model has (KB_MAX_ZONES) */
  if (g >= 4 || g >= KB_ZONE_BYTES) return;
  if (e->status.zones_open[g] == d->zones) { /* no change: nothing to vouch for */
    e->zhold[g].left = 0;
    return;
  }
  e->zhold[g].left = 4;
  e->zhold[g].zones = d->zones;
  e->zhold[g].seen = 0;
  for (uint8_t i = 0; i < 2; i++) {
    e->zhold[g].parts[2 * i] = d->part[i].lights;
    e->zhold[g].parts[2 * i + 1] = d->part[i].status;
  }
  zone_hold_mark(e, g);
  if (e->zhold[g].seen == 0x0F) zone_hold_apply(e, g, t_ms);
}

static bool zone_holding(const kb_engine_t *e) {
  return e->zhold[0].left | e->zhold[1].left | e->zhold[2].left | e->zhold[3].left;
}

/* After a full 0x05 frame, for the zones on hold. */
static void zone_hold_check(kb_engine_t *e, uint32_t t_ms) {
  for (uint8_t g = 0; g < 4; g++) {
    if (!e->zhold[g].left) continue;
    zone_hold_mark(e, g);
    if (e->zhold[g].seen == 0x0F)
      zone_hold_apply(e, g, t_ms);
    else if (--e->zhold[g].left == 0)
      e->health.filter_rejections++; /* never shown by the 0x05 stream: dropped */
  }
}

/* The panel repeats 0x05/0x1B continuously. On live input a frame equal to
 * the last one applied changes nothing but the count of the pending changes
 * it repeats (as long as none would complete): the quick path only counts
 * it, and the next full frame adds the count in. */
static bool status_repeat(kb_engine_t *e, const uint8_t *b, uint8_t avail, uint16_t bits) {
  uint8_t k, n = kb_decode_nbytes(bits);
  if (b[0] == KB_CMD_STATUS)
    k = 0;
  else if (b[0] == KB_CMD_STATUS_HIGH)
    k = 1;
  else
    return false;
  if (n != e->last_status_n[k] || n > avail || e->repeats[k] >= e->room[k]) return false;
  if (k == 0 && zone_holding(e)) return false; /* held zones wait for a full 0x05 */
  /* the two lengths a status frame has, compared with constant sizes */
  if (n == 10 ? memcmp(b + 1, &e->last_status[k][1], 9) != 0
              : n != 6 || memcmp(b + 1, &e->last_status[k][1], 5) != 0)
    return false;
  e->repeats[k]++; /* counted into the pending bytes at the next full frame */
  return true;
}

/* Partitions 4k+1 .. 4k+4 are those of 0x05 (k = 0) and 0x1B (k = 1): the
 * quick repeats of the last frame count for the candidate each of its bytes
 * matched (remember_status() allowed them only for such bytes). */
static void count_repeats(kb_engine_t *e, uint8_t k) {
  if (!e->repeats[k]) return;
  for (uint8_t i = 0; 2u * i + 3u < e->last_status_n[k]; i++) {
    uint8_t p = (uint8_t)(4u * k + i);
    if (p >= KB_MAX_PARTITIONS) break;
    for (uint8_t j = 0; j < 2; j++) {
      kb_filter_byte_t *f = &e->filt[p][j];
      int s = filt_slot(f, e->last_status[k][2 + 2 * i + j]);
      if (s >= 0) f->n[s] = (uint8_t)(f->n[s] + e->repeats[k]);
    }
  }
  e->repeats[k] = 0;
}

/* After a full status frame: how many identical frames may follow on the
 * quick path. A byte with no change pending equals the committed value; a
 * pending one must be a clean copy of its candidate (the repeat just counts
 * once more) and must not reach K on the quick path. */
static void remember_status(kb_engine_t *e, const uint8_t *b, const kb_decoded_t *d) {
  uint8_t k = d->cmd == KB_CMD_STATUS_HIGH, room = 255;
  memcpy(e->last_status[k], b, d->nbytes);
  e->last_status_n[k] = d->nbytes;
  for (uint8_t i = 0; i < d->nparts; i++) {
    uint8_t p = d->part[i].partition;
    if (p > KB_MAX_PARTITIONS) continue;
    for (uint8_t j = 0; j < 2; j++) {
      const kb_filter_byte_t *f = &e->filt[p - 1][j];
      uint8_t v = j ? d->part[i].status : d->part[i].lights;
      int s;
      if (!f->n[0]) continue; /* nothing pending */
      s = filt_slot(f, v);
      if (s < 0 || f->n[s] + 1u >= KB_FILTER_K)
        room = 0;
      else if (KB_FILTER_K - 1u - f->n[s] < room)
        room = (uint8_t)(KB_FILTER_K - 1u - f->n[s]);
    }
  }
  e->room[k] = room;
}

/* ------------------------------------------- other typed panel state */

static void version(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  kb_status_t *s = &e->status;
  kb_event_t ev;
  if (s->version != d->version) {
    s->version = d->version;
    ev_start(&ev, KB_EV_VERSION, 0);
    ev.version.version = d->version;
    emit(e, &ev, t_ms);
  }
  if (s->code_digits != d->code_digits) {
    s->code_digits = d->code_digits;
    ev_start(&ev, KB_EV_CODE_DIGITS, 0);
    ev.code_digits.digits = d->code_digits;
    emit(e, &ev, t_ms);
  }
}

static void pgm(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  /* the outputs 1-14 that changed, lowest first */
  unsigned diff = (e->status.pgm ^ d->pgm) & 0x3FFFu;
  for (uint8_t n = 1; diff; n++, diff >>= 1)
    if (diff & 1u) {
      uint16_t m = (uint16_t)(1u << (n - 1u));
      kb_event_t ev;
      e->status.pgm = (uint16_t)(e->status.pgm ^ m);
      ev_start(&ev, KB_EV_PGM, 0);
      ev.pgm.on = (d->pgm & m) != 0;
      ev.pgm.output = n;
      emit(e, &ev, t_ms);
    }
}

/* The KB_PANEL_* bits in `mask` (those one frame carries) become `v`: one
 * KB_EV_PANEL_FLAG per bit that changed. */
static void panel_flags(kb_engine_t *e, uint8_t mask, uint8_t v, uint32_t t_ms) {
  uint8_t diff = (uint8_t)((e->status.panel_flags ^ v) & mask);
  if (!diff) return;
  e->status.panel_flags = (uint8_t)(e->status.panel_flags ^ diff);
  for (uint8_t bit = 1; diff; bit = (uint8_t)(bit << 1))
    if (diff & bit) {
      kb_event_t ev;
      diff = (uint8_t)(diff & ~bit); /* the loop ends with the last change */
      ev_start(&ev, KB_EV_PANEL_FLAG, 0);
      ev.panel_flag.on = (v & bit) != 0;
      ev.panel_flag.flag = bit;
      emit(e, &ev, t_ms);
    }
}

/* A keypad sound command: one event per partition it names (a sound is an
 * instruction, not a state: every command is reported). */
static void sound(kb_engine_t *e, const kb_dec_sound_t *x, uint32_t t_ms) {
  static const uint8_t type[4] = {0, KB_EV_BEEP, KB_EV_TONE, KB_EV_BUZZER};
  unsigned m = x->parts & ((1u << KB_MAX_PARTITIONS) - 1u); /* lowest first */
  for (uint8_t p = 1; m; p++, m >>= 1)
    if (m & 1u) {
      kb_event_t ev;
      ev_start(&ev, type[x->kind & 3u], p);
      ev.sound.beeps = x->beeps;
      ev.sound.constant = x->constant;
      ev.sound.interval_s = x->interval_s;
      ev.sound.seconds = x->seconds;
      emit(e, &ev, t_ms);
    }
}

/* One presence bitmap (keypads, expanders or other modules) becomes `v`:
 * one KB_EV_MODULE per module that came or went. */
static void presence(kb_engine_t *e, uint8_t *have, uint8_t v, uint8_t device, uint32_t t_ms) {
  uint8_t diff = (uint8_t)(*have ^ v);
  *have = v;
  for (uint8_t i = 0; diff; i++, diff = (uint8_t)(diff >> 1))
    if (diff & 1u) {
      kb_event_t ev;
      ev_start(&ev, KB_EV_MODULE, 0);
      ev.module.on = (v >> i) & 1u;
      ev.module.device = device <= KB_DEVICE_EXPANDER ? device
                         : i == 0                     ? (uint8_t)KB_DEVICE_RF5132
                         : i == 1                     ? (uint8_t)KB_DEVICE_PC5208
                                                      : (uint8_t)KB_DEVICE_PC5204;
      ev.module.number = device <= KB_DEVICE_EXPANDER ? (uint8_t)(i + 1u) : 0;
      emit(e, &ev, t_ms);
    }
}

/* Fingerprint of a module reply's bytes (from byte 2), to tell a repeat of
 * the last supervision reply without decoding it. */
static uint16_t reply_hash(const uint8_t *b, uint8_t n) {
  uint16_t h = n;
  for (uint8_t i = 2; i < n; i++) h = (uint16_t)(((h << 5) | (h >> 11)) ^ b[i]);
  return h;
}

/* A reply to the supervision query 0x11: which modules are on the bus. The
 * panel asks every few seconds and the reply rarely changes: a repeat of
 * the reply last applied costs a fingerprint, no decode. A reply has no
 * checksum, so a new one counts when the next reply is the same (a
 * corrupted one cannot make a keypad vanish). Logs are judged the same
 * way: a log and the VCD made from it (which replays each reply once) then
 * reach the same state. r: the reply when the caller decoded it, else NULL. */
static void supervision(kb_engine_t *e, const uint8_t *b, uint8_t n, const kb_mod_reply_t *r,
                        uint32_t t_ms) {
  kb_status_t *s = &e->status;
  kb_mod_reply_t local;
  uint16_t h = reply_hash(b, n);
  bool same = e->sup_state != SUP_NONE && h == e->sup_hash;
  if (same && e->sup_state == SUP_APPLIED) return;
  e->sup_hash = h;
  if (!same) {
    e->sup_state = SUP_SEEN; /* wait for a second copy */
    return;
  }
  e->sup_state = SUP_APPLIED;
  if (!r) {
    kb_module_reply_decode(KB_CMD_QUERY, 0, b, n, &local);
    r = &local;
  }
  if (r->kind != KB_MOD_SUPERVISION || r->truncated) return;
  presence(e, &s->keypads, r->u.sup.keypads, KB_DEVICE_KEYPAD, t_ms);
  presence(e, &s->expanders, r->u.sup.expanders, KB_DEVICE_EXPANDER, t_ms);
  presence(e, &s->modules,
           (uint8_t)((r->u.sup.rf5132 ? KB_MODULE_RF5132 : 0u) | (r->u.sup.pc5208 ? KB_MODULE_PC5208 : 0u) |
                     (r->u.sup.pc5204 ? KB_MODULE_PC5204 : 0u)),
           KB_DEVICE_RF5132, t_ms);
}

/* Flashing status lights (0x5D P1, 0x63 P2, 0xE6.17/18 partitions of a
 * mask): status.flash[] of each partition named, one KB_EV_FLASH per change. */
static inline void flash_lights(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  unsigned mask = d->nzset ? d->zset[0].parts : 0u;
  /* the mask's bits only (0x5D/0x63 name one partition: one turn) */
  for (uint8_t i = 0; mask != 0u && i < KB_MAX_PARTITIONS; i++, mask >>= 1) {
    uint8_t *f = &e->status.flash[i];
    if (!(mask & 1u) || *f == d->flash_lights) continue;
    *f = d->flash_lights;
    kb_event_t ev;
    ev_start(&ev, KB_EV_FLASH, (uint8_t)(i + 1u));
    ev.part.lights = *f;
    ev.part.status = e->status.part[i].status;
    emit(e, &ev, t_ms);
  }
}

/* The rarer typed state of a panel frame (configuration, PGM, bell, sounds,
 * trouble flags, flashing lights), out of line: the status stream's path
 * stays short. */
ENGINE_COLD void panel_extras(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  kb_status_t *s = &e->status;
  if (d->has & KB_HAS_VERSION) version(e, d, t_ms);
  if (d->has & KB_HAS_PGM) pgm(e, d, t_ms);
  if (d->has & KB_HAS_AC) {
    set_flag(e, &s->ac_power, (uint8_t)!d->ac_trouble, KB_EV_AC_POWER, 0, t_ms);
    panel_flags(e, KB_PANEL_E6_MASK, d->panel_flags, t_ms);
  }
  if (d->has & KB_HAS_BELL) set_flag(e, &s->bell, d->bell, KB_EV_BELL, 0, t_ms);
  if (d->has & KB_HAS_SOUND) sound(e, &d->sound, t_ms);
  /* one test for the two rarest (the others' path stays as short as it was) */
  if (d->has & (KB_HAS_DIALER | KB_HAS_FLASH)) {
    if (d->has & KB_HAS_DIALER) panel_flags(e, KB_PANEL_DIALER_MASK, d->panel_flags, t_ms);
    if (d->has & KB_HAS_FLASH) flash_lights(e, d, t_ms);
  }
}

/* The typed fields a panel frame may carry besides its partition bytes. */
#define PANEL_EXTRAS \
  (KB_HAS_VERSION | KB_HAS_PGM | KB_HAS_AC | KB_HAS_BELL | KB_HAS_SOUND | KB_HAS_DIALER | KB_HAS_FLASH)

ENGINE_INLINE void panel_fields(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  kb_status_t *s = &e->status;
  uint32_t has = d->has;
  if (has & KB_HAS_ZONES) {
    if (d->parts_kind == KB_PARTS_ZONE_STATUS && e->mode == KB_MODE_LIVE)
      zone_status_zones(e, d, t_ms);
    else
      zone_bits(e, d, t_ms);
  }
  if (has & KB_HAS_ZONE_LIGHTS) bypass_menu(e, d, t_ms);
  if (has & PANEL_EXTRAS) panel_extras(e, d, t_ms);
  if ((has & KB_HAS_TIME) && (d->cmd == KB_CMD_EVENT || d->cmd == KB_CMD_EVENT_HIGH) &&
      d->time.valid && memcmp(&s->time, &d->time, sizeof s->time) != 0) {
    /* whole-struct compare: the decoder clears the panel date, padding too,
     * before it fills it, and s->time is only ever a copy of one */
    kb_event_t ev;
    s->time = d->time;
    ev_start(&ev, KB_EV_TIME, 0);
    ev.time.time = d->time;
    emit(e, &ev, t_ms);
  }
  if (has & KB_HAS_EVENT) panel_event(e, d, t_ms);
}

/* The fields panel_model() acts on besides the partition bytes. */
#define MODEL_FIELDS (KB_HAS_ZONES | KB_HAS_ZONE_LIGHTS | PANEL_EXTRAS | KB_HAS_TIME | KB_HAS_EVENT)

/* Start-up gate: a frame without a checksum waits for the status stream; a
 * checksummed one (0x27.., 0xA5, 0xEB, 0x87, 0x16, ...) is trusted on its
 * own, as logs that print only changes may have no 0x05 at all. False when
 * the frame is held back. */
ENGINE_COLD bool gate(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  kb_status_t *s = &e->status;
  kb_event_t ev;
  if (d->parts_kind != KB_PARTS_STATUS) return d->csum == KB_CSUM_OK;
  s->synced = 1;
  s->early = d->early;
  ev_start(&ev, KB_EV_SYNCED, 0);
  ev.synced.early = d->early;
  emit(e, &ev, t_ms);
  return true;
}

/* A panel frame that passed its checks: counted, and judged by the start-up
 * gate. False when the gate holds it back (the model does not see it). */
ENGINE_INLINE bool panel_accept(kb_engine_t *e, const kb_decoded_t *d, uint32_t t_ms) {
  e->health.frames++;
  e->health.frames_ok++;
  alive(e, t_ms);
  return e->status.synced || gate(e, d, t_ms);
}

/* What an accepted panel frame does to the model: its partition bytes, then
 * the other fields it carries. Frames with neither (queries, programming
 * traffic) need not call it. */
ENGINE_INLINE void panel_model(kb_engine_t *e, const uint8_t *b, const kb_decoded_t *d,
                               uint16_t noise_mask, uint32_t t_ms) {
  if (d->parts_kind == KB_PARTS_STATUS) {
    count_repeats(e, d->cmd == KB_CMD_STATUS_HIGH);
    status_frame(e, d, e->mode == KB_MODE_LOG ? noise_mask : 0, t_ms);
    remember_status(e, b, d);
    if (d->cmd == KB_CMD_STATUS && zone_holding(e)) zone_hold_check(e, t_ms);
  } else if (d->parts_kind == KB_PARTS_ZONE_STATUS) {
    if (e->mode == KB_MODE_LIVE) corroborate(e, d, t_ms);
    if (d->cmd == KB_CMD_ZONES_1) apply_zone_status_parts(e, d, t_ms);
  }
  if (d->has & MODEL_FIELDS) panel_fields(e, d, t_ms);
}

/* Live input: a 0x05/0x1B equal to the last one applied is only counted
 * (status_repeat()); true when it was. */
static inline bool quick_repeat(kb_engine_t *e, const uint8_t *b, uint8_t avail, uint16_t bits,
                                uint32_t t_ms) {
  if (!avail || (b[0] != KB_CMD_STATUS && b[0] != KB_CMD_STATUS_HIGH) ||
      e->mode != KB_MODE_LIVE || !e->status.synced || !status_repeat(e, b, avail, bits))
    return false;
  e->health.frames++;
  e->health.frames_ok++;
  alive(e, t_ms);
  return true;
}

kb_check_t kb_engine_panel(kb_engine_t *e, const uint8_t *b, uint8_t avail, uint16_t bits,
                           uint16_t noise_mask, uint32_t t_ms, kb_decoded_t *out) {
  kb_decoded_t local;
  kb_decoded_t *d = out ? out : &local;
  if (!out && quick_repeat(e, b, avail, bits, t_ms)) return KB_CHECK_OK;
  kb_decode_panel(b, avail, bits, d);
  if (d->check != KB_CHECK_OK) {
    count_check(e, (kb_check_t)d->check, d->cmd, t_ms);
    return (kb_check_t)d->check;
  }
  if (panel_accept(e, d, t_ms)) panel_model(e, b, d, noise_mask, t_ms);
  return KB_CHECK_OK;
}

kb_check_t kb_engine_module(kb_engine_t *e, uint8_t under, uint8_t under_sub, const uint8_t *b,
                            uint8_t avail, uint16_t bits, uint32_t t_ms, kb_decoded_t *out) {
  kb_decoded_t local;
  kb_decoded_t *d = out ? out : &local;
  /* the full decode (query replies too) only for a caller that asked for it */
  if (out)
    kb_decode_module(under, under_sub, b, avail, bits, d);
  else
    kb_decode_module_keys(under, under_sub, b, avail, bits, d);
  if (d->check != KB_CHECK_OK) {
    count_check(e, (kb_check_t)d->check, under, t_ms);
    return (kb_check_t)d->check;
  }
  e->health.frames++;
  e->health.frames_ok++;
  if (!e->status.synced) return KB_CHECK_OK;
  for (uint8_t i = 0; i < d->nkeys; i++) {
    kb_event_t ev;
    ev_start(&ev, KB_EV_KEY, d->key[i].partition);
    ev.key.code = kb_decode_key_is_digit(d->key[i].code) ? (uint8_t)KB_KEY_DIGIT : d->key[i].code;
    ev.key.cmd = under;
    emit(e, &ev, t_ms);
  }
  if (under == KB_CMD_QUERY)
    supervision(e, b, d->nbytes, (d->has & KB_HAS_REPLY) ? &d->reply : NULL, t_ms);
  return KB_CHECK_OK;
}

/* kb_engine_panel(e, f->panel, ..., 0, t_ms, NULL) written out for the
 * task's path (no decode for the caller, no noise mask): the frames that
 * carry nothing for the model (queries, programming traffic) stop after
 * the counts. */
void kb_engine_frame(kb_engine_t *e, const kb_frame_t *f, uint32_t t_ms) {
  uint8_t avail = kb_decode_nbytes(f->panel_bits);
  if (avail > KB_FRAME_BYTES) avail = KB_FRAME_BYTES;
  if (!quick_repeat(e, f->panel, avail, f->panel_bits, t_ms)) {
    kb_decoded_t d;
    kb_decode_panel(f->panel, avail, f->panel_bits, &d);
    if (d.check != KB_CHECK_OK) {
      count_check(e, (kb_check_t)d.check, d.cmd, t_ms);
      return;
    }
    if (panel_accept(e, &d, t_ms) && (d.parts_kind != KB_PARTS_NONE || (d.has & MODEL_FIELDS)))
      panel_model(e, f->panel, &d, 0, t_ms);
  }
  /* module data is read under the panel's command: a frame whose command
   * failed its checks says nothing trustworthy about which slot is which */
  if (f->module_seen) {
    uint8_t mavail = kb_decode_nbytes(f->module_bits);
    const uint8_t *m = f->module;
    uint8_t own[KB_FRAME_BYTES];
    if (mavail > KB_FRAME_BYTES) mavail = KB_FRAME_BYTES;
    if (f->wrote) { /* the key the link wrote itself is not a keypad's */
      memcpy(own, f->module, sizeof own);
      own[KB_FRAME_WROTE_BYTE(f->wrote) % KB_FRAME_BYTES] = KB_KEY_NONE;
      m = own;
    }
    (void)kb_engine_module(e, f->panel[0], avail > 2 ? f->panel[2] : 0, m, mavail,
                           f->module_bits, t_ms, NULL);
  }
}

void kb_engine_connected(kb_engine_t *e, bool connected, uint32_t t_ms) {
  if ((e->status.connected != 0) == connected) return;
  e->status.connected = connected;
  emit_state(e, KB_EV_CONNECTED, 0, connected, t_ms);
}

uint32_t kb_engine_frame_age_ms(const kb_engine_t *e, uint32_t now_ms) {
  if (!e->health.has_frame) return UINT32_MAX;
  return now_ms - e->health.last_frame_ms; /* modulo 2^32, like the caller's clock */
}

void kb_engine_link_stats(kb_engine_t *e, const kb_link_stats_t *s) {
  e->health.ring_overflows = s->overflows;
  e->health.ring_high_water = s->high_water;
}

uint16_t kb_filter_log_judge(const uint8_t *prev, uint16_t prev_bits, const uint8_t *cur,
                             uint16_t cur_bits, const uint8_t *next, uint16_t next_bits,
                             bool next_soon) {
  uint8_t n = kb_decode_nbytes(cur_bits);
  uint8_t base;
  uint16_t mask = 0;
  if (!prev || !next || !next_soon || n < 6) return 0;
  if (cur[0] != KB_CMD_STATUS && cur[0] != KB_CMD_STATUS_HIGH) return 0;
  if (prev[0] != cur[0] || next[0] != cur[0]) return 0;
  if (kb_decode_nbytes(prev_bits) != n || kb_decode_nbytes(next_bits) != n) return 0;
  if (n > 10) n = 10;
  base = cur[0] == KB_CMD_STATUS_HIGH ? 8 : 0;
  for (uint8_t i = 2; i < n; i++)
    if (cur[i] != prev[i] && next[i] == prev[i]) mask = (uint16_t)(mask | (1u << (base + i - 2u)));
  return mask;
}
