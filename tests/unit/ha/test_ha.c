/* SPDX-License-Identifier: MIT
 *
 * test_ha.c - the Home Assistant contract (src/ha/kb_ha.h): every discovery
 * document is JSON (cJSON) with a unique_id, availability and its topics;
 * the alarm state of each partition state; dirty marking publishes exactly
 * what changed; the command parser on good input and on every error class;
 * the result table; submitting on a real kb_bus.
 */
#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_conf.h"
#include "ha/kb_ha.h"
#include "ha/kb_status_words.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_classic.h"
#include "keybus/kb_proto.h"

static char topic[KB_HA_TOPIC_SIZE], doc[KB_HA_DOC_SIZE];

static kb_ha_msg_t msg(void) {
  kb_ha_msg_t m;
  memset(&m, 0, sizeof m);
  m.topic = topic;
  m.topic_size = sizeof topic;
  m.payload = doc;
  m.payload_size = sizeof doc;
  return m;
}

static const kb_ha_zone_t zones3[] = {
    {1, KB_HA_CLASS_DOOR, "Front \"door\""}, {2, KB_HA_CLASS_WINDOW, NULL}, {7, KB_HA_CLASS_MOTION, "Hall"}};

static kb_ha_config_t cfg2(void) {
  kb_ha_config_t c;
  memset(&c, 0, sizeof c);
  c.device_id = "house1";
  c.sw_version = "0.8.0";
  c.partitions = 0x03;
  c.n_zones = 3;
  c.zones = zones3;
  return c;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Home Assistant's rendering of the command template (the two variables). */
static void render(const char *tpl, const char *action, const char *code, char *out, size_t n) {
  size_t o = 0;
  while (*tpl && o + 1 < n) {
    if (strncmp(tpl, "{{ action }}", 12) == 0) {
      o += (size_t)snprintf(out + o, n - o, "%s", action);
      tpl += 12;
    } else if (strncmp(tpl, "{{ code }}", 10) == 0) {
      o += (size_t)snprintf(out + o, n - o, "%s", code);
      tpl += 10;
    } else {
      out[o++] = *tpl++;
    }
  }
  out[o] = '\0';
}

static void test_discovery_documents(void) {
  kb_ha_config_t c = cfg2();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  st.version = 0x41;
  size_t n = kb_ha_entities(&c);
  /* system 4, partitions 3 x 2, zones 3, zone extras 3 x 3, status and
   * user 2 x 2, time, health 10, arming events 2, zone events, panel log,
   * last event */
  KT_EQ(n, 4 + 3 * 2 + 3 + 9 + 4 + 1 + KB_HA_HEALTH_BASE + 2 + 1 + 1 + 1);
  char uids[64][64];
  char status_t[KB_HA_TOPIC_SIZE], conn_t[KB_HA_TOPIC_SIZE], cmd_t[KB_HA_TOPIC_SIZE];
  char health_t[KB_HA_TOPIC_SIZE];
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_HEALTH, health_t, sizeof health_t, NULL), KB_OK);
  KT_STREQ(health_t, "keybus/house1/health");
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_STATUS, status_t, sizeof status_t, NULL), KB_OK);
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_CONNECTED, conn_t, sizeof conn_t, NULL), KB_OK);
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_COMMAND, cmd_t, sizeof cmd_t, NULL), KB_OK);
  KT_STREQ(status_t, "keybus/house1/status");
  KT_STREQ(cmd_t, "keybus/house1/command");
  unsigned panels = 0, zones = 0;
  for (size_t i = 0; i < n; i++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_OK);
    KT_EQ(m.payload_len, strlen(doc));
    KT_EQ(m.topic_len, strlen(topic));
    KT_CHECK(m.retain);
    KT_CHECK(strncmp(topic, "homeassistant/", 14) == 0);
    KT_CHECK(strstr(topic, "/house1/") != NULL);
    cJSON *o = cJSON_Parse(doc);
    KT_CHECK(o != NULL);
    if (!o) {
      fprintf(stderr, "not JSON: %s\n", doc);
      continue;
    }
    const char *uid = jstr(o, "unique_id");
    KT_CHECK(uid != NULL);
    if (uid) {
      snprintf(uids[i], sizeof uids[i], "%s", uid);
      for (size_t j = 0; j < i; j++) KT_CHECK(strcmp(uids[j], uid) != 0);
    }
    KT_CHECK(jstr(o, "name") != NULL);
    /* state topic = the one kb_ha_state() publishes to; the entities
     * without a retained state of their own read the health topic or an
     * event topic, or (buttons) have none */
    char st_topic[KB_HA_TOPIC_SIZE];
    kb_ha_msg_t s = msg();
    s.topic = st_topic;
    s.topic_size = sizeof st_topic;
    char pay[KB_HA_STATE_SIZE];
    s.payload = pay;
    s.payload_size = sizeof pay;
    bool is_health = strncmp(topic, "homeassistant/sensor/house1/health", 34) == 0 ||
                     strcmp(topic, "homeassistant/binary_sensor/house1/health/config") == 0;
    bool is_event = strncmp(topic, "homeassistant/event/", 20) == 0;
    bool is_last = strcmp(topic, "homeassistant/sensor/house1/last_event/config") == 0;
    if (kb_ha_has_state(&c, i)) {
      KT_EQ(kb_ha_state(&c, i, &st, &s), KB_OK);
      KT_STREQ(jstr(o, "state_topic"), st_topic);
      KT_CHECK(!is_health && !is_event);
    } else {
      KT_EQ(kb_ha_state(&c, i, &st, &s), KB_ERR_NOT_READY);
      KT_EQ(s.topic_len, 0);
      KT_EQ(pay[0], '\0');
      KT_CHECK(is_health || is_event || is_last);
      if (is_health) KT_STREQ(jstr(o, "state_topic"), health_t);
      /* the last event: written by kb_ha_event_msg, retained */
      if (is_last) {
        KT_STREQ(jstr(o, "state_topic"), "keybus/house1/last_event");
        KT_STREQ(jstr(o, "json_attributes_topic"), "keybus/house1/last_event");
        KT_STREQ(jstr(o, "value_template"), "{{ value_json.event_type }}");
      }
      if (is_event) {
        const char *t = jstr(o, "state_topic");
        KT_CHECK(t && strncmp(t, "keybus/house1/", 14) == 0 && strstr(t, "event") != NULL);
        KT_CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "event_types")) >= 2);
      }
      snprintf(st_topic, sizeof st_topic, "%s", is_health ? health_t : "");
    }
    /* availability: LWT and keybus connected, both required (but for the
     * bus's own sensor and health, which matter most when it is gone) */
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(o, "availability");
    KT_CHECK(cJSON_IsArray(av));
    KT_STREQ(jstr(cJSON_GetArrayItem(av, 0), "topic"), status_t);
    KT_STREQ(jstr(o, "availability_mode"), "all");
    bool is_conn = strcmp(st_topic, conn_t) == 0 || is_health;
    KT_EQ(cJSON_GetArraySize(av), is_conn ? 1 : 2);
    if (!is_conn) KT_STREQ(jstr(cJSON_GetArrayItem(av, 1), "topic"), conn_t);
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(o, "device");
    KT_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(dev, "identifiers")));
    KT_STREQ(jstr(dev, "model"), "PowerSeries");
    KT_STREQ(jstr(dev, "sw_version"), "0.8.0");
    KT_STREQ(jstr(dev, "hw_version"), "4.1");
    KT_STREQ(jstr(cJSON_GetObjectItemCaseSensitive(o, "origin"), "name"), "keybus");
    if (strncmp(topic, "homeassistant/alarm_control_panel/", 34) == 0) {
      panels++;
      KT_STREQ(jstr(o, "command_topic"), cmd_t);
      KT_STREQ(jstr(o, "code"), "REMOTE_CODE");
      KT_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "code_arm_required")));
      KT_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "code_disarm_required")));
      KT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "supported_features")), 3);
      /* what Home Assistant sends parses back to this partition's command */
      const char *acts[] = {"disarm", "arm_home", "arm_away", "arm_night"};
      for (unsigned a = 0; a < 4; a++) {
        const char *payload = jstr(o, a == 0 ? "payload_disarm" : a == 1 ? "payload_arm_home"
                                                 : a == 2 ? "payload_arm_away" : "payload_arm_night");
        KT_STREQ(payload, acts[a]);
        char cmd[256];
        render(jstr(o, "command_template"), payload ? payload : "", "1234", cmd, sizeof cmd);
        kb_ha_cmd_t pc;
        KT_EQ(kb_ha_parse_command(cmd, strlen(cmd), &pc), KB_HA_PERR_OK);
        KT_EQ(pc.action, KB_HA_ACT_DISARM + a);
        KT_EQ(pc.partition, panels);
        KT_STREQ(pc.code, "1234");
      }
    }
    if (strncmp(topic, "homeassistant/binary_sensor/house1/zone_", 40) == 0 &&
        strchr(topic + 40, '_') == NULL) { /* zone_<z>, not zone_<z>_alarm */
      zones++;
      const char *want[] = {"door", "window", "motion"};
      KT_STREQ(jstr(o, "device_class"), want[zones - 1]);
      if (zones == 1) KT_STREQ(jstr(o, "name"), "Front \"door\"");
      if (zones == 2) KT_STREQ(jstr(o, "name"), "Zone 2");
    }
    cJSON_Delete(o);
  }
  KT_EQ(panels, 2);
  KT_EQ(zones, 3);
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_discovery(&c, n, &st, &m), KB_ERR_ARG);
}

