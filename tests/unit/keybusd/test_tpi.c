/* SPDX-License-Identifier: MIT
 * keybusd --tpi's protocol module (apps/keybusd/kd_tpi.c, #included): the
 * checksums of the fact sheet, the login and its limiter, one answer per
 * line, the partition mapping, zone timers, the message order of a disarm,
 * the 900/200 code exchange, a configured code, garbage, a client that does
 * not read, and no code left behind in a buffer. */
#include <string.h>

#include "../../../apps/keybusd/kd_tpi.c"
#include "harness.h"
#include "keybus/kb_classic.h"

static kd_tpi_t T;
static char got[KD_TPI_OUT_MAX + 1];

static void setup(const char *code, bool writable) {
  kd_tpi_cfg_t c;
  memset(&c, 0, sizeof c);
  c.password = "user";
  c.arm_code = code;
  c.partitions = 0x03;
  c.code_length = 4;
  c.writable = writable;
  KT_CHECK(kd_tpi_init(&T, &c));
}

/* the client's output so far, taken */
static const char *take(int s) {
  const char *p;
  size_t n = kd_tpi_out(&T, s, &p);
  memcpy(got, p ? p : "", n);
  got[n] = 0;
  kd_tpi_sent(&T, s, n);
  return got;
}

static void send_s(int s, const char *text, uint64_t now) { kd_tpi_input(&T, s, (const uint8_t *)text, strlen(text), now); }

/* a line with its checksum */
static void cmd(int s, const char *c, uint64_t now) {
  char b[128], k[3];
  kd_tpi_checksum(c, strlen(c), k);
  snprintf(b, sizeof b, "%s%s\r\n", c, k);
  send_s(s, b, now);
}

static int logged_in(uint64_t now) {
  int s = kd_tpi_connect(&T, "10.0.0.2", now);
  KT_CHECK(s >= 0);
  cmd(s, "005user", now);
  KT_CHECK(strncmp(take(s), "5053CD\r\n5000052A\r\n5051CB\r\n615", 29) == 0);
  return s;
}

/* a synced status: partitions 1 and 2 ready, bus up */
static kb_status_t st;
static void status_ready(void) {
  memset(&st, 0, sizeof st);
  st.synced = st.connected = 1;
  st.ac_power = st.battery_ok = 1;
  for (int p = 0; p < 2; p++) {
    st.part[p].known = 1;
    st.part[p].status = KB_ST_READY;
    st.part[p].ready = 1;
    st.part[p].lights = KB_LIGHT_READY | KB_LIGHT_BACKLIGHT;
  }
}

static void test_checksums_of_the_fact_sheet(void) {
  static const struct {
    const char *s, *k;
  } v[] = {{"5053", "CD"}, {"005user", "54"}, {"500005", "2A"}, {"5051", "CB"}, {"5050", "CA"}, {"000", "90"},
           {"500000", "25"}, {"0711*112#", "AA"}, {"04011234", "8F"}, {"0603", "C9"}, {"65210", "FE"},
           {"65213", "01"}, {"610048", "33"}, {"7001" "0040", "8C"}, {"502020", "29"}, {"501", "96"}};
  char k[3];
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    kd_tpi_checksum(v[i].s, strlen(v[i].s), k);
    KT_STREQ(k, v[i].k);
  }
}

static void test_login(void) {
  int s;
  setup(NULL, true);
  KT_CHECK(!kd_tpi_init(&T, &(kd_tpi_cfg_t){.password = ""}));
  setup(NULL, true);
  s = kd_tpi_connect(&T, "10.0.0.1", 0);
  KT_STREQ(take(s), "5053CD\r\n"); /* first and alone */
  cmd(s, "005usex", 100);
  KT_STREQ(take(s), "5000052A\r\n5050CA\r\n");
  KT_CHECK(kd_tpi_closing(&T, s));
  KT_CHECK(kd_tpi_note(&T, s) & KD_TPI_NOTE_LOGIN_FAILED);
  cmd(s, "000", 100); /* nothing more is read from a closing client */
  KT_STREQ(take(s), "");
  kd_tpi_disconnect(&T, s);
  s = logged_in(200);
  KT_CHECK(!kd_tpi_closing(&T, s));
  KT_CHECK(kd_tpi_note(&T, s) & KD_TPI_NOTE_LOGIN_OK);
  /* a command before the login is a failed login */
  s = kd_tpi_connect(&T, "10.0.0.3", 0);
  take(s);
  cmd(s, "000", 10);
  KT_STREQ(take(s), "50000025\r\n5050CA\r\n");
  KT_CHECK(kd_tpi_closing(&T, s));
}

