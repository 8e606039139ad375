/* SPDX-License-Identifier: MIT
 *
 * fuzz_ha_out.c - the Home Assistant writers (src/ha/kb_ha.c) on arbitrary
 * engine state: kb_ha_state, kb_ha_discovery, kb_ha_mark/kb_ha_next_dirty,
 * kb_ha_event_msg and kb_ha_health, for a configuration, a kb_status_t, a
 * kb_health_t and a kb_event_t all taken from the input.
 * Input: 8 bytes of configuration (partitions, zone count, flags, PGM mask,
 * buttons, the entity to discover), then the raw bytes of a kb_status_t, a
 * kb_event_t and a kb_health_t (short inputs are padded with zeros;
 * tests/fuzz/seeds.py writes a few from real states).
 * Invariants (kb_ha.h): with buffers of the documented sizes nothing is ever
 * refused as too long (KB_ERR_FULL) whatever the state; every discovery
 * document, user state, event and health payload is JSON to cJSON; state
 * payloads are their length; an entity without a state says so
 * (KB_ERR_NOT_READY, empty buffers) and is never yielded dirty; event
 * messages are never retained (but the last event's copy of a panel log
 * line, on its own topic), hold an "event_type" and stop with
 * KB_ERR_NOT_READY.
 */
#include <cJSON.h>

#include "fuzz.h"

#include "ha/kb_ha.h"

static const char *const user_names[] = {"Alice", NULL, "B\"o\\b"};
static const kb_ha_zone_t zone_tab[] = {
    {1, KB_HA_CLASS_DOOR, "Front \"door\""}, {2, KB_HA_CLASS_WINDOW, NULL}, {7, KB_HA_CLASS_MOTION, "Hall"},
    {33, KB_HA_CLASS_SMOKE, NULL},           {64, KB_HA_CLASS_CO, "Garage"}};

