/* SPDX-License-Identifier: MIT
 *
 * fuzz_conf.c - keybusd's configuration parser (kb_conf, src/host): the
 * input is a configuration file. Its first five lines are also given as the
 * values of --backend, --mqtt, --device-id, --http and --replay (a flag
 * parser reads what a user types); then kb_conf_finish() with both secrets
 * from a fake environment (so that no password_file is ever opened) and
 * kb_conf_dump().
 * Invariants: every error line names the file ("fuzz.conf:" or "fuzz.conf:N:")
 * or the flag ("command line: --"), the error text is NUL-terminated within
 * its buffer, the dump never holds the secrets and is itself a configuration
 * kb_conf_parse() reads without an error, zones and partitions in range.
 */
#include "fuzz.h"

#include "host/kb_conf.h"

#define SECRET "Fz-env-Secret-7f3"

static char *fake_env(const char *name) {
  (void)name;
  return (char *)SECRET;
}

static bool contains(const uint8_t *d, size_t n, const char *s) {
  size_t k = strlen(s), i;
  for (i = 0; i + k <= n; i++)
    if (memcmp(d + i, s, k) == 0) return true;
  return false;
}

static void check_errors(const kb_conf_err_t *e) {
  const char *p = e->text;
  FZ_ASSERT(memchr(e->text, 0, sizeof e->text) != NULL);
  while (*p) {
    const char *nl = strchr(p, '\n');
    FZ_ASSERT(nl != NULL);
    /* the source of each error: the file, the command line, or the one
     * environment variables that are checked (the panel clock's code and
     * the TPI's; the fake environment gives them a value that is not one) */
    FZ_ASSERT(strncmp(p, "fuzz.conf:", 10) == 0 || strncmp(p, "command line: --", 16) == 0 ||
              strncmp(p, "KEYBUS_SYNC_TIME_CODE:", 22) == 0 || strncmp(p, "KEYBUS_TPI_CODE:", 16) == 0 ||
              strncmp(p, "(more errors left out)", 22) == 0);
    p = nl + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static kb_conf_t c, back;
  static kb_conf_err_t err, err2;
  static char dump[65536];
  static const char *const flags[] = {"backend", "mqtt", "device-id", "http", "replay"};
  const char *text = (const char *)data;
  size_t pos = 0, i;
  int n, z;
  FILE *f;

  kb_conf_init(&c);
  memset(&err, 0, sizeof err);
  n = kb_conf_parse(&c, text, size, "fuzz.conf", &err);
  FZ_ASSERT(n == err.count);
  for (i = 0; i < 5 && pos < size; i++) {
    char v[256];
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t len = nl ? (size_t)(nl - text - pos) : size - pos;
    memcpy(v, text + pos, len < sizeof v - 1 ? len : sizeof v - 1);
    v[len < sizeof v - 1 ? len : sizeof v - 1] = 0;
    n += kb_conf_set(&c, flags[i], v, &err);
    pos += len + 1;
  }
  n += kb_conf_finish(&c, fake_env, &err);
  FZ_ASSERT(n == err.count);
  check_errors(&err);
  FZ_ASSERT((unsigned)c.backend < KB_CONF_BACKEND_COUNT);
  FZ_ASSERT(c.code_length == 4 || c.code_length == 6);
  FZ_ASSERT(c.mqtt_password.src == KB_CONF_SECRET_ENV && c.http_password.src == KB_CONF_SECRET_ENV);
  for (z = 1; z <= KB_CONF_ZONES; z++) {
    FZ_ASSERT(memchr(c.zone[z].name, 0, sizeof c.zone[z].name) != NULL);
    if (c.zone[z].used) FZ_ASSERT(c.zone[z].partition >= 1 && c.zone[z].partition <= KB_CONF_PARTITIONS);
  }

  f = fmemopen(dump, sizeof dump, "w");
  FZ_ASSERT(f != NULL);
  kb_conf_dump(&c, f);
  fclose(f);
  dump[sizeof dump - 1] = 0;
  if (!contains(data, size, SECRET)) FZ_ASSERT(strstr(dump, SECRET) == NULL);
  kb_conf_init(&back);
  memset(&err2, 0, sizeof err2);
  if (kb_conf_parse(&back, dump, strlen(dump), "fuzz.conf", &err2) != 0) {
    fprintf(stderr, "dump does not read back:\n%s\n--\n%s", err2.text, dump);
    FZ_ASSERT(0);
  }
  return 0;
}
