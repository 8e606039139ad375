/* SPDX-License-Identifier: MIT
 *
 * kd_xpd.c - keybusd's virtual zone expander: [expander] configuration,
 * the vzone MQTT command, Home Assistant switches. See kd_xpd.h.
 */
#include "kd_xpd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --------------------------------------------------------------- errors */

typedef struct {
  char *buf;
  size_t cap;
  const char *name;
  int line;
  int count;
} perr_t;

static void err_add(perr_t *e, int line, const char *fmt, ...) {
  size_t n;
  va_list ap;
  e->count++;
  if (!e->buf || !e->cap) return;
  n = strlen(e->buf);
  if (n + 1 >= e->cap) return;
  if (line > 0) n += (size_t)snprintf(e->buf + n, e->cap - n, "%s:%d: ", e->name, line);
  else n += (size_t)snprintf(e->buf + n, e->cap - n, "%s: ", e->name);
  if (n + 1 >= e->cap) return;
  va_start(ap, fmt);
  n += (size_t)vsnprintf(e->buf + n, e->cap - n, fmt, ap);
  va_end(ap);
  if (n + 1 < e->cap) {
    e->buf[n] = '\n';
    e->buf[n + 1] = 0;
  } else {
    e->buf[e->cap - 1] = 0;
  }
}

/* ----------------------------------------------------------- configuration */

void kd_xpd_conf_init(kd_xpd_conf_t *c) { memset(c, 0, sizeof *c); }

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* [a, a+n) without the blanks around it */
static const char *trim(const char *a, size_t *n) {
  while (*n && is_blank(*a)) a++, (*n)--;
  while (*n && is_blank(a[*n - 1])) (*n)--;
  return a;
}

/* A comma-separated list of numbers lo..hi into *bits (bit v-lo... v): 0 or
 * -1 (message written into why). */
static int number_list(const char *v, size_t n, unsigned lo, unsigned hi, uint64_t *bits, char *why,
                       size_t wcap) {
  uint64_t b = 0;
  size_t i = 0;
  if (n == 0) {
    snprintf(why, wcap, "expected numbers %u-%u separated by commas", lo, hi);
    return -1;
  }
  while (i <= n) {
    size_t j = i, k;
    unsigned long x = 0;
    const char *item;
    while (j < n && v[j] != ',') j++;
    k = j - i;
    item = trim(v + i, &k);
    if (k == 0 || k > 2) {
      snprintf(why, wcap, "expected numbers %u-%u separated by commas", lo, hi);
      return -1;
    }
    for (size_t t = 0; t < k; t++) {
      if (item[t] < '0' || item[t] > '9') {
        snprintf(why, wcap, "expected numbers %u-%u separated by commas", lo, hi);
        return -1;
      }
      x = x * 10u + (unsigned long)(item[t] - '0');
    }
    if (x < lo || x > hi) {
      snprintf(why, wcap, "%lu is outside %u-%u", x, lo, hi);
      return -1;
    }
    if (b & ((uint64_t)1 << (x - lo))) {
      snprintf(why, wcap, "%lu is given twice", x);
      return -1;
    }
    b |= (uint64_t)1 << (x - lo);
    i = j + 1;
  }
  *bits = b;
  return 0;
}