static void test_login_timeout(void) {
  int s;
  setup(NULL, true);
  s = kd_tpi_connect(&T, "10.0.0.1", 1000);
  take(s);
  kd_tpi_tick(&T, 1000 + KD_TPI_LOGIN_MS - 1, NULL);
  KT_STREQ(take(s), "");
  kd_tpi_tick(&T, 1000 + KD_TPI_LOGIN_MS, NULL);
  KT_STREQ(take(s), "5052CC\r\n");
  KT_CHECK(kd_tpi_closing(&T, s));
}

static void test_failed_logins_are_limited(void) {
  int s;
  setup(NULL, true);
  for (int i = 0; i < KD_TPI_RATE_FAILS; i++) {
    s = kd_tpi_connect(&T, "10.0.0.9", 1000);
    cmd(s, "005nope", 1000 + (uint64_t)i);
    kd_tpi_disconnect(&T, s);
  }
  s = kd_tpi_connect(&T, "10.0.0.9", 2000);
  take(s);
  cmd(s, "005user", 2000); /* right, but not even checked */
  KT_STREQ(take(s), "5000052A\r\n5050CA\r\n");
  KT_CHECK(kd_tpi_note(&T, s) & KD_TPI_NOTE_LOGIN_BLOCKED);
  kd_tpi_disconnect(&T, s);
  s = kd_tpi_connect(&T, "10.0.0.8", 2000); /* another address is not */
  take(s);
  cmd(s, "005user", 2000);
  KT_CHECK(strncmp(take(s), "5000052A\r\n5051CB\r\n615", 21) == 0);
  kd_tpi_disconnect(&T, s);
  s = kd_tpi_connect(&T, "10.0.0.9", 1004 + KD_TPI_RATE_BLOCK_MS);
  take(s);
  cmd(s, "005user", 1004 + KD_TPI_RATE_BLOCK_MS); /* the block is over */
  KT_CHECK(strncmp(take(s), "5000052A\r\n5051CB\r\n", 18) == 0);
  kd_tpi_disconnect(&T, s);
  /* many addresses: the global limit */
  setup(NULL, true);
  for (int i = 0; i < KD_TPI_GLOBAL_FAILS; i++) {
    char a[32];
    snprintf(a, sizeof a, "10.1.0.%d", i);
    s = kd_tpi_connect(&T, a, 5000);
    cmd(s, "005nope", 5000);
    kd_tpi_disconnect(&T, s);
  }
  s = kd_tpi_connect(&T, "10.2.0.1", 5001);
  take(s);
  cmd(s, "005user", 5001);
  KT_STREQ(take(s), "5000052A\r\n5050CA\r\n");
}

static void test_one_answer_per_line_and_garbage(void) {
  int s;
  char big[200];
  setup(NULL, true);
  s = logged_in(0);
  send_s(s, "00091\r\n", 1);
  KT_STREQ(take(s), "50196\r\n");
  cmd(s, "999", 1);
  KT_STREQ(take(s), "5020222B\r\n");
  send_s(s, "xyz\r\n", 1);
  KT_STREQ(take(s), "50202029\r\n");
  send_s(s, "\x01\x80zz\r\n", 1);
  KT_STREQ(take(s), "50202730\r\n");
  memset(big, '7', sizeof big);
  kd_tpi_input(&T, s, (const uint8_t *)big, sizeof big, 1);
  send_s(s, "\r\n", 1);
  KT_STREQ(take(s), "50200229\r\n"); /* one answer for the whole over-long line */
  /* byte by byte, CR LF, LF alone, lower-case checksum */
  for (const char *p = "00090\n"; *p; p++) kd_tpi_input(&T, s, (const uint8_t *)p, 1, 1);
  KT_STREQ(take(s), "50000025\r\n");
  send_s(s, "0561cc\r\n", 1); /* 056 1: checksum CC, sent in lower case */
  KT_CHECK(strncmp(take(s), "50005630\r\n", 10) == 0);
  cmd(s, "0101230120626", 1);
  KT_STREQ(take(s), "50001026\r\n");
  cmd(s, "010123", 1);
  KT_STREQ(take(s), "5020252E\r\n");
  cmd(s, "0309", 1);
  KT_STREQ(take(s), "5020212A\r\n");
  cmd(s, "0401None", 1);
  KT_STREQ(take(s), "50202730\r\n");
  cmd(s, "2001234", 1);
  KT_STREQ(take(s), "5020262F\r\n"); /* no 900 asked for it */
  cmd(s, "0301", 1); /* the state is not known yet: 014 */
  KT_STREQ(take(s), "5020142C\r\n");
  KT_CHECK(!kd_tpi_closing(&T, s));
}

