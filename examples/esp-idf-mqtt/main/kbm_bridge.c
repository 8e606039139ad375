/* SPDX-License-Identifier: MIT
 *
 * kbm_bridge.c - the example's Home Assistant bridge (kbm_bridge.h): the
 * order keybusd publishes in (apps/keybusd/main.c, kd_flush), over a
 * publish function. No ESP-IDF header, no allocation.
 */
#include "kbm_bridge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* announce phases, in publishing order */
enum { A_NONE = 0, A_ONLINE, A_DISCOVERY, A_STATES, A_HEALTH, A_LAST };

/* notes of the keybus task (kbm_note_t.kind) */
enum { N_BUS_UP = 1, N_BUS_DOWN, N_ALARM, N_CMD_END, N_DROPPED };

/* what take() prepared in b->out */
typedef enum { T_NOTHING = 0, T_MSG, T_HEALTH } take_t;

static void say(kbm_bridge_t *b, kbm_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void say(kbm_bridge_t *b, kbm_level_t level, const char *fmt, ...) {
  char line[KBM_LOG_LINE];
  va_list ap;
  if (!b->io.log) return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  b->io.log(b->io.ctx, level, line);
}

static void lock(kbm_bridge_t *b) {
  if (b->io.lock) b->io.lock(b->io.ctx);
}
static void unlock(kbm_bridge_t *b) {
  if (b->io.unlock) b->io.unlock(b->io.ctx);
}
static uint32_t now_ms(kbm_bridge_t *b) { return b->io.now_ms ? b->io.now_ms(b->io.ctx) : 0; }

/* FNV-1a, never 0 (0 = nothing sent) */
static uint32_t hash(const char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h ? h : 1u;
}

static bool dirty_get(const kb_ha_dirty_t *d, size_t i) { return (d->bits[i / 32] >> (i % 32)) & 1u; }
static void dirty_clear(kb_ha_dirty_t *d, size_t i) { d->bits[i / 32] &= ~(1u << (i % 32)); }

kb_err_t kbm_init(kbm_bridge_t *b, const kb_ha_config_t *ha, const kbm_io_t *io) {
  kb_err_t e;
  memset(b, 0, sizeof *b);
  b->io = *io;
  b->ha = *ha;
  b->out.entity = -1;
  if ((e = kb_ha_config_check(&b->ha)) != KB_OK) return e;
  b->n_entities = kb_ha_entities(&b->ha);
  if (b->n_entities > KB_HA_ENTITIES_MAX) return KB_ERR_ARG;
  if ((e = kb_ha_topic(&b->ha, KB_HA_TOPIC_STATUS, b->t_status, sizeof b->t_status, NULL)) != KB_OK ||
      (e = kb_ha_topic(&b->ha, KB_HA_TOPIC_COMMAND, b->t_command, sizeof b->t_command, NULL)) != KB_OK ||
      (e = kb_ha_topic(&b->ha, KB_HA_TOPIC_RESULT, b->t_result, sizeof b->t_result, NULL)) != KB_OK ||
      (e = kb_ha_topic(&b->ha, KB_HA_TOPIC_HA_STATUS, b->t_ha_status, sizeof b->t_ha_status, NULL)) != KB_OK)
    return e;
  return KB_OK;
}

/* ------------------------------------------------- queue (bridge lock held) */

static void note(kbm_bridge_t *b, uint8_t kind, unsigned partition, unsigned id, const char *word) {
  kbm_note_t *n;
  if (b->notes_len == KBM_NOTES) {
    b->notes_lost++;
    return;
  }
  n = &b->notes[(b->notes_head + b->notes_len++) % KBM_NOTES];
  n->kind = kind;
  n->partition = (uint8_t)partition;
  n->id = (uint16_t)id;
  n->word = word;
}

/* the notes, logged here (publisher task; no lock held while logging) */
static void say_notes(kbm_bridge_t *b) {
  for (;;) {
    kbm_note_t n;
    unsigned lost;
    lock(b);
    if (!b->notes_len) {
      unlock(b);
      return;
    }
    n = b->notes[b->notes_head];
    b->notes_head = (b->notes_head + 1) % KBM_NOTES;
    b->notes_len--;
    lost = b->notes_lost;
    b->notes_lost = 0;
    unlock(b);
    if (lost) say(b, KBM_LOG_WARNING, "(%u log lines of the keybus task lost)", lost);
    switch (n.kind) {
      case N_BUS_UP: say(b, KBM_LOG_INFO, "keybus: connected (frames are arriving)"); break;
      case N_BUS_DOWN:
        say(b, KBM_LOG_WARNING, "keybus: disconnected (no clock for 3 s): entities are unavailable until it is back");
        break;
      case N_ALARM: say(b, KBM_LOG_WARNING, "partition %u: ALARM", (unsigned)n.partition); break;
      case N_CMD_END:
        say(b, n.word && !strcmp(n.word, "done") ? KBM_LOG_INFO : KBM_LOG_WARNING, "command %u (partition %u): %s",
            (unsigned)n.id, (unsigned)n.partition, n.word ? n.word : "?");
        break;
      case N_DROPPED: say(b, KBM_LOG_WARNING, "mqtt: a message was dropped (the queue to the broker is full)"); break;
      default: break;
    }
  }
}

static void evq_push(kbm_bridge_t *b, const char *topic, size_t topic_len, const char *payload, size_t len,
                     bool retain) {
  kbm_msg_t *m;
  if (b->evq_len == KBM_EVQ || len >= sizeof m->payload || topic_len >= sizeof m->topic) {
    b->st.dropped++;
    note(b, N_DROPPED, 0, 0, NULL);
    return;
  }
  m = &b->evq[(b->evq_head + b->evq_len++) % KBM_EVQ];
  memcpy(m->topic, topic, topic_len);
  m->topic[topic_len] = 0;
  memcpy(m->payload, payload, len);
  m->payload[len] = 0;
  m->len = (uint16_t)len;
  m->retain = retain;
}

/* a result on <prefix>/<id>/result; the command's id, never its code */
static void result(kbm_bridge_t *b, const kb_ha_cmd_t *cmd, const char *word, const char *detail) {
  char buf[KB_HA_RESULT_SIZE];
  size_t len;
  if (kb_ha_result_json(cmd, word, detail, buf, sizeof buf, &len) != KB_OK) return;
  evq_push(b, b->t_result, strlen(b->t_result), buf, len, false);
}

/* ------------------------------------------------------------- keybus task */

void kbm_on_poll(void *ctx, kb_bus_t *bus) {
  kbm_bridge_t *b = ctx;
  b->bus = bus;
}

void kbm_on_event(void *ctx, const kb_event_t *ev) {
  kbm_bridge_t *b = ctx;
  kb_ha_msg_t m;
  lock(b);
  if (kb_ha_mark(&b->ha, ev, &b->dirty) & KB_HA_MARK_ANNOUNCE) b->announce_req = true;
  /* event entities (not retained: they describe this moment) go out only
   * while connected; the retained last event is kept for each announce */
  m.topic = b->scratch.topic;
  m.topic_size = sizeof b->scratch.topic;
  m.payload = b->scratch.payload;
  m.payload_size = sizeof b->scratch.payload;
  for (unsigned i = 0; kb_ha_event_msg(&b->ha, ev, b->bus ? kb_bus_status(b->bus) : NULL, i, &m) == KB_OK; i++) {
    if (b->connected) evq_push(b, m.topic, m.topic_len, m.payload, m.payload_len, m.retain);
    if (m.retain) {
      memcpy(b->last_event.topic, m.topic, m.topic_len + 1);
      memcpy(b->last_event.payload, m.payload, m.payload_len + 1);
      b->last_event.len = (uint16_t)m.payload_len;
      b->last_event.retain = true;
      b->have_last_event = true;
    }
  }
  if (ev->type == KB_EV_CONNECTED) {
    b->bus_connected = ev->state.on;
    b->health_due = true;
    note(b, ev->state.on ? N_BUS_UP : N_BUS_DOWN, 0, 0, NULL);
  } else if (ev->type == KB_EV_ALARM && ev->state.on) {
    note(b, N_ALARM, ev->partition, 0, NULL);
  }
  unlock(b);
}

void kbm_on_keys(void *ctx, const kb_keys_note_t *n) {
  kbm_bridge_t *b = ctx;
  kb_keys_info_t info;
  const char *word;
  int slot = -1;
  if (n->type != KB_KEYS_NOTE_END) return;
  memset(&info, 0, sizeof info);
  info.result = n->result;
  info.status = n->status;
  info.reason = n->reason;
  word = kb_ha_result_word((kb_keys_result_t)n->result, &info);
  lock(b);
  for (int i = 0; i < KBM_PENDING; i++)
    if (b->pending[i].used && b->pending[i].req == n->id) slot = i;
  result(b, slot >= 0 ? &b->pending[slot].cmd : NULL, word, NULL);
  if (slot >= 0) {
    kb_ha_cmd_wipe(&b->pending[slot].cmd);
    b->pending[slot].used = false;
  }
  note(b, N_CMD_END, n->partition, n->id, word);
  unlock(b);
}

/* --------------------------------------------------------------- MQTT task */

void kbm_mqtt_connected(kbm_bridge_t *b, bool up) {
  lock(b);
  b->connected = up;
  b->epoch++; /* a message held for the old connection is not published on the new one */
  b->ann = A_NONE;
  if (up) {
    b->st.connects++;
    if (b->st.connects > 1) b->st.reconnects++;
    b->announce_req = true;
  }
  unlock(b);
  say(b, up ? KBM_LOG_INFO : KBM_LOG_WARNING, up ? "mqtt: connected: announcing" : "mqtt: connection lost");
}

static void refuse(kbm_bridge_t *b, kb_ha_cmd_t *c, const char *word, const char *detail) {
  lock(b);
  result(b, c, word, detail);
  b->st.refused++;
  unlock(b);
  if (c) kb_ha_cmd_wipe(c);
  say(b, KBM_LOG_WARNING, "command refused: %s%s%s%s", word, detail ? " (" : "", detail ? detail : "",
      detail ? ")" : "");
}

static void command(kbm_bridge_t *b, const char *data, size_t len, size_t total, bool retained) {
  kb_ha_cmd_t c;
  kb_ha_perr_t pe;
  kb_bus_t *bus;
  bool running = false;
  int slot = -1;
  uint16_t req = 0;
  unsigned part;
  kb_err_t e;
  if (retained) {
    /* a retained command left on the broker would be typed again at every
     * connect: keys nobody asked for */
    say(b, KBM_LOG_WARNING, "mqtt: ignored a retained message on %s (commands must not be retained)", b->t_command);
    return;
  }
  lock(b);
  b->st.commands++;
  unlock(b);
  if (total > KB_HA_CMD_MAX || len != total) {
    refuse(b, NULL, "invalid_request", kb_ha_perr_name(KB_HA_PERR_SIZE));
    return;
  }
  pe = kb_ha_parse_command(data, len, &c); /* on error: no code left in c, its id kept */
  if (pe != KB_HA_PERR_OK) {
    refuse(b, &c, "invalid_request", kb_ha_perr_name(pe));
    return;
  }
  bus = b->io.bus_lock ? b->io.bus_lock(b->io.ctx, &running) : NULL;
  if (!bus) {
    refuse(b, &c, running ? "busy" : "not_available", running ? "keybus_locked" : "keybus_stopped");
    return;
  }
  part = c.partition;
  lock(b);
  for (int i = 0; i < KBM_PENDING && slot < 0; i++)
    if (!b->pending[i].used) slot = i;
  if (slot < 0) {
    e = KB_ERR_BUSY;
    result(b, &c, "busy", "pending_full");
  } else {
    e = kb_ha_submit(bus, &c, &req); /* zeroes the code whatever happens */
    result(b, &c, kb_ha_err_word(e), NULL);
    if (e == KB_OK) {
      b->pending[slot].used = true;
      b->pending[slot].req = req;
      b->pending[slot].cmd = c; /* its id, for the final result */
    }
  }
  if (e != KB_OK) b->st.refused++;
  unlock(b);
  b->io.bus_unlock(b->io.ctx);
  kb_ha_cmd_wipe(&c);
  if (e == KB_OK) say(b, KBM_LOG_INFO, "command %u queued (partition %u)", (unsigned)req, part);
  else say(b, KBM_LOG_WARNING, "command refused: %s (%s)", kb_ha_err_word(e), kb_err_name(e));
}

static bool topic_is(const char *topic, size_t topic_len, const char *want) {
  return strlen(want) == topic_len && memcmp(topic, want, topic_len) == 0;
}

void kbm_inbound(kbm_bridge_t *b, const char *topic, size_t topic_len, const char *data, size_t len,
                 size_t total, size_t offset, bool retained) {
  if (!topic || offset != 0 || (!data && len)) return; /* a later piece: the first one was answered */
  if (topic_is(topic, topic_len, b->t_command)) {
    command(b, data, len, total, retained);
  } else if (topic_is(topic, topic_len, b->t_ha_status)) {
    if (total == 6 && len == 6 && memcmp(data, "online", 6) == 0) {
      lock(b);
      b->announce_req = true;
      unlock(b);
      say(b, KBM_LOG_INFO, "home assistant is online: announcing again");
    }
  }
}

/* ---------------------------------------------------------- publisher task */

static void out_from(kbm_bridge_t *b, const kb_ha_msg_t *m, int entity) {
  b->out.len = m->payload_len;
  b->out.retain = m->retain;
  b->out.entity = (int16_t)entity;
  b->out.hash = entity >= 0 ? hash(m->payload, m->payload_len) : 0;
}

static void out_copy(kbm_bridge_t *b, const kbm_msg_t *m) {
  memcpy(b->out.topic, m->topic, strlen(m->topic) + 1);
  memcpy(b->out.payload, m->payload, m->len);
  b->out.payload[m->len] = 0;
  b->out.len = m->len;
  b->out.retain = m->retain;
  b->out.entity = -1;
}

/* The next message due into b->out (both locks taken and released here). */
static take_t take(kbm_bridge_t *b) {
  bool running = false;
  kb_bus_t *bus = b->io.bus_lock ? b->io.bus_lock(b->io.ctx, &running) : NULL;
  const kb_status_t *st = bus ? kb_bus_status(bus) : NULL;
  take_t r = T_NOTHING;
  kb_ha_msg_t m;
  m.topic = b->out.topic;
  m.topic_size = sizeof b->out.topic;
  m.payload = b->out.payload;
  m.payload_size = sizeof b->out.payload;
  lock(b);
  if (bus) b->bus = bus;
  if (!b->connected) goto done;
  if (b->announce_req) {
    b->announce_req = false;
    b->ann = A_ONLINE;
    b->ann_i = 0;
    /* every state is sent again, and stays due if the bus cannot be read now */
    memset(b->sent, 0, sizeof b->sent);
    for (size_t i = 0; i < b->n_entities; i++)
      if (kb_ha_has_state(&b->ha, i)) b->dirty.bits[i / 32] |= 1u << (i % 32);
  }
  switch (b->ann) {
    case A_ONLINE:
      b->ann = A_DISCOVERY;
      memcpy(b->out.topic, b->t_status, strlen(b->t_status) + 1);
      memcpy(b->out.payload, "online", 7);
      b->out.len = 6;
      b->out.retain = true;
      b->out.entity = -1;
      r = T_MSG;
      goto done;
    case A_DISCOVERY:
      while (b->ann_i < b->n_entities)
        if (kb_ha_discovery(&b->ha, b->ann_i++, st, &m) == KB_OK) {
          out_from(b, &m, -1);
          r = T_MSG;
          goto done;
        }
      b->ann = A_STATES;
      b->ann_i = 0;
      /* fall through */
    case A_STATES:
      while (st && b->ann_i < b->n_entities) {
        size_t i = b->ann_i++;
        if (!kb_ha_has_state(&b->ha, i)) continue;
        dirty_clear(&b->dirty, i);
        if (kb_ha_state(&b->ha, i, st, &m) == KB_OK) {
          out_from(b, &m, (int)i);
          r = T_MSG;
          goto done;
        }
      }
      b->ann = A_HEALTH; /* no status readable: the states stay dirty for later */
      /* fall through */
    case A_HEALTH:
      b->ann = A_LAST;
      r = T_HEALTH;
      goto done;
    case A_LAST:
      b->ann = A_NONE;
      /* a broker without persistence forgot it */
      if (b->have_last_event) {
        out_copy(b, &b->last_event);
        r = T_MSG;
        goto done;
      }
      break;
    default:
      break;
  }
  if (b->evq_len) {
    out_copy(b, &b->evq[b->evq_head]);
    b->evq_head = (b->evq_head + 1) % KBM_EVQ;
    b->evq_len--;
    r = T_MSG;
    goto done;
  }
  for (size_t i = 0; st && i < b->n_entities; i++) {
    if (!dirty_get(&b->dirty, i)) continue;
    dirty_clear(&b->dirty, i);
    if (kb_ha_state(&b->ha, i, st, &m) != KB_OK) continue;
    if (hash(m.payload, m.payload_len) == b->sent[i]) continue; /* unchanged: nothing to say */
    out_from(b, &m, (int)i);
    r = T_MSG;
    goto done;
  }
  if (b->health_due || (uint32_t)(now_ms(b) - b->last_health_ms) >= KBM_HEALTH_PERIOD_MS) r = T_HEALTH;
done:
  if (r == T_HEALTH) {
    b->health_due = false;
    b->last_health_ms = now_ms(b);
  }
  b->out.epoch = b->epoch;
  unlock(b);
  if (bus) b->io.bus_unlock(b->io.ctx);
  return r;
}

/* the health message into b->out; the platform's figures are read with no
 * lock held (kbe_health locks the bus itself) */
static bool health(kbm_bridge_t *b) {
  kb_health_t h;
  kb_ha_extra_t x;
  kb_ha_msg_t m;
  memset(&h, 0, sizeof h);
  kb_ha_extra_init(&x);
  if (b->io.health) b->io.health(b->io.ctx, &h, &x);
  lock(b);
  x.mqtt_dropped = b->st.dropped;
  x.mqtt_reconnects = b->st.reconnects;
  unlock(b);
  m.topic = b->out.topic;
  m.topic_size = sizeof b->out.topic;
  m.payload = b->out.payload;
  m.payload_size = sizeof b->out.payload;
  if (kb_ha_health(&b->ha, &h, &x, &m) != KB_OK) return false;
  out_from(b, &m, -1);
  return true;
}

unsigned kbm_pump(kbm_bridge_t *b, unsigned budget) {
  unsigned n = 0;
  say_notes(b);
  while (budget == 0 || n < budget) {
    kbm_pub_t r;
    if (!b->out.held) {
      take_t t = take(b);
      if (t == T_NOTHING) break;
      if (t == T_HEALTH && !health(b)) continue;
      b->out.held = true;
    }
    lock(b);
    if (b->out.epoch != b->epoch) { /* prepared for a connection that is gone */
      b->out.held = false;
      unlock(b);
      continue;
    }
    unlock(b);
    r = b->io.publish(b->io.ctx, b->out.topic, b->out.payload, b->out.len, b->out.retain);
    if (r == KBM_PUB_FULL) break; /* offered again at the next pump */
    b->out.held = false;
    lock(b);
    if (r == KBM_PUB_OK) {
      b->st.published++;
      if (b->out.entity >= 0 && b->out.epoch == b->epoch) b->sent[b->out.entity] = b->out.hash;
    } else {
      b->st.dropped++;
    }
    unlock(b);
    if (r != KBM_PUB_OK) break;
    n++;
  }
  return n;
}

void kbm_stats(kbm_bridge_t *b, kbm_stats_t *out) {
  lock(b);
  *out = b->st;
  unlock(b);
}