static void test_topic_prefix_and_device_id(void) {
  kb_ha_config_t c = cfg2();
  c.prefix = "alarm/dsc";
  c.discovery = "ha";
  c.device_id = "barn";
  char t[KB_HA_TOPIC_SIZE];
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_RESULT, t, sizeof t, NULL), KB_OK);
  KT_STREQ(t, "alarm/dsc/barn/result");
  KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_HA_STATUS, t, sizeof t, NULL), KB_OK);
  KT_STREQ(t, "ha/status");
  kb_ha_msg_t m = msg();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  KT_EQ(kb_ha_discovery(&c, 4, &st, &m), KB_OK);
  KT_STREQ(topic, "ha/alarm_control_panel/barn/p1/config");
  KT_EQ(kb_ha_state(&c, 4, &st, &m), KB_OK);
  KT_STREQ(topic, "alarm/dsc/barn/partition/1/state");
  /* ids and prefixes that would break a topic */
  const char *bad_ids[] = {"", "a+b", "a#", "a/b", "with space", "0123456789012345678901234567890123"};
  for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
    c.device_id = bad_ids[i];
    KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
    KT_EQ(kb_ha_entities(&c), 0);
    KT_EQ(kb_ha_topic(&c, KB_HA_TOPIC_STATUS, t, sizeof t, NULL), KB_ERR_ARG);
  }
  c.device_id = "barn";
  const char *bad_pfx[] = {"/a", "a/", "a//b", "a/+", "#"};
  for (size_t i = 0; i < sizeof bad_pfx / sizeof bad_pfx[0]; i++) {
    c.prefix = bad_pfx[i];
    KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  }
  c.prefix = NULL;
  kb_ha_zone_t dup[2] = {{3, 0, NULL}, {3, 1, NULL}};
  c.zones = dup;
  c.n_zones = 2;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  dup[1].zone = KB_MAX_ZONES + 1;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  dup[1].zone = 4;
  dup[1].dev_class = KB_HA_CLASS_COUNT;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  dup[1].dev_class = KB_HA_CLASS_SMOKE;
  dup[1].name = "tab\there";
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  dup[1].name = NULL;
  KT_EQ(kb_ha_config_check(&c), KB_OK);
}

static void test_supported_features_hide_modes(void) {
  kb_ha_config_t c = cfg2();
  c.arm_modes = KB_HA_ARM_AWAY;
  c.arm_without_code = 1;
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_discovery(&c, 4, NULL, &m), KB_OK);
  cJSON *o = cJSON_Parse(doc);
  KT_CHECK(o != NULL);
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "supported_features");
  KT_EQ(cJSON_GetArraySize(f), 1);
  KT_STREQ(cJSON_GetArrayItem(f, 0)->valuestring, "arm_away");
  KT_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "code_arm_required")));
  KT_CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "code_disarm_required")));
  /* no panel version yet: no hw_version */
  KT_CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "device"),
                                            "hw_version") == NULL);
  cJSON_Delete(o);
}

/* The worst case fits the documented sizes; one byte less is refused whole. */
static void test_buffers_bounded(void) {
  static char name[KB_HA_NAME_MAX + 1];
  static kb_ha_zone_t z[KB_MAX_ZONES];
  static const char *users[KB_HA_USERS_MAX];
  memset(name, '"', KB_HA_NAME_MAX); /* every character escaped */
  for (unsigned i = 0; i < KB_MAX_ZONES; i++) z[i] = (kb_ha_zone_t){(uint8_t)(i + 1), KB_HA_CLASS_CO, name};
  for (unsigned i = 0; i < KB_HA_USERS_MAX; i++) users[i] = name;
  kb_ha_config_t c;
  memset(&c, 0, sizeof c);
  c.device_id = "01234567890123456789012345678901";
  c.prefix = "01234567890123456789012345678901";
  c.discovery = "01234567890123456789012345678901";
  c.name = c.model = c.sw_version = name;
  c.partitions = 0xFF;
  c.zones = z;
  c.n_zones = KB_MAX_ZONES;
  c.user_names = users;
  c.n_user_names = KB_HA_USERS_MAX;
  c.pgm_outputs = 0x3FFF;
  c.button_outputs = 0x0F;
  c.alarm_buttons = KB_HA_BTN_FIRE | KB_HA_BTN_AUX | KB_HA_BTN_PANIC;
  c.button_partition = 8;
  c.health_heap = 1;
  KT_EQ(kb_ha_config_check(&c), KB_OK);
  kb_status_t st;
  memset(&st, 0, sizeof st);
  st.version = 0x99;
  st.time = (kb_time_t){2099, 12, 31, 23, 59, 1};
  for (unsigned p = 0; p < KB_MAX_PARTITIONS; p++) {
    st.part[p].known = 1;
    st.part[p].status = 0xB0; /* the longest words: "*6 remote programming (DLS) allowed" */
    st.part[p].access_code = 95;
  }
  size_t n = kb_ha_entities(&c);
  KT_EQ(n, KB_HA_ENTITIES_MAX);
  size_t longest = 0, longest_state = 0;
  char state[KB_HA_STATE_SIZE];
  for (size_t i = 0; i < n; i++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_OK);
    if (m.payload_len > longest) longest = m.payload_len;
    cJSON *o = cJSON_Parse(doc);
    KT_CHECK(o != NULL);
    cJSON_Delete(o);
    m.payload = state;
    m.payload_size = sizeof state;
    KT_EQ(kb_ha_state(&c, i, &st, &m), kb_ha_has_state(&c, i) ? KB_OK : KB_ERR_NOT_READY);
    if (m.payload_len > longest_state) longest_state = m.payload_len;
  }
  KT_CHECK(longest_state > 100); /* the user's name, all escaped, was there */
  /* one byte short: KB_ERR_FULL and an empty string, never a cut document */
  for (size_t i = 0; i < n; i += 7) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_OK);
    size_t need = m.payload_len + 1;
    m.payload_size = need - 1;
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_ERR_FULL);
    KT_EQ(doc[0], '\0');
    KT_EQ(m.payload_len, 0);
    m.payload_size = need;
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_OK);
    m.topic_size = m.topic_len;
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_ERR_FULL);
    KT_EQ(topic[0], '\0');
    KT_EQ(doc[0], '\0'); /* no stale document beside a refused topic */
  }
  /* health: every counter at its largest */
  kb_health_t h;
  memset(&h, 0xFF, sizeof h);
  kb_ha_extra_t x;
  memset(&x, 0, sizeof x);
  x.uptime_s = x.last_frame_age_ms = x.mqtt_dropped = x.mqtt_reconnects = UINT32_MAX - 1;
  x.edges_lost = x.heap_free = x.heap_min_free = x.heap_largest = x.alloc_failed = INT64_MAX;
  char hp[KB_HA_HEALTH_SIZE];
  kb_ha_msg_t m = msg();
  m.payload = hp;
  m.payload_size = sizeof hp;
  KT_EQ(kb_ha_health(&c, &h, &x, &m), KB_OK);
  size_t health_len = m.payload_len;
  cJSON *o = cJSON_Parse(hp);
  KT_CHECK(o != NULL);
  cJSON_Delete(o);
  m.payload_size = health_len;
  KT_EQ(kb_ha_health(&c, &h, &x, &m), KB_ERR_FULL);
  KT_EQ(hp[0], '\0');
  /* events: a named user, a named zone */
  char ep[KB_HA_EVENT_SIZE];
  size_t event_len = 0;
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ACCESS_CODE;
  ev.partition = 8;
  ev.access.user = 95;
  ev.access.pev.kind = KB_PEV_ARMED_BY_CODE;
  m = msg();
  m.payload = ep;
  m.payload_size = sizeof ep;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  if (m.payload_len > event_len) event_len = m.payload_len;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_ALARM;
  ev.zone.on = 1;
  ev.zone.zone = 64;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  if (m.payload_len > event_len) event_len = m.payload_len;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PANEL_EVENT;
  ev.panel.pev.kind = KB_PEV_ZONE_ALARM;
  ev.panel.pev.number = 64;
  ev.panel.pev.set = 0x18;
  ev.panel.pev.code = 0xFF;
  ev.panel.parts = 0xFF;
  ev.panel.number = KB_EVENT_LIVE;
  ev.panel.time = st.time;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  if (m.payload_len > event_len) event_len = m.payload_len;
  fprintf(stderr,
          "kt: ha: longest discovery document %zu bytes (KB_HA_DOC_SIZE %d), state %zu (%d), "
          "health %zu (%d), event %zu (%d)\n",
          longest, KB_HA_DOC_SIZE, longest_state, KB_HA_STATE_SIZE, health_len, KB_HA_HEALTH_SIZE,
          event_len, KB_HA_EVENT_SIZE);
  c.name = NULL;
  name[0] = 'x';
}

static void test_alarm_state_mapping(void) {
  kb_partition_t p;
  memset(&p, 0, sizeof p);
  KT_CHECK(kb_ha_alarm_state(&p) == NULL); /* nothing known yet */
  p.known = 1;
  p.status = KB_ST_DISABLED;
  KT_CHECK(kb_ha_alarm_state(&p) == NULL);
  p.status = KB_ST_READY;
  KT_STREQ(kb_ha_alarm_state(&p), "disarmed");
  p.status = KB_ST_EXIT_DELAY;
  p.exit_delay = 1;
  p.exit_target = KB_EXIT_AWAY;
  KT_STREQ(kb_ha_alarm_state(&p), "arming");
  p.exit_delay = 0;
  p.status = KB_ST_ARMED_AWAY;
  p.armed = KB_ARMED_AWAY;
  KT_STREQ(kb_ha_alarm_state(&p), "armed_away");
  p.status = KB_ST_ARMED_STAY;
  p.armed = KB_ARMED_STAY;
  KT_STREQ(kb_ha_alarm_state(&p), "armed_home");
  p.status = KB_ST_ARMED_STAY_NO_ENTRY;
  p.no_entry_delay = 1;
  KT_STREQ(kb_ha_alarm_state(&p), "armed_night");
  p.no_entry_delay = 0;
  p.status = KB_ST_ENTRY_DELAY;
  p.armed = KB_ARMED_AWAY;
  p.entry_delay = 1;
  KT_STREQ(kb_ha_alarm_state(&p), "pending");
  p.status = KB_ST_ALARM;
  p.alarm = 1;
  KT_STREQ(kb_ha_alarm_state(&p), "triggered");
  /* the state payload: unknown is HA's "None" */
  kb_ha_config_t c = cfg2();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_state(&c, 4, &st, &m), KB_OK);
  KT_STREQ(doc, "None");
  st.part[1] = p;
  KT_EQ(kb_ha_state(&c, 7, &st, &m), KB_OK); /* partition 2's panel */
  KT_STREQ(topic, "keybus/house1/partition/2/state");
  KT_STREQ(doc, "triggered");
}