static void test_partition_mapping(void) {
  kb_partition_t p;
  uint8_t m = 9;
  memset(&p, 0, sizeof p);
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 0); /* not known */
  p.known = 1, p.status = KB_ST_DISABLED;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 0);
  p.status = KB_ST_READY, p.ready = 1;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 650);
  KT_EQ(kd_tpi_part_code(&p, KB_LIGHT_READY, &m), 653);
  p.ready = 0, p.status = KB_ST_NOT_READY;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 651);
  p.armed = KB_ARMED_AWAY;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 652);
  KT_EQ(m, 0);
  p.armed = KB_ARMED_STAY;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 652);
  KT_EQ(m, 1);
  p.no_entry_delay = 1;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 652);
  KT_EQ(m, 3);
  p.armed = KB_ARMED_AWAY;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 652);
  KT_EQ(m, 2);
  p.exit_delay = 1;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 656);
  p.entry_delay = 1;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 657);
  p.alarm = 1;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 654);
  memset(&p, 0, sizeof p);
  p.known = 1, p.status = KB_ST_LOCKOUT;
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 658);
  p.status = KB_ST_ENTER_CODE, p.ready = 0; /* a prompt while an arming is typed: no change */
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 0);
  p.status = KB_ST_WRONG_CODE; /* a notice: no change (670 says it) */
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 0);
  p.status = KB_ST_STAR_MENU_ARMED, p.armed = KB_ARMED_AWAY; /* armed in a menu: still armed */
  KT_EQ(kd_tpi_part_code(&p, 0, &m), 652);
}

static void test_zones_and_timers(void) {
  int s;
  setup(NULL, true);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 1000);
  take(s);
  KT_EQ(kd_tpi_zone_timer(&T, 3, 1000), 0); /* never seen open */
  st.zones_open[0] = 0x04;
  kd_tpi_status(&T, &st, 2000);
  KT_STREQ(take(s), "60900332\r\n");
  KT_EQ(kd_tpi_zone_timer(&T, 3, 2000), 0xFFFF);
  st.zones_open[0] = 0;
  kd_tpi_status(&T, &st, 3000);
  KT_STREQ(take(s), "6100032A\r\n");
  KT_EQ(kd_tpi_zone_timer(&T, 3, 3000), 0xFFF9);
  KT_EQ(kd_tpi_zone_timer(&T, 3, 7999), 0xFFF9);
  KT_EQ(kd_tpi_zone_timer(&T, 3, 8000), 0xFFF8);
  KT_EQ(kd_tpi_zone_timer(&T, 3, 3000 + 5000ull * 0xFFF9u), 0);
  cmd(s, "008", 8000);
  take(s);
  KT_CHECK(strstr(got, "61500000000F8FF0000") == got + 10); /* zone 3 little-endian */
  /* zone 40 (partition 2 by default 1): tamper and alarm with their partition */
  T.cfg.zone_partition[39] = 2;
  st.zones_tamper[4] = 0x80;
  kd_tpi_status(&T, &st, 9000);
  KT_CHECK(strstr(take(s), "6032040") == got);
  /* 001: all 64 zones, then the partitions */
  cmd(s, "001", 9000);
  take(s);
  KT_CHECK(strncmp(got, "50000126\r\n610001", 16) == 0);
  KT_CHECK(strstr(got, "610064") != NULL);
  KT_CHECK(strstr(got, "6501CC\r\n") != NULL && strstr(got, "6502CD\r\n") != NULL);
  KT_CHECK(strstr(got, "51081") != NULL);
}

