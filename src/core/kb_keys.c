/* SPDX-License-Identifier: MIT
 *
 * kb_keys.c - the virtual keypad: request queue and the state machine that
 * types the active request through the link's write path (kb_link_write_*).
 *
 * The queue is a ring of KB_KEYS_QUEUE requests; q[head] is the active one.
 * Its states:
 *   START   just became active: remember the partition's status
 *   SYNC    wait for the engine's start-up gate; early generation + 3..8: invalid
 *   NEXT    choose what the next character needs (key, `@`, end)
 *   PROMPT  `@`: wait for status 0x9F, then type the code; else skip it
 *   ARM     hand the key to the link once its write path is idle
 *   WRITE   wait for the frame that carries the key (frame.wrote equal to the
 *           arm's tag: generation and slot), echo check
 *   STAR    after `*`: wait for status 0x9E / 0xB8
 *   SETTLE  after the last key: watch for a rejection status, then done
 * All times are differences of the caller's 32-bit microsecond clock.
 */
#include "keybus/kb_keys.h"

#include <stddef.h>
#include <string.h>

enum { ST_START = 0, ST_SYNC, ST_NEXT, ST_PROMPT, ST_ARM, ST_WRITE, ST_STAR, ST_SETTLE };

#define F_CODE 0x01u  /* typing the access code (at the `@` at pos) */
#define F_STAR 0x02u  /* the key in flight is a `*` that must wait for the panel */
#define F_ALARM 0x04u /* the request is one alarm key */
#define F_TYPED 0x08u /* the code was typed */

#define KEY_STAR 0x28u
#define CMD_VERIFY 0x1Cu
#define MS(x) ((uint32_t)(x) * 1000u)
/* No message boundary for this long: the bus is quiet, timeouts wait for it
 * to come back or to count as disconnected (ms). */
#define QUIET_MS 500u

/* ------------------------------------------------------------ alphabet */

uint8_t kb_keys_code(char c) {
  if (c >= '0' && c <= '9') { /* notes §4.2: key number in bits 7-2, 2-bit check below */
    unsigned d = (unsigned)(c - '0');
    return (uint8_t)((d << 2) | (((d >> 2) + (d & 3u)) & 3u));
  }
  if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  switch (c) {
    case '*': return 0x28;
    case '#': return 0x2D;
    case 's': return 0xAF;
    case 'w': return 0xB1;
    case 'n': return 0xB6;
    case 'c': return 0xBB;
    case 'r': return 0xDA;
    case 'x': return 0xE1;
    case 'b': return 0x82;
    case '<': return 0x88;
    case '>': return 0x87;
    case '[': return 0xD5;
    case ']': return 0xDA;
    case '{': return 0x70;
    case '}': return 0xEC;
    case 'f': return 0xBB;
    case 'a': return 0xDD;
    case 'p': return 0xEE;
    default: return 0xFF;
  }
}

static bool is_alarm_char(char c) {
  return c == 'f' || c == 'a' || c == 'p' || c == 'F' || c == 'A' || c == 'P';
}

/* Keys after which a panel may prompt for the access code. */
static bool expects_code(char c) {
  return c == 's' || c == 'w' || c == 'n' || c == 'S' || c == 'W' || c == 'N' || c == '[' ||
         c == ']' || c == '{' || c == '}';
}

static bool is_reject(uint8_t st) {
  return st == 0x8F || st == 0x07 || st == 0x0E || st == 0x8E || st == 0x10;
}

/* Zeroes memory the compiler may not elide (secrets). */
static void wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

/* ------------------------------------------------------------ helpers */

static uint8_t part_status(const kb_engine_t *e, uint8_t p) {
  if (!e || !e->status.synced || !e->status.part[p - 1].known) return 0;
  return e->status.part[p - 1].status;
}

static bool timed_out(uint32_t now_us, uint32_t since_us, uint32_t ms) {
  return (uint32_t)(now_us - since_us) >= MS(ms);
}

static void note_end(kb_keys_t *k, const kb_keys_req_t *r, uint8_t result, uint8_t status) {
  kb_keys_note_t n;
  if (!k->cb) return;
  memset(&n, 0, sizeof n);
  n.type = KB_KEYS_NOTE_END;
  n.partition = r->partition;
  n.id = r->id;
  n.result = result;
  n.status = status;
  k->cb(k->cb_ctx, &n);
}

