/* SPDX-License-Identifier: MIT
 *
 * kb_module_text.c - English text for a decoded module reply.
 */
#include "host/kb_module_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
  char *buf;
  size_t n, len;
  bool first; /* no item written yet: no separator needed */
} tw_t;

static void tw_vadd(tw_t *w, const char *fmt, va_list ap) {
  if (w->len + 1u >= w->n) return; /* full */
  int k = vsnprintf(w->buf + w->len, w->n - w->len, fmt, ap);
  if (k < 0) return;
  size_t room = w->n - w->len - 1u;
  w->len += (size_t)k < room ? (size_t)k : room;
}

static void tw_add(tw_t *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tw_vadd(w, fmt, ap);
  va_end(ap);
}

/* Starts a new " | "-separated item. */
static void tw_item(tw_t *w, const char *fmt, ...) {
  va_list ap;
  if (!w->first) tw_add(w, " | ");
  w->first = false;
  va_start(ap, fmt);
  tw_vadd(w, fmt, ap);
  va_end(ap);
}

/* Appends " a b c" for each set bit (bit i -> number base + i). */
static void tw_list(tw_t *w, uint32_t bits, unsigned base) {
  for (unsigned i = 0; i < 32u; i++)
    if (bits & ((uint32_t)1u << i)) tw_add(w, " %u", base + i);
}

static void tw_list_item(tw_t *w, const char *label, uint32_t bits, unsigned base) {
  if (!bits) return;
  tw_item(w, "%s:", label);
  tw_list(w, bits, base);
}

const char *kb_module_kind_name(uint8_t kind) {
  switch (kind) {
    case KB_MOD_SUPERVISION: return "Supervision";
    case KB_MOD_EXPANDER: return "Zone expander";
    case KB_MOD_WIRELESS_BATTERY: return "Wireless module";
    case KB_MOD_TAMPER: return "Tamper";
    case KB_MOD_WIRELESS_KEY: return "Wireless keys";
    case KB_MOD_MODULE_STATUS: return "Module status";
    case KB_MOD_LCD_DATA: return "Keypad data entry";
    case KB_MOD_KEYPAD_ZONE: return "Keypad zones";
    case KB_MOD_PROGRAMMING: return "Module programming";
    default: return "Not a module query";
  }
}

static const char *zone_state_text(uint8_t s) {
  switch (s) {
    case KB_MOD_ZONE_OPEN: return "open";
    case KB_MOD_ZONE_CLOSED: return "closed";
    case KB_MOD_ZONE_TAMPER: return "tamper";
    default: return "open (DEOL)";
  }
}

static void device_tamper(tw_t *w, const char *name, uint8_t t) {
  if (t == KB_MOD_TAMPER_ACTIVE) tw_item(w, "%s tampered", name);
  if (t == KB_MOD_TAMPER_RESTORED) tw_item(w, "%s tamper restored", name);
}

