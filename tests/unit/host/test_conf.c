/* SPDX-License-Identifier: MIT
 *
 * test_conf.c - keybusd's configuration (src/host/kb_conf.c): defaults (the
 * demo house), good files including examples/keybusd.conf, every class of
 * error with its file:line, command-line overrides, secrets from the file,
 * a password_file and the environment with their precedence, and a dump
 * that hides secrets and reads back to the same configuration.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "host/kb_conf.h"

/* ------------------------------------------------------- helpers */

static kb_conf_t conf; /* large: not on the stack */
static kb_conf_err_t err;

static int parse(const char *text) {
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  return kb_conf_parse(&conf, text, strlen(text), "keybusd.conf", &err);
}

/* the environment of a test: a fixed table, not the process's */
static const char *env_mqtt, *env_http;
static char *fake_env(const char *name) {
  if (strcmp(name, "KEYBUS_MQTT_PASSWORD") == 0) return (char *)env_mqtt;
  if (strcmp(name, "KEYBUS_HTTP_PASSWORD") == 0) return (char *)env_http;
  return NULL;
}

static char dumped[16384];
static const char *dump(const kb_conf_t *c) {
  FILE *f = fmemopen(dumped, sizeof dumped, "w");
  KT_CHECK(f != NULL);
  if (!f) return "";
  kb_conf_dump(c, f);
  fclose(f);
  dumped[sizeof dumped - 1] = 0;
  return dumped;
}

/* One bad line: exactly one error, with this text (file:line: included). */
static void expect_error(const char *text, const char *want) {
  int n = parse(text);
  if (n == 0) n = kb_conf_finish(&conf, NULL, &err);
  KT_EQ(n, 1);
  KT_EQ(err.count, 1);
  if (!strstr(err.text, want)) kt_fail(__FILE__, __LINE__, "error \"%s\" does not contain \"%s\"", err.text, want);
}

static char tmpdir[64];

/* found by fuzz_conf: the default client id "keybusd-<device id>" of the
 * longest device id (32 bytes) is 40 bytes, which client_id must accept when
 * the dump is read back */
static void test_long_device_id_client_id_reads_back(void) {
  char id[80], text[128];
  memset(id, 'd', 32);
  id[32] = 0;
  snprintf(text, sizeof text, "[keybus]\ndevice_id = %s\n", id);
  KT_EQ(parse(text), 0);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_EQ(strlen(conf.mqtt_client_id), 40);
  KT_EQ(parse(dump(&conf)), 0);
  KT_STREQ(err.text, "");
  snprintf(text, sizeof text, "[keybus]\ndevice_id = %sd\n", id); /* 33: too long */
  KT_EQ(parse(text), 1);
}

/* found by fuzz_conf: a flag value of blanks ("--replay '  '") was taken,
 * and the dump's "replay_file =   " did not read back */
static void test_flag_values_with_surrounding_blanks(void) {
  KT_EQ(parse(""), 0);
  KT_EQ(kb_conf_set(&conf, "replay", "  ", &err), 1);
  KT_EQ(kb_conf_set(&conf, "replay", " a.txt", &err), 1);
  KT_EQ(kb_conf_set(&conf, "replay", "a.txt\t", &err), 1);
  KT_EQ(conf.backend, KB_CONF_SIM);
  KT_CHECK(strstr(err.text, "command line: --replay: expected a file path") != NULL);
  KT_EQ(kb_conf_set(&conf, "replay", "a b.txt", &err), 0);
  KT_STREQ(conf.replay_file, "a b.txt");
}

static void cleanup(void) {
  if (tmpdir[0]) {
    char p[128];
    static const char *const names[] = {"mqtt.secret", "k.conf", "bad.conf"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
      snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
      unlink(p);
    }
    rmdir(tmpdir);
  }
}

static const char *write_tmp(const char *name, const char *text) {
  static char path[128];
  FILE *f;
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kb-conf-XXXXXX");
    if (!mkdtemp(tmpdir)) tmpdir[0] = 0;
    atexit(cleanup);
  }
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  f = fopen(path, "w");
  KT_CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  return path;
}

/* --------------------------------------------------------- tests */

