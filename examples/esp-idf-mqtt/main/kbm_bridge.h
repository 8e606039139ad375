/* SPDX-License-Identifier: MIT
 *
 * kbm_bridge.h - the example's Home Assistant bridge: what keybusd publishes,
 * when, and how commands are answered (docs/home-assistant.md, "Publishing"),
 * written against a publish function instead of esp-mqtt so that the same
 * code runs on the host under the test (tests/unit/espex/test_bridge.c).
 * It includes no ESP-IDF header: app_main.c supplies the platform (kbm_io_t).
 *
 * What it promises
 *   - The announce, after each broker connection, each Home Assistant
 *     `online` on <discovery>/status and each KB_HA_MARK_ANNOUNCE (panel
 *     version): `online` on <prefix>/<id>/status, every discovery document,
 *     every state, the health, the last event (all retained); then event
 *     messages and results in arrival order, then the states that changed
 *     (dirty bits: a state never queues, it is read when it is sent), and
 *     the health every KBM_HEALTH_PERIOD_MS and when the Keybus connects or
 *     disconnects. A state that did not change since it was last sent is
 *     not sent again (compared by a 32-bit hash per entity: a copy of every
 *     state would take 44 KiB; a collision, 1 in 4e9 per change, would delay
 *     one state to the next announce).
 *   - Flow control: a message the publish function cannot take now
 *     (KBM_PUB_FULL: esp-mqtt's outbox at its limit) is held and offered
 *     again at the next kbm_pump(): nothing is skipped, the announce keeps
 *     its order. KBM_PUB_FAIL (not connected) drops it, counted
 *     (mqtt_dropped): the next connection announces everything again.
 *   - Commands: a retained message on the command topic is ignored (logged),
 *     one longer than KB_HA_CMD_MAX (or arriving in pieces) is answered
 *     invalid_request/size, one that does not parse invalid_request/<why>,
 *     one the keybus cannot take now busy or not_available; a queued one
 *     `queued` and later its final word (kb_ha_result_word), each with the
 *     command's id. Every command gets an answer; none crashes the bridge.
 *   - Secrets: an access code is parsed into a kb_ha_cmd_t on the stack,
 *     handed to kb_ha_submit() (which zeroes it) and never formatted into a
 *     log line, a topic or a payload.
 *   - Stack: the keybus task's callbacks format and log nothing (that task's
 *     stack is sized for decoding): they leave notes (kbm_note_t) that
 *     kbm_pump() logs on the publisher's stack.
 *   - Memory: everything is in kbm_bridge_t (the caller places it
 *     statically); nothing is allocated.
 *
 * Who calls what, from where (two locks: the bus lock of the keybus
 * component and the bridge's own; always taken in that order)
 *   kbm_init()                      once, before anything else runs.
 *   kbm_on_event(), kbm_on_keys(), kbm_on_poll()
 *                                   the keybus task, inside kb_bus_poll(),
 *                                   bus lock held (kbe_config_t callbacks).
 *   kbm_mqtt_connected(), kbm_inbound()
 *                                   the MQTT task (esp-mqtt's event handler).
 *   kbm_pump()                      the publisher task only (it owns the
 *                                   message being published).
 *   The io callbacks take and release the locks; the bridge never holds its
 *   own lock while calling io.publish, io.health or io.bus_lock.
 */
#ifndef KBM_BRIDGE_H_
#define KBM_BRIDGE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* src/ha is an include directory of the keybus component ("kb_ha.h"); the
 * host test, built with -Isrc, names it "ha/kb_ha.h" */
#ifndef KBM_HA_HEADER
#define KBM_HA_HEADER "kb_ha.h"
#endif
#include KBM_HA_HEADER
#include "keybus/kb_bus.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KBM_EVQ
#define KBM_EVQ 16 /* event messages and results waiting to be published */
#endif
#ifndef KBM_PENDING
#define KBM_PENDING 8 /* queued commands waiting for their final result */
#endif
#ifndef KBM_HEALTH_PERIOD_MS
#define KBM_HEALTH_PERIOD_MS 30000u
#endif
#ifndef KBM_NOTES
#define KBM_NOTES 8 /* log notes of the keybus task waiting for the publisher */
#endif
#define KBM_LOG_LINE 160 /* a log line, with its NUL */

typedef enum {
  KBM_PUB_OK = 0,   /* handed over */
  KBM_PUB_FULL = 1, /* no room now: offered again at the next pump */
  KBM_PUB_FAIL = -1 /* refused (not connected): dropped and counted */
} kbm_pub_t;

typedef enum { KBM_LOG_ERROR = 0, KBM_LOG_WARNING, KBM_LOG_INFO } kbm_level_t;

typedef struct {
  /* never blocks for long (esp_mqtt_client_enqueue); payload need not be
   * NUL-terminated */
  kbm_pub_t (*publish)(void *ctx, const char *topic, const char *payload, size_t len, bool retain);
  /* the bus, locked (kbe_lock), or NULL: *running says whether the keybus
   * component runs at all (false: not_available) or the lock timed out */
  kb_bus_t *(*bus_lock)(void *ctx, bool *running);
  void (*bus_unlock)(void *ctx);
  /* the bridge's own lock (a static mutex); never held across calls out */
  void (*lock)(void *ctx);
  void (*unlock)(void *ctx);
  /* engine counters and the frontend's (heap, uptime, healthy, last frame
   * age); called with no lock held. NULL: h zeroed, x as kb_ha_extra_init */
  void (*health)(void *ctx, kb_health_t *h, kb_ha_extra_t *x);
  /* one finished line, no newline; may be NULL */
  void (*log)(void *ctx, kbm_level_t level, const char *line);
  /* milliseconds, any origin, wrapping */
  uint32_t (*now_ms)(void *ctx);
  void *ctx;
} kbm_io_t;

