/* SPDX-License-Identifier: MIT
 *
 * test_keypad.c - keybusd --role keypad's MQTT / Home Assistant mapping
 * (apps/keybusd/kd_keypad.c, #included): key events, commands applied to
 * the panel role's engine (and refused when malformed), discovery documents
 * that parse as JSON, retained states.
 */
#include "../../../apps/keybusd/kd_keypad.c"

#include <cJSON.h>

#include "harness.h"

static const kd_keypad_cfg_t CFG = {"keybus", "homeassistant", "door", 8, "1.2.3"};

static void test_key_events(void) {
  char t[KD_KEYPAD_TOPIC_MAX], pl[128];
  KT_EQ(kd_keypad_key_msg(&CFG, 0x05, t, sizeof t, pl, sizeof pl), 0);
  KT_STREQ(t, "keybus/door/keypad/event");
  KT_STREQ(pl, "{\"event_type\":\"1\"}");
  KT_EQ(kd_keypad_key_msg(&CFG, KB_PNL_KEY_FIRE, t, sizeof t, pl, sizeof pl), 0);
  KT_STREQ(pl, "{\"event_type\":\"fire\"}");
  KT_EQ(kd_keypad_key_msg(&CFG, 0x2D, t, sizeof t, pl, sizeof pl), 0);
  KT_STREQ(pl, "{\"event_type\":\"#\"}");
  KT_EQ(kd_keypad_key_msg(&CFG, 0x01, t, sizeof t, pl, sizeof pl), -1); /* no key */
  KT_EQ(kd_keypad_key_msg(&CFG, 0x05, t, 8, pl, sizeof pl), -1);       /* too small */
}

static void test_commands(void) {
  kb_pnl_t p;
  char st[KD_KEYPAD_TOPIC_MAX], sv[16];
  kb_pnl_init(&p, NULL);
#define CMD(payload) kd_keypad_command(&CFG, &p, payload, st, sizeof st, sv, sizeof sv)
  KT_EQ(CMD("light/armed blink"), KD_KEYPAD_APPLIED);
  KT_EQ(p.blink, 0x02);
  KT_STREQ(st, "keybus/door/keypad/light/armed");
  KT_STREQ(sv, "blink");
  KT_EQ(CMD("light/ready off"), KD_KEYPAD_APPLIED);
  KT_EQ(p.lights, 0x80);
  KT_EQ(CMD("light/fire ON"), KD_KEYPAD_APPLIED);
  KT_EQ(p.lights, 0xC0);
  KT_STREQ(sv, "on");
  KT_EQ(CMD("zone/3 on"), KD_KEYPAD_APPLIED);
  KT_EQ(p.zones[0], 0x04);
  KT_STREQ(st, "keybus/door/keypad/zone/3");
  KT_EQ(CMD("beep 3"), KD_KEYPAD_APPLIED);
  KT_EQ(p.beep, 6);
  KT_EQ(p.beep_p, 1);
  KT_STREQ(st, ""); /* nothing retained for a beep */
  KT_EQ(CMD("buzzer 10"), KD_KEYPAD_APPLIED);
  KT_EQ(p.buzzer, 10);
  KT_EQ(CMD("status 0x11"), KD_KEYPAD_APPLIED);
  KT_EQ(p.status, 0x11);
  KT_EQ(CMD("tone 2,0,4"), KD_KEYPAD_APPLIED);
  KT_EQ(p.tone, 0x24);
  KT_EQ(CMD("tone off"), KD_KEYPAD_APPLIED);
  KT_EQ(p.tone, 0x00);
  /* refused, nothing changed */
  {
    kb_pnl_t before = p;
    KT_EQ(CMD("light/armed bright"), KD_KEYPAD_BAD);
    KT_EQ(CMD("light/disco on"), KD_KEYPAD_BAD);
    KT_EQ(CMD("zone/9 on"), KD_KEYPAD_BAD); /* 8 zones configured */
    KT_EQ(CMD("zone/0 on"), KD_KEYPAD_BAD);
    KT_EQ(CMD("zone/x on"), KD_KEYPAD_BAD);
    KT_EQ(CMD("beep 129"), KD_KEYPAD_BAD);
    KT_EQ(CMD("beep -1"), KD_KEYPAD_BAD);
    KT_EQ(CMD("beep "), KD_KEYPAD_BAD);
    KT_EQ(CMD("beep 3x"), KD_KEYPAD_BAD);
    KT_EQ(CMD("status 256"), KD_KEYPAD_BAD);
    KT_EQ(CMD("tone 8,0,0"), KD_KEYPAD_BAD);
    KT_EQ(CMD("tone 1,2,0"), KD_KEYPAD_BAD);
    KT_EQ(CMD("tone 1,0,16"), KD_KEYPAD_BAD);
    KT_EQ(CMD("tone 1,0,1,"), KD_KEYPAD_BAD);
    KT_EQ(CMD("nothing 1"), KD_KEYPAD_BAD);
    KT_EQ(CMD("beep/x 1"), KD_KEYPAD_BAD);
    KT_CHECK(memcmp(&before, &p, sizeof p) == 0);
  }
  /* malformed framing */
  KT_EQ(CMD("beep"), KD_KEYPAD_BAD);
  KT_EQ(CMD(""), KD_KEYPAD_BAD);
  KT_EQ(CMD("light/ on"), KD_KEYPAD_BAD);
  KT_EQ(CMD("light on"), KD_KEYPAD_BAD);
  KT_EQ(CMD("averyveryveryveryveryveryverylongword 1"), KD_KEYPAD_BAD);
#undef CMD
}

