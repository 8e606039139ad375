/* SPDX-License-Identifier: MIT
 * keybusd's virtual zone expander (apps/keybusd/kd_xpd.c): the [expander]
 * section, the vzone command's payload, the refusals, and the MQTT / Home
 * Assistant messages (valid JSON, the device's topics). */
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../../../apps/keybusd/kd_xpd.c"
#include "harness.h"

static char err[KD_XPD_ERR_MAX];

static int parse(kd_xpd_conf_t *c, const char *text) {
  kd_xpd_conf_init(c);
  return kd_xpd_conf_parse(c, text, strlen(text), "k.conf", err, sizeof err);
}

static void test_conf_ok(void) {
  kd_xpd_conf_t c;
  KT_EQ(parse(&c, "[keybus]\nbackend = sim\n\n[expander]\n# virtual zones\nexpanders = 1, 2\n"
                  "zones = 9,10 , 17\n[zone 9]\nname = Hall\nzones = nonsense outside the section\n"),
        0);
  KT_STREQ(err, "");
  KT_EQ(c.expanders, 0x06);
  KT_EQ(c.zones, (1ull << 8) | (1ull << 9) | (1ull << 16));
  KT_EQ(c.line, 4);
  KT_EQ(kd_xpd_count(&c), 3);
  KT_EQ(kd_xpd_zone_at(&c, 0), 9);
  KT_EQ(kd_xpd_zone_at(&c, 2), 17);
  KT_EQ(kd_xpd_zone_at(&c, 3), 0);
  /* no section: nothing, no error */
  KT_EQ(parse(&c, "[keybus]\nbackend = sim\n"), 0);
  KT_EQ(c.expanders, 0);
  KT_EQ(c.line, 0);
  /* CRLF, BOM */
  KT_EQ(parse(&c, "\xEF\xBB\xBF[expander]\r\nexpanders = 3\r\nzones = 25\r\n"), 0);
  KT_EQ(c.expanders, 0x08);
}

static void test_conf_errors(void) {
  kd_xpd_conf_t c;
  KT_EQ(parse(&c, "[expander]\nexpanders = 8\n"), 2); /* and then: none given */
  KT_CHECK(strstr(err, "k.conf:2: [expander] expanders: 8 is outside 0-7") != NULL);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nzones = 9, 17\n"), 1);
  KT_CHECK(strstr(err, "k.conf:3: [expander] zones: zone 17 is on expander 2, which is not in expanders") != NULL);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\ncolour = red\n"), 1);
  KT_CHECK(strstr(err, "k.conf:3: [expander]: unknown key") != NULL);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\n[expander]\n"), 1);
  KT_CHECK(strstr(err, "k.conf:3: [expander] is already defined at line 1") != NULL);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nzones = 9,,10\n"), 1);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nzones = 9, 9\n"), 1);
  KT_CHECK(strstr(err, "9 is given twice") != NULL);
  KT_EQ(parse(&c, "[expander]\nexpanders = x\n"), 2);
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nexpanders = 2\n"), 1);
  KT_EQ(parse(&c, "[expander]\nexpanders\n"), 2);
  KT_EQ(parse(&c, "[expander]\nzones = 999999999999999999999\nexpanders = 1\n"), 1);
  /* a small error buffer: cut, terminated, still counted */
  kd_xpd_conf_init(&c);
  {
    char small[16];
    static const char t[] = "[expander]\nexpanders = 9\nzones = 0\n";
    KT_EQ(kd_xpd_conf_parse(&c, t, strlen(t), "k.conf", small, sizeof small), 3);
    KT_CHECK(strlen(small) < sizeof small);
  }
}

