/* SPDX-License-Identifier: MIT
 * JSON views of frames and of the status model. */
#include "host/kb_json.h"

#include <stdio.h>

#include "host/kb_module_text.h"
#include "host/kb_pev_text.h"
#include "host/kb_text.h"
#include "keybus/kb_module.h"
#include "keybus/kb_proto.h"

static cJSON *hex_str(uint8_t v) {
  char s[8];
  snprintf(s, sizeof s, "0x%02X", v);
  return cJSON_CreateString(s);
}

static cJSON *lights_array(uint8_t lights) {
  cJSON *a = cJSON_CreateArray();
  for (unsigned i = 0; i < 8; i++)
    if (lights & (1u << i)) cJSON_AddItemToArray(a, cJSON_CreateString(kb_text_light(i)));
  return a;
}

static cJSON *mask_list(uint32_t mask, unsigned bits, unsigned first) {
  cJSON *a = cJSON_CreateArray();
  for (unsigned i = 0; i < bits; i++)
    if (mask & (1ul << i)) cJSON_AddItemToArray(a, cJSON_CreateNumber(first + i));
  return a;
}

static cJSON *zone_list(const uint8_t *map, unsigned nbytes) {
  cJSON *a = cJSON_CreateArray();
  for (unsigned i = 0; i < nbytes * 8u; i++)
    if (map[i / 8u] & (1u << (i % 8u))) cJSON_AddItemToArray(a, cJSON_CreateNumber(i + 1));
  return a;
}

static cJSON *time_str(const kb_time_t *t) {
  char s[32];
  snprintf(s, sizeof s, "%04u-%02u-%02u %02u:%02u", t->year, t->month, t->day, t->hour, t->minute);
  return cJSON_CreateString(s);
}

static const char *const alarm_key_names[] = {"none", "fire", "auxiliary", "panic"};

/* 32 zones of one kb_dec_zones_t as a list of zone numbers. */
static cJSON *zset_list(const kb_dec_zones_t *z) {
  uint32_t m = (uint32_t)z->zones[0] | (uint32_t)z->zones[1] << 8 | (uint32_t)z->zones[2] << 16 |
               (uint32_t)z->zones[3] << 24;
  return mask_list(m, 32, z->first);
}

static const char *const sound_names[] = {"", "beep", "tone", "buzzer"};
static const char *const panel_flag_keys[KB_PANEL_FLAG_COUNT] = {
    "time_lost", "communication_failure", "fire_alarm", "phone_line", "dialing", "keypad_lockout"};
static const char *const query_names[KB_MOD_KIND_COUNT] = {
    "none", "supervision", "expander", "wireless_battery", "tamper", "wireless_key",
    "module_status", "lcd_data", "keypad_zone", "programming"};

/* The KB_PANEL_* bits of `mask` as booleans. */
static void add_panel_flags(cJSON *o, uint8_t v, uint8_t mask) {
  for (unsigned i = 0; i < KB_PANEL_FLAG_COUNT; i++)
    if (mask & (1u << i)) cJSON_AddBoolToObject(o, panel_flag_keys[i], (v >> i) & 1u);
}