static void test_subscriptions(void) {
  char b[KD_KEYPAD_TOPIC_MAX];
  KT_STREQ(kd_keypad_sub(&CFG, b, sizeof b), "keybus/door/keypad/set");
  KT_CHECK(kd_keypad_sub(&CFG, b, 8) == NULL);
}

static void test_discovery(void) {
  char t[KD_KEYPAD_TOPIC_MAX], d[KD_KEYPAD_DOC_MAX];
  unsigned n = kd_keypad_entities(&CFG), selects = 0, numbers = 0, events = 0;
  KT_EQ(n, 1 + 8 + 8 + 3);
  for (unsigned i = 0; i < n; i++) {
    cJSON *j;
    KT_EQ(kd_keypad_discovery(&CFG, i, t, sizeof t, d, sizeof d), 0);
    j = cJSON_Parse(d);
    KT_CHECK(j != NULL);
    if (!j) {
      kt_fail(__FILE__, __LINE__, "entity %u: %s", i, d);
      continue;
    }
    KT_CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "unique_id")));
    KT_CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "device")));
    if (strstr(t, "/select/")) {
      cJSON *o = cJSON_GetObjectItem(j, "options");
      selects++;
      KT_EQ(cJSON_GetArraySize(o), 3);
      KT_STREQ(cJSON_GetObjectItem(j, "command_topic")->valuestring, "keybus/door/keypad/set");
      KT_CHECK(strstr(cJSON_GetObjectItem(j, "command_template")->valuestring, " {{ value }}") != NULL);
    }
    if (strstr(t, "/number/")) numbers++;
    if (strstr(t, "/event/")) {
      events++;
      KT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "event_types")), 24);
      KT_STREQ(cJSON_GetObjectItem(j, "state_topic")->valuestring, "keybus/door/keypad/event");
    }
    cJSON_Delete(j);
  }
  KT_EQ(events, 1);
  KT_EQ(selects, 16);
  KT_EQ(numbers, 3);
  KT_EQ(kd_keypad_discovery(&CFG, 1, t, sizeof t, d, sizeof d), 0);
  KT_STREQ(t, "homeassistant/select/door/keypad_light_ready/config");
  KT_EQ(kd_keypad_discovery(&CFG, n, t, sizeof t, d, sizeof d), -1);
  KT_EQ(kd_keypad_discovery(&CFG, 0, t, sizeof t, d, 100), -1); /* too small */
}

static void test_states(void) {
  kb_pnl_t p;
  char t[KD_KEYPAD_TOPIC_MAX], v[16];
  kb_pnl_init(&p, NULL);
  KT_EQ(kb_pnl_set_zone(&p, 2, KB_PNL_BLINK), KB_OK);
  KT_EQ(kd_keypad_state(&CFG, &p, 0, t, sizeof t, v, sizeof v), 0); /* the event: none */
  KT_EQ(kd_keypad_state(&CFG, &p, 1, t, sizeof t, v, sizeof v), 1);
  KT_STREQ(t, "keybus/door/keypad/light/ready");
  KT_STREQ(v, "on");
  KT_EQ(kd_keypad_state(&CFG, &p, 2, t, sizeof t, v, sizeof v), 1);
  KT_STREQ(v, "off");
  KT_EQ(kd_keypad_state(&CFG, &p, 8 + 2, t, sizeof t, v, sizeof v), 1);
  KT_STREQ(t, "keybus/door/keypad/zone/2");
  KT_STREQ(v, "blink");
  KT_EQ(kd_keypad_state(&CFG, &p, 8 + 8 + 1, t, sizeof t, v, sizeof v), 0); /* beep */
}

KT_MAIN(KT_CASE(test_key_events), KT_CASE(test_commands), KT_CASE(test_subscriptions),
        KT_CASE(test_discovery), KT_CASE(test_states))
