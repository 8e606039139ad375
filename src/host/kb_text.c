/* SPDX-License-Identifier: MIT
 * Our own English for frames and status changes (host only). */
#include "host/kb_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host/kb_module_text.h"
#include "host/kb_pev_text.h"
#include "keybus/kb_module.h"

/* ------------------------------------------------------- string builder */

typedef struct {
  char *b;
  size_t n, len;
} sb_t;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_add(sb_t *s, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(s->len < s->n ? s->b + s->len : NULL, s->len < s->n ? s->n - s->len : 0, fmt, ap);
  va_end(ap);
  if (r > 0) s->len += (size_t)r;
}

static sb_t sb_make(char *buf, size_t n) {
  sb_t s;
  s.b = buf;
  s.n = n;
  s.len = 0;
  if (n) buf[0] = '\0';
  return s;
}

/* ------------------------------------------------------------- tables */

static const char *const light_names[8] = {"ready", "armed",   "memory", "bypass",
                                           "trouble", "program", "fire",   "backlight"};

const char *kb_text_light(unsigned bit) { return bit < 8 ? light_names[bit] : "?"; }

typedef struct {
  uint8_t code;
  const char *text;
} code_text_t;

static const code_text_t status_texts[] = {
    {0x01, "ready to arm"},
    {0x02, "ready, stay/away zones open"},
    {0x03, "not ready: zones open"},
    {0x04, "armed stay"},
    {0x05, "armed away"},
    {0x06, "armed stay, no entry delay"},
    {0x07, "arming failed"},
    {0x08, "exit delay running"},
    {0x09, "arming without entry delay"},
    {0x0B, "quick exit running"},
    {0x0C, "entry delay running"},
    {0x0D, "entry delay after an alarm"},
    {0x0E, "function not available"},
    {0x10, "keypad locked out"},
    {0x11, "in alarm"},
    {0x12, "battery check running"},
    {0x14, "auto-arm pending"},
    {0x15, "arming with bypassed zones"},
    {0x16, "armed away, no entry delay"},
    {0x17, "keypad blanked, trouble flashing"},
    {0x19, "disarmed, alarm in memory"},
    {0x22, "disarmed, recent closing"},
    {0x2F, "keypad display test"},
    {0x33, "command output running"},
    {0x3D, "disarmed, alarm in memory"},
    {0x3E, "disarmed"},
    {0x40, "keypad blanked"},
    {0x8A, "stay/away zones activated"},
    {0x8B, "quick exit"},
    {0x8E, "function not available"},
    {0x8F, "wrong access code"},
    {0x9E, "waiting for a * function"},
    {0x9F, "waiting for an access code"},
    {0xA0, "*1 zone bypass menu"},
    {0xA1, "*2 trouble menu"},
    {0xA2, "*3 alarm memory menu"},
    {0xA3, "door chime turned on"},
    {0xA4, "door chime turned off"},
    {0xA5, "waiting for the master code"},
    {0xA6, "*5 access code menu"},
    {0xA7, "*5 waiting for a 4-digit code"},
    {0xA9, "*6 user function menu"},
    {0xAA, "*6 setting time and date"},
    {0xAB, "*6 auto-arm time"},
    {0xAC, "*6 auto-arm on"},
    {0xAD, "*6 auto-arm off"},
    {0xAF, "*6 system test"},
    {0xB0, "*6 remote programming (DLS) allowed"},
    {0xB2, "*7 command output"},
    {0xB3, "*7 command output"},
    {0xB7, "waiting for the installer code"},
    {0xB8, "waiting for a * function while armed"},
    {0xB9, "*2 zone tamper list"},
    {0xBA, "*2 zones with low batteries"},
    {0xBC, "*5 waiting for a 6-digit code"},
    {0xBF, "*6 auto-arm day"},
    {0xC6, "*2 zone fault list"},
    {0xC7, "partition disabled"},
    {0xC8, "*2 service required list"},
    {0xCD, "remote programming download running"},
    {0xCE, "camera monitor selection"},
    {0xD0, "*2 keypads with low batteries"},
    {0xD1, "*2 keyfobs with low batteries"},
    {0xD4, "*2 zones with RF delinquency"},
    {0xE4, "*8 installer programming, section entry"},
    {0xE5, "keypad slot assignment"},
    {0xE6, "entering 2 digits"},
    {0xE7, "entering 3 digits"},
    {0xE8, "entering 4 digits"},
    {0xE9, "entering 5 digits"},
    {0xEA, "entering 2 hex digits"},
    {0xEB, "entering 4 hex digits"},
    {0xEC, "entering 6 hex digits"},
    {0xED, "entering 32 hex digits"},
    {0xEE, "choosing an option per zone"},
    {0xEF, "module supervision field"},
    {0xF0, "function key 1"},
    {0xF1, "function key 2"},
    {0xF2, "function key 3"},
    {0xF3, "function key 4"},
    {0xF4, "function key 5"},
    {0xF5, "wireless placement test"},
    {0xF6, "device activation test"},
    {0xF7, "*8 installer programming, 2-digit entry"},
    {0xF8, "keypad programming"},
    {0xFA, "entering 6 digits"},
};

