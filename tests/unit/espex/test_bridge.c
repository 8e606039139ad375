/* SPDX-License-Identifier: MIT
 *
 * test_bridge.c - the ESP-IDF example's Home Assistant bridge
 * (examples/esp-idf-mqtt/main/kbm_bridge.c) on the host: the real engine
 * (kb_bus) behind the simulated panel and wire (src/sim), the bridge's
 * platform (kbm_io_t) replaced by recorders. It checks what keybusd
 * promises (docs/home-assistant.md, "Publishing"): the announce and its
 * order, a state change published once, a command's keys reaching the panel
 * and its results, every malformed command answered, flow control without
 * loss or reordering, the lock order, and that the access code appears in
 * no published message and no log line.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define KBM_HA_HEADER "ha/kb_ha.h"
#include "../../../examples/esp-idf-mqtt/main/kbm_bridge.c"
#include "harness.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define CODE "7913" /* user 1's code in the simulated panel: must never be published or logged */
#define NMSG 4096

typedef struct {
  char topic[KB_HA_TOPIC_SIZE];
  char payload[KB_HA_DOC_SIZE];
  bool retain;
} rec_t;

static kb_bus_t BUS;
static kbm_bridge_t BR;
static kb_sim_panel_t PANEL;
static kb_wire_t WIRE;
static kb_ha_config_t HA;
static kb_ha_zone_t ZONES[3] = {{1, KB_HA_CLASS_DOOR, "Front door"}, {2, KB_HA_CLASS_WINDOW, NULL}, {3, 0, NULL}};
static rec_t MSG[NMSG];
static unsigned n_msg;
static unsigned n_overflow;
static char LOG[64][KBM_LOG_LINE];
static unsigned n_log;
static bool code_leaked;
static uint64_t now_us;

/* n bytes at p hold the 4 characters of CODE (memmem is not POSIX) */
static bool has_code(const void *p, size_t n) {
  const char *c = p;
  for (size_t i = 0; i + 4 <= n; i++)
    if (memcmp(c + i, CODE, 4) == 0) return true;
  return false;
}

/* the platform */
static int bus_locked, bridge_locked, lock_errors;
static bool bus_stopped;    /* the keybus component is not running */
static unsigned accept_left; /* publish takes this many more, then says FULL (UINT_MAX: all) */
static bool pub_fail;       /* publish refuses (not connected) */

static kbm_pub_t io_publish(void *ctx, const char *topic, const char *payload, size_t len, bool retain) {
  (void)ctx;
  if (bus_locked || bridge_locked) lock_errors++; /* never publish with a lock held */
  if (pub_fail) return KBM_PUB_FAIL;
  if (accept_left == 0) return KBM_PUB_FULL;
  accept_left--;
  if (strstr(topic, CODE) || has_code(payload, len)) code_leaked = true;
  if (n_msg < NMSG && len < KB_HA_DOC_SIZE) {
    snprintf(MSG[n_msg].topic, sizeof MSG[n_msg].topic, "%s", topic);
    memcpy(MSG[n_msg].payload, payload, len);
    MSG[n_msg].payload[len] = 0;
    MSG[n_msg].retain = retain;
    n_msg++;
  } else {
    n_overflow++;
  }
  return KBM_PUB_OK;
}

static kb_bus_t *io_bus_lock(void *ctx, bool *running) {
  (void)ctx;
  if (bus_locked || bridge_locked) lock_errors++; /* order: bus, then bridge; never twice */
  *running = !bus_stopped;
  if (bus_stopped) return NULL;
  bus_locked = 1;
  return &BUS;
}
static void io_bus_unlock(void *ctx) {
  (void)ctx;
  if (!bus_locked || bridge_locked) lock_errors++;
  bus_locked = 0;
}
static void io_lock(void *ctx) {
  (void)ctx;
  if (bridge_locked) lock_errors++;
  bridge_locked = 1;
}
static void io_unlock(void *ctx) {
  (void)ctx;
  if (!bridge_locked) lock_errors++;
  bridge_locked = 0;
}
static void io_health(void *ctx, kb_health_t *h, kb_ha_extra_t *x) {
  (void)ctx;
  if (bus_locked || bridge_locked) lock_errors++;
  *h = *kb_bus_health(&BUS);
  x->uptime_s = (uint32_t)(now_us / 1000000u);
  x->heap_free = 123456;
  x->heap_min_free = 100000;
  x->heap_largest = 65536;
  x->alloc_failed = 0;
  x->healthy = kb_bus_status(&BUS)->connected;
}
static void io_log(void *ctx, kbm_level_t level, const char *line) {
  (void)ctx;
  (void)level;
  /* never with a lock held: in particular never on the keybus task, whose
   * stack is sized for decoding, not for printf */
  if (bus_locked || bridge_locked) lock_errors++;
  if (strstr(line, CODE)) code_leaked = true;
  snprintf(LOG[n_log % 64], KBM_LOG_LINE, "%s", line);
  n_log++;
}
static uint32_t io_now_ms(void *ctx) {
  (void)ctx;
  return (uint32_t)(now_us / 1000u);
}

