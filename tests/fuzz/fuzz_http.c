/* SPDX-License-Identifier: MIT
 *
 * fuzz_http.c - the web keypad's request handling (apps/keybusd/kd_web.c,
 * kd_web_handle) on arbitrary requests: method, path, query, the headers it
 * reads (Host, Cookie, X-CSRF-Token, If-None-Match, Content-Type) and the
 * body, with or without a valid session and token (so the fuzzer reaches
 * every POST handler: keys, sim pokes, login, logout), on a hub without and
 * one with a password; then the stream of what changed and the commands
 * handed to the daemon. (libmicrohttpd in front parses the HTTP syntax; the
 * script test tests/cli/keybusd_web.sh sends it malformed bytes.)
 *
 * Input: byte 0 flags (bit 0 the valid cookie, bit 1 the valid token, bit 2
 * no Host, bit 3 body over the limit, bit 4 the password hub, bit 5 read
 * the stream, bit 6 the client ::1, bit 7 the if-none-match field is sent as
 * the Authorization header instead (HTTP Basic of the Envisalink pages /2
 * and /3; an empty field sends the right credentials)), then fields separated by '\n': method, path, query, host,
 * cookie, token, if-none-match, content-type; the rest is the body.
 * Invariants: a status of 200-599; a JSON response (every /api/ answer) is
 * JSON to cJSON; no response holds the access code the body gave (as a
 * JSON string) nor the TPI password; a command
 * handed over has a web-N id, a partition in range, and the alarm keys only
 * when enabled; the hub never hands out more than KD_WEB_INQ commands.
 */
#include <cJSON.h>
#include <crypt.h>

#include "fuzz.h"

#include "../../apps/keybusd/kd_log.c"
#include "../../apps/keybusd/kd_web.c"

#define TPI_PW "Tpi-fuzz-pw7"
#define TPI_AUTH_OK "Basic dXNlcjpUcGktZnV6ei1wdzc=" /* user:Tpi-fuzz-pw7 */

static kd_web_t *open_hub, *pw_hub;
static char cookie[2][64], csrf[2][64];
static kd_web_resp_t resp;
static char sbuf[KD_WEB_STATE_MAX + 1024];

static void session(kd_web_t *w, int k) {
  kd_web_req_t q;
  cJSON *j;
  memset(&q, 0, sizeof q);
  q.method = "GET";
  q.path = "/api/session";
  q.host = "127.0.0.1:8080";
  q.client = "127.0.0.1";
  kd_web_handle(w, &q, &resp);
  FZ_ASSERT(resp.status == 200 && resp.nh >= 2);
  for (int i = 0; i < resp.nh; i++)
    if (!strcmp(resp.hname[i], "Set-Cookie")) snprintf(cookie[k], sizeof cookie[k], "%.43s", resp.hval[i]);
  j = cJSON_ParseWithLength(resp.body, resp.len);
  FZ_ASSERT(j && cJSON_IsString(cJSON_GetObjectItem(j, "csrf")));
  snprintf(csrf[k], sizeof csrf[k], "%s", cJSON_GetObjectItem(j, "csrf")->valuestring);
  cJSON_Delete(j);
}

static void init(void) {
  kd_web_cfg_t c;
  struct crypt_data cd;
  const char *h;
  static const char state[] = "{\"partitions\":[{\"n\":1}],\"zones\":[]}";
  kd_log_init(KD_ERROR, false);
  memset(&c, 0, sizeof c);
  c.bind_addr = "127.0.0.1";
  c.port = 8080;
  c.simulated = true;
  c.alarm_keys[1] = true; /* aux only */
  c.tpi_password = TPI_PW; /* both hubs serve /2 and /3 (docs/tpi.md "HTTP") */
  c.tpi_mac = "0123456789AB";
  c.tpi_firmware = "01.02.103";
  open_hub = kd_web_new(&c);
  /* a cheap hash (sha256crypt, the fewest rounds): a login per input */
  memset(&cd, 0, sizeof cd);
  h = crypt_r("fuzzpw", "$5$rounds=1000$fuzzsalt", &cd);
  FZ_ASSERT(h && h[0] == '$');
  c.password = h;
  c.simulated = false;
  pw_hub = kd_web_new(&c);
  FZ_ASSERT(open_hub && pw_hub);
  kd_web_set_state(open_hub, state, sizeof state - 1);
  kd_web_push(open_hub, "event", "{\"t\":1,\"text\":\"x\"}", 18);
  kd_web_push(open_hub, "result", "{\"id\":\"web-1\",\"result\":\"done\"}", 31);
  session(open_hub, 0);
  session(pw_hub, 1);
  { /* the pages answer the right credentials before any input blocks them */
    kd_web_req_t q;
    memset(&q, 0, sizeof q);
    q.method = "GET";
    q.path = "/3";
    q.host = "127.0.0.1:8080";
    q.client = "127.0.0.1";
    q.authorization = TPI_AUTH_OK;
    kd_web_handle(pw_hub, &q, &resp);
    FZ_ASSERT(resp.status == 200 && resp.len > 0);
  }
}

