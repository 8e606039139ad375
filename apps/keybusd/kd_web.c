/* SPDX-License-Identifier: MIT
 * kd_web.c - see kd_web.h. */
#define _DEFAULT_SOURCE /* crypt_r, getrandom */
#include "kd_web.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <cJSON.h>

#include "kd_assets.h"
#include "kd_log.h"

#define TOKEN_HEX 32 /* 128 random bits */
#define SESSION_IDLE_MS (12ull * 3600u * 1000u)
#define RATE_SLOTS 16
#define RESULTS 32

typedef struct {
  bool used, authed;
  char id[TOKEN_HEX + 1];
  char csrf[TOKEN_HEX + 1];
  uint64_t last_ms;
} session_t;

typedef struct {
  uint64_t seq;
  char type[8];
  size_t len;
  char data[KD_WEB_MSG_MAX];
} ring_msg_t;

typedef struct {
  char addr[64];
  unsigned fails;
  uint64_t first_ms, blocked_until_ms;
} rate_t;

struct kd_web {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  kd_web_cfg_t cfg;
  char bind_addr[256];
  char hash[256]; /* crypt(3) of the password; "" = none */
  bool closing;
  /* state */
  char *state;
  size_t state_len;
  uint64_t state_seq;
  char health[KD_WEB_MSG_MAX]; /* the latest "health" message ("" none yet) */
  /* events, results, health */
  ring_msg_t ring[KD_WEB_RING];
  uint64_t seq; /* next sequence number */
  struct {
    char id[KB_HA_CMD_ID_MAX + 1];
    char json[KB_HA_RESULT_SIZE];
  } results[RESULTS];
  unsigned results_next;
  /* commands to the main thread */
  kd_web_in_t inq[KD_WEB_INQ];
  unsigned in_head, in_len;
  unsigned next_id;
  /* sessions, streams, logins */
  session_t sess[KD_WEB_SESSIONS];
  int streams;
  rate_t rate[RATE_SLOTS];
  unsigned global_fails;
  int logins_running; /* password hashes being computed now */
  uint64_t global_first_ms, global_blocked_until_ms;
  /* the Envisalink discovery pages (/2, /3) */
  char tpi_pw[64];
  char tpi_mac[13];
  char tpi_fw[32];
};

/* ------------------------------------------------------------ helpers */

bool kd_web_ct_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), n = la > lb ? la : lb;
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < n; i++) {
    unsigned char x = i < la ? (unsigned char)a[i] : 0, y = i < lb ? (unsigned char)b[i] : 0;
    diff |= (unsigned char)(x ^ y);
  }
  return diff == 0;
}

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--) *v++ = 0;
}

