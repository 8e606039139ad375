/* SPDX-License-Identifier: MIT
 *
 * kb_conf.c - keybusd's configuration: see kb_conf.h for the contract and
 * docs/keybusd-config.md for the schema. Each key is described once in the
 * table `keys` (section, name, type, field); one loop parses every line and
 * the command-line overrides go through the same setters, so a flag is
 * validated exactly like the key it overrides.
 */
#include "host/kb_conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- names */

static const char *const backend_names[] = {"sim", "gpio", "replay"};
static const char *const panel_names[] = {"powerseries", "classic"};
_Static_assert(sizeof panel_names / sizeof *panel_names == KB_CONF_PANEL_COUNT, "panels");
static const char *const class_names[] = {
    "opening", "door", "window", "garage_door", "motion", "occupancy", "presence", "smoke", "heat",
    "gas", "carbon_monoxide", "moisture", "vibration", "sound", "safety", "tamper", "problem"};
static const char *const level_names[] = {"error", "warning", "info", "debug"};
_Static_assert(sizeof backend_names / sizeof *backend_names == KB_CONF_BACKEND_COUNT, "backends");
_Static_assert(sizeof class_names / sizeof *class_names == KB_CONF_CLASS_COUNT, "classes");
_Static_assert(sizeof level_names / sizeof *level_names == KB_CONF_LOG_COUNT, "levels");

const char *kb_conf_panel_name(kb_conf_panel_t p) {
  return (unsigned)p < KB_CONF_PANEL_COUNT ? panel_names[p] : "?";
}

const char *kb_conf_backend_name(kb_conf_backend_t b) {
  return (unsigned)b < KB_CONF_BACKEND_COUNT ? backend_names[b] : "?";
}

const char *kb_conf_class_name(kb_conf_class_t k) {
  return (unsigned)k < KB_CONF_CLASS_COUNT ? class_names[k] : "?";
}

/* ---------------------------------------------------------- errors */

/* Where a value comes from, for messages: file and line, or a flag. */
typedef struct {
  const char *file; /* file name, or "--flag" with line 0 */
  int line;
  kb_conf_err_t *err;
  const char *dir;  /* directory for relative password_file paths, or NULL */
} ctx_t;

static void add_err(kb_conf_err_t *e, const char *file, int line, const char *fmt, ...) {
  char msg[512];
  char full[768];
  size_t used, n;
  va_list ap;
  e->count++;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line > 0)
    snprintf(full, sizeof full, "%s:%d: %s\n", file, line, msg);
  else
    snprintf(full, sizeof full, "%s: %s\n", file, msg);
  used = strnlen(e->text, sizeof e->text);
  n = strlen(full);
  /* keep room for the line that says messages were left out */
  if (used + n + 40 < sizeof e->text) {
    memcpy(e->text + used, full, n + 1);
  } else if (!strstr(e->text, "(more errors left out)")) {
    snprintf(e->text + used, sizeof e->text - used, "(more errors left out)\n");
  }
}

#define ERR(x, ...) add_err((x)->err, (x)->file, (x)->line, __VA_ARGS__)

/* A value shown in a message: printable ASCII only, at most 40 bytes. */
static const char *shown(const char *v, char *buf, size_t cap) {
  size_t i, k = 0;
  for (i = 0; v[i] && k + 4 < cap && i < 40; i++)
    buf[k++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
  if (v[i] && k + 4 < cap) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
  buf[k] = 0;
  return buf;
}

/* ------------------------------------------------ value validators */

static bool is_id_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
         ch == '-';
}

static bool all_digits(const char *v) {
  if (!*v) return false;
  for (; *v; v++)
    if (*v < '0' || *v > '9') return false;
  return true;
}

/* A decimal in [lo, hi]; no sign, no overflow (long strings are rejected). */
static bool to_int(const char *v, int lo, int hi, int *out) {
  long n = 0;
  if (!all_digits(v) || strlen(v) > 9) return false;
  for (; *v; v++) n = n * 10 + (*v - '0');
  if (n < lo || n > hi) return false;
  *out = (int)n;
  return true;
}

/* Valid UTF-8 without control characters, 1..cap-1 bytes, no blank at
 * either end (a file's values are trimmed; a flag's must be too, or the
 * dump would not read back the same). */
static bool is_text(const char *v, size_t cap) {
  const unsigned char *p = (const unsigned char *)v;
  size_t n = strlen(v);
  if (n == 0 || n >= cap || v[0] == ' ' || v[n - 1] == ' ') return false;
  while (*p) {
    int k;
    if (*p < 0x20 || *p == 0x7f) return false;
    if (*p < 0x80) {
      p++;
      continue;
    }
    if (*p >= 0xc2 && *p <= 0xdf) k = 1;
    else if (*p >= 0xe0 && *p <= 0xef) k = 2;
    else if (*p >= 0xf0 && *p <= 0xf4) k = 3;
    else return false;
    /* overlong and surrogate forms are not checked: they are not a safety issue here */
    for (p++; k > 0; k--, p++)
      if ((*p & 0xc0) != 0x80) return false;
  }
  return true;
}