/* Ends request q[head]: history, note, secret wiped, slot freed. The link's
 * key in flight (if any) is cancelled and its copy of the key wiped once it
 * is idle. A code digit in flight, or any key when the bus went away (no
 * clock: the cancel would wait, armed, with the key in the link), is aborted
 * instead: the link's key becomes 0xFF at once. Other keys are only
 * cancelled: a slot the interrupt is already driving is finished whole
 * (released bits would read 1 and turn the key into another one). */
static void end_req(kb_keys_t *k, kb_link_t *l, uint8_t result, uint8_t status) {
  kb_keys_req_t *r = &k->q[k->head];
  kb_keys_hist_t *h = &k->hist[k->hist_next];
  h->id = r->id;
  h->info.result = result;
  h->info.status = status;
  h->info.accepted = r->accepted;
  h->info.code_typed = (uint8_t)((r->flags & F_TYPED) != 0);
  k->hist_next = (uint8_t)((k->hist_next + 1u) % KB_KEYS_HISTORY);
  note_end(k, r, result, status);
  if (l) {
    if (result == KB_KEYS_DISCONNECTED || (r->state == ST_WRITE && (r->flags & F_CODE)))
      kb_link_write_abort(l);
    else
      kb_link_write_cancel(l);
    k->wipe_link = 1;
  }
  wipe(r, sizeof *r);
  k->head = (uint8_t)((k->head + 1u) % KB_KEYS_QUEUE);
  k->count--;
}

/* The key code of the key due (the character at pos, or a code digit). */
static uint8_t due_key(const kb_keys_req_t *r) {
  if (r->flags & F_CODE) return kb_keys_code(r->code[r->code_pos]);
  return kb_keys_code(r->keys[r->pos]);
}

static uint8_t slot_byte(uint8_t partition) {
  static const uint8_t bytes[4] = {2, 3, 8, 9};
  return bytes[(partition - 1u) & 3u];
}

/* A frame in the WRITE state. Only a frame that carries the key of this
 * request's own arm counts (wrote = the arm's tag: same generation and slot):
 * the previous request's key may still have been finishing in the message
 * during which this one was armed, and a stale `wrote` (ring overflow) may
 * name an earlier arm. Returns true when the request moved on. */
static bool on_written(kb_keys_t *k, kb_keys_req_t *r, kb_link_t *l, const kb_frame_t *f,
                       uint32_t now_us) {
  uint8_t byte = KB_FRAME_WROTE_BYTE(r->tag);
  uint8_t cycle = kb_link_slot_cycle(byte);
  kb_keys_note_t n;
  if (f->wrote != r->tag) return false; /* not this arm's key */
  if (f->module_bits < cycle + 8u) return false; /* cut short: the link writes it again */
  if (f->module[byte] != r->key) {
    end_req(k, l, KB_KEYS_COLLIDED, 0);
    return true;
  }
  if ((r->flags & F_ALARM) && r->reps++ != 0u) { /* second message: should be 0x1C */
    bool verified = f->panel_bits >= 8u && f->panel[0] == CMD_VERIFY;
    end_req(k, l, verified ? KB_KEYS_DONE : KB_KEYS_NOT_VERIFIED, 0);
    return true;
  }
  r->accepted++;
  if (k->cb) {
    memset(&n, 0, sizeof n);
    n.type = KB_KEYS_NOTE_KEY;
    n.partition = r->partition;
    n.id = r->id;
    n.index = r->typed;
    n.key = (r->flags & F_CODE) ? 0u : r->key;
    n.slot_byte = byte;
    n.slot_cycle = cycle;
    n.t_due_us = r->t_due_us;
    n.t_frame_us = f->t_start_us;
    k->cb(k->cb_ctx, &n);
  }
  r->typed++;
  if (r->flags & F_ALARM) return false; /* the link writes it once more */
  if (r->flags & F_CODE) {
    if (++r->code_pos == r->code_len) {
      r->flags = (uint8_t)((r->flags & ~F_CODE) | F_TYPED);
      r->pos++;
    }
  } else {
    r->pos++;
  }
  if (r->flags & F_STAR) {
    r->t_us = now_us; /* the `*` wait counts from the panel's acceptance */
    r->state = ST_STAR;
  } else {
    r->state = ST_NEXT;
  }
  return true;
}