/* the keybus task: a poll with the bus lock held, the callbacks inside */
static void task(void *ctx, uint64_t t) {
  (void)ctx;
  now_us = t;
  if (bus_stopped) return;
  bus_locked = 1;
  kb_bus_poll(&BUS, (uint32_t)t);
  kbm_on_poll(&BR, &BUS);
  bus_locked = 0;
}

/* runs the bus for ms milliseconds, the publisher pumping every 20 ms */
static void run_ms(unsigned ms) {
  uint64_t end = kb_wire_now(&WIRE) + (uint64_t)ms * 1000u;
  while (kb_wire_now(&WIRE) < end) {
    kb_wire_run_until(&WIRE, kb_wire_now(&WIRE) + 20000u);
    kbm_pump(&BR, 0);
  }
}

static void setup(void) {
  kb_sim_cfg_t sc;
  kb_wire_cfg_t wc;
  kb_wire_port_t port;
  kb_bus_cfg_t bc;
  kbm_io_t io = {io_publish, io_bus_lock, io_bus_unlock, io_lock, io_unlock, io_health, io_log, io_now_ms, NULL};
  n_msg = n_log = n_overflow = 0;
  code_leaked = false;
  bus_locked = bridge_locked = lock_errors = 0;
  bus_stopped = pub_fail = false;
  accept_left = UINT_MAX;
  memset(&HA, 0, sizeof HA);
  HA.device_id = "test";
  HA.partitions = 1;
  HA.n_zones = 3;
  HA.zones = ZONES;
  HA.health_heap = 1;
  KT_EQ(kbm_init(&BR, &HA, &io), KB_OK);
  memset(&bc, 0, sizeof bc);
  bc.event_cb = kbm_on_event;
  bc.event_ctx = &BR;
  bc.keys_cb = kbm_on_keys;
  bc.keys_ctx = &BR;
  kb_bus_init(&BUS, &bc);
  kb_sim_cfg_default(&sc, 1);
  memset(sc.code, 0, sizeof sc.code);
  snprintf(sc.code[1], sizeof sc.code[1], "%s", CODE);
  snprintf(sc.code[KB_SIM_MASTER], sizeof sc.code[KB_SIM_MASTER], "%s", "5555");
  now_us = 1000000;
  kb_sim_panel_init(&PANEL, &sc, now_us);
  kb_wire_cfg_default(&wc);
  wc.idle_task = true;
  wc.task_us = 5000;
  memset(&port, 0, sizeof port);
  port.link = kb_bus_link(&BUS);
  port.task = task;
  kb_wire_init(&WIRE, &wc, &PANEL, &port, NULL, now_us);
}

/* the bus synced, then the broker connects: returns the first message of the announce */
static unsigned connect_synced(void) {
  unsigned first;
  run_ms(4000);
  KT_CHECK(kb_bus_status(&BUS)->synced);
  KT_EQ(n_msg, 0); /* nothing before the broker is there */
  first = n_msg;
  kbm_mqtt_connected(&BR, true);
  kbm_pump(&BR, 0);
  return first;
}

/* a log line holding text, among the last 64 */
static bool logged(const char *text) {
  for (unsigned i = n_log > 64 ? n_log - 64 : 0; i < n_log; i++)
    if (strstr(LOG[i % 64], text)) return true;
  return false;
}

static unsigned count(unsigned from, const char *topic, const char *payload) {
  unsigned n = 0;
  for (unsigned i = from; i < n_msg; i++)
    if (!strcmp(MSG[i].topic, topic) && (!payload || !strcmp(MSG[i].payload, payload))) n++;
  return n;
}