static void test_system_states(void) {
  kb_ha_config_t c = cfg2();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  st.connected = 1;
  st.ac_power = 1;
  st.battery_ok = 0;
  st.trouble = 1;
  st.part[0].ready = 1;
  st.part[1].fire = 1;
  st.zones_open[0] = 0x02; /* zone 2 */
  struct { size_t i; const char *t, *v; } want[] = {
      {0, "keybus/house1/connected", "online"}, {1, "keybus/house1/trouble", "ON"},
      {2, "keybus/house1/ac_power", "ON"},      {3, "keybus/house1/battery", "ON"},
      {5, "keybus/house1/partition/1/ready", "ON"}, {6, "keybus/house1/partition/1/fire", "OFF"},
      {8, "keybus/house1/partition/2/ready", "OFF"}, {9, "keybus/house1/partition/2/fire", "ON"},
      {10, "keybus/house1/zone/1", "OFF"},     {11, "keybus/house1/zone/2", "ON"},
      {12, "keybus/house1/zone/7", "OFF"}};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_state(&c, want[k].i, &st, &m), KB_OK);
    KT_STREQ(topic, want[k].t);
    KT_STREQ(doc, want[k].v);
  }
  st.connected = 0;
  st.battery_ok = 1;
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_state(&c, 0, &st, &m), KB_OK);
  KT_STREQ(doc, "offline");
  KT_EQ(kb_ha_state(&c, 3, &st, &m), KB_OK);
  KT_STREQ(doc, "OFF");
}

static void test_dirty_publishes_what_changed(void) {
  kb_ha_config_t c = cfg2();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  kb_ha_dirty_t d;
  memset(&d, 0, sizeof d);
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_ERR_NOT_READY);
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_OPEN;
  ev.zone.on = 1;
  ev.zone.zone = 7;
  st.zones_open[0] = 0x40;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.zone.zone = 9; /* not configured: nothing */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_EXIT_DELAY;
  ev.partition = 2;
  st.part[1].known = 1;
  st.part[1].status = KB_ST_EXIT_DELAY;
  st.part[1].exit_delay = 1;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_READY; /* twice: one message */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_KEY; /* not a state */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_READY;
  ev.partition = 3; /* not in use */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_VERSION;
  KT_EQ(kb_ha_mark(&c, &ev, &d), KB_HA_MARK_ANNOUNCE);
  const char *want[][2] = {{"keybus/house1/partition/2/state", "arming"},
                           {"keybus/house1/partition/2/ready", "OFF"},
                           {"keybus/house1/zone/7", "ON"}};
  for (unsigned k = 0; k < 3; k++) {
    KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_OK);
    KT_STREQ(topic, want[k][0]);
    KT_STREQ(doc, want[k][1]);
  }
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_ERR_NOT_READY);
  ev.type = KB_EV_SYNCED; /* everything */
  kb_ha_mark(&c, &ev, &d);
  unsigned n = 0;
  while (kb_ha_next_dirty(&c, &st, &d, &m) == KB_OK) n++;
  unsigned with_state = 0;
  for (size_t i = 0; i < kb_ha_entities(&c); i++) with_state += kb_ha_has_state(&c, i);
  KT_EQ(with_state, kb_ha_entities(&c) - KB_HA_HEALTH_BASE - 2 - 1 - 1 - 1); /* no health, events, last event */
  KT_EQ(n, with_state);
}

/* ------------------------------------------------- later entities (issue 8) */

static const char *const names4[] = {"Alice", NULL, "Bob \"B\""};

static kb_ha_config_t cfg_all(void) {
  kb_ha_config_t c = cfg2();
  c.pgm_outputs = 0x0005; /* PGM 1 and 3 */
  c.button_outputs = 0x02; /* command output 2 */
  c.alarm_buttons = KB_HA_BTN_FIRE | KB_HA_BTN_PANIC;
  c.health_heap = 1;
  c.user_names = names4;
  c.n_user_names = 3;
  return c;
}

/* The unique id (object id) of entity i. */
static void uid_of(const kb_ha_config_t *c, size_t i, char *out, size_t n) {
  kb_ha_msg_t m = msg();
  out[0] = '\0';
  KT_EQ(kb_ha_discovery(c, i, NULL, &m), KB_OK);
  cJSON *o = cJSON_Parse(doc);
  KT_CHECK(o != NULL);
  const char *u = jstr(o, "unique_id");
  snprintf(out, n, "%s", u ? u : "?");
  cJSON_Delete(o);
}

/* The documented order (docs/home-assistant.md), entity by entity: the
 * first 13 are the entities of before, at their old numbers. */
static void test_entity_order(void) {
  static const char *const want[] = {
      "connected", "trouble", "ac_power", "battery", "p1", "p1_ready", "p1_fire", "p2", "p2_ready",
      "p2_fire", "zone_1", "zone_2", "zone_7",
      "zone_1_alarm", "zone_1_bypass", "zone_1_tamper", "zone_2_alarm", "zone_2_bypass",
      "zone_2_tamper", "zone_7_alarm", "zone_7_bypass", "zone_7_tamper",
      "p1_status", "p1_user", "p2_status", "p2_user", "panel_time", "pgm_1", "pgm_3",
      "health", "health_frames", "health_bad_frames", "health_ring_overflows",
      "health_ring_high_water", "health_last_frame_age_s", "health_mqtt_dropped",
      "health_mqtt_reconnects", "health_uptime_s", "health_edges_lost", "health_heap_free",
      "health_heap_min_free", "health_heap_largest", "health_alloc_failed",
      "output_2", "fire_alarm", "panic_alarm", "p1_arming", "p2_arming", "zone_alarms",
      "panel_log", "last_event"};
  kb_ha_config_t c = cfg_all();
  size_t n = kb_ha_entities(&c);
  KT_EQ(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n && i < sizeof want / sizeof want[0]; i++) {
    char u[96], w[96];
    uid_of(&c, i, u, sizeof u);
    snprintf(w, sizeof w, "house1_%s", want[i]);
    KT_STREQ(u, w);
  }
  /* without the zone extras: the nine go, the rest move up in order */
  c.no_zone_extras = 1;
  KT_EQ(kb_ha_entities(&c), n - 9);
  for (size_t i = 0; i < kb_ha_entities(&c); i++) {
    char u[96], w[96];
    uid_of(&c, i, u, sizeof u);
    snprintf(w, sizeof w, "house1_%s", want[i < 13 ? i : i + 9]);
    KT_STREQ(u, w);
  }
  /* the config's new fields are checked */
  c = cfg_all();
  c.pgm_outputs = 0x4000; /* PGM 15 */
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  c = cfg_all();
  c.button_outputs = 0x10;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  c = cfg_all();
  c.alarm_buttons = 0x08;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  c = cfg_all();
  c.button_partition = 3; /* not in use */
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  c.button_partition = 2;
  KT_EQ(kb_ha_config_check(&c), KB_OK);
  c.n_user_names = KB_HA_USERS_MAX + 1;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  c.n_user_names = 2;
  c.user_names = NULL;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
  static const char *const bad_names[] = {"ok", "line\nbreak"};
  c.user_names = bad_names;
  KT_EQ(kb_ha_config_check(&c), KB_ERR_ARG);
}

/* The index of the entity whose unique id is house1_<obj>. */
static size_t find(const kb_ha_config_t *c, const char *obj) {
  char w[96];
  snprintf(w, sizeof w, "house1_%s", obj);
  for (size_t i = 0; i < kb_ha_entities(c); i++) {
    char u[96];
    uid_of(c, i, u, sizeof u);
    if (strcmp(u, w) == 0) return i;
  }
  KT_CHECK(!"entity not found");
  return 0;
}

static void state_is(const kb_ha_config_t *c, const char *obj, const kb_status_t *st,
                     const char *want_topic, const char *want) {
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_state(c, find(c, obj), st, &m), KB_OK);
  KT_STREQ(topic, want_topic);
  KT_STREQ(doc, want);
  KT_CHECK(m.retain);
  KT_EQ(m.payload_len, strlen(want));
}

static void test_new_states(void) {
  kb_ha_config_t c = cfg_all();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  /* nothing known yet: unknown, never a made-up value */
  state_is(&c, "p1_status", &st, "keybus/house1/partition/1/status", "None");
  state_is(&c, "p1_user", &st, "keybus/house1/partition/1/user", "{\"user\":null,\"name\":null}");
  state_is(&c, "panel_time", &st, "keybus/house1/time", "None");
  state_is(&c, "zone_7_alarm", &st, "keybus/house1/zone/7/alarm", "OFF");
  st.zones_alarm[0] = 0x40;  /* zone 7 */
  st.zones_bypass[0] = 0x02; /* zone 2 */
  st.zones_tamper[0] = 0x01; /* zone 1 */
  state_is(&c, "zone_7_alarm", &st, "keybus/house1/zone/7/alarm", "ON");
  state_is(&c, "zone_7_bypass", &st, "keybus/house1/zone/7/bypass", "OFF");
  state_is(&c, "zone_2_bypass", &st, "keybus/house1/zone/2/bypass", "ON");
  state_is(&c, "zone_1_tamper", &st, "keybus/house1/zone/1/tamper", "ON");
  state_is(&c, "zone_1_alarm", &st, "keybus/house1/zone/1/alarm", "OFF");
  /* the panel's status words, from the one table, capitalised */
  st.part[0].known = 1;
  st.part[0].status = KB_ST_EXIT_DELAY;
  state_is(&c, "p1_status", &st, "keybus/house1/partition/1/status", "Exit delay running");
  KT_STREQ(kb_status_words(KB_ST_EXIT_DELAY), "exit delay running");
  st.part[0].status = KB_ST_READY;
  state_is(&c, "p1_status", &st, "keybus/house1/partition/1/status", "Ready to arm");
  st.part[0].status = KB_ST_BYPASS_MENU;
  state_is(&c, "p1_status", &st, "keybus/house1/partition/1/status", "*1 zone bypass menu");
  st.part[0].status = 0x0A; /* not in the table */
  state_is(&c, "p1_status", &st, "keybus/house1/partition/1/status", "Status 0x0A");
  st.part[1].known = 1;
  st.part[1].status = KB_ST_DISABLED;
  state_is(&c, "p2_status", &st, "keybus/house1/partition/2/status", "Partition disabled");
  /* last user: the number, and the configured name or a default */
  st.part[0].access_code = 1;
  state_is(&c, "p1_user", &st, "keybus/house1/partition/1/user", "{\"user\":1,\"name\":\"Alice\"}");
  st.part[0].access_code = 2; /* NULL in the table */
  state_is(&c, "p1_user", &st, "keybus/house1/partition/1/user", "{\"user\":2,\"name\":\"User 2\"}");
  st.part[0].access_code = 3;
  state_is(&c, "p1_user", &st, "keybus/house1/partition/1/user",
           "{\"user\":3,\"name\":\"Bob \\\"B\\\"\"}");
  st.part[1].access_code = 40;
  state_is(&c, "p2_user", &st, "keybus/house1/partition/2/user", "{\"user\":40,\"name\":\"Master\"}");
  st.part[1].access_code = 17; /* beyond the names given */
  state_is(&c, "p2_user", &st, "keybus/house1/partition/2/user", "{\"user\":17,\"name\":\"User 17\"}");
  /* the user sensor shows the name, the number as an attribute */
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_discovery(&c, find(&c, "p1_user"), NULL, &m), KB_OK);
  KT_STREQ(topic, "homeassistant/sensor/house1/p1_user/config");
  cJSON *o = cJSON_Parse(doc);
  KT_STREQ(jstr(o, "value_template"), "{{ value_json.name }}");
  KT_STREQ(jstr(o, "json_attributes_topic"), "keybus/house1/partition/1/user");
  KT_STREQ(jstr(o, "name"), "Partition 1 last user");
  cJSON_Delete(o);
  /* panel time */
  st.time = (kb_time_t){2026, 12, 6, 5, 7, 1};
  state_is(&c, "panel_time", &st, "keybus/house1/time", "2026-12-06 05:07");
  st.time.valid = 0;
  state_is(&c, "panel_time", &st, "keybus/house1/time", "None");
  /* PGM outputs of the mask only */
  st.pgm = 0x0004; /* PGM 3 */
  state_is(&c, "pgm_3", &st, "keybus/house1/pgm/3", "ON");
  state_is(&c, "pgm_1", &st, "keybus/house1/pgm/1", "OFF");
  st.pgm = 0x0001;
  state_is(&c, "pgm_1", &st, "keybus/house1/pgm/1", "ON");
  /* device classes */
  const struct { const char *obj, *topic, *cls; } dc[] = {
      {"zone_7_alarm", "homeassistant/binary_sensor/house1/zone_7_alarm/config", "safety"},
      {"zone_7_tamper", "homeassistant/binary_sensor/house1/zone_7_tamper/config", "tamper"},
      {"zone_7_bypass", "homeassistant/binary_sensor/house1/zone_7_bypass/config", NULL},
      {"pgm_3", "homeassistant/binary_sensor/house1/pgm_3/config", NULL},
      {"panel_time", "homeassistant/sensor/house1/panel_time/config", NULL}};
  for (size_t k = 0; k < sizeof dc / sizeof dc[0]; k++) {
    m = msg();
    KT_EQ(kb_ha_discovery(&c, find(&c, dc[k].obj), NULL, &m), KB_OK);
    KT_STREQ(topic, dc[k].topic);
    o = cJSON_Parse(doc);
    if (dc[k].cls) KT_STREQ(jstr(o, "device_class"), dc[k].cls);
    else KT_CHECK(jstr(o, "device_class") == NULL);
    cJSON_Delete(o);
  }
  m = msg();
  KT_EQ(kb_ha_discovery(&c, find(&c, "zone_1_bypass"), NULL, &m), KB_OK);
  o = cJSON_Parse(doc);
  KT_STREQ(jstr(o, "name"), "Front \"door\" bypass");
  cJSON_Delete(o);
}