typedef struct {
  char topic[KB_HA_TOPIC_SIZE];
  char payload[KB_HA_EVENT_SIZE > KB_HA_RESULT_SIZE ? KB_HA_EVENT_SIZE : KB_HA_RESULT_SIZE];
  uint16_t len;
  bool retain;
} kbm_msg_t;

/* What the keybus task has to say: kept as data and logged by the
 * publisher (kbm_pump), so the keybus task's stack never holds a printf. */
typedef struct {
  uint8_t kind;      /* kbm_bridge.c */
  uint8_t partition;
  uint16_t id;
  const char *word;  /* static string (result word) or NULL */
} kbm_note_t;

typedef struct {
  bool used;
  uint16_t req;    /* the virtual keypad's request id */
  kb_ha_cmd_t cmd; /* wiped by kb_ha_submit: only its id is left */
} kbm_pending_t;

/* Counters (kbm_stats). */
typedef struct {
  uint32_t published;  /* messages handed over */
  uint32_t dropped;    /* refused by publish, or the event queue was full */
  uint32_t connects;   /* broker connections */
  uint32_t reconnects; /* connections after the first */
  uint32_t commands;   /* commands received (retained ones not counted) */
  uint32_t refused;    /* commands answered with an error */
} kbm_stats_t;

typedef struct {
  kbm_io_t io;
  kb_ha_config_t ha; /* its strings and zones must outlive the bridge */
  size_t n_entities;
  char t_status[KB_HA_TOPIC_SIZE], t_command[KB_HA_TOPIC_SIZE], t_result[KB_HA_TOPIC_SIZE],
      t_ha_status[KB_HA_TOPIC_SIZE];

  /* behind the bus lock: the bus, for the status the event messages read
   * (set by kbm_on_poll and by the publisher) */
  kb_bus_t *bus;
  kbm_msg_t scratch;     /* kbm_on_event's message being written */

  /* behind the bridge lock */
  bool connected;        /* broker */
  uint32_t epoch;        /* broker connections and losses so far */
  bool bus_connected;    /* the last KB_EV_CONNECTED */
  uint8_t ann;           /* announce phase (kbm_bridge.c) */
  size_t ann_i;
  bool announce_req;     /* start (again) at the next pump */
  bool health_due;
  uint32_t last_health_ms;
  kb_ha_dirty_t dirty;
  uint32_t sent[KB_HA_ENTITIES_MAX]; /* hash of the state last sent, 0 = none */
  kbm_msg_t evq[KBM_EVQ];
  unsigned evq_head, evq_len;
  kbm_msg_t last_event;  /* the retained last_event message, again at each announce */
  bool have_last_event;
  kbm_pending_t pending[KBM_PENDING];
  kbm_note_t notes[KBM_NOTES];
  unsigned notes_head, notes_len, notes_lost;
  kbm_stats_t st;

  /* the publisher task's own: the message being published */
  struct {
    char topic[KB_HA_TOPIC_SIZE];
    char payload[KB_HA_DOC_SIZE];
    size_t len;
    bool retain;
    bool held;        /* offered, not taken yet (KBM_PUB_FULL) */
    int16_t entity;   /* a state: its entity (hash recorded once taken); -1 */
    uint32_t hash;
    uint32_t epoch;   /* the connection it was prepared for */
  } out;
} kbm_bridge_t;

/* KB_OK, or kb_ha_config_check()'s KB_ERR_ARG / KB_ERR_FULL for topics
 * that do not fit. ha is copied (its pointers are kept). */
kb_err_t kbm_init(kbm_bridge_t *b, const kb_ha_config_t *ha, const kbm_io_t *io);

/* kb_bus_cfg_t callbacks (ctx = the bridge): keybus task, bus lock held. */
void kbm_on_event(void *ctx, const kb_event_t *ev);
void kbm_on_keys(void *ctx, const kb_keys_note_t *n);
/* kbe_config_t.poll_cb (ctx = the bridge): notes the bus, so that the event
 * messages of later polls carry the arm mode and names. */
void kbm_on_poll(void *ctx, kb_bus_t *bus);

/* The broker connection came (true) or went (false). MQTT task. */
void kbm_mqtt_connected(kbm_bridge_t *b, bool up);

/* One inbound MQTT message (or piece of one: esp-mqtt hands long payloads
 * over in pieces, offset > 0 with no topic: ignored, the first piece has
 * answered). total is the whole payload's length. MQTT task. */
void kbm_inbound(kbm_bridge_t *b, const char *topic, size_t topic_len, const char *data, size_t len,
                 size_t total, size_t offset, bool retained);

/* Publishes what is due, at most budget messages (0 = until nothing is due
 * or the publish function is full). Returns the number handed over.
 * Publisher task. */
unsigned kbm_pump(kbm_bridge_t *b, unsigned budget);

/* A copy of the counters (takes the bridge lock). */
void kbm_stats(kbm_bridge_t *b, kbm_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KBM_BRIDGE_H_ */