static int find(unsigned from, const char *topic, const char *payload) {
  for (unsigned i = from; i < n_msg; i++)
    if (!strcmp(MSG[i].topic, topic) && (!payload || strstr(MSG[i].payload, payload))) return (int)i;
  return -1;
}

static void send_cmd(const char *json, bool retained) {
  kbm_inbound(&BR, BR.t_command, strlen(BR.t_command), json, strlen(json), strlen(json), 0, retained);
}

/* the announce from message k on is exactly: online, every discovery
 * document in entity order, every state, the health; returns the index
 * after it (or -1 when it does not match) */
static int check_announce(unsigned k, bool with_states) {
  static char t[KB_HA_TOPIC_SIZE], p[KB_HA_DOC_SIZE];
  kb_ha_msg_t m = {t, sizeof t, 0, p, sizeof p, 0, false};
  size_t n = kb_ha_entities(&HA);
  int bad = 0;
  if (k >= n_msg || strcmp(MSG[k].topic, "keybus/test/status") || strcmp(MSG[k].payload, "online") || !MSG[k].retain)
    return -1;
  k++;
  for (size_t i = 0; i < n; i++) {
    KT_EQ(kb_ha_discovery(&HA, i, kb_bus_status(&BUS), &m), KB_OK);
    if (k >= n_msg || strcmp(MSG[k].topic, t) || strcmp(MSG[k].payload, p) || !MSG[k].retain) bad++;
    k++;
  }
  for (size_t i = 0; with_states && i < n; i++) {
    if (!kb_ha_has_state(&HA, i)) continue;
    KT_EQ(kb_ha_state(&HA, i, kb_bus_status(&BUS), &m), KB_OK);
    if (k >= n_msg || strcmp(MSG[k].topic, t) || strcmp(MSG[k].payload, p) || !MSG[k].retain) bad++;
    k++;
  }
  if (k >= n_msg || strcmp(MSG[k].topic, "keybus/test/health") || !MSG[k].retain ||
      !strstr(MSG[k].payload, "\"heap_free\":123456"))
    bad++;
  k++;
  return bad ? -1 : (int)k;
}

static void test_announce(void) {
  unsigned first;
  int end;
  setup();
  first = connect_synced();
  end = check_announce(first, true);
  KT_CHECK(end > 0);
  KT_EQ((unsigned)end, n_msg); /* nothing else: no event happened yet */
  KT_CHECK(find(first, "keybus/test/connected", "online") > 0);
  KT_CHECK(find(first, "keybus/test/partition/1/state", "disarmed") > 0);
  /* Home Assistant restarts: the same announce again */
  first = n_msg;
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, true);
  kbm_pump(&BR, 0);
  KT_EQ(check_announce(first, true), (int)n_msg);
  /* "offline" from Home Assistant: nothing */
  first = n_msg;
  kbm_inbound(&BR, "homeassistant/status", 20, "offline", 7, 7, 0, true);
  kbm_pump(&BR, 0);
  KT_EQ(n_msg, first);
  /* health every 30 s, not more often */
  run_ms(29000);
  KT_EQ(count(first, "keybus/test/health", NULL), 0);
  run_ms(2000);
  KT_EQ(count(first, "keybus/test/health", NULL), 1);
  KT_EQ(lock_errors, 0);
  KT_CHECK(!code_leaked);
}

static void test_state_once(void) {
  unsigned from;
  setup();
  (void)connect_synced();
  from = n_msg;
  kb_sim_panel_zone(&PANEL, 2, true, kb_wire_now(&WIRE));
  run_ms(3000);
  KT_EQ(count(from, "keybus/test/zone/2", "ON"), 1);
  KT_EQ(count(from, "keybus/test/zone/2", NULL), 1);
  KT_EQ(count(from, "keybus/test/partition/1/ready", "OFF"), 1);
  KT_EQ(count(from, "keybus/test/zone/1", NULL), 0); /* unchanged: not sent */
  run_ms(10000); /* the panel repeats its zone messages: nothing new to say */
  KT_EQ(count(from, "keybus/test/zone/2", NULL), 1);
  kb_sim_panel_zone(&PANEL, 2, false, kb_wire_now(&WIRE));
  run_ms(3000);
  KT_EQ(count(from, "keybus/test/zone/2", "OFF"), 1);
  KT_EQ(count(from, "keybus/test/zone/2", NULL), 2);
  /* the bus cut for 4 s: connected goes offline and back; when the panel
   * is heard again (synced: every entity marked), only what changed is sent */
  from = n_msg;
  KT_CHECK(kb_wire_cut(&WIRE, kb_wire_now(&WIRE), 4000000u, false));
  run_ms(10000);
  KT_EQ(count(from, "keybus/test/connected", "offline"), 1);
  KT_EQ(count(from, "keybus/test/connected", "online"), 1);
  KT_EQ(count(from, "keybus/test/zone/1", NULL), 0);
  KT_EQ(count(from, "keybus/test/zone/2", NULL), 0);
  KT_EQ(count(from, "keybus/test/partition/1/state", NULL), 0);
  KT_EQ(count(from, "keybus/test/health", NULL), 2); /* at each change of the bus connection */
  KT_CHECK(logged("keybus: disconnected"));
  KT_EQ(lock_errors, 0);
}