/* Each event marks exactly the entities it changes. */
static void test_dirty_new_entities(void) {
  kb_ha_config_t c = cfg_all();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  kb_ha_dirty_t d;
  memset(&d, 0, sizeof d);
  kb_ha_msg_t m = msg();
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  st.zones_alarm[0] = 0x40;
  ev.type = KB_EV_ZONE_ALARM;
  ev.zone.on = 1;
  ev.zone.zone = 7;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_ZONE_BYPASS;
  ev.zone.zone = 2;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.type = KB_EV_ZONE_TAMPER;
  ev.zone.zone = 9; /* not configured */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PARTITION;
  ev.partition = 2;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ACCESS_CODE;
  ev.partition = 1;
  ev.access.user = 1;
  ev.access.parts = 0x01;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_TIME;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PGM;
  ev.pgm.on = 1;
  ev.pgm.output = 3;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  ev.pgm.output = 2; /* not in the mask */
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  /* events that change no retained state: nothing */
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PANEL_EVENT;
  ev.panel.number = KB_EVENT_LIVE;
  KT_EQ(kb_ha_mark(&c, &ev, &d), 0);
  const char *want[] = {"keybus/house1/partition/2/state", "keybus/house1/zone/2/bypass",
                        "keybus/house1/zone/7/alarm",      "keybus/house1/partition/1/user",
                        "keybus/house1/partition/2/status", "keybus/house1/time",
                        "keybus/house1/pgm/3"};
  for (unsigned k = 0; k < sizeof want / sizeof want[0]; k++) {
    KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_OK);
    KT_STREQ(topic, want[k]);
  }
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_ERR_NOT_READY);
  /* a stateless entity marked by hand is skipped, not a stop */
  size_t h = find(&c, "health_frames"), t = find(&c, "panel_time");
  d.bits[h / 32] |= 1u << (h % 32);
  d.bits[t / 32] |= 1u << (t % 32);
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/time");
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_ERR_NOT_READY);
  /* without the zone extras, zone events still find their entities */
  c.no_zone_extras = 1;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_ALARM;
  ev.zone.zone = 7;
  kb_ha_mark(&c, &ev, &d);
  ev.type = KB_EV_ZONE_OPEN;
  kb_ha_mark(&c, &ev, &d);
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/zone/7");
  KT_EQ(kb_ha_next_dirty(&c, &st, &d, &m), KB_ERR_NOT_READY);
}

static void test_health(void) {
  kb_ha_config_t c = cfg_all();
  kb_health_t h;
  memset(&h, 0, sizeof h);
  h.frames = 1000;
  h.frames_ok = 990;
  h.checksum_errors = 3;
  h.length_errors = 2;
  h.framing_errors = 1;
  h.runts = 4;
  h.unknown_cmds = 5;
  h.filter_rejections = 6;
  h.ring_overflows = 7;
  h.ring_high_water = 12;
  kb_ha_extra_t x;
  kb_ha_extra_init(&x);
  KT_EQ(x.heap_free, -1);
  KT_EQ(x.last_frame_age_ms, UINT32_MAX);
  x.uptime_s = 3600;
  x.mqtt_dropped = 8;
  x.mqtt_reconnects = 9;
  x.edges_lost = 11;
  x.healthy = true;
  char hp[KB_HA_HEALTH_SIZE];
  kb_ha_msg_t m = msg();
  m.payload = hp;
  m.payload_size = sizeof hp;
  KT_EQ(kb_ha_health(&c, &h, &x, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/health");
  KT_CHECK(m.retain);
  KT_STREQ(hp, "{\"frames\":1000,\"frames_ok\":990,\"bad_frames\":10,\"checksum_errors\":3,"
               "\"length_errors\":2,\"framing_errors\":1,\"runts\":4,\"unknown_cmds\":5,"
               "\"noise_rejected\":6,\"ring_overflows\":7,\"ring_high_water\":12,\"healthy\":true,"
               "\"uptime_s\":3600,\"last_frame_age_s\":null,\"mqtt_dropped\":8,"
               "\"mqtt_reconnects\":9,\"edges_lost\":11}");
  x.last_frame_age_ms = 2345;
  x.heap_free = 120000;
  x.heap_min_free = 90000;
  x.heap_largest = 65536;
  x.alloc_failed = 0;
  x.healthy = false;
  KT_EQ(kb_ha_health(&c, &h, &x, &m), KB_OK);
  cJSON *o = cJSON_Parse(hp);
  KT_CHECK(o != NULL);
  KT_CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "healthy")));
  KT_CHECK(cJSON_GetObjectItemCaseSensitive(o, "last_frame_age_s")->valuedouble == 2.3);
  KT_EQ(cJSON_GetObjectItemCaseSensitive(o, "heap_largest")->valueint, 65536);
  KT_EQ(cJSON_GetObjectItemCaseSensitive(o, "alloc_failed")->valueint, 0);
  /* every health sensor reads a key the payload has (with all counters given) */
  unsigned sensors = 0;
  for (size_t i = 0; i < kb_ha_entities(&c); i++) {
    kb_ha_msg_t d = msg();
    KT_EQ(kb_ha_discovery(&c, i, NULL, &d), KB_OK);
    cJSON *q = cJSON_Parse(doc);
    const char *st = jstr(q, "state_topic");
    if (st && strcmp(st, "keybus/house1/health") == 0) {
      sensors++;
      const char *tpl = jstr(q, "value_template");
      KT_CHECK(tpl != NULL);
      KT_STREQ(jstr(q, "entity_category"), "diagnostic");
      const char *k = tpl ? strstr(tpl, "get('") : NULL;
      KT_CHECK(k != NULL);
      if (k) {
        char key[40];
        size_t n = strcspn(k + 5, "'");
        snprintf(key, sizeof key, "%.*s", (int)n, k + 5);
        if (!cJSON_GetObjectItemCaseSensitive(o, key)) fprintf(stderr, "no key %s\n", key);
        KT_CHECK(cJSON_GetObjectItemCaseSensitive(o, key) != NULL);
      }
    }
    cJSON_Delete(q);
  }
  KT_EQ(sensors, KB_HA_HEALTH_BASE + KB_HA_HEALTH_HEAP);
  cJSON_Delete(o);
  /* no frontend counters: the engine's alone; nothing n/a is written */
  KT_EQ(kb_ha_health(&c, &h, NULL, &m), KB_OK);
  KT_CHECK(strstr(hp, "healthy") == NULL && strstr(hp, "heap") == NULL);
  KT_EQ(hp[m.payload_len - 1], '}');
  kb_ha_extra_init(&x);
  KT_EQ(kb_ha_health(&c, &h, &x, &m), KB_OK);
  KT_CHECK(strstr(hp, "heap") == NULL && strstr(hp, "edges_lost") == NULL);
  KT_EQ(kb_ha_health(&c, NULL, &x, &m), KB_ERR_ARG);
  KT_EQ(hp[0], '\0');
}

/* A button's payload_press is a command the parser takes, typed as the
 * keypad's key; a press queues it on a real bus. */