const char *kb_text_status(uint8_t status) {
  for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++)
    if (status_texts[i].code == status) return status_texts[i].text;
  return NULL;
}

static const code_text_t key_texts[] = {
    {0x00, "0"},           {0x05, "1"},
    {0x0A, "2"},           {0x0F, "3"},
    {0x11, "4"},           {0x16, "5"},
    {0x1B, "6"},           {0x1C, "7"},
    {0x22, "8"},           {0x27, "9"},
    {0x28, "*"},           {0x2D, "#"},
    {0x46, "wireless key disarm"},
    {0x52, "voice prompt help"},
    {0x6E, "global away arm"},
    {0x70, "command output 3"},
    {0x75, "menu query (*1/*2/*3)"},
    {0x7A, "time and date programming"},
    {0x82, "enter"},       {0x87, "right arrow"},
    {0x88, "left arrow"},  {0x8D, "bypass recall"},
    {0x93, "bypass group recall"},
    {0x94, "label broadcast"},
    {0x99, "function key 25"},
    {0xA5, "LCD data request"},
    {0xAA, "LCD data submit"},
    {0xAF, "arm stay"},    {0xB1, "arm away"},
    {0xB6, "arm without entry delay"},
    {0xBB, "door chime toggle"},
    {0xBC, "*6 system test"},
    {0xC3, "*1 bypass menu"},
    {0xC4, "*2 trouble menu"},
    {0xC9, "*3 alarm memory"},
    {0xCE, "*5 programming"},
    {0xD0, "*6 programming"},
    {0xD5, "command output 1"},
    {0xDA, "reset / command output 2"},
    {0xDF, "global stay arm"},
    {0xE1, "quick exit"},
    {0xE6, "activate stay/away zones"},
    {0xEB, "display test"},
    {0xEC, "command output 4"},
    {0xF2, "global disarm"},
    {0xF7, "menu navigation"},
};

const char *kb_text_key(uint8_t code) {
  for (size_t i = 0; i < sizeof key_texts / sizeof key_texts[0]; i++)
    if (key_texts[i].code == code) return key_texts[i].text;
  return NULL;
}

int kb_text_part_disabled(uint8_t status) {
  return status == 0x00 || status == 0xC7 || status == 0xFF;
}

const char *kb_text_check(uint8_t check) {
  switch (check) {
    case KB_CHECK_OK: return "ok";
    case KB_CHECK_RUNT: return "too short";
    case KB_CHECK_FRAMING: return "framing error (stop bit 1)";
    case KB_CHECK_LENGTH: return "length error";
    case KB_CHECK_CHECKSUM: return "checksum error";
    case KB_CHECK_UNKNOWN: return "unknown command";
    default: return "?";
  }
}

size_t kb_text_label(const kb_decoded_t *d, char *buf, size_t n) {
  sb_t s = sb_make(buf, n);
  if (d->cmd == 0xE6 && d->nbytes > 2)
    sb_add(&s, "0x%02X.%02X", d->cmd, d->sub);
  else
    sb_add(&s, "0x%02X", d->cmd);
  return s.len;
}

/* ------------------------------------------------------------- pieces */

