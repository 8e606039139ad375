/* SPDX-License-Identifier: MIT
 *
 * keybusd: a DSC panel in Home Assistant over MQTT (docs/keybusd.md).
 *
 *   keybusd [--config FILE] [--backend sim|gpio|replay] [--replay FILE] [--speed X]
 *           [--mqtt URL|off] [--device-id ID] [--http ADDR:PORT] [--demo]
 *           [--log-level LEVEL] [--syslog] [--trace FILE] [--sync-time]
 *           [--tpi ADDR:PORT|off] [--tpi-clients N] [--tpi-http ADDR:PORT]
 *           [--check-config] [--version] [--help]
 *
 * Threads: the main thread owns the Keybus (backend, kb_bus, the virtual
 * keypad) and everything Home Assistant sees of it (src/ha); the MQTT thread
 * (kd_mqtt.c) owns the socket. Between them: a bounded inbound queue and a
 * publish window, so the decoder never waits for the network (kd_mqtt.h).
 * The Envisalink TPI (--tpi, kd_tpi.h, kd_tpi_net.h) runs on the main thread:
 * non-blocking sockets served between two polls of the bus, its commands
 * queued on the virtual keypad as MQTT's are (submit_command).
 *
 * What the main thread publishes, in this order of priority whenever the
 * window has room (kd_flush):
 *   1. an announce, after each (re)connection and each Home Assistant
 *      `online`: every discovery document, then (every entity marked dirty)
 *      every state, then the health;
 *   2. the event queue: command results (bounded: KD_EVQ messages; when it
 *      is full a message is dropped and counted in the health);
 *   3. dirty states: kb_ha_mark() sets a bit per entity an event changed and
 *      the state is read from kb_status_t when it is sent, so states never
 *      queue up and are never lost: a stalled broker costs only latency.
 * Exit codes: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 usage or
 * configuration error.
 */
#include <errno.h>

#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cJSON.h>

#include "ha/kb_clock.h"
#include "ha/kb_ha.h"
#include "ha/kb_status_words.h"
#include "host/kb_capture.h"
#include "host/kb_classic_text.h"
#include "host/kb_conf.h"
#include "host/kb_edges.h"
#include "host/kb_text.h"
#include "host/kb_vcd.h"
#include "keybus/keybus.h"
#include "kd_http.h"
#include "kd_log.h"
#include "kd_keypad_run.h"
#include "kd_mqtt.h"
#include "kd_tpi.h"
#include "kd_tpi_net.h"
#include "kd_web.h"
#include "kd_xpd.h"
#include "ports/linux/kb_gpio.h"
#include "sim/kb_sim_classic.h"
#include "sim/kb_sim_panel.h"
#include "sim/kb_wire.h"

#define KD_VERSION "0.10.0"
_Static_assert(KB_CONF_ID_MAX - 1 == KB_HA_ID_MAX, "a device id the config accepts must suit Home Assistant");
#define KD_EVQ 64             /* event messages waiting for the window */
#define KD_EVQ_EVENTS 16      /* of which kept for the engine's events */
#define KD_PENDING 16         /* commands waiting for their final result */
#define KD_HEALTH_PERIOD_MS 30000u
#define KD_REPLAY_GAP_S 10.0  /* longest pause of a text capture replayed */
#define KD_WEB_HEALTH_MS 2000u /* health to the web keypad's streams */

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ state */

typedef struct {
  char topic[KB_HA_TOPIC_SIZE];
  char payload[KB_HA_EVENT_SIZE > KB_HA_RESULT_SIZE ? KB_HA_EVENT_SIZE : KB_HA_RESULT_SIZE];
  size_t len;
  bool retain;
} kd_msg_t;

typedef struct {
  bool used;
  uint16_t req;       /* virtual keypad request id */
  kb_ha_cmd_t cmd;    /* wiped: only its id is left, for the result */
} kd_pending_t;

enum { SUB_COMMAND = 0, SUB_HA_STATUS, SUB_SIM };

typedef struct {
  kb_conf_t conf;
  bool demo;
  double speed;
  const char *trace_path;
  FILE *trace;

  kb_bus_t bus;
  kd_xpd_conf_t xpd_conf; /* [expander]: virtual zones (kd_xpd.h, docs/expander.md) */
  kb_xpd_t xpd;
  int sub_vzone;          /* index of the vzone command topic in the MQTT subs, -1 = none */
  char t_vzone[KB_HA_TOPIC_SIZE];
  kb_ha_config_t ha;
  kb_ha_zone_t zones[KB_MAX_ZONES];
  char dev_name[96];
  size_t n_entities;
  kb_ha_dirty_t dirty;
  uint64_t dirty_frame_ns[KB_HA_ENTITIES_MAX]; /* trace: end of the frame that dirtied it */
  uint64_t frame_end_ns;                        /* trace: end of the last frame on the wire */
  /* the last state payload published per entity: a state marked dirty that
   * did not change is not sent again ("" after an announce: all are sent) */
  char last_state[KB_HA_ENTITIES_MAX][KB_HA_STATE_SIZE];

  /* MQTT */
  kd_mqtt_t *mq;
  char t_status[KB_HA_TOPIC_SIZE], t_command[KB_HA_TOPIC_SIZE], t_result[KB_HA_TOPIC_SIZE],
      t_ha_status[KB_HA_TOPIC_SIZE], t_sim[256];
  int ann_phase;  /* 0 none, 1 discovery documents, 2 health */
  size_t ann_i;
  bool reannounce; /* the device block changed (panel version) */
  kd_msg_t evq[KD_EVQ];
  kd_msg_t last_retained; /* the last retained event message (last_event), again at each announce */
  bool have_last_retained;
  unsigned evq_head, evq_len;
  uint64_t evq_dropped;
  kd_pending_t pending[KD_PENDING];
  uint32_t last_health_ms;
  bool health_due;
  bool was_connected;
  uint64_t t_start_ns;

  /* backend */
  struct {
    kb_sim_panel_t panel;
    kb_wire_t wire;
    int keypad;            /* the demo's keypad on partition 1 */
    uint64_t v0;           /* virtual time at w0 */
    uint64_t w0_ns;        /* wall time (CLOCK_MONOTONIC) at v0 */
    uint64_t now;          /* virtual now */
    uint64_t demo_next;    /* next demo step (virtual us) */
    unsigned demo_step;
    /* --panel classic: the simulated Classic panel, its wire and the port
     * (kb_sim_classic.h) that feeds the bus's Classic link */
    kb_simc_wire_t cw;
    kb_simc_port_t cport;
  } sim;
  kb_gpio_t *gpio;

  /* --role keypad (kd_keypad_run.h): drive DSC keypads instead of reading a panel */
  bool role_keypad;
  int sub_keypad;
  char t_keypad[KD_KEYPAD_TOPIC_MAX];

  /* the web keypad (kd_web.h, kd_http.h): NULL when [http] is off */
  kd_web_t *web;
  kd_http_t *http;
  bool web_dirty;          /* the state document must be written again */
  uint64_t web_frame_ns;   /* end of the frame that first dirtied it (sim) */
  uint64_t web_health_ns;  /* last health message */
  uint64_t web_state_ns;   /* last state document */
  uint8_t zone_memory[KB_ZONE_BYTES]; /* zones in alarm since their partition last armed */
  uint64_t delay_ns[KB_MAX_PARTITIONS]; /* start of the exit or entry delay running */
  int exit_delay_s, entry_delay_s;      /* known lengths (sim), 0 = unknown */

  /* --tpi (kd_tpi.h): NULL net when off */
  struct {
    bool on;
    char addr[256];
    int port;
    int clients;           /* --tpi-clients, 0 = KD_TPI_CLIENTS */
    char http_addr[256];   /* --tpi-http: /2 and /3 when the web keypad is off */
    int http_port;         /* -1 = none */
    char mac[13], firmware[32];
    kd_tpi_t tpi;
    kd_tpi_net_t *net;
    uint64_t step_ns;      /* last network step */
    time_t local_at;       /* the second local was computed for */
    struct tm local;
  } tpi;

  /* --sync-time (ha/kb_clock.h): times are monotonic seconds, -1 = never */
  struct {
    bool on;
    uint8_t partition;
    uint16_t req;            /* the set-time request being typed, 0 = none */
    int64_t panel_at_s;      /* the panel's last time report (-1: none since start or the last set) */
    struct tm panel_local;   /* the host's local time then */
    int64_t last_key_s, last_ok_s, last_try_s, checked_s;
    int last_why;            /* the last decision logged, -1 none */
    bool reported;           /* the panel's time was logged once */
    int32_t logged_drift;    /* the drift last logged */
  } clk;
} kd_t;

static kd_t D; /* one daemon per process: static, nothing of it on the heap */

/* -------------------------------------------------------------- trace */