static void test_buttons(void) {
  kb_ha_config_t c = cfg_all();
  static const struct { const char *obj, *name; kb_ha_action_t act; char key; } b[] = {
      {"output_2", "Command output 2", KB_HA_ACT_OUTPUT, ']'},
      {"fire_alarm", "Fire alarm", KB_HA_ACT_FIRE, 'f'},
      {"panic_alarm", "Panic alarm", KB_HA_ACT_PANIC, 'p'}};
  for (unsigned pass = 0; pass < 2; pass++) {
    c.button_partition = pass ? 2 : 0; /* 0: the lowest in use */
    for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
      kb_ha_msg_t m = msg();
      KT_EQ(kb_ha_discovery(&c, find(&c, b[k].obj), NULL, &m), KB_OK);
      char want_t[96];
      snprintf(want_t, sizeof want_t, "homeassistant/button/house1/%s/config", b[k].obj);
      KT_STREQ(topic, want_t);
      cJSON *o = cJSON_Parse(doc);
      KT_STREQ(jstr(o, "name"), b[k].name);
      KT_STREQ(jstr(o, "command_topic"), "keybus/house1/command");
      KT_CHECK(jstr(o, "state_topic") == NULL);
      KT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "availability")), 2);
      const char *press = jstr(o, "payload_press");
      KT_CHECK(press != NULL);
      kb_ha_cmd_t cmd;
      KT_EQ(kb_ha_parse_command(press ? press : "", press ? strlen(press) : 0, &cmd), KB_HA_PERR_OK);
      KT_EQ(cmd.action, b[k].act);
      KT_EQ(cmd.partition, pass ? 2 : 1);
      KT_EQ(cmd.code[0], 0);
      char keys[16];
      const char *code = "x";
      KT_EQ(kb_ha_cmd_keys(&cmd, keys, sizeof keys, &code), KB_OK);
      KT_EQ(keys[0], b[k].key);
      KT_EQ(keys[1], '\0');
      KT_CHECK(code == NULL);
      static kb_bus_t bus;
      kb_bus_init(&bus, NULL);
      uint16_t id = 0;
      KT_EQ(kb_ha_submit(&bus, &cmd, &id), KB_OK);
      KT_EQ(bus.keys.q[0].keys[0], b[k].key);
      KT_EQ(kb_bus_keys_pending(&bus), 1);
      cJSON_Delete(o);
    }
  }
  /* none by default */
  kb_ha_config_t d = cfg2();
  for (size_t i = 0; i < kb_ha_entities(&d); i++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&d, i, NULL, &m), KB_OK);
    KT_CHECK(strstr(topic, "/button/") == NULL && strstr(topic, "/pgm_") == NULL);
  }
  /* the alarm keys as commands */
  kb_ha_cmd_t cmd;
  const char *cmds[] = {"{\"partition\":1,\"action\":\"fire\"}", "{\"partition\":2,\"action\":\"aux\",\"code\":\"\"}",
                        "{\"partition\":1,\"action\":\"panic\",\"id\":\"p1\"}"};
  const char keys3[] = "fap";
  for (unsigned k = 0; k < 3; k++) {
    char keys[16];
    KT_EQ(kb_ha_parse_command(cmds[k], strlen(cmds[k]), &cmd), KB_HA_PERR_OK);
    KT_EQ(cmd.action, KB_HA_ACT_FIRE + k);
    KT_EQ(kb_ha_cmd_keys(&cmd, keys, sizeof keys, NULL), KB_OK);
    KT_EQ(keys[0], keys3[k]);
  }
  KT_EQ(kb_ha_parse_command("{\"partition\":1,\"action\":\"fire\",\"code\":\"1234\"}", 45, &cmd),
        KB_HA_PERR_CODE);
  KT_EQ(cmd.code[0], 0);
  const char *extra = "{\"partition\":1,\"action\":\"panic\",\"output\":1}";
  KT_EQ(kb_ha_parse_command(extra, strlen(extra), &cmd), KB_HA_PERR_FIELD);
}

/* The event entities: payloads and topics per engine event, types from the
 * discovery's list, never retained, never a code. */
static void event_is(const kb_ha_config_t *c, const kb_event_t *ev, const kb_status_t *st,
                     unsigned i, const char *want_topic, const char *want) {
  char ep[KB_HA_EVENT_SIZE];
  kb_ha_msg_t m = msg();
  m.payload = ep;
  m.payload_size = sizeof ep;
  m.retain = true;
  KT_EQ(kb_ha_event_msg(c, ev, st, i, &m), KB_OK);
  KT_CHECK(!m.retain);
  KT_STREQ(topic, want_topic);
  KT_STREQ(ep, want);
  KT_EQ(m.payload_len, strlen(want));
  /* its type is one of the entity's event_types, and its topic the entity's */
  cJSON *o = cJSON_Parse(ep);
  const char *type = jstr(o, "event_type");
  bool found = false;
  for (size_t i2 = 0; i2 < kb_ha_entities(c); i2++) {
    kb_ha_msg_t d = msg();
    KT_EQ(kb_ha_discovery(c, i2, NULL, &d), KB_OK);
    cJSON *q = cJSON_Parse(doc);
    const char *t = jstr(q, "state_topic");
    if (t && strcmp(t, want_topic) == 0 && strstr(topic, "/event/")) {
      const cJSON *types = cJSON_GetObjectItemCaseSensitive(q, "event_types"), *it;
      cJSON_ArrayForEach(it, types) found |= type && strcmp(it->valuestring, type) == 0;
    }
    cJSON_Delete(q);
  }
  KT_CHECK(found);
  cJSON_Delete(o);
  m.retain = true;
  KT_EQ(kb_ha_event_msg(c, ev, st, i + 1 + (i == 0 && ev->type == KB_EV_PANEL_EVENT ? 8 : 0), &m),
        KB_ERR_NOT_READY);
}

static void no_event(const kb_ha_config_t *c, const kb_event_t *ev, const kb_status_t *st,
                     unsigned i) {
  kb_ha_msg_t m = msg();
  KT_EQ(kb_ha_event_msg(c, ev, st, i, &m), KB_ERR_NOT_READY);
  KT_EQ(topic[0], '\0');
  KT_EQ(doc[0], '\0');
}

static void test_events(void) {
  kb_ha_config_t c = cfg_all();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  /* armed by a user: the mode from the status, the user's number and name */
  ev.type = KB_EV_ACCESS_CODE;
  ev.partition = 1;
  ev.access.user = 1;
  ev.access.parts = 0x01;
  ev.access.pev.kind = KB_PEV_ARMED_BY_CODE;
  st.part[0].exit_delay = 1;
  st.part[0].exit_target = KB_EXIT_AWAY;
  event_is(&c, &ev, &st, 0, "keybus/house1/partition/1/event",
           "{\"event_type\":\"armed_away\",\"partition\":1,\"user\":1,\"name\":\"Alice\"}");
  st.part[0].exit_delay = 0;
  st.part[0].armed = KB_ARMED_STAY;
  event_is(&c, &ev, &st, 0, "keybus/house1/partition/1/event",
           "{\"event_type\":\"armed_home\",\"partition\":1,\"user\":1,\"name\":\"Alice\"}");
  st.part[0].no_entry_delay = 1;
  event_is(&c, &ev, &st, 0, "keybus/house1/partition/1/event",
           "{\"event_type\":\"armed_night\",\"partition\":1,\"user\":1,\"name\":\"Alice\"}");
  event_is(&c, &ev, NULL, 0, "keybus/house1/partition/1/event",
           "{\"event_type\":\"armed\",\"partition\":1,\"user\":1,\"name\":\"Alice\"}");
  ev.partition = 2;
  ev.access.user = 40;
  ev.access.pev.kind = KB_PEV_DISARMED_BY_CODE;
  event_is(&c, &ev, &st, 0, "keybus/house1/partition/2/event",
           "{\"event_type\":\"disarmed\",\"partition\":2,\"user\":40,\"name\":\"Master\"}");
  ev.partition = 0; /* names no partition */
  no_event(&c, &ev, &st, 0);
  ev.partition = 3; /* not in use */
  no_event(&c, &ev, &st, 0);
  ev.partition = 1;
  ev.access.pev.kind = KB_PEV_STAR6_BY_CODE; /* not an arming */
  no_event(&c, &ev, &st, 0);
  /* zone alarm and restore, configured zones only */
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_ALARM;
  ev.zone.on = 1;
  ev.zone.zone = 7;
  event_is(&c, &ev, &st, 0, "keybus/house1/event/zone",
           "{\"event_type\":\"alarm\",\"zone\":7,\"name\":\"Hall\"}");
  ev.zone.on = 0;
  ev.zone.zone = 1;
  event_is(&c, &ev, &st, 0, "keybus/house1/event/zone",
           "{\"event_type\":\"restore\",\"zone\":1,\"name\":\"Front \\\"door\\\"\"}");
  ev.zone.zone = 2;
  event_is(&c, &ev, &st, 0, "keybus/house1/event/zone",
           "{\"event_type\":\"restore\",\"zone\":2,\"name\":\"Zone 2\"}");
  ev.zone.zone = 9;
  no_event(&c, &ev, &st, 0);
  /* panel log lines: live events only */
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PANEL_EVENT;
  ev.panel.pev = kb_pev_decode(0x00, 0x0B); /* zone 3 alarm */
  KT_EQ(ev.panel.pev.kind, KB_PEV_ZONE_ALARM);
  ev.panel.parts = 0x01;
  ev.panel.cmd = 0xA5;
  ev.panel.number = KB_EVENT_LIVE;
  ev.panel.time = (kb_time_t){2026, 12, 6, 5, 30, 1};
  event_is(&c, &ev, &st, 0, "keybus/house1/event/panel",
           "{\"event_type\":\"alarm\",\"partitions\":[1],\"number\":3,\"raw\":\"00:0B\","
           "\"time\":\"2026-12-06 05:30\"}");
  {
    /* then the same line as the last event, retained: the one exception */
    char lp[KB_HA_EVENT_SIZE];
    kb_ha_msg_t lm = msg();
    lm.payload = lp;
    lm.payload_size = sizeof lp;
    KT_EQ(kb_ha_event_msg(&c, &ev, &st, 1, &lm), KB_OK);
    KT_STREQ(topic, "keybus/house1/last_event");
    KT_STREQ(lp, "{\"event_type\":\"alarm\",\"partitions\":[1],\"number\":3,\"raw\":\"00:0B\","
                 "\"time\":\"2026-12-06 05:30\"}");
    KT_CHECK(lm.retain);
  }
  no_event(&c, &ev, &st, 2); /* not an arming: nothing more */
  ev.panel.number = 12; /* an event buffer entry: history, not news */
  no_event(&c, &ev, &st, 0);
  /* a quick arming of both partitions: the log line, then one arming each */
  ev.panel.number = KB_EVENT_LIVE;
  ev.panel.pev.kind = KB_PEV_ARMED_QUICK;
  ev.panel.pev.number = 0;
  ev.panel.pev.set = 0x02;
  ev.panel.pev.code = 0x98;
  ev.panel.parts = 0x07; /* 3 is not in use */
  ev.panel.time.valid = 0;
  event_is(&c, &ev, &st, 0, "keybus/house1/event/panel",
           "{\"event_type\":\"armed\",\"partitions\":[1,2,3],\"raw\":\"02:98\"}");
  char ep[KB_HA_EVENT_SIZE];
  kb_ha_msg_t m = msg();
  m.payload = ep;
  m.payload_size = sizeof ep;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 1, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/last_event");
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 2, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/partition/1/event");
  KT_STREQ(ep, "{\"event_type\":\"armed_night\",\"partition\":1,\"method\":\"quick\"}");
  KT_CHECK(!m.retain);
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 3, &m), KB_OK);
  KT_STREQ(topic, "keybus/house1/partition/2/event");
  KT_STREQ(ep, "{\"event_type\":\"armed\",\"partition\":2,\"method\":\"quick\"}");
  no_event(&c, &ev, &st, 4);
  ev.panel.pev.kind = KB_PEV_DISARMED_KEYSWITCH;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 2, &m), KB_OK);
  KT_STREQ(ep, "{\"event_type\":\"disarmed\",\"partition\":1,\"method\":\"keyswitch\"}");
  /* the unknown and the rest have their category */
  ev.panel.pev.kind = KB_PEV_UNKNOWN;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  KT_CHECK(strncmp(ep, "{\"event_type\":\"unknown\"", 23) == 0);
  ev.panel.pev.kind = KB_PEV_AC_TROUBLE;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  KT_CHECK(strncmp(ep, "{\"event_type\":\"trouble\"", 23) == 0);
  ev.panel.pev.kind = KB_PEV_COLD_START;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_OK);
  KT_CHECK(strncmp(ep, "{\"event_type\":\"system\"", 22) == 0);
  /* other events have no message; bad arguments */
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_OPEN;
  ev.zone.zone = 7;
  no_event(&c, &ev, &st, 0);
  KT_EQ(kb_ha_event_msg(&c, NULL, &st, 0, &m), KB_ERR_ARG);
  c.device_id = "a/b";
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_ERR_ARG);
  /* too small: refused whole */
  c = cfg_all();
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ZONE_ALARM;
  ev.zone.zone = 7;
  m.payload_size = 10;
  KT_EQ(kb_ha_event_msg(&c, &ev, &st, 0, &m), KB_ERR_FULL);
  KT_EQ(ep[0], '\0');
  KT_EQ(topic[0], '\0');
}