cJSON *kb_json_fields(const kb_decoded_t *d) {
  cJSON *f = cJSON_CreateObject();
  if (!f) return NULL;
  if (d->has & KB_HAS_PARTS) {
    cJSON *a = cJSON_AddArrayToObject(f, "partitions");
    for (uint8_t i = 0; i < d->nparts; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "partition", d->part[i].partition);
      if (kb_proto_part_in_use(d->part[i].status))
        cJSON_AddItemToObject(o, "lights", lights_array(d->part[i].lights));
      cJSON_AddItemToObject(o, "status", hex_str(d->part[i].status));
      cJSON_AddItemToArray(a, o);
    }
  }
  if (d->has & KB_HAS_ZONES) {
    cJSON *r = cJSON_CreateArray();
    cJSON_AddItemToObject(f, "zones_open", mask_list(d->zones, d->zone_count, d->zone_first));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(d->zone_first));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(d->zone_first + d->zone_count - 1u));
    cJSON_AddItemToObject(f, "zones_range", r);
  }
  if ((d->has & KB_HAS_TIME) && d->time.valid) cJSON_AddItemToObject(f, "time", time_str(&d->time));
  if (d->has & KB_HAS_EVENT) {
    cJSON *o = cJSON_AddObjectToObject(f, "event");
    char t[128];
    cJSON_AddStringToObject(o, "kind", kb_pev_kind_name((kb_pev_kind_t)d->event.kind));
    if (d->event.number) cJSON_AddNumberToObject(o, "number", d->event.number);
    cJSON_AddItemToObject(o, "set", hex_str(d->event.set));
    cJSON_AddItemToObject(o, "code", hex_str(d->event.code));
    cJSON_AddItemToObject(o, "partitions", mask_list(d->event_parts, 8, 1));
    if (d->event_number != KB_EVENT_LIVE) cJSON_AddNumberToObject(o, "event_number", d->event_number);
    kb_pev_format(&d->event, t, sizeof t);
    cJSON_AddStringToObject(o, "text", t);
  }
  if (d->has & KB_HAS_KEYS) {
    cJSON *a = cJSON_AddArrayToObject(f, "keys");
    for (uint8_t i = 0; i < d->nkeys; i++) {
      cJSON *o = cJSON_CreateObject();
      const char *k = kb_text_key(d->key[i].code);
      cJSON_AddNumberToObject(o, "partition", d->key[i].partition);
      cJSON_AddStringToObject(o, "key", k ? k : "");
      cJSON_AddItemToObject(o, "code", hex_str(d->key[i].code));
      cJSON_AddItemToArray(a, o);
    }
  }
  if (d->has & KB_HAS_ALARM_KEY) cJSON_AddStringToObject(f, "alarm_key", alarm_key_names[d->alarm_key & 3u]);
  if (d->has & KB_HAS_VERSION) {
    char v[16];
    snprintf(v, sizeof v, "%u.%u", d->version >> 4, d->version & 0x0Fu);
    cJSON_AddStringToObject(f, "version", v);
    cJSON_AddNumberToObject(f, "code_digits", d->code_digits);
  }
  if (d->has & KB_HAS_ZONE_LIGHTS) {
    cJSON *r = cJSON_CreateArray();
    uint32_t m = (uint32_t)d->zone_lights[0] | (uint32_t)d->zone_lights[1] << 8 |
                 (uint32_t)d->zone_lights[2] << 16 | (uint32_t)d->zone_lights[3] << 24;
    cJSON_AddItemToObject(f, "zone_lights", mask_list(m, 32, d->zone_lights_first));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(d->zone_lights_first));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(d->zone_lights_first + 31u));
    cJSON_AddItemToObject(f, "zone_lights_range", r);
  }
  if (d->has & KB_HAS_PGM) cJSON_AddItemToObject(f, "pgm_outputs", mask_list(d->pgm, 14, 1));
  if (d->has & KB_HAS_AC) {
    cJSON_AddBoolToObject(f, "ac_trouble", d->ac_trouble);
    cJSON_AddItemToObject(f, "alarm_partitions", mask_list(d->alarm_parts, 8, 1));
    add_panel_flags(cJSON_AddObjectToObject(f, "panel_flags"), d->panel_flags, KB_PANEL_E6_MASK);
  }
  if (d->has & KB_HAS_DIALER)
    add_panel_flags(cJSON_AddObjectToObject(f, "panel_flags"), d->panel_flags, KB_PANEL_DIALER_MASK);
  if (d->has & KB_HAS_VERSION) {
    static const char *const wiring[] = {"none", "NC", "EOL", "DEOL"};
    cJSON_AddStringToObject(f, "zone_wiring", wiring[d->wiring & 3u]);
    cJSON_AddBoolToObject(f, "installer_programming_off", d->installer_off);
  }
  if (d->has & KB_HAS_PGM) {
    cJSON_AddBoolToObject(f, "pgm_midnight", (d->pgm_flags & KB_PGM_MIDNIGHT) != 0);
    cJSON_AddBoolToObject(f, "pgm_battery_check", (d->pgm_flags & KB_PGM_BATTERY_CHECK) != 0);
  }
  if (d->has & KB_HAS_BELL) cJSON_AddBoolToObject(f, "bell", d->bell);
  if (d->has & KB_HAS_SOUND) {
    cJSON *o = cJSON_AddObjectToObject(f, "sound");
    cJSON_AddStringToObject(o, "kind", sound_names[d->sound.kind & 3u]);
    cJSON_AddItemToObject(o, "partitions", mask_list(d->sound.parts, 8, 1));
    if (d->sound.kind == KB_SOUND_BUZZER) {
      cJSON_AddNumberToObject(o, "seconds", d->sound.seconds);
    } else {
      cJSON_AddNumberToObject(o, "beeps", d->sound.beeps);
      if (d->sound.kind == KB_SOUND_TONE) {
        cJSON_AddBoolToObject(o, "constant", d->sound.constant);
        cJSON_AddNumberToObject(o, "interval_s", d->sound.interval_s);
      }
    }
  }
  if (d->has & KB_HAS_FLASH) {
    cJSON *o = cJSON_AddObjectToObject(f, "flashing");
    cJSON_AddItemToObject(o, "partitions", mask_list(d->zset[0].parts, 8, 1));
    cJSON_AddItemToObject(o, "lights", lights_array(d->flash_lights));
    cJSON_AddItemToObject(o, "zones", zset_list(&d->zset[0]));
  }
  if (d->has & KB_HAS_ENABLED) {
    cJSON *a = cJSON_AddArrayToObject(f, "zones_enabled");
    for (uint8_t i = 0; i < d->nzset && i < 2; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddItemToObject(o, "partitions", mask_list(d->zset[i].parts, 8, 1));
      cJSON_AddItemToObject(o, "zones", zset_list(&d->zset[i]));
      cJSON_AddItemToArray(a, o);
    }
  }
  if (d->has & KB_HAS_QUERY) {
    cJSON_AddStringToObject(f, "query", query_names[d->query < KB_MOD_KIND_COUNT ? d->query : 0]);
    if (d->query == KB_MOD_EXPANDER) cJSON_AddNumberToObject(f, "expander", d->expander);
  }
  if (d->has & KB_HAS_DISPLAY) {
    char t[12];
    snprintf(t, sizeof t, "%02X%02X%02X%02X", d->display[0], d->display[1], d->display[2], d->display[3]);
    cJSON_AddStringToObject(f, "display", t);
  }
  if (d->has & KB_HAS_PROG) {
    cJSON_AddItemToObject(f, "programming_target", hex_str(d->prog_target));
    if (d->cmd == KB_CMD_MODULE_PROG) cJSON_AddItemToObject(f, "programming_function", hex_str(d->prog_function));
  }
  if (d->has & KB_HAS_LAYOUT) cJSON_AddItemToObject(f, "layout", hex_str(d->layout));
  if (d->has & KB_HAS_NOTIFY) {
    cJSON *o = cJSON_AddObjectToObject(f, "notify");
    cJSON *ex = mask_list(d->notify & 0xFFu, 8, 0);
    cJSON_AddItemToObject(o, "expanders", ex);
    if (d->notify & KB_NOTIFY_WIRELESS_BATTERY) cJSON_AddTrueToObject(o, "wireless_battery");
    if (d->notify & KB_NOTIFY_MODULE_TAMPER) cJSON_AddTrueToObject(o, "module_tamper");
    if (d->notify & KB_NOTIFY_WIRELESS_KEY) cJSON_AddTrueToObject(o, "wireless_key");
    if (d->notify & KB_NOTIFY_MODULE_STATUS) cJSON_AddTrueToObject(o, "module_status");
    if (d->notify & KB_NOTIFY_KEYPAD_ZONE) cJSON_AddTrueToObject(o, "keypad_zone");
    if (d->notify & KB_NOTIFY_WIRELESS) cJSON_AddTrueToObject(o, "wireless");
    if (d->notify & KB_NOTIFY_KEYPAD) cJSON_AddTrueToObject(o, "keypad");
    if (d->notify & KB_NOTIFY_CHIME_BROADCAST) cJSON_AddTrueToObject(o, "chime_broadcast");
    if (d->notify & KB_NOTIFY_LABEL_BROADCAST) cJSON_AddTrueToObject(o, "label_broadcast");
    if (d->notify >> KB_NOTIFY_IDLE_SHIFT)
      cJSON_AddItemToObject(o, "idle_partitions", mask_list(d->notify >> KB_NOTIFY_IDLE_SHIFT, 8, 1));
  }
  if ((d->has & KB_HAS_REPLY) && d->reply.kind != KB_MOD_NONE) {
    const kb_mod_reply_t *r = &d->reply;
    char t[160];
    cJSON *o = cJSON_AddObjectToObject(f, "reply");
    cJSON_AddStringToObject(o, "kind", kb_module_kind_name(r->kind));
    cJSON_AddStringToObject(o, "checksum", r->csum == KB_MOD_CSUM_OK ? "ok" : r->csum == KB_MOD_CSUM_BAD ? "bad" : "none");
    kb_module_format(r, t, sizeof t);
    cJSON_AddStringToObject(o, "text", t);
    if (r->kind == KB_MOD_SUPERVISION && !r->truncated) {
      cJSON_AddItemToObject(o, "keypads", mask_list(r->u.sup.keypads, 8, 1));
      cJSON_AddItemToObject(o, "expanders", mask_list(r->u.sup.expanders, 7, 1));
    }
  }
  return f;
}