static void trace(kd_t *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void trace(kd_t *d, const char *fmt, ...) {
  va_list ap;
  if (!d->trace) return;
  va_start(ap, fmt);
  vfprintf(d->trace, fmt, ap);
  va_end(ap);
  fputc('\n', d->trace);
  fflush(d->trace);
}

/* ------------------------------------------------------------- events */

static void evq_push(kd_t *d, const char *topic, const char *payload, size_t len, bool retain) {
  kd_msg_t *m;
  if (d->evq_len == KD_EVQ || len >= sizeof m->payload || strlen(topic) >= sizeof m->topic) {
    d->evq_dropped++;
    kd_log(KD_WARNING, "mqtt: a message for %s was dropped (the queue to the broker is full)", topic);
    return;
  }
  m = &d->evq[(d->evq_head + d->evq_len++) % KD_EVQ];
  memcpy(m->topic, topic, strlen(topic) + 1);
  memcpy(m->payload, payload, len);
  m->payload[len] = 0;
  m->len = len;
  m->retain = retain;
}

/* a command or poke of the web keypad (kd_web.c names them web-N, sim-N)
 * or a TPI client's command (kd_tpi.c: tpi-N) */
static bool from_web(const kb_ha_cmd_t *c) {
  return c && c->id_kind == 1 &&
         (!strncmp(c->id, "web-", 4) || !strncmp(c->id, "sim-", 4) || !strncmp(c->id, "tpi-", 4));
}

static void result(kd_t *d, const kb_ha_cmd_t *cmd, const char *word, const char *detail) {
  char buf[KB_HA_RESULT_SIZE];
  size_t len;
  if (kb_ha_result_json(cmd, word, detail, buf, sizeof buf, &len) != KB_OK) return;
  /* to the broker: a command's result waits in the queue for a broker that
   * is back, as before; the web keypad's only while connected (its page has
   * it already, and with no broker they would only crowd out the rest) */
  if (d->mq && (kd_mqtt_connected(d->mq) || !from_web(cmd))) evq_push(d, d->t_result, buf, len, false);
  if (d->web) kd_web_push(d->web, "result", buf, len);
}

static void web_event(kd_t *d, const kb_event_t *ev);

/* ------------------------------------------------ panel clock (--sync-time) */

static int64_t mono_s(void) { return (int64_t)(mono_ns() / 1000000000u); }

/* The panel reported its time (KB_EV_TIME): the host's local time now goes
 * with it, so that the drift is measured at the report, not later. */
static void clock_time(kd_t *d) {
  const kb_time_t *pt = &kb_bus_status(&d->bus)->time;
  time_t t = time(NULL);
  int32_t drift;
  if (!pt->valid || !localtime_r(&t, &d->clk.panel_local)) return;
  d->clk.panel_at_s = mono_s();
  {
    kb_clock_tm_t pl = KB_CLOCK_TM(&d->clk.panel_local);
    drift = kb_clock_drift(pt, &pl);
  }
  /* once, then when the drift changes beyond the panel's resolution: not at
   * every report of a panel that stays off while it cannot be set (armed) */
  if (!d->clk.reported || ((drift > 1 || drift < -1) && drift != d->clk.logged_drift))
    kd_log(KD_INFO, "panel clock: the panel says %04u-%02u-%02u %02u:%02u, %ld min %s the host's local time",
           (unsigned)pt->year, (unsigned)pt->month, (unsigned)pt->day, (unsigned)pt->hour, (unsigned)pt->minute,
           labs((long)drift), drift < 0 ? "behind" : "ahead of");
  d->clk.reported = true;
  d->clk.logged_drift = drift;
}

/* Once a second: set the panel clock when kb_clock_decide() says so. */
static void clock_step(kd_t *d) {
  const kb_status_t *st = kb_bus_status(&d->bus);
  kb_clock_in_t in;
  kb_clock_why_t why;
  struct tm lt;
  time_t t = time(NULL);
  int64_t now = mono_s();
  int32_t drift;
  uint16_t req = 0;
  kb_err_t e;
  if (!d->clk.on || now == d->clk.checked_s) return;
  d->clk.checked_s = now;
  memset(&in, 0, sizeof in);
  if (!localtime_r(&t, &lt)) return;
  in.local = KB_CLOCK_TM(&lt);
  in.now_s = now;
  in.panel = st->time;
  in.panel_at_s = d->clk.panel_at_s;
  in.panel_local = KB_CLOCK_TM(&d->clk.panel_local);
  in.synced = st->synced != 0;
  in.part = &st->part[d->clk.partition - 1];
  in.last_key_s = d->clk.last_key_s;
  in.last_ok_s = d->clk.last_ok_s;
  in.last_try_s = d->clk.last_try_s;
  in.busy = d->clk.req != 0;
  why = kb_clock_decide(&in, &drift);
  if ((int)why != d->clk.last_why && why != KB_CLOCK_SET)
    kd_log(KD_DEBUG, "panel clock: not now (%s)", kb_clock_why_name(why));
  d->clk.last_why = (int)why;
  if (why != KB_CLOCK_SET) return;
  d->clk.last_try_s = now;
  e = kb_bus_set_time(&d->bus, d->clk.partition, (uint16_t)(lt.tm_year + 1900), (uint8_t)(lt.tm_mon + 1),
                      (uint8_t)lt.tm_mday, (uint8_t)lt.tm_hour, (uint8_t)lt.tm_min,
                      d->conf.sync_time_code.value, &req);
  if (e != KB_OK) {
    kd_log(KD_WARNING, "panel clock: the set-time request was refused (%s); next try in %d min", kb_err_name(e),
           KB_CLOCK_RETRY_S / 60);
    return;
  }
  d->clk.req = req;
  kd_log(KD_INFO, "panel clock: setting it to %04d-%02d-%02d %02d:%02d on partition %u (request %u; it was %ld min %s)",
         lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min,
         (unsigned)d->clk.partition, (unsigned)req, labs((long)drift), drift < 0 ? "behind" : "ahead");
}

/* The set-time request ended (its code is already wiped by the keypad). */
static void clock_end(kd_t *d, const kb_keys_note_t *n) {
  kb_keys_info_t info;
  memset(&info, 0, sizeof info);
  info.result = n->result;
  info.status = n->status;
  info.reason = n->reason;
  d->clk.req = 0;
  if (n->result == KB_KEYS_DONE) {
    d->clk.last_ok_s = mono_s();
    d->clk.panel_at_s = -1; /* the drift is measured again at the panel's next report */
    d->clk.reported = false;
    kd_log(KD_INFO, "panel clock: set (request %u done); next routine set in 24 h", (unsigned)n->id);
  } else {
    kd_log(KD_WARNING, "panel clock: request %u ended %s; next try in %d min", (unsigned)n->id,
           kb_ha_result_word((kb_keys_result_t)n->result, &info), KB_CLOCK_RETRY_S / 60);
  }
}

static void on_event(void *ctx, const kb_event_t *ev) {
  kd_t *d = ctx;
  kb_ha_dirty_t before = d->dirty;
  unsigned r = kb_ha_mark(&d->ha, ev, &d->dirty);
  if (d->web) web_event(d, ev);
  if (d->tpi.net) kd_tpi_event(&d->tpi.tpi, ev);
  if (r & KB_HA_MARK_ANNOUNCE) d->reannounce = true;
  /* event entities: not retained, queued now (they describe this moment) */
  if (d->mq && kd_mqtt_connected(d->mq)) {
    static char topic[KB_HA_TOPIC_SIZE], payload[KB_HA_EVENT_SIZE];
    kb_ha_msg_t m = {topic, sizeof topic, 0, payload, sizeof payload, 0, false};
    for (unsigned i = 0; kb_ha_event_msg(&d->ha, ev, kb_bus_status(&d->bus), i, &m) == KB_OK; i++) {
      evq_push(d, m.topic, m.payload, m.payload_len, m.retain);
      if (m.retain && m.payload_len < sizeof d->last_retained.payload && m.topic_len < sizeof d->last_retained.topic) {
        memcpy(d->last_retained.topic, m.topic, m.topic_len + 1);
        memcpy(d->last_retained.payload, m.payload, m.payload_len + 1);
        d->last_retained.len = m.payload_len;
        d->last_retained.retain = true;
        d->have_last_retained = true;
      }
    }
  }
  if (d->trace) {
    for (size_t i = 0; i < d->n_entities; i++) {
      uint32_t bit = 1u << (i % 32);
      if ((d->dirty.bits[i / 32] & bit) && !(before.bits[i / 32] & bit)) d->dirty_frame_ns[i] = d->frame_end_ns;
    }
  }
  switch (ev->type) {
    case KB_EV_KEY: /* someone at a keypad (the keys keybusd typed are not reported) */
      d->clk.last_key_s = (int64_t)(mono_ns() / 1000000000u);
      break;
    case KB_EV_TIME:
      if (d->clk.on) clock_time(d);
      break;
    case KB_EV_CONNECTED:
      if (ev->state.on) kd_log(KD_INFO, "keybus: connected (frames are arriving)");
      else kd_log(KD_WARNING, "keybus: disconnected (no clock for 3 s): entities are unavailable until it is back");
      d->health_due = true;
      break;
    case KB_EV_ALARM:
      if (ev->state.on) kd_log_event(KD_WARNING, "partition %u: ALARM", ev->partition);
      break;
    case KB_EV_ARMED:
      kd_log_event(KD_INFO, "partition %u: %s", ev->partition, ev->armed.on ? (ev->armed.mode == KB_ARMED_STAY ? "armed stay" : "armed away") : "disarmed");
      break;
    case KB_EV_EXIT_DELAY:
      if (ev->exit_delay.on) kd_log_event(KD_INFO, "partition %u: exit delay", ev->partition);
      break;
    case KB_EV_ENTRY_DELAY:
      if (ev->state.on) kd_log_event(KD_INFO, "partition %u: entry delay", ev->partition);
      break;
    default:
      break;
  }
}

static void on_keys(void *ctx, const kb_keys_note_t *n) {
  kd_t *d = ctx;
  int slot = -1;
  if (d->clk.req && n->id == d->clk.req && n->type == KB_KEYS_NOTE_END) {
    clock_end(d, n); /* not a command of MQTT or the web keypad: no result message */
    return;
  }
  for (int i = 0; i < KD_PENDING; i++)
    if (d->pending[i].used && d->pending[i].req == n->id) slot = i;
  switch (n->type) {
    case KB_KEYS_NOTE_KEY:
      if (n->index == 0 && d->trace) {
        /* the key went out slot_cycle clock periods after its frame began */
        uint32_t t_key = n->t_frame_us + (uint32_t)n->slot_cycle * 1000u;
        uint64_t v = d->conf.backend == KB_CONF_SIM ? d->sim.now - (uint32_t)((uint32_t)d->sim.now - t_key) : 0;
        uint64_t w = d->sim.w0_ns + (uint64_t)((double)(v - d->sim.v0) * 1000.0 / d->speed);
        trace(d, "key %llu %u", (unsigned long long)w, (unsigned)n->id);
      }
      break;
    case KB_KEYS_NOTE_END: {
      kb_keys_info_t info;
      const char *word;
      memset(&info, 0, sizeof info);
      info.result = n->result;
      info.status = n->status;
      info.reason = n->reason;
      word = kb_ha_result_word((kb_keys_result_t)n->result, &info);
      kd_log(n->result == KB_KEYS_DONE ? KD_INFO : KD_WARNING, "command %u (partition %u): %s", (unsigned)n->id,
             n->partition, word);
      result(d, slot >= 0 ? &d->pending[slot].cmd : NULL, word, NULL);
      if (slot >= 0) {
        kb_ha_cmd_wipe(&d->pending[slot].cmd);
        d->pending[slot].used = false;
      }
      break;
    }
    case KB_KEYS_NOTE_CLEAR:
      kd_log(KD_INFO, "virtual keypad: typed # on partition %u to clear the entry command %u left unfinished",
             n->partition, (unsigned)n->id);
      break;
    case KB_KEYS_NOTE_RETRY:
      kd_log(KD_INFO, "command %u: attempt %u (the panel's echo of a key could not be confirmed)",
             (unsigned)n->id, n->index);
      break;
    default:
      break;
  }
}

/* ----------------------------------------------------------- commands */

/* A parsed command, from MQTT or the web keypad: the one path to the
 * virtual keypad, the one pending table, the same result words. c is wiped. */
static void submit_command(kd_t *d, kb_ha_cmd_t *cmd, uint64_t t_rx_ns);

static void handle_command(kd_t *d, const kd_mqtt_in_t *in) {
  kb_ha_cmd_t c;
  kb_ha_perr_t pe;
  if (in->too_long) {
    memset(&c, 0, sizeof c);
    result(d, NULL, "invalid_request", kb_ha_perr_name(KB_HA_PERR_SIZE));
    kd_log(KD_WARNING, "command refused: %s", kb_ha_perr_name(KB_HA_PERR_SIZE));
    return;
  }
  pe = kb_ha_parse_command(in->payload, in->len, &c);
  if (pe != KB_HA_PERR_OK) {
    result(d, &c, "invalid_request", kb_ha_perr_name(pe));
    kd_log(KD_WARNING, "command refused: invalid request (%s)", kb_ha_perr_name(pe));
    kb_ha_cmd_wipe(&c);
    return;
  }
  submit_command(d, &c, in->t_rx_ns);
}

static void submit_command(kd_t *d, kb_ha_cmd_t *cmd, uint64_t t_rx_ns) {
  kb_ha_cmd_t c = *cmd;
  kb_err_t e;
  uint16_t req = 0;
  unsigned part;
  int slot = -1;
  kb_ha_cmd_wipe(cmd);
  if (d->conf.backend == KB_CONF_REPLAY) {
    result(d, &c, "not_available", "replay");
    kd_log(KD_WARNING, "command refused: a replay cannot write to the bus");
    kb_ha_cmd_wipe(&c);
    return;
  }
  for (int i = 0; i < KD_PENDING; i++)
    if (!d->pending[i].used) {
      slot = i;
      break;
    }
  if (slot < 0) {
    result(d, &c, "busy", NULL);
    kb_ha_cmd_wipe(&c);
    kd_log(KD_WARNING, "command refused: %d commands are still waiting for the panel", KD_PENDING);
    return;
  }
  part = c.partition;
  e = kb_ha_submit(&d->bus, &c, &req); /* wipes the code whatever happens */
  result(d, &c, kb_ha_err_word(e), NULL);
  if (e != KB_OK) {
    kd_log(KD_WARNING, "command refused: %s (%s)", kb_ha_err_word(e), kb_err_name(e));
    kb_ha_cmd_wipe(&c);
    return;
  }
  d->pending[slot].used = true;
  d->pending[slot].req = req;
  d->pending[slot].cmd = c;
  kd_log(KD_INFO, "command %u queued (partition %u)", (unsigned)req, part);
  trace(d, "cmd %llu %u", (unsigned long long)t_rx_ns, (unsigned)req);
}

/* A sim poke: {"zone":N,"open":bool} {"tamper":N,"on":bool} {"ac_ok":bool}
 * {"battery_ok":bool} {"cut_ms":N}, optional "id" (below). */
static const char *sim_poke(kd_t *d, const char *p, size_t len, kb_ha_cmd_t *idc);

static void web_update(kd_t *d);

static void handle_inbound(kd_t *d) {
  kd_mqtt_in_t in;
  if (d->web) {
    kd_web_in_t wi;
    /* as for MQTT below: taken while the result has room */
    while ((!d->mq || !kd_mqtt_connected(d->mq) || d->evq_len < KD_EVQ - KD_EVQ_EVENTS) && kd_web_take(d->web, &wi)) {
      if (wi.kind == KD_WEB_IN_CMD) {
        submit_command(d, &wi.cmd, wi.t_rx_ns);
      } else {
        kb_ha_cmd_t idc;
        const char *err;
        memset(&idc, 0, sizeof idc);
        idc.id_kind = 1;
        memcpy(idc.id, wi.id, sizeof idc.id);
        err = sim_poke(d, wi.sim, wi.sim_len, &idc);
        idc.id_kind = 1; /* the page's own id names the result, not one in the poke */
        memcpy(idc.id, wi.id, sizeof idc.id);
        result(d, &idc, err ? "invalid_request" : "done", err);
        if (err) kd_log(KD_WARNING, "simulated panel: poke from the web refused (%s)", err);
      }
    }
    web_update(d);
  }
  if (!d->mq) return;
  /* a command is taken only when its result has room in the event queue
   * (some left for the engine's events): a burst waits in the inbound
   * queue, where an overflow is answered, instead of losing results here */
  while (d->evq_len < KD_EVQ - KD_EVQ_EVENTS && kd_mqtt_take(d->mq, &in)) {
    if (in.sub == SUB_COMMAND) {
      handle_command(d, &in);
    } else if (in.sub == SUB_HA_STATUS) {
      if (in.len == 6 && memcmp(in.payload, "online", 6) == 0) {
        kd_log(KD_INFO, "home assistant is online: announcing again");
        kd_mqtt_request_announce(d->mq);
      }
    } else if (in.sub == SUB_SIM) {
      kb_ha_cmd_t idc;
      const char *err;
      memset(&idc, 0, sizeof idc);
      err = in.too_long ? "size" : sim_poke(d, in.payload, in.len, &idc);
      result(d, &idc, err ? "invalid_request" : "done", err);
      if (err) kd_log(KD_WARNING, "simulated panel: poke refused (%s)", err);
    } else if (in.sub == d->sub_vzone) {
      unsigned z = 0;
      kb_xpd_zone_t s = KB_XPD_CLOSED;
      const char *why = "payload too long";
      if (in.too_long || kd_xpd_command(&d->xpd_conf, &d->xpd, in.payload, in.len, &z, &s, &why) != 0) {
        kd_log(KD_WARNING, "virtual zone refused: %s", why);
      } else {
        char vt[KB_HA_TOPIC_SIZE], vp[16];
        kb_ha_msg_t vm = {vt, sizeof vt, 0, vp, sizeof vp, 0, false};
        kd_log(KD_INFO, "virtual zone %u: %s", z, s == KB_XPD_OPEN ? "open" : s == KB_XPD_TAMPER ? "tamper" : "closed");
        if (kd_xpd_state(&d->ha, z, s, &vm) == KB_OK) kd_mqtt_publish(d->mq, vt, vp, vm.payload_len, true);
      }
    }
  }
}

/* On the MQTT thread: a command or poke the full inbound queue could not
 * take still gets an answer, naming its id when it has one. Only pure
 * functions of src/ha and the thread-safe publish are used here. */
static void on_overflow(void *ctx, kd_mqtt_t *m, int sub, const char *payload, size_t len) {
  kd_t *d = ctx;
  kb_ha_cmd_t c;
  char buf[KB_HA_RESULT_SIZE];
  size_t n;
  if (sub != SUB_COMMAND && sub != SUB_SIM) return;
  memset(&c, 0, sizeof c);
  if (sub == SUB_COMMAND) (void)kb_ha_parse_command(payload, len, &c); /* for its id only */
  if (kb_ha_result_json(&c, "busy", "queue_full", buf, sizeof buf, &n) == KB_OK)
    kd_mqtt_publish(m, d->t_result, buf, n, false);
  kb_ha_cmd_wipe(&c);
}

/* ------------------------------------------------------- web keypad */

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* appends to a bounded buffer; *n stops growing at the end (the document
 * is then refused by its length check, never sent cut short) */
static void jadd(char *b, size_t cap, size_t *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void jadd(char *b, size_t cap, size_t *n, const char *fmt, ...) {
  va_list ap;
  int k;
  if (*n >= cap) return;
  va_start(ap, fmt);
  k = vsnprintf(b + *n, cap - *n, fmt, ap);
  va_end(ap);
  *n = k < 0 ? cap : *n + (size_t)k;
}

/* a JSON string of s (names from the configuration: printable) */
static void jstr(char *b, size_t cap, size_t *n, const char *s) {
  jadd(b, cap, n, "\"");
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') jadd(b, cap, n, "\\%c", ch);
    else if (ch < 0x20) jadd(b, cap, n, "\\u%04x", ch);
    else jadd(b, cap, n, "%c", ch);
  }
  jadd(b, cap, n, "\"");
}

static bool zbit(const uint8_t *bits, unsigned z) { return (bits[(z - 1) / 8] >> ((z - 1) % 8)) & 1u; }

/* One engine event for the page: the state document is written again, the
 * delays and zone memory are followed, and the changes a person wants to
 * read go into the event log. */
static void web_event(kd_t *d, const kb_event_t *ev) {
  char text[160], js[KD_WEB_MSG_MAX];
  const char *kind = NULL;
  size_t n = 0;
  if (!d->web_dirty) d->web_frame_ns = d->frame_end_ns;
  d->web_dirty = true;
  if (ev->type == KB_EV_CONNECTED) d->web_health_ns = 0; /* the health at once */
  switch (ev->type) {
    case KB_EV_EXIT_DELAY:
    case KB_EV_ENTRY_DELAY:
      if (ev->partition >= 1 && ev->partition <= KB_MAX_PARTITIONS && ev->state.on)
        d->delay_ns[ev->partition - 1] = mono_ns();
      kind = ev->state.on ? "delay" : NULL;
      break;
    case KB_EV_ARMED:
      if (ev->armed.on)
        for (unsigned z = 1; z <= KB_MAX_ZONES; z++)
          if (z <= KB_CONF_ZONES && d->conf.zone[z].used && d->conf.zone[z].partition == ev->partition)
            d->zone_memory[(z - 1) / 8] &= (uint8_t)~(1u << ((z - 1) % 8));
      kind = "arm";
      break;
    case KB_EV_ZONE_ALARM:
      if (ev->zone.on && ev->zone.zone >= 1 && ev->zone.zone <= KB_MAX_ZONES)
        d->zone_memory[(ev->zone.zone - 1) / 8] |= (uint8_t)(1u << ((ev->zone.zone - 1) % 8));
      kind = "alarm";
      break;
    case KB_EV_ALARM:
    case KB_EV_FIRE:
    case KB_EV_KEYPAD_ALARM: kind = "alarm"; break;
    case KB_EV_ACCESS_CODE: kind = "user"; break;
    case KB_EV_ZONE_OPEN:
    case KB_EV_ZONE_TAMPER:
    case KB_EV_ZONE_BYPASS: kind = "zone"; break;
    case KB_EV_TROUBLE:
    case KB_EV_AC_POWER:
    case KB_EV_BATTERY: kind = "trouble"; break;
    case KB_EV_PANEL_EVENT: kind = "panel"; break;
    case KB_EV_CONNECTED: kind = "bus"; break;
    default: break;
  }
  if (!kind || kb_text_event(ev, text, sizeof text) == 0) return;
  jadd(js, sizeof js, &n, "{\"t\":%llu,\"kind\":\"%s\",\"partition\":%u,\"text\":", (unsigned long long)wall_ms(), kind,
       ev->partition);
  jstr(js, sizeof js, &n, text);
  if ((ev->type == KB_EV_ZONE_OPEN || ev->type == KB_EV_ZONE_ALARM || ev->type == KB_EV_ZONE_TAMPER ||
       ev->type == KB_EV_ZONE_BYPASS) &&
      ev->zone.zone <= KB_CONF_ZONES && d->conf.zone[ev->zone.zone].name[0]) {
    jadd(js, sizeof js, &n, ",\"zone\":%u,\"name\":", ev->zone.zone);
    jstr(js, sizeof js, &n, d->conf.zone[ev->zone.zone].name);
  }
  jadd(js, sizeof js, &n, "}");
  if (n < sizeof js) kd_web_push(d->web, "event", js, n);
}

static size_t web_health(kd_t *d, char *b, size_t cap) {
  const kb_health_t *h = kb_bus_health(&d->bus);
  const kb_status_t *st = kb_bus_status(&d->bus);
  size_t n = 0;
  jadd(b, cap, &n,
       "{\"connected\":%s,\"frames\":%lu,\"frames_ok\":%lu,\"errors\":%lu,\"ring_overflows\":%lu,"
       "\"uptime_s\":%llu,\"last_frame_age_ms\":%ld,\"mqtt\":\"%s\",\"dropped\":%llu,\"web_clients\":%d",
       st->connected ? "true" : "false", (unsigned long)h->frames, (unsigned long)h->frames_ok,
       (unsigned long)(h->checksum_errors + h->length_errors + h->framing_errors), (unsigned long)h->ring_overflows,
       (unsigned long long)((mono_ns() - d->t_start_ns) / 1000000000u),
       h->has_frame ? (long)kb_bus_frame_age_ms(&d->bus) : -1L,
       !d->mq ? "off" : kd_mqtt_connected(d->mq) ? "connected" : "disconnected", (unsigned long long)d->evq_dropped,
       kd_web_streams(d->web));
  if (d->gpio) {
    kb_gpio_stats_t gs;
    kb_gpio_stats(d->gpio, &gs);
    jadd(b, cap, &n, ",\"edges_lost\":%llu", (unsigned long long)gs.lost);
  }
  jadd(b, cap, &n, "}");
  return n;
}

/* The state document (docs/web.md, "GET /api/state"). */
static void web_state(kd_t *d) {
  static char b[KD_WEB_STATE_MAX];
  const size_t cap = sizeof b;
  const kb_status_t *st = kb_bus_status(&d->bus);
  uint64_t now = mono_ns();
  size_t n = 0;
  bool first = true;
  const bool classic = st->series == KB_SERIES_CLASSIC;
  jadd(b, cap, &n, "{\"backend\":\"%s\",\"simulated\":%s,\"device\":", kb_conf_backend_name(d->conf.backend),
       d->conf.backend == KB_CONF_SIM ? "true" : "false");
  jstr(b, cap, &n, d->dev_name);
  if (classic) {
    /* what the Classic cannot report is left out, not sent as a value
     * (docs/web.md, "Classic panels"): no AC, battery, PGM, version, time,
     * code digits; per partition no entry delay or last user; per zone no
     * bypass or tamper; partition 1 and zones up to zones_max only */
    jadd(b, cap, &n, ",\"panel\":\"classic\",\"version\":\"%s\",\"t_frame\":%llu,\"connected\":%s,\"synced\":%s,"
         "\"trouble\":%s", KD_VERSION, (unsigned long long)d->web_frame_ns, st->connected ? "true" : "false",
         st->synced ? "true" : "false", st->trouble ? "true" : "false");
  } else
  jadd(b, cap, &n,
       ",\"version\":\"%s\",\"t_frame\":%llu,\"connected\":%s,\"synced\":%s,\"code_digits\":%u,\"trouble\":%s,"
       "\"ac_power\":%s,\"battery_ok\":%s,\"pgm\":%u,\"panel_version\":%u",
       KD_VERSION, (unsigned long long)d->web_frame_ns, st->connected ? "true" : "false",
       st->synced ? "true" : "false", (unsigned)(st->code_digits ? st->code_digits : d->conf.code_length),
       st->trouble ? "true" : "false", st->ac_power ? "true" : "false", st->battery_ok ? "true" : "false",
       (unsigned)st->pgm, (unsigned)st->version);
  if (!classic && st->time.year)
    jadd(b, cap, &n, ",\"time\":\"%04u-%02u-%02u %02u:%02u\"", (unsigned)st->time.year, (unsigned)st->time.month,
         (unsigned)st->time.day, (unsigned)st->time.hour, (unsigned)st->time.minute);
  jadd(b, cap, &n, ",\"buttons\":{\"fire\":%s,\"aux\":%s,\"panic\":%s,\"outputs\":[", d->conf.button_fire ? "true" : "false",
       d->conf.button_aux ? "true" : "false", d->conf.button_panic ? "true" : "false");
  for (unsigned o = 1, k = 0; o <= 4; o++)
    if (d->conf.button_outputs & (1u << (o - 1))) jadd(b, cap, &n, "%s%u", k++ ? "," : "", o);
  jadd(b, cap, &n, "]},\"partitions\":[");
  for (unsigned p = 1; p <= KB_CONF_PARTITIONS && p <= KB_MAX_PARTITIONS; p++) {
    const kb_partition_t *pa = &st->part[p - 1];
    const char *alarm_state = kb_ha_alarm_state(pa), *words = pa->known ? kb_status_words(pa->status) : NULL;
    bool delay = pa->exit_delay || pa->entry_delay;
    int total = pa->exit_delay ? d->exit_delay_s : pa->entry_delay ? d->entry_delay_s : 0;
    if (!d->conf.partition[p].used || (p > 1 && (st->absent & KB_ABSENT_PARTITIONS))) continue;
    jadd(b, cap, &n, "%s{\"n\":%u,\"name\":", first ? "" : ",", p);
    first = false;
    jstr(b, cap, &n, d->conf.partition[p].name[0] ? d->conf.partition[p].name : "");
    jadd(b, cap, &n,
         ",\"known\":%s,\"state\":%s%s%s,\"lights\":%u,\"flash\":%u,\"status\":%u,\"message\":",
         pa->known ? "true" : "false", alarm_state ? "\"" : "", alarm_state ? alarm_state : "null",
         alarm_state ? "\"" : "", (unsigned)pa->lights, (unsigned)st->flash[p - 1], (unsigned)pa->status);
    if (words) jstr(b, cap, &n, words);
    else if (pa->known) jadd(b, cap, &n, "\"status 0x%02x\"", (unsigned)pa->status);
    else jadd(b, cap, &n, "null");
    if (classic)
      jadd(b, cap, &n, ",\"ready\":%s,\"armed\":%s,\"exit_delay\":%s,\"alarm\":%s,\"fire\":%s",
           pa->ready ? "true" : "false",
           pa->armed == KB_ARMED_AWAY ? "\"away\"" : pa->armed == KB_ARMED_STAY ? "\"stay\"" : "null",
           pa->exit_delay ? "true" : "false", pa->alarm ? "true" : "false", pa->fire ? "true" : "false");
    else
    jadd(b, cap, &n,
         ",\"ready\":%s,\"armed\":%s,\"exit_delay\":%s,\"entry_delay\":%s,\"alarm\":%s,\"fire\":%s,"
         "\"last_user\":%u",
         pa->ready ? "true" : "false",
         pa->armed == KB_ARMED_AWAY ? "\"away\"" : pa->armed == KB_ARMED_STAY ? "\"stay\"" : "null",
         pa->exit_delay ? "true" : "false", pa->entry_delay ? "true" : "false", pa->alarm ? "true" : "false",
         pa->fire ? "true" : "false", (unsigned)pa->access_code);
    if (delay && d->delay_ns[p - 1])
      jadd(b, cap, &n, ",\"delay_elapsed_ms\":%llu", (unsigned long long)((now - d->delay_ns[p - 1]) / 1000000u));
    if (delay && total) jadd(b, cap, &n, ",\"delay_total_s\":%d", total);
    jadd(b, cap, &n, "}");
  }
  jadd(b, cap, &n, "],\"zones\":[");
  first = true;
  for (unsigned z = 1; z <= KB_CONF_ZONES && z <= KB_MAX_ZONES; z++) {
    const kb_conf_zone_t *cz = &d->conf.zone[z];
    if (!cz->used || (st->zones_max && z > st->zones_max)) continue;
    jadd(b, cap, &n, "%s{\"n\":%u,\"name\":", first ? "" : ",", z);
    first = false;
    if (cz->name[0]) jstr(b, cap, &n, cz->name);
    else jadd(b, cap, &n, "\"Zone %u\"", z);
    if (classic)
      jadd(b, cap, &n, ",\"partition\":%d,\"class\":\"%s\",\"open\":%s,\"alarm\":%s,\"memory\":%s}", cz->partition,
           kb_conf_class_name(cz->device_class), zbit(st->zones_open, z) ? "true" : "false",
           zbit(st->zones_alarm, z) ? "true" : "false", zbit(d->zone_memory, z) ? "true" : "false");
    else
    jadd(b, cap, &n,
         ",\"partition\":%d,\"class\":\"%s\",\"open\":%s,\"alarm\":%s,\"memory\":%s,\"bypassed\":%s,\"tamper\":%s}",
         cz->partition, kb_conf_class_name(cz->device_class), zbit(st->zones_open, z) ? "true" : "false",
         zbit(st->zones_alarm, z) ? "true" : "false", zbit(d->zone_memory, z) ? "true" : "false",
         zbit(st->zones_bypass, z) ? "true" : "false", zbit(st->zones_tamper, z) ? "true" : "false");
  }
  /* the health is not part of it: it changes with every frame, and has
   * its own message (the hub adds the latest to GET /api/state) */
  jadd(b, cap, &n, "]}");
  if (n < cap) kd_web_set_state(d->web, b, n);
  else kd_log(KD_WARNING, "http: the state document does not fit %zu bytes", cap);
  if (d->trace && d->web_frame_ns)
    trace(d, "web %llu %llu", (unsigned long long)mono_ns(), (unsigned long long)d->web_frame_ns);
}

/* After each task step: the state when it changed, and every second while
 * a delay runs (its elapsed time: a page opened late counts down from it),
 * the health every KD_WEB_HEALTH_MS. */
static void web_update(kd_t *d) {
  uint64_t now = mono_ns();
  if (!d->web_dirty && now - d->web_state_ns >= 1000000000u) {
    const kb_status_t *st = kb_bus_status(&d->bus);
    for (unsigned p = 0; p < KB_MAX_PARTITIONS; p++)
      if (st->part[p].exit_delay || st->part[p].entry_delay) d->web_dirty = true;
  }
  if (d->web_dirty) {
    d->web_state_ns = now;
    web_state(d);
    d->web_dirty = false;
    d->web_frame_ns = 0;
  }
  if (now - d->web_health_ns >= (uint64_t)KD_WEB_HEALTH_MS * 1000000u) {
    char b[KD_WEB_MSG_MAX];
    size_t n = web_health(d, b, sizeof b);
    if (n < sizeof b) kd_web_push(d->web, "health", b, n);
    d->web_health_ns = now;
  }
}

/* ------------------------------------------------------------ publish */

static bool publish_msg(kd_t *d, const kb_ha_msg_t *m) {
  if (kd_mqtt_publish(d->mq, m->topic, m->payload, m->payload_len, m->retain) != 0) return false;
  return true;
}

static void mark_all(kd_t *d) {
  for (size_t i = 0; i < d->n_entities; i++)
    if (kb_ha_has_state(&d->ha, i)) d->dirty.bits[i / 32] |= 1u << (i % 32);
  memset(d->last_state, 0, sizeof d->last_state); /* a state is never "": each is sent */
}

static void kd_flush(kd_t *d) {
  static char topic[KB_HA_TOPIC_SIZE], doc[KB_HA_DOC_SIZE];
  const kb_status_t *st = kb_bus_status(&d->bus);
  kb_ha_msg_t m;
  int room;
  if (!d->mq) return;
  if (kd_mqtt_announce(d->mq) || (d->reannounce && kd_mqtt_connected(d->mq))) {
    d->ann_phase = 1;
    d->ann_i = 0;
    d->reannounce = false;
    mark_all(d);
  }
  room = kd_mqtt_room(d->mq);
  m.topic = topic;
  m.topic_size = sizeof topic;
  m.payload = doc;
  m.payload_size = sizeof doc;
  while (room > 0) {
    if (d->ann_phase == 1) {
      if (d->ann_i < d->n_entities) {
        if (kb_ha_discovery(&d->ha, d->ann_i, st, &m) == KB_OK && !publish_msg(d, &m)) return;
        d->ann_i++;
      } else if (d->ann_i < d->n_entities + kd_xpd_count(&d->xpd_conf)) {
        /* the virtual zones' switches and inputs (kd_xpd.h) */
        size_t vi = d->ann_i - d->n_entities;
        unsigned z = kd_xpd_zone_at(&d->xpd_conf, vi);
        kb_xpd_zone_t s = KB_XPD_CLOSED;
        if (kd_xpd_discovery(&d->xpd_conf, &d->ha, vi, &m) == KB_OK && !publish_msg(d, &m)) return;
        if (kb_xpd_zone(&d->xpd, (uint8_t)z, &s) == KB_OK && kd_xpd_state(&d->ha, z, s, &m) == KB_OK &&
            !publish_msg(d, &m))
          return;
        d->ann_i++;
      } else {
        d->ann_phase = 0;
        d->health_due = true;
        /* a broker without persistence lost it when it restarted */
        if (d->have_last_retained)
          evq_push(d, d->last_retained.topic, d->last_retained.payload, d->last_retained.len, true);
        continue;
      }
    } else if (d->evq_len) {
      kd_msg_t *e = &d->evq[d->evq_head];
      if (kd_mqtt_publish(d->mq, e->topic, e->payload, e->len, e->retain) != 0) return;
      d->evq_head = (d->evq_head + 1) % KD_EVQ;
      d->evq_len--;
    } else {
      /* the lowest dirty entity (what kb_ha_next_dirty() would take; walked
       * here because its number keys last_state and the trace) */
      size_t i;
      for (i = 0; i < d->n_entities && !(d->dirty.bits[i / 32] & (1u << (i % 32))); i++) {
      }
      if (i == d->n_entities) break;
      d->dirty.bits[i / 32] &= ~(1u << (i % 32));
      if (kb_ha_state(&d->ha, i, st, &m) != KB_OK || m.payload_len >= KB_HA_STATE_SIZE) continue;
      if (strcmp(d->last_state[i], m.payload) == 0) continue; /* unchanged: nothing to say */
      if (!publish_msg(d, &m)) {
        d->dirty.bits[i / 32] |= 1u << (i % 32); /* not sent: still dirty */
        return;
      }
      memcpy(d->last_state[i], m.payload, m.payload_len + 1);
      if (d->trace && d->dirty_frame_ns[i])
        trace(d, "pub %llu %llu %s %s", (unsigned long long)mono_ns(), (unsigned long long)d->dirty_frame_ns[i],
              m.topic, m.payload);
    }
    room--;
  }
}

/* the health document (retained JSON, kb_ha_health), every
 * KD_HEALTH_PERIOD_MS and after announces and connection changes */
static void publish_health(kd_t *d) {
  static char topic[KB_HA_TOPIC_SIZE], payload[KB_HA_HEALTH_SIZE];
  kb_ha_msg_t m = {topic, sizeof topic, 0, payload, sizeof payload, 0, false};
  kb_ha_extra_t x;
  kd_mqtt_stats_t ms;
  const kb_status_t *st = kb_bus_status(&d->bus);
  const kb_health_t *h = kb_bus_health(&d->bus);
  if (!d->mq || !kd_mqtt_connected(d->mq)) return;
  kd_mqtt_stats(d->mq, &ms);
  kb_ha_extra_init(&x);
  x.uptime_s = (uint32_t)((mono_ns() - d->t_start_ns) / 1000000000u);
  x.last_frame_age_ms = h->has_frame ? kb_bus_frame_age_ms(&d->bus) : UINT32_MAX;
  x.mqtt_dropped = (uint32_t)(d->evq_dropped + ms.in_dropped);
  x.mqtt_reconnects = (uint32_t)ms.losses;
  if (d->gpio) {
    kb_gpio_stats_t gs;
    kb_gpio_stats(d->gpio, &gs);
    x.edges_lost = (int64_t)gs.lost;
  }
  /* all is well: the bus talks, nothing was lost for lack of room */
  x.healthy = st->connected && h->ring_overflows == 0 && d->evq_dropped == 0;
  if (kb_ha_health(&d->ha, h, &x, &m) == KB_OK) kd_mqtt_publish(d->mq, m.topic, m.payload, m.payload_len, true);
}

/* The TPI after a poll: its clients learn what changed; at most every 2 ms,
 * their sockets are served and their commands queued (submit_command). */
static void tpi_step(kd_t *d) {
  uint64_t now = mono_ns();
  kd_tpi_req_t rq;
  time_t wall;
  if (!d->tpi.net) return;
  kd_tpi_status(&d->tpi.tpi, kb_bus_status(&d->bus), now / 1000000u);
  if (now - d->tpi.step_ns < 2000000u) return;
  d->tpi.step_ns = now;
  wall = time(NULL);
  if (wall != d->tpi.local_at && localtime_r(&wall, &d->tpi.local)) d->tpi.local_at = wall;
  kd_tpi_tick(&d->tpi.tpi, now / 1000000u, d->tpi.local_at ? &d->tpi.local : NULL);
  kd_tpi_net_step(d->tpi.net, now / 1000000u);
  while (kd_tpi_take(&d->tpi.tpi, &rq)) {
    kd_log(KD_INFO, "tpi: client %u: command %s for partition %u", (unsigned)rq.client, rq.cmd.id,
           (unsigned)rq.cmd.partition);
    submit_command(d, &rq.cmd, now); /* wipes it, code included */
  }
}

/* One task step of the daemon at task time now_us (the backend's 32-bit µs
 * clock): the bus, the commands, the publishing. */
static void kd_tick(kd_t *d, uint32_t now_us) {
  kb_bus_poll(&d->bus, now_us);
  clock_step(d);
  tpi_step(d);
  handle_inbound(d);
  kd_flush(d);
  if (d->mq) {
    uint32_t ms = kb_bus_ms(&d->bus);
    bool c = kd_mqtt_connected(d->mq);
    if (c != d->was_connected) d->health_due = true;
    d->was_connected = c;
    if (d->ann_phase == 0 && (d->health_due || (uint32_t)(ms - d->last_health_ms) >= KD_HEALTH_PERIOD_MS)) {
      publish_health(d);
      d->health_due = false;
      d->last_health_ms = ms;
    }
  }
}

/* ------------------------------------------------- backend: simulated */

/* wall time (CLOCK_MONOTONIC ns) of virtual time v (µs) */
static uint64_t sim_wall(const kd_t *d, uint64_t v) {
  double dv = (double)(int64_t)(v - d->sim.v0);
  return d->sim.w0_ns + (uint64_t)(int64_t)(dv * 1000.0 / d->speed);
}

/* Keeps the simulated bus on the wall clock: nothing it decodes is
 * published before the moment the bus would have carried it. A process that
 * was stopped or starved comes back paused, not fast-forwarded. */
static void sim_pace(kd_t *d, uint64_t now_us) {
  uint64_t target = sim_wall(d, now_us), now = mono_ns();
  if (now > target + 1000000000ull) {
    kd_log(KD_INFO, "simulated panel: %.1f s behind the wall clock (the process was stopped or starved): "
                    "it goes on from now",
           (double)(now - target) / 1e9);
    d->sim.v0 = now_us;
    d->sim.w0_ns = now;
    return;
  }
  if (target > now) {
    struct timespec ts = {(time_t)((target - now) / 1000000000u), (long)((target - now) % 1000000000u)};
    nanosleep(&ts, NULL); /* a signal cuts it short: the loop checks g_stop */
  }
}

static void sim_key(kd_t *d, uint8_t key) {
  if (!kb_wire_keypad_key(&d->sim.wire, d->sim.keypad, key))
    kd_log(KD_WARNING, "simulated panel: the demo keypad's queue is full");
}

static void sim_keys(kd_t *d, const char *digits) {
  if (d->conf.panel == KB_CONF_CLASSIC) {
    if (kb_simc_wire_keys(&d->sim.cw, digits) != strlen(digits))
      kd_log(KD_WARNING, "simulated panel: the demo keypad's queue is full");
    return;
  }
  for (; *digits; digits++) sim_key(d, kb_proto_digit_key((unsigned)(*digits - '0')));
}

/* --demo: a scripted day in the demo house, one step every few seconds
 * (virtual), repeating. The keypad types the demo code like a person. */
static void sim_demo(kd_t *d, uint64_t now) {
  static const struct {
    uint16_t after_s;
    char what;  /* z zone open, c zone close, k type the code, a AC fail, A AC back */
    uint8_t zone;
  } script[] = {{5, 'z', 3}, {3, 'c', 3}, {4, 'z', 5}, {2, 'c', 5}, {4, 'k', 0},  {20, 'z', 1},
                {1, 'c', 1}, {5, 'k', 0}, {5, 'z', 7}, {4, 'c', 7}, {4, 'a', 0},  {10, 'A', 0}};
  const unsigned n = sizeof script / sizeof script[0];
  const char *code = d->conf.code_length == 6 ? "123456" : "1234";
  unsigned z;
  if (!d->demo || now < d->sim.demo_next) return;
  z = script[d->sim.demo_step].zone;
  switch (script[d->sim.demo_step].what) {
    case 'z':
    case 'c':
      kd_log_event(KD_INFO, "demo: zone %u (%s) %s", z, z <= KB_CONF_ZONES && d->conf.zone[z].name[0] ? d->conf.zone[z].name : "?",
             script[d->sim.demo_step].what == 'z' ? "opens" : "closes");
      break;
    case 'k': kd_log_event(KD_INFO, "demo: someone types the user code on the keypad of partition 1"); break;
    case 'a': kd_log_event(KD_INFO, "demo: AC power fails"); break;
    case 'A': kd_log_event(KD_INFO, "demo: AC power is back"); break;
    default: break;
  }
  if (d->conf.panel == KB_CONF_CLASSIC) { /* the same script on the Classic panel (no AC report) */
    switch (script[d->sim.demo_step].what) {
      case 'z': kb_simc_zone(&d->sim.cw.panel, z, true, now); break;
      case 'c': kb_simc_zone(&d->sim.cw.panel, z, false, now); break;
      case 'k': sim_keys(d, code); break;
      default: break;
    }
  } else {
    switch (script[d->sim.demo_step].what) {
      case 'z': kb_sim_panel_zone(&d->sim.panel, script[d->sim.demo_step].zone, true, now); break;
      case 'c': kb_sim_panel_zone(&d->sim.panel, script[d->sim.demo_step].zone, false, now); break;
      case 'k': sim_keys(d, code); break;
      case 'a': kb_sim_panel_ac(&d->sim.panel, false, now); break;
      case 'A': kb_sim_panel_ac(&d->sim.panel, true, now); break;
      default: break;
    }
  }
  d->sim.demo_step = (d->sim.demo_step + 1) % n;
  d->sim.demo_next = now + (uint64_t)script[d->sim.demo_step].after_s * 1000000u;
}

static void sim_task(void *ctx, uint64_t now_us) {
  kd_t *d = ctx;
  d->sim.now = now_us;
  if (g_stop) return;
  sim_pace(d, now_us);
  sim_demo(d, now_us);
  kd_tick(d, (uint32_t)now_us);
}

static void sim_on_msg(void *ctx, const kb_wire_msg_t *m) {
  kd_t *d = ctx;
  d->frame_end_ns = sim_wall(d, m->t_end);
}

/* A poke of the simulated panel (docs/keybusd.md), parsed with cJSON:
 * one object with one action and an optional "id" (a string of at most
 * KB_HA_CMD_ID_MAX plain characters or a non-negative integer), echoed in
 * the result. Returns NULL when done, else the detail word of the error. */
static const char *sim_poke(kd_t *d, const char *p, size_t len, kb_ha_cmd_t *idc) {
  uint64_t now = d->sim.now;
  cJSON *j, *id, *v, *b;
  const char *err = NULL;
  int keys = 0;
  if (d->conf.backend != KB_CONF_SIM) return "not_simulated";
  j = cJSON_ParseWithLength(p, len);
  if (!j || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return "json";
  }
  for (cJSON *it = j->child; it; it = it->next) keys++;
  id = cJSON_GetObjectItemCaseSensitive(j, "id");
  if (id) {
    keys--;
    if (cJSON_IsString(id) && strlen(id->valuestring) >= 1 && strlen(id->valuestring) <= KB_HA_CMD_ID_MAX &&
        strspn(id->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
            strlen(id->valuestring)) {
      snprintf(idc->id, sizeof idc->id, "%s", id->valuestring);
      idc->id_kind = 1;
    } else if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble <= 4294967295.0 &&
               id->valuedouble == (double)(uint32_t)id->valuedouble) {
      snprintf(idc->id, sizeof idc->id, "%u", (unsigned)id->valuedouble);
      idc->id_kind = 2;
    } else {
      cJSON_Delete(j);
      return "id";
    }
  }
#define KD_ZONE_OK(x) (cJSON_IsNumber(x) && (x)->valuedouble >= 1 && (x)->valuedouble <= KB_SIM_ZONES && \
                       (x)->valuedouble == (double)(int)(x)->valuedouble)
  if (d->conf.panel == KB_CONF_CLASSIC) {
    /* the simulated Classic panel (kb_sim_classic.h): zones 1-8, fire and
     * trouble; it has no tamper, AC or battery report and no cut yet */
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "zone")) != NULL) {
      b = cJSON_GetObjectItemCaseSensitive(j, "open");
      if (keys != 2 || !cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > KB_CLS_ZONES ||
          v->valuedouble != (double)(int)v->valuedouble || !cJSON_IsBool(b))
        err = "zone";
      else {
        kb_simc_zone(&d->sim.cw.panel, (unsigned)v->valuedouble, cJSON_IsTrue(b), now);
        kd_log(KD_INFO, "simulated panel: zone %d %s", (int)v->valuedouble, cJSON_IsTrue(b) ? "opened" : "closed");
      }
    } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "fire")) != NULL ||
               (v = cJSON_GetObjectItemCaseSensitive(j, "trouble")) != NULL) {
      bool fire = cJSON_GetObjectItemCaseSensitive(j, "fire") == v;
      if (keys != 1 || !cJSON_IsBool(v)) err = fire ? "fire" : "trouble";
      else if (fire) kb_simc_fire(&d->sim.cw.panel, cJSON_IsTrue(v));
      else kb_simc_trouble(&d->sim.cw.panel, cJSON_IsTrue(v));
      if (!err) kd_log(KD_INFO, "simulated panel: %s %s", fire ? "fire" : "trouble", cJSON_IsTrue(v) ? "on" : "off");
    } else if (cJSON_GetObjectItemCaseSensitive(j, "tamper") || cJSON_GetObjectItemCaseSensitive(j, "ac_ok") ||
               cJSON_GetObjectItemCaseSensitive(j, "battery_ok") || cJSON_GetObjectItemCaseSensitive(j, "cut_ms")) {
      err = "not_on_classic";
    } else {
      err = "action";
    }
  } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "zone")) != NULL) {
    b = cJSON_GetObjectItemCaseSensitive(j, "open");
    if (keys != 2 || !KD_ZONE_OK(v) || !cJSON_IsBool(b)) err = "zone";
    else if (!d->sim.panel.cfg.zone[(int)v->valuedouble - 1].partition) err = "zone_not_in_use";
    else {
      kb_sim_panel_zone(&d->sim.panel, (unsigned)v->valuedouble, cJSON_IsTrue(b), now);
      kd_log(KD_INFO, "simulated panel: zone %d %s", (int)v->valuedouble, cJSON_IsTrue(b) ? "opened" : "closed");
    }
  } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "tamper")) != NULL) {
    b = cJSON_GetObjectItemCaseSensitive(j, "on");
    if (keys != 2 || !KD_ZONE_OK(v) || !cJSON_IsBool(b)) err = "tamper";
    else if (!d->sim.panel.cfg.zone[(int)v->valuedouble - 1].partition) err = "zone_not_in_use";
    else {
      kb_sim_panel_zone_tamper(&d->sim.panel, (unsigned)v->valuedouble, cJSON_IsTrue(b), now);
      kd_log(KD_INFO, "simulated panel: zone %d tamper %s", (int)v->valuedouble, cJSON_IsTrue(b) ? "on" : "restored");
    }
  } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "ac_ok")) != NULL) {
    if (keys != 1 || !cJSON_IsBool(v)) err = "ac_ok";
    else {
      kb_sim_panel_ac(&d->sim.panel, cJSON_IsTrue(v), now);
      kd_log(KD_INFO, "simulated panel: AC power %s", cJSON_IsTrue(v) ? "restored" : "failed");
    }
  } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "battery_ok")) != NULL) {
    if (keys != 1 || !cJSON_IsBool(v)) err = "battery_ok";
    else {
      kb_sim_panel_battery(&d->sim.panel, cJSON_IsTrue(v), now);
      kd_log(KD_INFO, "simulated panel: battery %s", cJSON_IsTrue(v) ? "restored" : "low");
    }
  } else if ((v = cJSON_GetObjectItemCaseSensitive(j, "cut_ms")) != NULL) {
    if (keys != 1 || !cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 600000) err = "cut_ms";
    else if (!kb_wire_cut(&d->sim.wire, now, (uint64_t)v->valuedouble * 1000u, false)) err = "busy";
    else kd_log(KD_INFO, "simulated panel: the bus is cut for %d ms", (int)v->valuedouble);
  } else {
    err = "action";
  }
