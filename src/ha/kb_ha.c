/* SPDX-License-Identifier: MIT
 *
 * kb_ha.c - the Home Assistant contract (kb_ha.h): topics, discovery and
 * state documents into caller buffers, the result table (the command
 * parser, the one part that needs jsmn, is kb_ha_parse.c). Freestanding:
 * string.h's mem/str functions only.
 */
#include "kb_ha.h"

#include <string.h>

#include "keybus/kb_proto.h"
#include "kb_ha_int.h"
#include "kb_status_words.h"


/* ------------------------------------------------------------ writer */

/* A bounded writer: once something does not fit, `over` sticks and the
 * result is refused as a whole (never a document cut short). */
typedef struct {
  char *b;
  size_t size, len;
  bool over;
} wr_t;

static void w_init(wr_t *w, char *b, size_t size) {
  w->b = b;
  w->size = size;
  w->len = 0;
  w->over = (b == NULL || size == 0);
  if (!w->over) b[0] = '\0';
}

static void w_mem(wr_t *w, const char *s, size_t n) {
  if (w->over) return;
  if (n >= w->size - w->len) { /* keep a byte for the NUL */
    w->over = true;
    return;
  }
  memcpy(w->b + w->len, s, n);
  w->len += n;
}

static void w_str(wr_t *w, const char *s) { w_mem(w, s, strlen(s)); }

static void w_ch(wr_t *w, char c) { w_mem(w, &c, 1); }