/* the next field up to '\n' (NUL-terminated copy in f), NULL when absent */
static const char *field(const uint8_t **p, size_t *n, char *f, size_t cap) {
  size_t i = 0;
  if (!*n) return NULL;
  while (i < *n && (*p)[i] != '\n') i++;
  size_t k = i < cap - 1 ? i : cap - 1;
  memcpy(f, *p, k);
  f[k] = 0;
  *p += i < *n ? i + 1 : i;
  *n -= i < *n ? i + 1 : i;
  return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  char fld[8][600], ck[700];
  const char *v[8];
  kd_web_req_t q;
  kd_web_t *w;
  uint8_t fl;
  int k;
  kb_ha_cmd_t parsed;
  char *body;
  if (!ready) {
    init();
    ready = true;
  }
  if (!size) return 0;
  fl = data[0];
  data++, size--;
  k = (fl & 0x10) ? 1 : 0;
  w = k ? pw_hub : open_hub;
  for (int i = 0; i < 8; i++) v[i] = field(&data, &size, fld[i], sizeof fld[i]);
  body = malloc(size + 1); /* exactly the body: ASan sees a read past it */
  memcpy(body, data, size);
  body[size] = 0;
  memset(&q, 0, sizeof q);
  q.method = v[0];
  q.path = v[1];
  q.query = v[2];
  q.host = (fl & 0x04) ? NULL : v[3] ? v[3] : "127.0.0.1";
  if (fl & 0x01) {
    snprintf(ck, sizeof ck, "%s%s%s", v[4] ? v[4] : "", v[4] ? "; " : "", cookie[k]);
    q.cookie = ck;
  } else {
    q.cookie = v[4];
  }
  q.csrf = (fl & 0x02) ? csrf[k] : v[5];
  q.if_none_match = v[6];
  if (fl & 0x80) {
    q.authorization = v[6] && v[6][0] ? v[6] : TPI_AUTH_OK;
    q.if_none_match = NULL;
  }
  q.content_type = v[7];
  q.body = body;
  q.body_len = size;
  q.body_too_large = (fl & 0x08) != 0;
  q.client = (fl & 0x40) ? "::1" : "127.0.0.1";
  q.now_ms = 1000;
  kd_web_handle(w, &q, &resp);
  FZ_ASSERT(resp.status >= 200 && resp.status <= 599);
  FZ_ASSERT(resp.nh >= 0 && resp.nh <= KD_WEB_HDRS);
  if (resp.body == resp.buf) FZ_ASSERT(resp.len < sizeof resp.buf);
  if (resp.type && !strcmp(resp.type, "application/json") && resp.len) {
    cJSON *j = cJSON_ParseWithLength(resp.body, resp.len);
    FZ_ASSERT(j != NULL);
    cJSON_Delete(j);
  }
  if (resp.body && resp.len) { /* the TPI password never comes back */
    char tmp[sizeof resp.buf + 1];
    size_t m = resp.len < sizeof resp.buf ? resp.len : sizeof resp.buf;
    memcpy(tmp, resp.body, m);
    tmp[m] = 0;
    FZ_ASSERT(strstr(tmp, TPI_PW) == NULL);
  }
  /* the code a command carried never comes back */
  if (kb_ha_parse_command(body, size, &parsed) == KB_HA_PERR_OK && strlen(parsed.code) >= 4 && resp.body &&
      resp.body == resp.buf) {
    /* as a JSON string: "web-1234" may hold the digits by chance */
    char tmp[sizeof resp.buf + 1], quoted[KB_KEYS_CODE_MAX + 4];
    memcpy(tmp, resp.body, resp.len);
    tmp[resp.len] = 0;
    snprintf(quoted, sizeof quoted, "\"%s\"", parsed.code);
    FZ_ASSERT(strstr(tmp, quoted) == NULL);
  }
  kb_ha_cmd_wipe(&parsed);
  if (resp.stream || (fl & 0x20)) {
    kd_web_stream_t s;
    if (kd_web_stream_open(w, &s)) {
      long n = kd_web_stream_read(w, &s, sbuf, sizeof sbuf, 0);
      FZ_ASSERT(n > 0 && (size_t)n < sizeof sbuf);
      kd_web_stream_close(w, &s);
    }
  }
  {
    kd_web_in_t in;
    int taken = 0;
    while (kd_web_take(w, &in)) {
      FZ_ASSERT(++taken <= KD_WEB_INQ);
      if (in.kind == KD_WEB_IN_CMD) {
        FZ_ASSERT(!strncmp(in.cmd.id, "web-", 4) && in.cmd.id_kind == 1);
        FZ_ASSERT(in.cmd.partition >= 1 && in.cmd.partition <= KB_MAX_PARTITIONS);
        FZ_ASSERT(in.cmd.action != KB_HA_ACT_FIRE && in.cmd.action != KB_HA_ACT_PANIC);
        kb_ha_cmd_wipe(&in.cmd);
      } else {
        FZ_ASSERT(in.kind == KD_WEB_IN_SIM && in.sim_len <= KD_WEB_SIM_MAX && !strncmp(in.id, "sim-", 4));
      }
    }
  }
  free(body);
  return 0;
}