static void test_defaults_are_the_demo_house(void) {
  int z;
  KT_EQ(parse(""), 0);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_EQ(conf.backend, KB_CONF_SIM);
  KT_STREQ(conf.device_id, "keybus");
  KT_STREQ(conf.topic_prefix, "keybus");
  KT_STREQ(conf.discovery_prefix, "homeassistant");
  KT_STREQ(conf.mqtt_host, "127.0.0.1");
  KT_EQ(conf.mqtt_port, 1883);
  KT_CHECK(!conf.mqtt_tls && conf.mqtt_enabled);
  KT_STREQ(conf.mqtt_client_id, "keybusd-keybus");
  KT_CHECK(conf.http_enabled);
  KT_STREQ(conf.http_addr, "127.0.0.1");
  KT_EQ(conf.http_port, 8080);
  KT_EQ(conf.code_length, 4);
  KT_CHECK(!conf.button_fire && !conf.button_aux && !conf.button_panic);
  KT_EQ(conf.mqtt_password.src, KB_CONF_SECRET_NONE);
  /* partition 1 with zones 1-6, partition 2 with zones 7-8, all named */
  KT_CHECK(conf.partition[1].used && conf.partition[2].used);
  for (z = 3; z <= KB_CONF_PARTITIONS; z++) KT_CHECK(!conf.partition[z].used);
  for (z = 1; z <= KB_CONF_ZONES; z++) {
    KT_EQ(conf.zone[z].used, z <= 8);
    if (z <= 8) {
      KT_EQ(conf.zone[z].partition, z <= 6 ? 1 : 2);
      KT_CHECK(conf.zone[z].name[0] != 0);
    }
  }
  KT_STREQ(conf.zone[1].name, "Front door");
  KT_EQ(conf.zone[1].device_class, KB_CONF_CLASS_DOOR);
  KT_EQ(conf.zone[6].device_class, KB_CONF_CLASS_SMOKE);
  KT_STREQ(conf.partition[2].name, "Garage");
}

static void test_good_file(void) {
  const char *text =
      "\xef\xbb\xbf# comment\r\n"
      "; another\n"
      "[keybus]\n"
      "  backend = replay  \n"
      "replay_file = caps/house.txt\n"
      "replay_speed = 2.5\n"
      "device_id = Panel_2-b\n"
      "topic_prefix = home/alarm\n"
      "code_length = 6\n"
      "[ mqtt ]\n"
      "url = mqtt://bob@[::1]:1884/\n"
      "client_id = kb1\n"
      "keepalive = 30\n"
      "discovery_prefix = ha\n"
      "[http]\n"
      "listen = off\n"
      "[log]\n"
      "level = debug\n"
      "target = syslog\n"
      "[buttons]\n"
      "fire = yes\n"
      "panic = on\n"
      "[zone 64]\n"
      "name = Cave à vin\n"
      "class = moisture\n"
      "partition = 8\n"
      "[zone 3]\n"
      "[users]\n"
      "95 = Zoé\n"
      "1 = Alice\n";
  KT_EQ(parse(text), 0);
  KT_STREQ(err.text, "");
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_EQ(conf.backend, KB_CONF_REPLAY);
  KT_STREQ(conf.replay_file, "caps/house.txt");
  KT_CHECK(conf.replay_speed == 2.5);
  KT_STREQ(conf.device_id, "Panel_2-b");
  KT_STREQ(conf.topic_prefix, "home/alarm");
  KT_EQ(conf.code_length, 6);
  KT_STREQ(conf.mqtt_user, "bob");
  KT_STREQ(conf.mqtt_host, "::1");
  KT_EQ(conf.mqtt_port, 1884);
  KT_STREQ(conf.mqtt_client_id, "kb1");
  KT_EQ(conf.mqtt_keepalive, 30);
  KT_STREQ(conf.discovery_prefix, "ha");
  KT_CHECK(!conf.http_enabled);
  KT_EQ(conf.log_level, KB_CONF_LOG_DEBUG);
  KT_CHECK(conf.log_syslog);
  KT_CHECK(conf.button_fire && !conf.button_aux && conf.button_panic);
  /* the file's zones replace the demo house */
  KT_CHECK(!conf.zone[1].used && conf.zone[3].used && conf.zone[64].used);
  KT_STREQ(conf.zone[3].name, "Zone 3");
  KT_EQ(conf.zone[3].device_class, KB_CONF_CLASS_OPENING);
  KT_EQ(conf.zone[3].partition, 1);
  KT_STREQ(conf.zone[64].name, "Cave à vin");
  KT_EQ(conf.zone[64].device_class, KB_CONF_CLASS_MOISTURE);
  /* partitions the zones use are declared for them when the file has none */
  KT_CHECK(conf.partition[1].used && conf.partition[8].used && !conf.partition[2].used);
  KT_STREQ(conf.partition[8].name, "Partition 8");
  KT_STREQ(conf.user[95], "Zoé");
  KT_STREQ(conf.user[1], "Alice");
  KT_STREQ(conf.user[2], "");
}