int kd_xpd_conf_parse(kd_xpd_conf_t *c, const char *text, size_t len, const char *name, char *err,
                      size_t cap) {
  perr_t e = {err, cap, name ? name : "config", 0, 0};
  bool in = false;
  int line = 0, l_exp = 0, l_zones = 0;
  size_t p = 0;
  if (err && cap) err[0] = 0;
  if (!text) return 0;
  while (p < len) {
    size_t q = p, n;
    const char *s;
    while (q < len && text[q] != '\n') q++;
    n = q - p;
    s = text + p;
    p = q + 1;
    line++;
    if (n && s[n - 1] == '\r') n--;
    if (line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3, n -= 3;
    s = trim(s, &n);
    if (!n || s[0] == '#' || s[0] == ';') continue;
    if (memchr(s, 0, n)) { /* kb_conf reports it; nothing of this line is ours */
      continue;
    }
    if (s[0] == '[') {
      size_t wn = n >= 2 && s[n - 1] == ']' ? n - 2 : 0;
      const char *w = trim(s + 1, &wn);
      in = wn == 8 && !memcmp(w, "expander", 8);
      if (in) {
        if (c->line) err_add(&e, line, "[expander] is already defined at line %d", c->line);
        else c->line = line;
      }
      continue;
    }
    if (!in) continue;
    {
      const char *eq = memchr(s, '=', n);
      size_t kn, vn;
      const char *k, *v;
      char why[96];
      uint64_t bits = 0;
      if (!eq) {
        err_add(&e, line, "[expander]: expected key = value");
        continue;
      }
      kn = (size_t)(eq - s);
      k = trim(s, &kn);
      vn = n - (size_t)(eq - s) - 1;
      v = trim(eq + 1, &vn);
      if (kn == 9 && !memcmp(k, "expanders", 9)) {
        if (l_exp) {
          err_add(&e, line, "[expander] expanders: already given at line %d", l_exp);
          continue;
        }
        l_exp = line;
        if (number_list(v, vn, 0, 7, &bits, why, sizeof why)) {
          err_add(&e, line, "[expander] expanders: %s (expanders 0-7; expander n = zones 8n+1..8n+8)", why);
          continue;
        }
        c->expanders = (uint8_t)bits;
      } else if (kn == 5 && !memcmp(k, "zones", 5)) {
        if (l_zones) {
          err_add(&e, line, "[expander] zones: already given at line %d", l_zones);
          continue;
        }
        l_zones = line;
        if (number_list(v, vn, 1, 64, &bits, why, sizeof why)) {
          err_add(&e, line, "[expander] zones: %s (zones 1-64)", why);
          continue;
        }
        c->zones = bits;
      } else {
        err_add(&e, line, "[expander]: unknown key: [expander] takes expanders, zones");
      }
    }
  }
  if (c->line) { /* cross-checks, once the section is read */
    if (!c->expanders) err_add(&e, c->line, "[expander] expanders: needed (which expanders 0-7 to emulate)");
    for (unsigned z = 1; z <= 64u; z++)
      if (((c->zones >> (z - 1u)) & 1u) && !((c->expanders >> ((z - 1u) / 8u)) & 1u)) {
        err_add(&e, l_zones, "[expander] zones: zone %u is on expander %u, which is not in expanders", z,
                (z - 1u) / 8u);
        break;
      }
  }
  return e.count;
}

int kd_xpd_conf_load(kd_xpd_conf_t *c, const char *path, bool must_exist, char *err, size_t cap) {
  FILE *f;
  char *buf;
  size_t n;
  int r;
  perr_t e = {err, cap, path, 0, 0};
  if (err && cap) err[0] = 0;
  f = fopen(path, "rb");
  if (!f) {
    if (!must_exist && errno == ENOENT) return 0;
    err_add(&e, 0, "cannot read: %s", strerror(errno));
    return e.count;
  }
  buf = malloc(256 * 1024 + 1);
  if (!buf) {
    fclose(f);
    err_add(&e, 0, "out of memory");
    return e.count;
  }
  n = fread(buf, 1, 256 * 1024 + 1, f);
  fclose(f);
  if (n > 256 * 1024) { /* kb_conf refuses it too */
    free(buf);
    err_add(&e, 0, "file larger than 256 KiB");
    return e.count;
  }
  r = kd_xpd_conf_parse(c, buf, n, path, err, cap);
  free(buf);
  return r;
}

kb_err_t kd_xpd_start(const kd_xpd_conf_t *c, kb_xpd_t *x, kb_bus_t *bus) {
  kb_err_t e;
  if (!c || !x || !bus) return KB_ERR_ARG;
  if (!c->expanders) return KB_OK;
  for (uint8_t n = 0; n < KB_XPD_EXPANDERS; n++)
    if ((c->expanders >> n) & 1u) {
      e = kb_xpd_enable(x, n, true);
      if (e != KB_OK) return e;
    }
  return kb_bus_xpd_attach(bus, x);
}

/* ---------------------------------------------------------------- MQTT */

static const char *pfx(const kb_ha_config_t *ha) { return ha->prefix ? ha->prefix : "keybus"; }

kb_err_t kd_xpd_topic(const kb_ha_config_t *ha, char *buf, size_t size) {
  int n;
  if (!ha || !buf || !size || kb_ha_config_check(ha) != KB_OK) return KB_ERR_ARG;
  n = snprintf(buf, size, "%s/%s/vzone/set", pfx(ha), ha->device_id);
  if (n < 0 || (size_t)n >= size) {
    buf[0] = 0;
    return KB_ERR_FULL;
  }
  return KB_OK;
}

int kd_xpd_payload(const char *p, size_t len, unsigned *zone, kb_xpd_zone_t *state) {
  size_t i = 0, k;
  unsigned z = 0;
  const char *w;
  if (!p) return -1;
  while (i < len && is_blank(p[i])) i++;
  k = 0;
  while (i < len && p[i] >= '0' && p[i] <= '9' && k < 3) z = z * 10u + (unsigned)(p[i++] - '0'), k++;
  if (k == 0 || k > 2 || z < 1 || z > 64 || i >= len || !is_blank(p[i])) return -1;
  while (i < len && is_blank(p[i])) i++;
  w = p + i;
  k = len - i;
  w = trim(w, &k);
  if ((k == 4 && !memcmp(w, "open", 4)) || (k == 2 && !memcmp(w, "ON", 2))) *state = KB_XPD_OPEN;
  else if ((k == 6 && !memcmp(w, "closed", 6)) || (k == 3 && !memcmp(w, "OFF", 3))) *state = KB_XPD_CLOSED;
  else if (k == 6 && !memcmp(w, "tamper", 6)) *state = KB_XPD_TAMPER;
  else return -1;
  *zone = z;
  return 0;
}

int kd_xpd_command(const kd_xpd_conf_t *c, kb_xpd_t *x, const char *payload, size_t len,
                   unsigned *zone, kb_xpd_zone_t *state, const char **why) {
  unsigned z;
  kb_xpd_zone_t s;
  kb_err_t e;
  *why = NULL;
  if (!c || !x) {
    *why = "no virtual zone expander";
    return -1;
  }
  if (kd_xpd_payload(payload, len, &z, &s)) {
    *why = "expected \"<zone 1-64> open|closed|tamper\"";
    return -1;
  }
  if (!((c->zones >> (z - 1u)) & 1u)) {
    *why = "not a virtual zone ([expander] zones)";
    return -1;
  }
  e = kb_xpd_set_zone(x, (uint8_t)z, s);
  if (e != KB_OK) {
    *why = kb_err_name(e);
    return -1;
  }
  *zone = z;
  *state = s;
  return 0;
}

static const char *state_word(kb_xpd_zone_t s) {
  return s == KB_XPD_OPEN ? "open" : s == KB_XPD_TAMPER ? "tamper" : "closed";
}

static kb_err_t msg_put(kb_ha_msg_t *m, int tn, int pn) {
  if (tn < 0 || (size_t)tn >= m->topic_size || pn < 0 || (size_t)pn >= m->payload_size) {
    if (m->topic_size) m->topic[0] = 0;
    if (m->payload_size) m->payload[0] = 0;
    m->topic_len = m->payload_len = 0;
    return KB_ERR_FULL;
  }
  m->topic_len = (size_t)tn;
  m->payload_len = (size_t)pn;
  m->retain = true;
  return KB_OK;
}

kb_err_t kd_xpd_state(const kb_ha_config_t *ha, unsigned zone, kb_xpd_zone_t state, kb_ha_msg_t *m) {
  int tn, pn;
  if (!ha || !m || !m->topic || !m->payload || zone < 1 || zone > 64 || kb_ha_config_check(ha) != KB_OK)
    return KB_ERR_ARG;
  tn = snprintf(m->topic, m->topic_size, "%s/%s/vzone/%u", pfx(ha), ha->device_id, zone);
  pn = snprintf(m->payload, m->payload_size, "%s", state_word(state));
  return msg_put(m, tn, pn);
}

size_t kd_xpd_count(const kd_xpd_conf_t *c) {
  size_t n = 0;
  for (unsigned z = 0; z < 64u; z++) n += (c->zones >> z) & 1u;
  return n;
}

unsigned kd_xpd_zone_at(const kd_xpd_conf_t *c, size_t i) {
  size_t k = 0;
  if (!c) return 0;
  for (unsigned t = 1; t <= 64u; t++)
    if ((c->zones >> (t - 1u)) & 1u) {
      if (k == i) return t;
      k++;
    }
  return 0;
}

kb_err_t kd_xpd_discovery(const kd_xpd_conf_t *c, const kb_ha_config_t *ha, size_t i, kb_ha_msg_t *m) {
  unsigned z;
  int tn, pn;
  const char *px, *disc;
  if (!c || !ha || !m || !m->topic || !m->payload || kb_ha_config_check(ha) != KB_OK) return KB_ERR_ARG;
  z = kd_xpd_zone_at(c, i);
  if (!z) return KB_ERR_ARG;
  px = pfx(ha);
  disc = ha->discovery ? ha->discovery : "homeassistant";
  tn = snprintf(m->topic, m->topic_size, "%s/switch/%s/vzone%u/config", disc, ha->device_id, z);
  /* names and ids hold only [A-Za-z0-9_-/] (kb_ha_config_check): no escaping */
  pn = snprintf(m->payload, m->payload_size,
                "{\"name\":\"Virtual zone %u input\",\"unique_id\":\"%s_vzone%u\","
                "\"command_topic\":\"%s/%s/vzone/set\",\"state_topic\":\"%s/%s/vzone/%u\","
                "\"payload_on\":\"%u open\",\"payload_off\":\"%u closed\","
                "\"state_on\":\"open\",\"state_off\":\"closed\",\"icon\":\"mdi:electric-switch\","
                "\"availability\":[{\"topic\":\"%s/%s/status\"},{\"topic\":\"%s/%s/connected\"}],"
                "\"availability_mode\":\"all\","
                "\"device\":{\"identifiers\":[\"keybus_%s\"]}}",
                z, ha->device_id, z, px, ha->device_id, px, ha->device_id, z, z, z, px, ha->device_id, px,
                ha->device_id, ha->device_id);
  return msg_put(m, tn, pn);
}
