/* SPDX-License-Identifier: MIT
 * kd_mqtt.c - see kd_mqtt.h. */
#include "kd_mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kd_log.h"

/* What the log said last about the connection: a change is logged once,
 * a repeat of the same state (every retry) only at debug level. */
typedef enum { ST_NONE, ST_UP, ST_UNREACHABLE, ST_REFUSED, ST_LOST } conn_state_t;

struct kd_mqtt {
  struct mosquitto *mosq;
  pthread_t th;
  bool th_started;
  pthread_mutex_t mu;
  /* under mu */
  bool stop, connected, announce;
  bool closing; /* kd_mqtt_stop() is disconnecting: the end of the loop is no loss */
  bool done;    /* run() returned */
  int outstanding;
  kd_mqtt_in_t *inq;
  unsigned in_head, in_len;
  kd_mqtt_stats_t st;
  conn_state_t logged;
  /* copies of the configuration */
  char *host, *status_topic, *subs[KD_MQTT_SUBS];
  int port, keepalive, nsubs;
  void (*overflow)(void *ctx, kd_mqtt_t *m, int sub, const char *payload, size_t len);
  void *overflow_ctx;
};

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Each state has its own format string: the log's rate limit groups lines
 * by format, and a change of state must never be swallowed by the limit
 * another state's repeats used up. */
static void say(kd_mqtt_t *m, conn_state_t s, const char *why) {
  bool change;
  kd_level_t lv;
  conn_state_t prev;
  pthread_mutex_lock(&m->mu);
  prev = m->logged;
  change = prev != s;
  m->logged = s;
  pthread_mutex_unlock(&m->mu);
  switch (s) {
    case ST_UP:
      kd_log(change ? KD_INFO : KD_DEBUG, "mqtt: connected to %s:%d", m->host, m->port);
      break;
    case ST_UNREACHABLE:
      /* after "lost ... (reconnecting)" the failed retries say nothing new */
      lv = change && prev != ST_LOST ? KD_WARNING : KD_DEBUG;
      kd_log(lv, "mqtt: cannot connect to %s:%d: %s (retrying with back-off; keybusd keeps running)", m->host,
             m->port, why);
      break;
    case ST_REFUSED:
      kd_log(change ? KD_ERROR : KD_DEBUG, "mqtt: the broker at %s:%d refused the connection: %s", m->host,
             m->port, why);
      break;
    case ST_LOST:
      kd_log(change ? KD_WARNING : KD_DEBUG, "mqtt: connection lost (%s:%d): %s; reconnecting", m->host,
             m->port, why);
      break;
    default:
      break;
  }
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
  kd_mqtt_t *m = obj;
  if (rc != 0) {
    say(m, ST_REFUSED, mosquitto_connack_string(rc));
    return;
  }
  pthread_mutex_lock(&m->mu);
  m->connected = true;
  m->announce = true;
  m->outstanding = 0; /* packets of an old connection are gone with it */
  m->st.connects++;
  pthread_mutex_unlock(&m->mu);
  say(m, ST_UP, NULL);
  mosquitto_publish(mosq, NULL, m->status_topic, 6, "online", 0, true);
  for (int i = 0; i < m->nsubs; i++) mosquitto_subscribe(mosq, NULL, m->subs[i], 1);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
  kd_mqtt_t *m = obj;
  (void)mosq;
  (void)rc;
  pthread_mutex_lock(&m->mu);
  if (m->connected) m->st.losses++;
  m->connected = false;
  m->outstanding = 0;
  pthread_mutex_unlock(&m->mu);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid) {
  kd_mqtt_t *m = obj;
  (void)mosq;
  (void)mid;
  pthread_mutex_lock(&m->mu);
  if (m->outstanding > 0) m->outstanding--;
  pthread_mutex_unlock(&m->mu);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
  kd_mqtt_t *m = obj;
  int sub = -1;
  (void)mosq;
  for (int i = 0; i < m->nsubs; i++)
    if (strcmp(msg->topic, m->subs[i]) == 0) sub = i;
  if (sub < 0) return; /* not ours (a broker may send more than asked) */
  if (msg->retain && sub == 0) {
    /* a retained command left on the broker by someone: replaying it at
     * every connect would type keys nobody asked for now */
    kd_log(KD_WARNING, "mqtt: ignored a retained message on %s (commands must not be retained)",
           msg->topic);
    return;
  }
  pthread_mutex_lock(&m->mu);
  if (m->in_len == KD_MQTT_INQ) {
    m->st.in_dropped++;
    pthread_mutex_unlock(&m->mu);
    kd_log(KD_WARNING, "mqtt: inbound queue full: a message on %s was dropped", msg->topic);
    if (m->overflow)
      m->overflow(m->overflow_ctx, m, sub, msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0);
    return;
  }
  {
    kd_mqtt_in_t *e = &m->inq[(m->in_head + m->in_len) % KD_MQTT_INQ];
    size_t n = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    e->sub = sub;
    e->t_rx_ns = mono_ns();
    e->too_long = n > KD_MQTT_PAYLOAD_MAX;
    e->len = e->too_long ? 0 : n;
    if (e->len) memcpy(e->payload, msg->payload, e->len);
    e->payload[e->len] = 0;
    m->in_len++;
  }
  pthread_mutex_unlock(&m->mu);
}