static void test_command(void) {
  unsigned from;
  int q, d, s;
  setup();
  (void)connect_synced();
  from = n_msg;
  send_cmd("{\"partition\":1,\"action\":\"arm_away\",\"code\":\"" CODE "\",\"id\":\"a1\"}", false);
  KT_EQ(kb_bus_keys_pending(&BUS), 1); /* the keys were submitted */
  kbm_pump(&BR, 0);
  q = find(from, "keybus/test/result", "{\"id\":\"a1\",\"result\":\"queued\"}");
  KT_CHECK(q >= 0);
  run_ms(8000);
  d = find(from, "keybus/test/result", "{\"id\":\"a1\",\"result\":\"done\"}");
  s = find(from, "keybus/test/partition/1/state", "arming");
  KT_CHECK(d > q);
  KT_CHECK(s > q);
  KT_CHECK(kb_sim_panel_truth(&PANEL)->part[0].exit_delay); /* the panel did it */
  KT_EQ(count(from, "keybus/test/result", NULL), 2);
  run_ms(12000); /* exit delay over */
  KT_CHECK(find(from, "keybus/test/partition/1/state", "armed_away") > s);
  /* each state once, though the panel's messages marked them again and again */
  KT_EQ(count(from, "keybus/test/partition/1/state", "arming"), 1);
  KT_EQ(count(from, "keybus/test/partition/1/state", "armed_away"), 1);
  KT_EQ(count(from, "keybus/test/partition/1/state", NULL), 2);
  /* disarm (the code typed as the keys): the arming event entity says who */
  from = n_msg;
  send_cmd("{\"partition\":1,\"action\":\"disarm\",\"code\":\"" CODE "\",\"id\":7}", false);
  run_ms(6000);
  KT_CHECK(find(from, "keybus/test/result", "{\"id\":7,\"result\":\"done\"}") >= 0);
  KT_CHECK(logged("(partition 1): done"));
  KT_CHECK(find(from, "keybus/test/partition/1/state", "disarmed") >= 0);
  KT_CHECK(find(from, "keybus/test/partition/1/event", "\"user\":1") >= 0);
  /* the last event is published again (retained) at the next announce, last */
  from = n_msg;
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, false);
  kbm_pump(&BR, 0);
  {
    int end = check_announce(from, true);
    KT_CHECK(end > 0);
    KT_EQ((unsigned)end + 1, n_msg);
    KT_STREQ(MSG[n_msg - 1].topic, "keybus/test/last_event");
    KT_CHECK(MSG[n_msg - 1].retain);
  }
  KT_CHECK(!code_leaked);
  KT_CHECK(!has_code(&BR, sizeof BR)); /* no copy of the code left in the bridge */
  KT_EQ(lock_errors, 0);
}