#undef KD_ZONE_OK
  cJSON_Delete(j);
  return err;
}

static int sim_zone_type(kb_conf_class_t k) {
  switch (k) {
    case KB_CONF_CLASS_SMOKE:
    case KB_CONF_CLASS_HEAT: return KB_SIM_ZONE_FIRE;
    case KB_CONF_CLASS_GAS:
    case KB_CONF_CLASS_CARBON_MONOXIDE:
    case KB_CONF_CLASS_MOISTURE: return KB_SIM_ZONE_24H;
    case KB_CONF_CLASS_MOTION:
    case KB_CONF_CLASS_OCCUPANCY:
    case KB_CONF_CLASS_PRESENCE: return KB_SIM_ZONE_INTERIOR;
    case KB_CONF_CLASS_DOOR:
    case KB_CONF_CLASS_GARAGE_DOOR: return KB_SIM_ZONE_DELAY;
    default: return KB_SIM_ZONE_INSTANT;
  }
}

static int run_sim(kd_t *d) {
  kb_sim_cfg_t sc;
  kb_wire_cfg_t wc;
  kb_wire_port_t port;
  uint64_t t0 = 1000000; /* virtual µs */
  kb_sim_cfg_default(&sc, 1);
  sc.partitions = 0;
  sc.expanders = d->xpd_conf.expanders; /* the simulated panel has the virtual expanders installed */
  for (int z = 1; z <= KB_SIM_ZONES; z++) {
    const kb_conf_zone_t *cz = z <= KB_CONF_ZONES ? &d->conf.zone[z] : NULL;
    sc.zone[z - 1].partition = 0;
    sc.zone[z - 1].type = KB_SIM_ZONE_UNUSED;
    if (cz && cz->used && cz->partition >= 1 && cz->partition <= 8) {
      sc.zone[z - 1].partition = (uint8_t)cz->partition;
      sc.zone[z - 1].type = (uint8_t)sim_zone_type(cz->device_class);
    }
  }
  for (int p = 1; p <= KB_CONF_PARTITIONS; p++)
    if (d->conf.partition[p].used) sc.partitions |= (uint8_t)(1u << (p - 1));
  if (!sc.partitions) sc.partitions = 1;
  /* demo-only codes (docs/keybusd.md): user 1 and the master code */
  memset(sc.code, 0, sizeof sc.code);
  sc.code_digits = (uint8_t)d->conf.code_length;
  snprintf(sc.code[1], sizeof sc.code[1], "%s", sc.code_digits == 6 ? "123456" : "1234");
  snprintf(sc.code[KB_SIM_MASTER], sizeof sc.code[KB_SIM_MASTER], "%s", sc.code_digits == 6 ? "555555" : "5555");
  sc.exit_delay_s = sc.entry_delay_s = 10;
  d->exit_delay_s = d->entry_delay_s = 10; /* known here: the page counts them down */
  sc.seed = (uint32_t)mono_ns() | 1u;
  kb_sim_panel_init(&d->sim.panel, &sc, t0);
  kb_wire_cfg_default(&wc);
  wc.seed = sc.seed;
  wc.task_us = 5000; /* while the clock is held, the task runs every 5 ms */
  /* and at each gap's idle point (last rise + KB_GAP_US + 50 µs), where the
   * link publishes the frame: as a firmware task polling every millisecond
   * would see it, not a whole gap later */
  wc.idle_task = true;
  memset(&port, 0, sizeof port);
  port.link = kb_bus_link(&d->bus);
  port.task = sim_task;
  port.ctx = d;
  kb_wire_init(&d->sim.wire, &wc, &d->sim.panel, &port, NULL, t0);
  d->sim.wire.on_msg = sim_on_msg;
  d->sim.wire.msg_ctx = d;
  d->sim.keypad = kb_wire_keypad_add(&d->sim.wire, 1, 40);
  kb_wire_keypad_pace(&d->sim.wire, d->sim.keypad, 300000, 600000);
  d->sim.v0 = t0;
  d->sim.w0_ns = mono_ns();
  d->sim.now = t0;
  d->sim.demo_next = t0 + 3000000u;
  kd_log(KD_INFO, "simulated panel (no hardware): the demo house, %s; the codes are demo-only (docs/keybusd.md)%s",
         d->conf.file_zones ? "zones from the configuration" : "partition 1 zones 1-6, partition 2 zones 7-8",
         d->demo ? "; scripted activity (--demo)" : "; idle until poked");
  while (!g_stop) kb_wire_step(&d->sim.wire);
  return 0;
}