static bool random_hex(char *out, size_t hex) {
  unsigned char b[64];
  size_t n = hex / 2, got = 0;
  if (n > sizeof b) return false;
  while (got < n) {
    ssize_t r = getrandom(b + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += (size_t)r;
  }
  for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
  out[hex] = 0;
  return true;
}

static bool is_hex_token(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

/* ------------------------------------------------------------- create */

/* A crypt(3) hash ("$y$...", "$6$...") rather than a password: crypt
 * accepts it as a setting and gives back a hash of the same form. */
static bool looks_hashed(const char *p) {
  struct crypt_data *cd;
  const char *h;
  bool yes;
  if (p[0] != '$' || strlen(p) < 20 || strlen(p) >= 256) return false;
  cd = calloc(1, sizeof *cd);
  if (!cd) return false;
  h = crypt_r("", p, cd);
  yes = h && h[0] == '$' && strlen(h) == strlen(p) && strncmp(h, p, 3) == 0;
  free(cd);
  return yes;
}

kd_web_t *kd_web_new(const kd_web_cfg_t *cfg) {
  kd_web_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->state = malloc(KD_WEB_STATE_MAX);
  if (!w->state) {
    free(w);
    return NULL;
  }
  pthread_mutex_init(&w->mu, NULL);
  {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
  }
  w->cfg = *cfg;
  snprintf(w->bind_addr, sizeof w->bind_addr, "%s", cfg->bind_addr ? cfg->bind_addr : "");
  w->cfg.bind_addr = w->bind_addr;
  w->cfg.password = NULL;
  if (cfg->tpi_password && cfg->tpi_password[0]) {
    snprintf(w->tpi_pw, sizeof w->tpi_pw, "%s", cfg->tpi_password);
    snprintf(w->tpi_mac, sizeof w->tpi_mac, "%s", cfg->tpi_mac ? cfg->tpi_mac : "");
    snprintf(w->tpi_fw, sizeof w->tpi_fw, "%s", cfg->tpi_firmware ? cfg->tpi_firmware : "");
  }
  w->cfg.tpi_password = w->cfg.tpi_mac = w->cfg.tpi_firmware = NULL;
  w->seq = 1;
  w->state_seq = 1;
  w->state_len = (size_t)snprintf(w->state, KD_WEB_STATE_MAX, "{}");
  if (cfg->password && cfg->password[0]) {
    const char *p = cfg->password;
    if (looks_hashed(p)) {
      /* already a crypt(3) hash (docs/web.md): kept as it is */
      snprintf(w->hash, sizeof w->hash, "%s", p);
    } else {
      char salt[CRYPT_GENSALT_OUTPUT_SIZE];
      struct crypt_data *cd = calloc(1, sizeof *cd);
      const char *h = NULL;
      if (cd && crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt)) h = crypt_r(p, salt, cd);
      if (!h || h[0] == '*' || strlen(h) >= sizeof w->hash) {
        kd_log(KD_ERROR, "http: the password could not be hashed (crypt)");
        free(cd);
        kd_web_free(w);
        return NULL;
      }
      snprintf(w->hash, sizeof w->hash, "%s", h);
      wipe(cd, sizeof *cd);
      free(cd);
    }
  }
  return w;
}

void kd_web_free(kd_web_t *w) {
  if (!w) return;
  for (unsigned i = 0; i < KD_WEB_INQ; i++) kb_ha_cmd_wipe(&w->inq[i].cmd);
  wipe(w->tpi_pw, sizeof w->tpi_pw);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  free(w->state);
  free(w);
}

void kd_web_close(kd_web_t *w) {
  pthread_mutex_lock(&w->mu);
  w->closing = true;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* -------------------------------------------------------- main thread */

void kd_web_set_state(kd_web_t *w, const char *json, size_t len) {
  if (len >= KD_WEB_STATE_MAX) return;
  pthread_mutex_lock(&w->mu);
  memcpy(w->state, json, len);
  w->state[len] = 0;
  w->state_len = len;
  w->state_seq++;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

/* the "id" string of a result document written by kb_ha_result_json */
static void result_id(const char *json, char *id, size_t size) {
  const char *p = strstr(json, "\"id\":\"");
  size_t n = 0;
  id[0] = 0;
  if (!p) return;
  p += 6;
  while (p[n] && p[n] != '"' && n + 1 < size) n++;
  memcpy(id, p, n);
  id[n] = 0;
}

void kd_web_push(kd_web_t *w, const char *type, const char *json, size_t len) {
  ring_msg_t *m;
  if (len >= KD_WEB_MSG_MAX) return;
  pthread_mutex_lock(&w->mu);
  m = &w->ring[w->seq % KD_WEB_RING];
  m->seq = w->seq++;
  snprintf(m->type, sizeof m->type, "%s", type);
  memcpy(m->data, json, len);
  m->data[len] = 0;
  m->len = len;
  if (strcmp(type, "health") == 0) memcpy(w->health, m->data, len + 1);
  if (strcmp(type, "result") == 0) {
    char id[KB_HA_CMD_ID_MAX + 1];
    result_id(m->data, id, sizeof id);
    if (id[0] && len < KB_HA_RESULT_SIZE) {
      unsigned slot = w->results_next;
      for (unsigned i = 0; i < RESULTS; i++)
        if (strcmp(w->results[i].id, id) == 0) slot = i;
      if (slot == w->results_next) w->results_next = (w->results_next + 1) % RESULTS;
      memcpy(w->results[slot].id, id, strlen(id) + 1);
      memcpy(w->results[slot].json, m->data, len + 1);
    }
  }
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

bool kd_web_take(kd_web_t *w, kd_web_in_t *out) {
  bool got = false;
  pthread_mutex_lock(&w->mu);
  if (w->in_len) {
    kd_web_in_t *e = &w->inq[w->in_head];
    *out = *e;
    kb_ha_cmd_wipe(&e->cmd);
    w->in_head = (w->in_head + 1) % KD_WEB_INQ;
    w->in_len--;
    got = true;
  }
  pthread_mutex_unlock(&w->mu);
  return got;
}

int kd_web_streams(kd_web_t *w) {
  int n;
  pthread_mutex_lock(&w->mu);
  n = w->streams;
  pthread_mutex_unlock(&w->mu);
  return n;
}

/* ----------------------------------------------------------- responses */

static void add_header(kd_web_resp_t *r, const char *name, const char *fmt, const char *val) {
  if (r->nh >= KD_WEB_HDRS) return;
  r->hname[r->nh] = name;
  snprintf(r->hval[r->nh], sizeof r->hval[r->nh], fmt, val);
  r->nh++;
}

static void json_resp(kd_web_resp_t *r, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#include <stdarg.h>
static void json_resp(kd_web_resp_t *r, int status, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(r->buf, sizeof r->buf, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof r->buf) n = snprintf(r->buf, sizeof r->buf, "{\"error\":\"internal\"}");
  r->status = status;
  r->type = "application/json";
  r->body = r->buf;
  r->len = (size_t)n;
}

static void error_resp(kd_web_resp_t *r, int status, const char *word) {
  json_resp(r, status, "{\"error\":\"%s\"}", word);
}

/* ----------------------------------------------------------- sessions */

/* under mu: the session the cookie names, or NULL */
static session_t *find_session(kd_web_t *w, const char *cookie, uint64_t now) {
  const char *p = cookie;
  if (!p) return NULL;
  while ((p = strstr(p, "kb_session=")) != NULL) {
    /* the name must start the header or follow "; " */
    if (p == cookie || p[-1] == ' ' || p[-1] == ';') {
      const char *v = p + 11;
      if (strlen(v) >= TOKEN_HEX && (v[TOKEN_HEX] == 0 || v[TOKEN_HEX] == ';') && is_hex_token(v, TOKEN_HEX)) {
        char id[TOKEN_HEX + 1];
        memcpy(id, v, TOKEN_HEX);
        id[TOKEN_HEX] = 0;
        for (int i = 0; i < KD_WEB_SESSIONS; i++) {
          session_t *s = &w->sess[i];
          if (s->used && kd_web_ct_equal(s->id, id)) {
            if (now - s->last_ms > SESSION_IDLE_MS) {
              s->used = false;
              return NULL;
            }
            s->last_ms = now;
            return s;
          }
        }
      }
    }
    p += 11;
  }
  return NULL;
}

/* under mu: a fresh session (the least recently used one goes) */
static session_t *new_session(kd_web_t *w, uint64_t now) {
  session_t *s = &w->sess[0];
  for (int i = 0; i < KD_WEB_SESSIONS; i++) {
    if (!w->sess[i].used) {
      s = &w->sess[i];
      break;
    }
    if (w->sess[i].last_ms < s->last_ms) s = &w->sess[i];
  }
  memset(s, 0, sizeof *s);
  if (!random_hex(s->id, TOKEN_HEX) || !random_hex(s->csrf, TOKEN_HEX)) return NULL;
  s->used = true;
  s->last_ms = now;
  s->authed = w->hash[0] == 0;
  return s;
}

/* Without a password the page is open to whoever reaches the port: only
 * loopback, and only under a loopback name (a DNS-rebinding page would
 * send its own host name). */
static bool host_ok(const kd_web_t *w, const char *host) {
  char h[300];
  size_t n;
  if (w->hash[0]) return true;
  if (!host || !host[0]) return false;
  if (host[0] == '[') {
    const char *e = strchr(host, ']');
    if (!e) return false;
    n = (size_t)(e - host + 1);
  } else {
    const char *c = strchr(host, ':');
    n = c ? (size_t)(c - host) : strlen(host);
  }
  if (n >= sizeof h) return false;
  memcpy(h, host, n);
  h[n] = 0;
  if (!strcmp(h, "localhost") || !strcmp(h, "[::1]") || !strncmp(h, "127.", 4)) return true;
  if (w->bind_addr[0] && !strcmp(h, w->bind_addr)) return true;
  if (w->bind_addr[0] && h[0] == '[' && n - 2 == strlen(w->bind_addr) && !strncmp(h + 1, w->bind_addr, n - 2))
    return true;
  return false;
}

/* ------------------------------------------------------------- logins */

/* under mu: 0 allowed, else seconds to wait */
static unsigned login_blocked(kd_web_t *w, const char *addr, uint64_t now) {
  if (now < w->global_blocked_until_ms) return (unsigned)((w->global_blocked_until_ms - now) / 1000u) + 1;
  for (int i = 0; i < RATE_SLOTS; i++)
    if (w->rate[i].addr[0] && !strcmp(w->rate[i].addr, addr) && now < w->rate[i].blocked_until_ms)
      return (unsigned)((w->rate[i].blocked_until_ms - now) / 1000u) + 1;
  return 0;
}

static void login_failed(kd_web_t *w, const char *addr, uint64_t now) {
  rate_t *r = NULL, *old = &w->rate[0];
  const uint64_t pause = (uint64_t)KD_WEB_LOGIN_PAUSE_S * 1000u;
  for (int i = 0; i < RATE_SLOTS; i++) {
    if (w->rate[i].addr[0] && !strcmp(w->rate[i].addr, addr)) r = &w->rate[i];
    if (w->rate[i].first_ms < old->first_ms) old = &w->rate[i];
  }
  if (!r) {
    r = old;
    memset(r, 0, sizeof *r);
    snprintf(r->addr, sizeof r->addr, "%s", addr);
  }
  if (!r->fails || now - r->first_ms > pause) {
    r->fails = 0;
    r->first_ms = now;
  }
  if (++r->fails >= KD_WEB_LOGIN_FAILS) {
    r->blocked_until_ms = now + pause;
    r->fails = 0;
  }
  if (!w->global_fails || now - w->global_first_ms > 60000u) {
    w->global_fails = 0;
    w->global_first_ms = now;
  }
  if (++w->global_fails >= KD_WEB_LOGIN_GLOBAL) {
    w->global_blocked_until_ms = now + pause;
    w->global_fails = 0;
  }
}

/* called and returns with mu held; drops it while the password is hashed */
static void handle_login(kd_web_t *w, const kd_web_req_t *q, session_t *s, kd_web_resp_t *r) {
  const char *addr = q->client ? q->client : "?";
  cJSON *j, *pw;
  bool good = false;
  unsigned wait;
  if (!w->hash[0]) {
    json_resp(r, 200, "{\"ok\":true,\"password\":false}");
    return;
  }
  wait = login_blocked(w, addr, q->now_ms);
  if (wait) {
    char b[16];
    snprintf(b, sizeof b, "%u", wait);
    json_resp(r, 429, "{\"error\":\"rate_limited\",\"retry_after\":%u}", wait);
    add_header(r, "Retry-After", "%s", b);
    return;
  }
  j = cJSON_ParseWithLength(q->body ? q->body : "", q->body_len);
  pw = j ? cJSON_GetObjectItemCaseSensitive(j, "password") : NULL;
  if (!cJSON_IsObject(j) || !cJSON_IsString(pw) || strlen(pw->valuestring) > 256) {
    cJSON_Delete(j);
    error_resp(r, 400, "invalid_request");
    return;
  }
  if (w->logins_running >= 2) {
    /* each try costs a hash: two at a time, whoever asks */
    cJSON_Delete(j);
    json_resp(r, 429, "{\"error\":\"rate_limited\",\"retry_after\":1}");
    add_header(r, "Retry-After", "%s", "1");
    return;
  }
  {
    /* the hash is slow on purpose (tens of ms): computed without the lock,
     * which the Keybus task takes to hand over its state */
    char sid[TOKEN_HEX + 1];
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *h;
    memcpy(sid, s->id, sizeof sid);
    w->logins_running++;
    pthread_mutex_unlock(&w->mu);
    h = cd ? crypt_r(pw->valuestring, w->hash, cd) : NULL;
    good = h && h[0] != '*' && kd_web_ct_equal(h, w->hash);
    if (cd) wipe(cd, sizeof *cd);
    free(cd);
    pthread_mutex_lock(&w->mu);
    w->logins_running--;
    s = NULL; /* it may have been replaced meanwhile */
    for (int i = 0; i < KD_WEB_SESSIONS; i++)
      if (w->sess[i].used && !strcmp(w->sess[i].id, sid)) s = &w->sess[i];
  }
  wipe(pw->valuestring, strlen(pw->valuestring));
  cJSON_Delete(j);
  if (!s) {
    error_resp(r, 403, "csrf");
    return;
  }
  if (!good) {
    login_failed(w, addr, q->now_ms);
    kd_log(KD_WARNING, "http: failed login from %s", addr);
    error_resp(r, 401, "wrong_password");
    return;
  }
  s->authed = true;
  /* a new token after login: one seen before it is worth nothing now */
  random_hex(s->csrf, TOKEN_HEX);
  kd_log(KD_INFO, "http: login from %s", addr);
  json_resp(r, 200, "{\"ok\":true,\"csrf\":\"%s\"}", s->csrf);
}

/* ----------------------------------------------------------- commands */

static void handle_keys(kd_web_t *w, const kd_web_req_t *q, kd_web_resp_t *r) {
  kb_ha_cmd_t c;
  kb_ha_perr_t pe;
  kd_web_in_t *e;
  if (q->body_len > KB_HA_CMD_MAX) {
    error_resp(r, 413, "too_large");
    return;
  }
  pe = kb_ha_parse_command(q->body ? q->body : "", q->body_len, &c);
  if (pe != KB_HA_PERR_OK) {
    kb_ha_cmd_wipe(&c);
    json_resp(r, 400, "{\"error\":\"invalid_request\",\"result\":\"invalid_request\",\"detail\":\"%s\"}",
              kb_ha_perr_name(pe));
    return;
  }
  if ((c.action == KB_HA_ACT_FIRE && !w->cfg.alarm_keys[0]) || (c.action == KB_HA_ACT_AUX && !w->cfg.alarm_keys[1]) ||
      (c.action == KB_HA_ACT_PANIC && !w->cfg.alarm_keys[2])) {
    kb_ha_cmd_wipe(&c);
    error_resp(r, 403, "not_enabled");
    return;
  }
  if (w->in_len == KD_WEB_INQ) {
    kb_ha_cmd_wipe(&c);
    json_resp(r, 503, "{\"error\":\"busy\",\"result\":\"busy\",\"detail\":\"queue_full\"}");
    return;
  }
  e = &w->inq[(w->in_head + w->in_len++) % KD_WEB_INQ];
  memset(e, 0, sizeof *e);
  e->kind = KD_WEB_IN_CMD;
  e->cmd = c;
  kb_ha_cmd_wipe(&c);
  e->cmd.id_kind = 1;
  snprintf(e->cmd.id, sizeof e->cmd.id, "web-%u", ++w->next_id);
  {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    e->t_rx_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  }
  json_resp(r, 202, "{\"id\":\"%s\",\"result\":\"accepted\"}", e->cmd.id);
}

static void handle_sim(kd_web_t *w, const kd_web_req_t *q, kd_web_resp_t *r) {
  kd_web_in_t *e;
  if (!w->cfg.simulated) {
    error_resp(r, 404, "not_simulated");
    return;
  }
  if (q->body_len > KD_WEB_SIM_MAX) {
    error_resp(r, 413, "too_large");
    return;
  }
  if (q->body_len == 0 || memchr(q->body, 0, q->body_len)) {
    error_resp(r, 400, "invalid_request");
    return;
  }
  if (w->in_len == KD_WEB_INQ) {
    error_resp(r, 503, "busy");
    return;
  }
  e = &w->inq[(w->in_head + w->in_len++) % KD_WEB_INQ];
  memset(e, 0, sizeof *e);
  e->kind = KD_WEB_IN_SIM;
  memcpy(e->sim, q->body, q->body_len);
  e->sim_len = q->body_len;
  snprintf(e->id, sizeof e->id, "sim-%u", ++w->next_id);
  json_resp(r, 202, "{\"id\":\"%s\",\"result\":\"accepted\",\"simulation\":true}", e->id);
}

/* GET /api/result?id=web-N */
static void handle_result(kd_web_t *w, const kd_web_req_t *q, kd_web_resp_t *r) {
  const char *id = q->query && !strncmp(q->query, "id=", 3) ? q->query + 3 : NULL;
  if (!id || !id[0] || strlen(id) > KB_HA_CMD_ID_MAX) {
    error_resp(r, 400, "invalid_request");
    return;
  }
  for (int i = 0; i < RESULTS; i++)
    if (w->results[i].id[0] && !strcmp(w->results[i].id, id)) {
      json_resp(r, 200, "%s", w->results[i].json);
      return;
    }
  error_resp(r, 404, "unknown_id");
}

static void handle_events(kd_web_t *w, kd_web_resp_t *r) {
  size_t n = 0, cap = sizeof r->buf;
  uint64_t first = w->seq > KD_WEB_RING ? w->seq - KD_WEB_RING : 1;
  n += (size_t)snprintf(r->buf, cap, "{\"events\":[");
  for (uint64_t s = first; s < w->seq; s++) {
    const ring_msg_t *m = &w->ring[s % KD_WEB_RING];
    if (m->seq != s || strcmp(m->type, "event")) continue;
    if (n + m->len + 4 >= cap) break;
    if (r->buf[n - 1] != '[') r->buf[n++] = ',';
    memcpy(r->buf + n, m->data, m->len);
    n += m->len;
  }
  n += (size_t)snprintf(r->buf + n, cap - n, "]}");
  r->status = 200;
  r->type = "application/json";
  r->body = r->buf;
  r->len = n < cap ? n : cap - 1;
}

/* ------------------------------------------------------------ routing */

static const kd_asset_t *asset(const char *path) {
  for (size_t i = 0; i < kd_n_assets; i++)
    if (!strcmp(kd_assets[i].path, path)) return &kd_assets[i];
  if (!strcmp(path, "/index.html")) return asset("/");
  return NULL;
}

static void security_headers(kd_web_resp_t *r) {
  (void)r; /* set by the server glue for every response (kd_http.c) */
}

/* base64 of HTTP Basic into out (NUL-terminated); false when it is not */
static bool b64_decode(const char *in, char *out, size_t cap) {
  unsigned acc = 0, bits = 0;
  size_t n = 0;
  for (; *in && *in != '='; in++) {
    const char *k = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *in);
    if (!k || !*in) return false;
    acc = (acc << 6) | (unsigned)(k - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n + 1 >= cap) return false;
      out[n++] = (char)((acc >> bits) & 0xFFu);
    }
  }
  for (; *in == '='; in++) {
  }
  if (*in) return false;
  out[n] = 0;
  return strlen(out) == n; /* no NUL inside */
}

/* GET /2 and /3: what Envisalink clients read to learn the module's panel
 * type, version, firmware and MAC (pyenvisalink's discovery), behind HTTP
 * Basic auth with the TPI password (any user name, as "user" on a real
 * one); failures count in the login limiter. Called with mu not held. */
static void tpi_page(kd_web_t *w, const kd_web_req_t *q, const char *p, kd_web_resp_t *r) {
  const char *addr = q->client ? q->client : "?", *a = q->authorization, *colon;
  char cred[128];
  unsigned wait;
  bool good = false;
  pthread_mutex_lock(&w->mu);
  wait = login_blocked(w, addr, q->now_ms);
  pthread_mutex_unlock(&w->mu);
  if (wait) {
    add_header(r, "Retry-After", "%s", "60");
    error_resp(r, 429, "rate_limited");
    return;
  }
  if (a && !strncmp(a, "Basic ", 6) && strlen(a) < 180 && b64_decode(a + 6, cred, sizeof cred) &&
      (colon = strchr(cred, ':')) != NULL)
    good = kd_web_ct_equal(colon + 1, w->tpi_pw);
  wipe(cred, sizeof cred);
  if (!good) {
    if (a) {
      pthread_mutex_lock(&w->mu);
      login_failed(w, addr, q->now_ms);
      pthread_mutex_unlock(&w->mu);
      kd_log(KD_WARNING, "http: %s: wrong TPI password for %s", addr, p);
    }
    add_header(r, "WWW-Authenticate", "%s", "Basic realm=\"Envisalink\"");
    r->status = 401;
    r->type = "text/html";
    r->len = (size_t)snprintf(r->buf, sizeof r->buf, "<HTML><BODY>401 Unauthorized</BODY></HTML>\n");
    r->body = r->buf;
    return;
  }
  r->status = 200;
  r->type = "text/html";
  add_header(r, "Cache-Control", "%s", "no-store");
  if (!strcmp(p, "/2"))
    r->len = (size_t)snprintf(r->buf, sizeof r->buf,
                              "<HTML><HEAD><TITLE>Envisalink 4</TITLE></HEAD><BODY>\n"
                              "<TABLE><TR><TD>Security Subsystem - DSC</TD></TR></TABLE>\n"
                              "<P>keybusd: an Envisalink TPI on a Keybus interface (docs/tpi.md)</P>\n"
                              "</BODY></HTML>\n");
  else
    r->len = (size_t)snprintf(r->buf, sizeof r->buf,
                              "<HTML><HEAD><TITLE>Envisalink 4</TITLE></HEAD><BODY>\n"
                              "<TABLE><TR><TD>Firmware Version: %s </TD></TR>\n"
                              "<TR><TD>MAC: %s </TD></TR></TABLE>\n</BODY></HTML>\n",
                              w->tpi_fw, w->tpi_mac);
  r->body = r->buf;
}

void kd_web_handle(kd_web_t *w, const kd_web_req_t *q, kd_web_resp_t *r) {
  const char *m = q->method ? q->method : "", *p = q->path ? q->path : "";
  bool get = !strcmp(m, "GET") || !strcmp(m, "HEAD"), post = !strcmp(m, "POST");
  session_t *s;
  r->status = 500;
  r->type = "application/json";
  r->body = "";
  r->len = 0;
  r->nh = 0;
  r->stream = false;
  security_headers(r);
  if (!get && !post) {
    error_resp(r, 405, "method");
    add_header(r, "Allow", "%s", "GET, HEAD, POST");
    return;
  }
  if (p[0] != '/' || strlen(p) > 256) {
    error_resp(r, 400, "path");
    return;
  }
  /* before the Host check: these pages have their own password */
  if (w->tpi_pw[0] && (!strcmp(p, "/2") || !strcmp(p, "/3"))) {
    if (!get) {
      error_resp(r, 405, "method");
      add_header(r, "Allow", "%s", "GET, HEAD");
    } else {
      tpi_page(w, q, p, r);
    }
    return;
  }
  if (w->cfg.tpi_only) {
    error_resp(r, 404, "not_found");
    return;
  }
  if (!host_ok(w, q->host)) {
    error_resp(r, 403, "host");
    return;
  }
  if (q->body_too_large) {
    error_resp(r, 413, "too_large");
    return;
  }
  if (strncmp(p, "/api/", 5) != 0) {
    const kd_asset_t *a = post ? NULL : asset(p);
    if (!a) {
      error_resp(r, post ? 405 : 404, post ? "method" : "not_found");
      return;
    }
    add_header(r, "Cache-Control", "%s", "no-cache");
    add_header(r, "ETag", "%s", a->etag);
    if (q->if_none_match && strstr(q->if_none_match, a->etag)) {
      r->status = 304;
      r->type = a->type;
      r->body = "";
      r->len = 0;
      return;
    }
    r->status = 200;
    r->type = a->type;
    r->body = (const char *)a->data;
    r->len = a->len;
    return;
  }
  add_header(r, "Cache-Control", "%s", "no-store");
  pthread_mutex_lock(&w->mu);
  s = find_session(w, q->cookie, q->now_ms);
  if (!strcmp(p, "/api/session")) {
    if (!get) {
      error_resp(r, 405, "method");
    } else {
      if (!s) s = new_session(w, q->now_ms);
      if (!s) {
        error_resp(r, 503, "no_session");
      } else {
        add_header(r, "Set-Cookie", "kb_session=%s; Path=/; HttpOnly; SameSite=Strict", s->id);
        json_resp(r, 200, "{\"csrf\":\"%s\",\"password\":%s,\"authed\":%s,\"simulated\":%s}", s->csrf,
                  w->hash[0] ? "true" : "false", s->authed ? "true" : "false",
                  w->cfg.simulated ? "true" : "false");
      }
    }
    pthread_mutex_unlock(&w->mu);
    return;
  }
  if (post) {
    /* every POST: a session and its token (a cross-site page has neither) */
    if (!s || !q->csrf || strlen(q->csrf) != TOKEN_HEX || !kd_web_ct_equal(q->csrf, s->csrf)) {
      error_resp(r, 403, "csrf");
      pthread_mutex_unlock(&w->mu);
      return;
    }
    if (!q->content_type || strncmp(q->content_type, "application/json", 16) != 0) {
      error_resp(r, 415, "content_type");
      pthread_mutex_unlock(&w->mu);
      return;
    }
    if (!strcmp(p, "/api/login")) {
      handle_login(w, q, s, r);
      pthread_mutex_unlock(&w->mu);
      return;
    }
  }
  if (!strcmp(p, "/api/login")) {
    error_resp(r, 405, "method");
  } else if (w->hash[0] && (!s || !s->authed)) {
    /* without a password reads need no session: a cross-site page cannot
     * read the answers, and the Host check stops a rebinding one */
    error_resp(r, 401, "login");
  } else if (!strcmp(p, "/api/state")) {
    if (!get) error_resp(r, 405, "method");
    else if (w->health[0] && w->state_len > 2 && w->state[w->state_len - 1] == '}')
      json_resp(r, 200, "%.*s,\"health\":%s}", (int)(w->state_len - 1), w->state, w->health);
    else json_resp(r, 200, "%s", w->state);
  } else if (!strcmp(p, "/api/events")) {
    if (!get) error_resp(r, 405, "method");
    else handle_events(w, r);
  } else if (!strcmp(p, "/api/result")) {
    if (!get) error_resp(r, 405, "method");
    else handle_result(w, q, r);
  } else if (!strcmp(p, "/api/stream")) {
    if (!get) error_resp(r, 405, "method");
    else {
      r->status = 200;
      r->type = "text/event-stream";
      r->stream = true;
    }
  } else if (!strcmp(p, "/api/keys")) {
    if (!post) error_resp(r, 405, "method");
    else handle_keys(w, q, r);
  } else if (!strcmp(p, "/api/sim")) {
    if (!post) error_resp(r, 405, "method");
    else handle_sim(w, q, r);
  } else if (!strcmp(p, "/api/logout")) {
    if (!post) error_resp(r, 405, "method");
    else {
      s->used = false;
      json_resp(r, 200, "{\"ok\":true}");
    }
  } else {
    error_resp(r, 404, "not_found");
  }
  pthread_mutex_unlock(&w->mu);
}

/* ------------------------------------------------------------ streams */

bool kd_web_stream_open(kd_web_t *w, kd_web_stream_t *s) {
  bool ok;
  pthread_mutex_lock(&w->mu);
  ok = w->streams < KD_WEB_STREAMS && !w->closing;
  if (ok) {
    w->streams++;
    s->next = w->seq;
    s->state_seq = 0;
    s->hello = false;
  }
  pthread_mutex_unlock(&w->mu);
  return ok;
}

void kd_web_stream_close(kd_web_t *w, kd_web_stream_t *s) {
  (void)s;
  pthread_mutex_lock(&w->mu);
  if (w->streams > 0) w->streams--;
  pthread_mutex_unlock(&w->mu);
}

/* under mu: what the stream has not seen yet into buf */
static size_t stream_fill(kd_web_t *w, kd_web_stream_t *s, char *buf, size_t max) {
  size_t n = 0;
  uint64_t oldest = w->seq > KD_WEB_RING ? w->seq - KD_WEB_RING : 1;
  if (!s->hello && max > 16) {
    n += (size_t)snprintf(buf, max, "retry: 2000\n\n");
    s->hello = true;
  }
  if (s->state_seq != w->state_seq && n + w->state_len + 32 < max) {
    n += (size_t)snprintf(buf + n, max - n, "event: state\ndata: %s\n\n", w->state);
    s->state_seq = w->state_seq;
  }
  if (s->next < oldest) {
    int k = snprintf(buf + n, max - n, "event: lost\ndata: {\"missed\":%llu}\n\n",
                     (unsigned long long)(oldest - s->next));
    if (k > 0 && (size_t)k < max - n) {
      n += (size_t)k;
      s->next = oldest;
    }
  }
  while (s->next < w->seq) {
    const ring_msg_t *m = &w->ring[s->next % KD_WEB_RING];
    if (n + m->len + 32 >= max) break;
    n += (size_t)snprintf(buf + n, max - n, "event: %s\ndata: %s\n\n", m->type, m->data);
    s->next++;
  }
  return n;
}

long kd_web_stream_read(kd_web_t *w, kd_web_stream_t *s, char *buf, size_t max, int wait_ms) {
  struct timespec dl;
  size_t n;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += wait_ms / 1000;
  dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&w->mu);
  for (;;) {
    if (w->closing) {
      pthread_mutex_unlock(&w->mu);
      return -1;
    }
    n = stream_fill(w, s, buf, max);
    if (n) break;
    if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT) {
      n = (size_t)snprintf(buf, max, ": keep-alive\n\n");
      break;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return (long)n;
}