static void test_urls(void) {
  KT_EQ(parse("[mqtt]\nurl = mqtts://broker.example.com\n"), 0);
  KT_CHECK(conf.mqtt_tls);
  KT_EQ(conf.mqtt_port, 8883);
  KT_STREQ(conf.mqtt_user, "");
  KT_STREQ(conf.mqtt_host, "broker.example.com");
  KT_EQ(parse("[mqtt]\nurl = mqtt://u.s_e~r-1@10.0.0.2:65535\n"), 0);
  KT_STREQ(conf.mqtt_user, "u.s_e~r-1");
  KT_EQ(conf.mqtt_port, 65535);
  KT_EQ(parse("[http]\nlisten = [::]:80\n"), 0);
  KT_STREQ(conf.http_addr, "::");
  KT_EQ(conf.http_port, 80);
}

static void test_example_file_parses(void) {
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  env_mqtt = "from-env";
  env_http = NULL;
  KT_EQ(kb_conf_load(&conf, kt_data_path("../../examples/keybusd.conf"), true, &err), 0);
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 0);
  KT_STREQ(err.text, "");
  KT_EQ(conf.backend, KB_CONF_GPIO);
  KT_STREQ(conf.gpio_chip, "pinctrl-rp1");
  KT_STREQ(conf.gpio_clock.name, "GPIO18");
  KT_CHECK(conf.mqtt_tls);
  KT_STREQ(conf.mqtt_user, "keybus");
  KT_EQ(conf.mqtt_password.src, KB_CONF_SECRET_ENV);
  KT_CHECK(conf.zone[9].used && conf.zone[9].partition == 2);
  KT_CHECK(!conf.zone[6].used);
  KT_STREQ(conf.user[40], "Installer");
}

