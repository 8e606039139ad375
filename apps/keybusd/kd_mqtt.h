/* SPDX-License-Identifier: MIT
 *
 * kd_mqtt.h - keybusd's MQTT side: libmosquitto on its own thread, so that
 * nothing the broker or the network does (a blocking connect, a stalled
 * socket, a reconnect back-off) ever holds up the thread that decodes the
 * Keybus.
 *
 * What it promises
 *   - The connection: the will (retained "offline" on the status topic) is
 *     set before every connect; at each CONNACK "online" is published
 *     (retained) and the topics are subscribed again. A failed connect is
 *     retried with back-off (1 s doubling to 30 s); a lost connection is
 *     reconnected the same way. Each change is logged once (not per retry).
 *   - Inbound: messages on the subscribed topics go into a bounded queue
 *     (KD_MQTT_INQ entries); when it is full the message is dropped,
 *     counted and handed to cfg.overflow, which answers it. A payload longer than KD_MQTT_PAYLOAD_MAX is queued as
 *     `too_long` with no payload (the daemon answers it with an error).
 *   - Outbound: kd_mqtt_publish() never blocks on the network: libmosquitto
 *     queues the packet and this thread writes it. Flow control is the
 *     caller's: kd_mqtt_room() is how many more messages may be handed over
 *     now (a window of KD_MQTT_WINDOW messages not yet written to the socket,
 *     counted back by libmosquitto's publish callback), so a stalled broker
 *     fills the window, not the memory.
 *   - kd_mqtt_announce() reports once per connection that everything must be
 *     published again (the broker may have lost retained messages, and Home
 *     Assistant re-reads them), and again after kd_mqtt_request_announce().
 *
 * Who calls what: the daemon's main thread calls every function; the
 * callbacks run on the MQTT thread and touch only the state behind the
 * mutex.
 */
#ifndef KD_MQTT_H_
#define KD_MQTT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KD_MQTT_INQ 128
#define KD_MQTT_PAYLOAD_MAX 1024
#define KD_MQTT_WINDOW 64
#define KD_MQTT_SUBS 6 /* command, HA status, sim, keypad role, virtual zones: one spare */

typedef struct kd_mqtt kd_mqtt_t;

typedef struct {
  const char *host;
  int port;
  bool tls;
  const char *ca, *cert, *key; /* tls: NULL/"" = the system's CA store, no client cert */
  const char *user;            /* NULL/"" = anonymous */
  const char *password;        /* NULL/"" = none; copied into libmosquitto only */
  const char *client_id;
  int keepalive;
  const char *status_topic;    /* will "offline" / "online", retained */
  const char *subs[KD_MQTT_SUBS];
  int nsubs;
  /* called on the MQTT thread for a message the full inbound queue could
   * not take (NULL = none): its sender still gets an answer ("busy") */
  void (*overflow)(void *ctx, kd_mqtt_t *m, int sub, const char *payload, size_t len);
  void *overflow_ctx;
} kd_mqtt_cfg_t;

typedef struct {
  int sub;        /* index into cfg.subs */
  bool too_long;  /* payload over KD_MQTT_PAYLOAD_MAX: not kept */
  size_t len;
  uint64_t t_rx_ns; /* CLOCK_MONOTONIC at arrival */
  char payload[KD_MQTT_PAYLOAD_MAX + 1]; /* NUL-terminated copy */
} kd_mqtt_in_t;

typedef struct {
  uint64_t published;   /* messages handed to libmosquitto */
  uint64_t failed;      /* publish calls refused (not connected, too big) */
  uint64_t in_dropped;  /* inbound messages dropped: queue full */
  uint64_t connects;    /* successful connections */
  uint64_t losses;      /* connections lost */
} kd_mqtt_stats_t;

/* Creates the client and starts its thread (which connects). NULL on a
 * setup error (logged: a TLS file that cannot be read, out of memory). */
kd_mqtt_t *kd_mqtt_start(const kd_mqtt_cfg_t *cfg);

bool kd_mqtt_connected(kd_mqtt_t *m);
/* true once per (re)connection or request: publish everything again */
bool kd_mqtt_announce(kd_mqtt_t *m);
void kd_mqtt_request_announce(kd_mqtt_t *m);
/* messages that may be handed over now (0 when not connected) */
int kd_mqtt_room(kd_mqtt_t *m);
/* 0 = handed over, -1 = refused (not connected, error: counted) */
int kd_mqtt_publish(kd_mqtt_t *m, const char *topic, const void *payload, size_t len, bool retain);
/* the oldest inbound message into *out; false when none */
bool kd_mqtt_take(kd_mqtt_t *m, kd_mqtt_in_t *out);
void kd_mqtt_stats(kd_mqtt_t *m, kd_mqtt_stats_t *out);

/* Publishes "offline" (retained) on the status topic, waits up to wait_ms
 * for it to be written, disconnects, stops the thread, frees m. */
void kd_mqtt_stop(kd_mqtt_t *m, int wait_ms);

#endif