/* One transition of the active request; true when another may follow at once. */
static bool advance(kb_keys_t *k, kb_link_t *l, const kb_engine_t *e, const kb_frame_t *f,
                    uint32_t now_us, bool connected) {
  kb_keys_req_t *r = &k->q[k->head];
  uint8_t st = part_status(e, r->partition);
  /* A timeout on a quiet bus waits: the bus comes back (then it fires) or
   * the link calls it disconnected (then every request ends so). Never
   * connected at all: disconnected at once. */
  uint8_t fail = connected ? KB_KEYS_TIMED_OUT : KB_KEYS_DISCONNECTED;
  bool hold = connected && kb_link_quiet_us(l, now_us) > MS(QUIET_MS);
  switch (r->state) {
    case ST_START:
      k->prev_status = st;
      r->t_us = now_us;
      r->state = ST_SYNC;
      return true;
    case ST_SYNC:
      if (!e || !e->status.synced) {
        if (!hold && timed_out(now_us, r->t_us, KB_KEYS_KEY_MS)) {
          end_req(k, l, fail, 0);
          return true;
        }
        return false;
      }
      if (e->status.early && r->partition > 2u) { /* no slot (3/4) nor 0x1B (5-8) */
        end_req(k, l, KB_KEYS_INVALID, 0);
        return true;
      }
      r->state = ST_NEXT;
      return true;
    case ST_NEXT:
      r->t_us = now_us;
      r->flags &= (uint8_t)~F_STAR;
      if (r->flags & F_CODE) { /* the next digit of the code */
        r->state = ST_ARM;
      } else if (r->pos >= r->n) {
        r->state = ST_SETTLE;
      } else if (r->keys[r->pos] == '@') {
        r->state = ST_PROMPT;
      } else {
        r->state = ST_ARM;
      }
      return true;
    case ST_PROMPT:
      if (st == 0x9Fu) {
        r->flags |= F_CODE;
        r->code_pos = 0;
        r->t_us = now_us;
        r->state = ST_ARM;
        return true;
      }
      if (!hold && timed_out(now_us, r->t_us, KB_KEYS_PROMPT_MS)) { /* no prompt: the code stays untyped */
        r->pos++;
        r->state = ST_NEXT;
        return true;
      }
      return false;
    case ST_ARM: {
      uint8_t key = due_key(r);
      bool ok;
      if (e && e->status.synced && kb_link_write_idle(l)) {
        if (r->flags & F_ALARM) {
          ok = kb_link_write_arm(l, key, 0, 0, 0, 2);
        } else {
          uint8_t a = r->partition <= 4u ? 0x05 : 0x1B, b = r->partition <= 4u ? 0x0A : 0x1B;
          ok = kb_link_write_arm(l, key, slot_byte(r->partition), a, b, 1);
        }
        if (ok) {
          r->tag = kb_link_write_tag(l);
          if (key == KEY_STAR && !(r->flags & F_CODE) && st < 0x9Eu) r->flags |= F_STAR;
          r->key = key;
          r->t_due_us = now_us;
          k->wipe_link = 0;
          r->state = ST_WRITE;
          return false;
        }
      }
      if (!hold && timed_out(now_us, r->t_us, KB_KEYS_KEY_MS)) {
        end_req(k, l, fail, 0);
        return true;
      }
      return false;
    }
    case ST_WRITE:
      if (f && f->wrote && on_written(k, r, l, f, now_us)) return true;
      if (!hold && timed_out(now_us, r->t_us, KB_KEYS_KEY_MS)) {
        end_req(k, l, fail, 0);
        return true;
      }
      return false;
    case ST_STAR:
      if (st == 0x9Eu || st == 0xB8u) {
        r->state = ST_NEXT;
        return true;
      }
      if (!hold && timed_out(now_us, r->t_us, KB_KEYS_STAR_MS)) {
        end_req(k, l, fail, 0);
        return true;
      }
      return false;
    default: /* ST_SETTLE */
      if (!hold && timed_out(now_us, r->t_us, KB_KEYS_SETTLE_MS)) {
        end_req(k, l, KB_KEYS_DONE, 0);
        return true;
      }
      return false;
  }
}