static void add_lights(sb_t *s, uint8_t lights) {
  int any = 0;
  for (unsigned i = 0; i < 8; i++)
    if (lights & (1u << i)) {
      sb_add(s, "%s%s", any ? " " : "", light_names[i]);
      any = 1;
    }
  if (!any) sb_add(s, "no lights");
}

static void add_part(sb_t *s, uint8_t p, uint8_t lights, uint8_t status) {
  const char *t = kb_text_status(status);
  if (kb_text_part_disabled(status)) {
    sb_add(s, "Partition %u: disabled", p);
    return;
  }
  sb_add(s, "Partition %u: ", p);
  if (t)
    sb_add(s, "%s", t);
  else
    sb_add(s, "status 0x%02X", status);
  sb_add(s, " (");
  add_lights(s, lights);
  sb_add(s, ")");
}

/* Zones whose bit is set in `count` bytes starting at b (b0 = first). */
static void add_zone_list(sb_t *s, const uint8_t *b, unsigned count, unsigned first) {
  int any = 0;
  for (unsigned i = 0; i < count * 8u; i++)
    if (b[i / 8u] & (1u << (i % 8u))) {
      sb_add(s, "%s%u", any ? " " : "", first + i);
      any = 1;
    }
  if (!any) sb_add(s, "none");
}

static void add_part_mask(sb_t *s, uint8_t mask) {
  int any = 0;
  sb_add(s, "partition%s ", (mask & (mask - 1u)) ? "s" : "");
  for (unsigned i = 0; i < 8; i++)
    if (mask & (1u << i)) {
      sb_add(s, "%s%u", any ? "," : "", i + 1);
      any = 1;
    }
  if (!any) sb_add(s, "none");
}

static void add_time(sb_t *s, const kb_time_t *t) {
  if (t->valid)
    sb_add(s, "%04u-%02u-%02u %02u:%02u", t->year, t->month, t->day, t->hour, t->minute);
  else
    sb_add(s, "(invalid date)");
}

static void add_tone(sb_t *s, uint8_t v) {
  if (v == 0) {
    sb_add(s, "tone off");
    return;
  }
  sb_add(s, "tone:");
  if (v & 0x80u) sb_add(s, " constant");
  if (v & 0x70u) sb_add(s, " %u beep%s", (v >> 4) & 7u, ((v >> 4) & 7u) == 1 ? "" : "s");
  if (v & 0x0Fu) sb_add(s, " every %u s", v & 0x0Fu);
}

static void add_event(sb_t *s, const kb_decoded_t *d) {
  char ev[128];
  if (d->event_number != 0xFFFF) sb_add(s, "Event buffer #%03u | ", d->event_number);
  if (d->has & KB_HAS_TIME) {
    add_time(s, &d->time);
    sb_add(s, " | ");
  }
  if (!(d->has & KB_HAS_EVENT)) {
    sb_add(s, d->cmd == 0xEC ? "empty entry" : "panel time");
    return;
  }
  if (d->event_parts) {
    add_part_mask(s, d->event_parts);
    sb_add(s, " | ");
  }
  kb_pev_format(&d->event, ev, sizeof ev);
  sb_add(s, "%s", ev);
}

