/* SPDX-License-Identifier: MIT
 *
 * kd_keypad.c - keybusd --role keypad: MQTT / Home Assistant mapping of the
 * panel role (kd_keypad.h).
 */
#include "kd_keypad.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const light_names[KB_PNL_LIGHT_COUNT] = {
    "ready", "armed", "memory", "bypass", "trouble", "program", "fire", "backlight"};
static const char *const state_names[3] = {"off", "on", "blink"};

/* every key name the engine hands out, for the event entity */
static const char *const key_names[] = {"0",     "1",     "2",    "3",     "4",    "5",
                                        "6",     "7",     "8",    "9",     "*",    "#",
                                        "enter", "right", "left", "stay",  "away", "chime",
                                        "reset", "exit",  "menu", "fire",  "aux",  "panic"};

/* snprintf into buf: true when it fit */
static bool put(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  int r;
  if (!buf || !n) return false;
  va_start(ap, fmt);
  r = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r >= 0 && (size_t)r < n;
}

const char *kd_keypad_sub(const kd_keypad_cfg_t *c, char *buf, size_t n) {
  return put(buf, n, "%s/%s/keypad/set", c->prefix, c->id) ? buf : NULL;
}

int kd_keypad_key_msg(const kd_keypad_cfg_t *c, uint8_t code, char *topic, size_t tn,
                      char *payload, size_t pn) {
  const char *name = kb_pnl_key_name(code);
  if (!name) return -1;
  if (!put(topic, tn, "%s/%s/keypad/event", c->prefix, c->id)) return -1;
  /* names are fixed strings: "*" and "#" need no JSON escaping */
  return put(payload, pn, "{\"event_type\":\"%s\"}", name) ? 0 : -1;
}

/* A whole decimal (or 0x hex) number in [0, max]: true and *v. */
static bool number(const char *s, unsigned long max, unsigned long *v) {
  char *end;
  unsigned long x;
  while (*s == ' ') s++;
  if (!*s || *s == '-' || *s == '+') return false;
  errno = 0;
  x = strtoul(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
  while (*end == ' ' || *end == '\n' || *end == '\r') end++;
  if (errno || *end || x > max) return false;
  *v = x;
  return true;
}

static int state_of(const char *s) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, state_names[i])) return i;
  if (!strcmp(s, "ON")) return KB_PNL_ON; /* HA's switch words too */
  if (!strcmp(s, "OFF")) return KB_PNL_OFF;
  return -1;
}

/* The state a light or zone shows now. */
static kb_pnl_state_t light_state(const kb_pnl_t *p, unsigned light) {
  uint8_t bit = (uint8_t)(1u << light);
  return (p->blink & bit) ? KB_PNL_BLINK : (p->lights & bit) ? KB_PNL_ON : KB_PNL_OFF;
}

static kb_pnl_state_t zone_state(const kb_pnl_t *p, unsigned z) {
  unsigned g = (z - 1u) / 8u;
  uint8_t bit = (uint8_t)(1u << ((z - 1u) % 8u));
  return (p->zblink[g] & bit) ? KB_PNL_BLINK : (p->zones[g] & bit) ? KB_PNL_ON : KB_PNL_OFF;
}