/* ------------------------------------------------------------ Task API */

void kb_keys_init(kb_keys_t *k, kb_keys_cb cb, void *ctx) {
  KB_ASSERT(k != NULL);
  wipe(k, sizeof *k);
  k->cb = cb;
  k->cb_ctx = ctx;
  k->next_id = 1;
}

static kb_keys_err_t check_code(const char *code, uint8_t *len) {
  uint8_t n = 0;
  *len = 0;
  if (!code) return KB_KEYS_OK;
  while (n <= KB_KEYS_CODE_MAX && code[n]) {
    if (code[n] < '0' || code[n] > '9') return KB_KEYS_ERR_CODE;
    n++;
  }
  if (n != 4u && n != 6u) return KB_KEYS_ERR_CODE;
  *len = n;
  return KB_KEYS_OK;
}

kb_keys_err_t kb_keys_submit(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                             const char *keys, const char *code, uint32_t now_us, uint16_t *id) {
  kb_keys_req_t *r;
  uint8_t n = 0, code_len, at = 0, insert = 0xFF;
  kb_keys_err_t err;
  KB_ASSERT(k != NULL);
  if (partition < 1u || partition > KB_MAX_PARTITIONS) return KB_KEYS_ERR_PARTITION;
  if (e && e->status.synced && e->status.early && partition > 2u) return KB_KEYS_ERR_PARTITION;
  if (!keys) return KB_KEYS_ERR_KEY;
  for (n = 0; keys[n]; n++) {
    if (n == KB_KEYS_MAX) return KB_KEYS_ERR_KEY;
    if (keys[n] == '@') {
      at++;
    } else if (kb_keys_code(keys[n]) == 0xFF) {
      return KB_KEYS_ERR_KEY;
    } else if (insert == 0xFF && expects_code(keys[n])) {
      insert = (uint8_t)(n + 1u);
    }
  }
  if (n == 0u) return KB_KEYS_ERR_KEY;
  for (uint8_t i = 0; i < n; i++) /* an alarm key is a request of its own */
    if (is_alarm_char(keys[i]) && n != 1u) return KB_KEYS_ERR_KEY;
  err = check_code(code, &code_len);
  if (err != KB_KEYS_OK) return err;
  if (at && !code_len) return KB_KEYS_ERR_CODE;
  if (code_len && !at) {
    if (insert == 0xFF) return KB_KEYS_ERR_CODE;
    if (n == KB_KEYS_MAX) return KB_KEYS_ERR_KEY;
  } else {
    insert = 0xFF;
  }
  if (k->count == KB_KEYS_QUEUE) return KB_KEYS_ERR_FULL;

  r = &k->q[(k->head + k->count) % KB_KEYS_QUEUE];
  wipe(r, sizeof *r);
  for (uint8_t i = 0, o = 0; i < n; i++) {
    if (i == insert) r->keys[o++] = '@';
    r->keys[o++] = keys[i];
  }
  if (insert == n) r->keys[n] = '@';
  r->n = (uint8_t)(n + (insert != 0xFF));
  if (code_len) memcpy(r->code, code, code_len);
  r->code_len = code_len;
  r->partition = partition;
  r->flags = is_alarm_char(keys[0]) ? F_ALARM : 0;
  r->state = ST_START;
  r->t_us = now_us;
  r->id = k->next_id;
  k->next_id = (uint16_t)(k->next_id + 1u);
  if (k->next_id == 0u) k->next_id = 1;
  k->count++;
  if (id) *id = r->id;
  return KB_KEYS_OK;
}

static void put2(char *s, unsigned v) {
  s[0] = (char)('0' + v / 10u);
  s[1] = (char)('0' + v % 10u);
}