static void test_payload(void) {
  unsigned z = 0;
  kb_xpd_zone_t s = KB_XPD_CLOSED;
  KT_EQ(kd_xpd_payload("9 open", 6, &z, &s), 0);
  KT_EQ(z, 9);
  KT_EQ(s, KB_XPD_OPEN);
  KT_EQ(kd_xpd_payload(" 10   closed ", 13, &z, &s), 0);
  KT_EQ(z, 10);
  KT_EQ(s, KB_XPD_CLOSED);
  KT_EQ(kd_xpd_payload("64 tamper", 9, &z, &s), 0);
  KT_EQ(s, KB_XPD_TAMPER);
  KT_EQ(kd_xpd_payload("9 ON", 4, &z, &s), 0);
  KT_EQ(s, KB_XPD_OPEN);
  KT_EQ(kd_xpd_payload("9 OFF", 5, &z, &s), 0);
  KT_EQ(s, KB_XPD_CLOSED);
  static const char *const bad[] = {"", "9", "open", "65 open", "0 open", "009 open", "9 opened",
                                    "9open", "9 open x", "-1 open", "9 OPEN"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    KT_EQ(kd_xpd_payload(bad[i], strlen(bad[i]), &z, &s), -1);
  KT_EQ(kd_xpd_payload("9 open", 3, &z, &s), -1); /* the length counts, not the NUL */
}

static void test_command(void) {
  kd_xpd_conf_t c;
  kb_xpd_t x;
  kb_bus_t bus;
  unsigned z = 0;
  kb_xpd_zone_t s, got;
  const char *why = NULL;
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nzones = 9, 10\n"), 0);
  kb_bus_init(&bus, NULL);
  kb_xpd_init(&x);
  KT_EQ(kd_xpd_start(&c, &x, &bus), KB_OK);
  KT_CHECK(bus.xpd == &x);
  KT_EQ(kd_xpd_command(&c, &x, "9 open", 6, &z, &s, &why), 0);
  KT_EQ(z, 9);
  KT_EQ(kb_xpd_zone(&x, 9, &got), KB_OK);
  KT_EQ(got, KB_XPD_OPEN);
  KT_CHECK(kb_xpd_pending(&x, 1));
  KT_EQ(kd_xpd_command(&c, &x, "11 open", 7, &z, &s, &why), -1); /* on expander 1, not virtual */
  KT_CHECK(why && strstr(why, "not a virtual zone"));
  KT_EQ(kb_xpd_zone(&x, 11, &got), KB_OK);
  KT_EQ(got, KB_XPD_CLOSED);
  KT_EQ(kd_xpd_command(&c, &x, "garbage", 7, &z, &s, &why), -1);
  KT_CHECK(why != NULL);
  /* nothing configured: nothing attached */
  kd_xpd_conf_init(&c);
  kb_bus_init(&bus, NULL);
  kb_xpd_init(&x);
  KT_EQ(kd_xpd_start(&c, &x, &bus), KB_OK);
  KT_CHECK(bus.xpd == NULL);
}

static void test_messages(void) {
  kd_xpd_conf_t c;
  kb_ha_config_t ha;
  char topic[KB_HA_TOPIC_SIZE], doc[KB_HA_DOC_SIZE];
  kb_ha_msg_t m = {topic, sizeof topic, 0, doc, sizeof doc, 0, false};
  cJSON *j;
  memset(&ha, 0, sizeof ha);
  ha.device_id = "house";
  KT_EQ(parse(&c, "[expander]\nexpanders = 1\nzones = 9, 12\n"), 0);
  KT_EQ(kd_xpd_topic(&ha, topic, sizeof topic), KB_OK);
  KT_STREQ(topic, "keybus/house/vzone/set");
  KT_EQ(kd_xpd_state(&ha, 12, KB_XPD_TAMPER, &m), KB_OK);
  KT_STREQ(topic, "keybus/house/vzone/12");
  KT_STREQ(doc, "tamper");
  KT_CHECK(m.retain);
  KT_EQ(kd_xpd_discovery(&c, &ha, 1, &m), KB_OK);
  KT_STREQ(topic, "homeassistant/switch/house/vzone12/config");
  j = cJSON_Parse(doc);
  KT_CHECK(j != NULL);
  if (j) {
    KT_STREQ(cJSON_GetObjectItem(j, "command_topic")->valuestring, "keybus/house/vzone/set");
    KT_STREQ(cJSON_GetObjectItem(j, "payload_on")->valuestring, "12 open");
    KT_STREQ(cJSON_GetObjectItem(j, "payload_off")->valuestring, "12 closed");
    KT_STREQ(cJSON_GetObjectItem(j, "state_topic")->valuestring, "keybus/house/vzone/12");
    KT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "device"), "identifiers"), 0)->valuestring,
             "keybus_house");
    cJSON_Delete(j);
  }
  KT_EQ(kd_xpd_discovery(&c, &ha, 2, &m), KB_ERR_ARG);
  /* a payload buffer too small: refused, not cut */
  m.payload_size = 40;
  KT_EQ(kd_xpd_discovery(&c, &ha, 0, &m), KB_ERR_FULL);
  KT_STREQ(doc, "");
  ha.device_id = "bad/id";
  KT_EQ(kd_xpd_topic(&ha, topic, sizeof topic), KB_ERR_ARG);
}

KT_MAIN(KT_CASE(test_conf_ok), KT_CASE(test_conf_errors), KT_CASE(test_payload), KT_CASE(test_command),
        KT_CASE(test_messages))
