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
#include "ha/kb_ha.h"
#include "keybus/kb_bus.h"
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
   * user 2 x 2, time, health 10, arming events 2, zone events, panel log */
  KT_EQ(n, 4 + 3 * 2 + 3 + 9 + 4 + 1 + KB_HA_HEALTH_BASE + 2 + 1 + 1);
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
    if (kb_ha_has_state(&c, i)) {
      KT_EQ(kb_ha_state(&c, i, &st, &s), KB_OK);
      KT_STREQ(jstr(o, "state_topic"), st_topic);
      KT_CHECK(!is_health && !is_event);
    } else {
      KT_EQ(kb_ha_state(&c, i, &st, &s), KB_ERR_NOT_READY);
      KT_EQ(s.topic_len, 0);
      KT_EQ(pay[0], '\0');
      KT_CHECK(is_health || is_event);
      if (is_health) KT_STREQ(jstr(o, "state_topic"), health_t);
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
  KT_EQ(with_state, kb_ha_entities(&c) - KB_HA_HEALTH_BASE - 2 - 1 - 1); /* no health, events */
  KT_EQ(n, with_state);
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

KT_MAIN(KT_CASE(test_discovery_documents), KT_CASE(test_topic_prefix_and_device_id),
        KT_CASE(test_supported_features_hide_modes), KT_CASE(test_buffers_bounded),
        KT_CASE(test_alarm_state_mapping), KT_CASE(test_system_states),
        KT_CASE(test_dirty_publishes_what_changed), KT_CASE(test_parse_good),
        KT_CASE(test_parse_bad), KT_CASE(test_result_table), KT_CASE(test_submit_on_bus))