static void test_arm_with_900_and_200(void) {
  int s;
  kd_tpi_req_t r;
  setup(NULL, true);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  take(s);
  cmd(s, "0301", 20);
  KT_STREQ(take(s), "50003028\r\n90014FE\r\n");
  KT_CHECK(!kd_tpi_take(&T, &r)); /* nothing before the code */
  cmd(s, "2001234", 30);
  KT_STREQ(take(s), "50020027\r\n");
  KT_CHECK(kd_tpi_take(&T, &r));
  KT_EQ(r.client, s);
  KT_EQ(r.cmd.action, KB_HA_ACT_ARM_AWAY);
  KT_EQ(r.cmd.partition, 1);
  KT_STREQ(r.cmd.code, "1234");
  KT_STREQ(r.cmd.id, "tpi-1");
  kb_ha_cmd_wipe(&r.cmd);
  {
    const char *b = (const char *)&T; /* no copy of the code left */
    bool found = false;
    for (size_t i = 0; i + 4 <= sizeof T; i++) found |= memcmp(b + i, "1234", 4) == 0;
    KT_CHECK(!found);
  }
  /* a 900 that gets no 200: dropped after KD_TPI_CODE_WAIT_MS */
  cmd(s, "0312", 100);
  KT_STREQ(take(s), "50003129\r\n90024FF\r\n");
  kd_tpi_tick(&T, 100 + KD_TPI_CODE_WAIT_MS, NULL);
  KT_CHECK(kd_tpi_note(&T, s) & KD_TPI_NOTE_CODE_TIMEOUT);
  cmd(s, "2001234", 100 + KD_TPI_CODE_WAIT_MS);
  KT_STREQ(take(s), "5020262F\r\n");
  KT_CHECK(!kd_tpi_take(&T, &r));
}

static void test_configured_code_and_disarm_order(void) {
  int s;
  kd_tpi_req_t r;
  kb_event_t ev;
  setup("1234", true);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  take(s);
  cmd(s, "0321", 20); /* no 900: the configured code goes with it */
  KT_STREQ(take(s), "5000322A\r\n");
  KT_CHECK(kd_tpi_take(&T, &r));
  KT_EQ(r.cmd.action, KB_HA_ACT_ARM_NIGHT);
  KT_STREQ(r.cmd.code, "1234");
  kb_ha_cmd_wipe(&r.cmd);
  /* exit delay, then armed away with no entry delay, the user between */
  st.part[0].exit_delay = 1, st.part[0].ready = 0;
  kd_tpi_status(&T, &st, 30);
  KT_STREQ(take(s), "6561D2\r\n");
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_ACCESS_CODE, ev.partition = 1, ev.access.user = 40;
  kd_tpi_event(&T, &ev);
  st.part[0].exit_delay = 0, st.part[0].armed = KB_ARMED_AWAY, st.part[0].no_entry_delay = 1;
  kd_tpi_status(&T, &st, 40);
  KT_STREQ(take(s), "700100408C\r\n6521200\r\n");
  cmd(s, "0301", 50);
  KT_STREQ(take(s), "5020242D\r\n"); /* armed: not ready to arm */
  cmd(s, "04011234", 50);
  KT_STREQ(take(s), "50004029\r\n");
  KT_CHECK(kd_tpi_take(&T, &r));
  KT_EQ(r.cmd.action, KB_HA_ACT_DISARM);
  kb_ha_cmd_wipe(&r.cmd);
  /* disarmed: 655, the user, then ready */
  ev.access.user = 1;
  kd_tpi_event(&T, &ev);
  st.part[0].armed = 0, st.part[0].no_entry_delay = 0, st.part[0].ready = 1;
  kd_tpi_status(&T, &st, 60);
  KT_STREQ(take(s), "6551D1\r\n750100018E\r\n6501CC\r\n");
  /* arming with a prompt for the code first: no 651 in between */
  st.part[0].status = KB_ST_ENTER_CODE, st.part[0].ready = 0;
  kd_tpi_status(&T, &st, 70);
  KT_STREQ(take(s), "");
  st.part[0].status = KB_ST_EXIT_DELAY, st.part[0].exit_delay = 1;
  kd_tpi_status(&T, &st, 80);
  KT_STREQ(take(s), "6561D2\r\n");
}