/* ------------------------------------------------------------ commands */

static kb_ha_perr_t parse(const char *s, kb_ha_cmd_t *c) { return kb_ha_parse_command(s, strlen(s), c); }

static void test_parse_good(void) {
  kb_ha_cmd_t c;
  char keys[64];
  const char *code;
  KT_EQ(parse("{\"partition\":1,\"action\":\"arm_away\",\"code\":\"1234\"}", &c), KB_HA_PERR_OK);
  KT_EQ(c.action, KB_HA_ACT_ARM_AWAY);
  KT_EQ(c.partition, 1);
  KT_STREQ(c.code, "1234");
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "w");
  KT_STREQ(code, "1234");

  KT_EQ(parse(" {\"partition\":2,\"keys\":\"*1\",\"id\":\"a-1\"}\n", &c), KB_HA_PERR_OK);
  KT_EQ(c.action, KB_HA_ACT_KEYS);
  KT_STREQ(c.keys, "*1");
  KT_STREQ(c.id, "a-1");
  KT_EQ(c.id_kind, 1);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "*1");
  KT_CHECK(code == NULL);

  KT_EQ(parse("{\"action\":\"disarm\",\"partition\":1,\"code\":\"123456\",\"id\":42}", &c), KB_HA_PERR_OK);
  KT_EQ(c.action, KB_HA_ACT_DISARM);
  KT_STREQ(c.id, "42");
  KT_EQ(c.id_kind, 2);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "123456"); /* a disarm is its code, typed as digits */
  KT_CHECK(code == NULL);

  KT_EQ(parse("{\"partition\":1,\"action\":\"arm_home\",\"code\":\"\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "s");
  KT_CHECK(code == NULL); /* quick arm */
  KT_EQ(parse("{\"partition\":1,\"action\":\"arm_night\",\"code\":\"1234\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "n");

  KT_EQ(parse("{\"partition\":1,\"action\":\"bypass\",\"zones\":[3,12,64],\"code\":\"1234\"}", &c),
        KB_HA_PERR_OK);
  KT_EQ(c.n_zones, 3);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "*1@031264#");
  KT_STREQ(code, "1234");
  KT_EQ(parse("{\"partition\":1,\"action\":\"bypass\",\"zones\":[5]}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_STREQ(keys, "*105#");

  for (unsigned o = 1; o <= 4; o++) {
    char s[80];
    snprintf(s, sizeof s, "{\"partition\":1,\"action\":\"output\",\"output\":%u}", o);
    KT_EQ(parse(s, &c), KB_HA_PERR_OK);
    KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
    KT_EQ(keys[0], "[]{}"[o - 1]);
  }

  KT_EQ(parse("{\"partition\":1,\"action\":\"set_time\",\"code\":\"5555\",\"time\":\"2028-02-29T23:59\"}",
              &c), KB_HA_PERR_OK);
  KT_EQ(c.year, 2028);
  KT_EQ(c.month, 2);
  KT_EQ(c.day, 29);
  KT_EQ(c.hour, 23);
  KT_EQ(c.minute, 59);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_ERR_ARG); /* submitted as set time */

  /* the most zones one bypass can carry fits KB_KEYS_MAX */
  char s[256];
  int o = snprintf(s, sizeof s, "{\"partition\":1,\"action\":\"bypass\",\"code\":\"123456\",\"zones\":[");
  for (unsigned z = 1; z <= KB_HA_BYPASS_MAX; z++) o += snprintf(s + o, sizeof s - (size_t)o, "%s%u", z > 1 ? "," : "", z);
  snprintf(s + o, sizeof s - (size_t)o, "]}");
  KT_EQ(parse(s, &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, &code), KB_OK);
  KT_CHECK(strlen(keys) <= KB_KEYS_MAX);
}

static void test_parse_bad(void) {
  static const struct { const char *in; kb_ha_perr_t want; } cases[] = {
      {"", KB_HA_PERR_SIZE},
      {"hello", KB_HA_PERR_JSON},
      {"[1,2]", KB_HA_PERR_JSON},
      {"\"x\"", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"1234\"", KB_HA_PERR_JSON},
      {"{\"partition\":1}{}", KB_HA_PERR_JSON},
      {"{\"partition\":1} x", KB_HA_PERR_JSON},
      {"{partition:1}", KB_HA_PERR_JSON},
      /* jsmn's strict mode takes a value followed by ':' as a key (found by fuzz_ha) */
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":\"0123\":\"arm_awa12\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"arm_away\":\"x\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1:2,\"action\":\"arm_away\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[1:2]}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\"}", KB_HA_PERR_JSON},
      {"{\"partition\":tru,\"action\":\"arm_away\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,,\"keys\":\"w\"}", KB_HA_PERR_JSON},
      {"{,\"partition\":1,\"keys\":\"w\"}", KB_HA_PERR_JSON},
      {",{\"partition\":1,\"keys\":\"0n\"}", KB_HA_PERR_JSON},
      {": {\"partition\":1,\"keys\":\"0n\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"keys\":\"w\",}", KB_HA_PERR_JSON},
      {"{\"partition\":1 \"keys\":\"w\"}", KB_HA_PERR_JSON},
      {"{\"partition\" 1,\"keys\":\"w\"}", KB_HA_PERR_JSON},
      {"{\"partition\"::1,\"keys\":\"w\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[1,,2]}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[1 2]}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[1,]}", KB_HA_PERR_JSON},
      {"{\"partition\":01,\"action\":\"arm_away\"}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"arm_away\",\"x\":1e}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"arm_away\",\"x\":[[[[[1]]]]]}", KB_HA_PERR_JSON},
      {"{\"partition\":1,\"action\":\"arm_away\",\"bogus\":1}", KB_HA_PERR_FIELD},
      {"{\"partition\":1,\"partition\":1,\"action\":\"arm_away\"}", KB_HA_PERR_FIELD},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"1234\",\"zones\":[1]}", KB_HA_PERR_FIELD},
      {"{\"part\\u0069tion\":1,\"action\":\"arm_away\"}", KB_HA_PERR_FIELD},
      {"{\"partition\":\"1\",\"action\":\"arm_away\"}", KB_HA_PERR_TYPE},
      {"{\"partition\":1.0,\"action\":\"arm_away\"}", KB_HA_PERR_TYPE},
      {"{\"partition\":-1,\"action\":\"arm_away\"}", KB_HA_PERR_TYPE},
      {"{\"partition\":true,\"action\":\"arm_away\"}", KB_HA_PERR_TYPE},
      {"{\"partition\":1,\"action\":7}", KB_HA_PERR_TYPE},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":1234}", KB_HA_PERR_TYPE},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":5}", KB_HA_PERR_TYPE},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[\"5\"]}", KB_HA_PERR_TYPE},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[[5]]}", KB_HA_PERR_TYPE},
      {"{\"partition\":{\"a\":1},\"action\":\"arm_away\"}", KB_HA_PERR_TYPE},
      {"{\"action\":\"arm_away\"}", KB_HA_PERR_PARTITION},
      {"{\"partition\":0,\"action\":\"arm_away\"}", KB_HA_PERR_PARTITION},
      {"{\"partition\":9,\"action\":\"arm_away\"}", KB_HA_PERR_PARTITION},
      {"{\"partition\":1,\"action\":\"self_destruct\"}", KB_HA_PERR_ACTION},
      {"{\"partition\":1,\"action\":\"ARM_AWAY\"}", KB_HA_PERR_ACTION},
      {"{\"partition\":1}", KB_HA_PERR_ACTION},
      {"{\"partition\":1,\"action\":\"arm_away\",\"keys\":\"w\"}", KB_HA_PERR_ACTION},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"123\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"12345\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"1234567\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"12a4\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"disarm\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"action\":\"set_time\",\"time\":\"2026-12-06 04:50\"}", KB_HA_PERR_CODE},
      {"{\"partition\":1,\"keys\":\"\"}", KB_HA_PERR_KEYS},
      {"{\"partition\":1,\"keys\":\"*1z\"}", KB_HA_PERR_KEYS},
      {"{\"partition\":1,\"keys\":\"1234567890123456789012345\"}", KB_HA_PERR_KEYS},
      {"{\"partition\":1,\"keys\":\"\\n\"}", KB_HA_PERR_KEYS},
      {"{\"partition\":1,\"action\":\"bypass\"}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[]}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[0]}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[65]}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[3,3]}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"bypass\",\"zones\":[1,2,3,4,5,6,7,8,9,10,11]}", KB_HA_PERR_ZONES},
      {"{\"partition\":1,\"action\":\"output\"}", KB_HA_PERR_OUTPUT},
      {"{\"partition\":1,\"action\":\"output\",\"output\":5}", KB_HA_PERR_OUTPUT},
      {"{\"partition\":1,\"action\":\"output\",\"output\":0}", KB_HA_PERR_OUTPUT},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"2026-02-30 10:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"2027-02-29 10:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"2026-12-06 24:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"1999-12-06 10:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"2026-12-6 10:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"set_time\",\"code\":\"1234\",\"time\":\"2026/12/06 10:00\"}", KB_HA_PERR_TIME},
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":\"a b\"}", KB_HA_PERR_ID},
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":-3}", KB_HA_PERR_ID},
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":[1]}", KB_HA_PERR_ID},
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":\"\"}", KB_HA_PERR_ID},
      {"{\"partition\":1,\"action\":\"arm_away\",\"id\":\"012345678901234567890123456789012\"}", KB_HA_PERR_ID},
  };
  unsigned seen[KB_HA_PERR_COUNT] = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kb_ha_cmd_t c;
    memset(&c, 0x55, sizeof c);
    kb_ha_perr_t e = parse(cases[i].in, &c);
    if (e != cases[i].want)
      fprintf(stderr, "case %zu %s: got %s want %s\n", i, cases[i].in, kb_ha_perr_name(e),
              kb_ha_perr_name(cases[i].want));
    KT_EQ(e, cases[i].want);
    seen[e]++;
    KT_EQ(c.action, KB_HA_ACT_NONE);
    for (size_t j = 0; j < sizeof c.code; j++) KT_EQ(c.code[j], 0); /* no code kept */
    char keys[32];
    KT_EQ(kb_ha_cmd_keys(&c, keys, sizeof keys, NULL), KB_ERR_ARG); /* nothing to queue */
  }
  for (unsigned e = 1; e < KB_HA_PERR_COUNT; e++) {
    if (!seen[e]) fprintf(stderr, "error class %s not tested\n", kb_ha_perr_name((kb_ha_perr_t)e));
    KT_CHECK(seen[e] > 0);
  }
  /* oversized, and a NUL inside */
  static char big[KB_HA_CMD_MAX + 2];
  memset(big, ' ', sizeof big);
  memcpy(big, "{\"partition\":1,\"action\":\"arm_away\"}", 35);
  kb_ha_cmd_t c;
  KT_EQ(kb_ha_parse_command(big, KB_HA_CMD_MAX, &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_parse_command(big, KB_HA_CMD_MAX + 1, &c), KB_HA_PERR_SIZE);
  const char nul[] = "{\"partition\":1,\"action\":\"arm_away\"}\0{}";
  KT_EQ(kb_ha_parse_command(nul, sizeof nul - 1, &c), KB_HA_PERR_JSON);
  /* too many tokens */
  char many[KB_HA_CMD_MAX];
  int o = snprintf(many, sizeof many, "{\"partition\":1,\"action\":\"bypass\",\"zones\":[");
  for (int z = 0; z < 60; z++) o += snprintf(many + o, sizeof many - (size_t)o, "%s1", z ? "," : "");
  snprintf(many + o, sizeof many - (size_t)o, "]}");
  KT_EQ(parse(many, &c), KB_HA_PERR_JSON);
  /* the id survives an error, for the error result */
  KT_EQ(parse("{\"id\":\"x7\",\"partition\":1,\"action\":\"disarm\",\"code\":\"12\"}", &c), KB_HA_PERR_CODE);
  KT_STREQ(c.id, "x7");
  KT_EQ(parse("{\"partition\":\"1\",\"id\":9}", &c), KB_HA_PERR_TYPE);
  KT_STREQ(c.id, "9");
}