static void w_uint(wr_t *w, unsigned v) {
  char t[12];
  size_t n = 0;
  do {
    t[sizeof t - 1 - n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v && n < sizeof t);
  w_mem(w, t + sizeof t - n, n);
}

/* A JSON string; config strings are checked printable (no control bytes),
 * so only the quote and the backslash need escaping. */
static void w_jstr(wr_t *w, const char *s) {
  w_ch(w, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') w_ch(w, '\\');
    w_ch(w, *s);
  }
  w_ch(w, '"');
}

static kb_err_t w_end(wr_t *w, size_t *len) {
  if (w->over) {
    if (w->b && w->size) w->b[0] = '\0';
    if (len) *len = 0;
    return KB_ERR_FULL;
  }
  w->b[w->len] = '\0';
  if (len) *len = w->len;
  return KB_OK;
}

/* ------------------------------------------------------------ config */

static const char *const class_names[KB_HA_CLASS_COUNT] = {
    "opening", "door",     "window",   "garage_door", "motion", "occupancy", "smoke",
    "heat",    "gas",      "carbon_monoxide", "moisture", "vibration", "safety", "tamper",
    "presence", "sound",   "problem"};

const char *kb_ha_class_name(kb_ha_class_t c) {
  return (unsigned)c < KB_HA_CLASS_COUNT ? class_names[c] : NULL;
}

kb_ha_class_t kb_ha_class_parse(const char *name) {
  if (!name) return KB_HA_CLASS_COUNT;
  for (unsigned i = 0; i < KB_HA_CLASS_COUNT; i++)
    if (strcmp(name, class_names[i]) == 0) return (kb_ha_class_t)i;
  return KB_HA_CLASS_COUNT;
}

static const char *pfx(const kb_ha_config_t *c) { return c->prefix ? c->prefix : "keybus"; }
static const char *disc(const kb_ha_config_t *c) {
  return c->discovery ? c->discovery : "homeassistant";
}
static uint8_t parts(const kb_ha_config_t *c) { return c->partitions ? c->partitions : 1u; }
static uint8_t modes(const kb_ha_config_t *c) {
  return c->arm_modes ? c->arm_modes : (KB_HA_ARM_HOME | KB_HA_ARM_AWAY | KB_HA_ARM_NIGHT);
}

/* An id or prefix: 1..KB_HA_ID_MAX of [A-Za-z0-9_-] (prefixes may hold '/'
 * between segments when slash is set); never an MQTT wildcard. */
static bool id_ok(const char *s, bool slash) {
  size_t n = 0;
  if (!s || !*s) return false;
  for (; s[n]; n++) {
    char ch = s[n];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || (slash && ch == '/' && n > 0 && s[n + 1] && s[n - 1] != '/');
    if (!ok || n >= KB_HA_ID_MAX) return false;
  }
  return true;
}

/* A name: 1..KB_HA_NAME_MAX bytes, printable ASCII or UTF-8 bytes (>= 0x80),
 * no control characters (they would need \u escapes in JSON). */
static bool name_ok(const char *s) {
  size_t n = 0;
  if (!s) return true;
  if (!*s) return false;
  for (; s[n]; n++)
    if ((unsigned char)s[n] < 0x20u || s[n] == 0x7f || n >= KB_HA_NAME_MAX) return false;
  return true;
}

kb_err_t kb_ha_config_check(const kb_ha_config_t *cfg) {
  uint8_t seen[KB_MAX_ZONES / 8] = {0};
  if (!cfg || !id_ok(cfg->device_id, false)) return KB_ERR_ARG;
  if ((cfg->prefix && !id_ok(cfg->prefix, true)) ||
      (cfg->discovery && !id_ok(cfg->discovery, true)))
    return KB_ERR_ARG;
  if (!name_ok(cfg->name) || !name_ok(cfg->model) || !name_ok(cfg->sw_version)) return KB_ERR_ARG;
  if (KB_MAX_PARTITIONS < 8 && (parts(cfg) >> KB_MAX_PARTITIONS)) return KB_ERR_ARG;
  if (modes(cfg) & ~(unsigned)(KB_HA_ARM_HOME | KB_HA_ARM_AWAY | KB_HA_ARM_NIGHT)) return KB_ERR_ARG;
  if (cfg->n_zones && !cfg->zones) return KB_ERR_ARG;
  for (unsigned i = 0; i < cfg->n_zones; i++) {
    const kb_ha_zone_t *z = &cfg->zones[i];
    unsigned b = (unsigned)z->zone - 1u;
    if (z->zone < 1 || z->zone > KB_MAX_ZONES || z->dev_class >= KB_HA_CLASS_COUNT ||
        !name_ok(z->name) || (seen[b / 8] & (1u << (b % 8))))
      return KB_ERR_ARG;
    seen[b / 8] |= (uint8_t)(1u << (b % 8));
  }
  if ((cfg->pgm_outputs >> KB_HA_PGM_MAX) || (cfg->button_outputs >> 4) || (cfg->alarm_buttons >> 3))
    return KB_ERR_ARG;
  if (cfg->button_partition && (cfg->button_partition > KB_MAX_PARTITIONS ||
                                !((parts(cfg) >> (cfg->button_partition - 1u)) & 1u)))
    return KB_ERR_ARG;
  if (cfg->n_user_names > KB_HA_USERS_MAX || (cfg->n_user_names && !cfg->user_names))
    return KB_ERR_ARG;
  for (unsigned u = 0; u < cfg->n_user_names; u++)
    if (!name_ok(cfg->user_names[u])) return KB_ERR_ARG;
  return KB_OK;
}

/* ------------------------------------------------------------ topics */

static void w_base(wr_t *w, const kb_ha_config_t *c) {
  w_str(w, pfx(c));
  w_ch(w, '/');
  w_str(w, c->device_id);
  w_ch(w, '/');
}

static const char *const topic_tail[KB_HA_TOPIC_COUNT] = {"status", "connected", "command", "result",
                                                          NULL,     "health"};

static void w_topic(wr_t *w, const kb_ha_config_t *c, kb_ha_topic_t what) {
  if (what == KB_HA_TOPIC_HA_STATUS) {
    w_str(w, disc(c));
    w_str(w, "/status");
    return;
  }
  w_base(w, c);
  w_str(w, topic_tail[what]);
}

kb_err_t kb_ha_topic(const kb_ha_config_t *cfg, kb_ha_topic_t what, char *buf, size_t size,
                     size_t *len) {
  wr_t w;
  if (len) *len = 0;
  if (kb_ha_config_check(cfg) != KB_OK || (unsigned)what >= KB_HA_TOPIC_COUNT) return KB_ERR_ARG;
  w_init(&w, buf, size);
  w_topic(&w, cfg, what);
  return w_end(&w, len);
}

/* ------------------------------------------------------------ entities */

/* Entity kinds. The order of the sections below is the order of the
 * entities (docs/home-assistant.md): later sections are appended, never
 * inserted, so that an entity's number stays what it was. */
enum {
  E_CONNECTED = 0, E_TROUBLE, E_AC, E_BATTERY, /* system */
  E_ALARM, E_READY, E_FIRE,                    /* per partition */
  E_ZONE,                                      /* per zone: open */
  E_ZALARM, E_ZBYPASS, E_ZTAMPER,              /* per zone, unless no_zone_extras */
  E_PSTATUS, E_PUSER,                          /* per partition */
  E_TIME,                                      /* panel time */
  E_PGM,                                       /* per PGM in pgm_outputs */
  E_HEALTH,                                    /* health sensors (sub = index) */
  E_BTN_OUT,                                   /* per command output in button_outputs */
  E_BTN_KEY,                                   /* fire/aux/panic in alarm_buttons (sub 0-2) */
  E_EV_ARM,                                    /* per partition: arm/disarm events */
  E_EV_ZONE,                                   /* zone alarm/restore events */
  E_EV_PANEL,                                  /* panel log lines */
  E_LAST                                       /* last event: the last panel log line,
                                                  retained (written by kb_ha_event_msg) */
};
#define E_SYSTEM 4u /* entities before the partitions */

/* Sections of the enumeration, in order. */
enum { S_SYSTEM = 0, S_PART, S_ZONE, S_ZEXTRA, S_PEXTRA, S_TIME, S_PGM, S_HEALTH, S_BTN_OUT,
       S_BTN_KEY, S_EV_ARM, S_EV_ZONE, S_EV_PANEL, S_LAST, S_COUNT };

typedef struct {
  uint8_t kind;
  uint8_t part;   /* partition entities: 1..8 */
  uint8_t zone_i; /* zone entities: index into cfg->zones */
  uint8_t sub;    /* PGM number, health index, output number, alarm key 0-2 */
} ent_t;

static unsigned popcount(unsigned v) {
  unsigned n = 0;
  for (; v; v &= v - 1u) n++;
  return n;
}

/* Bit index (0-based) of the rank-th set bit of v; 0 when there is none. */
static unsigned nth_bit(unsigned v, unsigned rank) {
  for (unsigned b = 0; v >> b; b++)
    if (((v >> b) & 1u) && rank-- == 0) return b;
  return 0;
}

static unsigned n_parts(const kb_ha_config_t *c) { return popcount(parts(c)); }

static unsigned n_health(const kb_ha_config_t *c) {
  return KB_HA_HEALTH_BASE + (c->health_heap ? KB_HA_HEALTH_HEAP : 0u);
}

static unsigned sec_count(const kb_ha_config_t *c, unsigned s) {
  switch (s) {
  case S_SYSTEM: return E_SYSTEM;
  case S_PART: return 3u * n_parts(c);
  case S_ZONE: return c->n_zones;
  case S_ZEXTRA: return c->no_zone_extras ? 0u : 3u * c->n_zones;
  case S_PEXTRA: return 2u * n_parts(c);
  case S_TIME: return 1;
  case S_PGM: return popcount(c->pgm_outputs);
  case S_HEALTH: return n_health(c);
  case S_BTN_OUT: return popcount(c->button_outputs);
  case S_BTN_KEY: return popcount(c->alarm_buttons);
  case S_EV_ARM: return n_parts(c);
  case S_EV_ZONE: return c->n_zones ? 1u : 0u;
  default: return 1; /* S_EV_PANEL, S_LAST */
  }
}

static size_t sec_base(const kb_ha_config_t *c, unsigned s) {
  size_t n = 0;
  for (unsigned k = 0; k < s; k++) n += sec_count(c, k);
  return n;
}

size_t kb_ha_entities(const kb_ha_config_t *cfg) {
  if (kb_ha_config_check(cfg) != KB_OK) return 0;
  return sec_base(cfg, S_COUNT);
}

/* Entity i of a checked config. */
static bool ent_get(const kb_ha_config_t *c, size_t i, ent_t *e) {
  unsigned s = 0, r;
  memset(e, 0, sizeof *e);
  for (; s < S_COUNT; s++) {
    unsigned n = sec_count(c, s);
    if (i < n) break;
    i -= n;
  }
  if (s == S_COUNT) return false;
  r = (unsigned)i;
  switch (s) {
  case S_SYSTEM: e->kind = (uint8_t)r; break;
  case S_PART:
    e->kind = (uint8_t)(E_ALARM + r % 3u);
    e->part = (uint8_t)(nth_bit(parts(c), r / 3u) + 1u);
    break;
  case S_ZONE:
    e->kind = E_ZONE;
    e->zone_i = (uint8_t)r;
    break;
  case S_ZEXTRA:
    e->kind = (uint8_t)(E_ZALARM + r % 3u);
    e->zone_i = (uint8_t)(r / 3u);
    break;
  case S_PEXTRA:
    e->kind = (uint8_t)(E_PSTATUS + r % 2u);
    e->part = (uint8_t)(nth_bit(parts(c), r / 2u) + 1u);
    break;
  case S_TIME: e->kind = E_TIME; break;
  case S_PGM:
    e->kind = E_PGM;
    e->sub = (uint8_t)(nth_bit(c->pgm_outputs, r) + 1u);
    break;
  case S_HEALTH:
    e->kind = E_HEALTH;
    e->sub = (uint8_t)r;
    break;
  case S_BTN_OUT:
    e->kind = E_BTN_OUT;
    e->sub = (uint8_t)(nth_bit(c->button_outputs, r) + 1u);
    break;
  case S_BTN_KEY:
    e->kind = E_BTN_KEY;
    e->sub = (uint8_t)nth_bit(c->alarm_buttons, r);
    break;
  case S_EV_ARM:
    e->kind = E_EV_ARM;
    e->part = (uint8_t)(nth_bit(parts(c), r) + 1u);
    break;
  case S_EV_ZONE: e->kind = E_EV_ZONE; break;
  case S_EV_PANEL: e->kind = E_EV_PANEL; break;
  default: e->kind = E_LAST; break;
  }
  return true;
}

#define NO_ENT ((size_t)-1)

static bool part_used(const kb_ha_config_t *c, uint8_t p) {
  return p >= 1 && p <= KB_MAX_PARTITIONS && ((parts(c) >> (p - 1u)) & 1u);
}

/* Rank of partition p among those in use (p in use). */
static unsigned part_rank(const kb_ha_config_t *c, uint8_t p) {
  return popcount(parts(c) & ((1u << (p - 1u)) - 1u));
}

/* Entity index of partition p's entity `kind`, or NO_ENT. */
static size_t ent_part(const kb_ha_config_t *c, uint8_t p, unsigned kind) {
  if (!part_used(c, p)) return NO_ENT;
  if (kind >= E_PSTATUS) return sec_base(c, S_PEXTRA) + 2u * part_rank(c, p) + (kind - E_PSTATUS);
  return sec_base(c, S_PART) + 3u * part_rank(c, p) + (kind - E_ALARM);
}

static int zone_index(const kb_ha_config_t *c, uint8_t zone) {
  for (unsigned i = 0; i < c->n_zones; i++)
    if (c->zones[i].zone == zone) return (int)i;
  return -1;
}

/* Entity index of zone `zone`'s entity `kind` (E_ZONE, E_ZALARM..E_ZTAMPER), or NO_ENT. */
static size_t ent_zone(const kb_ha_config_t *c, uint8_t zone, unsigned kind) {
  int zi = zone_index(c, zone);
  if (zi < 0) return NO_ENT;
  if (kind == E_ZONE) return sec_base(c, S_ZONE) + (unsigned)zi;
  if (c->no_zone_extras) return NO_ENT;
  return sec_base(c, S_ZEXTRA) + 3u * (unsigned)zi + (kind - E_ZALARM);
}

static size_t ent_pgm(const kb_ha_config_t *c, uint8_t n) {
  if (n < 1 || n > KB_HA_PGM_MAX || !((c->pgm_outputs >> (n - 1u)) & 1u)) return NO_ENT;
  return sec_base(c, S_PGM) + popcount(c->pgm_outputs & ((1u << (n - 1u)) - 1u));
}

static const char *const sys_obj[E_SYSTEM] = {"connected", "trouble", "ac_power", "battery"};
static const char *const sys_name[E_SYSTEM] = {"Keybus connected", "Trouble", "AC power",
                                               "Battery"};
static const char *const sys_class[E_SYSTEM] = {"connectivity", "problem", "power", "battery"};
static const char *const zextra_obj[3] = {"alarm", "bypass", "tamper"};
static const char *const key_obj[3] = {"fire_alarm", "aux_alarm", "panic_alarm"};
static const char *const key_name[3] = {"Fire alarm", "Auxiliary alarm", "Panic alarm"};
static const char *const key_action[3] = {"fire", "aux", "panic"};

/* The health sensors: the key they read in the health payload (JSON), their
 * object id after "health_", name, unit, device and state class. Index 0 is
 * the binary "health" sensor (problem = not healthy); the last
 * KB_HA_HEALTH_HEAP only with health_heap. */
typedef struct {
  const char *key, *name, *unit, *dev_class, *state_class;
} health_t;

static const health_t health_tab[KB_HA_HEALTH_BASE + KB_HA_HEALTH_HEAP] = {
    {"healthy", "Health", NULL, "problem", NULL},
    {"frames", "Frames", NULL, NULL, "total_increasing"},
    {"bad_frames", "Bad frames", NULL, NULL, "total_increasing"},
    {"ring_overflows", "Ring overflows", NULL, NULL, "total_increasing"},
    {"ring_high_water", "Ring high-water", NULL, NULL, "measurement"},
    {"last_frame_age_s", "Last frame age", "s", "duration", "measurement"},
    {"mqtt_dropped", "MQTT messages dropped", NULL, NULL, "total_increasing"},
    {"mqtt_reconnects", "MQTT reconnects", NULL, NULL, "total_increasing"},
    {"uptime_s", "Uptime", "s", "duration", "total_increasing"},
    {"edges_lost", "Edges lost", NULL, NULL, "total_increasing"},
    {"heap_free", "Heap free", "B", "data_size", "measurement"},
    {"heap_min_free", "Heap minimum free", "B", "data_size", "measurement"},
    {"heap_largest", "Heap largest block", "B", "data_size", "measurement"},
    {"alloc_failed", "Allocations failed", NULL, NULL, "total_increasing"},
};

static const char *component(const ent_t *e) {
  switch (e->kind) {
  case E_ALARM: return "alarm_control_panel";
  case E_PSTATUS:
  case E_PUSER:
  case E_TIME:
  case E_LAST: return "sensor";
  case E_HEALTH: return e->sub ? "sensor" : "binary_sensor";
  case E_BTN_OUT:
  case E_BTN_KEY: return "button";
  case E_EV_ARM:
  case E_EV_ZONE:
  case E_EV_PANEL: return "event";
  default: return "binary_sensor";
  }
}

/* object id: connected, p1, p1_ready, zone_5, zone_5_alarm, p1_status,
 * p1_user, panel_time, pgm_3, health, health_frames, output_2, fire_alarm,
 * p1_arming, zone_alarms, panel_log */
static void w_obj(wr_t *w, const kb_ha_config_t *c, const ent_t *e) {
  static const char *const ptail[] = {"", "_ready", "_fire"};
  switch (e->kind) {
  case E_ZONE:
  case E_ZALARM:
  case E_ZBYPASS:
  case E_ZTAMPER:
    w_str(w, "zone_");
    w_uint(w, c->zones[e->zone_i].zone);
    if (e->kind != E_ZONE) {
      w_ch(w, '_');
      w_str(w, zextra_obj[e->kind - E_ZALARM]);
    }
    break;
  case E_ALARM:
  case E_READY:
  case E_FIRE:
  case E_PSTATUS:
  case E_PUSER:
  case E_EV_ARM:
    w_ch(w, 'p');
    w_uint(w, e->part);
    w_str(w, e->kind <= E_FIRE     ? ptail[e->kind - E_ALARM]
             : e->kind == E_PSTATUS ? "_status"
             : e->kind == E_PUSER   ? "_user"
                                    : "_arming");
    break;
  case E_TIME: w_str(w, "panel_time"); break;
  case E_PGM:
    w_str(w, "pgm_");
    w_uint(w, e->sub);
    break;
  case E_HEALTH:
    w_str(w, "health");
    if (e->sub) {
      w_ch(w, '_');
      w_str(w, health_tab[e->sub].key);
    }
    break;
  case E_BTN_OUT:
    w_str(w, "output_");
    w_uint(w, e->sub);
    break;
  case E_BTN_KEY: w_str(w, key_obj[e->sub]); break;
  case E_EV_ZONE: w_str(w, "zone_alarms"); break;
  case E_EV_PANEL: w_str(w, "panel_log"); break;
  case E_LAST: w_str(w, "last_event"); break;
  default: w_str(w, sys_obj[e->kind]); break;
  }
}

/* The state topic (or event topic) of e; false for a button (none). */
static bool w_state_topic(wr_t *w, const kb_ha_config_t *c, const ent_t *e) {
  static const char *const tail[] = {"/state", "/ready", "/fire"};
  if (e->kind == E_BTN_OUT || e->kind == E_BTN_KEY) return false;
  if (e->kind == E_HEALTH) {
    w_topic(w, c, KB_HA_TOPIC_HEALTH);
    return true;
  }
  w_base(w, c);
  switch (e->kind) {
  case E_ZONE:
  case E_ZALARM:
  case E_ZBYPASS:
  case E_ZTAMPER:
    w_str(w, "zone/");
    w_uint(w, c->zones[e->zone_i].zone);
    if (e->kind != E_ZONE) {
      w_ch(w, '/');
      w_str(w, zextra_obj[e->kind - E_ZALARM]);
    }
    break;
  case E_ALARM:
  case E_READY:
  case E_FIRE:
  case E_PSTATUS:
  case E_PUSER:
  case E_EV_ARM:
    w_str(w, "partition/");
    w_uint(w, e->part);
    w_str(w, e->kind <= E_FIRE     ? tail[e->kind - E_ALARM]
             : e->kind == E_PSTATUS ? "/status"
             : e->kind == E_PUSER   ? "/user"
                                    : "/event");
    break;
  case E_TIME: w_str(w, "time"); break;
  case E_PGM:
    w_str(w, "pgm/");
    w_uint(w, e->sub);
    break;
  case E_EV_ZONE: w_str(w, "event/zone"); break;
  case E_EV_PANEL: w_str(w, "event/panel"); break;
  case E_LAST: w_str(w, "last_event"); break;
  default: w_str(w, sys_obj[e->kind]); break;
  }
  return true;
}

static bool ent_has_state(const ent_t *e) {
  /* health, buttons and events have none of their own; the last event's is
   * written by kb_ha_event_msg (retained), not read from the status */
  return e->kind < E_HEALTH;
}

static void w_key(wr_t *w, const char *k) {
  w_ch(w, ',');
  w_jstr(w, k);
  w_ch(w, ':');
}

static void w_kv(wr_t *w, const char *k, const char *v) {
  w_key(w, k);
  w_jstr(w, v);
}

static void w_kv_uint(wr_t *w, const char *k, unsigned v) {
  w_key(w, k);
  w_uint(w, v);
}

static void w_device(wr_t *w, const kb_ha_config_t *c, const kb_status_t *st) {
  w_key(w, "device");
  w_str(w, "{\"identifiers\":[\"keybus_");
  w_str(w, c->device_id);
  w_str(w, "\"]");
  w_kv(w, "name", c->name ? c->name : "DSC panel");
  w_kv(w, "manufacturer", "DSC");
  w_kv(w, "model",
       c->model                                    ? c->model
       : st && st->series == KB_SERIES_CLASSIC ? "Classic"
                                                   : "PowerSeries");
  if (c->sw_version) w_kv(w, "sw_version", c->sw_version);
  if (st && st->version) { /* BCD: 0x41 = 4.1 */
    w_key(w, "hw_version");
    w_ch(w, '"');
    w_uint(w, st->version >> 4);
    w_ch(w, '.');
    w_uint(w, st->version & 0x0Fu);
    w_ch(w, '"');
  }
  w_ch(w, '}');
  w_key(w, "origin");
  w_str(w, "{\"name\":\"keybus\"");
  if (c->sw_version) w_kv(w, "sw_version", c->sw_version);
  w_ch(w, '}');
}

static void w_availability(wr_t *w, const kb_ha_config_t *c, bool with_bus) {
  w_key(w, "availability");
  w_str(w, "[{\"topic\":\"");
  w_topic(w, c, KB_HA_TOPIC_STATUS);
  w_str(w, "\"}");
  if (with_bus) {
    w_str(w, ",{\"topic\":\"");
    w_topic(w, c, KB_HA_TOPIC_CONNECTED);
    w_str(w, "\"}");
  }
  w_ch(w, ']');
  w_kv(w, "availability_mode", "all");
}

/* The partition the buttons act on: the configured one, else the lowest in use. */
static uint8_t button_part(const kb_ha_config_t *c) {
  return c->button_partition ? c->button_partition : (uint8_t)(nth_bit(parts(c), 0) + 1u);
}

/* The name of a zone as a JSON string's content (without the quotes). */
static void w_zone_name(wr_t *w, const kb_ha_config_t *c, unsigned zi) {
  const char *n = c->zones[zi].name;
  if (!n) {
    w_str(w, "Zone ");
    w_uint(w, c->zones[zi].zone);
    return;
  }
  for (; *n; n++) {
    if (*n == '"' || *n == '\\') w_ch(w, '\\');
    w_ch(w, *n);
  }
}

/* Event types of each event entity (discovery "event_types"; the payloads
 * of kb_ha_event_msg use exactly these). */
static const char *const arm_types[] = {"armed_away", "armed_home", "armed_night", "armed",
                                        "disarmed", NULL};
static const char *const zone_types[] = {"alarm", "restore", NULL};
static const char *const panel_types[] = {"alarm",   "alarm_restored", "tamper", "tamper_restored",
                                          "trouble", "trouble_restored", "armed", "disarmed",
                                          "bypass",  "access",          "system", "unknown", NULL};

static void w_list(wr_t *w, const char *k, const char *const *v) {
  w_key(w, k);
  w_ch(w, '[');
  for (unsigned j = 0; v[j]; j++) {
    if (j) w_ch(w, ',');
    w_jstr(w, v[j]);
  }
  w_ch(w, ']');
}

/* Classic alarm bits cover zones 1-6 only (kb_classic.h, KB_CLS_ZONES: the
 * zone lights go to 8, P0's alarm bits to 6). */
#define CLS_ALARM_ZONES 6u

/* True when st says the panel cannot report what entity e shows
 * (kb_status_t.absent, zones_max, series): the entity is not announced (its
 * discovery config is published empty, which removes one retained from an
 * earlier setup) and no state is published for it. Health, connected,
 * trouble and the buttons are always there. No status: nothing is absent
 * (PowerSeries, and callers that announce before they have one). */
static bool ent_absent(const kb_ha_config_t *c, const ent_t *e, const kb_status_t *st) {
  unsigned ab;
  bool classic;
  uint8_t zone;
  if (!st) return false;
  ab = st->absent;
  classic = st->series == KB_SERIES_CLASSIC;
  zone = (e->kind >= E_ZONE && e->kind <= E_ZTAMPER) ? c->zones[e->zone_i].zone : 0;
  if (zone && st->zones_max && zone > st->zones_max) return true;
  if (e->part > 1 && (ab & KB_ABSENT_PARTITIONS)) return true;
  switch (e->kind) {
  case E_AC: return (ab & KB_ABSENT_AC_POWER) != 0;
  case E_BATTERY: return (ab & KB_ABSENT_BATTERY) != 0;
  case E_ZALARM: return classic && zone > CLS_ALARM_ZONES;
  case E_ZBYPASS: return (ab & KB_ABSENT_ZONES_BYPASS) != 0;
  case E_ZTAMPER: return (ab & KB_ABSENT_ZONES_TAMPER) != 0;
  case E_PUSER: return (ab & KB_ABSENT_ACCESS_CODE) != 0;
  case E_TIME: return (ab & KB_ABSENT_TIME) != 0;
  case E_PGM: return (ab & KB_ABSENT_PGM) != 0;
  case E_EV_ARM: /* from access-code and panel-log events: the Classic has neither */
  case E_EV_PANEL:
  case E_LAST: return classic;
  default: return false;
  }
}

bool kb_ha_present(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st) {
  ent_t e;
  return kb_ha_config_check(cfg) == KB_OK && i < kb_ha_entities(cfg) && ent_get(cfg, i, &e) &&
         !ent_absent(cfg, &e, st);
}

kb_err_t kb_ha_discovery(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st,
                         kb_ha_msg_t *m) {
  ent_t e;
  wr_t w;
  kb_err_t r;
  if (!m) return KB_ERR_ARG;
  m->topic_len = m->payload_len = 0;
  m->retain = true;
  if (m->payload && m->payload_size) m->payload[0] = '\0'; /* nothing stale on an error */
  if (m->topic && m->topic_size) m->topic[0] = '\0';
  if (kb_ha_config_check(cfg) != KB_OK || i >= kb_ha_entities(cfg) || !ent_get(cfg, i, &e))
    return KB_ERR_ARG;

  w_init(&w, m->topic, m->topic_size);
  w_str(&w, disc(cfg));
  w_ch(&w, '/');
  w_str(&w, component(&e));
  w_ch(&w, '/');
  w_str(&w, cfg->device_id);
  w_ch(&w, '/');
  w_obj(&w, cfg, &e);
  w_str(&w, "/config");
  r = w_end(&w, &m->topic_len);
  if (r != KB_OK) return r;
  /* an entity the panel cannot report: an empty retained config, which is
   * how Home Assistant removes one (from an earlier PowerSeries setup) */
  if (ent_absent(cfg, &e, st)) return KB_OK; /* payload "" (cleared above) */

  w_init(&w, m->payload, m->payload_size);
  w_str(&w, "{\"name\":");
  switch (e.kind) {
  case E_ZONE:
  case E_ZALARM:
  case E_ZBYPASS:
  case E_ZTAMPER: {
    static const char *const suffix[4] = {"", " alarm", " bypass", " tamper"};
    w_ch(&w, '"');
    w_zone_name(&w, cfg, e.zone_i);
    w_str(&w, suffix[e.kind - E_ZONE]);
    w_ch(&w, '"');
    break;
  }
  case E_ALARM:
  case E_READY:
  case E_FIRE:
  case E_PSTATUS:
  case E_PUSER:
  case E_EV_ARM: {
    static const char *const suffix[] = {"\"", " ready\"", " fire\""};
    w_str(&w, "\"Partition ");
    w_uint(&w, e.part);
    w_str(&w, e.kind <= E_FIRE     ? suffix[e.kind - E_ALARM]
              : e.kind == E_PSTATUS ? " status\""
              : e.kind == E_PUSER   ? " last user\""
                                    : " arming\"");
    break;
  }
  case E_TIME: w_jstr(&w, "Panel time"); break;
  case E_PGM:
    w_str(&w, "\"PGM ");
    w_uint(&w, e.sub);
    w_ch(&w, '"');
    break;
  case E_HEALTH: w_jstr(&w, health_tab[e.sub].name); break;
  case E_BTN_OUT:
    w_str(&w, "\"Command output ");
    w_uint(&w, e.sub);
    w_ch(&w, '"');
    break;
  case E_BTN_KEY: w_jstr(&w, key_name[e.sub]); break;
  case E_EV_ZONE: w_jstr(&w, "Zone alarms"); break;
  case E_EV_PANEL: w_jstr(&w, "Panel log"); break;
  case E_LAST: w_jstr(&w, "Last event"); break;
  default: w_jstr(&w, sys_name[e.kind]); break;
  }
  w_key(&w, "unique_id");
  w_ch(&w, '"');
  w_str(&w, cfg->device_id);
  w_ch(&w, '_');
  w_obj(&w, cfg, &e);
  w_ch(&w, '"');
  if (e.kind != E_BTN_OUT && e.kind != E_BTN_KEY) {
    w_key(&w, "state_topic"); /* topics hold no quote or backslash */
    w_ch(&w, '"');
    w_state_topic(&w, cfg, &e);
    w_ch(&w, '"');
  }
  /* keybus connected reports the bus itself, and health matters most when
   * the bus is gone: both stay available without it (broker only) */
  w_availability(&w, cfg, e.kind != E_CONNECTED && e.kind != E_HEALTH);
  if (e.kind < E_SYSTEM) w_kv(&w, "device_class", sys_class[e.kind]);
  if (e.kind == E_CONNECTED) {
    w_kv(&w, "payload_on", "online");
    w_kv(&w, "payload_off", "offline");
  }
  if (e.kind < E_SYSTEM || e.kind == E_HEALTH) w_kv(&w, "entity_category", "diagnostic");
  switch (e.kind) {
  case E_FIRE: w_kv(&w, "device_class", "smoke"); break;
  case E_ZONE: w_kv(&w, "device_class", class_names[cfg->zones[e.zone_i].dev_class]); break;
  case E_ZALARM: w_kv(&w, "device_class", "safety"); break;
  case E_ZTAMPER: w_kv(&w, "device_class", "tamper"); break;
  case E_LAST:
    /* the payload is the panel log line's event: its type is the state,
     * the rest (partitions, time, raw) attributes */
    w_kv(&w, "value_template", "{{ value_json.event_type }}");
    w_key(&w, "json_attributes_topic");
    w_ch(&w, '"');
    w_state_topic(&w, cfg, &e);
    w_ch(&w, '"');
    break;
  case E_PUSER:
    /* the payload is {"user":n,"name":"..."}: the name is the state, the
     * number an attribute */
    w_kv(&w, "value_template", "{{ value_json.name }}");
    w_key(&w, "json_attributes_topic");
    w_ch(&w, '"');
    w_state_topic(&w, cfg, &e);
    w_ch(&w, '"');
    break;
  case E_HEALTH: {
    const health_t *h = &health_tab[e.sub];
    if (e.sub == 0) {
      w_kv(&w, "value_template", "{{ 'OFF' if value_json.get('healthy') else 'ON' }}");
    } else {
      /* .get: a counter the frontend does not have is left out of the
       * payload and shows as unknown */
      w_key(&w, "value_template");
      w_str(&w, "\"{{ value_json.get('");
      w_str(&w, h->key);
      w_str(&w, "') }}\"");
    }
    if (h->dev_class) w_kv(&w, "device_class", h->dev_class);
    if (h->unit) w_kv(&w, "unit_of_measurement", h->unit);
    if (h->state_class) w_kv(&w, "state_class", h->state_class);
    break;
  }
  case E_BTN_OUT:
  case E_BTN_KEY:
    /* a press is one command on the JSON command topic, without a code:
     * the keypad types it when the panel does not prompt for one */
    w_key(&w, "command_topic");
    w_ch(&w, '"');
    w_topic(&w, cfg, KB_HA_TOPIC_COMMAND);
    w_ch(&w, '"');
    w_key(&w, "payload_press");
    w_str(&w, "\"{\\\"partition\\\":");
    w_uint(&w, button_part(cfg));
    w_str(&w, ",\\\"action\\\":\\\"");
    if (e.kind == E_BTN_OUT) {
      w_str(&w, "output\\\",\\\"output\\\":");
      w_uint(&w, e.sub);
      w_str(&w, "}\"");
    } else {
      w_str(&w, key_action[e.sub]);
      w_str(&w, "\\\"}\"");
    }
    break;
  case E_EV_ARM: w_list(&w, "event_types", arm_types); break;
  case E_EV_ZONE: w_list(&w, "event_types", zone_types); break;
  case E_EV_PANEL: w_list(&w, "event_types", panel_types); break;
  default: break;
  }
  if (e.kind == E_ALARM) {
    uint8_t md = modes(cfg);
    bool first = true;
    w_key(&w, "command_topic");
    w_ch(&w, '"');
    w_topic(&w, cfg, KB_HA_TOPIC_COMMAND);
    w_ch(&w, '"');
    /* Home Assistant fills {{ action }} (the payload_* below) and {{ code }}
     * (REMOTE_CODE: the code typed in its UI, stored nowhere) */
    w_key(&w, "command_template");
    w_str(&w, "\"{\\\"partition\\\":");
    w_uint(&w, e.part);
    w_str(&w, ",\\\"action\\\":\\\"{{ action }}\\\",\\\"code\\\":\\\"{{ code }}\\\"}\"");
    w_kv(&w, "payload_disarm", "disarm");
    w_kv(&w, "payload_arm_home", "arm_home");
    w_kv(&w, "payload_arm_away", "arm_away");
    w_kv(&w, "payload_arm_night", "arm_night");
    w_kv(&w, "code", "REMOTE_CODE");
    w_key(&w, "code_arm_required");
    w_str(&w, cfg->arm_without_code ? "false" : "true");
    w_key(&w, "code_disarm_required");
    w_str(&w, "true");
    w_key(&w, "supported_features");
    w_ch(&w, '[');
    static const char *const feat[3] = {"\"arm_home\"", "\"arm_away\"", "\"arm_night\""};
    for (unsigned b = 0; b < 3; b++) {
      if (!(md & (1u << b))) continue;
      if (!first) w_ch(&w, ',');
      w_str(&w, feat[b]);
      first = false;
    }
    w_ch(&w, ']');
  }
  w_device(&w, cfg, st);
  w_ch(&w, '}');
  return w_end(&w, &m->payload_len);
}

/* ------------------------------------------------------------ states */

const char *kb_ha_alarm_state(const kb_partition_t *p) {
  if (!p || !p->known || !kb_proto_part_in_use(p->status)) return NULL;
  if (p->alarm) return "triggered";
  if (p->exit_delay) return "arming";
  if (p->entry_delay) return "pending";
  if (p->armed != KB_ARMED_NONE) {
    if (p->no_entry_delay) return "armed_night";
    return p->armed == KB_ARMED_STAY ? "armed_home" : "armed_away";
  }
  return "disarmed";
}

static bool zone_bit(const uint8_t *bits, uint8_t z) {
  return (bits[(z - 1u) / 8u] >> ((z - 1u) % 8u)) & 1u;
}

/* Two digits, zero-padded. */
static void w_2d(wr_t *w, unsigned v) {
  w_ch(w, (char)('0' + (v / 10u) % 10u));
  w_ch(w, (char)('0' + v % 10u));
}

/* "YYYY-MM-DD HH:MM" */
static void w_time(wr_t *w, const kb_time_t *t) {
  w_uint(w, t->year);
  w_ch(w, '-');
  w_2d(w, t->month);
  w_ch(w, '-');
  w_2d(w, t->day);
  w_ch(w, ' ');
  w_2d(w, t->hour);
  w_ch(w, ':');
  w_2d(w, t->minute);
}

static void w_hex2(wr_t *w, unsigned v) {
  static const char hex[] = "0123456789ABCDEF";
  w_ch(w, hex[(v >> 4) & 0xFu]);
  w_ch(w, hex[v & 0xFu]);
}

/* A user's name as JSON string content: the configured one, else "Master"
 * (40) or "User <u>". */
static void w_user_name(wr_t *w, const kb_ha_config_t *c, uint8_t u) {
  const char *n = (u >= 1 && u <= c->n_user_names) ? c->user_names[u - 1u] : NULL;
  if (n) {
    for (; *n; n++) {
      if (*n == '"' || *n == '\\') w_ch(w, '\\');
      w_ch(w, *n);
    }
  } else if (u == 40) {
    w_str(w, "Master");
  } else {
    w_str(w, "User ");
    w_uint(w, u);
  }
}

/* The panel's status words of a partition, capitalised ("Exit delay
 * running"), from the one table (kb_status_words.h). */
static void w_status_text(wr_t *w, const kb_partition_t *p) {
  const char *t = kb_status_words(p->status);
  if (!t) {
    w_str(w, "Status 0x");
    w_hex2(w, p->status);
    return;
  }
  w_ch(w, (*t >= 'a' && *t <= 'z') ? (char)(*t - 'a' + 'A') : *t);
  w_str(w, t + 1);
}

static void msg_clear(kb_ha_msg_t *m, bool retain) {
  m->topic_len = m->payload_len = 0;
  m->retain = retain;
  if (m->payload && m->payload_size) m->payload[0] = '\0'; /* nothing stale on an error */
  if (m->topic && m->topic_size) m->topic[0] = '\0';
}

bool kb_ha_has_state(const kb_ha_config_t *cfg, size_t i) {
  ent_t e;
  return kb_ha_config_check(cfg) == KB_OK && i < kb_ha_entities(cfg) && ent_get(cfg, i, &e) &&
         ent_has_state(&e);
}

kb_err_t kb_ha_state(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st, kb_ha_msg_t *m) {
  ent_t e;
  wr_t w;
  kb_err_t r;
  const char *v = NULL;
  bool on = false;
  if (!m) return KB_ERR_ARG;
  msg_clear(m, true);
  if (!st || kb_ha_config_check(cfg) != KB_OK || i >= kb_ha_entities(cfg) || !ent_get(cfg, i, &e))
    return KB_ERR_ARG;
  if (!ent_has_state(&e) || ent_absent(cfg, &e, st)) return KB_ERR_NOT_READY;
  w_init(&w, m->topic, m->topic_size);
  w_state_topic(&w, cfg, &e);
  r = w_end(&w, &m->topic_len);
  if (r != KB_OK) return r;

  const kb_partition_t *p = e.part ? &st->part[e.part - 1u] : NULL;
  uint8_t zone = (e.kind >= E_ZONE && e.kind <= E_ZTAMPER) ? cfg->zones[e.zone_i].zone : 0;
  w_init(&w, m->payload, m->payload_size);
  switch (e.kind) {
  case E_CONNECTED: v = st->connected ? "online" : "offline"; break;
  case E_TROUBLE: on = st->trouble; break;
  case E_AC: on = st->ac_power; break;
  case E_BATTERY: on = !st->battery_ok; break; /* HA's battery class: on = low */
  case E_ALARM:
    v = kb_ha_alarm_state(p);
    if (!v) v = "None"; /* Home Assistant: back to unknown */
    break;
  case E_READY: on = p->ready; break;
  case E_FIRE: on = p->fire; break;
  case E_ZONE: on = zone_bit(st->zones_open, zone); break;
  case E_ZALARM: on = zone_bit(st->zones_alarm, zone); break;
  case E_ZBYPASS: on = zone_bit(st->zones_bypass, zone); break;
  case E_ZTAMPER: on = zone_bit(st->zones_tamper, zone); break;
  case E_PSTATUS:
    if (!p->known || p->status == KB_ST_NONE) {
      v = "None";
      break;
    }
    w_status_text(&w, p);
    v = "";
    break;
  case E_PUSER:
    if (!p->access_code) {
      v = "{\"user\":null,\"name\":null}";
      break;
    }
    w_str(&w, "{\"user\":");
    w_uint(&w, p->access_code);
    w_str(&w, ",\"name\":\"");
    w_user_name(&w, cfg, p->access_code);
    w_str(&w, "\"}");
    v = "";
    break;
  case E_TIME:
    if (!st->time.valid) {
      v = "None";
      break;
    }
    w_time(&w, &st->time);
    v = "";
    break;
  default: /* E_PGM */
    on = (st->pgm >> (e.sub - 1u)) & 1u;
    break;
  }
  w_str(&w, v ? v : on ? "ON" : "OFF");
  return w_end(&w, &m->payload_len);
}

static void dirty_set(kb_ha_dirty_t *d, size_t i) {
  if (i < KB_HA_ENTITIES_MAX) d->bits[i / 32] |= (uint32_t)1u << (i % 32);
}

unsigned kb_ha_mark(const kb_ha_config_t *cfg, const kb_event_t *ev, kb_ha_dirty_t *d) {
  size_t n = kb_ha_entities(cfg);
  if (!n || !ev || !d) return 0;
  switch (ev->type) {
  case KB_EV_SYNCED:
    for (size_t i = 0; i < n; i++) {
      ent_t e;
      if (ent_get(cfg, i, &e) && ent_has_state(&e)) dirty_set(d, i);
    }
    break;
  case KB_EV_CONNECTED: dirty_set(d, E_CONNECTED); break;
  case KB_EV_TROUBLE: dirty_set(d, E_TROUBLE); break;
  case KB_EV_AC_POWER: dirty_set(d, E_AC); break;
  case KB_EV_BATTERY: dirty_set(d, E_BATTERY); break;
  case KB_EV_PARTITION: /* the status byte: its words too */
    dirty_set(d, ent_part(cfg, ev->partition, E_PSTATUS));
    dirty_set(d, ent_part(cfg, ev->partition, E_ALARM));
    break;
  case KB_EV_ARMED:
  case KB_EV_NO_ENTRY_DELAY:
  case KB_EV_EXIT_DELAY:
  case KB_EV_ENTRY_DELAY:
  case KB_EV_ALARM:
  case KB_EV_DISABLED: dirty_set(d, ent_part(cfg, ev->partition, E_ALARM)); break;
  case KB_EV_READY: dirty_set(d, ent_part(cfg, ev->partition, E_READY)); break;
  case KB_EV_FIRE: dirty_set(d, ent_part(cfg, ev->partition, E_FIRE)); break;
  case KB_EV_ACCESS_CODE: /* the last user, of each partition the event names */
    dirty_set(d, ent_part(cfg, ev->partition, E_PUSER));
    for (uint8_t p = 1; p <= KB_MAX_PARTITIONS; p++)
      if ((ev->access.parts >> (p - 1u)) & 1u) dirty_set(d, ent_part(cfg, p, E_PUSER));
    break;
  case KB_EV_ZONE_OPEN: dirty_set(d, ent_zone(cfg, ev->zone.zone, E_ZONE)); break;
  case KB_EV_ZONE_ALARM: dirty_set(d, ent_zone(cfg, ev->zone.zone, E_ZALARM)); break;
  case KB_EV_ZONE_BYPASS: dirty_set(d, ent_zone(cfg, ev->zone.zone, E_ZBYPASS)); break;
  case KB_EV_ZONE_TAMPER: dirty_set(d, ent_zone(cfg, ev->zone.zone, E_ZTAMPER)); break;
  case KB_EV_TIME: dirty_set(d, sec_base(cfg, S_TIME)); break;
  case KB_EV_PGM: dirty_set(d, ent_pgm(cfg, ev->pgm.output)); break;
  case KB_EV_VERSION: return KB_HA_MARK_ANNOUNCE;
  default: break;
  }
  return 0;
}

kb_err_t kb_ha_next_dirty(const kb_ha_config_t *cfg, const kb_status_t *st, kb_ha_dirty_t *d,
                          kb_ha_msg_t *m) {
  if (!d) return KB_ERR_ARG;
  for (size_t i = 0; i < KB_HA_ENTITIES_MAX; i++) {
    uint32_t bit = (uint32_t)1u << (i % 32);
    if (!(d->bits[i / 32] & bit)) continue;
    d->bits[i / 32] &= ~bit;
    if (!kb_ha_has_state(cfg, i)) continue; /* marked by a caller's hand: nothing to say */
    if (!kb_ha_present(cfg, i, st)) continue; /* the panel cannot report it (absent) */
    return kb_ha_state(cfg, i, st, m);
  }
  return KB_ERR_NOT_READY;
}

/* ------------------------------------------------------------ health */

void kb_ha_extra_init(kb_ha_extra_t *x) {
  if (!x) return;
  memset(x, 0, sizeof *x);
  x->last_frame_age_ms = UINT32_MAX;
  x->edges_lost = x->heap_free = x->heap_min_free = x->heap_largest = x->alloc_failed = -1;
}

static void w_u64(wr_t *w, uint64_t v) {
  char t[20];
  size_t n = 0;
  do {
    t[sizeof t - 1 - n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v && n < sizeof t);
  w_mem(w, t + sizeof t - n, n);
}

static void w_kv_u64(wr_t *w, const char *k, uint64_t v) {
  w_key(w, k);
  w_u64(w, v);
}

kb_err_t kb_ha_health(const kb_ha_config_t *cfg, const kb_health_t *h, const kb_ha_extra_t *x,
                      kb_ha_msg_t *m) {
  wr_t w;
  kb_err_t r;
  if (!m) return KB_ERR_ARG;
  msg_clear(m, true);
  if (!h || kb_ha_config_check(cfg) != KB_OK) return KB_ERR_ARG;
  w_init(&w, m->topic, m->topic_size);
  w_topic(&w, cfg, KB_HA_TOPIC_HEALTH);
  r = w_end(&w, &m->topic_len);
  if (r != KB_OK) return r;
  w_init(&w, m->payload, m->payload_size);
  /* w_key writes a leading comma: the first key goes by hand */
  w_str(&w, "{\"frames\":");
  w_uint(&w, h->frames);
  w_kv_uint(&w, "frames_ok", h->frames_ok);
  /* the errors a user can act on (wiring, timing, noise), summed */
  w_kv_u64(&w, "bad_frames", (uint64_t)h->checksum_errors + h->length_errors + h->framing_errors +
                                 h->runts);
  w_kv_uint(&w, "checksum_errors", h->checksum_errors);
  w_kv_uint(&w, "length_errors", h->length_errors);
  w_kv_uint(&w, "framing_errors", h->framing_errors);
  w_kv_uint(&w, "runts", h->runts);
  w_kv_uint(&w, "unknown_cmds", h->unknown_cmds);
  w_kv_uint(&w, "noise_rejected", h->filter_rejections);
  w_kv_uint(&w, "ring_overflows", h->ring_overflows);
  w_kv_uint(&w, "ring_high_water", h->ring_high_water);
  if (x) {
    w_key(&w, "healthy");
    w_str(&w, x->healthy ? "true" : "false");
    w_kv_uint(&w, "uptime_s", x->uptime_s);
    w_key(&w, "last_frame_age_s");
    if (x->last_frame_age_ms == UINT32_MAX) {
      w_str(&w, "null");
    } else { /* seconds with one decimal */
      w_uint(&w, x->last_frame_age_ms / 1000u);
      w_ch(&w, '.');
      w_uint(&w, (x->last_frame_age_ms % 1000u) / 100u);
    }
    w_kv_uint(&w, "mqtt_dropped", x->mqtt_dropped);
    w_kv_uint(&w, "mqtt_reconnects", x->mqtt_reconnects);
    const struct {
      const char *k;
      int64_t v;
    } opt[5] = {{"edges_lost", x->edges_lost},
                {"heap_free", x->heap_free},
                {"heap_min_free", x->heap_min_free},
                {"heap_largest", x->heap_largest},
                {"alloc_failed", x->alloc_failed}};
    for (unsigned j = 0; j < 5; j++)
      if (opt[j].v >= 0) w_kv_u64(&w, opt[j].k, (uint64_t)opt[j].v);
  }
  w_ch(&w, '}');
  return w_end(&w, &m->payload_len);
}

/* ------------------------------------------------------------ events */

enum { PC_ALARM, PC_ALARM_RESTORED, PC_TAMPER, PC_TAMPER_RESTORED, PC_TROUBLE, PC_TROUBLE_RESTORED,
       PC_ARMED, PC_DISARMED, PC_BYPASS, PC_ACCESS, PC_SYSTEM, PC_UNKNOWN };
_Static_assert(sizeof panel_types / sizeof panel_types[0] == PC_UNKNOWN + 2u,
               "one panel_types word per category, then NULL");

/* The category of a panel event (the panel log entity's event_type): an
 * index into panel_types (a byte table, not a pointer per kind). */
static unsigned pev_category(uint8_t kind) {
  switch (kind) {
  case KB_PEV_UNKNOWN: return PC_UNKNOWN;
  case KB_PEV_ZONE_ALARM:
  case KB_PEV_DURESS_ALARM:
  case KB_PEV_RECENT_CLOSING_ALARM:
  case KB_PEV_KEYPAD_FIRE_ALARM:
  case KB_PEV_KEYPAD_AUX_ALARM:
  case KB_PEV_KEYPAD_PANIC_ALARM:
  case KB_PEV_EXPANDER_SUPERVISORY_ALARM:
  case KB_PEV_PGM2_INPUT_ALARM:
  case KB_PEV_CROSS_ZONE_ALARM:
  case KB_PEV_DELINQUENCY_ALARM: return PC_ALARM;
  case KB_PEV_ZONE_ALARM_RESTORED:
  case KB_PEV_KEYPAD_FIRE_RESTORED:
  case KB_PEV_KEYPAD_AUX_RESTORED:
  case KB_PEV_KEYPAD_PANIC_RESTORED:
  case KB_PEV_EXPANDER_SUPERVISORY_RESTORED:
  case KB_PEV_PGM2_INPUT_RESTORED:
  case KB_PEV_ALARM_CANCELLED: return PC_ALARM_RESTORED;
  case KB_PEV_ZONE_TAMPER:
  case KB_PEV_KEYPAD_TAMPER:
  case KB_PEV_EXPANDER_TAMPER:
  case KB_PEV_RF5132_TAMPER:
  case KB_PEV_PC5208_TAMPER:
  case KB_PEV_PC5204_TAMPER: return PC_TAMPER;
  case KB_PEV_ZONE_TAMPER_RESTORED:
  case KB_PEV_KEYPAD_TAMPER_RESTORED:
  case KB_PEV_EXPANDER_TAMPER_RESTORED:
  case KB_PEV_RF5132_TAMPER_RESTORED:
  case KB_PEV_PC5208_TAMPER_RESTORED:
  case KB_PEV_PC5204_TAMPER_RESTORED: return PC_TAMPER_RESTORED;
  case KB_PEV_ZONE_FAULT:
  case KB_PEV_ZONE_BATTERY_LOW:
  case KB_PEV_BATTERY_TROUBLE:
  case KB_PEV_AC_TROUBLE:
  case KB_PEV_BELL_TROUBLE:
  case KB_PEV_FIRE_TROUBLE:
  case KB_PEV_AUX_SUPPLY_TROUBLE:
  case KB_PEV_PHONE_LINE_TROUBLE:
  case KB_PEV_PHONE_FTC:
  case KB_PEV_KEYBUS_FAULT:
  case KB_PEV_KEYPAD_TROUBLE:
  case KB_PEV_EXPANDER_TROUBLE:
  case KB_PEV_RF5132_SUPERVISORY_TROUBLE:
  case KB_PEV_PC5204_SUPERVISORY_TROUBLE:
  case KB_PEV_PC5204_BATTERY_TROUBLE:
  case KB_PEV_PC5204_AUX_TROUBLE:
  case KB_PEV_PC5204_OUTPUT1_TROUBLE:
  case KB_PEV_PERIODIC_TEST_TROUBLE:
  case KB_PEV_TLINK_COM_FAULT:
  case KB_PEV_TLINK_NETWORK_FAULT:
  case KB_PEV_TLINK_RECEIVER_TROUBLE:
  case KB_PEV_RF_DELINQUENCY_TROUBLE: return PC_TROUBLE;
  case KB_PEV_ZONE_FAULT_RESTORED:
  case KB_PEV_ZONE_BATTERY_RESTORED:
  case KB_PEV_BATTERY_RESTORED:
  case KB_PEV_AC_RESTORED:
  case KB_PEV_BELL_RESTORED:
  case KB_PEV_FIRE_TROUBLE_RESTORED:
  case KB_PEV_AUX_SUPPLY_RESTORED:
  case KB_PEV_PHONE_LINE_RESTORED:
  case KB_PEV_KEYBUS_FAULT_RESTORED:
  case KB_PEV_KEYPAD_RESTORED:
  case KB_PEV_EXPANDER_RESTORED:
  case KB_PEV_RF5132_SUPERVISORY_RESTORED:
  case KB_PEV_PC5204_SUPERVISORY_RESTORED:
  case KB_PEV_PC5204_BATTERY_RESTORED:
  case KB_PEV_PC5204_AUX_RESTORED:
  case KB_PEV_PC5204_OUTPUT1_RESTORED:
  case KB_PEV_TLINK_RECEIVER_RESTORED:
  case KB_PEV_RF_DELINQUENCY_RESTORED: return PC_TROUBLE_RESTORED;
  case KB_PEV_ARMED_BY_CODE:
  case KB_PEV_ARMED_PARTIAL:
  case KB_PEV_ARMED_SPECIAL:
  case KB_PEV_ARMED_STAY:
  case KB_PEV_ARMED_AWAY:
  case KB_PEV_ARMED_NO_ENTRY_DELAY:
  case KB_PEV_ACTIVATE_STAY_AWAY:
  case KB_PEV_ARMED_ENTRY_DELAY:
  case KB_PEV_ARMED_AUTO:
  case KB_PEV_ARMED_KEYSWITCH:
  case KB_PEV_ARMED_KEYPAD_AWAY:
  case KB_PEV_ARMED_QUICK: return PC_ARMED;
  case KB_PEV_DISARMED_BY_CODE:
  case KB_PEV_DISARMED_ALARM_MEMORY:
  case KB_PEV_DISARMED_SPECIAL:
  case KB_PEV_DISARMED_KEYSWITCH: return PC_DISARMED;
  case KB_PEV_ZONE_BYPASSED:
  case KB_PEV_BYPASS_MENU: return PC_BYPASS;
  case KB_PEV_ACCESS_CODE:
  case KB_PEV_STAR1_BY_CODE:
  case KB_PEV_STAR2_BY_CODE:
  case KB_PEV_STAR3_BY_CODE:
  case KB_PEV_STAR5_BY_CODE:
  case KB_PEV_STAR6_BY_CODE:
  case KB_PEV_INSTALLER_ENTER:
  case KB_PEV_INSTALLER_EXIT:
  case KB_PEV_KEYPAD_LOCKOUT: return PC_ACCESS;
  default: return PC_SYSTEM;
  }
}

/* An arming or disarming without a user (quick arm, keyswitch, auto arm,
 * ...): the method word, or NULL for any other panel event. */
static const char *pev_arm_method(uint8_t kind, bool *disarm) {
  *disarm = false;
  switch (kind) {
  case KB_PEV_ARMED_SPECIAL: return "special";
  case KB_PEV_ARMED_QUICK: return "quick";
  case KB_PEV_ARMED_KEYSWITCH: return "keyswitch";
  case KB_PEV_ARMED_AUTO: return "auto";
  case KB_PEV_DISARMED_SPECIAL: *disarm = true; return "special";
  case KB_PEV_DISARMED_KEYSWITCH: *disarm = true; return "keyswitch";
  default: return NULL;
  }
}

/* The event type of an arming of partition p: its mode when the status
 * already shows it (armed, or the exit delay's target), else "armed". */
static const char *arm_type(const kb_status_t *st, uint8_t p) {
  const kb_partition_t *q = st ? &st->part[p - 1u] : NULL;
  if (!q) return "armed";
  if (q->armed != KB_ARMED_NONE) {
    if (q->no_entry_delay) return "armed_night";
    return q->armed == KB_ARMED_STAY ? "armed_home" : "armed_away";
  }
  if (q->exit_delay) {
    switch (q->exit_target) {
    case KB_EXIT_STAY: return "armed_home";
    case KB_EXIT_AWAY: return "armed_away";
    case KB_EXIT_NO_ENTRY_DELAY: return "armed_night";
    default: break;
    }
  }
  return "armed";
}

/* The rank-th partition in use of mask, 0 when there is none. */
static uint8_t mask_part(const kb_ha_config_t *c, unsigned mask, unsigned rank) {
  mask &= parts(c);
  if (rank >= popcount(mask)) return 0;
  return (uint8_t)(nth_bit(mask, rank) + 1u);
}

static kb_err_t ev_topic(const kb_ha_config_t *c, const ent_t *e, kb_ha_msg_t *m) {
  wr_t w;
  w_init(&w, m->topic, m->topic_size);
  w_state_topic(&w, c, e);
  return w_end(&w, &m->topic_len);
}

kb_err_t kb_ha_event_msg(const kb_ha_config_t *cfg, const kb_event_t *ev, const kb_status_t *st,
                         unsigned i, kb_ha_msg_t *m) {
  ent_t e;
  wr_t w;
  kb_err_t r;
  if (!m) return KB_ERR_ARG;
  msg_clear(m, false);
  if (!ev || kb_ha_config_check(cfg) != KB_OK) return KB_ERR_ARG;
  memset(&e, 0, sizeof e);
  w_init(&w, m->payload, m->payload_size);
  switch (ev->type) {
  case KB_EV_ACCESS_CODE: {
    /* armed or disarmed by a user: the user's number (never a code) */
    bool arm = ev->access.pev.kind == KB_PEV_ARMED_BY_CODE;
    if (i != 0 || (!arm && ev->access.pev.kind != KB_PEV_DISARMED_BY_CODE) ||
        !part_used(cfg, ev->partition))
      return KB_ERR_NOT_READY;
    e.kind = E_EV_ARM;
    e.part = ev->partition;
    w_str(&w, "{\"event_type\":");
    w_jstr(&w, arm ? arm_type(st, ev->partition) : "disarmed");
    w_kv_uint(&w, "partition", ev->partition);
    w_kv_uint(&w, "user", ev->access.user);
    w_str(&w, ",\"name\":\"");
    w_user_name(&w, cfg, ev->access.user);
    w_str(&w, "\"}");
    break;
  }
  case KB_EV_ZONE_ALARM: {
    int zi = zone_index(cfg, ev->zone.zone);
    if (i != 0 || zi < 0) return KB_ERR_NOT_READY;
    e.kind = E_EV_ZONE;
    w_str(&w, "{\"event_type\":");
    w_jstr(&w, ev->zone.on ? "alarm" : "restore");
    w_kv_uint(&w, "zone", ev->zone.zone);
    w_str(&w, ",\"name\":\"");
    w_zone_name(&w, cfg, (unsigned)zi);
    w_str(&w, "\"}");
    break;
  }
  case KB_EV_PANEL_EVENT: {
    /* live events only: buffer entries (0xAA/0xEC) are history being read */
    const kb_ev_panel_t *pe = &ev->panel;
    bool disarm;
    const char *method = pev_arm_method(pe->pev.kind, &disarm);
    if (pe->number != KB_EVENT_LIVE) return KB_ERR_NOT_READY;
    if (i <= 1) { /* the log line, then the same as the last event (retained) */
      e.kind = i == 0 ? E_EV_PANEL : E_LAST;
      w_str(&w, "{\"event_type\":");
      w_jstr(&w, panel_types[pev_category(pe->pev.kind)]);
      w_key(&w, "partitions");
      w_ch(&w, '[');
      for (unsigned p = 1, first = 1; p <= 8; p++) {
        if (!((pe->parts >> (p - 1u)) & 1u)) continue;
        if (!first) w_ch(&w, ',');
        w_uint(&w, p);
        first = 0;
      }
      w_ch(&w, ']');
      if (pe->pev.number) w_kv_uint(&w, "number", pe->pev.number);
      /* the message as the protocol notes write it (set:code, hex), for
       * the kinds a name does not tell apart (unknown, ...) */
      w_key(&w, "raw");
      w_ch(&w, '"');
      w_hex2(&w, pe->pev.set);
      w_ch(&w, ':');
      w_hex2(&w, pe->pev.code);
      w_ch(&w, '"');
      if (pe->time.valid) {
        w_key(&w, "time");
        w_ch(&w, '"');
        w_time(&w, &pe->time);
        w_ch(&w, '"');
      }
      w_ch(&w, '}');
      break;
    }
    /* then an arming without a user, once per partition in use it names */
    uint8_t p = method ? mask_part(cfg, pe->parts, i - 2u) : 0;
    if (!p) return KB_ERR_NOT_READY;
    e.kind = E_EV_ARM;
    e.part = p;
    w_str(&w, "{\"event_type\":");
    w_jstr(&w, disarm ? "disarmed" : arm_type(st, p));
    w_kv_uint(&w, "partition", p);
    w_kv(&w, "method", method);
    w_ch(&w, '}');
    break;
  }
  default: return KB_ERR_NOT_READY;
  }
  r = w_end(&w, &m->payload_len);
  if (r == KB_OK) r = ev_topic(cfg, &e, m);
  if (r != KB_OK) msg_clear(m, false);
  else m->retain = e.kind == E_LAST;
  return r;
}

/* ------------------------------------------------------------ commands */

static const char *const perr_names[KB_HA_PERR_COUNT] = {
    "ok", "size", "json", "field", "type", "partition", "action",
    "code", "keys", "zones", "output", "time", "id"};

const char *kb_ha_perr_name(kb_ha_perr_t e) {
  return (unsigned)e < KB_HA_PERR_COUNT ? perr_names[e] : "?";
}

void kb_ha_cmd_wipe(kb_ha_cmd_t *c) {
  if (!c) return;
  volatile unsigned char *p = (volatile unsigned char *)c;
  for (size_t i = 0; i < sizeof *c; i++) p[i] = 0;
}

/* Wipes all but the id, which the command's result still names. */
void kb_ha_wipe_keep_id(kb_ha_cmd_t *c) {
  char id[sizeof c->id];
  uint8_t kind = c->id_kind;
  memcpy(id, c->id, sizeof id);
  kb_ha_cmd_wipe(c);
  c->id_kind = kind;
  memcpy(c->id, id, sizeof id);
}

kb_err_t kb_ha_cmd_keys(const kb_ha_cmd_t *c, char *buf, size_t size, const char **code_out) {
  static const char *const out_keys[4] = {"[", "]", "{", "}"};
  wr_t w;
  if (code_out) *code_out = NULL;
  if (!c) return KB_ERR_ARG;
  const char *code = c->code[0] ? c->code : NULL;
  w_init(&w, buf, size);
  switch (c->action) {
  case KB_HA_ACT_DISARM: /* typed as digits: the panel takes a code while armed */
    if (!code) return KB_ERR_CODE;
    w_str(&w, code);
    code = NULL;
    break;
  case KB_HA_ACT_ARM_HOME: w_ch(&w, 's'); break;
  case KB_HA_ACT_ARM_AWAY: w_ch(&w, 'w'); break;
  case KB_HA_ACT_ARM_NIGHT: w_ch(&w, 'n'); break;
  case KB_HA_ACT_KEYS: w_str(&w, c->keys); break;
  case KB_HA_ACT_BYPASS:
    w_str(&w, code ? "*1@" : "*1");
    for (unsigned i = 0; i < c->n_zones && i < KB_HA_BYPASS_MAX; i++) {
      w_ch(&w, (char)('0' + c->zones[i] / 10u));
      w_ch(&w, (char)('0' + c->zones[i] % 10u));
    }
    w_ch(&w, '#');
    break;
  case KB_HA_ACT_OUTPUT:
    if (c->output < 1 || c->output > 4) return KB_ERR_ARG;
    w_str(&w, out_keys[c->output - 1u]);
    break;
  /* the keypad's alarm keys (kb_keys.h: f a p, module byte 0, verified by
   * the panel's 0x1C) */
  case KB_HA_ACT_FIRE: w_ch(&w, 'f'); break;
  case KB_HA_ACT_AUX: w_ch(&w, 'a'); break;
  case KB_HA_ACT_PANIC: w_ch(&w, 'p'); break;
  default: return KB_ERR_ARG;
  }
  if (code_out) *code_out = code;
  return w_end(&w, NULL);
}

kb_err_t kb_ha_submit(kb_bus_t *bus, kb_ha_cmd_t *c, uint16_t *id) {
  char keys[KB_KEYS_MAX + 8];
  const char *code = NULL;
  kb_err_t r;
  if (!bus || !c) {
    if (c) kb_ha_wipe_keep_id(c);
    return KB_ERR_ARG;
  }
  if (c->action == KB_HA_ACT_SET_TIME) {
    r = kb_bus_set_time(bus, c->partition, c->year, c->month, c->day, c->hour, c->minute,
                        c->code[0] ? c->code : NULL, id);
  } else {
    r = kb_ha_cmd_keys(c, keys, sizeof keys, &code);
    if (r == KB_OK) r = kb_bus_keys_submit(bus, c->partition, keys, code, id);
    /* a disarm's keys are its code */
    volatile char *vk = keys;
    for (size_t i = 0; i < sizeof keys; i++) vk[i] = 0;
  }
  kb_ha_wipe_keep_id(c);
  return r;
}

/* ------------------------------------------------------------ results */

const char *kb_ha_result_word(kb_keys_result_t r, const kb_keys_info_t *info) {
  switch (r) {
  case KB_KEYS_PENDING: return "pending";
  case KB_KEYS_DONE: return "done";
  case KB_KEYS_REJECTED:
    if (!info) return "rejected";
    switch (info->status) {
    case KB_ST_WRONG_CODE: return "wrong_code";
    case KB_ST_ARMING_FAILED: return "not_ready";
    case KB_ST_NOT_AVAILABLE:
    case KB_ST_NOT_AVAILABLE_2: return "not_available";
    case KB_ST_LOCKOUT: return "lockout";
    default: return "rejected";
    }
  case KB_KEYS_COLLIDED: return "collided";
  case KB_KEYS_TIMED_OUT: return "timeout";
  case KB_KEYS_DISCONNECTED: return "disconnected";
  case KB_KEYS_INVALID:
    if (!info) return "invalid";
    switch (info->reason) {
    case KB_KEYS_REASON_EARLY:
    case KB_KEYS_REASON_DISABLED: return "not_available";
    case KB_KEYS_REASON_CODE_LENGTH: return "invalid_code";
    default: return "invalid";
    }
  case KB_KEYS_NOT_VERIFIED: return "not_verified";
  case KB_KEYS_UNCERTAIN: return "uncertain";
  default: return "unknown";
  }
}

const char *kb_ha_err_word(kb_err_t e) {
  switch (e) {
  case KB_OK: return "queued";
  case KB_ERR_FULL:
  case KB_ERR_BUSY: return "busy";
  case KB_ERR_NOT_READY: return "not_ready";
  case KB_ERR_CODE: return "invalid_code";
  case KB_ERR_ARG:
  case KB_ERR_KEY:
  case KB_ERR_PARTITION:
  case KB_ERR_RANGE: return "invalid_request";
  default: return "error";
  }
}

static bool word_ok(const char *s) {
  if (!s || !*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

kb_err_t kb_ha_result_json(const kb_ha_cmd_t *cmd, const char *word, const char *detail,
                           char *buf, size_t size, size_t *len) {
  wr_t w;
  if (len) *len = 0;
  if (!word_ok(word) || (detail && !word_ok(detail))) return KB_ERR_ARG;
  w_init(&w, buf, size);
  w_ch(&w, '{');
  if (cmd && cmd->id_kind) { /* checked plain by the parser: no escaping */
    w_str(&w, "\"id\":");
    if (cmd->id_kind == 1) w_ch(&w, '"');
    size_t n = 0;
    while (n < KB_HA_CMD_ID_MAX && cmd->id[n]) n++;
    w_mem(&w, cmd->id, n);
    if (cmd->id_kind == 1) w_ch(&w, '"');
    w_ch(&w, ',');
  }
  w_str(&w, "\"result\":");
  w_jstr(&w, word);
  if (detail) w_kv(&w, "detail", detail);
  w_ch(&w, '}');
  return w_end(&w, len);
}