static bool stopping(kd_mqtt_t *m) {
  bool s;
  pthread_mutex_lock(&m->mu);
  s = m->stop;
  pthread_mutex_unlock(&m->mu);
  return s;
}

/* sleeps s seconds in 100 ms steps, returning early when stopping */
static void nap(kd_mqtt_t *m, int s) {
  struct timespec d = {0, 100000000L};
  for (int i = 0; i < s * 10 && !stopping(m); i++) nanosleep(&d, NULL);
}

static const char *why(int rc) {
  return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

static void *run(void *arg) {
  kd_mqtt_t *m = arg;
  int backoff = 1;
  while (!stopping(m)) {
    int rc = mosquitto_connect(m->mosq, m->host, m->port, m->keepalive);
    if (rc != MOSQ_ERR_SUCCESS) {
      say(m, ST_UNREACHABLE, why(rc));
      nap(m, backoff);
      backoff = backoff >= 16 ? 30 : backoff * 2;
      continue;
    }
    while (!stopping(m)) {
      rc = mosquitto_loop(m->mosq, 100, 1);
      if (rc != MOSQ_ERR_SUCCESS) break;
      pthread_mutex_lock(&m->mu);
      if (m->connected) backoff = 1;
      pthread_mutex_unlock(&m->mu);
    }
    pthread_mutex_lock(&m->mu);
    if (m->closing) m->stop = true; /* the clean disconnect went out: no loss to report */
    pthread_mutex_unlock(&m->mu);
    if (stopping(m)) break;
    on_disconnect(m->mosq, m, rc);
    {
      conn_state_t was;
      pthread_mutex_lock(&m->mu);
      was = m->logged;
      pthread_mutex_unlock(&m->mu);
      if (was == ST_UP) say(m, ST_LOST, why(rc));
      /* failed before the broker accepted (a TLS handshake, a closed
       * socket): as unreachable; a refusal was said already */
      else if (was != ST_REFUSED) say(m, ST_UNREACHABLE, why(rc));
    }
    nap(m, backoff);
    backoff = backoff >= 16 ? 30 : backoff * 2;
  }
  pthread_mutex_lock(&m->mu);
  m->done = true;
  pthread_mutex_unlock(&m->mu);
  return NULL;
}

static char *dup(const char *s) { return strdup(s ? s : ""); }

kd_mqtt_t *kd_mqtt_start(const kd_mqtt_cfg_t *c) {
  kd_mqtt_t *m = calloc(1, sizeof *m);
  int rc;
  if (!m) return NULL;
  pthread_mutex_init(&m->mu, NULL);
  m->inq = calloc(KD_MQTT_INQ, sizeof *m->inq);
  m->host = dup(c->host);
  m->status_topic = dup(c->status_topic);
  m->port = c->port;
  m->keepalive = c->keepalive;
  m->nsubs = c->nsubs < KD_MQTT_SUBS ? c->nsubs : KD_MQTT_SUBS;
  m->overflow = c->overflow;
  m->overflow_ctx = c->overflow_ctx;
  for (int i = 0; i < m->nsubs; i++) m->subs[i] = dup(c->subs[i]);
  if (!m->inq || !m->host || !m->status_topic) goto fail;
  mosquitto_lib_init();
  m->mosq = mosquitto_new(c->client_id, true, m);
  if (!m->mosq) goto fail;
  /* publishes come from the main thread, the socket is this module's thread */
  mosquitto_threaded_set(m->mosq, true);
  mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  /* states are small packets sent one by one: without this, Nagle's
   * algorithm holds the second of two until the broker's delayed ACK
   * (tens of ms; seen in the bench) */
  mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_callback_set(m->mosq, on_connect);
  mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
  mosquitto_publish_callback_set(m->mosq, on_publish);
  mosquitto_message_callback_set(m->mosq, on_message);
  rc = mosquitto_will_set(m->mosq, m->status_topic, 7, "offline", 0, true);
  if (rc == MOSQ_ERR_SUCCESS && c->user && *c->user)
    rc = mosquitto_username_pw_set(m->mosq, c->user, c->password && *c->password ? c->password : NULL);
  if (rc != MOSQ_ERR_SUCCESS) {
    kd_log(KD_ERROR, "mqtt: setting up the client failed: %s", mosquitto_strerror(rc));
    goto fail;
  }
  if (c->tls) {
    const char *ca = c->ca && *c->ca ? c->ca : NULL;
    rc = mosquitto_tls_set(m->mosq, ca, ca ? NULL : "/etc/ssl/certs", c->cert && *c->cert ? c->cert : NULL,
                           c->key && *c->key ? c->key : NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
      kd_log(KD_ERROR, "mqtt: TLS set-up failed (CA, certificate or key file): %s", why(rc));
      goto fail;
    }
  }
  if (pthread_create(&m->th, NULL, run, m) != 0) {
    kd_log(KD_ERROR, "mqtt: cannot start its thread");
    goto fail;
  }
  m->th_started = true;
  return m;
fail:
  if (m->mosq) mosquitto_destroy(m->mosq);
  free(m->inq);
  free(m->host);
  free(m->status_topic);
  for (int i = 0; i < m->nsubs; i++) free(m->subs[i]);
  free(m);
  return NULL;
}

bool kd_mqtt_connected(kd_mqtt_t *m) {
  bool c;
  pthread_mutex_lock(&m->mu);
  c = m->connected;
  pthread_mutex_unlock(&m->mu);
  return c;
}

bool kd_mqtt_announce(kd_mqtt_t *m) {
  bool a;
  pthread_mutex_lock(&m->mu);
  a = m->announce && m->connected;
  if (a) m->announce = false;
  pthread_mutex_unlock(&m->mu);
  return a;
}

void kd_mqtt_request_announce(kd_mqtt_t *m) {
  pthread_mutex_lock(&m->mu);
  m->announce = true;
  pthread_mutex_unlock(&m->mu);
}

int kd_mqtt_room(kd_mqtt_t *m) {
  int r;
  pthread_mutex_lock(&m->mu);
  r = m->connected ? KD_MQTT_WINDOW - m->outstanding : 0;
  pthread_mutex_unlock(&m->mu);
  return r > 0 ? r : 0;
}

int kd_mqtt_publish(kd_mqtt_t *m, const char *topic, const void *payload, size_t len, bool retain) {
  int rc;
  if (len > 256u * 1024u) {
    pthread_mutex_lock(&m->mu);
    m->st.failed++;
    pthread_mutex_unlock(&m->mu);
    return -1;
  }
  /* counted before the call: the publish callback may run before it returns */
  pthread_mutex_lock(&m->mu);
  m->outstanding++;
  pthread_mutex_unlock(&m->mu);
  rc = mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, 0, retain);
  pthread_mutex_lock(&m->mu);
  if (rc == MOSQ_ERR_SUCCESS) {
    m->st.published++;
  } else {
    if (m->outstanding > 0) m->outstanding--;
    m->st.failed++;
  }
  pthread_mutex_unlock(&m->mu);
  return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

bool kd_mqtt_take(kd_mqtt_t *m, kd_mqtt_in_t *out) {
  bool got = false;
  pthread_mutex_lock(&m->mu);
  if (m->in_len) {
    *out = m->inq[m->in_head];
    m->in_head = (m->in_head + 1) % KD_MQTT_INQ;
    m->in_len--;
    got = true;
  }
  pthread_mutex_unlock(&m->mu);
  return got;
}

void kd_mqtt_stats(kd_mqtt_t *m, kd_mqtt_stats_t *out) {
  pthread_mutex_lock(&m->mu);
  *out = m->st;
  pthread_mutex_unlock(&m->mu);
}

void kd_mqtt_stop(kd_mqtt_t *m, int wait_ms) {
  struct timespec d = {0, 10000000L};
  bool connected;
  if (!m) return;
  connected = kd_mqtt_connected(m);
  if (connected) {
    /* the will is for a crash; a clean stop says offline itself */
    kd_mqtt_publish(m, m->status_topic, "offline", 7, true);
    for (int i = 0; i < wait_ms / 10; i++) {
      int out;
      pthread_mutex_lock(&m->mu);
      out = m->outstanding;
      pthread_mutex_unlock(&m->mu);
      if (out == 0) break;
      nanosleep(&d, NULL);
    }
    /* the loop thread writes the DISCONNECT and sees the socket close (up
     * to a second); a loss seen while closing is the disconnect itself */
    pthread_mutex_lock(&m->mu);
    m->closing = true;
    pthread_mutex_unlock(&m->mu);
    mosquitto_disconnect(m->mosq);
    for (int i = 0; i < 100; i++) {
      bool done;
      pthread_mutex_lock(&m->mu);
      done = m->done;
      pthread_mutex_unlock(&m->mu);
      if (done) break;
      nanosleep(&d, NULL);
    }
  }
  pthread_mutex_lock(&m->mu);
  m->stop = true;
  pthread_mutex_unlock(&m->mu);
  if (m->th_started) {
    if (connected) {
      pthread_join(m->th, NULL);
    } else {
      /* it may sit in a blocking connect to an unreachable host: the
       * process is ending, it is not waited for */
      pthread_detach(m->th);
      return;
    }
  }
  mosquitto_destroy(m->mosq);
  free(m->inq);
  free(m->host);
  free(m->status_topic);
  for (int i = 0; i < m->nsubs; i++) free(m->subs[i]);
  pthread_mutex_destroy(&m->mu);
  free(m);
  mosquitto_lib_cleanup();
}
