/* SPDX-License-Identifier: MIT
 *
 * kd_web.h - the web keypad's request handling and its hub (docs/web.md),
 * without a server: kd_http.c puts libmicrohttpd in front of it, the fuzz
 * target tests/fuzz/fuzz_http.c calls it directly.
 *
 * What it promises
 *   - kd_web_handle() turns one request (method, path, the few headers it
 *     reads, a body of at most KD_WEB_BODY_MAX bytes) into one response:
 *     an embedded asset, a JSON document, an SSE stream, or a 4xx/5xx with
 *     a JSON {"error":"<word>"}. Any bytes at all give a response; nothing
 *     here crashes, blocks for long or allocates without bound.
 *   - Security: sessions by an HttpOnly SameSite=Strict cookie (random 128
 *     bits), a CSRF token per session required in X-CSRF-Token by every
 *     POST (403 without), a password (hashed with crypt(3), yescrypt; the
 *     clear text is wiped at start-up) compared in constant time, failed
 *     logins rate-limited per client address and overall (429). Without a
 *     password the Host header must name a loopback address (DNS
 *     rebinding). Key digits and codes are never logged or stored beyond
 *     the command handed to the daemon.
 *   - The hub between the daemon's main thread (the Keybus task) and the
 *     HTTP threads: the main thread sets the state document and pushes
 *     events, results and health (kd_web_set_state, kd_web_push), and takes
 *     the commands and simulation pokes the page sent (kd_web_take); none of
 *     these waits on a client. SSE streams read the hub with
 *     kd_web_stream_read(), which may wait (on an HTTP thread only).
 *
 * Who calls what: the main thread calls kd_web_new/set_state/push/take/
 * free; HTTP threads call kd_web_handle and the stream functions. A mutex
 * guards the hub.
 */
#ifndef KD_WEB_H_
#define KD_WEB_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ha/kb_ha.h"

#define KD_WEB_BODY_MAX 4096     /* request body bytes */
#define KD_WEB_STATE_MAX 32768   /* the state document */
#define KD_WEB_MSG_MAX 512       /* one event, result or health message */
#define KD_WEB_RING 128          /* messages kept for streams and /api/events */
#define KD_WEB_INQ 32            /* commands waiting for the main thread */
#define KD_WEB_SESSIONS 64
#define KD_WEB_STREAMS 32        /* SSE clients at once */
#define KD_WEB_SIM_MAX 256       /* a simulation poke's body */
#define KD_WEB_LOGIN_FAILS 5     /* failed logins per address before a pause */
#define KD_WEB_LOGIN_PAUSE_S 60
#define KD_WEB_LOGIN_GLOBAL 20   /* failed logins per minute, all addresses */

typedef struct kd_web kd_web_t;

typedef struct {
  const char *password;  /* clear text or a crypt(3) hash ("$y$...", "$6$..."); NULL/"" = none */
  const char *bind_addr; /* the listen address (allowed in Host) */
  int port;
  bool simulated;        /* sim pokes allowed (backend sim) */
  bool alarm_keys[3];    /* fire, aux, panic buttons enabled */
  /* the Envisalink discovery pages GET /2 and /3 (docs/tpi.md "HTTP"),
   * HTTP Basic auth with the TPI password (copied; NULL/"" = no pages) */
  const char *tpi_password;
  const char *tpi_mac;      /* 12 hex digits, stable: the client's unique id */
  const char *tpi_firmware; /* shown as "Firmware Version: <it>" (no spaces) */
  bool tpi_only;            /* serve /2 and /3 only (the web keypad is off) */
} kd_web_cfg_t;

/* A request. Header values may be NULL (absent). */
typedef struct {
  const char *method, *path, *query;
  const char *host, *cookie, *csrf, *if_none_match, *content_type;
  const char *authorization; /* /2 and /3 only (HTTP Basic) */
  const char *body;
  size_t body_len;
  bool body_too_large;
  const char *client; /* the peer's address (rate limit) */
  uint64_t now_ms;    /* CLOCK_MONOTONIC */
} kd_web_req_t;

#define KD_WEB_HDRS 4
typedef struct {
  int status;
  const char *type;     /* Content-Type */
  const char *body;     /* static (asset) or buf */
  size_t len;
  char buf[KD_WEB_STATE_MAX + 256];
  const char *hname[KD_WEB_HDRS];
  char hval[KD_WEB_HDRS][160];
  int nh;
  bool stream;          /* an SSE stream: kd_web_stream_open() */
} kd_web_resp_t;

/* What the page asked of the daemon. */
typedef enum { KD_WEB_IN_CMD = 0, KD_WEB_IN_SIM } kd_web_in_kind_t;
typedef struct {
  int kind;
  kb_ha_cmd_t cmd;       /* CMD: parsed, its id "web-N" (holds a code: wipe it) */
  char sim[KD_WEB_SIM_MAX + 1]; /* SIM: the poke's JSON (docs/keybusd.md) */
  size_t sim_len;
  char id[KB_HA_CMD_ID_MAX + 1]; /* SIM: "sim-N" */
  uint64_t t_rx_ns;
} kd_web_in_t;

/* NULL when out of memory or the password cannot be hashed (logged). */
kd_web_t *kd_web_new(const kd_web_cfg_t *cfg);
void kd_web_free(kd_web_t *w);
/* wakes every stream and makes it end (the server is stopping) */
void kd_web_close(kd_web_t *w);

/* main thread */
void kd_web_set_state(kd_web_t *w, const char *json, size_t len);
/* type: "event", "result" or "health"; json one object */
void kd_web_push(kd_web_t *w, const char *type, const char *json, size_t len);
bool kd_web_take(kd_web_t *w, kd_web_in_t *out);
/* SSE clients connected now */
int kd_web_streams(kd_web_t *w);

/* HTTP threads */
void kd_web_handle(kd_web_t *w, const kd_web_req_t *req, kd_web_resp_t *resp);

typedef struct {
  uint64_t next;       /* next ring sequence to send */
  uint64_t state_seq;  /* state version sent */
  bool hello;          /* the first state went out */
} kd_web_stream_t;

/* Counts a stream (false when KD_WEB_STREAMS are open: answer 503). */
bool kd_web_stream_open(kd_web_t *w, kd_web_stream_t *s);
void kd_web_stream_close(kd_web_t *w, kd_web_stream_t *s);
/* Up to max bytes of SSE text for the stream into buf, waiting up to
 * wait_ms for something to send (then a keep-alive comment). Returns the
 * bytes written, 0 never; -1 when the hub is closing. */
long kd_web_stream_read(kd_web_t *w, kd_web_stream_t *s, char *buf, size_t max, int wait_ms);

/* Constant-time string equality (lengths may differ: still no early exit
 * on content). */
bool kd_web_ct_equal(const char *a, const char *b);

#endif