/* every class of error, each naming the file and its line */
static void test_errors_name_file_and_line(void) {
  expect_error("[keybus]\n\n[zone 70]\n", "keybusd.conf:3: zone 70: zones are 1-64");
  expect_error("[zone 0]\n", "keybusd.conf:1: zone 0: zones are 1-64");
  expect_error("[zone]\n", "keybusd.conf:1: [zone] needs a number");
  expect_error("[zone x]\n", "keybusd.conf:1: zone x: zones are 1-64");
  expect_error("[partition 9]\n", "keybusd.conf:1: partition 9: partitions are 1-8");
  expect_error("[keybus 2]\n", "keybusd.conf:1: [keybus] takes no number");
  expect_error("#\n[alarm]\nfoo = 1\nbar = 2\n", "keybusd.conf:2: unknown section [alarm]: expected keybus");
  expect_error("[keybus\n", "keybusd.conf:1: expected a section header");
  expect_error("device_id = x\n", "keybusd.conf:1: key outside a section");
  expect_error("[keybus]\njust words\n", "keybusd.conf:2: expected key = value");
  expect_error("[keybus]\ncolour = red\n", "keybusd.conf:2: [keybus] colour: unknown key: [keybus] takes backend,");
  expect_error("[keybus]\ndevice_id = a\ndevice_id = b\n", "keybusd.conf:3: [keybus] device_id: given twice");
  expect_error("[mqtt]\n[mqtt]\n", "keybusd.conf:2: [mqtt] is already defined at line 1");
  expect_error("[zone 2]\n[zone 2]\n", "keybusd.conf:2: [zone 2] is already defined at line 1");
  expect_error("[users]\n3 = a\n3 = b\n", "keybusd.conf:3: [users] 3: user 3 is already named at line 2");
  expect_error("[users]\n96 = a\n", "keybusd.conf:2: [users] 96: expected a user number 1-95");
  expect_error("[keybus]\nbackend = serial\n", "keybusd.conf:2: [keybus] backend: expected sim, gpio or replay");
  expect_error("[keybus]\ndevice_id = my panel\n", "keybusd.conf:2: [keybus] device_id: expected 1-32 of A-Z");
  expect_error("[keybus]\ndevice_id = a+b\n", "expected 1-32 of A-Z a-z 0-9 _ -");
  expect_error("[keybus]\ndevice_id = \n", "keybusd.conf:2: [keybus] device_id");
  expect_error("[keybus]\ntopic_prefix = a/#\n", "keybusd.conf:2: [keybus] topic_prefix: expected topic levels");
  expect_error("[keybus]\ntopic_prefix = a//b\n", "expected topic levels");
  expect_error("[keybus]\ntopic_prefix = /a\n", "expected topic levels");
  expect_error("[keybus]\ncode_length = 5\n", "keybusd.conf:2: [keybus] code_length: expected 4 or 6");
  expect_error("[keybus]\nreplay_speed = 0\n", "keybusd.conf:2: [keybus] replay_speed: expected a speed factor");
  expect_error("[keybus]\nreplay_speed = nan\n", "expected a speed factor");
  expect_error("[keybus]\nreplay_speed = 1e3\n", "expected a speed factor");
  expect_error("[mqtt]\nkeepalive = 4\n", "keybusd.conf:2: [mqtt] keepalive: expected seconds 5-3600");
  expect_error("[mqtt]\nkeepalive = 99999999999999\n", "expected seconds 5-3600");
  expect_error("[mqtt]\nkeepalive = -5\n", "expected seconds 5-3600");
  expect_error("[mqtt]\nenabled = maybe\n", "keybusd.conf:2: [mqtt] enabled: expected yes or no");
  expect_error("[mqtt]\nurl = http://host\n", "keybusd.conf:2: [mqtt] url: expected mqtt://[user@]host[:port]");
  expect_error("[mqtt]\nurl = mqtt://\n", "[mqtt] url: expected a host name");
  expect_error("[mqtt]\nurl = mqtt://h:0\n", "[mqtt] url: expected a port 1-65535");
  expect_error("[mqtt]\nurl = mqtt://h:65536\n", "expected a port 1-65535");
  expect_error("[mqtt]\nurl = mqtt://h:1883/x\n", "unexpected text after host[:port]");
  expect_error("[mqtt]\nurl = mqtt://@h\n", "the user name before '@'");
  expect_error("[mqtt]\nurl = mqtt://[zz]:1\n", "expected a host name");
  expect_error("[http]\nlisten = 8080\n", "keybusd.conf:2: [http] listen: expected ADDR:PORT");
  expect_error("[http]\nlisten = 1.2.3.4:\n", "expected ADDR:PORT");
  expect_error("[gpio]\nclock = 2000\n", "keybusd.conf:2: [gpio] clock: expected a line offset 0-1023");
  expect_error("[gpio]\ndata = a b\n", "[gpio] data: expected a line offset 0-1023 or a line name");
  expect_error("[gpio]\nchip = /etc/passwd\n", "keybusd.conf:2: [gpio] chip: a chip path must be a device under /dev");
  expect_error("[log]\nlevel = loud\n", "keybusd.conf:2: [log] level: expected error, warning, info or debug");
  expect_error("[log]\ntarget = file\n", "[log] target: expected stderr or syslog");
  expect_error("[zone 1]\nclass = door-ish\n", "keybusd.conf:2: [zone 1] class: expected opening, door, window");
  expect_error("[zone 1]\npartition = 9\n", "keybusd.conf:2: [zone 1] partition: expected a partition 1-8");
  expect_error("[zone 1]\nname = bell\x07\n", "keybusd.conf:2: [zone 1] name: expected text of 1-63 bytes");
  expect_error("[zone 1]\nname = \xff\xfe\n", "[zone 1] name: expected text");
  expect_error("[partition 1]\nname = \n", "keybusd.conf:2: [partition 1] name: expected text");
  /* file-level checks (kb_conf_finish) name the line of the key involved */
  expect_error("[partition 1]\n[zone 4]\npartition = 2\n",
               "keybusd.conf:2: [zone 4] partition 2: no [partition 2] section");
  expect_error("[mqtt]\nurl = mqtt://h\ntls_ca = /ca.pem\n", "keybusd.conf:3: [mqtt] tls_ca: TLS files need an mqtts:// url");
  expect_error("[mqtt]\nurl = mqtts://h\ntls_key = /k.pem\n", "keybusd.conf:3: [mqtt] tls_cert and tls_key go together");
  expect_error("[keybus]\nbackend = replay\n", "keybusd.conf: backend replay needs a capture");
  expect_error("[keybus]\nbackend = gpio\n[gpio]\nchip = gpiochip0\nclock = 5\n",
               "keybusd.conf:5: backend gpio needs [gpio] chip, clock and data");
  expect_error("[keybus]\nbackend = gpio\n[gpio]\nchip = /dev/gpiochip0\nclock = 5\ndata = 6\nwrite = 5\n",
               "keybusd.conf:7: [gpio] clock, data and write must be three different lines");
  expect_error("[mqtt]\npassword = s3cret\n", "keybusd.conf:2: [mqtt] a password is set (password) but the url has no user");
  expect_error("[mqtt]\npassword = a\npassword_file = /x\n", "keybusd.conf:3: [mqtt] password_file: the password is already given at line 2");
}