static const char *const check_names[] = {"ok", "runt", "framing", "length", "checksum", "unknown"};
static const char *const csum_names[] = {"none", "ok", "bad"};

cJSON *kb_json_frame(const kb_decoded_t *d, const uint8_t *b, uint16_t bits, int synced,
                     const char *text) {
  cJSON *o = cJSON_CreateObject();
  cJSON *bytes;
  char label[16];
  if (!o) return NULL;
  kb_text_label(d, label, sizeof label);
  cJSON_AddItemToObject(o, "cmd", hex_str(d->cmd));
  if (d->cmd == KB_CMD_EXTENDED) cJSON_AddStringToObject(o, "label", label);
  cJSON_AddStringToObject(o, "source", d->source == KB_SRC_MODULE ? "module" : "panel");
  bytes = cJSON_AddArrayToObject(o, "bytes");
  for (uint8_t i = 0; i < d->nbytes; i++) {
    char s[4];
    snprintf(s, sizeof s, "%02X", b[i]);
    cJSON_AddItemToArray(bytes, cJSON_CreateString(s));
  }
  cJSON_AddNumberToObject(o, "bits", bits);
  cJSON_AddStringToObject(o, "checksum", d->source == KB_SRC_MODULE ? "none" : csum_names[d->csum % 3u]);
  cJSON_AddStringToObject(o, "check", check_names[d->check < KB_CHECK_COUNT ? d->check : 0]);
  cJSON_AddBoolToObject(o, "synced", synced);
  cJSON_AddStringToObject(o, "text", text ? text : "");
  cJSON_AddItemToObject(o, "fields", d->check == KB_CHECK_OK ? kb_json_fields(d) : cJSON_CreateObject());
  return o;
}