/* The simulated Classic panel (--panel classic, kb_sim_classic.h): its wire
 * makes a frame at a time (about 51 ms) and feeds the bus's Classic link
 * through kb_simc_port_t, as a port's interrupts would; the task runs
 * every 5 ms of wire time in between (the samples due by then taken
 * first), paced on the wall clock like the PowerSeries simulation. */
static int run_sim_classic(kd_t *d) {
  kb_simc_cfg_t pc;
  uint64_t t0 = 1000000; /* virtual µs */
  memset(&pc, 0, sizeof pc);
  pc.exit_delay_ms = 10000;
  snprintf(pc.code, sizeof pc.code, "%s", d->conf.code_length == 6 ? "123456" : "1234");
  d->exit_delay_s = 10;
  d->entry_delay_s = 0; /* the Classic reports no entry delay */
  kb_simc_port_init(&d->sim.cport, kb_bus_cls_link(&d->bus));
  kb_simc_wire_init(&d->sim.cw, &pc, t0, kb_simc_port_edge, &d->sim.cport);
  d->sim.v0 = t0;
  d->sim.w0_ns = mono_ns();
  d->sim.now = t0;
  d->sim.demo_next = t0 + 3000000u;
  kd_log(KD_INFO, "simulated Classic panel (no hardware): partition 1, zones 1-8; the code is demo-only "
                  "(docs/keybusd.md)%s",
         d->demo ? "; scripted activity (--demo)" : "; idle until poked");
  while (!g_stop) {
    uint64_t ta = d->sim.cw.wave.t, tb = kb_simc_wire_step(&d->sim.cw);
    for (uint64_t t = ta; t < tb && !g_stop; t += 5000u) {
      kb_simc_port_advance(&d->sim.cport, t);
      sim_task(d, t);
    }
  }
  return 0;
}