static void panel_text(sb_t *s, const kb_decoded_t *d, const uint8_t *b) {
  uint8_t c = d->cmd;
  switch (c) {
    case 0x05:
    case 0x1B:
    case 0x27:
    case 0x2D:
    case 0x34:
    case 0x3E:
      for (uint8_t i = 0; i < d->nparts; i++) {
        if (i) sb_add(s, " | ");
        add_part(s, d->part[i].partition, d->part[i].lights, d->part[i].status);
      }
      if (d->has & KB_HAS_ZONES) {
        sb_add(s, " | Open zones %u-%u: ", d->zone_first, d->zone_first + 7u);
        add_zone_list(s, &d->zones, 1, d->zone_first);
      }
      return;
    case 0x0A:
    case 0x0F:
      sb_add(s, "Programming | ");
      add_part(s, d->part[0].partition, d->part[0].lights, d->part[0].status);
      sb_add(s, " | Zone lights: ");
      add_zone_list(s, b + 4, 4, 1);
      return;
    case 0x11: sb_add(s, "Module supervision query"); return;
    case 0x16:
      if (!(d->has & KB_HAS_VERSION)) {
        sb_add(s, "Panel configuration (layout 0x%02X not known)", b[2]);
        return;
      }
      sb_add(s, "Panel firmware v%u.%u", d->version >> 4, d->version & 0x0Fu);
      switch (b[4] & 3u) {
        case 1: sb_add(s, " | zone wiring NC"); break;
        case 2: sb_add(s, " | zone wiring EOL"); break;
        case 3: sb_add(s, " | zone wiring DEOL"); break;
        default: break;
      }
      sb_add(s, " | %s-digit codes | installer programming %s", (b[4] & 8u) ? "6" : "4",
             (b[4] & 0x10u) ? "off" : "on");
      return;
    case 0x1C: sb_add(s, "Verify keypad fire/aux/panic key"); return;
    case 0x22: case 0x28: case 0x33: case 0x39:
      sb_add(s, "Zone expander %u query", c == 0x22 ? 0u : c == 0x28 ? 1u : c == 0x33 ? 2u : 3u);
      return;
    case 0x41: sb_add(s, "Wireless module query"); return;
    case 0x4C: sb_add(s, "Module tamper query"); return;
    case 0x57: sb_add(s, "Wireless key query"); return;
    case 0x58: sb_add(s, "Module status query"); return;
    case 0x5D:
    case 0x63:
      sb_add(s, "Partition %u | Flashing lights: ", c == 0x5D ? 1u : 2u);
      add_lights(s, b[2]);
      sb_add(s, " | Flashing zones: ");
      add_zone_list(s, b + 3, 4, 1);
      return;
    case 0x64:
    case 0x69:
      sb_add(s, "Partition %u | %u beep%s", c == 0x64 ? 1u : 2u, b[2] / 2u, b[2] / 2u == 1 ? "" : "s");
      return;
    case 0x6E:
      sb_add(s, "Keypad display digits: %02X%02X%02X%02X", b[2], b[3], b[4], b[5]);
      return;
    case 0x70: sb_add(s, "Keypad data entry query"); return;
    case 0x75:
    case 0x7A:
      sb_add(s, "Partition %u | ", c == 0x75 ? 1u : 2u);
      add_tone(s, b[2]);
      return;
    case 0x7F:
    case 0x82:
      sb_add(s, "Partition %u | buzzer for %u s", c == 0x7F ? 1u : 2u, b[2]);
      return;
    case 0x87: {
      int any = 0;
      sb_add(s, "PGM outputs on: ");
      for (unsigned i = 0; i < 14; i++)
        if (d->pgm & (1u << i)) {
          sb_add(s, "%s%u", any ? " " : "", i + 1);
          any = 1;
        }
      if (!any) sb_add(s, "none");
      if (b[3] & 0x04u) sb_add(s, " | midnight flag");
      if (b[3] & 0x08u) sb_add(s, " | battery check flag");
      return;
    }
    case 0x8D: sb_add(s, "Module programming entry: target 0x%02X, function 0x%02X", b[2], b[3]); return;
    case 0x94: sb_add(s, "Module programming request: target 0x%02X", b[2]); return;
    case 0x9E: sb_add(s, "Remote programming (DLS) query"); return;
    case 0xA5: case 0xAA: case 0xEB: case 0xEC: add_event(s, d); return;
    case 0xCE:
      if (d->has & KB_HAS_EVENT)
        add_event(s, d);
      else
        sb_add(s, "Panel status 0x%02X (layout not known)", b[2]);
      return;
    case 0xB1:
      sb_add(s, "Zones assigned | partition 1: ");
      add_zone_list(s, b + 2, 4, 1);
      sb_add(s, " | partition 2: ");
      add_zone_list(s, b + 6, 4, 1);
      return;
    case 0xBB: sb_add(s, "Bell %s", (b[2] & 0x20u) ? "on" : "off"); return;
    case 0xC3:
      if (b[3] != 0xFF) {
        sb_add(s, "Keypad/dialer status (layout not known)");
        return;
      }
      sb_add(s, "Keypad/dialer status: %s", (b[2] & 0x10u) ? "phone line trouble or dialing" : "phone line idle");
      if (b[2] & 0x08u) sb_add(s, " | dialer call attempt");
      if (b[2] & 0x20u) sb_add(s, " | keypad lockout");
      return;
    case 0xD5: sb_add(s, "Keypad zone query"); return;
    case 0xE6: {
      uint8_t sub = d->sub;
      if (d->has & KB_HAS_PARTS) {
        sb_add(s, "Programming | ");
        add_part(s, d->part[0].partition, d->part[0].lights, d->part[0].status);
        sb_add(s, " | Zone lights: ");
        add_zone_list(s, b + 5, 4, (b[9] & 0x80u) ? 33u : 1u);
      } else if (d->has & KB_HAS_ZONES) {
        sb_add(s, "Open zones %u-%u: ", d->zone_first, d->zone_first + 7u);
        add_zone_list(s, &d->zones, 1, d->zone_first);
      } else if (sub == 0x08 || sub == 0x0A || sub == 0x0C || sub == 0x0E) {
        sb_add(s, "Zone expander %u query", 4u + (sub - 0x08u) / 2u);
      } else if (sub == 0x17 || sub == 0x18) {
        add_part_mask(s, b[3]);
        sb_add(s, " | Flashing lights: ");
        add_lights(s, b[4]);
        sb_add(s, " | Flashing zones: ");
        add_zone_list(s, b + 5, 4, sub == 0x17 ? 1u : 33u);
      } else if (sub == 0x19) {
        add_part_mask(s, b[3]);
        sb_add(s, " | %u beep%s", b[4] / 2u, b[4] / 2u == 1 ? "" : "s");
      } else if (sub == 0x1D) {
        add_part_mask(s, b[3]);
        sb_add(s, " | ");
        add_tone(s, b[4]);
      } else if (sub == 0x1F) {
        add_part_mask(s, b[3]);
        sb_add(s, " | buzzer for %u s", b[4]);
      } else if (sub == 0x1A) {
        sb_add(s, "Panel status | in alarm: ");
        if (b[4]) {
          int any = 0;
          for (unsigned i = 0; i < 8; i++)
            if (b[4] & (1u << i)) {
              sb_add(s, "%s%u", any ? " " : "", i + 1);
              any = 1;
            }
        } else {
          sb_add(s, "none");
        }
        if (b[6] & 0x08u) sb_add(s, " | system time lost");
        if (b[6] & 0x10u) sb_add(s, " | AC power trouble");
        if (b[6] & 0x40u) sb_add(s, " | failure to communicate");
        if (b[6] & 0x80u) sb_add(s, " | fire alarm");
      } else if (sub == 0x2B || sub == 0x2C) {
        sb_add(s, "Zones assigned | ");
        add_part_mask(s, b[3]);
        sb_add(s, ": ");
        add_zone_list(s, b + 4, 4, sub == 0x2B ? 1u : 33u);
      }
      return;
    }
    default:
      sb_add(s, "(no description)");
      return;
  }
}