static void test_malformed(void) {
  static const struct {
    const char *json;
    const char *want;
  } bad[] = {
      {"{", "{\"result\":\"invalid_request\",\"detail\":\"json\"}"},
      {"", "{\"result\":\"invalid_request\",\"detail\":\"size\"}"},
      {"not json at all", "{\"result\":\"invalid_request\",\"detail\":\"json\"}"},
      {"{\"partition\":9,\"action\":\"disarm\",\"code\":\"" CODE "\",\"id\":\"b1\"}",
       "{\"id\":\"b1\",\"result\":\"invalid_request\",\"detail\":\"partition\"}"},
      {"{\"partition\":1,\"action\":\"disarm\",\"code\":\"79\",\"id\":\"b2\"}",
       "{\"id\":\"b2\",\"result\":\"invalid_request\",\"detail\":\"code\"}"},
      {"{\"partition\":1,\"action\":\"fly\",\"code\":\"" CODE "\"}", "{\"result\":\"invalid_request\",\"detail\":\"action\"}"},
      {"{\"partition\":1,\"action\":\"arm_away\",\"code\":\"" CODE "\",\"bogus\":1}",
       "{\"result\":\"invalid_request\",\"detail\":\"field\"}"},
      {"[1,2,3]", "{\"result\":\"invalid_request\",\"detail\":\"json\"}"},
  };
  static char big[1200];
  unsigned from;
  setup();
  (void)connect_synced();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    from = n_msg;
    send_cmd(bad[i].json, false);
    kbm_pump(&BR, 0);
    KT_EQ(n_msg, from + 1);
    if (n_msg == from + 1) {
      KT_STREQ(MSG[from].topic, "keybus/test/result");
      KT_STREQ(MSG[from].payload, bad[i].want);
      KT_CHECK(!MSG[from].retain);
    }
  }
  /* too long, whole or in pieces (esp-mqtt's later pieces carry no topic) */
  memset(big, ' ', sizeof big - 1);
  big[0] = '{';
  from = n_msg;
  kbm_inbound(&BR, BR.t_command, strlen(BR.t_command), big, sizeof big - 1, sizeof big - 1, 0, false);
  kbm_inbound(&BR, BR.t_command, strlen(BR.t_command), big, 300, 900, 0, false);
  kbm_inbound(&BR, NULL, 0, big + 300, 300, 900, 300, false);
  kbm_inbound(&BR, BR.t_command, strlen(BR.t_command), "{\"partition\"", 12, 30, 0, false); /* short, in pieces */
  kbm_pump(&BR, 0);
  KT_EQ(count(from, "keybus/test/result", "{\"result\":\"invalid_request\",\"detail\":\"size\"}"), 3);
  KT_EQ(n_msg, from + 3);
  /* bytes that are not text, NULs included */
  {
    static const char junk[] = {'{', 0, '"', (char)0xff, '}', 0x01};
    from = n_msg;
    kbm_inbound(&BR, BR.t_command, strlen(BR.t_command), junk, sizeof junk, sizeof junk, 0, false);
    kbm_pump(&BR, 0);
    KT_EQ(count(from, "keybus/test/result", NULL), 1);
  }
  /* a retained command is ignored: no keys, no result */
  from = n_msg;
  send_cmd("{\"partition\":1,\"action\":\"arm_away\",\"code\":\"" CODE "\"}", true);
  kbm_pump(&BR, 0);
  KT_EQ(n_msg, from);
  KT_EQ(kb_bus_keys_pending(&BUS), 0);
  /* a message on another topic: nothing */
  kbm_inbound(&BR, "keybus/test/commandx", 20, "{}", 2, 2, 0, false);
  kbm_pump(&BR, 0);
  KT_EQ(n_msg, from);
  run_ms(2000);
  KT_EQ(kb_bus_keys_pending(&BUS), 0); /* nothing refused was typed */
  KT_EQ(kb_sim_panel_truth(&PANEL)->part[0].exit_delay, 0);
  KT_CHECK(!code_leaked);
  KT_EQ(lock_errors, 0);
}

/* a burst of commands: each is answered at once (queued or busy), each
 * queued one later with its final word, none twice */
static void test_burst(void) {
  char json[96], id[16];
  unsigned from, queued = 0, busy = 0, final = 0;
  setup();
  (void)connect_synced();
  from = n_msg;
  for (int i = 0; i < 12; i++) {
    snprintf(json, sizeof json, "{\"partition\":1,\"keys\":\"*\",\"id\":%d}", i);
    send_cmd(json, false);
  }
  run_ms(30000);
  for (int i = 0; i < 12; i++) {
    unsigned q, b, f;
    snprintf(id, sizeof id, "{\"id\":%d,", i);
    q = b = f = 0;
    for (unsigned k = from; k < n_msg; k++) {
      if (strcmp(MSG[k].topic, "keybus/test/result") || strncmp(MSG[k].payload, id, strlen(id))) continue;
      if (strstr(MSG[k].payload, "\"queued\"")) q++;
      else if (strstr(MSG[k].payload, "\"busy\"")) b++;
      else f++;
    }
    KT_EQ(q + b, 1);
    KT_EQ(f, q); /* a queued one ends once; a refused one never */
    queued += q;
    busy += b;
    final += f;
  }
  KT_CHECK(queued >= 1 && busy >= 1);
  KT_EQ(final, queued);
  KT_EQ(kb_bus_keys_pending(&BUS), 0);
  KT_EQ(lock_errors, 0);
}