static void test_read_only_and_busy_queue(void) {
  int s;
  setup("1234", false);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  take(s);
  cmd(s, "0301", 20);
  KT_STREQ(take(s), "5020222B\r\n");
  setup("1234", true);
  s = logged_in(0);
  kd_tpi_status(&T, &st, 10);
  take(s);
  for (int i = 0; i < KD_TPI_REQS; i++) cmd(s, "0711*4", 20);
  take(s);
  cmd(s, "0711*4", 20); /* the daemon has not taken any: busy */
  KT_STREQ(take(s), "50201830\r\n");
}

static void test_a_client_that_does_not_read_is_dropped(void) {
  int s;
  setup(NULL, true);
  s = logged_in(0);
  for (int i = 0; i < 200 && !kd_tpi_closing(&T, s); i++) cmd(s, "001", 1);
  KT_CHECK(kd_tpi_closing(&T, s));
  KT_CHECK(kd_tpi_note(&T, s) & KD_TPI_NOTE_OVERFLOW);
  /* whole lines only in what was kept */
  {
    const char *p;
    size_t n = kd_tpi_out(&T, s, &p);
    KT_CHECK(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n');
  }
}

static void test_clients_slots_and_broadcast(void) {
  int a, b, c;
  kd_tpi_cfg_t cf;
  setup(NULL, true);
  a = logged_in(0);
  b = logged_in(0);
  c = kd_tpi_connect(&T, "10.0.0.5", 0); /* not logged in: told nothing */
  take(c);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  KT_CHECK(strstr(take(a), "6501CC") != NULL);
  KT_CHECK(strstr(take(b), "6501CC") != NULL);
  KT_STREQ(take(c), "");
  cmd(a, "000", 20);
  KT_STREQ(take(b), ""); /* acks only to the one who asked */
  KT_STREQ(take(a), "50000025\r\n");
  KT_CHECK(kd_tpi_connect(&T, "x", 0) >= 0);
  KT_EQ(kd_tpi_connect(&T, "x", 0), -1); /* all KD_TPI_CLIENTS slots */
  memset(&cf, 0, sizeof cf);
  cf.password = "user";
  cf.max_clients = 1;
  KT_CHECK(kd_tpi_init(&T, &cf));
  a = kd_tpi_connect(&T, "x", 0);
  KT_CHECK(a >= 0);
  KT_EQ(kd_tpi_connect(&T, "y", 0), -1);
  kd_tpi_disconnect(&T, a);
  KT_CHECK(kd_tpi_connect(&T, "y", 0) >= 0);
}

static void test_troubles(void) {
  int s;
  setup(NULL, true);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  take(s);
  st.ac_power = 0;
  kd_tpi_status(&T, &st, 20);
  KT_STREQ(take(s), "8029A\r\n8490207\r\n");
  kd_tpi_tick(&T, 20 + KD_TPI_TROUBLE_MS, NULL); /* again while it lasts */
  KT_STREQ(take(s), "8490207\r\n");
  st.ac_power = 1;
  st.part[0].lights |= KB_LIGHT_TROUBLE;
  kd_tpi_status(&T, &st, 30);
  take(s);
  KT_CHECK(strstr(got, "8401") && strstr(got, "8039B") && strstr(got, "84900"));
  st.connected = 0;
  kd_tpi_status(&T, &st, 40);
  KT_STREQ(take(s), "896A7\r\n");
}

static void pev(uint8_t kind, uint8_t number, uint16_t entry) {
  kb_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = KB_EV_PANEL_EVENT;
  ev.panel.pev.kind = kind;
  ev.panel.pev.number = number;
  ev.panel.number = entry;
  kd_tpi_event(&T, &ev);
}

static void test_troubles_from_panel_events(void) {
  int s;
  setup(NULL, true);
  s = logged_in(0);
  status_ready();
  kd_tpi_status(&T, &st, 10);
  take(s);
  pev(KB_PEV_ZONE_BATTERY_LOW, 12, KB_EVENT_LIVE);
  KT_STREQ(take(s), "8210122E\r\n");
  pev(KB_PEV_ZONE_BATTERY_LOW, 12, KB_EVENT_LIVE); /* said once */
  KT_STREQ(take(s), "");
  kd_tpi_status(&T, &st, 20);
  KT_STREQ(take(s), "8494009\r\n"); /* b6: a zone with a low battery */
  pev(KB_PEV_BELL_TROUBLE, 0, KB_EVENT_LIVE);
  pev(KB_PEV_ZONE_FAULT, 3, KB_EVENT_LIVE);
  pev(KB_PEV_KEYPAD_TAMPER, 2, KB_EVENT_LIVE);
  pev(KB_PEV_FIRE_TROUBLE, 0, KB_EVENT_LIVE);
  KT_STREQ(take(s), "8069E\r\n6050032E\r\n829A3\r\n8429E\r\n");
  kd_tpi_status(&T, &st, 30);
  KT_STREQ(take(s), "849510B\r\n"); /* b0 bell, b4 zone fault, b6 */
  pev(KB_PEV_BELL_RESTORED, 0, 17); /* read from the event buffer: history, ignored */
  KT_STREQ(take(s), "");
  pev(KB_PEV_BELL_RESTORED, 0, KB_EVENT_LIVE);
  pev(KB_PEV_ZONE_FAULT_RESTORED, 3, KB_EVENT_LIVE);
  pev(KB_PEV_ZONE_BATTERY_RESTORED, 12, KB_EVENT_LIVE);
  KT_STREQ(take(s), "8079F\r\n6060032F\r\n8220122F\r\n");
  kd_tpi_status(&T, &st, 40);
  KT_STREQ(take(s), "8490005\r\n");
}


/* A Classic panel (kb_status_t.absent, zones_max = 8, the model kb_classic
 * fills): no AC, battery, tamper or bypass report, partition 1 only, zones
 * 1-8: none of those messages, not even as zeros or "restored", and no
 * invented trouble (its ac_power and battery_ok are 0 and mean nothing). */
static void test_classic_panel(void) {
  int s;
  setup(NULL, true); /* partitions 1 and 2 configured: 2 is still not reported */
  s = logged_in(0);
  memset(&st, 0, sizeof st);
  st.synced = st.connected = 1;
  st.series = KB_SERIES_CLASSIC;
  st.zones_max = 8;
  st.absent = KB_CLS_ABSENT;
  st.part[0].known = 1;
  st.part[0].status = KB_ST_READY;
  st.part[0].ready = 1;
  st.part[0].lights = KB_LIGHT_READY;
  st.part[1] = st.part[0]; /* a stale value the decoder never sets: ignored */
  kd_tpi_status(&T, &st, 10);
  take(s);
  KT_CHECK(strstr(got, "6501") != NULL); /* partition 1 ready */
  KT_CHECK(strstr(got, "6502") == NULL);
  KT_CHECK(strstr(got, "802") == NULL && strstr(got, "800") == NULL && strstr(got, "849") == NULL);
  /* 001: zones 1-8, partition 1, no AC/battery lines */
  cmd(s, "001", 20);
  take(s);
  KT_CHECK(strstr(got, "610008") != NULL);
  KT_CHECK(strstr(got, "610009") == NULL && strstr(got, "610064") == NULL);
  KT_CHECK(strstr(got, "6502") == NULL);
  KT_CHECK(strstr(got, "8039B") == NULL && strstr(got, "8029A") == NULL);
  KT_CHECK(strstr(got, "801") == NULL && strstr(got, "800") == NULL);
  /* zone 3 opens: 609; a tamper bit (never set by the decoder) says nothing */
  st.zones_open[0] = 0x04;
  st.zones_tamper[0] = 0x01;
  kd_tpi_status(&T, &st, 30);
  KT_STREQ(take(s), "60900332\r\n");
  /* *1#: no 616 (no bypass report), only the ack */
  cmd(s, "0711*1#", 40);
  take(s);
  KT_CHECK(strstr(got, "616") == NULL);
  KT_CHECK(strncmp(got, "500071", 6) == 0);
}

KT_MAIN(KT_CASE(test_classic_panel), KT_CASE(test_checksums_of_the_fact_sheet), KT_CASE(test_login), KT_CASE(test_login_timeout),
        KT_CASE(test_failed_logins_are_limited), KT_CASE(test_one_answer_per_line_and_garbage),
        KT_CASE(test_partition_mapping), KT_CASE(test_zones_and_timers), KT_CASE(test_arm_with_900_and_200),
        KT_CASE(test_configured_code_and_disarm_order), KT_CASE(test_read_only_and_busy_queue),
        KT_CASE(test_a_client_that_does_not_read_is_dropped), KT_CASE(test_clients_slots_and_broadcast),
        KT_CASE(test_troubles), KT_CASE(test_troubles_from_panel_events))