static const char *const notify_texts[] = {
    "expander 0 asks to be queried", "expander 1 asks to be queried",
    "expander 2 asks to be queried", "expander 3 asks to be queried",
    "expander 4 asks to be queried", "expander 5 asks to be queried",
    "expander 6 asks to be queried", "expander 7 asks to be queried",
    "wireless battery notice",       "module tamper notice",
    "wireless key notice",           "module status notice",
    "keypad zone notice",            "wireless module notice",
    "keypad notice",                 "door chime broadcast",
    "zone label broadcast",
};

static void module_text(sb_t *s, const kb_decoded_t *d, const uint8_t *b) {
  int parts = 0;
  kb_mod_reply_t r;
  static const char *const alarm_names[] = {"", "fire", "auxiliary", "panic"};
  if (d->has & KB_HAS_ALARM_KEY) {
    sb_add(s, "Keypad %s alarm key", alarm_names[d->alarm_key]);
    parts++;
  }
  for (uint8_t i = 0; i < d->nkeys; i++) {
    const char *k = kb_text_key(d->key[i].code);
    sb_add(s, "%sPartition %u key: ", parts++ ? " | " : "", d->key[i].partition);
    if (k)
      sb_add(s, "%s", k);
    else
      sb_add(s, "unknown 0x%02X", d->key[i].code);
  }
  for (unsigned i = 0; i < sizeof notify_texts / sizeof notify_texts[0]; i++)
    if (d->notify & (1ul << i)) sb_add(s, "%s%s", parts++ ? " | " : "", notify_texts[i]);
  if (d->notify >> KB_NOTIFY_IDLE_SHIFT) {
    sb_add(s, "%skeypad going idle on ", parts++ ? " | " : "");
    add_part_mask(s, (uint8_t)(d->notify >> KB_NOTIFY_IDLE_SHIFT));
  }
  kb_module_decode(d->cmd, d->sub, b, d->nbytes, &r);
  if (r.kind != KB_MOD_NONE) {
    char buf[160];
    kb_module_format(&r, buf, sizeof buf);
    sb_add(s, "%s%s", parts++ ? " | " : "", buf);
  }
  if (!parts) sb_add(s, "no decodable module data");
}