static void test_bounds(void) {
  static char big[4096];
  char text[64];
  int n;
  /* a line of 1023 bytes is fine, 1024 is too long (and reported, not cut) */
  memset(big, 0, sizeof big);
  memcpy(big, "[keybus]\n# ", 11);
  memset(big + 11, 'x', 1023 - 2);
  KT_EQ(parse(big), 0);
  strcat(big, "x\n[zone 99]\n");
  KT_EQ(parse(big), 2);
  KT_CHECK(strstr(err.text, "keybusd.conf:2: line too long: at most 1023 bytes") != NULL);
  KT_CHECK(strstr(err.text, "keybusd.conf:3: zone 99: zones are 1-64") != NULL);
  /* a NUL byte is an error of its line; the rest of the file still parses */
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  memcpy(text, "[keybus]\ndevice_id = a\0b\ncode_length = 6\n", 40);
  n = kb_conf_parse(&conf, text, 40, "keybusd.conf", &err);
  KT_EQ(n, 1);
  KT_CHECK(strstr(err.text, "keybusd.conf:2: NUL byte") != NULL);
  KT_EQ(conf.code_length, 6);
  /* all 64 zones and 8 partitions */
  {
    static char all[16384];
    size_t k = 0;
    int z;
    for (z = 1; z <= 8; z++) k += (size_t)snprintf(all + k, sizeof all - k, "[partition %d]\n", z);
    for (z = 1; z <= 64; z++)
      k += (size_t)snprintf(all + k, sizeof all - k, "[zone %d]\npartition = %d\n", z, (z - 1) % 8 + 1);
    KT_EQ(parse(all), 0);
    KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
    KT_CHECK(conf.zone[64].used && conf.zone[64].partition == 8);
  }
  /* many errors: the list ends with a note, the count is exact */
  {
    static char many[32768];
    size_t k = 0;
    int i;
    for (i = 0; i < 500; i++) k += (size_t)snprintf(many + k, sizeof many - k, "[nope]\n");
    KT_EQ(parse(many), 500);
    KT_EQ(err.count, 500);
    KT_CHECK(strstr(err.text, "(more errors left out)\n") != NULL);
    KT_CHECK(strlen(err.text) < sizeof err.text);
  }
}

static void test_overrides(void) {
  KT_EQ(parse("[keybus]\nbackend = gpio\ndevice_id = file\n[mqtt]\nenabled = no\nurl = mqtt://a@h:1\n"), 0);
  KT_EQ(kb_conf_set(&conf, "backend", "sim", &err), 0);
  KT_EQ(kb_conf_set(&conf, "device-id", "flag_id", &err), 0);
  KT_EQ(kb_conf_set(&conf, "mqtt", "mqtts://me@broker:8884", &err), 0);
  KT_EQ(kb_conf_set(&conf, "http", "0.0.0.0:8081", &err), 0);
  KT_EQ(conf.backend, KB_CONF_SIM);
  KT_STREQ(conf.device_id, "flag_id");
  KT_CHECK(conf.mqtt_enabled && conf.mqtt_tls);
  KT_STREQ(conf.mqtt_user, "me");
  KT_STREQ(conf.mqtt_host, "broker");
  KT_EQ(conf.mqtt_port, 8884);
  KT_STREQ(conf.http_addr, "0.0.0.0");
  KT_EQ(conf.http_port, 8081);
  KT_EQ(kb_conf_set(&conf, "replay", "x.txt", &err), 0);
  KT_EQ(conf.backend, KB_CONF_REPLAY);
  KT_STREQ(conf.replay_file, "x.txt");
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_STREQ(conf.mqtt_client_id, "keybusd-flag_id");
  /* the same validation, the flag named instead of a line */
  memset(&err, 0, sizeof err);
  KT_EQ(kb_conf_set(&conf, "device-id", "a/b", &err), 1);
  KT_CHECK(strstr(err.text, "command line: --device-id: expected 1-32 of A-Z") != NULL);
  KT_STREQ(conf.device_id, "flag_id"); /* unchanged */
  KT_EQ(kb_conf_set(&conf, "backend", "usb", &err), 1);
  KT_EQ(kb_conf_set(&conf, "mqtt", "mqtt://u:pw@h", &err), 1);
  KT_CHECK(strstr(err.text, "command line: --mqtt: a password does not belong in the URL") != NULL);
  KT_CHECK(strstr(err.text, "pw") == NULL);
  KT_EQ(kb_conf_set(&conf, "http", "localhost", &err), 1);
  KT_EQ(kb_conf_set(&conf, "color", "red", &err), 1);
  KT_CHECK(strstr(err.text, "command line: --color: unknown option") != NULL);
  KT_EQ(kb_conf_set(&conf, "replay", "", &err), 1);
  KT_EQ(err.count, 6);
}