/* --------------------------------------------------- backend: Linux GPIO */

static int run_gpio(kd_t *d) {
  kb_gpio_cfg_t gc;
  kb_gpio_rc_t rc;
  const kb_conf_t *c = &d->conf;
  struct sched_param sp;
  memset(&gc, 0, sizeof gc);
  if (c->gpio_chip[0] == '/') gc.chip_path = c->gpio_chip;
  else if (c->gpio_chip[0]) gc.chip_label = c->gpio_chip;
  if (c->gpio_clock.name[0]) gc.clock_name = c->gpio_clock.name;
  else gc.clock_offset = (unsigned)c->gpio_clock.offset;
  if (c->gpio_data.name[0]) gc.data_name = c->gpio_data.name;
  else gc.data_offset = (unsigned)c->gpio_data.offset;
  gc.write_enabled = c->gpio_write.name[0] || c->gpio_write.offset >= 0;
  if (c->gpio_write.name[0]) gc.write_name = c->gpio_write.name;
  else if (gc.write_enabled) gc.write_offset = (unsigned)c->gpio_write.offset;
  if (c->panel == KB_CONF_CLASSIC) { /* the third line, read with data (docs/classic.md) */
    if (c->gpio_pc16.name[0]) gc.pc16_name = c->gpio_pc16.name;
    else gc.pc16_offset = (unsigned)c->gpio_pc16.offset;
    rc = kb_gpio_open_classic(&gc, kb_bus_cls_link(&d->bus), &d->gpio);
  } else {
    rc = kb_gpio_open(&gc, kb_bus_link(&d->bus), &d->gpio);
  }
  if (rc == KB_GPIO_ERR_CONFIG || rc == KB_GPIO_ERR_IO || !d->gpio) {
    kd_log(KD_ERROR, "gpio: cannot open the Keybus lines: %s (docs/linux-gpio.md)", kb_gpio_rc_name(rc));
    return 1;
  }
  if (rc == KB_GPIO_GONE) kd_log(KD_WARNING, "gpio: the GPIO chip is not there now: retrying");
  else kd_log(KD_INFO, "gpio: listening on the Keybus%s", gc.write_enabled ? " (write line enabled)" : " (read only)");
  memset(&sp, 0, sizeof sp);
  sp.sched_priority = 50;
  /* the capture loop (this thread; the MQTT thread was started before and
   * keeps the normal policy) runs real-time, its pages resident: a page
   * fault or a lower-priority task must not make a write miss its slot */
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
    kd_log(KD_INFO, "gpio: running without real-time priority (%s): writes may miss their slot under load",
           strerror(errno));
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
    kd_log(KD_INFO, "gpio: memory not locked (%s)", strerror(errno));
  while (!g_stop) {
    /* the poll wakes by itself for the link's idle call (kb_gpio.h); the
     * timeout only bounds how long a command waits on a silent bus */
    kb_gpio_rc_t r = kb_gpio_poll(d->gpio, 10);
    if (r == KB_GPIO_ERR_IO) kd_log(KD_ERROR, "gpio: %s", strerror(kb_gpio_last_errno(d->gpio)));
    else if (r == KB_GPIO_GONE) kd_log(KD_WARNING, "gpio: the GPIO chip is gone: retrying");
    kb_gpio_task(d->gpio);
    kd_tick(d, kb_gpio_now_us(d->gpio));
  }
  return 0;
}

/* ------------------------------------------------------ backend: replay */

/* sleeps until capture time t_us is due at the replay speed (the capture's
 * clock maps to the wall clock as the simulated bus's does: sim_wall) */
static void replay_pace(kd_t *d, uint64_t t_us) {
  uint64_t target = sim_wall(d, t_us), now = mono_ns();
  while (!g_stop && target > now) {
    uint64_t step = target - now > 10000000u ? 10000000u : target - now;
    struct timespec ts = {0, (long)step};
    nanosleep(&ts, NULL);
    /* commands are answered while a long pause in the capture runs */
    handle_inbound(d);
    kd_flush(d);
    now = mono_ns();
  }
}