size_t kb_text_frame(const kb_decoded_t *d, const uint8_t *b, char *buf, size_t n) {
  sb_t s = sb_make(buf, n);
  if (d->source == KB_SRC_MODULE) {
    if (d->check != KB_CHECK_OK)
      sb_add(&s, "%s", kb_text_check(d->check));
    else
      module_text(&s, d, b);
    return s.len;
  }
  if (d->check != KB_CHECK_OK) {
    sb_add(&s, "%s", kb_text_check(d->check));
    if (d->check == KB_CHECK_LENGTH) sb_add(&s, " (%u bytes)", d->nbytes);
    return s.len;
  }
  panel_text(&s, d, b);
  return s.len;
}

/* ------------------------------------------------------ status changes */

static const char *const armed_names[] = {"disarmed", "armed stay", "armed away"};
static const char *const exit_names[] = {"", "stay", "away", "no entry delay"};

int kb_text_event_is_change(const kb_event_t *ev) {
  switch (ev->type) {
    case KB_EV_FRAME_ERROR:
    case KB_EV_NOISE:
    case KB_EV_KEY:
      return 0;
    case KB_EV_PARTITION:
      return !kb_text_part_disabled(ev->status);
    default:
      return 1;
  }
}

size_t kb_text_event(const kb_event_t *ev, char *buf, size_t n) {
  sb_t s = sb_make(buf, n);
  unsigned p = ev->partition;
  switch (ev->type) {
    case KB_EV_SYNCED:
      sb_add(&s, "synced with the panel (%s)", ev->value ? "early generation, 2 partitions" : "later generation");
      break;
    case KB_EV_CONNECTED: sb_add(&s, "keybus %s", ev->on ? "connected" : "disconnected"); break;
    case KB_EV_PARTITION: {
      const char *t = kb_text_status(ev->status);
      if (kb_text_part_disabled(ev->status)) {
        sb_add(&s, "partition %u: not in use (status 0x%02X)", p, ev->status);
        break;
      }
      sb_add(&s, "partition %u: ", p);
      if (t)
        sb_add(&s, "%s", t);
      else
        sb_add(&s, "status 0x%02X", ev->status);
      sb_add(&s, " (lights: ");
      add_lights(&s, ev->lights);
      sb_add(&s, ")");
      break;
    }
    case KB_EV_READY: sb_add(&s, "partition %u %s", p, ev->on ? "ready" : "not ready"); break;
    case KB_EV_ARMED: sb_add(&s, "partition %u %s", p, armed_names[ev->value % 3u]); break;
    case KB_EV_NO_ENTRY_DELAY:
      sb_add(&s, "partition %u entry delay %s", p, ev->on ? "off (armed without entry delay)" : "back on");
      break;
    case KB_EV_EXIT_DELAY:
      if (ev->on)
        sb_add(&s, "partition %u exit delay (arming %s)", p, exit_names[ev->value % 4u]);
      else
        sb_add(&s, "partition %u exit delay over", p);
      break;
    case KB_EV_ENTRY_DELAY: sb_add(&s, "partition %u entry delay %s", p, ev->on ? "started" : "over"); break;
    case KB_EV_ALARM: sb_add(&s, "partition %u %s", p, ev->on ? "ALARM" : "alarm over"); break;
    case KB_EV_FIRE: sb_add(&s, "partition %u %s", p, ev->on ? "FIRE" : "fire over"); break;
    case KB_EV_DISABLED: sb_add(&s, "partition %u %s", p, ev->on ? "disabled" : "in use"); break;
    case KB_EV_ACCESS_CODE: {
      /* the user a panel event names (a number, not the code's digits) */
      const char *what;
      switch (ev->pev.kind) {
        case KB_PEV_ARMED_BY_CODE: what = "armed"; break;
        case KB_PEV_DISARMED_BY_CODE: what = "disarmed"; break;
        case KB_PEV_STAR1_BY_CODE: what = "*1 zone bypass"; break;
        case KB_PEV_STAR2_BY_CODE: what = "*2 trouble display"; break;
        case KB_PEV_STAR3_BY_CODE: what = "*3 alarm memory"; break;
        case KB_PEV_STAR5_BY_CODE: what = "*5 access code programming"; break;
        case KB_PEV_STAR6_BY_CODE: what = "*6 user functions"; break;
        default: what = "used"; break;
      }
      if (p) sb_add(&s, "partition %u ", p);
      sb_add(&s, "access code %u%s: %s", ev->value, ev->value == 40 ? " (master)" : "", what);
      break;
    }
    case KB_EV_ZONE_OPEN: sb_add(&s, "zone %u %s", ev->number, ev->on ? "open" : "closed"); break;
    case KB_EV_ZONE_ALARM: sb_add(&s, "zone %u %s", ev->number, ev->on ? "in alarm" : "alarm restored"); break;
    case KB_EV_ZONE_TAMPER: sb_add(&s, "zone %u %s", ev->number, ev->on ? "tampered" : "tamper restored"); break;
    case KB_EV_ZONE_BYPASS: sb_add(&s, "zone %u %s", ev->number, ev->on ? "bypassed" : "bypass ended"); break;
    case KB_EV_TROUBLE: sb_add(&s, "trouble light %s", ev->on ? "on" : "off"); break;
    case KB_EV_AC_POWER: sb_add(&s, "AC power %s", ev->on ? "restored" : "lost"); break;
    case KB_EV_BATTERY: sb_add(&s, "panel battery %s", ev->on ? "ok" : "low"); break;
    case KB_EV_PGM: sb_add(&s, "PGM output %u %s", ev->number, ev->on ? "on" : "off"); break;
    case KB_EV_KEYPAD_ALARM: {
      static const char *const names[] = {"", "fire", "auxiliary", "panic"};
      sb_add(&s, "keypad %s alarm %s", names[ev->value % 4u], ev->on ? "raised" : "restored");
      break;
    }
    case KB_EV_TIME:
      sb_add(&s, "panel time ");
      add_time(&s, &ev->time);
      break;
    case KB_EV_VERSION: sb_add(&s, "panel firmware v%u.%u", ev->value >> 4, ev->value & 0x0Fu); break;
    case KB_EV_CODE_DIGITS: sb_add(&s, "panel uses %u-digit access codes", ev->value); break;
    case KB_EV_PANEL_EVENT: {
      char t[128];
      kb_pev_format(&ev->pev, t, sizeof t);
      if (ev->number != 0xFFFF) sb_add(&s, "event buffer #%03u: ", ev->number);
      else sb_add(&s, "panel event: ");
      sb_add(&s, "%s", t);
      if (ev->parts) {
        sb_add(&s, " (");
        add_part_mask(&s, ev->parts);
        sb_add(&s, ")");
      }
      if (ev->time.valid && ev->number != 0xFFFF) {
        sb_add(&s, " at ");
        add_time(&s, &ev->time);
      }
      break;
    }
    case KB_EV_KEY: {
      const char *k = ev->value == KB_KEY_DIGIT ? "a digit" : kb_text_key(ev->value);
      sb_add(&s, "partition %u key pressed: ", p);
      if (k)
        sb_add(&s, "%s", k);
      else
        sb_add(&s, "0x%02X", ev->value);
      break;
    }
    case KB_EV_FRAME_ERROR:
      sb_add(&s, "frame 0x%02X rejected: %s", ev->number, kb_text_check(ev->value));
      break;
    case KB_EV_NOISE:
      sb_add(&s, "partition %u %s byte change dropped as noise", p, ev->value ? "status" : "lights");
      break;
    default: sb_add(&s, "event %u", ev->type); break;
  }
  return s.len;
}