kd_keypad_rc_t kd_keypad_command(const kd_keypad_cfg_t *c, kb_pnl_t *p, const char *payload,
                                 char *state_topic, size_t tn, char *state, size_t sn) {
  char base[KD_KEYPAD_TOPIC_MAX], what[32], arg[32];
  const char *sp, *sl;
  unsigned long v;
  if (state_topic && tn) state_topic[0] = 0;
  if (state && sn) state[0] = 0;
  if (!put(base, sizeof base, "%s/%s/keypad/", c->prefix, c->id)) return KD_KEYPAD_BAD;
  /* "<what>[/<arg>] <value>" */
  sp = strchr(payload, ' ');
  if (!sp) return KD_KEYPAD_BAD;
  sl = memchr(payload, '/', (size_t)(sp - payload));
  if ((size_t)((sl ? sl : sp) - payload) >= sizeof what) return KD_KEYPAD_BAD;
  memcpy(what, payload, (size_t)((sl ? sl : sp) - payload));
  what[(sl ? sl : sp) - payload] = 0;
  arg[0] = 0;
  if (sl) {
    if ((size_t)(sp - sl - 1) >= sizeof arg || sp == sl + 1) return KD_KEYPAD_BAD;
    memcpy(arg, sl + 1, (size_t)(sp - sl - 1));
    arg[sp - sl - 1] = 0;
  }
  payload = sp + 1;
  if (!strcmp(what, "light") && arg[0]) {
    int st = state_of(payload);
    for (unsigned i = 0; i < KB_PNL_LIGHT_COUNT; i++) {
      if (strcmp(arg, light_names[i])) continue;
      if (st < 0 || kb_pnl_set_light(p, (kb_pnl_light_t)i, (kb_pnl_state_t)st) != KB_OK)
        return KD_KEYPAD_BAD;
      (void)put(state_topic, tn, "%s%s/%s", base, what, arg);
      (void)put(state, sn, "%s", state_names[st]);
      return KD_KEYPAD_APPLIED;
    }
    return KD_KEYPAD_BAD;
  }
  if (!strcmp(what, "zone") && arg[0]) {
    int st = state_of(payload);
    if (!number(arg, c->zones, &v) || v < 1 || st < 0) return KD_KEYPAD_BAD;
    if (kb_pnl_set_zone(p, (unsigned)v, (kb_pnl_state_t)st) != KB_OK) return KD_KEYPAD_BAD;
    (void)put(state_topic, tn, "%szone/%lu", base, v);
    (void)put(state, sn, "%s", state_names[st]);
    return KD_KEYPAD_APPLIED;
  }
  if (arg[0]) return KD_KEYPAD_BAD;
  if (!strcmp(what, "beep")) {
    if (!number(payload, 128, &v)) return KD_KEYPAD_BAD;
    kb_pnl_beep(p, (unsigned)v);
    return KD_KEYPAD_APPLIED;
  }
  if (!strcmp(what, "buzzer")) {
    if (!number(payload, 255, &v)) return KD_KEYPAD_BAD;
    kb_pnl_buzzer(p, (unsigned)v);
    return KD_KEYPAD_APPLIED;
  }
  if (!strcmp(what, "status")) {
    if (!number(payload, 255, &v)) return KD_KEYPAD_BAD;
    kb_pnl_set_status(p, (uint8_t)v);
    return KD_KEYPAD_APPLIED;
  }
  if (!strcmp(what, "tone")) {
    unsigned b, k, s;
    char extra;
    if (!strcmp(payload, "off")) {
      kb_pnl_tone(p, 0, false, 0);
      return KD_KEYPAD_APPLIED;
    }
    if (sscanf(payload, "%u,%u,%u%c", &b, &k, &s, &extra) != 3 || b > 7 || k > 1 || s > 15)
      return KD_KEYPAD_BAD;
    kb_pnl_tone(p, b, k != 0, s);
    return KD_KEYPAD_APPLIED;
  }
  return KD_KEYPAD_BAD;
}

/* entity order: 0 the key event, 1..8 the lights, then the zones, then
 * beep, buzzer, status */
unsigned kd_keypad_entities(const kd_keypad_cfg_t *c) {
  return 1u + KB_PNL_LIGHT_COUNT + (c->zones > KB_PNL_ZONES ? KB_PNL_ZONES : c->zones) + 3u;
}

/* availability, device and origin: the same for every entity */
static bool common(const kd_keypad_cfg_t *c, char *out, size_t n) {
  return put(out, n,
             "\"availability\":[{\"topic\":\"%s/%s/status\"}],"
             "\"device\":{\"identifiers\":[\"keybus_%s\"],\"name\":\"DSC keypad\","
             "\"manufacturer\":\"DSC\",\"model\":\"PowerSeries keypad\",\"sw_version\":\"%s\"},"
             "\"origin\":{\"name\":\"keybus\",\"sw_version\":\"%s\"}",
             c->prefix, c->id, c->id, c->version ? c->version : "", c->version ? c->version : "");
}