static void json_ok(const char *s, size_t len) {
  FZ_ASSERT(strlen(s) == len);
  cJSON *o = cJSON_Parse(s);
  FZ_ASSERT(o != NULL && cJSON_IsObject(o));
  cJSON_Delete(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char topic[KB_HA_TOPIC_SIZE], doc[KB_HA_DOC_SIZE], state[KB_HA_STATE_SIZE],
      ev_buf[KB_HA_EVENT_SIZE], health[KB_HA_HEALTH_SIZE];
  fz_t z = {data, size};
  kb_ha_config_t c;
  kb_status_t st;
  kb_event_t ev;
  kb_health_t h;
  kb_ha_extra_t x;
  memset(&c, 0, sizeof c);
  c.device_id = "fz";
  c.sw_version = "0.8.0";
  c.partitions = fz_u8(&z);
  uint8_t nz = fz_u8(&z), flags = fz_u8(&z);
  c.n_zones = (uint8_t)(nz % (sizeof zone_tab / sizeof zone_tab[0] + 1));
  c.zones = c.n_zones ? zone_tab : NULL;
  c.no_zone_extras = flags & 1u;
  c.health_heap = (flags >> 1) & 1u;
  c.arm_modes = (uint8_t)((flags >> 2) & 7u);
  c.user_names = user_names;
  c.n_user_names = (flags >> 5) & 1u ? 3 : 0;
  c.pgm_outputs = (uint16_t)(fz_u16(&z) & 0x3FFFu);
  uint8_t b = fz_u8(&z);
  c.button_outputs = b & 0x0Fu;
  c.alarm_buttons = (b >> 4) & 0x07u;
  uint8_t pick = fz_u8(&z);
  fz_u8(&z); /* reserved: keeps the structs' offsets in the seeds */
  fz_bytes(&z, (uint8_t *)&st, sizeof st);
  fz_bytes(&z, (uint8_t *)&ev, sizeof ev);
  fz_bytes(&z, (uint8_t *)&h, sizeof h);
  kb_ha_extra_init(&x);
  x.uptime_s = h.frames;
  x.last_frame_age_ms = h.last_frame_ms;
  x.healthy = (flags >> 6) & 1u;
  if (flags >> 7) x.heap_free = x.heap_min_free = x.heap_largest = x.alloc_failed = x.edges_lost = (int64_t)h.runts;

  kb_ha_msg_t m;
  size_t n = kb_ha_entities(&c);
  if (kb_ha_config_check(&c) != KB_OK) {
    FZ_ASSERT(n == 0);
    return 0;
  }
  FZ_ASSERT(n >= 1 && n <= KB_HA_ENTITIES_MAX);

  /* every state; the stateless ones refuse with empty buffers */
  for (size_t i = 0; i < n; i++) {
    m = (kb_ha_msg_t){topic, sizeof topic, 0, state, sizeof state, 0, false};
    kb_err_t r = kb_ha_state(&c, i, &st, &m);
    /* an entity the panel cannot report (kb_status_t.absent, zones_max on a
     * Classic) has no state: nothing to publish, never a made-up value */
    if (kb_ha_has_state(&c, i) && kb_ha_present(&c, i, &st)) {
      FZ_ASSERT(r == KB_OK && m.retain);
      FZ_ASSERT(m.payload_len == strlen(state) && m.payload_len > 0 && m.topic_len == strlen(topic));
      if (state[0] == '{') json_ok(state, m.payload_len);
    } else {
      FZ_ASSERT(r == KB_ERR_NOT_READY && topic[0] == '\0' && state[0] == '\0');
    }
  }
  /* one entity's discovery document (all of them would be slow) */
  m = (kb_ha_msg_t){topic, sizeof topic, 0, doc, sizeof doc, 0, false};
  FZ_ASSERT(kb_ha_discovery(&c, pick % n, &st, &m) == KB_OK && m.retain);
  if (kb_ha_present(&c, pick % n, &st))
    json_ok(doc, m.payload_len);
  else /* an absent entity's config is empty: Home Assistant removes the entity */
    FZ_ASSERT(m.payload_len == 0 && m.topic_len == strlen(topic) && m.topic_len > 0);

  /* the event: what it marks is yielded, stateful entities only */
  kb_ha_dirty_t d;
  memset(&d, 0, sizeof d);
  kb_ha_mark(&c, &ev, &d);
  for (unsigned k = 0;; k++) {
    FZ_ASSERT(k <= n);
    m = (kb_ha_msg_t){topic, sizeof topic, 0, state, sizeof state, 0, false};
    kb_err_t r = kb_ha_next_dirty(&c, &st, &d, &m);
    if (r == KB_ERR_NOT_READY) break;
    FZ_ASSERT(r == KB_OK && m.payload_len > 0);
  }
  /* its event messages */
  unsigned i = 0;
  for (;; i++) {
    FZ_ASSERT(i <= KB_MAX_PARTITIONS + 2u);
    m = (kb_ha_msg_t){topic, sizeof topic, 0, ev_buf, sizeof ev_buf, 0, true};
    kb_err_t r = kb_ha_event_msg(&c, &ev, &st, i, &m);
    if (r == KB_ERR_NOT_READY) {
      FZ_ASSERT(topic[0] == '\0' && ev_buf[0] == '\0');
      break;
    }
    /* retained: only the last event sensor's copy of a panel log line */
    FZ_ASSERT(r == KB_OK && m.topic_len == strlen(topic));
    FZ_ASSERT(m.retain == (strstr(topic, "/last_event") != NULL && strlen(strstr(topic, "/last_event")) == 11));
    FZ_ASSERT(strncmp(ev_buf, "{\"event_type\":\"", 15) == 0);
    json_ok(ev_buf, m.payload_len);
  }

  /* health */
  m = (kb_ha_msg_t){topic, sizeof topic, 0, health, sizeof health, 0, false};
  FZ_ASSERT(kb_ha_health(&c, &h, &x, &m) == KB_OK && m.retain);
  json_ok(health, m.payload_len);
  return 0;
}