cJSON *kb_json_state(const kb_engine_t *e) { return kb_json_status(&e->status, &e->health); }

/* A field the panel reports (status.absent: a Classic panel cannot report
 * every field of the model; what it cannot is left out, never faked). */
#define HAS(s, bit) (((s)->absent & (bit)) == 0)

cJSON *kb_json_status(const kb_status_t *s, const kb_health_t *h) {
  cJSON *o = cJSON_CreateObject(), *parts, *hj;
  unsigned zbytes = s->zones_max ? (s->zones_max + 7u) / 8u : KB_ZONE_BYTES;
  if (!o) return NULL;
  if (zbytes > KB_ZONE_BYTES) zbytes = KB_ZONE_BYTES;
  if (s->series == KB_SERIES_CLASSIC) cJSON_AddStringToObject(o, "panel", "classic");
  parts = cJSON_AddArrayToObject(o, "partitions");
  for (unsigned p = 1; p <= KB_MAX_PARTITIONS; p++) {
    const kb_partition_t *pt = &s->part[p - 1];
    cJSON *j;
    if (!pt->known) continue;
    j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "partition", p);
    cJSON_AddBoolToObject(j, "ready", pt->ready);
    if (pt->armed == KB_ARMED_NONE)
      cJSON_AddNullToObject(j, "armed");
    else
      cJSON_AddStringToObject(j, "armed", pt->armed == KB_ARMED_STAY ? "stay" : "away");
    cJSON_AddBoolToObject(j, "no_entry_delay", pt->no_entry_delay);
    cJSON_AddBoolToObject(j, "exit_delay", pt->exit_delay);
    if (pt->exit_delay) {
      static const char *const tn[] = {"none", "stay", "away", "no_entry_delay"};
      cJSON_AddStringToObject(j, "exit_target", tn[pt->exit_target & 3u]);
    }
    if (HAS(s, KB_ABSENT_ENTRY_DELAY)) cJSON_AddBoolToObject(j, "entry_delay", pt->entry_delay);
    cJSON_AddBoolToObject(j, "alarm", pt->alarm);
    cJSON_AddBoolToObject(j, "fire", pt->fire);
    if (HAS(s, KB_ABSENT_DISABLED)) cJSON_AddBoolToObject(j, "disabled", pt->disabled);
    cJSON_AddItemToObject(j, "lights", lights_array(pt->lights));
    cJSON_AddItemToObject(j, "status", hex_str(pt->status));
    if (pt->access_code) cJSON_AddNumberToObject(j, "access_code", pt->access_code);
    cJSON_AddItemToArray(parts, j);
  }
  cJSON_AddItemToObject(o, "zones_open", zone_list(s->zones_open, zbytes));
  cJSON_AddItemToObject(o, "zones_alarm", zone_list(s->zones_alarm, zbytes));
  if (HAS(s, KB_ABSENT_ZONES_TAMPER))
    cJSON_AddItemToObject(o, "zones_tamper", zone_list(s->zones_tamper, zbytes));
  if (HAS(s, KB_ABSENT_ZONES_BYPASS))
    cJSON_AddItemToObject(o, "zones_bypass", zone_list(s->zones_bypass, zbytes));
  cJSON_AddBoolToObject(o, "trouble", s->trouble);
  if (HAS(s, KB_ABSENT_AC_POWER)) cJSON_AddBoolToObject(o, "ac_power", s->ac_power);
  if (HAS(s, KB_ABSENT_BATTERY)) cJSON_AddBoolToObject(o, "battery_ok", s->battery_ok);
  {
    cJSON *k = cJSON_AddObjectToObject(o, "keypad_alarms");
    cJSON_AddBoolToObject(k, "fire", s->keypad_alarm[0]);
    cJSON_AddBoolToObject(k, "auxiliary", s->keypad_alarm[1]);
    cJSON_AddBoolToObject(k, "panic", s->keypad_alarm[2]);
  }
  if (HAS(s, KB_ABSENT_PGM)) cJSON_AddItemToObject(o, "pgm_outputs", mask_list(s->pgm, 14, 1));
  if (HAS(s, KB_ABSENT_TIME)) {
    if (s->time.valid)
      cJSON_AddItemToObject(o, "time", time_str(&s->time));
    else
      cJSON_AddNullToObject(o, "time");
  }
  if (!HAS(s, KB_ABSENT_VERSION)) {
    /* no version message on this panel */
  } else if (s->version) {
    char v[16];
    snprintf(v, sizeof v, "%u.%u", s->version >> 4, s->version & 0x0Fu);
    cJSON_AddStringToObject(o, "panel_version", v);
  } else {
    cJSON_AddNullToObject(o, "panel_version");
  }
  if (HAS(s, KB_ABSENT_CODE_DIGITS)) {
    if (s->code_digits)
      cJSON_AddNumberToObject(o, "code_digits", s->code_digits);
    else
      cJSON_AddNullToObject(o, "code_digits");
  }
  if (HAS(s, KB_ABSENT_BELL)) cJSON_AddBoolToObject(o, "bell", s->bell);
  if (HAS(s, KB_ABSENT_PANEL_FLAGS))
    add_panel_flags(cJSON_AddObjectToObject(o, "panel_flags"), s->panel_flags,
                    KB_PANEL_E6_MASK | KB_PANEL_DIALER_MASK);
  if (HAS(s, KB_ABSENT_MODULES)) {
    cJSON_AddItemToObject(o, "keypads", mask_list(s->keypads, 8, 1));
    cJSON_AddItemToObject(o, "expanders", mask_list(s->expanders, 7, 1));
  }
  if (HAS(s, KB_ABSENT_MODULES)) {
    cJSON *m = cJSON_AddArrayToObject(o, "modules");
    if (s->modules & KB_MODULE_RF5132) cJSON_AddItemToArray(m, cJSON_CreateString("RF5132"));
    if (s->modules & KB_MODULE_PC5208) cJSON_AddItemToArray(m, cJSON_CreateString("PC5208"));
    if (s->modules & KB_MODULE_PC5204) cJSON_AddItemToArray(m, cJSON_CreateString("PC5204"));
  }
  cJSON_AddBoolToObject(o, "keybus_connected", s->connected);
  cJSON_AddBoolToObject(o, "synced", s->synced);
  if (HAS(s, KB_ABSENT_EARLY)) cJSON_AddBoolToObject(o, "early_generation", s->early);
  hj = cJSON_AddObjectToObject(o, "health");
  cJSON_AddNumberToObject(hj, "frames", h->frames);
  cJSON_AddNumberToObject(hj, "frames_ok", h->frames_ok);
  cJSON_AddNumberToObject(hj, "checksum_errors", h->checksum_errors);
  cJSON_AddNumberToObject(hj, "length_errors", h->length_errors);
  cJSON_AddNumberToObject(hj, "framing_errors", h->framing_errors);
  cJSON_AddNumberToObject(hj, "unknown_commands", h->unknown_cmds);
  cJSON_AddNumberToObject(hj, "runts", h->runts);
  cJSON_AddNumberToObject(hj, "noise_rejections", h->filter_rejections);
  cJSON_AddNumberToObject(hj, "ring_overflows", h->ring_overflows);
  cJSON_AddNumberToObject(hj, "ring_high_water", h->ring_high_water);
  if (h->has_frame)
    cJSON_AddNumberToObject(hj, "last_frame_ms", h->last_frame_ms);
  else
    cJSON_AddNullToObject(hj, "last_frame_ms");
  return o;
}