static void test_secrets_precedence(void) {
  char pf[128];
  /* from the file */
  KT_EQ(parse("[mqtt]\nurl = mqtt://u@h\npassword = in-file\n[http]\npassword = web-file\n"), 0);
  env_mqtt = env_http = NULL;
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 0);
  KT_STREQ(conf.mqtt_password.value, "in-file");
  KT_EQ(conf.mqtt_password.src, KB_CONF_SECRET_FILE);
  KT_STREQ(conf.http_password.value, "web-file");
  /* the environment wins over the file; an empty variable does not count */
  KT_EQ(parse("[mqtt]\nurl = mqtt://u@h\npassword = in-file\n[http]\npassword = web-file\n"), 0);
  env_mqtt = "from-env";
  env_http = "";
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 0);
  KT_STREQ(conf.mqtt_password.value, "from-env");
  KT_EQ(conf.mqtt_password.src, KB_CONF_SECRET_ENV);
  KT_STREQ(conf.http_password.value, "web-file");
  /* password_file, relative to the configuration's directory: its first line */
  write_tmp("mqtt.secret", "file-secret\r\nsecond line\n");
  snprintf(pf, sizeof pf, "%s",
           write_tmp("k.conf", "[mqtt]\nurl = mqtt://u@h\npassword_file = mqtt.secret\n[http]\npassword_file = /nonexistent/x\n"));
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  KT_EQ(kb_conf_load(&conf, pf, true, &err), 0);
  env_mqtt = NULL;
  env_http = "web-env"; /* the missing http file is not read: the environment wins */
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 0);
  KT_STREQ(err.text, "");
  KT_STREQ(conf.mqtt_password.value, "file-secret");
  KT_EQ(conf.mqtt_password.src, KB_CONF_SECRET_PASSWORD_FILE);
  KT_STREQ(conf.http_password.value, "web-env");
  /* a missing or empty password file: an error at the key's line */
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  KT_EQ(kb_conf_load(&conf, pf, true, &err), 0);
  env_http = NULL;
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 1);
  KT_CHECK(strstr(err.text, ":5: [http] password_file: cannot open /nonexistent/x") != NULL);
  write_tmp("mqtt.secret", "\n");
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  KT_EQ(kb_conf_load(&conf, pf, true, &err), 0);
  env_http = "x";
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 1);
  KT_CHECK(strstr(err.text, ":3: [mqtt] password_file:") != NULL);
  KT_CHECK(strstr(err.text, "must hold the password on its first line") != NULL);
  /* a bad secret is never echoed */
  KT_EQ(parse("[mqtt]\npassword = abc\x01secret\n"), 1);
  KT_CHECK(strstr(err.text, "secret") == NULL);
  KT_EQ(parse("[mqtt]\nurl = mqtt://user:hunter2@h\n"), 1);
  KT_CHECK(strstr(err.text, "hunter2") == NULL);
  KT_CHECK(strstr(err.text, "a password does not belong in the URL") != NULL);
}