int kd_keypad_discovery(const kd_keypad_cfg_t *c, unsigned i, char *topic, size_t tn, char *doc,
                        size_t dn) {
  char com[512], obj[32], types[400];
  unsigned nz = kd_keypad_entities(c) - 12u;
  if (i >= kd_keypad_entities(c) || !common(c, com, sizeof com)) return -1;
  if (i == 0) {
    size_t o = 0;
    for (unsigned k = 0; k < sizeof key_names / sizeof key_names[0]; k++) {
      if (!put(types + o, sizeof types - o, "%s\"%s\"", k ? "," : "", key_names[k])) return -1;
      o += strlen(types + o);
    }
    if (!put(topic, tn, "%s/event/%s/keypad_key/config", c->discovery, c->id)) return -1;
    return put(doc, dn,
               "{\"name\":\"Keypad key\",\"unique_id\":\"%s_keypad_key\",\"state_topic\":"
               "\"%s/%s/keypad/event\",\"event_types\":[%s],%s}",
               c->id, c->prefix, c->id, types, com)
               ? 0
               : -1;
  }
  if (i <= KB_PNL_LIGHT_COUNT || i <= KB_PNL_LIGHT_COUNT + nz) {
    bool light = i <= KB_PNL_LIGHT_COUNT;
    char path[32], name[48];
    if (light) {
      const char *ln = light_names[i - 1u];
      (void)put(obj, sizeof obj, "keypad_light_%s", ln);
      (void)put(path, sizeof path, "light/%s", ln);
      (void)put(name, sizeof name, "Keypad %s light", ln);
    } else {
      unsigned z = i - KB_PNL_LIGHT_COUNT;
      (void)put(obj, sizeof obj, "keypad_zone_%u", z);
      (void)put(path, sizeof path, "zone/%u", z);
      (void)put(name, sizeof name, "Keypad zone %u light", z);
    }
    if (!put(topic, tn, "%s/select/%s/%s/config", c->discovery, c->id, obj)) return -1;
    return put(doc, dn,
               "{\"name\":\"%s\",\"unique_id\":\"%s_%s\",\"state_topic\":\"%s/%s/keypad/%s\","
               "\"command_topic\":\"%s/%s/keypad/set\",\"command_template\":\"%s {{ value }}\","
               "\"options\":[\"off\",\"on\",\"blink\"],%s}",
               name, c->id, obj, c->prefix, c->id, path, c->prefix, c->id, path, com)
               ? 0
               : -1;
  }
  {
    static const char *const what[3] = {"beep", "buzzer", "status"};
    static const char *const titles[3] = {"Keypad beeps", "Keypad buzzer", "Keypad status code"};
    static const unsigned max[3] = {128, 255, 255};
    unsigned k = i - 1u - KB_PNL_LIGHT_COUNT - nz;
    if (!put(topic, tn, "%s/number/%s/keypad_%s/config", c->discovery, c->id, what[k])) return -1;
    return put(doc, dn,
               "{\"name\":\"%s\",\"unique_id\":\"%s_keypad_%s\",\"command_topic\":"
               "\"%s/%s/keypad/set\",\"command_template\":\"%s {{ value | int }}\",\"min\":0,"
               "\"max\":%u,\"mode\":\"box\",\"optimistic\":true,%s}",
               titles[k], c->id, what[k], c->prefix, c->id, what[k], max[k], com)
               ? 0
               : -1;
  }
}

int kd_keypad_state(const kd_keypad_cfg_t *c, const kb_pnl_t *p, unsigned i, char *topic,
                    size_t tn, char *payload, size_t pn) {
  unsigned nz = kd_keypad_entities(c) - 12u;
  if (i == 0 || i > KB_PNL_LIGHT_COUNT + nz) return 0;
  if (i <= KB_PNL_LIGHT_COUNT) {
    if (!put(topic, tn, "%s/%s/keypad/light/%s", c->prefix, c->id, light_names[i - 1u])) return -1;
    return put(payload, pn, "%s", state_names[light_state(p, i - 1u)]) ? 1 : -1;
  }
  {
    unsigned z = i - KB_PNL_LIGHT_COUNT;
    if (!put(topic, tn, "%s/%s/keypad/zone/%u", c->prefix, c->id, z)) return -1;
    return put(payload, pn, "%s", state_names[zone_state(p, z)]) ? 1 : -1;
  }
}