/* src into dst[cap], cut to fit (callers check lengths first) */
static void copy(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

static int find_name(const char *v, const char *const *names, int n) {
  int i;
  for (i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0) return i;
  return -1;
}

static void list_names(char *buf, size_t cap, const char *const *names, int n) {
  int i;
  size_t k = 0;
  buf[0] = 0;
  for (i = 0; i < n && k < cap; i++) {
    int w = snprintf(buf + k, cap - k, "%s%s", i ? (i == n - 1 ? " or " : ", ") : "", names[i]);
    if (w < 0) break;
    k += (size_t)w;
  }
}

/* host: a name or IPv4 [A-Za-z0-9.-], or an IPv6 address in brackets (the
 * brackets are not kept). *p is moved past it. */
static bool take_host(const char **p, char *out, size_t cap) {
  const char *s = *p, *e;
  size_t n;
  if (*s == '[') {
    for (e = s + 1; *e && *e != ']'; e++)
      if (!((*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'f') || (*e >= 'A' && *e <= 'F') ||
            *e == ':' || *e == '.'))
        return false;
    if (*e != ']' || e == s + 1 || !memchr(s + 1, ':', (size_t)(e - s - 1))) return false;
    n = (size_t)(e - s - 1);
    if (n >= cap) return false;
    memcpy(out, s + 1, n);
    out[n] = 0;
    *p = e + 1;
    return true;
  }
  for (e = s; (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') ||
              *e == '.' || *e == '-';
       e++) {
  }
  n = (size_t)(e - s);
  if (n == 0 || n >= cap || *s == '.' || *s == '-') return false;
  memcpy(out, s, n);
  out[n] = 0;
  *p = e;
  return true;
}

static bool take_port(const char **p, int *port) {
  char digits[8];
  size_t n = 0;
  const char *s = *p;
  while (*s >= '0' && *s <= '9' && n < sizeof digits - 1) digits[n++] = *s++;
  digits[n] = 0;
  if (*s >= '0' && *s <= '9') return false;
  if (!to_int(digits, 1, 65535, port)) return false;
  *p = s;
  return true;
}

/* ------------------------------------------------------ the setters */

typedef bool (*set_fn)(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what);

static bool set_bool(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
  (void)c, (void)cap;
  if (find_name(v, yes, 4) >= 0) *(bool *)field = true;
  else if (find_name(v, no, 4) >= 0) *(bool *)field = false;
  else {
    char b[64];
    ERR(x, "%s: expected yes or no (true/false, on/off, 1/0), got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  return true;
}

static bool set_name(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c;
  if (!is_text(v, cap)) {
    ERR(x, "%s: expected text of 1-%zu bytes of UTF-8 without control characters or surrounding blanks", what, cap - 1);
    return false;
  }
  copy(field, cap, v);
  return true;
}

static bool set_path(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c;
  if (!is_text(v, cap)) {
    ERR(x, "%s: expected a file path of 1-%zu bytes without control characters or surrounding blanks", what, cap - 1);
    return false;
  }
  copy(field, cap, v);
  return true;
}

static bool set_id(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  size_t i, n = strlen(v);
  (void)c;
  for (i = 0; i < n && is_id_char(v[i]); i++) {
  }
  if (n == 0 || i < n || n >= cap) {
    char b[64];
    ERR(x, "%s: expected 1-%zu of A-Z a-z 0-9 _ - (safe in an MQTT topic), got \"%s\"", what, cap - 1,
        shown(v, b, sizeof b));
    return false;
  }
  copy(field, cap, v);
  return true;
}

/* MQTT topic levels of [A-Za-z0-9_-] separated by single '/': no wildcards,
 * no empty level, no leading or trailing '/'. */
static bool set_topic(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  size_t i, n = strlen(v);
  bool ok = n > 0 && n < cap && v[0] != '/' && v[n - 1] != '/';
  (void)c;
  for (i = 0; ok && i < n; i++)
    if (!(is_id_char(v[i]) || (v[i] == '/' && v[i + 1] != '/'))) ok = false;
  if (!ok) {
    char b[64];
    ERR(x, "%s: expected topic levels of A-Z a-z 0-9 _ - separated by '/' (at most %zu bytes), got \"%s\"", what,
        cap - 1, shown(v, b, sizeof b));
    return false;
  }
  copy(field, cap, v);
  return true;
}

static bool set_backend(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int k = find_name(v, backend_names, KB_CONF_BACKEND_COUNT);
  (void)c, (void)cap;
  if (k < 0) {
    char b[64];
    ERR(x, "%s: expected sim, gpio or replay, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  *(kb_conf_backend_t *)field = (kb_conf_backend_t)k;
  return true;
}

static bool set_panel(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int k = find_name(v, panel_names, KB_CONF_PANEL_COUNT);
  (void)c, (void)cap;
  if (k < 0) {
    char b[64];
    ERR(x, "%s: expected powerseries or classic, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  *(kb_conf_panel_t *)field = (kb_conf_panel_t)k;
  return true;
}

static bool set_class(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int k = find_name(v, class_names, KB_CONF_CLASS_COUNT);
  (void)c, (void)cap;
  if (k < 0) {
    char b[64], l[400];
    list_names(l, sizeof l, class_names, KB_CONF_CLASS_COUNT);
    ERR(x, "%s: expected %s, got \"%s\"", what, l, shown(v, b, sizeof b));
    return false;
  }
  *(kb_conf_class_t *)field = (kb_conf_class_t)k;
  return true;
}

static bool set_level(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int k = find_name(v, level_names, KB_CONF_LOG_COUNT);
  (void)c, (void)cap;
  if (k < 0) {
    char b[64];
    ERR(x, "%s: expected error, warning, info or debug, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  *(kb_conf_level_t *)field = (kb_conf_level_t)k;
  return true;
}

static bool set_target(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c, (void)cap;
  if (strcmp(v, "stderr") == 0) *(bool *)field = false;
  else if (strcmp(v, "syslog") == 0) *(bool *)field = true;
  else {
    char b[64];
    ERR(x, "%s: expected stderr or syslog, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  return true;
}

static bool set_speed(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  char *end = NULL;
  double d;
  (void)c, (void)cap;
  errno = 0;
  d = all_digits(v) || (strchr(v, '.') && strspn(v, "0123456789.") == strlen(v)) ? strtod(v, &end) : -1;
  if (!end || *end || errno || !(d >= 0.01 && d <= 1000)) {
    char b[64];
    ERR(x, "%s: expected a speed factor 0.01-1000 (1 = real time), got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  *(double *)field = d;
  return true;
}

static bool set_code_length(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c, (void)cap;
  if (strcmp(v, "4") == 0) *(int *)field = 4;
  else if (strcmp(v, "6") == 0) *(int *)field = 6;
  else {
    char b[64];
    ERR(x, "%s: expected 4 or 6 (digits of the panel's access codes), got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  return true;
}

/* A list of numbers 1..max ("1, 3, 4"), or "none": a bit mask in a uint16_t. */
static bool set_numbers(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what,
                        int max) {
  uint16_t mask = 0;
  const char *p = v;
  char b[64];
  (void)c, (void)cap;
  if (strcmp(v, "none") == 0) {
    *(uint16_t *)field = 0;
    return true;
  }
  for (;;) {
    int n = 0, digits = 0;
    while (*p == ' ' || *p == '\t') p++;
    while (*p >= '0' && *p <= '9' && digits < 3) n = n * 10 + (*p++ - '0'), digits++;
    while (*p == ' ' || *p == '\t') p++;
    if (!digits || n < 1 || n > max || (mask & (1u << (n - 1))) || (*p != ',' && *p != 0)) {
      ERR(x, "%s: expected numbers 1-%d separated by commas, each once, or none; got \"%s\"", what, max,
          shown(v, b, sizeof b));
      return false;
    }
    mask |= (uint16_t)(1u << (n - 1));
    if (!*p) break;
    p++;
  }
  *(uint16_t *)field = mask;
  return true;
}

static bool set_pgms(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  return set_numbers(c, field, cap, v, x, what, 14);
}

static bool set_outputs(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  return set_numbers(c, field, cap, v, x, what, 4);
}

static bool set_keepalive(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c, (void)cap;
  if (!to_int(v, 5, 3600, field)) {
    char b[64];
    ERR(x, "%s: expected seconds 5-3600, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  return true;
}

static bool set_partition_no(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  (void)c, (void)cap;
  if (!to_int(v, 1, KB_CONF_PARTITIONS, field)) {
    char b[64];
    ERR(x, "%s: expected a partition 1-%d, got \"%s\"", what, KB_CONF_PARTITIONS, shown(v, b, sizeof b));
    return false;
  }
  return true;
}

/* mqtt://[user@]host[:port][/] or mqtts://...; the URL is never echoed in
 * a message (a mistyped one may hold a password). */
static bool set_url(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  const char *p, *at;
  bool tls;
  char user[sizeof c->mqtt_user], host[sizeof c->mqtt_host];
  int port;
  (void)field, (void)cap;
  if (strncmp(v, "mqtt://", 7) == 0) tls = false, p = v + 7;
  else if (strncmp(v, "mqtts://", 8) == 0) tls = true, p = v + 8;
  else {
    ERR(x, "%s: expected mqtt://[user@]host[:port] or mqtts://[user@]host[:port]", what);
    return false;
  }
  user[0] = 0;
  at = strchr(p, '@');
  if (at) {
    size_t n = (size_t)(at - p), i;
    if (memchr(p, ':', n)) {
      ERR(x, "%s: a password does not belong in the URL: use password, password_file or KEYBUS_MQTT_PASSWORD", what);
      return false;
    }
    for (i = 0; i < n; i++)
      if (!is_id_char(p[i]) && p[i] != '.' && p[i] != '~') break;
    if (n == 0 || i < n || n >= sizeof user) {
      ERR(x, "%s: the user name before '@' must be 1-%zu of A-Z a-z 0-9 . _ ~ -", what, sizeof user - 1);
      return false;
    }
    memcpy(user, p, n);
    user[n] = 0;
    p = at + 1;
  }
  if (!take_host(&p, host, sizeof host)) {
    ERR(x, "%s: expected a host name, an IPv4 address or [IPv6] after %s://", what, tls ? "mqtts" : "mqtt");
    return false;
  }
  port = tls ? 8883 : 1883;
  if (*p == ':') {
    p++;
    if (!take_port(&p, &port)) {
      ERR(x, "%s: expected a port 1-65535 after the host", what);
      return false;
    }
  }
  if (*p == '/') p++;
  if (*p) {
    ERR(x, "%s: unexpected text after host[:port] (no path or query: mqtt://[user@]host[:port])", what);
    return false;
  }
  c->mqtt_tls = tls;
  copy(c->mqtt_user, sizeof c->mqtt_user, user);
  copy(c->mqtt_host, sizeof c->mqtt_host, host);
  c->mqtt_port = port;
  return true;
}

static bool set_listen(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  const char *p = v;
  char host[sizeof c->http_addr];
  int port;
  (void)field, (void)cap;
  if (strcmp(v, "off") == 0) {
    c->http_enabled = false;
    return true;
  }
  if (!take_host(&p, host, sizeof host) || *p != ':' || (p++, !take_port(&p, &port)) || *p) {
    char b[64];
    ERR(x, "%s: expected ADDR:PORT (127.0.0.1:8080, [::1]:8080, 0.0.0.0:80) or off, got \"%s\"", what,
        shown(v, b, sizeof b));
    return false;
  }
  c->http_enabled = true;
  copy(c->http_addr, sizeof c->http_addr, host);
  c->http_port = port;
  return true;
}

/* [tpi] listen: as [http] listen, off by default */
static bool set_tpi_listen(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  const char *p = v;
  char host[sizeof c->tpi_addr];
  int port;
  (void)field, (void)cap;
  if (strcmp(v, "off") == 0) {
    c->tpi_enabled = false;
    return true;
  }
  if (!take_host(&p, host, sizeof host) || *p != ':' || (p++, !take_port(&p, &port)) || *p) {
    char b[64];
    ERR(x, "%s: expected ADDR:PORT (127.0.0.1:4025, [::1]:4025, 0.0.0.0:4025) or off, got \"%s\"", what,
        shown(v, b, sizeof b));
    return false;
  }
  c->tpi_enabled = true;
  copy(c->tpi_addr, sizeof c->tpi_addr, host);
  c->tpi_port = port;
  return true;
}

static bool set_tpi_clients(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int n;
  (void)field, (void)cap;
  if (!to_int(v, 1, 4, &n)) {
    char b[64];
    ERR(x, "%s: expected 1 to 4, got \"%s\"", what, shown(v, b, sizeof b));
    return false;
  }
  c->tpi_clients = n;
  return true;
}

static bool set_secret(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  kb_conf_secret_t *s = field;
  (void)c, (void)cap;
  if (s->line) {
    ERR(x, "%s: the password is already given at line %d (password or password_file, not both)", what, s->line);
    return false;
  }
  if (!is_text(v, sizeof s->value)) { /* never echoed */
    ERR(x, "%s: expected 1-%zu bytes without control characters", what, sizeof s->value - 1);
    return false;
  }
  copy(s->value, sizeof s->value, v);
  s->src = KB_CONF_SECRET_FILE;
  s->line = x->line;
  return true;
}

static bool set_secret_file(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  kb_conf_secret_t *s = field;
  (void)c, (void)cap;
  if (s->line) {
    ERR(x, "%s: the password is already given at line %d (password or password_file, not both)", what, s->line);
    return false;
  }
  if (!is_text(v, sizeof s->file)) {
    ERR(x, "%s: expected a file path of 1-%zu bytes without control characters", what, sizeof s->file - 1);
    return false;
  }
  if (v[0] != '/' && x->dir && x->dir[0]) {
    if ((size_t)snprintf(s->file, sizeof s->file, "%s/%s", x->dir, v) >= sizeof s->file) {
      ERR(x, "%s: the path is too long once joined to the configuration's directory", what);
      s->file[0] = 0;
      return false;
    }
  } else {
    copy(s->file, sizeof s->file, v);
  }
  s->line = x->line;
  return true;
}

/* a GPIO line: an offset 0-1023 or a line name */
static bool set_line(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  kb_conf_line_t *l = field;
  size_t i, n = strlen(v);
  (void)cap;
  c->line_gpio = x->line;
  if (all_digits(v)) {
    if (!to_int(v, 0, 1023, &l->offset)) {
      char b[64];
      ERR(x, "%s: expected a line offset 0-1023 or a line name, got \"%s\"", what, shown(v, b, sizeof b));
      return false;
    }
    l->name[0] = 0;
    return true;
  }
  for (i = 0; i < n && (is_id_char(v[i]) || v[i] == '.'); i++) {
  }
  if (n == 0 || i < n || n >= sizeof l->name) {
    char b[64];
    ERR(x, "%s: expected a line offset 0-1023 or a line name (1-%zu of A-Z a-z 0-9 _ . -), got \"%s\"", what,
        sizeof l->name - 1, shown(v, b, sizeof b));
    return false;
  }
  copy(l->name, sizeof l->name, v);
  l->offset = -1;
  return true;
}

/* a chip: a label, or a path under /dev */
static bool set_chip(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  size_t i, n = strlen(v);
  c->line_gpio = x->line;
  if (v[0] == '/') {
    if (strncmp(v, "/dev/", 5) != 0) {
      ERR(x, "%s: a chip path must be a device under /dev (/dev/gpiochip0)", what);
      return false;
    }
    return set_path(c, field, cap, v, x, what);
  }
  for (i = 0; i < n && (is_id_char(v[i]) || v[i] == '.' || v[i] == ':' || v[i] == ','); i++) {
  }
  if (n == 0 || i < n || n >= cap) {
    char b[64];
    ERR(x, "%s: expected a chip label (pinctrl-rp1) or a path (/dev/gpiochip0), got \"%s\"", what,
        shown(v, b, sizeof b));
    return false;
  }
  copy(field, cap, v);
  return true;
}

static bool set_tls(kb_conf_t *c, void *field, size_t cap, const char *v, const ctx_t *x, const char *what) {
  int k = field == c->tls_ca ? 0 : field == c->tls_cert ? 1 : 2;
  if (!set_path(c, field, cap, v, x, what)) return false;
  c->line_tls[k] = x->line;
  return true;
}

/* ------------------------------------------------------ the schema */

typedef enum { SEC_KEYBUS, SEC_MQTT, SEC_HTTP, SEC_GPIO, SEC_LOG, SEC_BUTTONS, SEC_USERS, SEC_ZONE,
               SEC_PARTITION, SEC_TPI, SEC_COUNT, SEC_NONE, SEC_SKIP } sec_t;

static const char *const sec_names[SEC_COUNT] = {"keybus", "mqtt", "http", "gpio", "log", "buttons",
                                                 "users", "zone", "partition", "tpi"};

/* field offsets are into kb_conf_t, kb_conf_zone_t or kb_conf_partition_t
 * according to the section */
typedef struct {
  sec_t sec;
  const char *key;
  set_fn set;
  size_t off, cap;
} keydef_t;

#define F(field) offsetof(kb_conf_t, field), sizeof(((kb_conf_t *)0)->field)
#define Z(field) offsetof(kb_conf_zone_t, field), sizeof(((kb_conf_zone_t *)0)->field)
#define P(field) offsetof(kb_conf_partition_t, field), sizeof(((kb_conf_partition_t *)0)->field)

static const keydef_t keys[] = {
    {SEC_KEYBUS, "backend", set_backend, F(backend)},
    {SEC_KEYBUS, "panel", set_panel, F(panel)},
    {SEC_KEYBUS, "replay_file", set_path, F(replay_file)},
    {SEC_KEYBUS, "replay_speed", set_speed, F(replay_speed)},
    {SEC_KEYBUS, "device_id", set_id, F(device_id)},
    {SEC_KEYBUS, "topic_prefix", set_topic, F(topic_prefix)},
    {SEC_KEYBUS, "code_length", set_code_length, F(code_length)},
    {SEC_KEYBUS, "pgm_outputs", set_pgms, F(pgm_outputs)},
    {SEC_KEYBUS, "sync_time", set_bool, F(sync_time)},
    {SEC_KEYBUS, "sync_time_partition", set_partition_no, F(sync_time_partition)},
    {SEC_KEYBUS, "sync_time_code", set_secret, F(sync_time_code)},
    {SEC_KEYBUS, "sync_time_code_file", set_secret_file, F(sync_time_code)},
    {SEC_MQTT, "enabled", set_bool, F(mqtt_enabled)},
    {SEC_MQTT, "url", set_url, F(mqtt_host)},
    {SEC_MQTT, "password", set_secret, F(mqtt_password)},
    {SEC_MQTT, "password_file", set_secret_file, F(mqtt_password)},
    {SEC_MQTT, "client_id", set_id, F(mqtt_client_id)},
    {SEC_MQTT, "keepalive", set_keepalive, F(mqtt_keepalive)},
    {SEC_MQTT, "discovery_prefix", set_topic, F(discovery_prefix)},
    {SEC_MQTT, "tls_ca", set_tls, F(tls_ca)},
    {SEC_MQTT, "tls_cert", set_tls, F(tls_cert)},
    {SEC_MQTT, "tls_key", set_tls, F(tls_key)},
    {SEC_HTTP, "listen", set_listen, F(http_addr)},
    {SEC_HTTP, "password", set_secret, F(http_password)},
    {SEC_HTTP, "password_file", set_secret_file, F(http_password)},
    {SEC_TPI, "listen", set_tpi_listen, F(tpi_addr)},
    {SEC_TPI, "password", set_secret, F(tpi_password)},
    {SEC_TPI, "password_file", set_secret_file, F(tpi_password)},
    {SEC_TPI, "code", set_secret, F(tpi_code)},
    {SEC_TPI, "code_file", set_secret_file, F(tpi_code)},
    {SEC_TPI, "clients", set_tpi_clients, F(tpi_clients)},
    {SEC_GPIO, "chip", set_chip, F(gpio_chip)},
    {SEC_GPIO, "clock", set_line, F(gpio_clock)},
    {SEC_GPIO, "data", set_line, F(gpio_data)},
    {SEC_GPIO, "write", set_line, F(gpio_write)},
    {SEC_GPIO, "pc16", set_line, F(gpio_pc16)},
    {SEC_LOG, "level", set_level, F(log_level)},
    {SEC_LOG, "target", set_target, F(log_syslog)},
    {SEC_BUTTONS, "fire", set_bool, F(button_fire)},
    {SEC_BUTTONS, "aux", set_bool, F(button_aux)},
    {SEC_BUTTONS, "panic", set_bool, F(button_panic)},
    {SEC_BUTTONS, "outputs", set_outputs, F(button_outputs)},
    {SEC_ZONE, "name", set_name, Z(name)},
    {SEC_ZONE, "class", set_class, Z(device_class)},
    {SEC_ZONE, "partition", set_partition_no, Z(partition)},
    {SEC_PARTITION, "name", set_name, P(name)},
};
#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS <= 64, "the duplicate-key mask is 64 bits");

/* ------------------------------------------------------- defaults */

static void set_zone(kb_conf_t *c, int z, const char *name, kb_conf_class_t k, int part) {
  c->zone[z].used = true;
  copy(c->zone[z].name, sizeof c->zone[z].name, name);
  c->zone[z].device_class = k;
  c->zone[z].partition = part;
}

void kb_conf_init(kb_conf_t *c) {
  memset(c, 0, sizeof *c);
  copy(c->file, sizeof c->file, "(defaults)");
  c->backend = KB_CONF_SIM;
  c->replay_speed = 1.0;
  copy(c->device_id, sizeof c->device_id, "keybus");
  copy(c->topic_prefix, sizeof c->topic_prefix, "keybus");
  c->code_length = 4;
  c->sync_time_partition = 1;
  c->mqtt_enabled = true;
  copy(c->mqtt_host, sizeof c->mqtt_host, "127.0.0.1");
  c->mqtt_port = 1883;
  c->mqtt_keepalive = 60;
  copy(c->discovery_prefix, sizeof c->discovery_prefix, "homeassistant");
  c->http_enabled = true;
  copy(c->http_addr, sizeof c->http_addr, "127.0.0.1");
  c->http_port = 8080;
  c->tpi_clients = 4;
  c->gpio_clock.offset = c->gpio_data.offset = c->gpio_write.offset = c->gpio_pc16.offset = -1;
  c->log_level = KB_CONF_LOG_INFO;
  /* the simulated demo house of issue 8 */
  c->partition[1].used = c->partition[2].used = true;
  copy(c->partition[1].name, sizeof c->partition[1].name, "House");
  copy(c->partition[2].name, sizeof c->partition[2].name, "Garage");
  set_zone(c, 1, "Front door", KB_CONF_CLASS_DOOR, 1);
  set_zone(c, 2, "Back door", KB_CONF_CLASS_DOOR, 1);
  set_zone(c, 3, "Living room window", KB_CONF_CLASS_WINDOW, 1);
  set_zone(c, 4, "Kitchen window", KB_CONF_CLASS_WINDOW, 1);
  set_zone(c, 5, "Hallway motion", KB_CONF_CLASS_MOTION, 1);
  set_zone(c, 6, "Smoke detector", KB_CONF_CLASS_SMOKE, 1);
  set_zone(c, 7, "Garage door", KB_CONF_CLASS_GARAGE_DOOR, 2);
  set_zone(c, 8, "Garage motion", KB_CONF_CLASS_MOTION, 2);
}

/* ------------------------------------------------------- the parser */

static bool blank(char ch) { return ch == ' ' || ch == '\t'; }

/* trims s[0..n) in place; returns the new start, *n the new length */
static char *trim(char *s, size_t *n) {
  while (*n && blank(*s)) s++, (*n)--;
  while (*n && blank(s[*n - 1])) (*n)--;
  s[*n] = 0;
  return s;
}

typedef struct {
  sec_t sec;
  int index;          /* zone or partition number */
  uint64_t seen;      /* keys given in this section */
  int first[SEC_COUNT]; /* line of each single section */
  int zone_line[KB_CONF_ZONES + 1], part_line[KB_CONF_PARTITIONS + 1], user_line[KB_CONF_USERS + 1];
} pstate_t;

static void replace_house(kb_conf_t *c) {
  if (c->file_zones) return;
  c->file_zones = true;
  memset(c->zone, 0, sizeof c->zone);
  memset(c->partition, 0, sizeof c->partition);
}

static void section(kb_conf_t *c, pstate_t *st, char *s, size_t n, const ctx_t *x) {
  char *word, *num, b[64];
  size_t wn, i;
  int k, no = 0;
  st->sec = SEC_SKIP;
  st->seen = 0;
  if (n < 2 || s[n - 1] != ']') {
    ERR(x, "expected a section header [name] or [zone N], got \"%s\"", shown(s, b, sizeof b));
    return;
  }
  s[n - 1] = 0;
  wn = n - 2;
  word = trim(s + 1, &wn);
  for (i = 0; i < wn && !blank(word[i]); i++) {
  }
  num = word + i;
  if (i < wn) {
    size_t nn = wn - i;
    word[i] = 0;
    num = trim(num + 1, &nn);
  }
  if (!strcmp(word, "expander") && !*num) return; /* keybusd's kd_xpd.c reads it (docs/expander.md) */
  k = find_name(word, sec_names, SEC_COUNT);
  if (k < 0) {
    ERR(x, "unknown section [%s]: expected keybus, mqtt, http, tpi, gpio, log, buttons, users, zone N or partition N",
        shown(word, b, sizeof b));
    return;
  }
  if (k == SEC_ZONE || k == SEC_PARTITION) {
    int max = k == SEC_ZONE ? KB_CONF_ZONES : KB_CONF_PARTITIONS;
    const char *what = k == SEC_ZONE ? "zones" : "partitions";
    int *lines = k == SEC_ZONE ? st->zone_line : st->part_line;
    if (!*num) {
      ERR(x, "[%s] needs a number: [%s 1] to [%s %d]", word, word, word, max);
      return;
    }
    if (!to_int(num, 1, max, &no)) {
      ERR(x, "%s %s: %s are 1-%d", word, shown(num, b, sizeof b), what, max);
      return;
    }
    if (lines[no]) {
      ERR(x, "[%s %d] is already defined at line %d", word, no, lines[no]);
      return;
    }
    lines[no] = x->line;
    replace_house(c);
    if (k == SEC_ZONE) {
      kb_conf_zone_t *z = &c->zone[no];
      z->used = true;
      z->line = x->line;
      z->partition = 1;
      z->device_class = KB_CONF_CLASS_OPENING;
      snprintf(z->name, sizeof z->name, "Zone %d", no);
    } else {
      c->partition[no].used = true;
      c->partition[no].line = x->line;
      snprintf(c->partition[no].name, sizeof c->partition[no].name, "Partition %d", no);
    }
  } else {
    if (*num) {
      ERR(x, "[%s] takes no number", word);
      return;
    }
    if (st->first[k]) {
      ERR(x, "[%s] is already defined at line %d: one [%s] section per file", word, st->first[k], word);
      return;
    }
    st->first[k] = x->line;
  }
  st->sec = (sec_t)k;
  st->index = no;
}

static void keyline(kb_conf_t *c, pstate_t *st, char *s, size_t n, const ctx_t *x) {
  char *eq = memchr(s, '=', n), *key, *val, b[64], what[96];
  size_t kn, vn, i;
  if (st->sec == SEC_SKIP) return; /* the section's error is enough */
  if (!eq) {
    ERR(x, "expected key = value, a [section] or a # comment, got \"%s\"", shown(s, b, sizeof b));
    return;
  }
  if (st->sec == SEC_NONE) {
    ERR(x, "key outside a section: start with a section such as [keybus]");
    return;
  }
  kn = (size_t)(eq - s);
  vn = n - kn - 1;
  *eq = 0;
  key = trim(s, &kn);
  val = trim(eq + 1, &vn);
  if (st->sec == SEC_ZONE || st->sec == SEC_PARTITION)
    snprintf(what, sizeof what, "[%s %d] %s", sec_names[st->sec], st->index, shown(key, b, sizeof b));
  else
    snprintf(what, sizeof what, "[%s] %s", sec_names[st->sec], shown(key, b, sizeof b));
  if (st->sec == SEC_USERS) {
    int u;
    if (!to_int(key, 1, KB_CONF_USERS, &u)) {
      ERR(x, "%s: expected a user number 1-%d = name", what, KB_CONF_USERS);
      return;
    }
    if (st->user_line[u]) {
      ERR(x, "%s: user %d is already named at line %d", what, u, st->user_line[u]);
      return;
    }
    if (set_name(c, c->user[u], sizeof c->user[u], val, x, what)) st->user_line[u] = x->line;
    return;
  }
  for (i = 0; i < NKEYS; i++)
    if (keys[i].sec == st->sec && strcmp(keys[i].key, key) == 0) break;
  if (i == NKEYS) {
    char list[256];
    size_t k = 0, j;
    list[0] = 0;
    for (j = 0; j < NKEYS; j++)
      if (keys[j].sec == st->sec) {
        int w = snprintf(list + k, sizeof list - k, "%s%s", k ? ", " : "", keys[j].key);
        if (w < 0 || (size_t)w >= sizeof list - k) break;
        k += (size_t)w;
      }
    ERR(x, "%s: unknown key: [%s] takes %s", what, sec_names[st->sec], list);
    return;
  }
  if (st->seen & ((uint64_t)1 << i)) {
    ERR(x, "%s: given twice in this section", what);
    return;
  }
  st->seen |= (uint64_t)1 << i;
  {
    char *base = st->sec == SEC_ZONE ? (char *)&c->zone[st->index]
                 : st->sec == SEC_PARTITION ? (char *)&c->partition[st->index]
                                            : (char *)c;
    keys[i].set(c, base + keys[i].off, keys[i].cap, val, x, what);
  }
}

static int parse(kb_conf_t *c, const char *text, size_t len, const char *name, const char *dir, kb_conf_err_t *err) {
  pstate_t st;
  ctx_t x = {name, 0, err, dir};
  int before = err->count;
  size_t pos = 0;
  char line[KB_CONF_LINE_MAX];
  memset(&st, 0, sizeof st);
  copy(c->file, sizeof c->file, name);
  st.sec = SEC_NONE;
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) pos = 3;
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t raw = nl ? (size_t)(nl - text - pos) : len - pos, n = raw;
    char *s;
    x.line++;
    if (x.line > 100000) {
      ERR(&x, "too many lines: at most 100000");
      break;
    }
    if (n && text[pos + n - 1] == '\r') n--;
    if (n >= sizeof line) {
      ERR(&x, "line too long: at most %d bytes", KB_CONF_LINE_MAX - 1);
    } else if (memchr(text + pos, 0, n)) {
      ERR(&x, "NUL byte in the line: expected text");
    } else {
      memcpy(line, text + pos, n);
      line[n] = 0;
      s = trim(line, &n);
      if (n == 0 || s[0] == '#' || s[0] == ';') {
        /* blank or comment */
      } else if (s[0] == '[') {
        section(c, &st, s, n, &x);
      } else {
        keyline(c, &st, s, n, &x);
      }
    }
    pos += raw + (nl ? 1 : 0);
  }
  return err->count - before;
}

int kb_conf_parse(kb_conf_t *c, const char *text, size_t len, const char *name, kb_conf_err_t *err) {
  return parse(c, text, len, name ? name : "(config)", NULL, err);
}

int kb_conf_load(kb_conf_t *c, const char *path, bool must_exist, kb_conf_err_t *err) {
  FILE *f = fopen(path, "rb");
  char *buf, dir[KB_CONF_PATH_MAX];
  const char *slash;
  size_t n;
  int rc;
  if (!f) {
    if (errno == ENOENT && !must_exist) return 0;
    add_err(err, path, 0, "cannot open: %s", strerror(errno));
    return 1;
  }
  buf = malloc(KB_CONF_FILE_MAX + 1);
  if (!buf) {
    fclose(f);
    add_err(err, path, 0, "out of memory");
    return 1;
  }
  n = fread(buf, 1, KB_CONF_FILE_MAX + 1, f);
  if (ferror(f) || n > KB_CONF_FILE_MAX) {
    add_err(err, path, 0, ferror(f) ? "read error" : "file too large: at most %d bytes", KB_CONF_FILE_MAX);
    fclose(f);
    free(buf);
    return 1;
  }
  fclose(f);
  slash = strrchr(path, '/');
  if (slash && (size_t)(slash - path) < sizeof dir) {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    if (slash == path) copy(dir, sizeof dir, "/");
  } else {
    dir[0] = 0;
  }
  rc = parse(c, buf, n, path, dir[0] ? dir : NULL, err);
  free(buf);
  return rc;
}

/* --------------------------------------------------- the overrides */

int kb_conf_set(kb_conf_t *c, const char *flag, const char *value, kb_conf_err_t *err) {
  static const struct {
    const char *flag;
    sec_t sec;
    const char *key;
  } map[] = {{"backend", SEC_KEYBUS, "backend"}, {"mqtt", SEC_MQTT, "url"},   {"device-id", SEC_KEYBUS, "device_id"},
             {"http", SEC_HTTP, "listen"},       {"replay", SEC_KEYBUS, "replay_file"},
             {"tpi", SEC_TPI, "listen"},         {"panel", SEC_KEYBUS, "panel"}};
  char name[48];
  ctx_t x = {"command line", 0, err, NULL};
  size_t i, j;
  int before = err->count;
  snprintf(name, sizeof name, "--%.40s", flag ? flag : "");
  if (!value) value = "";
  for (i = 0; flag && i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].flag, flag) == 0) break;
  if (!flag || i == sizeof map / sizeof map[0]) {
    ERR(&x, "%s: unknown option: expected --backend, --mqtt, --device-id, --http, --tpi, --panel or --replay", name);
    return err->count - before;
  }
  for (j = 0; j < NKEYS; j++)
    if (keys[j].sec == map[i].sec && strcmp(keys[j].key, map[i].key) == 0) break;
  if (keys[j].set(c, (char *)c + keys[j].off, keys[j].cap, value, &x, name)) {
    if (strcmp(flag, "replay") == 0) c->backend = KB_CONF_REPLAY;
    if (strcmp(flag, "mqtt") == 0) c->mqtt_enabled = true;
  }
  return err->count - before;
}

/* ------------------------------------------------- secrets, checks */

/* panel classic: one partition, zones 1-8, no PGM outputs, no clock
 * (docs/classic.md, "What the Classic cannot report"). The demo house of
 * the defaults (zones 7-8 on partition 2) moves to partition 1. */
static void classic_checks(kb_conf_t *c, kb_conf_err_t *err) {
  if (!c->file_zones && !c->file_partitions) {
    for (int z = 1; z <= KB_CONF_ZONES; z++)
      if (c->zone[z].used) c->zone[z].partition = 1;
    for (int p = 2; p <= KB_CONF_PARTITIONS; p++) c->partition[p].used = false;
  }
  for (int p = 2; p <= KB_CONF_PARTITIONS; p++)
    if (c->partition[p].used)
      add_err(err, c->file, c->partition[p].line, "[partition %d]: a Classic panel has partition 1 only", p);
  for (int z = 1; z <= KB_CONF_ZONES; z++) {
    if (!c->zone[z].used) continue;
    if (z > KB_CONF_CLASSIC_ZONES)
      add_err(err, c->file, c->zone[z].line, "[zone %d]: a Classic panel reports zones 1-%d only", z,
              KB_CONF_CLASSIC_ZONES);
    else if (c->zone[z].partition > 1)
      add_err(err, c->file, c->zone[z].line, "[zone %d] partition %d: a Classic panel has partition 1 only", z,
              c->zone[z].partition);
  }
  if (c->pgm_outputs)
    add_err(err, c->file, 0, "[keybus] pgm_outputs: a Classic panel does not report its PGM outputs");
  if (c->sync_time) add_err(err, c->file, 0, "[keybus] sync_time: a Classic panel has no clock to set");
}

static void secret(kb_conf_t *c, kb_conf_secret_t *s, const char *env, char *(*getenv_fn)(const char *),
                   const char *sec, kb_conf_err_t *err) {
  const char *v = getenv_fn ? getenv_fn(env) : NULL;
  FILE *f;
  char buf[KB_CONF_SECRET_MAX + 2];
  size_t n;
  if (v && *v) {
    if (!is_text(v, sizeof s->value)) {
      add_err(err, env, 0, "expected 1-%zu bytes without control characters", sizeof s->value - 1);
      return;
    }
    copy(s->value, sizeof s->value, v);
    s->src = KB_CONF_SECRET_ENV;
    return;
  }
  if (!s->file[0] || s->src == KB_CONF_SECRET_PASSWORD_FILE) return;
  f = fopen(s->file, "rb");
  if (!f) {
    add_err(err, c->file, s->line, "[%s] password_file: cannot open %s: %s", sec, s->file, strerror(errno));
    return;
  }
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  if (memchr(buf, 0, n)) n = 0; /* a NUL byte: reported as not text below */
  /* the first line is the password; a final newline (and CR) is not part of it */
  {
    char *nl = memchr(buf, '\n', n);
    if (nl) *nl = 0, n = (size_t)(nl - buf);
    else if (n > sizeof s->value - 1) n = sizeof s->value; /* too long, unterminated */
    if (n && buf[n - 1] == '\r') buf[--n] = 0;
    buf[n] = 0;
  }
  if (!is_text(buf, sizeof s->value)) {
    add_err(err, c->file, s->line,
            "[%s] password_file: %s must hold the password on its first line (1-%zu bytes, no control characters)",
            sec, s->file, sizeof s->value - 1);
    memset(buf, 0, sizeof buf);
    return;
  }
  copy(s->value, sizeof s->value, buf);
  memset(buf, 0, sizeof buf);
  s->src = KB_CONF_SECRET_PASSWORD_FILE;
}

static bool line_set(const kb_conf_line_t *l) { return l->offset >= 0 || l->name[0]; }

static bool same_line(const kb_conf_line_t *a, const kb_conf_line_t *b) {
  return line_set(a) && line_set(b) && a->offset == b->offset && strcmp(a->name, b->name) == 0;
}

int kb_conf_finish(kb_conf_t *c, char *(*getenv_fn)(const char *), kb_conf_err_t *err) {
  int before = err->count, z, p;
  bool any_part = false;
  secret(c, &c->mqtt_password, "KEYBUS_MQTT_PASSWORD", getenv_fn, "mqtt", err);
  secret(c, &c->http_password, "KEYBUS_HTTP_PASSWORD", getenv_fn, "http", err);
  secret(c, &c->sync_time_code, "KEYBUS_SYNC_TIME_CODE", getenv_fn, "keybus", err);
  secret(c, &c->tpi_password, "KEYBUS_TPI_PASSWORD", getenv_fn, "tpi", err);
  secret(c, &c->tpi_code, "KEYBUS_TPI_CODE", getenv_fn, "tpi", err);
  if (c->tpi_code.value[0]) {
    const char *v = c->tpi_code.value;
    size_t n = strspn(v, "0123456789");
    if (v[n] || n != (size_t)c->code_length)
      add_err(err, c->tpi_code.src == KB_CONF_SECRET_ENV ? "KEYBUS_TPI_CODE" : c->file,
              c->tpi_code.src == KB_CONF_SECRET_ENV ? 0 : c->tpi_code.line,
              "[tpi] code: expected %d digits (code_length)", c->code_length);
  }
  if (c->sync_time_code.value[0]) {
    /* checked, never echoed: code_length digits */
    const char *v = c->sync_time_code.value;
    size_t n = strspn(v, "0123456789");
    if (v[n] || n != (size_t)c->code_length)
      add_err(err, c->sync_time_code.src == KB_CONF_SECRET_ENV ? "KEYBUS_SYNC_TIME_CODE" : c->file,
              c->sync_time_code.src == KB_CONF_SECRET_ENV ? 0 : c->sync_time_code.line,
              "[keybus] sync_time_code: expected %d digits (code_length)", c->code_length);
  }
  if (c->mqtt_enabled && c->mqtt_password.src != KB_CONF_SECRET_NONE && !c->mqtt_user[0])
    add_err(err, c->file, c->mqtt_password.line,
            "[mqtt] a password is set (%s) but the url has no user: mqtt://user@host:port",
            c->mqtt_password.src == KB_CONF_SECRET_ENV ? "KEYBUS_MQTT_PASSWORD" : "password");
  if (c->mqtt_enabled) {
    static const char *const tls_keys[3] = {"tls_ca", "tls_cert", "tls_key"};
    int k;
    for (k = 0; k < 3; k++)
      if (c->line_tls[k] && !c->mqtt_tls)
        add_err(err, c->file, c->line_tls[k], "[mqtt] %s: TLS files need an mqtts:// url", tls_keys[k]);
    if (c->mqtt_tls && (!c->tls_cert[0]) != (!c->tls_key[0]))
      add_err(err, c->file, c->line_tls[1] ? c->line_tls[1] : c->line_tls[2],
              "[mqtt] tls_cert and tls_key go together (a client certificate and its key)");
  }
  if (c->backend == KB_CONF_REPLAY && !c->replay_file[0])
    add_err(err, c->file, 0, "backend replay needs a capture: [keybus] replay_file or --replay FILE");
  if (c->backend == KB_CONF_GPIO) {
    if (!c->gpio_chip[0] || !line_set(&c->gpio_clock) || !line_set(&c->gpio_data))
      add_err(err, c->file, c->line_gpio,
              "backend gpio needs [gpio] chip, clock and data (write is optional: without it keybusd only listens)");
    else if (same_line(&c->gpio_clock, &c->gpio_data) || same_line(&c->gpio_clock, &c->gpio_write) ||
             same_line(&c->gpio_data, &c->gpio_write))
      add_err(err, c->file, c->line_gpio, "[gpio] clock, data and write must be three different lines");
    else if (c->panel == KB_CONF_CLASSIC && !line_set(&c->gpio_pc16))
      add_err(err, c->file, c->line_gpio,
              "panel classic with backend gpio needs [gpio] pc16 (the PGM terminal in PC16-OUT mode, docs/classic.md)");
    else if (c->panel == KB_CONF_CLASSIC && (same_line(&c->gpio_pc16, &c->gpio_clock) ||
                                             same_line(&c->gpio_pc16, &c->gpio_data) ||
                                             same_line(&c->gpio_pc16, &c->gpio_write)))
      add_err(err, c->file, c->line_gpio, "[gpio] pc16 must be a line of its own (not clock, data or write)");
  }
  if (c->panel != KB_CONF_CLASSIC && line_set(&c->gpio_pc16))
    add_err(err, c->file, c->line_gpio, "[gpio] pc16 is for panel classic only");
  if (c->panel == KB_CONF_CLASSIC) classic_checks(c, err);
  for (p = 1; p <= KB_CONF_PARTITIONS; p++) any_part |= c->partition[p].used;
  for (z = 1; z <= KB_CONF_ZONES; z++) {
    kb_conf_zone_t *zn = &c->zone[z];
    if (!zn->used) continue;
    if (zn->partition < 1 || zn->partition > KB_CONF_PARTITIONS) zn->partition = 1;
    if (!c->partition[zn->partition].used) {
      if (any_part)
        add_err(err, c->file, zn->line, "[zone %d] partition %d: no [partition %d] section (declare it or move the zone)",
                z, zn->partition, zn->partition);
      else
        c->partition[zn->partition].used = true,
        snprintf(c->partition[zn->partition].name, sizeof c->partition[zn->partition].name, "Partition %d",
                 zn->partition);
    }
  }
  if (!c->mqtt_client_id[0]) snprintf(c->mqtt_client_id, sizeof c->mqtt_client_id, "keybusd-%s", c->device_id);
  return err->count - before;
}

/* ----------------------------------------------------------- dump */

static const char *secret_text(const kb_conf_secret_t *s) {
  switch (s->src) {
  case KB_CONF_SECRET_FILE: return "(set) from the file";
  case KB_CONF_SECRET_PASSWORD_FILE: return "(set) from password_file";
  case KB_CONF_SECRET_ENV: return "(set) from the environment";
  default: return "(not set)";
  }
}

static void put_host(FILE *f, const char *h) {
  fprintf(f, strchr(h, ':') ? "[%s]" : "%s", h);
}

static void put_line(FILE *f, const char *key, const kb_conf_line_t *l) {
  if (l->offset >= 0) fprintf(f, "%s = %d\n", key, l->offset);
  else if (l->name[0]) fprintf(f, "%s = %s\n", key, l->name);
}

static void put_numbers(FILE *f, const char *key, uint16_t mask, int max) {
  int first = 1;
  fprintf(f, "%s = ", key);
  for (int n = 1; n <= max; n++)
    if (mask & (1u << (n - 1))) {
      fprintf(f, "%s%d", first ? "" : ",", n);
      first = 0;
    }
  fprintf(f, "%s\n", first ? "none" : "");
}

void kb_conf_dump(const kb_conf_t *c, FILE *f) {
  int i;
  fprintf(f, "# keybusd configuration in effect (read from %s)\n", c->file);
  fprintf(f, "[keybus]\nbackend = %s\npanel = %s\n", kb_conf_backend_name(c->backend),
          kb_conf_panel_name(c->panel));
  if (c->replay_file[0]) fprintf(f, "replay_file = %s\n", c->replay_file);
  fprintf(f, "replay_speed = %g\ndevice_id = %s\ntopic_prefix = %s\ncode_length = %d\n", c->replay_speed,
          c->device_id, c->topic_prefix, c->code_length);
  put_numbers(f, "pgm_outputs", c->pgm_outputs, 14);
  fprintf(f, "sync_time = %s\nsync_time_partition = %d\n# sync_time_code: %s\n", c->sync_time ? "yes" : "no",
          c->sync_time_partition, secret_text(&c->sync_time_code));
  fprintf(f, "\n[mqtt]\nenabled = %s\nurl = %s://%s%s", c->mqtt_enabled ? "yes" : "no", c->mqtt_tls ? "mqtts" : "mqtt",
          c->mqtt_user, c->mqtt_user[0] ? "@" : "");
  put_host(f, c->mqtt_host);
  fprintf(f, ":%d\n# password: %s\n", c->mqtt_port, secret_text(&c->mqtt_password));
  if (c->mqtt_client_id[0]) fprintf(f, "client_id = %s\n", c->mqtt_client_id);
  fprintf(f, "keepalive = %d\ndiscovery_prefix = %s\n", c->mqtt_keepalive, c->discovery_prefix);
  if (c->tls_ca[0]) fprintf(f, "tls_ca = %s\n", c->tls_ca);
  if (c->tls_cert[0]) fprintf(f, "tls_cert = %s\n", c->tls_cert);
  if (c->tls_key[0]) fprintf(f, "tls_key = %s\n", c->tls_key);
  fprintf(f, "\n[http]\nlisten = ");
  if (c->http_enabled) {
    put_host(f, c->http_addr);
    fprintf(f, ":%d\n", c->http_port);
  } else {
    fprintf(f, "off\n");
  }
  fprintf(f, "# password: %s\n", secret_text(&c->http_password));
  fprintf(f, "\n[tpi]\nlisten = ");
  if (c->tpi_enabled) {
    put_host(f, c->tpi_addr);
    fprintf(f, ":%d\n", c->tpi_port);
  } else {
    fprintf(f, "off\n");
  }
  fprintf(f, "# password: %s\n# code: %s\nclients = %d\n", secret_text(&c->tpi_password), secret_text(&c->tpi_code),
          c->tpi_clients);
  fprintf(f, "\n[gpio]\n");
  if (c->gpio_chip[0]) fprintf(f, "chip = %s\n", c->gpio_chip);
  put_line(f, "clock", &c->gpio_clock);
  put_line(f, "data", &c->gpio_data);
  put_line(f, "write", &c->gpio_write);
  put_line(f, "pc16", &c->gpio_pc16);
  fprintf(f, "\n[log]\nlevel = %s\ntarget = %s\n", level_names[c->log_level], c->log_syslog ? "syslog" : "stderr");
  fprintf(f, "\n[buttons]\nfire = %s\naux = %s\npanic = %s\n", c->button_fire ? "yes" : "no",
          c->button_aux ? "yes" : "no", c->button_panic ? "yes" : "no");
  put_numbers(f, "outputs", c->button_outputs, 4);
  for (i = 1; i <= KB_CONF_PARTITIONS; i++)
    if (c->partition[i].used) fprintf(f, "\n[partition %d]\nname = %s\n", i, c->partition[i].name);
  for (i = 1; i <= KB_CONF_ZONES; i++)
    if (c->zone[i].used)
      fprintf(f, "\n[zone %d]\nname = %s\nclass = %s\npartition = %d\n", i, c->zone[i].name,
              kb_conf_class_name(c->zone[i].device_class), c->zone[i].partition);
  fprintf(f, "\n[users]\n");
  for (i = 1; i <= KB_CONF_USERS; i++)
    if (c->user[i][0]) fprintf(f, "%d = %s\n", i, c->user[i]);
}