static void test_load_files(void) {
  kb_conf_init(&conf);
  memset(&err, 0, sizeof err);
  /* the default path may be missing; a path given with --config may not */
  KT_EQ(kb_conf_load(&conf, "/nonexistent/keybusd.conf", false, &err), 0);
  KT_EQ(kb_conf_load(&conf, "/nonexistent/keybusd.conf", true, &err), 1);
  KT_CHECK(strstr(err.text, "/nonexistent/keybusd.conf: cannot open: No such file or directory") != NULL);
  {
    const char *p = write_tmp("bad.conf", "[keybus]\n\n\ncode_length = 8\n");
    memset(&err, 0, sizeof err);
    KT_EQ(kb_conf_load(&conf, p, true, &err), 1);
    KT_CHECK(strstr(err.text, "/bad.conf:4: [keybus] code_length: expected 4 or 6") != NULL);
  }
}

static void test_dump_hides_secrets_and_reads_back(void) {
  char first[16384];
  KT_EQ(parse("[mqtt]\nurl = mqtt://u@[fe80::1]:1\npassword = hunter2\n[http]\nlisten = [::1]:9\n"
              "[gpio]\nchip = pinctrl-rp1\nclock = 3\ndata = GPIO4\n[zone 12]\nname = Attic\nclass = heat\n"
              "[users]\n7 = Carol\n"),
        0);
  env_mqtt = NULL;
  env_http = "web-env-secret";
  KT_EQ(kb_conf_finish(&conf, fake_env, &err), 0);
  snprintf(first, sizeof first, "%s", dump(&conf));
  KT_CHECK(strstr(first, "hunter2") == NULL);
  KT_CHECK(strstr(first, "web-env-secret") == NULL);
  KT_CHECK(strstr(first, "# password: (set) from the file\n") != NULL);
  KT_CHECK(strstr(first, "# password: (set) from the environment\n") != NULL);
  KT_CHECK(strstr(first, "url = mqtt://u@[fe80::1]:1\n") != NULL);
  KT_CHECK(strstr(first, "listen = [::1]:9\n") != NULL);
  KT_CHECK(strstr(first, "[zone 12]\nname = Attic\nclass = heat\npartition = 1\n") != NULL);
  KT_CHECK(strstr(first, "7 = Carol\n") != NULL);
  /* the dump is a configuration file that gives the same configuration */
  KT_EQ(parse(first), 0);
  KT_STREQ(err.text, "");
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  dump(&conf);
  /* only the secrets' lines differ (no secret in the re-read one) */
  {
    char *a = strstr(first, "\n[keybus]"), *b = strstr(dumped, "\n[keybus]");
    char *pa = strstr(first, "# password:"), *pb = strstr(dumped, "# password:");
    KT_CHECK(a && b && pa && pb);
    if (a && b && pa && pb) KT_CHECK(strncmp(a, b, (size_t)(pa - a)) == 0);
    KT_CHECK(strstr(dumped, "(not set)") != NULL);
  }
  /* the defaults dump parses too */
  kb_conf_init(&conf);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_EQ(parse(dump(&conf)), 0);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_STREQ(conf.zone[8].name, "Garage motion");
}

/* number lists: PGM outputs shown as sensors, command output buttons */
static void test_number_lists(void) {
  KT_EQ(parse("[keybus]\npgm_outputs = 1, 3,14\n[buttons]\noutputs = 4,2\n"), 0);
  KT_EQ(conf.pgm_outputs, 0x2005);
  KT_EQ(conf.button_outputs, 0x000A);
  KT_CHECK(strstr(dump(&conf), "pgm_outputs = 1,3,14\n") != NULL);
  KT_CHECK(strstr(dump(&conf), "outputs = 2,4\n") != NULL);
  KT_EQ(parse(dump(&conf)), 0);
  KT_EQ(conf.pgm_outputs, 0x2005);
  KT_EQ(parse("[keybus]\npgm_outputs = none\n"), 0);
  KT_EQ(conf.pgm_outputs, 0);
  KT_CHECK(strstr(dump(&conf), "pgm_outputs = none\n") != NULL);
  expect_error("[keybus]\npgm_outputs = 15\n", "keybusd.conf:2: [keybus] pgm_outputs: expected numbers 1-14");
  expect_error("[keybus]\npgm_outputs = 1,1\n", "each once");
  expect_error("[keybus]\npgm_outputs = 1,\n", "pgm_outputs: expected");
  expect_error("[keybus]\npgm_outputs = 0\n", "pgm_outputs: expected");
  expect_error("[keybus]\npgm_outputs = 00001\n", "pgm_outputs: expected");
  expect_error("[buttons]\noutputs = 5\n", "keybusd.conf:2: [buttons] outputs: expected numbers 1-4");
}


