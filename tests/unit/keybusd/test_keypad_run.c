/* SPDX-License-Identifier: MIT
 *
 * test_keypad_run.c - keybusd --role keypad's loop (apps/keybusd/
 * kd_keypad_run.c, #included with kd_keypad.c and kd_log.c) on the
 * simulated keypad, against a stand-in for kd_mqtt (defined here: it records
 * what is published and hands over queued inbound messages). The role must
 * announce (discovery documents, then the lights' and zones' states), publish
 * the keys the simulated keypad types as events, apply a command and publish
 * its retained state, and stop when asked.
 */
#include "../../../apps/keybusd/kd_log.c"
#include "../../../apps/keybusd/kd_keypad.c"
#include "../../../apps/keybusd/kd_keypad_run.c"
#include "../../../ports/linux/kb_gpio_panel.c"

#include "harness.h"

/* ------------------------------------------------ kd_mqtt stand-in */

#define MAXPUB 256
static struct {
  char topic[KD_KEYPAD_TOPIC_MAX];
  char payload[KD_KEYPAD_DOC_MAX];
  bool retain;
} pub[MAXPUB];
static unsigned npub, nkeys, announces;
static kd_mqtt_in_t inq[4];
static unsigned nin, in_next;
static volatile sig_atomic_t stop_flag;
static int dummy;

bool kd_mqtt_connected(kd_mqtt_t *m) { return m != NULL; }
bool kd_mqtt_announce(kd_mqtt_t *m) {
  (void)m;
  return announces++ == 0; /* once, at the first pass */
}
void kd_mqtt_request_announce(kd_mqtt_t *m) { (void)m; }
static unsigned passes;
int kd_mqtt_room(kd_mqtt_t *m) {
  (void)m;
  if (++passes > 20000u) stop_flag = 1; /* 20 s of task passes: fail, never hang */
  return 8; /* a window: the announce takes several passes */
}
int kd_mqtt_publish(kd_mqtt_t *m, const char *topic, const void *payload, size_t len, bool retain) {
  (void)m;
  if (npub < MAXPUB) {
    snprintf(pub[npub].topic, sizeof pub[npub].topic, "%s", topic);
    snprintf(pub[npub].payload, sizeof pub[npub].payload, "%.*s", (int)len, (const char *)payload);
    pub[npub].retain = retain;
    npub++;
  }
  if (strstr(topic, "/keypad/event")) nkeys++;
  if (nkeys == 3 && in_next == nin) stop_flag = 1; /* the three keys typed, the commands taken */
  return 0;
}
bool kd_mqtt_take(kd_mqtt_t *m, kd_mqtt_in_t *out) {
  (void)m;
  if (in_next >= nin || nkeys < 1) return false; /* commands once the bus runs */
  *out = inq[in_next++];
  return true;
}

static void queue_in(int sub, const char *p) {
  memset(&inq[nin], 0, sizeof inq[nin]);
  inq[nin].sub = sub;
  inq[nin].len = strlen(p);
  snprintf(inq[nin].payload, sizeof inq[nin].payload, "%s", p);
  nin++;
}

static int find_pub(const char *topic, const char *payload) {
  for (unsigned i = 0; i < npub; i++)
    if (!strcmp(pub[i].topic, topic) && (!payload || !strcmp(pub[i].payload, payload))) return (int)i;
  return -1;
}

static void test_role_on_simulated_keypad(void) {
  kd_keypad_run_cfg_t c;
  unsigned n;
  memset(&c, 0, sizeof c);
  c.kp.prefix = "keybus";
  c.kp.discovery = "homeassistant";
  c.kp.id = "door";
  c.kp.zones = 8;
  c.kp.version = "test";
  c.sim = true;
  c.mq = (kd_mqtt_t *)&dummy;
  c.sub_command = 2;
  c.sub_ha_status = 1;
  c.sim_keys = "1f#";
  queue_in(2, "light/armed blink");
  queue_in(2, "beep 500"); /* refused: out of range */
  kd_log_init(KD_WARNING, false);
  KT_EQ(kd_keypad_run(&c, &stop_flag), 0);
  n = kd_keypad_entities(&c.kp);
  /* the announce: every discovery document, retained, first */
  KT_CHECK(npub >= n);
  for (unsigned i = 0; i < n && i < npub; i++) {
    KT_CHECK(!strncmp(pub[i].topic, "homeassistant/", 14));
    KT_CHECK(pub[i].retain);
  }
  KT_CHECK(find_pub("keybus/door/keypad/light/ready", "on") >= 0);
  KT_CHECK(find_pub("keybus/door/keypad/zone/8", "off") >= 0);
  /* the keys, in order, not retained */
  {
    int a = find_pub("keybus/door/keypad/event", "{\"event_type\":\"1\"}");
    int b = find_pub("keybus/door/keypad/event", "{\"event_type\":\"fire\"}");
    int d = find_pub("keybus/door/keypad/event", "{\"event_type\":\"#\"}");
    KT_CHECK(a >= 0 && b > a && d > b);
    if (a >= 0) KT_CHECK(!pub[a].retain);
  }
  /* the command applied: its state published (retained), the bad one not */
  {
    int s = find_pub("keybus/door/keypad/light/armed", "blink");
    KT_CHECK(s >= 0);
    if (s >= 0) KT_CHECK(pub[s].retain);
    KT_EQ(R.pnl.blink, 0x02);
    KT_EQ(R.bad_cmds, 1);
    KT_EQ(R.pnl.beep_p, 0);
  }
  KT_EQ(R.keys, 3);
}

KT_MAIN(KT_CASE(test_role_on_simulated_keypad))