kb_keys_err_t kb_keys_set_time(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                               uint16_t year, uint8_t month, uint8_t day, uint8_t hour,
                               uint8_t minute, const char *code, uint32_t now_us, uint16_t *id) {
  char s[16]; /* "*6@1" HHMM MMDDYY "#" */
  uint8_t code_len;
  kb_keys_err_t err;
  KB_ASSERT(k != NULL);
  if (partition < 1u || partition > KB_MAX_PARTITIONS) return KB_KEYS_ERR_PARTITION;
  if (year >= 2000u && year <= 2099u) year = (uint16_t)(year - 2000u);
  if (year > 99u || month < 1u || month > 12u || day < 1u || day > 31u || hour > 23u ||
      minute > 59u)
    return KB_KEYS_ERR_RANGE;
  err = check_code(code, &code_len);
  if (err != KB_KEYS_OK) return err;
  if (!code_len) return KB_KEYS_ERR_CODE;
  if (!e || !e->status.synced) return KB_KEYS_ERR_NOT_READY;
  if (e->status.early && partition > 2u) return KB_KEYS_ERR_PARTITION;
  if (!e->status.part[partition - 1u].ready) return KB_KEYS_ERR_NOT_READY;
  memcpy(s, "*6@1", 4);
  put2(s + 4, hour);
  put2(s + 6, minute);
  put2(s + 8, month);
  put2(s + 10, day);
  put2(s + 12, year);
  s[14] = '#';
  s[15] = '\0';
  return kb_keys_submit(k, e, partition, s, code, now_us, id);
}

void kb_keys_step(kb_keys_t *k, kb_link_t *l, const kb_engine_t *e, const kb_frame_t *f,
                  uint32_t now_us) {
  bool connected;
  KB_ASSERT(k != NULL && l != NULL);
  connected = kb_link_connected(l);
  if (k->was_connected && !connected) { /* every pending request ends */
    while (k->count) end_req(k, l, KB_KEYS_DISCONNECTED, 0);
  }
  k->was_connected = connected;
  if (k->wipe_link && kb_link_write_idle(l)) {
    kb_link_write_wipe(l);
    k->wipe_link = 0;
  }
  /* each transition either waits (false) or moves on; a request has at most
   * ~3 transitions per character, plus a few to start and end */
  for (unsigned guard = 0; k->count && guard < 4u * KB_KEYS_MAX + 16u; guard++) {
    kb_keys_req_t *r = &k->q[k->head];
    if (r->state > ST_SYNC && !(r->flags & F_ALARM) && r->accepted) {
      uint8_t st = part_status(e, r->partition);
      if (st != k->prev_status && is_reject(st)) {
        k->prev_status = st;
        end_req(k, l, KB_KEYS_REJECTED, st);
        f = NULL;
        continue;
      }
      k->prev_status = st;
    }
    if (!advance(k, l, e, f, now_us, connected)) break;
    f = NULL; /* a frame is looked at once */
  }
  if (k->count) {
    kb_keys_req_t *r = &k->q[k->head];
    k->prev_status = part_status(e, r->partition);
  }
}

kb_keys_result_t kb_keys_result(const kb_keys_t *k, uint16_t id, kb_keys_info_t *out) {
  KB_ASSERT(k != NULL);
  if (out) memset(out, 0, sizeof *out);
  if (id == 0u) return KB_KEYS_UNKNOWN;
  for (uint8_t i = 0; i < k->count; i++) {
    const kb_keys_req_t *r = &k->q[(k->head + i) % KB_KEYS_QUEUE];
    if (r->id == id) {
      if (out) {
        out->accepted = r->accepted;
        out->code_typed = (uint8_t)((r->flags & F_TYPED) != 0);
      }
      return KB_KEYS_PENDING;
    }
  }
  for (uint8_t i = 0; i < KB_KEYS_HISTORY; i++) {
    const kb_keys_hist_t *h = &k->hist[i];
    if (h->id == id && h->info.result != KB_KEYS_PENDING) {
      if (out) *out = h->info;
      return (kb_keys_result_t)h->info.result;
    }
  }
  return KB_KEYS_UNKNOWN;
}

uint8_t kb_keys_pending(const kb_keys_t *k) {
  KB_ASSERT(k != NULL);
  return k->count;
}