static void format_fields(tw_t *w, const kb_mod_reply_t *r) {
  switch (r->kind) {
    case KB_MOD_SUPERVISION:
      tw_list_item(w, "Keypad slots present", r->u.sup.keypads, 1u);
      tw_list_item(w, "Zone expanders", r->u.sup.expanders, 1u);
      if (r->u.sup.rf5132) tw_item(w, "RF5132 present");
      if (r->u.sup.pc5208) tw_item(w, "PC5208 present");
      if (r->u.sup.pc5204) tw_item(w, "PC5204 present");
      if (w->first) tw_item(w, "Supervision: no module answered");
      break;
    case KB_MOD_EXPANDER: {
      unsigned nc = r->u.exp.nchanged > 8u ? 8u : r->u.exp.nchanged;
      tw_item(w, "Zone expander %u:", (unsigned)r->u.exp.expander);
      if (nc == 0u) tw_add(w, " no zone changed");
      for (unsigned i = 0; i < nc; i++)
        tw_add(w, "%s zone %u %s", i ? "," : "", (unsigned)r->u.exp.changed[i].zone,
               zone_state_text(r->u.exp.changed[i].state));
      break;
    }
    case KB_MOD_WIRELESS_BATTERY:
      tw_item(w, "Wireless module:");
      if (r->u.wbat.low) {
        tw_add(w, " low battery zones");
        tw_list(w, r->u.wbat.low, 1u);
      }
      if (r->u.wbat.restored) {
        tw_add(w, "%s battery restored zones", r->u.wbat.low ? ";" : "");
        tw_list(w, r->u.wbat.restored, 1u);
      }
      if (!r->u.wbat.low && !r->u.wbat.restored) tw_add(w, " nothing reported");
      break;
    case KB_MOD_TAMPER:
      tw_list_item(w, "Keypad slots tampered", r->u.tamper.keypad_tamper, 1u);
      tw_list_item(w, "Keypad slots tamper restored", r->u.tamper.keypad_restored, 1u);
      tw_list_item(w, "Module slots tampered", r->u.tamper.module_tamper, 9u);
      tw_list_item(w, "Module slots tamper restored", r->u.tamper.module_restored, 9u);
      device_tamper(w, "RF5132", r->u.tamper.rf5132);
      device_tamper(w, "PC5208", r->u.tamper.pc5208);
      device_tamper(w, "PC5204", r->u.tamper.pc5204);
      if (w->first) tw_item(w, "Tamper query: nothing reported");
      break;
    case KB_MOD_WIRELESS_KEY:
      tw_list_item(w, "Wireless keys low battery", r->u.wkey.low, 1u);
      tw_list_item(w, "Wireless keys battery restored", r->u.wkey.restored, 1u);
      if (w->first) tw_item(w, "Wireless keys: nothing reported");
      break;
    case KB_MOD_MODULE_STATUS: {
      uint8_t f = r->u.mstat.flags;
      if (f & KB_MOD_MS_BATTERY_TROUBLE) tw_item(w, "PC5204 battery trouble");
      if (f & KB_MOD_MS_BATTERY_RESTORED) tw_item(w, "PC5204 battery restored");
      if (f & KB_MOD_MS_AC_TROUBLE) tw_item(w, "PC5204 AC power trouble");
      if (f & KB_MOD_MS_AC_RESTORED) tw_item(w, "PC5204 AC power restored");
      if (f & KB_MOD_MS_OUT1_TROUBLE) tw_item(w, "Output 1 trouble");
      if (f & KB_MOD_MS_OUT1_RESTORED) tw_item(w, "Output 1 restored");
      if (r->u.mstat.other) tw_item(w, "Module status: bits with no known meaning");
      if (w->first) tw_item(w, "Module status: nothing reported");
      break;
    }
    case KB_MOD_LCD_DATA:
      tw_item(w, "Keypad data entry: ");
      for (unsigned i = 0; i < 4u; i++) tw_add(w, "%02X", (unsigned)r->u.lcd.digits[i]);
      break;
    case KB_MOD_KEYPAD_ZONE:
      for (unsigned s = 0; s < 8u; s++) {
        uint8_t m = (uint8_t)(1u << s);
        if (r->u.kzone.open & m) tw_item(w, "Keypad slot %u zone open", s + 1u);
        else if (r->u.kzone.closed & m) tw_item(w, "Keypad slot %u zone closed", s + 1u);
        else if (r->u.kzone.other & m) tw_item(w, "Keypad slot %u zone: pattern not understood", s + 1u);
      }
      if (w->first) tw_item(w, "Keypad zones: nothing reported");
      break;
    case KB_MOD_PROGRAMMING: tw_item(w, "Module programming reply (content not known)"); break;
    default: tw_item(w, "Not a module query reply"); break;
  }
}

size_t kb_module_format(const kb_mod_reply_t *r, char *buf, size_t n) {
  if (!buf || n == 0u) return 0;
  buf[0] = '\0';
  if (!r) return 0;
  tw_t w = {buf, n, 0u, true};
  if (r->truncated && r->kind != KB_MOD_NONE) {
    tw_item(&w, "%s reply too short", kb_module_kind_name(r->kind));
  } else {
    format_fields(&w, r);
  }
  if (r->csum == KB_MOD_CSUM_BAD) tw_item(&w, "Module reply checksum bad");
  return w.len;
}