/* After the capture: the bus is reported disconnected (nothing to show
 * any more) and the daemon stays up until it is stopped. */
static int replay_idle(kd_t *d) {
  struct timespec ts = {0, 20000000L};
  while (!g_stop) {
    handle_inbound(d);
    kd_flush(d);
    nanosleep(&ts, NULL);
  }
  return 0;
}

/* The end of a VCD replay whose last edge was at capture time t (the
 * link fed and finished): the task's last pass, the reader's messages, then
 * the capture's clock runs on at the replay speed (the link's 3 s rule
 * reports the end of traffic as a disconnected bus) until keybusd is
 * stopped. Frees errs. */
static int replay_vcd_end(kd_t *d, kb_errs_t *errs, const char *name, uint64_t t) {
  struct timespec ts = {0, 20000000L};
  uint64_t w0;
  kd_tick(d, (uint32_t)t);
  for (size_t i = 0; i < errs->n && i < 20; i++) kd_log(KD_WARNING, "replay: %s", errs->msg[i]);
  kb_errs_free(errs);
  if (g_stop) return 0;
  kd_log(KD_INFO, "replay: end of %s (%lu frames)", name, (unsigned long)kb_bus_health(&d->bus)->frames);
  w0 = mono_ns();
  while (!g_stop) {
    uint64_t el = (mono_ns() - w0) / 1000u;
    kd_tick(d, (uint32_t)(t + (uint64_t)((double)el * d->speed)));
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int run_replay_vcd(kd_t *d, FILE *f, const char *name) {
  kb_vcd_reader_t r;
  kb_errs_t errs;
  kb_edges_t a;
  kb_edge_t e;
  uint64_t last_poll = 0, t = 0;
  int rc, first = 1;
  memset(&errs, 0, sizeof errs);
  if (kb_vcd_open(&r, f, name, NULL, &errs) != 0) {
    for (size_t i = 0; i < errs.n; i++) kd_log(KD_ERROR, "replay: %s", errs.msg[i]);
    kb_errs_free(&errs);
    return 1;
  }
  kb_edges_init(&a, kb_bus_link(&d->bus));
  while (!g_stop && (rc = kb_vcd_next(&r, &e)) == 1) {
    if (first) d->sim.v0 = last_poll = e.t_us, first = 0;
    t = e.t_us;
    replay_pace(d, t);
    kb_edges_feed(&a, &e);
    if (t - last_poll >= 1000u) {
      kd_tick(d, (uint32_t)t);
      last_poll = t;
    }
  }
  if (g_stop) kb_vcd_close(&r);
  kb_edges_finish(&a);
  return replay_vcd_end(d, &errs, name, t);
}

static int run_replay_text(kd_t *d, FILE *f, const char *name) {
  kb_cap_log_t log;
  double t_base = 0, t_last = 0;
  uint64_t vt = 0; /* capture time, µs */
  bool have_base = false;
  kb_cap_init(&log);
  if (kb_cap_parse_stream(&log, f, name) != 0) {
    kd_log(KD_ERROR, "replay: %s could not be read", name);
    kb_cap_free(&log);
    return 1;
  }
  for (size_t i = 0; i < log.errs.n && i < 20; i++) kd_log(KD_WARNING, "replay: %s", log.errs.msg[i]);
  if (log.panel_frames == 0) {
    kd_log(KD_ERROR, "replay: %s holds no Keybus frames", name);
    kb_cap_free(&log);
    return 1;
  }
  /* a text log has no clock edges: its frames go to the engine the way
   * keybus-reader replays them (log mode), timed by their time stamps */
  kb_engine_set_mode(&d->bus.engine, KB_MODE_LOG);
  kb_engine_connected(&d->bus.engine, true, 0);
  for (size_t i = 0; i < log.n && !g_stop; i++) {
    const kb_cap_rec_t *r = &log.rec[i];
    kb_decoded_t dec;
    if (r->has_time) {
      /* first stamp, a new capture or day (time going back), or a pause of
       * more than KD_REPLAY_GAP_S (logs are pasted in parts, hours apart):
       * the replay goes on KD_REPLAY_GAP_S later */
      if (!have_base || r->t < t_last) {
        t_base = r->t - (double)vt / 1e6;
        have_base = true;
      } else if (r->t - t_last > KD_REPLAY_GAP_S) {
        t_base += r->t - t_last - KD_REPLAY_GAP_S;
      }
      t_last = r->t;
      vt = (uint64_t)((r->t - t_base) * 1e6);
    } else {
      vt += 20000; /* no time stamp: 20 ms apart */
    }
    replay_pace(d, vt);
    switch (r->kind) {
      case KB_CAP_FRAME:
        if (r->source == KB_CAP_PANEL)
          (void)kb_engine_panel(&d->bus.engine, r->bytes, r->nbytes, r->bits, 0, (uint32_t)(vt / 1000u), &dec);
        else
          (void)kb_engine_module(&d->bus.engine, r->has_under ? r->under : 0, r->under_sub, r->bytes, r->nbytes,
                                 r->bits, (uint32_t)(vt / 1000u), &dec);
        break;
      case KB_CAP_CONNECTED:
      case KB_CAP_DISCONNECTED:
        kb_engine_connected(&d->bus.engine, r->kind == KB_CAP_CONNECTED, (uint32_t)(vt / 1000u));
        break;
      default:
        break;
    }
    handle_inbound(d);
    kd_flush(d);
  }
  kb_cap_free(&log);
  if (g_stop) return 0;
  kd_log(KD_INFO, "replay: end of %s (%lu frames): the bus is now reported disconnected", name,
         (unsigned long)kb_bus_health(&d->bus)->frames);
  kb_engine_connected(&d->bus.engine, false, (uint32_t)(vt / 1000u) + 3000u);
  return replay_idle(d);
}

/* --panel classic: a Classic VCD (clock, data and the wire named pc16 /
 * pc-16 / pgm) through kb_simc_port into the bus's Classic link, as a
 * port's interrupts would feed it; the task runs every millisecond of
 * capture time. */
static int run_replay_cls_vcd(kd_t *d, FILE *f, const char *name) {
  kb_vcd_reader_t r;
  kb_errs_t errs;
  kb_edge_t e;
  uint64_t last_poll = 0, t = 0;
  int rc, first = 1;
  memset(&errs, 0, sizeof errs);
  if (kb_vcd_open(&r, f, name, NULL, &errs) != 0) {
    for (size_t i = 0; i < errs.n; i++) kd_log(KD_ERROR, "replay: %s", errs.msg[i]);
    kb_errs_free(&errs);
    return 1;
  }
  kb_simc_port_init(&d->sim.cport, kb_bus_cls_link(&d->bus));
  while (!g_stop && (rc = kb_vcd_next(&r, &e)) == 1) {
    if (first) d->sim.v0 = last_poll = e.t_us, first = 0;
    t = e.t_us;
    replay_pace(d, t);
    (void)kb_simc_port_edge(&d->sim.cport, &e);
    if (t - last_poll >= 1000u) {
      kd_tick(d, (uint32_t)t);
      last_poll = t;
    }
  }
  if (g_stop) kb_vcd_close(&r);
  kb_simc_port_advance(&d->sim.cport, t + KB_SAMPLE_US);
  kb_cls_link_finish(kb_bus_cls_link(&d->bus));
  return replay_vcd_end(d, &errs, name, t);
}

/* --panel classic: KeybusReader's Classic text output (kb_classic_text.h),
 * its frames to the bus's Classic decoder in log mode (KeybusReader prints
 * a frame when it changed), timed by their stamps, as the PowerSeries text
 * replay does. */
static int run_replay_cls_text(kd_t *d, FILE *f, const char *name) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  double t_base = 0, t_last = 0;
  uint64_t vt = 0;
  bool have_base = false;
  unsigned long n_panel = 0, lineno = 0;
  kb_cls_set_mode(&d->bus.cls, KB_MODE_LOG);
  kb_cls_connected(&d->bus.cls, true, 0);
  while (!g_stop && (len = getline(&line, &cap, f)) >= 0) {
    kb_clt_line_t l;
    lineno++;
    switch (kb_clt_parse(line, (size_t)len, &l)) {
      case KB_CLT_PANEL:
      case KB_CLT_KEYPAD:
      case KB_CLT_CONNECTED:
      case KB_CLT_DISCONNECTED: break;
      case KB_CLT_ERROR: kd_log(KD_WARNING, "replay: %s:%lu: %s", name, lineno, l.err); continue;
      default: continue;
    }
    if (l.has_time) {
      if (!have_base || l.t < t_last) {
        t_base = l.t - (double)vt / 1e6;
        have_base = true;
      } else if (l.t - t_last > KD_REPLAY_GAP_S) {
        t_base += l.t - t_last - KD_REPLAY_GAP_S;
      }
      t_last = l.t;
      vt = (uint64_t)((l.t - t_base) * 1e6);
    } else {
      vt += KB_CLS_FRAME_MS * 1000u; /* no stamp: a frame period apart */
    }
    replay_pace(d, vt);
    if (l.kind == KB_CLT_PANEL) {
      kb_cls_frame_t fr;
      memset(&fr, 0, sizeof fr);
      memcpy(fr.d, l.b, 2);
      memcpy(fr.p, l.b + 2, 2);
      fr.k[0] = fr.k[1] = KB_CLS_KEY_NONE;
      fr.bits = KB_CLS_FRAME_BITS;
      (void)kb_cls_frame(&d->bus.cls, &fr, (uint32_t)(vt / 1000u));
      n_panel++;
    } else if (l.kind == KB_CLT_KEYPAD) {
      (void)kb_cls_keypad(&d->bus.cls, l.b[0], l.b[1], 8, (uint32_t)(vt / 1000u));
    } else {
      kb_cls_connected(&d->bus.cls, l.kind == KB_CLT_CONNECTED, (uint32_t)(vt / 1000u));
    }
    handle_inbound(d);
    kd_flush(d);
  }
  free(line);
  if (g_stop) return 0;
  if (!n_panel) {
    kd_log(KD_ERROR, "replay: %s holds no Classic panel frames", name);
    return 1;
  }
  kd_log(KD_INFO, "replay: end of %s (%lu Classic frames): the bus is now reported disconnected", name, n_panel);
  kb_cls_connected(&d->bus.cls, false, (uint32_t)(vt / 1000u) + 3000u);
  return replay_idle(d);
}

static int run_replay(kd_t *d) {
  kb_capture_kind_t kind;
  const char *name = d->conf.replay_file;
  FILE *f = kb_capture_open(name, &kind);
  int rc;
  if (!f) {
    kd_log(KD_ERROR, "replay: cannot read %s: %s", name, strerror(errno));
    return 1;
  }
  kd_log(KD_INFO, "replay: %s (%s) at %gx speed; commands are refused (a replay cannot write)", name,
         kind == KB_CAPTURE_VCD ? "VCD" : "text log", d->speed);
  d->sim.w0_ns = mono_ns();
  d->sim.v0 = 0; /* a VCD moves it to its first edge */
  if (d->conf.panel == KB_CONF_CLASSIC)
    rc = kind == KB_CAPTURE_VCD ? run_replay_cls_vcd(d, f, name) : run_replay_cls_text(d, f, name);
  else
    rc = kind == KB_CAPTURE_VCD ? run_replay_vcd(d, f, name) : run_replay_text(d, f, name);
  fclose(f);
  return rc;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: keybusd [--config FILE] [--backend sim|gpio|replay] [--replay FILE] [--speed X]\n"
          "               [--mqtt URL|off] [--device-id ID] [--http ADDR:PORT|off] [--demo]\n"
          "               [--log-level error|warning|info|debug] [--syslog] [--trace FILE]\n"
          "               [--sync-time] [--tpi ADDR:PORT|off] [--tpi-clients N]\n"
          "               [--tpi-http ADDR:PORT]\n"
          "               [--role panel|keypad] [--panel powerseries|classic]\n"
          "               [--check-config] [--version] [--help]\n"
          "  A DSC panel in Home Assistant over MQTT (docs/keybusd.md).\n"
          "  --role R         panel (default: read a DSC panel) or keypad (no panel: drive DSC keypads,\n"
          "                   docs/keypad-interface.md; backend sim or gpio)\n"
          "  --config FILE    INI configuration (default %s, if present)\n"
          "  --backend B      sim (the simulated panel, default), gpio (Linux GPIO), replay (a capture)\n"
          "  --panel P        powerseries (default) or classic (PC1500/PC1550/PC2550: gpio needs\n"
          "                   [gpio] pc16; docs/classic.md, docs/keybusd.md)\n"
          "  --replay FILE    replay a capture (any format keybus-reader reads; selects replay)\n"
          "  --speed X        simulated or replayed time runs X times real time (0.01-1000)\n"
          "  --mqtt URL       mqtt://[user@]host[:port] or mqtts://...; 'off' = no MQTT\n"
          "                   (password: config file or KEYBUS_MQTT_PASSWORD only)\n"
          "  --device-id ID   topics keybus/<ID>/..., unique ids (several panels on one broker)\n"
          "  --http ADDR:PORT the web keypad's address (default 127.0.0.1:8080); 'off' = none\n"
          "                   (another address needs a password: docs/web.md)\n"
          "  --demo           simulated panel: scripted activity (default: idle until poked)\n"
          "  --log-level L    error, warning, info (default) or debug\n"
          "  --syslog         log to syslog/journald instead of stderr\n"
          "  --trace FILE     benchmark trace: publish and key times (docs/keybusd.md)\n"
          "  --sync-time      keep the panel clock on the host's local time (needs [keybus]\n"
          "                   sync_time_code, sync_time_code_file or KEYBUS_SYNC_TIME_CODE)\n"
          "  --tpi ADDR:PORT  speak the Envisalink TPI (DSC) for Envisalink clients, e.g.\n"
          "                   127.0.0.1:4025 ([tpi] listen; default off; docs/tpi.md). Needs a\n"
          "                   password ([tpi] password/password_file or KEYBUS_TPI_PASSWORD);\n"
          "                   [tpi] code or KEYBUS_TPI_CODE (optional) is the code typed when an\n"
          "                   arm asks for one (else the client is asked: 900)\n"
          "  --tpi-clients N  TPI clients at once, 1-4 (default 4; 1 = like a real Envisalink)\n"
          "  --tpi-http ADDR:PORT  with the web keypad off: serve only the TPI's discovery\n"
          "                   pages /2 and /3 there (else the keypad's server has them)\n"
          "  --check-config   validate the configuration, print the effective one, exit\n"
          "  exit 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 usage or configuration error\n",
          KB_CONF_DEFAULT_PATH);
}