/* ------------------------------------------------------------ results */

static void test_result_table(void) {
  kb_keys_info_t info;
  memset(&info, 0, sizeof info);
  KT_STREQ(kb_ha_result_word(KB_KEYS_DONE, &info), "done");
  info.status = KB_ST_WRONG_CODE;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "wrong_code");
  info.status = KB_ST_ARMING_FAILED;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "not_ready");
  info.status = KB_ST_NOT_AVAILABLE;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "not_available");
  info.status = KB_ST_NOT_AVAILABLE_2;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "not_available");
  info.status = KB_ST_LOCKOUT;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "lockout");
  info.status = 0x42;
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, &info), "rejected");
  KT_STREQ(kb_ha_result_word(KB_KEYS_REJECTED, NULL), "rejected");
  KT_STREQ(kb_ha_result_word(KB_KEYS_UNCERTAIN, NULL), "uncertain");
  KT_STREQ(kb_ha_result_word(KB_KEYS_COLLIDED, NULL), "collided");
  KT_STREQ(kb_ha_result_word(KB_KEYS_TIMED_OUT, NULL), "timeout");
  KT_STREQ(kb_ha_result_word(KB_KEYS_DISCONNECTED, NULL), "disconnected");
  KT_STREQ(kb_ha_result_word(KB_KEYS_NOT_VERIFIED, NULL), "not_verified");
  KT_STREQ(kb_ha_result_word(KB_KEYS_PENDING, NULL), "pending");
  KT_STREQ(kb_ha_result_word(KB_KEYS_UNKNOWN, NULL), "unknown");
  KT_STREQ(kb_ha_result_word((kb_keys_result_t)77, NULL), "unknown");
  info.reason = KB_KEYS_REASON_CODE_LENGTH;
  KT_STREQ(kb_ha_result_word(KB_KEYS_INVALID, &info), "invalid_code");
  info.reason = KB_KEYS_REASON_DISABLED;
  KT_STREQ(kb_ha_result_word(KB_KEYS_INVALID, &info), "not_available");
  info.reason = KB_KEYS_REASON_EARLY;
  KT_STREQ(kb_ha_result_word(KB_KEYS_INVALID, &info), "not_available");
  KT_STREQ(kb_ha_result_word(KB_KEYS_INVALID, NULL), "invalid");
  KT_STREQ(kb_ha_err_word(KB_OK), "queued");
  KT_STREQ(kb_ha_err_word(KB_ERR_FULL), "busy");
  KT_STREQ(kb_ha_err_word(KB_ERR_BUSY), "busy");
  KT_STREQ(kb_ha_err_word(KB_ERR_NOT_READY), "not_ready");
  KT_STREQ(kb_ha_err_word(KB_ERR_CODE), "invalid_code");
  KT_STREQ(kb_ha_err_word(KB_ERR_KEY), "invalid_request");
  KT_STREQ(kb_ha_err_word(KB_ERR_PARTITION), "invalid_request");
  KT_STREQ(kb_ha_err_word(KB_ERR_RANGE), "invalid_request");
  KT_STREQ(kb_ha_err_word(KB_ERR_ARG), "invalid_request");
  KT_STREQ(kb_ha_err_word(KB_ERR_COUNT), "error");

  char out[KB_HA_RESULT_SIZE];
  size_t len;
  kb_ha_cmd_t c;
  KT_EQ(parse("{\"id\":\"r1\",\"partition\":1,\"action\":\"disarm\",\"code\":\"9876\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_result_json(&c, "wrong_code", NULL, out, sizeof out, &len), KB_OK);
  KT_STREQ(out, "{\"id\":\"r1\",\"result\":\"wrong_code\"}");
  KT_EQ(len, strlen(out));
  KT_CHECK(strstr(out, "9876") == NULL);
  KT_EQ(parse("{\"id\":17,\"partition\":1,\"action\":\"disarm\",\"code\":\"98\"}", &c), KB_HA_PERR_CODE);
  KT_EQ(kb_ha_result_json(&c, "invalid_request", kb_ha_perr_name(KB_HA_PERR_CODE), out, sizeof out, &len),
        KB_OK);
  KT_STREQ(out, "{\"id\":17,\"result\":\"invalid_request\",\"detail\":\"code\"}");
  KT_EQ(kb_ha_result_json(NULL, "busy", NULL, out, sizeof out, &len), KB_OK);
  KT_STREQ(out, "{\"result\":\"busy\"}");
  KT_EQ(kb_ha_result_json(NULL, "bad\"word", NULL, out, sizeof out, &len), KB_ERR_ARG);
  KT_EQ(kb_ha_result_json(NULL, "busy", NULL, out, 10, &len), KB_ERR_FULL);
  KT_EQ(out[0], '\0');
}

/* Submitting on a real bus: the request queued is the command's keys with
 * the code beside them; a full queue is "busy"; the command is wiped. */
static void test_submit_on_bus(void) {
  static kb_bus_t bus;
  kb_bus_init(&bus, NULL);
  kb_ha_cmd_t c;
  uint16_t id = 0;
  KT_EQ(parse("{\"partition\":1,\"action\":\"arm_away\",\"code\":\"1234\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_submit(&bus, &c, &id), KB_OK);
  KT_CHECK(id != 0);
  KT_EQ(c.code[0], 0);
  KT_EQ(kb_bus_keys_result(&bus, id, NULL), KB_KEYS_PENDING);
  KT_EQ(bus.keys.q[0].keys[0], 'w');
  KT_EQ(memcmp(bus.keys.q[0].code, "1234", 4), 0);
  KT_EQ(parse("{\"partition\":1,\"action\":\"disarm\",\"code\":\"1234\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_submit(&bus, &c, &id), KB_OK);
  KT_EQ(memcmp(bus.keys.q[1].keys, "1234", 4), 0);
  KT_EQ(bus.keys.q[1].code_len, 0);
  KT_EQ(parse("{\"partition\":1,\"action\":\"bypass\",\"zones\":[2]}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_submit(&bus, &c, &id), KB_OK);
  /* set time needs a synced, ready partition: not ready now */
  KT_EQ(parse("{\"partition\":1,\"action\":\"set_time\",\"code\":\"5555\",\"time\":\"2026-12-06 05:00\"}", &c),
        KB_HA_PERR_OK);
  kb_err_t r = kb_ha_submit(&bus, &c, &id);
  KT_EQ(r, KB_ERR_NOT_READY);
  KT_STREQ(kb_ha_err_word(r), "not_ready");
  KT_EQ(c.code[0], 0);
  /* the id stays for the result; the code does not */
  KT_EQ(parse("{\"id\":\"t9\",\"partition\":1,\"action\":\"disarm\",\"code\":\"4321\"}", &c), KB_HA_PERR_OK);
  KT_EQ(kb_ha_submit(&bus, &c, &id), KB_OK);
  KT_STREQ(c.id, "t9");
  KT_EQ(c.action, KB_HA_ACT_NONE);
  for (size_t j = 0; j < sizeof c.code; j++) KT_EQ(c.code[j], 0);
  char out[KB_HA_RESULT_SIZE];
  KT_EQ(kb_ha_result_json(&c, kb_ha_err_word(KB_OK), NULL, out, sizeof out, NULL), KB_OK);
  KT_STREQ(out, "{\"id\":\"t9\",\"result\":\"queued\"}");
  for (unsigned i = kb_bus_keys_pending(&bus); i < KB_KEYS_QUEUE; i++) {
    KT_EQ(parse("{\"partition\":1,\"keys\":\"c\"}", &c), KB_HA_PERR_OK);
    KT_EQ(kb_ha_submit(&bus, &c, &id), KB_OK);
  }
  KT_EQ(parse("{\"partition\":1,\"action\":\"arm_home\",\"code\":\"1234\"}", &c), KB_HA_PERR_OK);
  r = kb_ha_submit(&bus, &c, &id);
  KT_EQ(r, KB_ERR_FULL);
  KT_STREQ(kb_ha_err_word(r), "busy");
  KT_EQ(kb_bus_keys_pending(&bus), KB_KEYS_QUEUE);
}

/* every device class keybusd's configuration accepts (kb_conf) is one
 * Home Assistant gets, named the same; every class has a name */

/* ------------------------------------------------ Classic: absent entities */

static const kb_ha_zone_t zones_cls[] = {{1, KB_HA_CLASS_DOOR, NULL},
                                         {6, KB_HA_CLASS_OPENING, NULL},
                                         {7, KB_HA_CLASS_MOTION, NULL},
                                         {8, KB_HA_CLASS_OPENING, NULL},
                                         {9, KB_HA_CLASS_OPENING, NULL},
                                         {16, KB_HA_CLASS_OPENING, NULL}};

/* Every kind of entity: two partitions, zones below and above the Classic's
 * 8 (and its alarm bits' 6), PGMs, buttons. */
static kb_ha_config_t cfg_cls(void) {
  kb_ha_config_t c;
  memset(&c, 0, sizeof c);
  c.device_id = "cls1";
  c.sw_version = "0.9.0";
  c.partitions = 0x03;
  c.n_zones = 6;
  c.zones = zones_cls;
  c.pgm_outputs = 0x0003;
  c.button_outputs = 0x01;
  c.alarm_buttons = KB_HA_BTN_FIRE | KB_HA_BTN_AUX | KB_HA_BTN_PANIC;
  return c;
}

/* The object id (unique_id without "<device>_") of entity i from its
 * discovery topic: <disc>/<component>/<device>/<obj>/config. */
static void obj_of_topic(const char *t, char *out, size_t n) {
  const char *e = strstr(t, "/config");
  const char *b = e;
  while (b > t && b[-1] != '/') b--;
  snprintf(out, n, "%.*s", (int)(e - b), b);
}

static void test_classic_entities(void) {
  kb_ha_config_t c = cfg_cls();
  kb_cls_t cls;
  kb_cls_init(&cls, KB_MODE_LIVE, NULL, NULL);
  const kb_status_t *st = &cls.status;
  size_t n = kb_ha_entities(&c);
  char present[2048] = "", absent[2048] = "", obj[64];
  KT_CHECK(n > 0);
  for (size_t i = 0; i < n; i++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&c, i, st, &m), KB_OK);
    KT_CHECK(m.retain);
    KT_CHECK(m.topic_len > 0 && strstr(topic, "/cls1/") != NULL);
    obj_of_topic(topic, obj, sizeof obj);
    bool here = kb_ha_present(&c, i, st);
    KT_CHECK(here == (m.payload_len > 0));
    if (here) {
      cJSON *j = cJSON_Parse(doc);
      KT_CHECK(j != NULL);
      const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
      KT_CHECK(jstr(dev, "model") && strcmp(jstr(dev, "model"), "Classic") == 0);
      cJSON_Delete(j);
    } else {
      KT_EQ(doc[0], '\0'); /* empty retained config: HA removes the entity */
      kb_ha_msg_t s = msg();
      KT_EQ(kb_ha_state(&c, i, st, &s), KB_ERR_NOT_READY);
      KT_EQ(s.topic_len, 0u);
      KT_EQ(s.payload_len, 0u);
    }
    char *list = here ? present : absent;
    strncat(list, obj, sizeof present - strlen(list) - 2);
    strcat(list, " ");
  }
  KT_STREQ(present, "connected trouble p1 p1_ready p1_fire zone_1 zone_6 zone_7 zone_8 "
                     "zone_1_alarm zone_6_alarm p1_status health health_frames "
                     "health_bad_frames health_ring_overflows health_ring_high_water "
                     "health_last_frame_age_s health_mqtt_dropped health_mqtt_reconnects "
                     "health_uptime_s health_edges_lost output_1 fire_alarm aux_alarm "
                     "panic_alarm zone_alarms ");
  KT_STREQ(absent, "ac_power battery p2 p2_ready p2_fire zone_9 zone_16 "
                    "zone_1_bypass zone_1_tamper zone_6_bypass zone_6_tamper "
                    "zone_7_alarm zone_7_bypass zone_7_tamper zone_8_alarm "
                    "zone_8_bypass zone_8_tamper zone_9_alarm zone_9_bypass "
                    "zone_9_tamper zone_16_alarm zone_16_bypass zone_16_tamper "
                    "p1_user p2_status p2_user panel_time pgm_1 pgm_2 p1_arming "
                    "p2_arming panel_log last_event ");

  /* a full announce's states, then SYNCED's dirty set: present ones only */
  kb_ha_dirty_t d;
  memset(&d, 0, sizeof d);
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_SYNCED;
  kb_ha_mark(&c, &ev, &d);
  char states[1024] = "";
  for (;;) {
    kb_ha_msg_t m = msg();
    kb_err_t r = kb_ha_next_dirty(&c, st, &d, &m);
    if (r == KB_ERR_NOT_READY) break;
    KT_EQ(r, KB_OK);
    strncat(states, topic, sizeof states - strlen(states) - 2);
    strcat(states, " ");
  }
  KT_STREQ(states, "keybus/cls1/connected keybus/cls1/trouble keybus/cls1/partition/1/state "
                    "keybus/cls1/partition/1/ready keybus/cls1/partition/1/fire "
                    "keybus/cls1/zone/1 keybus/cls1/zone/6 keybus/cls1/zone/7 "
                    "keybus/cls1/zone/8 keybus/cls1/zone/1/alarm keybus/cls1/zone/6/alarm "
                    "keybus/cls1/partition/1/status ");

  /* without a status (announce before any), nothing is absent */
  for (size_t i = 0; i < n; i++) KT_CHECK(kb_ha_present(&c, i, NULL));
  KT_CHECK(!kb_ha_present(&c, n, NULL));
}

/* FNV-1a over bytes. */
static uint32_t fnv(uint32_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

/* PowerSeries output is byte for byte what it was before the Classic work:
 * a digest of every discovery document and state of cfg_cls() with a
 * PowerSeries status (recorded with the code before the change). */
static void test_powerseries_unchanged(void) {
  kb_ha_config_t c = cfg_cls();
  kb_status_t st;
  memset(&st, 0, sizeof st);
  st.version = 0x41;
  st.connected = 1;
  st.ac_power = 1;
  st.part[0].known = 1;
  st.part[0].status = KB_ST_READY;
  st.part[0].ready = 1;
  st.part[1].known = 1;
  st.part[1].status = KB_ST_ARMED_AWAY;
  st.part[1].armed = 2;
  st.part[1].access_code = 40;
  st.zones_open[0] = 0x41;
  st.zones_bypass[1] = 0x80;
  st.time.valid = 1;
  st.time.year = 26;
  st.time.month = 12;
  st.time.day = 6;
  st.time.hour = 12;
  st.pgm = 2;
  uint32_t h = 2166136261u;
  size_t n = kb_ha_entities(&c);
  for (size_t i = 0; i < n; i++) {
    kb_ha_msg_t m = msg();
    KT_EQ(kb_ha_discovery(&c, i, &st, &m), KB_OK);
    KT_CHECK(m.payload_len > 0);
    h = fnv(fnv(h, topic, m.topic_len), doc, m.payload_len);
    m = msg();
    if (kb_ha_state(&c, i, &st, &m) == KB_OK) h = fnv(fnv(h, topic, m.topic_len), doc, m.payload_len);
  }
  KT_EQ(n, 60u);
  KT_EQ(h, 0xf5a758d1u);
}

static void test_config_classes_map(void) {
  for (int k = 0; k < KB_CONF_CLASS_COUNT; k++) {
    const char *name = kb_conf_class_name((kb_conf_class_t)k);
    kb_ha_class_t c = kb_ha_class_parse(name);
    KT_CHECK(c != KB_HA_CLASS_COUNT);
    KT_STREQ(kb_ha_class_name(c), name);
  }
  for (int c = 0; c < KB_HA_CLASS_COUNT; c++) KT_CHECK(kb_ha_class_name((kb_ha_class_t)c) != NULL);
  KT_EQ(KB_HA_CLASS_COUNT, KB_CONF_CLASS_COUNT);
}

KT_MAIN(KT_CASE(test_config_classes_map), KT_CASE(test_classic_entities), KT_CASE(test_powerseries_unchanged), KT_CASE(test_discovery_documents), KT_CASE(test_topic_prefix_and_device_id),
        KT_CASE(test_supported_features_hide_modes), KT_CASE(test_buffers_bounded),
        KT_CASE(test_alarm_state_mapping), KT_CASE(test_system_states),
        KT_CASE(test_dirty_publishes_what_changed), KT_CASE(test_entity_order),
        KT_CASE(test_new_states), KT_CASE(test_dirty_new_entities), KT_CASE(test_health),
        KT_CASE(test_buttons), KT_CASE(test_events), KT_CASE(test_parse_good),
        KT_CASE(test_parse_bad), KT_CASE(test_result_table), KT_CASE(test_submit_on_bus))