/* the publish function full now and then: the same messages, same order */
static void test_flow_control(void) {
  static rec_t want[600];
  unsigned n_want, first;
  setup();
  first = connect_synced();
  n_want = n_msg - first;
  KT_CHECK(n_want > 40 && n_want <= 600);
  memcpy(want, &MSG[first], n_want * sizeof want[0]);
  first = n_msg;
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, false);
  for (int round = 0; round < 200 && n_msg - first < n_want; round++) {
    accept_left = (unsigned)(round % 4); /* 0..3 per pump, then FULL */
    kbm_pump(&BR, 0);
  }
  accept_left = UINT_MAX;
  KT_EQ(n_msg - first, n_want);
  for (unsigned i = 0; i < n_want && first + i < n_msg; i++) {
    KT_STREQ(MSG[first + i].topic, want[i].topic);
    KT_STREQ(MSG[first + i].payload, want[i].payload);
  }
  /* a budget: at most that many per pump */
  first = n_msg;
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, false);
  KT_EQ(kbm_pump(&BR, 5), 5);
  KT_EQ(n_msg, first + 5);
  KT_EQ(lock_errors, 0);
}

/* the broker goes away: nothing is published, messages are counted as
 * dropped; back: a new announce from the start */
static void test_reconnect(void) {
  unsigned from;
  kbm_stats_t s;
  setup();
  (void)connect_synced();
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, false);
  kbm_pump(&BR, 3);
  kbm_mqtt_connected(&BR, false);
  from = n_msg;
  kb_sim_panel_zone(&PANEL, 1, true, kb_wire_now(&WIRE));
  send_cmd("{\"partition\":1,\"keys\":\"*\",\"id\":\"c1\"}", false);
  run_ms(3000);
  KT_EQ(n_msg, from);
  kbm_mqtt_connected(&BR, true);
  kbm_pump(&BR, 0);
  KT_CHECK(check_announce(from, true) > 0);
  KT_CHECK(find(from, "keybus/test/zone/1", "ON") > 0);              /* the current state */
  KT_CHECK(find(from, "keybus/test/result", "\"id\":\"c1\"") > 0);   /* results waited */
  kbm_stats(&BR, &s);
  KT_EQ(s.connects, 2);
  KT_EQ(s.reconnects, 1);
  KT_CHECK(strstr(MSG[find(from, "keybus/test/health", NULL)].payload, "\"mqtt_reconnects\":1") != NULL);
  /* publish refused (the client lost the connection first): dropped, counted */
  pub_fail = true;
  kbm_inbound(&BR, "homeassistant/status", 20, "online", 6, 6, 0, false);
  kbm_pump(&BR, 0);
  kbm_stats(&BR, &s);
  KT_CHECK(s.dropped >= 1);
  KT_EQ(lock_errors, 0);
}

/* the keybus component is not running (kbe_start failed): the broker still
 * gets the device (discovery, health), commands get not_available */
static void test_bus_stopped(void) {
  unsigned from;
  setup();
  bus_stopped = true;
  kbm_mqtt_connected(&BR, true);
  kbm_pump(&BR, 0);
  KT_EQ(check_announce(0, false), (int)n_msg);
  from = n_msg;
  send_cmd("{\"partition\":1,\"action\":\"arm_away\",\"code\":\"" CODE "\",\"id\":\"s\"}", false);
  kbm_pump(&BR, 0);
  KT_EQ(n_msg, from + 1);
  KT_STREQ(MSG[from].payload, "{\"id\":\"s\",\"result\":\"not_available\",\"detail\":\"keybus_stopped\"}");
  KT_CHECK(!code_leaked);
  KT_EQ(lock_errors, 0);
}

KT_MAIN(KT_CASE(test_announce), KT_CASE(test_state_once), KT_CASE(test_command), KT_CASE(test_malformed), KT_CASE(test_burst),
        KT_CASE(test_flow_control), KT_CASE(test_reconnect), KT_CASE(test_bus_stopped))