/* 127.0.0.0/8, ::1, localhost: only this machine reaches it */
static bool http_loopback(const char *a) {
  return !strncmp(a, "127.", 4) || !strcmp(a, "::1") || !strcmp(a, "localhost") ||
         !strcmp(a, "0:0:0:0:0:0:0:1");
}

static int need_arg(int argc, char **argv, int i) {
  if (i + 1 >= argc) {
    fprintf(stderr, "keybusd: %s needs a value\n", argv[i]);
    usage(stderr);
    return 0;
  }
  return 1;
}

/* ADDR:PORT (an IPv6 address in brackets: [::1]:4025) */
static int tpi_parse_addr(const char *flag, const char *v, char *addr, size_t cap, int *port_out) {
  const char *colon = strrchr(v, ':');
  const char *a = v;
  size_t al;
  char *end;
  long port;
  if (!colon || colon == v) goto bad;
  al = (size_t)(colon - v);
  if (v[0] == '[') {
    if (al < 3 || v[al - 1] != ']') goto bad;
    a = v + 1;
    al -= 2;
  }
  if (al >= cap) goto bad;
  port = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == 0 || port < 0 || port > 65535) goto bad;
  memcpy(addr, a, al);
  addr[al] = 0;
  *port_out = (int)port;
  return 0;
bad:
  fprintf(stderr, "keybusd: %s: expected ADDR:PORT (e.g. 127.0.0.1:4025, [::1]:4025)%s, got \"%s\"\n", flag,
          strcmp(flag, "--tpi") ? "" : " or off", v);
  return -1;
}


/* The made-up MAC of the discovery page /3 (clients use it as the device's
 * unique id): a locally administered address from the device id, so it
 * stays the same from run to run and differs between panels. */
static void tpi_identity(kd_t *d) {
  uint32_t h = 2166136261u;
  for (const char *p = d->conf.device_id; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
  snprintf(d->tpi.mac, sizeof d->tpi.mac, "02%02X%02X%02X%02X%02X", (unsigned)(h >> 24) & 255u,
           (unsigned)(h >> 16) & 255u, (unsigned)(h >> 8) & 255u, (unsigned)h & 255u,
           (unsigned)((h * 31u) >> 24) & 255u);
  snprintf(d->tpi.firmware, sizeof d->tpi.firmware, "keybusd-%s", KD_VERSION);
}

/* The TPI's secrets from the environment (docs/tpi.md): checked before
 * anything starts; 0 when fine, else the message is printed. */
static int tpi_check(kd_t *d) {
  const char *pw = d->conf.tpi_password.value;
  d->tpi.on = d->conf.tpi_enabled;
  snprintf(d->tpi.addr, sizeof d->tpi.addr, "%s", d->conf.tpi_addr);
  d->tpi.port = d->conf.tpi_port;
  if (!d->tpi.clients) d->tpi.clients = d->conf.tpi_clients; /* --tpi-clients wins */
  if (!d->tpi.on) return 0;
  if (!pw || !pw[0]) {
    fprintf(stderr,
            "keybusd: [tpi] listen = %s%s%s:%d needs a password: set [tpi] password or password_file, or "
            "KEYBUS_TPI_PASSWORD (1-%d characters; Envisalink clients send it at login)%s (docs/tpi.md)\n",
            strchr(d->tpi.addr, ':') ? "[" : "", d->tpi.addr, strchr(d->tpi.addr, ':') ? "]" : "", d->tpi.port,
            KD_TPI_PASSWORD_MAX,
            http_loopback(d->tpi.addr) ? "" : "; the address is reachable from other machines, where anyone could arm and disarm");
    return -1;
  }
  if (strlen(pw) > KD_TPI_PASSWORD_MAX) {
    fprintf(stderr, "keybusd: [tpi] password: at most %d characters\n", KD_TPI_PASSWORD_MAX);
    return -1;
  }
  for (const char *p = pw; *p; p++)
    if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7E) {
      fprintf(stderr, "keybusd: [tpi] password: printable characters only, no spaces\n");
      return -1;
    }
  return 0; /* the code's digits: checked by kb_conf_finish */
}