/* [keybus] panel and --panel; [gpio] pc16; what a Classic panel cannot have */
static void test_panel_classic(void) {
  KT_EQ(parse("[keybus]\n"), 0);
  KT_EQ(conf.panel, KB_CONF_POWERSERIES); /* the default */
  KT_EQ(parse("[keybus]\npanel = classic\n"), 0);
  KT_EQ(conf.panel, KB_CONF_CLASSIC);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  /* the demo house becomes one partition, zones 1-8 */
  KT_CHECK(conf.partition[1].used && !conf.partition[2].used);
  KT_EQ(conf.zone[7].partition, 1);
  KT_EQ(conf.zone[8].partition, 1);
  KT_CHECK(strstr(dump(&conf), "[keybus]\nbackend = sim\npanel = classic\n") != NULL);
  /* --panel overrides the file, and the dump reads back */
  KT_EQ(parse("[keybus]\npanel = classic\n"), 0);
  KT_EQ(kb_conf_set(&conf, "panel", "powerseries", &err), 0);
  KT_EQ(conf.panel, KB_CONF_POWERSERIES);
  KT_EQ(kb_conf_set(&conf, "panel", "classic", &err), 0);
  KT_EQ(conf.panel, KB_CONF_CLASSIC);
  KT_EQ(kb_conf_set(&conf, "panel", "maxsys", &err), 1);
  KT_CHECK(strstr(err.text, "command line: --panel: expected powerseries or classic, got \"maxsys\"") != NULL);
  KT_EQ(conf.panel, KB_CONF_CLASSIC); /* unchanged */
  expect_error("[keybus]\npanel = pc1550\n", "keybusd.conf:2: [keybus] panel: expected powerseries or classic");
  /* gpio: the third line */
  KT_EQ(parse("[keybus]\npanel = classic\nbackend = gpio\n[gpio]\nchip = gpiochip0\nclock = 5\ndata = 6\npc16 = PGM\n"), 0);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_STREQ(conf.gpio_pc16.name, "PGM");
  KT_CHECK(strstr(dump(&conf), "clock = 5\ndata = 6\npc16 = PGM\n") != NULL);
  expect_error("[keybus]\npanel = classic\nbackend = gpio\n[gpio]\nchip = gpiochip0\nclock = 5\ndata = 6\n",
               "panel classic with backend gpio needs [gpio] pc16");
  expect_error("[keybus]\npanel = classic\nbackend = gpio\n[gpio]\nchip = gpiochip0\nclock = 5\ndata = 6\npc16 = 6\n",
               "[gpio] pc16 must be a line of its own");
  expect_error("[keybus]\nbackend = gpio\n[gpio]\nchip = gpiochip0\nclock = 5\ndata = 6\npc16 = 7\n",
               "[gpio] pc16 is for panel classic only");
  /* what the Classic cannot report is refused, not silently dropped */
  expect_error("[keybus]\npanel = classic\n[zone 9]\nname = Shed\n", "keybusd.conf:3: [zone 9]: a Classic panel reports zones 1-8 only");
  expect_error("[keybus]\npanel = classic\n[partition 1]\nname = A\n[partition 2]\nname = B\n",
               "keybusd.conf:5: [partition 2]: a Classic panel has partition 1 only");
  expect_error("[keybus]\npanel = classic\npgm_outputs = 1\n", "pgm_outputs: a Classic panel does not report");
  /* a file's zones on partition 1 are fine */
  KT_EQ(parse("[keybus]\npanel = classic\n[zone 1]\nname = Door\n[zone 8]\nname = Hall\n"), 0);
  KT_EQ(kb_conf_finish(&conf, NULL, &err), 0);
  KT_CHECK(conf.zone[1].used && conf.zone[8].used && !conf.zone[2].used);
}

KT_MAIN(KT_CASE(test_panel_classic), KT_CASE(test_defaults_are_the_demo_house), KT_CASE(test_number_lists), KT_CASE(test_good_file), KT_CASE(test_urls),
        KT_CASE(test_example_file_parses), KT_CASE(test_errors_name_file_and_line), KT_CASE(test_bounds),
        KT_CASE(test_overrides), KT_CASE(test_secrets_precedence), KT_CASE(test_load_files),
        KT_CASE(test_dump_hides_secrets_and_reads_back), KT_CASE(test_long_device_id_client_id_reads_back),
        KT_CASE(test_flag_values_with_surrounding_blanks))