static int setup_ha(kd_t *d) {
  kb_conf_t *c = &d->conf;
  kb_ha_config_t *h = &d->ha;
  uint8_t nz = 0;
  memset(h, 0, sizeof *h);
  h->prefix = c->topic_prefix;
  h->discovery = c->discovery_prefix;
  h->device_id = c->device_id;
  snprintf(d->dev_name, sizeof d->dev_name, "%s",
           c->backend == KB_CONF_SIM ? "DSC panel (simulated)" : c->backend == KB_CONF_REPLAY ? "DSC panel (replay)" : "DSC panel");
  h->name = d->dev_name;
  if (c->panel == KB_CONF_CLASSIC) h->model = c->backend == KB_CONF_SIM ? "Classic (simulated by keybusd)" : "Classic";
  else h->model = c->backend == KB_CONF_SIM ? "PowerSeries (simulated by keybusd)" : "PowerSeries";
  h->sw_version = KD_VERSION;
  for (int p = 1; p <= KB_CONF_PARTITIONS && p <= KB_MAX_PARTITIONS; p++)
    if (c->partition[p].used) h->partitions |= (uint8_t)(1u << (p - 1));
  for (int z = 1; z <= KB_CONF_ZONES && z <= KB_MAX_ZONES; z++) {
    kb_ha_class_t k;
    if (!c->zone[z].used) continue;
    /* one name list on both sides (tests/unit/ha/test_ha.c checks it) */
    k = kb_ha_class_parse(kb_conf_class_name(c->zone[z].device_class));
    if (k == KB_HA_CLASS_COUNT) k = KB_HA_CLASS_OPENING;
    d->zones[nz].zone = (uint8_t)z;
    d->zones[nz].dev_class = (uint8_t)k;
    d->zones[nz].name = c->zone[z].name[0] ? c->zone[z].name : NULL;
    nz++;
  }
  h->n_zones = nz;
  h->zones = d->zones;
  {
    static const char *names[KB_CONF_USERS];
    int n = 0;
    for (int u = 1; u <= KB_CONF_USERS && u <= KB_HA_USERS_MAX; u++) {
      names[u - 1] = c->user[u][0] ? c->user[u] : NULL;
      if (c->user[u][0]) n = u;
    }
    h->user_names = names;
    h->n_user_names = (uint8_t)n;
  }
  h->pgm_outputs = c->pgm_outputs;
  h->button_outputs = (uint8_t)c->button_outputs;
  h->alarm_buttons = (uint8_t)((c->button_fire ? KB_HA_BTN_FIRE : 0u) | (c->button_aux ? KB_HA_BTN_AUX : 0u) |
                               (c->button_panic ? KB_HA_BTN_PANIC : 0u));
  if (kb_ha_config_check(h) != KB_OK) {
    fprintf(stderr,
            "keybusd: the configuration cannot be shown to Home Assistant: device_id must be 1-%d of A-Z a-z 0-9 _ -, "
            "topic prefixes without wildcards, names of at most %d printable characters\n",
            KB_HA_ID_MAX, KB_HA_NAME_MAX);
    return -1;
  }
  d->n_entities = kb_ha_entities(h);
  if (kb_ha_topic(h, KB_HA_TOPIC_STATUS, d->t_status, sizeof d->t_status, NULL) != KB_OK ||
      kb_ha_topic(h, KB_HA_TOPIC_COMMAND, d->t_command, sizeof d->t_command, NULL) != KB_OK ||
      kb_ha_topic(h, KB_HA_TOPIC_RESULT, d->t_result, sizeof d->t_result, NULL) != KB_OK ||
      kb_ha_topic(h, KB_HA_TOPIC_HA_STATUS, d->t_ha_status, sizeof d->t_ha_status, NULL) != KB_OK) {
    fprintf(stderr, "keybusd: the topics do not fit %d bytes: shorten topic_prefix or device_id\n", KB_HA_TOPIC_SIZE);
    return -1;
  }
  snprintf(d->t_sim, sizeof d->t_sim, "%s/%s/sim", c->topic_prefix, c->device_id);
  if (kd_xpd_topic(h, d->t_vzone, sizeof d->t_vzone) != KB_OK) {
    fprintf(stderr, "keybusd: the topics do not fit %d bytes: shorten topic_prefix or device_id\n", KB_HA_TOPIC_SIZE);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  kd_t *d = &D;
  kb_conf_err_t err;
  const char *config = NULL, *level = NULL;
  int check = 0, errors = 0, rc = 0, use_syslog = -1;
  bool mqtt_off = false;
  double speed = 0;
  kb_bus_cfg_t bc;

  memset(&err, 0, sizeof err);
  kb_conf_init(&d->conf);
  d->tpi.http_port = -1;
  /* the config file first, whatever the position of --config */
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--config")) {
      if (!need_arg(argc, argv, i)) return 2;
      config = argv[i + 1];
    }
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--version")) {
      printf("keybusd %s (keybus API %d.%d.%d)\n", KD_VERSION, KB_API_VERSION_MAJOR, KB_API_VERSION_MINOR,
             KB_API_VERSION_PATCH);
      return 0;
    }
  }
  errors += kb_conf_load(&d->conf, config ? config : KB_CONF_DEFAULT_PATH, config != NULL, &err);
  { /* [expander]: kb_conf skips it, kd_xpd reads it (its errors join kb_conf's) */
    char xerr[KD_XPD_ERR_MAX];
    size_t n = strlen(err.text);
    int xe;
    kd_xpd_conf_init(&d->xpd_conf);
    xe = kd_xpd_conf_load(&d->xpd_conf, config ? config : KB_CONF_DEFAULT_PATH, false, xerr, sizeof xerr);
    if (xe) snprintf(err.text + n, sizeof err.text - n, "%s", xerr);
    errors += xe;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--config")) {
      i++;
    } else if (!strcmp(a, "--backend") || !strcmp(a, "--replay") || !strcmp(a, "--device-id") ||
               !strcmp(a, "--http") || !strcmp(a, "--mqtt") || !strcmp(a, "--tpi") ||
               !strcmp(a, "--panel")) {
      if (!need_arg(argc, argv, i)) return 2;
      if (!strcmp(a, "--mqtt") && !strcmp(argv[i + 1], "off")) mqtt_off = true;
      else errors += kb_conf_set(&d->conf, a + 2, argv[i + 1], &err);
      i++;
    } else if (!strcmp(a, "--speed")) {
      char *end;
      if (!need_arg(argc, argv, i)) return 2;
      speed = strtod(argv[++i], &end);
      if (*end || !(speed >= 0.01 && speed <= 1000)) {
        fprintf(stderr, "keybusd: --speed: expected a number from 0.01 to 1000, got \"%s\"\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(a, "--log-level")) {
      if (!need_arg(argc, argv, i)) return 2;
      level = argv[++i];
      if (kd_log_level_parse(level) < 0) {
        fprintf(stderr, "keybusd: --log-level: expected error, warning, info or debug, got \"%s\"\n", level);
        return 2;
      }
    } else if (!strcmp(a, "--trace")) {
      if (!need_arg(argc, argv, i)) return 2;
      d->trace_path = argv[++i];
    } else if (!strcmp(a, "--demo")) {
      d->demo = true;
    } else if (!strcmp(a, "--syslog")) {
      use_syslog = 1;
    } else if (!strcmp(a, "--check-config")) {
      check = 1;
    } else if (!strcmp(a, "--sync-time")) {
      d->conf.sync_time = true;
    } else if (!strcmp(a, "--role")) {
      if (!need_arg(argc, argv, i)) return 2;
      i++;
      if (strcmp(argv[i], "keypad") && strcmp(argv[i], "panel")) {
        fprintf(stderr, "keybusd: --role: expected panel or keypad, got \"%s\"\n", argv[i]);
        return 2;
      }
      d->role_keypad = !strcmp(argv[i], "keypad");
    } else if (!strcmp(a, "--tpi-http")) {
      if (!need_arg(argc, argv, i)) return 2;
      if (tpi_parse_addr("--tpi-http", argv[++i], d->tpi.http_addr, sizeof d->tpi.http_addr, &d->tpi.http_port) != 0)
        return 2;
    } else if (!strcmp(a, "--tpi-clients")) {
      char *end;
      long v;
      if (!need_arg(argc, argv, i)) return 2;
      v = strtol(argv[++i], &end, 10);
      if (*end || v < 1 || v > KD_TPI_CLIENTS) {
        fprintf(stderr, "keybusd: --tpi-clients: expected 1 to %d, got \"%s\"\n", KD_TPI_CLIENTS, argv[i]);
        return 2;
      }
      d->tpi.clients = (int)v;
    } else {
      fprintf(stderr, "keybusd: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (mqtt_off) d->conf.mqtt_enabled = false;
  errors += kb_conf_finish(&d->conf, getenv, &err);
  if (errors) {
    fputs(err.text, stderr);
    fprintf(stderr, "keybusd: %d error%s in the configuration\n", errors, errors == 1 ? "" : "s");
    return 2;
  }
  /* the TLS files are read by libmosquitto at each connect: one that is
   * missing or unreadable is a configuration error now, not a retry loop */
  if (d->conf.mqtt_enabled && d->conf.mqtt_tls) {
    const char *f[3] = {d->conf.tls_ca, d->conf.tls_cert, d->conf.tls_key};
    static const char *const key[3] = {"tls_ca", "tls_cert", "tls_key"};
    for (int k = 0; k < 3; k++)
      if (f[k][0] && access(f[k], R_OK) != 0) {
        fprintf(stderr, "%s: [mqtt] %s: cannot read %s: %s\n", d->conf.file, key[k], f[k], strerror(errno));
        errors++;
      }
    if (errors) {
      fprintf(stderr, "keybusd: %d error%s in the configuration\n", errors, errors == 1 ? "" : "s");
      return 2;
    }
  }
  d->speed = speed > 0 ? speed : d->conf.replay_speed;
  /* the panel's *6 menu needs a code: without one, setting the clock could
   * only fail, every time */
  if (d->conf.sync_time && !d->conf.sync_time_code.value[0]) {
    fprintf(stderr,
            "keybusd: --sync-time (or [keybus] sync_time) needs the access code that opens the panel's *6 menu: set "
            "[keybus] sync_time_code or sync_time_code_file, or KEYBUS_SYNC_TIME_CODE (docs/keybusd.md)\n");
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  if (d->conf.sync_time && !d->conf.partition[d->conf.sync_time_partition].used) {
    fprintf(stderr, "keybusd: [keybus] sync_time_partition = %d is not one of the configured partitions\n",
            d->conf.sync_time_partition);
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  /* the web keypad types keys on the alarm panel: anyone who can reach it
   * must first give a password, unless only this machine can */
  if (d->conf.http_enabled && !http_loopback(d->conf.http_addr) && !d->conf.http_password.value[0]) {
    fprintf(stderr,
            "keybusd: [http] listen = %s:%d is reachable from other machines and no password is set: set [http] "
            "password or password_file, or KEYBUS_HTTP_PASSWORD, or listen on 127.0.0.1 (docs/web.md)\n",
            d->conf.http_addr, d->conf.http_port);
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  if (tpi_check(d) != 0) {
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  if (d->tpi.http_port >= 0 && (!d->tpi.on || d->conf.http_enabled)) {
    fprintf(stderr, "keybusd: --tpi-http is for --tpi with the web keypad off ([http] off / --http off): the "
                    "keypad's own server serves /2 and /3 otherwise\n");
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  if (d->conf.panel == KB_CONF_CLASSIC && (d->xpd_conf.expanders || d->role_keypad)) {
    fprintf(stderr, "keybusd: --panel classic: %s\n",
            d->role_keypad ? "--role keypad drives PowerSeries keypads (use --panel powerseries)"
                           : "[expander] virtual zones need a PowerSeries panel (the Classic has no zone expanders)");
    fprintf(stderr, "keybusd: 1 error in the configuration\n");
    return 2;
  }
  if (setup_ha(d) != 0) return 2;
  tpi_identity(d);
  if (check) {
    kb_conf_dump(&d->conf, stdout);

    if (d->conf.panel == KB_CONF_CLASSIC) {
      /* the entities a Classic panel can report (the others are announced
       * empty: docs/home-assistant.md, "Classic panels") */
      static kb_cls_t cls;
      size_t n = 0;
      kb_cls_init(&cls, KB_MODE_LIVE, NULL, NULL);
      for (size_t i = 0; i < d->n_entities; i++) n += kb_ha_present(&d->ha, i, &cls.status);
      printf("# configuration OK: %zu Home Assistant entities, %zu of them on a Classic panel\n", d->n_entities, n);
    } else {
      printf("# configuration OK: %zu Home Assistant entities\n", d->n_entities);
    }
    return 0;
  }
  kd_log_init(level ? (kd_level_t)kd_log_level_parse(level) : (kd_level_t)d->conf.log_level,
              use_syslog >= 0 ? use_syslog != 0 : d->conf.log_syslog);
  if (d->trace_path) {
    d->trace = fopen(d->trace_path, "a");
    if (!d->trace) {
      fprintf(stderr, "keybusd: cannot write %s: %s\n", d->trace_path, strerror(errno));
      return 2;
    }
  }
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a sleep ends at the signal */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
  }
  d->t_start_ns = mono_ns();
  d->clk.partition = (uint8_t)d->conf.sync_time_partition;
  d->clk.panel_at_s = d->clk.last_key_s = d->clk.last_ok_s = d->clk.last_try_s = d->clk.checked_s = -1;
  d->clk.last_why = -1;
  if (d->conf.sync_time && d->conf.backend == KB_CONF_REPLAY)
    kd_log(KD_WARNING, "panel clock: --sync-time is off: a replay cannot write to the bus");
  else if (d->conf.sync_time) {
    d->clk.on = true;
    kd_log(KD_INFO, "panel clock: kept on the host's local time, on partition %u (at most once a day unless it drifts)",
           (unsigned)d->clk.partition);
  }
  /* sleeps end when asked, not up to 50 µs later (the default timer
   * slack): the simulated bus is paced by them. Before the MQTT thread
   * starts, which inherits it. */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  memset(&bc, 0, sizeof bc);
  bc.event_cb = on_event;
  bc.event_ctx = d;
  bc.keys_cb = on_keys;
  bc.keys_ctx = d;
  kb_bus_init(&d->bus, &bc);
  if (d->conf.panel == KB_CONF_CLASSIC && kb_bus_set_series(&d->bus, KB_SERIES_CLASSIC) != KB_OK) {
    kd_log(KD_ERROR, "the bus refused the Classic series");
    return 1;
  }
  d->sub_vzone = -1;
  kb_xpd_init(&d->xpd);
  if (kd_xpd_start(&d->xpd_conf, &d->xpd, &d->bus) != KB_OK) {
    kd_log(KD_ERROR, "virtual zone expander: cannot attach it to the bus");
    return 1;
  }
  if (d->xpd_conf.expanders)
    kd_log(KD_INFO, "virtual zone expander: expanders 0x%02X, %zu virtual zone(s)%s", d->xpd_conf.expanders,
           kd_xpd_count(&d->xpd_conf),
           d->conf.backend == KB_CONF_REPLAY ? " (a replay cannot write: they change nothing)" : "");
  kd_log(KD_INFO, "keybusd %s starting: backend %s, panel %s, device id %s", KD_VERSION,
         kb_conf_backend_name(d->conf.backend), kb_conf_panel_name(d->conf.panel), d->conf.device_id);
  if (d->conf.http_enabled) {
    kd_web_cfg_t wc;
    memset(&wc, 0, sizeof wc);
    wc.password = d->conf.http_password.value;
    wc.bind_addr = d->conf.http_addr;
    wc.port = d->conf.http_port;
    wc.simulated = d->conf.backend == KB_CONF_SIM;
    wc.alarm_keys[0] = d->conf.button_fire;
    wc.alarm_keys[1] = d->conf.button_aux;
    wc.alarm_keys[2] = d->conf.button_panic;
    if (d->tpi.on) { /* the discovery pages /2 and /3 (docs/tpi.md) */
      wc.tpi_password = d->conf.tpi_password.value;
      wc.tpi_mac = d->tpi.mac;
      wc.tpi_firmware = d->tpi.firmware;
    }
    d->web = kd_web_new(&wc);
    /* the password now lives hashed in the hub only */
    memset(d->conf.http_password.value, 0, sizeof d->conf.http_password.value);
    if (!d->web) return 1;
    d->web_dirty = true;
    web_update(d);
    d->http = kd_http_start(d->web, d->conf.http_addr, d->conf.http_port);
    if (d->http) {
      bool v6 = strchr(d->conf.http_addr, ':') != NULL;
      kd_log(KD_INFO, "web keypad: http://%s%s%s:%d/%s", v6 ? "[" : "",
             !strcmp(d->conf.http_addr, "0.0.0.0") || !strcmp(d->conf.http_addr, "::") ? "<this machine>" : d->conf.http_addr,
             v6 ? "]" : "", kd_http_port(d->http), wc.simulated ? " (simulated panel)" : "");
    }
  } else if (d->tpi.on && d->tpi.http_port >= 0) {
    /* the keypad is off: a server for the TPI's discovery pages only */
    kd_web_cfg_t wc;
    memset(&wc, 0, sizeof wc);
    wc.bind_addr = d->tpi.http_addr;
    wc.port = d->tpi.http_port;
    wc.tpi_password = d->conf.tpi_password.value;
    wc.tpi_mac = d->tpi.mac;
    wc.tpi_firmware = d->tpi.firmware;
    wc.tpi_only = true;
    d->web = kd_web_new(&wc);
    if (!d->web) return 1;
    d->http = kd_http_start(d->web, d->tpi.http_addr, d->tpi.http_port);
    if (!d->http) return 1;
    kd_log(KD_INFO, "web keypad: off; the TPI's discovery pages /2 and /3 on port %d", kd_http_port(d->http));
  } else {
    kd_log(KD_INFO, "web keypad: off");
  }
  if (d->tpi.on) {
    kd_tpi_cfg_t tc;
    memset(&tc, 0, sizeof tc);
    tc.password = d->conf.tpi_password.value;
    tc.arm_code = d->conf.tpi_code.value[0] ? d->conf.tpi_code.value : NULL;
    for (int p = 1; p <= KB_CONF_PARTITIONS && p <= KB_MAX_PARTITIONS; p++)
      if (d->conf.partition[p].used) tc.partitions |= (uint8_t)(1u << (p - 1));
    for (int z = 1; z <= KB_CONF_ZONES && z <= KB_MAX_ZONES; z++)
      if (d->conf.zone[z].used) tc.zone_partition[z - 1] = (uint8_t)d->conf.zone[z].partition;
    tc.code_length = (uint8_t)d->conf.code_length;
    tc.max_clients = (uint8_t)d->tpi.clients;
    tc.writable = d->conf.backend != KB_CONF_REPLAY;
    if (!kd_tpi_init(&d->tpi.tpi, &tc)) {
      kd_log(KD_ERROR, "tpi: the password or the code is not usable");
      return 1;
    }
    /* the secrets now live in kd_tpi (and the web hub) only */
    memset(d->conf.tpi_password.value, 0, sizeof d->conf.tpi_password.value);
    memset(d->conf.tpi_code.value, 0, sizeof d->conf.tpi_code.value);
    d->tpi.net = kd_tpi_net_start(&d->tpi.tpi, d->tpi.addr, d->tpi.port);
    if (!d->tpi.net) return 1;
    kd_log(KD_INFO, "tpi: Envisalink TPI on %s%s%s:%d (%d client%s at most)%s", strchr(d->tpi.addr, ':') ? "[" : "",
           d->tpi.addr, strchr(d->tpi.addr, ':') ? "]" : "", kd_tpi_net_port(d->tpi.net), d->tpi.tpi.cfg.max_clients,
           d->tpi.tpi.cfg.max_clients == 1 ? "" : "s",
           d->conf.backend == KB_CONF_REPLAY ? ", read only (replay)" : "");
  }
  if (d->conf.mqtt_enabled) {
    kd_mqtt_cfg_t mc;
    memset(&mc, 0, sizeof mc);
    mc.host = d->conf.mqtt_host;
    mc.port = d->conf.mqtt_port;
    mc.tls = d->conf.mqtt_tls;
    mc.ca = d->conf.tls_ca;
    mc.cert = d->conf.tls_cert;
    mc.key = d->conf.tls_key;
    mc.user = d->conf.mqtt_user;
    mc.password = d->conf.mqtt_password.value;
    mc.client_id = d->conf.mqtt_client_id;
    mc.keepalive = d->conf.mqtt_keepalive;
    mc.status_topic = d->t_status;
    mc.subs[SUB_COMMAND] = d->t_command;
    mc.subs[SUB_HA_STATUS] = d->t_ha_status;
    mc.nsubs = 2;
    if (d->conf.backend == KB_CONF_SIM) mc.subs[mc.nsubs++] = d->t_sim;
    if (d->role_keypad) {
      kd_keypad_cfg_t kc = {d->conf.topic_prefix, d->conf.discovery_prefix, d->conf.device_id, 8, KD_VERSION};
      d->sub_keypad = mc.nsubs;
      mc.subs[mc.nsubs++] = kd_keypad_sub(&kc, d->t_keypad, sizeof d->t_keypad);
    }
    if (d->xpd_conf.zones) {
      d->sub_vzone = mc.nsubs;
      mc.subs[mc.nsubs++] = d->t_vzone;
    }
    mc.overflow = on_overflow;
    mc.overflow_ctx = d;
    d->mq = kd_mqtt_start(&mc);
    /* the password now lives in libmosquitto only */
    memset(d->conf.mqtt_password.value, 0, sizeof d->conf.mqtt_password.value);
    if (!d->mq) return 1;
  } else {
    kd_log(KD_INFO, "mqtt: off");
  }
  if (d->role_keypad) {
    kd_keypad_run_cfg_t kr;
    const kb_conf_t *c = &d->conf;
    memset(&kr, 0, sizeof kr);
    kr.kp.prefix = c->topic_prefix;
    kr.kp.discovery = c->discovery_prefix;
    kr.kp.id = c->device_id;
    kr.kp.zones = 8;
    kr.kp.version = KD_VERSION;
    kr.sim = c->backend != KB_CONF_GPIO;
    kr.mq = d->mq;
    kr.sub_command = d->sub_keypad;
    kr.sub_ha_status = SUB_HA_STATUS;
    kr.sim_keys = d->demo ? "1234#" : NULL;
    /* the reader's lines: the clock line becomes the clock output */
    if (c->gpio_chip[0] == '/') kr.gpio.chip_path = c->gpio_chip;
    else if (c->gpio_chip[0]) kr.gpio.chip_label = c->gpio_chip;
    if (c->gpio_clock.name[0]) kr.gpio.clock_name = c->gpio_clock.name;
    else kr.gpio.clock_offset = (unsigned)c->gpio_clock.offset;
    if (c->gpio_data.name[0]) kr.gpio.data_name = c->gpio_data.name;
    else kr.gpio.data_offset = (unsigned)c->gpio_data.offset;
    if (c->gpio_write.name[0]) kr.gpio.write_name = c->gpio_write.name;
    else kr.gpio.write_offset = (unsigned)c->gpio_write.offset;
    if (c->backend == KB_CONF_REPLAY) {
      kd_log(KD_ERROR, "--role keypad: backend sim or gpio (a replay has no keypad to drive)");
      rc = 2;
    } else if (!kr.sim && !c->gpio_write.name[0] && c->gpio_write.offset < 0) {
      kd_log(KD_ERROR, "--role keypad: the gpio backend needs the write line ([gpio] write)");
      rc = 2;
    } else {
      rc = kd_keypad_run(&kr, &g_stop);
    }
  } else switch (d->conf.backend) {
    case KB_CONF_GPIO: rc = run_gpio(d); break;
    case KB_CONF_REPLAY: rc = run_replay(d); break;
    default: rc = d->conf.panel == KB_CONF_CLASSIC ? run_sim_classic(d) : run_sim(d); break;
  }
  kd_log(KD_INFO, "stopping%s", g_stop ? " (signal)" : "");
  /* the write line first: released whatever happens next */
  kb_gpio_close(d->gpio);
  d->gpio = NULL;
  kd_mqtt_stop(d->mq, 2000);
  kd_http_stop(d->http);
  kd_web_free(d->web);
  kd_tpi_net_stop(d->tpi.net);
  kd_tpi_wipe(&d->tpi.tpi);
  if (d->trace) fclose(d->trace);
  return rc;
}
