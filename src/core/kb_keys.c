/* SPDX-License-Identifier: MIT
 *
 * kb_keys.c - the virtual keypad: request queue and the state machine that
 * types the active request through the link's write path (kb_link_write_*).
 *
 * The queue is a ring of KB_KEYS_QUEUE requests; q[head] is the active one.
 * Its states:
 *   START   just became active
 *   SYNC    wait for the engine's start-up gate; then the refusals that need
 *           the panel (early generation + 3..8, disabled, code length)
 *   IDLE    wait for the keypad's own `#` clear (if one is due) and for the
 *           partition's normal status (no menu, prompt or brief rejection
 *           showing): the request then starts an attempt from its first key
 *   NEXT    choose what the next character needs (key, `@`, end)
 *   PROMPT  `@`: wait for status 0x9F appearing after the command key, then
 *           type the code; else skip it
 *   ARM     hand the key to the link once its write path is idle
 *   WRITE   wait for the frame that carries the key (frame.wrote equal to the
 *           arm's tag: generation and slot), echo check
 *   EXPECT  after a key that must move the panel (`*`, `*`+digit, the code
 *           when more keys follow, `1` in the *6 menu): wait for that status
 *   SETTLE  after the last key: watch for the goal or a rejection
 *   JUDGE   a key's echo could not be confirmed: the `#` clear runs, then
 *           the panel's state says done, retry or uncertain
 *
 * The `#` clear (kb_keys_t.clr) is a small machine of its own: it types `#`
 * in the partition's slot (the one key typed without being asked; reported
 * as KB_KEYS_NOTE_CLEAR) and waits for the partition's normal status. It is
 * due after a request that put keys on the bus ended unfinished (rejected,
 * timed out, collided, disconnected, uncertain) and when an echo could not
 * be confirmed; it runs before the next key of any request.
 *
 * All times are differences of the caller's 32-bit microsecond clock.
 */
#include "keybus/kb_keys.h"

#include <stddef.h>
#include <string.h>

#include "keybus/kb_decode.h"
#include "keybus/kb_proto.h"

enum {
  ST_START = 0,
  ST_SYNC,
  ST_IDLE,
  ST_NEXT,
  ST_PROMPT,
  ST_ARM,
  ST_WRITE,
  ST_EXPECT,
  ST_SETTLE,
  ST_JUDGE
};

/* r->flags */
#define F_CODE 0x01u  /* typing the access code (at the `@` at pos) */
#define F_CLEAN 0x02u /* the `#` clear ran after the last key went out */
#define F_ALARM 0x04u /* the request is one alarm key */
#define F_TYPED 0x08u /* the code was typed */
#define F_WENT 0x10u  /* a key of this request went on the bus (this or an
                         earlier attempt): an unfinished end needs a clear */
#define F_IDLE 0x20u  /* WRITE: the link's write path was seen idle at t_idle */
#define F_JCLR 0x40u  /* JUDGE: the `#` clear has been asked for */
#define F_DIFF 0x80u  /* JUDGE: the echo differed (another keypad, or noise) */

/* What the request is for, decided when an attempt starts from the
 * partition's state: only a goal the engine can see lets a request whose
 * echo was lost be judged (and retried). */
enum { GOAL_NONE = 0, GOAL_ARM, GOAL_DISARM, GOAL_REPEAT };

/* r->expect: the status a key must bring before the next key */
enum { EX_NONE = 0, EX_STAR, EX_MENU, EX_MENU_STRICT, EX_TIME };

/* Echo check verdicts. */
enum { ECHO_OK = 0, ECHO_DIFF, ECHO_UNCONFIRMED };

/* kb_keys_t.clr.state (CL_NONE = 0: kb_keys_idle() in kb_keys.h relies on it) */
enum { CL_NONE = 0, CL_ARM, CL_WRITE, CL_WAIT };

#define MS(x) ((uint32_t)(x) * 1000u)
/* `#` written at most this many times for one clear (its echo unconfirmed). */
#define CLEAR_TRIES 3u

/* ------------------------------------------------------------ tables */

uint8_t kb_keys_code(char c) {
  if (c >= '0' && c <= '9') return kb_proto_digit_key((unsigned)(c - '0'));
  if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
  switch (c) {
    case '*': return KB_KEY_STAR;
    case '#': return KB_KEY_POUND;
    case 's': return KB_KEY_STAY;
    case 'w': return KB_KEY_AWAY;
    case 'n': return KB_KEY_NO_ENTRY;
    case 'c': return KB_KEY_CHIME;
    case 'r': return KB_KEY_RESET;
    case 'x': return KB_KEY_EXIT;
    case 'b': return KB_KEY_ENTER;
    case '<': return KB_KEY_LEFT;
    case '>': return KB_KEY_RIGHT;
    case '[': return KB_KEY_OUTPUT_1;
    case ']': return KB_KEY_OUTPUT_2;
    case '{': return KB_KEY_OUTPUT_3;
    case '}': return KB_KEY_OUTPUT_4;
    case 'f': return KB_KEY_ALARM_FIRE;
    case 'a': return KB_KEY_ALARM_AUX;
    case 'p': return KB_KEY_ALARM_PANIC;
    default: return KB_KEY_NONE;
  }
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static bool is_alarm_char(char c) {
  c = lower(c);
  return c == 'f' || c == 'a' || c == 'p';
}

static bool is_arm_char(char c) {
  c = lower(c);
  return c == 's' || c == 'w' || c == 'n';
}

/* Keys after which a panel may prompt for the access code. */
static bool expects_code(char c) {
  return is_arm_char(c) || c == '[' || c == ']' || c == '{' || c == '}';
}

static bool is_reject(uint8_t st) {
  return st == KB_ST_WRONG_CODE || st == KB_ST_ARMING_FAILED || st == KB_ST_NOT_AVAILABLE ||
         st == KB_ST_NOT_AVAILABLE_2 || st == KB_ST_LOCKOUT;
}

/* A status in which keys would land in an entry that is not ours: a prompt
 * or menu (0x9E and above, but 0xC7 "disabled"), a brief rejection or
 * activity notice still showing (0x8F, 0x8E, 0x0E, 0x07, 0x8A, 0x8B). A
 * request starts only from another status (0 = not known counts as normal). */
static bool is_busy(uint8_t st) {
  if (st >= KB_ST_MENU_FIRST) return st != KB_ST_DISABLED;
  return st == KB_ST_WRONG_CODE || st == KB_ST_NOT_AVAILABLE_2 || st == KB_ST_NOT_AVAILABLE ||
         st == KB_ST_ARMING_FAILED || st == KB_ST_STAY_AWAY_ACTIVE || st == KB_ST_QUICK_EXIT;
}

/* A menu opened by a function key or a code (not the code prompt itself):
 * the statuses from the first menu (*1 bypass) up. */
static bool is_menu(uint8_t st) { return st >= KB_ST_BYPASS_MENU && st != KB_ST_DISABLED; }

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

static bool part_armed(const kb_engine_t *e, uint8_t p) {
  const kb_partition_t *pt = &e->status.part[p - 1];
  return pt->armed != KB_ARMED_NONE || pt->exit_delay || pt->entry_delay || pt->alarm;
}

static bool goal_reached(const kb_engine_t *e, const kb_keys_req_t *r) {
  const kb_partition_t *pt;
  if (!e || !e->status.synced) return false;
  pt = &e->status.part[r->partition - 1];
  if (r->goal == GOAL_ARM) return pt->armed != KB_ARMED_NONE || pt->exit_delay;
  if (r->goal == GOAL_DISARM)
    return pt->armed == KB_ARMED_NONE && !pt->exit_delay && !pt->entry_delay;
  return false;
}

static bool timed_out(uint32_t now_us, uint32_t since_us, uint32_t ms) {
  return (uint32_t)(now_us - since_us) >= MS(ms);
}

static void note(kb_keys_t *k, uint8_t type, uint8_t partition, uint16_t id, uint8_t index) {
  kb_keys_note_t n;
  if (!k->cb) return;
  memset(&n, 0, sizeof n);
  n.type = type;
  n.partition = partition;
  n.id = id;
  n.index = index;
  k->cb(k->cb_ctx, &n);
}

static uint8_t slot_byte(uint8_t partition) {
  static const uint8_t bytes[4] = {2, 3, 8, 9};
  return bytes[(partition - 1u) & 3u];
}

/* Arms `key` in the partition's slot (not for alarm keys). */
static bool arm_slot(kb_link_t *l, uint8_t partition, uint8_t key) {
  uint8_t a = partition <= 4u ? KB_CMD_STATUS : KB_CMD_STATUS_HIGH;
  uint8_t b = partition <= 4u ? KB_CMD_PROG_STATUS : KB_CMD_STATUS_HIGH;
  return kb_link_write_arm(l, key, slot_byte(partition), a, b, 1) == KB_OK;
}

/* The echo check of a frame that carries the key of arm `tag`: confirmed
 * only when the slot is complete, the frame's framing and length are right
 * and the echo equals the key. A runt, framing or length error means clock
 * cycles went missing or were added on our side: the module stream, and the
 * slot in it, may be shifted, and the panel may have read the key where we
 * did not, or not at all. A checksum error alone is a flipped panel data
 * bit: the cycles are all there and the module bits of the same cycles (the
 * echo) are as valid as in any frame. */
static uint8_t echo_check(const kb_frame_t *f, uint8_t tag, uint8_t key) {
  uint8_t byte = KB_FRAME_WROTE_BYTE(tag);
  kb_decoded_t d;
  if (f->module_bits < kb_link_slot_cycle(byte) + 8u) return ECHO_UNCONFIRMED;
  kb_decode_panel(f->panel, KB_FRAME_BYTES, f->panel_bits, &d);
  if (d.check == KB_CHECK_RUNT || d.check == KB_CHECK_FRAMING || d.check == KB_CHECK_LENGTH)
    return ECHO_UNCONFIRMED;
  return f->module[byte] == key ? ECHO_OK : ECHO_DIFF;
}

/* A frame that proves the key's own frame was lost: the link's write path
 * went idle (the slot was driven, or the message carrying it was cut) before
 * now_us = t_idle, and this frame began after that, so the key's frame, if
 * it had been published, would have come first (the ring is in order). */
static bool frame_after(const kb_frame_t *f, uint32_t t_idle) {
  return (int32_t)(f->t_start_us - t_idle) > 0;
}

/* The `#` clear becomes due on request r's partition (one at a time: a clear
 * already due or running is that partition's or will end first). */
static void clear_due(kb_keys_t *k, const kb_keys_req_t *r) {
  if (k->clr.state != CL_NONE) return;
  k->clr.state = CL_ARM;
  k->clr.partition = r->partition;
  k->clr.id = r->id;
  k->clr.tries = 0;
  k->clr.noted = 0;
}

/* Ends request q[head]: history, note, secret wiped, slot freed. The link's
 * key in flight (if any) is cancelled and its copy of the key wiped once it
 * is idle. A code digit in flight, or any key when the bus went away (no
 * clock: the cancel would wait, armed, with the key in the link), is aborted
 * instead: the link's key becomes 0xFF at once. Other keys are only
 * cancelled: a slot the interrupt is already driving is finished whole
 * (released bits would read 1 and turn the key into another one). A request
 * that put keys on the bus and ends unfinished leaves a `#` clear due. */
static void end_req(kb_keys_t *k, kb_link_t *l, uint8_t result, uint8_t status, uint8_t reason) {
  kb_keys_req_t *r = &k->q[k->head];
  kb_keys_hist_t *h = &k->hist[k->hist_next];
  kb_keys_note_t n;
  h->id = r->id;
  h->info.result = result;
  h->info.status = status;
  h->info.accepted = r->accepted;
  h->info.code_typed = (uint8_t)((r->flags & F_TYPED) != 0);
  h->info.reason = reason;
  h->info.attempts = r->attempts ? r->attempts : 1u;
  k->hist_next = (uint8_t)((k->hist_next + 1u) % KB_KEYS_HISTORY);
  /* where a request that ended done left its partition: the next request
   * may continue in that menu or prompt (ST_IDLE) */
  k->left_part = result == KB_KEYS_DONE ? r->partition : 0;
  k->left_status = k->last_status;
  memset(&n, 0, sizeof n);
  n.type = KB_KEYS_NOTE_END;
  n.partition = r->partition;
  n.id = r->id;
  n.result = result;
  n.status = status;
  n.reason = reason;
  /* a key still armed on a running bus may yet go out (a cancel does not
   * stop a slot being driven): count it as on the bus */
  if (l && r->state == ST_WRITE && result != KB_KEYS_DISCONNECTED && !kb_link_write_idle(l))
    r->flags |= F_WENT;
  if (l) {
    if (result == KB_KEYS_DISCONNECTED || (r->state == ST_WRITE && (r->flags & F_CODE)))
      kb_link_write_abort(l);
    else
      kb_link_write_cancel(l);
    k->wipe_link = 1;
  }
  if ((r->flags & F_WENT) && !(r->flags & F_CLEAN) && result != KB_KEYS_DONE &&
      !(r->flags & F_ALARM))
    clear_due(k, r);
  wipe(r, sizeof *r);
  k->head = (uint8_t)((k->head + 1u) % KB_KEYS_QUEUE);
  k->count--;
  /* last: the request is out of the queue and its result in the history,
   * so kb_keys_result() called from the callback already answers it */
  if (k->cb) k->cb(k->cb_ctx, &n);
}

/* The key code of the key due (the character at pos, or a code digit). */
static uint8_t due_key(const kb_keys_req_t *r) {
  if (r->flags & F_CODE) return kb_keys_code(r->code[r->code_pos]);
  return kb_keys_code(r->keys[r->pos]);
}

/* What the key just accepted must bring before the next key goes out
 * (notes §6: `*` opens 0x9E/0xB8, `*`+1..8 a menu or the code prompt, the
 * code of a function a menu, `1` in the *6 menu the time entry). `prev` is
 * the character before it, `base` the committed status at its acceptance. */
static uint8_t expectation(const kb_keys_req_t *r, char c, char prev, uint8_t base, bool code_done) {
  char next = r->pos < r->n ? r->keys[r->pos] : '\0';
  if (code_done) /* a code followed by more keys opens a menu, or nothing may follow */
    return next ? EX_MENU_STRICT : EX_NONE;
  if (c == '*' && base < KB_ST_MENU_FIRST) return EX_STAR;
  if (prev == '*' && c >= '1' && c <= '8' && next && next != '@') return EX_MENU;
  if (c == '1' && base == KB_ST_USER_MENU && next) return EX_TIME;
  return EX_NONE;
}

/* Resets the active request to its first key for a new attempt. */
static void restart(kb_keys_req_t *r) {
  r->pos = 0;
  r->code_pos = 0;
  r->accepted = 0;
  r->flags = (uint8_t)(r->flags & (F_ALARM | F_WENT));
  r->goal = GOAL_NONE;
  r->expect = EX_NONE;
  r->final = 0;
}

/* The key in flight could not be confirmed: stop typing and judge. The
 * last digit of a code (or of a disarm typed as digits) may have completed
 * it: the panel has judged that code, and typing it again could be a second
 * wrong code (towards a keypad lockout) that nobody asked for, or keys after
 * a rejection the filter did not show in time: no retry, only the goal can
 * still say done. */
static void to_judge(kb_keys_req_t *r) {
  if (((r->flags & F_CODE) && r->code_pos + 1u >= r->code_len) ||
      (r->goal == GOAL_DISARM && r->pos + 1u >= r->n))
    r->final = 1;
  r->state = ST_JUDGE;
}

/* A frame in the WRITE state. Only a frame that carries the key of this
 * request's own arm counts (wrote = the arm's tag: same generation and slot):
 * the previous request's key may still have been finishing in the message
 * during which this one was armed, and a stale `wrote` may name an earlier
 * arm. Returns true when the request moved on. */
static bool on_written(kb_keys_t *k, kb_keys_req_t *r, kb_link_t *l, const kb_engine_t *e,
                       const kb_frame_t *f, uint32_t now_us) {
  uint8_t byte = KB_FRAME_WROTE_BYTE(r->tag);
  uint8_t verdict;
  char c, prev;
  kb_keys_note_t n;
  if (f->wrote != r->tag) {
    if ((r->flags & F_IDLE) && frame_after(f, k->t_idle)) { /* the key's frame was lost */
      to_judge(r);
      return true;
    }
    return false;
  }
  r->flags |= F_WENT;
  verdict = echo_check(f, r->tag, r->key);
  if (r->flags & F_ALARM) { /* written twice by design; the panel answers 0x1C */
    if (verdict == ECHO_DIFF) {
      end_req(k, l, KB_KEYS_COLLIDED, 0, 0);
      return true;
    }
    if (r->reps++ != 0u) { /* second message: should be 0x1C */
      bool verified = f->panel_bits >= 8u && f->panel[0] == KB_CMD_VERIFY;
      end_req(k, l, verified ? KB_KEYS_DONE : KB_KEYS_NOT_VERIFIED, 0, 0);
      return true;
    }
  } else if (verdict != ECHO_OK) {
    /* the echo differed (another keypad spoke in the slot, or noise) or
     * cannot be confirmed: the panel may have read the key, another key or
     * nothing. Never type it again: clear, then judge by the panel's state */
    if (verdict == ECHO_DIFF) r->flags |= F_DIFF;
    to_judge(r);
    return true;
  }
  r->accepted++;
  if (k->cb) {
    memset(&n, 0, sizeof n);
    n.type = KB_KEYS_NOTE_KEY;
    n.partition = r->partition;
    n.id = r->id;
    n.index = r->typed;
    /* every digit is reported as KB_KEY_DIGIT, not only the `@` code's: a
     * disarm types the code as plain digits (no prompt while armed), and a
     * note may end up in a log */
    n.key = ((r->flags & F_CODE) || kb_proto_key_digit(r->key) >= 0) ? (uint8_t)KB_KEY_DIGIT : r->key;
    n.slot_byte = byte;
    n.slot_cycle = kb_link_slot_cycle(byte);
    n.t_due_us = k->t_due_us;
    n.t_frame_us = f->t_start_us;
    k->cb(k->cb_ctx, &n);
  }
  r->typed++;
  if (r->flags & F_ALARM) return false; /* the link writes it once more */
  r->base = part_status(e, r->partition);
  k->t_us = now_us; /* waits count from the panel's acceptance */
  if (r->flags & F_CODE) {
    if (++r->code_pos < r->code_len) {
      r->state = ST_NEXT;
      return true;
    }
    r->flags = (uint8_t)((r->flags & ~F_CODE) | F_TYPED);
    r->pos++;
    r->expect = expectation(r, '@', '\0', r->base, true);
  } else {
    c = lower(r->keys[r->pos]);
    prev = r->pos ? r->keys[r->pos - 1u] : '\0';
    r->pos++;
    r->expect = expectation(r, c, prev, r->base, false);
  }
  r->state = r->expect ? ST_EXPECT : ST_NEXT;
  return true;
}

/* Decides the goal of an attempt from the partition's state now. Only a
 * whole command has a goal: an arm key with the request's code, or a code's
 * worth of digits on an armed partition. A lone key press (a web keypad's
 * `w`, or one digit) is just that key: done once accepted, and what follows
 * is the user's next press. */
static uint8_t decide_goal(const kb_keys_req_t *r, const kb_engine_t *e) {
  bool armed = part_armed(e, r->partition), digits = true;
  uint8_t len = e->status.code_digits;
  if (r->n >= 4u && r->keys[0] == '*' && r->keys[1] == '6' && r->keys[2] == '@' &&
      r->keys[3] == '1')
    return GOAL_REPEAT; /* set time: typing it again sets the same time */
  for (uint8_t i = 0; i < r->n; i++) {
    char c = r->keys[i];
    if (!armed && r->code_len &&
        (is_arm_char(c) ||
         (c == '*' && i + 1u < r->n && (r->keys[i + 1u] == '9' || r->keys[i + 1u] == '0'))))
      return GOAL_ARM;
    if (c < '0' || c > '9') digits = false;
  }
  if (armed && digits && (len ? r->n == len : (r->n == 4u || r->n == 6u))) return GOAL_DISARM;
  return GOAL_NONE;
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
  bool hold = connected && kb_link_quiet_us(l, now_us) > MS(KB_KEYS_QUIET_MS);
  switch (r->state) {
    case ST_START:
      k->t_us = now_us;
      r->state = ST_SYNC;
      return true;
    case ST_SYNC:
      if (!e || !e->status.synced) {
        if (!hold && timed_out(now_us, k->t_us, KB_KEYS_KEY_MS)) {
          end_req(k, l, fail, 0, 0);
          return true;
        }
        return false;
      }
      if (e->status.early && r->partition > 2u) { /* no slot (3/4) nor 0x1B (5-8) */
        end_req(k, l, KB_KEYS_INVALID, 0, KB_KEYS_REASON_EARLY);
        return true;
      }
      if (st == KB_ST_DISABLED) {
        end_req(k, l, KB_KEYS_INVALID, st, KB_KEYS_REASON_DISABLED);
        return true;
      }
      if (r->code_len && e->status.code_digits && r->code_len != e->status.code_digits) {
        end_req(k, l, KB_KEYS_INVALID, 0, KB_KEYS_REASON_CODE_LENGTH);
        return true;
      }
      k->t_us = now_us;
      r->state = ST_IDLE;
      return true;
    case ST_IDLE:
      if (k->clr.state != CL_NONE) { /* the clear runs first (kb_keys_step) */
        k->t_us = now_us;
        return false;
      }
      /* busy, unless it is the menu or prompt our own last request left
       * on this partition and ended done in (a user typing through a menu
       * one press at a time): then this request continues it */
      if (is_busy(st) && !(r->flags & F_ALARM) &&
          !(k->left_part == r->partition && st == k->left_status && st >= KB_ST_MENU_FIRST)) {
        if (!hold && timed_out(now_us, k->t_us, KB_KEYS_IDLE_MS)) {
          end_req(k, l, fail, st, 0);
          return true;
        }
        return false;
      }
      if (r->attempts == 0u) r->attempts = 1;
      r->goal = decide_goal(r, e);
      r->state = ST_NEXT;
      return true;
    case ST_NEXT:
      k->t_us = now_us;
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
      /* a prompt counts only if it appeared after this request's command key
       * (base: the status when that key was accepted) */
      if (st == KB_ST_ENTER_CODE && r->base != KB_ST_ENTER_CODE && r->accepted) {
        r->flags |= F_CODE;
        r->code_pos = 0;
        k->t_us = now_us;
        r->state = ST_ARM;
        return true;
      }
      /* no prompt (quick arm reached the goal, a menu opened without one,
       * or it never came): the code stays untyped. An `@` with no key before
       * it has no command key a prompt could answer: it never counts. */
      if (!r->accepted && !hold && timed_out(now_us, k->t_us, KB_KEYS_PROMPT_MS)) {
        end_req(k, l, KB_KEYS_TIMED_OUT, st, 0);
        return true;
      }
      if ((r->accepted && (goal_reached(e, r) || (is_menu(st) && st != r->base))) ||
          (!hold && timed_out(now_us, k->t_us, KB_KEYS_PROMPT_MS))) {
        r->pos++;
        r->state = ST_NEXT;
        return true;
      }
      return false;
    case ST_ARM: {
      uint8_t key = due_key(r);
      bool ok;
      if (e && e->status.synced && kb_link_write_idle(l)) {
        if (r->flags & F_ALARM)
          ok = kb_link_write_arm(l, key, 0, 0, 0, 2) == KB_OK;
        else
          ok = arm_slot(l, r->partition, key);
        if (ok) {
          r->tag = kb_link_write_tag(l);
          r->key = key;
          k->t_due_us = now_us;
          r->flags &= (uint8_t)~(F_IDLE | F_CLEAN);
          k->wipe_link = 0;
          r->state = ST_WRITE;
          return false;
        }
      }
      if (!hold && timed_out(now_us, k->t_us, KB_KEYS_KEY_MS)) {
        end_req(k, l, fail, 0, 0);
        return true;
      }
      return false;
    }
    case ST_WRITE:
      if (!(r->flags & F_IDLE) && kb_link_write_idle(l)) {
        r->flags |= F_IDLE | F_WENT; /* the link drove the key and disarmed */
        k->t_idle = now_us;
      }
      if (f && on_written(k, r, l, e, f, now_us)) return true;
      if (!hold && timed_out(now_us, k->t_us, KB_KEYS_KEY_MS)) {
        if (r->flags & F_IDLE) { /* driven, but no frame of it came: unconfirmed */
          to_judge(r);
          return true;
        }
        end_req(k, l, fail, 0, 0); /* never went out */
        return true;
      }
      return false;
    case ST_EXPECT: {
      bool match = false;
      if (st != r->base) {
        switch (r->expect) {
          case EX_STAR: match = st == KB_ST_STAR_MENU || st == KB_ST_STAR_MENU_ARMED; break;
          case EX_TIME: match = st == KB_ST_SET_TIME; break;
          default: match = is_menu(st) || st == KB_ST_ENTER_CODE; break;
        }
        if (match && st == KB_ST_ENTER_CODE && r->keys[r->pos] != '@') {
          /* the panel wants a code the request has no place for: typing on
           * would enter its keys as a code */
          end_req(k, l, KB_KEYS_REJECTED, st, 0);
          return true;
        }
        if (r->expect == EX_MENU_STRICT && !match) { /* anything else ends it */
          end_req(k, l, KB_KEYS_REJECTED, st, 0);
          return true;
        }
      }
      if (match) {
        r->expect = EX_NONE;
        r->state = ST_NEXT;
        return true;
      }
      if (!hold && timed_out(now_us, k->t_us, KB_KEYS_STAR_MS)) {
        end_req(k, l, fail, st, 0);
        return true;
      }
      return false;
    }
    case ST_JUDGE:
      if (!(r->flags & F_JCLR)) { /* stop typing: the `#` clear first, then look */
        if (!kb_link_write_idle(l)) {
          kb_link_write_cancel(l);
          return false;
        }
        clear_due(k, r);
        r->flags |= F_JCLR;
        return true;
      }
      if (k->clr.state != CL_NONE) {
        k->t_us = now_us; /* the goal wait counts from the end of the clear */
        return false;
      }
      r->flags |= F_CLEAN;
      if (goal_reached(e, r)) {
        end_req(k, l, KB_KEYS_DONE, 0, 0);
        return true;
      }
      /* a goal the engine can see may still be on its way through the
       * noise filter: give it the time a last key gets */
      if ((r->goal == GOAL_ARM || r->goal == GOAL_DISARM) &&
          (hold || !timed_out(now_us, k->t_us, KB_KEYS_GOAL_MS)))
        return false;
      if (r->goal != GOAL_NONE && !r->final && r->attempts < KB_KEYS_ATTEMPTS) {
        r->attempts++;
        restart(r); /* F_JCLR and F_DIFF go with it */
        note(k, KB_KEYS_NOTE_RETRY, r->partition, r->id, r->attempts);
        k->t_us = now_us;
        r->state = ST_IDLE;
        return true;
      }
      end_req(k, l, (r->flags & F_DIFF) ? KB_KEYS_COLLIDED : KB_KEYS_UNCERTAIN, 0, 0);
      return true;
    default: /* ST_SETTLE */
      if (goal_reached(e, r)) {
        end_req(k, l, KB_KEYS_DONE, 0, 0);
        return true;
      }
      if (!hold && timed_out(now_us, k->t_us, r->goal == GOAL_ARM || r->goal == GOAL_DISARM
                                                    ? KB_KEYS_GOAL_MS
                                                    : KB_KEYS_SETTLE_MS)) {
        /* a request whose goal the engine can see is done only when it saw it */
        bool seen = r->goal != GOAL_ARM && r->goal != GOAL_DISARM;
        end_req(k, l, seen ? KB_KEYS_DONE : KB_KEYS_TIMED_OUT, seen ? 0 : st, 0);
        return true;
      }
      return false;
  }
}

/* The `#` clear: one step. Returns true when it moved on. */
static bool clear_step(kb_keys_t *k, kb_link_t *l, const kb_engine_t *e, const kb_frame_t *f,
                       uint32_t now_us, bool connected) {
  uint8_t st = part_status(e, k->clr.partition);
  bool hold = !connected || kb_link_quiet_us(l, now_us) > MS(KB_KEYS_QUIET_MS);
  switch (k->clr.state) {
    case CL_ARM:
      if (!connected || !e || !e->status.synced) return false; /* waits for the bus */
      if (!kb_link_write_idle(l)) {
        kb_link_write_cancel(l);
        return false;
      }
      if (!arm_slot(l, k->clr.partition, KB_KEY_POUND)) return false;
      if (!k->clr.noted) {
        note(k, KB_KEYS_NOTE_CLEAR, k->clr.partition, k->clr.id, 0);
        k->clr.noted = 1;
      }
      k->clr.tag = kb_link_write_tag(l);
      k->clr.idle = 0;
      k->clr.t_us = now_us;
      k->clr.state = CL_WRITE;
      return false;
    case CL_WRITE: {
      bool again = false, on = false;
      if (!k->clr.idle && kb_link_write_idle(l)) {
        k->clr.idle = 1;
        k->clr.t_idle = now_us;
      }
      if (f && f->wrote == k->clr.tag) {
        on = true;
        again = echo_check(f, k->clr.tag, KB_KEY_POUND) != ECHO_OK;
      } else if (f && k->clr.idle && frame_after(f, k->clr.t_idle)) {
        on = again = true; /* its frame was lost */
      } else if (!hold && timed_out(now_us, k->clr.t_us, KB_KEYS_KEY_MS)) {
        on = again = true;
      }
      if (!on) return false;
      /* `#` twice only clears twice: it may be typed again */
      if (again && ++k->clr.tries < CLEAR_TRIES) {
        k->clr.state = CL_ARM;
      } else {
        kb_link_write_cancel(l); /* a `#` that never found its slot goes */
        k->wipe_link = 1;
        k->clr.t_us = now_us;
        k->clr.state = CL_WAIT;
      }
      return true;
    }
    default: /* CL_WAIT: the partition back at its normal status */
      if (connected && e && e->status.synced && !is_busy(st)) {
        k->clr.state = CL_NONE;
        return true;
      }
      if (!hold && timed_out(now_us, k->clr.t_us, KB_KEYS_IDLE_MS)) {
        k->clr.state = CL_NONE; /* the request's own start gate still waits for it */
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

static kb_err_t check_code(const char *code, uint8_t *len) {
  uint8_t n = 0;
  *len = 0;
  if (!code) return KB_OK;
  while (n <= KB_KEYS_CODE_MAX && code[n]) {
    if (code[n] < '0' || code[n] > '9') return KB_ERR_CODE;
    n++;
  }
  if (n != 4u && n != 6u) return KB_ERR_CODE;
  *len = n;
  return KB_OK;
}

/* The panel's code length, once the engine has seen it (0x16). */
static bool code_length_wrong(const kb_engine_t *e, uint8_t code_len) {
  return e && code_len && e->status.code_digits && code_len != e->status.code_digits;
}

/* Request r (the slot after the last, filled) joins the queue with the next
 * id (never 0); both series. Its waits count from when it becomes active. */
static void enqueue(kb_keys_t *k, kb_keys_req_t *r, uint16_t *id) {
  r->state = ST_START;
  r->id = k->next_id;
  k->next_id = (uint16_t)(k->next_id + 1u);
  if (k->next_id == 0u) k->next_id = 1;
  k->count++;
  if (id) *id = r->id;
}

kb_err_t kb_keys_submit(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                             const char *keys, const char *code, uint32_t now_us, uint16_t *id) {
  kb_keys_req_t *r;
  uint8_t n = 0, code_len, at = 0, insert = 0xFF;
  kb_err_t err;
  KB_ASSERT(k != NULL);
  if (partition < 1u || partition > KB_MAX_PARTITIONS) return KB_ERR_PARTITION;
  if (e && e->status.synced && e->status.early && partition > 2u) return KB_ERR_PARTITION;
  if (!keys) return KB_ERR_KEY;
  for (n = 0; keys[n]; n++) {
    if (n == KB_KEYS_MAX) return KB_ERR_KEY;
    if (keys[n] == '@') {
      at++;
    } else if (kb_keys_code(keys[n]) == KB_KEY_NONE) {
      return KB_ERR_KEY;
    } else if (insert == 0xFF && expects_code(keys[n])) {
      insert = (uint8_t)(n + 1u);
    }
  }
  if (n == 0u) return KB_ERR_KEY;
  for (uint8_t i = 0; i < n; i++) /* an alarm key is a request of its own */
    if (is_alarm_char(keys[i]) && n != 1u) return KB_ERR_KEY;
  err = check_code(code, &code_len);
  if (err != KB_OK) return err;
  if (code_length_wrong(e, code_len)) return KB_ERR_CODE;
  if (at && !code_len) return KB_ERR_CODE;
  if (code_len && !at) {
    if (insert == 0xFF) return KB_ERR_CODE;
    if (n == KB_KEYS_MAX) return KB_ERR_KEY;
  } else {
    insert = 0xFF;
  }
  if (k->count == KB_KEYS_QUEUE) return KB_ERR_FULL;

  r = &k->q[(k->head + k->count) % KB_KEYS_QUEUE];
  wipe(r, sizeof *r);
  for (uint8_t i = 0, o = 0; i < n; i++) {
    if (i == insert) r->keys[o++] = '@';
    r->keys[o++] = lower(keys[i]);
  }
  if (insert == n) r->keys[n] = '@';
  r->n = (uint8_t)(n + (insert != 0xFF));
  if (code_len) memcpy(r->code, code, code_len);
  r->code_len = code_len;
  r->partition = partition;
  r->flags = is_alarm_char(keys[0]) ? F_ALARM : 0;
  (void)now_us;
  enqueue(k, r, id);
  return KB_OK;
}

static void put2(char *s, unsigned v) {
  s[0] = (char)('0' + v / 10u);
  s[1] = (char)('0' + v % 10u);
}

kb_err_t kb_keys_set_time(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                               uint16_t year, uint8_t month, uint8_t day, uint8_t hour,
                               uint8_t minute, const char *code, uint32_t now_us, uint16_t *id) {
  char s[16]; /* "*6@1" HHMM MMDDYY "#" */
  uint8_t code_len;
  kb_err_t err;
  KB_ASSERT(k != NULL);
  if (partition < 1u || partition > KB_MAX_PARTITIONS) return KB_ERR_PARTITION;
  if (year >= 2000u && year <= 2099u) year = (uint16_t)(year - 2000u);
  if (year > 99u || month < 1u || month > 12u || day < 1u || day > 31u || hour > 23u ||
      minute > 59u)
    return KB_ERR_RANGE;
  err = check_code(code, &code_len);
  if (err != KB_OK) return err;
  if (!code_len) return KB_ERR_CODE;
  if (!e || !e->status.synced) return KB_ERR_NOT_READY;
  if (e->status.early && partition > 2u) return KB_ERR_PARTITION;
  if (!e->status.part[partition - 1u].ready) return KB_ERR_NOT_READY;
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
  if (kb_keys_idle(k, connected)) return;
  if (k->was_connected && !connected) { /* every pending request ends */
    k->left_part = 0; /* what the panel shows when the bus is back is not ours to continue */
    while (k->count) end_req(k, l, KB_KEYS_DISCONNECTED, 0, 0);
    if (k->clr.state != CL_NONE) { /* the clear starts over when the bus is back */
      kb_link_write_abort(l);
      k->wipe_link = 1;
      k->clr.state = CL_ARM;
      k->clr.tries = 0;
    }
  }
  k->was_connected = connected;
  if (k->wipe_link && kb_link_write_idle(l)) {
    kb_link_write_wipe(l);
    k->wipe_link = 0;
  }
  /* each transition either waits (false) or moves on; a request has at most
   * ~4 transitions per character, plus a few to start, clear and end */
  for (unsigned guard = 0; guard < 4u * KB_KEYS_MAX + 32u; guard++) {
    kb_keys_req_t *r;
    uint8_t st;
    bool moved;
    if (k->clr.state != CL_NONE) {
      moved = clear_step(k, l, e, f, now_us, connected);
      f = NULL; /* a frame is looked at once */
      if (!moved || !k->count) break;
      continue;
    }
    if (!k->count) break;
    r = &k->q[k->head];
    st = k->last_status = part_status(e, r->partition);
    /* a rejection counts in every state after the first key went out, the
     * judgement after an unconfirmed echo included: the panel's answer to a
     * code is known, and a code is never typed again after one */
    if (r->state > ST_IDLE && !(r->flags & F_ALARM) && (r->accepted || r->state == ST_JUDGE)) {
      if (st != k->prev_status && is_reject(st)) { /* judged by what shows after its keys */
        k->prev_status = st;
        end_req(k, l, KB_KEYS_REJECTED, st, 0);
        f = NULL;
        continue;
      }
      k->prev_status = st;
    }
    moved = advance(k, l, e, f, now_us, connected);
    f = NULL; /* a frame is looked at once */
    if (!moved) break;
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
        out->attempts = r->attempts;
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

/* ------------------------------------------------------------ Classic
 *
 * The queue above, with the Classic key writer (kb_cls_keys) typing the
 * active request (kb_keys.h, "Classic series"). States used: START (just
 * active), SYNC (waits for the decoder's start-up gate and the bus), WRITE
 * (the writer types the request), SETTLE (the goal). end_req() is called
 * with no PowerSeries link (l = NULL): the writer has been stopped here. */

static bool cls_char_ok(char c) {
  c = lower(c);
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || c == 'f' || c == 'a' || c == 'p' ||
         c == 's' || c == 'w' || c == 'n' || c == '@';
}

static bool cls_needs_code(char c) { return is_arm_char(c) || c == '@'; }

kb_err_t kb_keys_submit_cls(kb_keys_t *k, const kb_status_t *s, uint8_t partition,
                            const char *keys, const char *code, uint32_t now_us, uint16_t *id) {
  kb_keys_req_t *r;
  uint8_t n, code_len, need = 0;
  char cbuf[KB_KEYS_CODE_MAX + 1];
  kb_err_t err;
  KB_ASSERT(k != NULL);
  (void)s; /* the Classic has one partition and one code length: nothing to learn */
  if (partition != 1u) return KB_ERR_PARTITION;
  if (!keys) return KB_ERR_KEY;
  for (n = 0; keys[n]; n++) {
    if (n == KB_KEYS_MAX || !cls_char_ok(keys[n])) return KB_ERR_KEY;
    if (cls_needs_code(keys[n])) need = 1;
  }
  if (n == 0u) return KB_ERR_KEY;
  for (uint8_t i = 0; i < n; i++) /* an alarm key is a request of its own */
    if (is_alarm_char(keys[i]) && n != 1u) return KB_ERR_KEY;
  err = check_code(code, &code_len);
  if (err != KB_OK) return err;
  if (need != (code_len != 0u)) return KB_ERR_CODE; /* no code, or nowhere to put it */
  if (k->count == KB_KEYS_QUEUE) return KB_ERR_FULL;
  r = &k->q[(k->head + k->count) % KB_KEYS_QUEUE];
  wipe(r, sizeof *r);
  /* `@` is the code where it stands: on the Classic that is `s` (the code
   * alone arms when disarmed, disarms when armed) */
  for (uint8_t i = 0; i < n; i++) r->keys[i] = keys[i] == '@' ? 's' : lower(keys[i]);
  if (code_len) memcpy(cbuf, code, code_len);
  cbuf[code_len] = '\0';
  {
    char kbuf[KB_KEYS_MAX + 1]; /* r->keys is not NUL-terminated when full */
    memcpy(kbuf, r->keys, n);
    kbuf[n] = '\0';
    err = kb_cls_keys_check(kbuf, code_len ? cbuf : NULL); /* expanded, it fits */
  }
  wipe(cbuf, sizeof cbuf);
  if (err != KB_OK) {
    wipe(r, sizeof *r); /* nothing queued */
    return err;
  }
  r->n = n;
  if (code_len) memcpy(r->code, code, code_len);
  r->code_len = code_len;
  r->partition = 1;
  r->flags = is_alarm_char(keys[0]) ? F_ALARM : 0;
  (void)now_us;
  enqueue(k, r, id);
  return KB_OK;
}

static bool cls_armed(const kb_partition_t *pt) {
  return pt->armed != KB_ARMED_NONE || pt->exit_delay || pt->alarm;
}

/* What the request is for, from the Classic model when it starts. */
static uint8_t cls_goal(const kb_keys_req_t *r, const kb_status_t *s) {
  const kb_partition_t *pt = &s->part[0];
  unsigned digits = 0;
  bool only_code = true;
  for (uint8_t i = 0; i < r->n; i++) {
    char c = r->keys[i];
    if (!cls_armed(pt) && is_arm_char(c)) return GOAL_ARM;
    if (c == 's') digits += r->code_len; /* the code alone (`@`) */
    else if (c >= '0' && c <= '9') digits++;
    else only_code = false;
  }
  if (cls_armed(pt) && only_code && (digits == 4u || digits == 6u)) return GOAL_DISARM;
  return GOAL_NONE;
}

static bool cls_goal_reached(const kb_keys_req_t *r, const kb_status_t *s) {
  const kb_partition_t *pt = &s->part[0];
  if (r->goal == GOAL_ARM) return pt->armed != KB_ARMED_NONE || pt->exit_delay;
  if (r->goal == GOAL_DISARM) return pt->armed == KB_ARMED_NONE && !pt->exit_delay && !pt->alarm;
  return true;
}

/* Ends q[head]: the writer stopped first (its copy of the keys wiped, a
 * key still armed replaced by 0xFF), the link's copy wiped once idle. */
static void cls_end(kb_keys_t *k, kb_cls_keys_t *w, uint8_t result) {
  kb_keys_req_t *r = &k->q[k->head];
  if (r->state == ST_WRITE && w->result == KB_CLS_KEYS_PENDING) {
    if (w->i > 0u || w->in_flight) r->flags |= F_WENT;
    kb_cls_keys_step(w, NULL, false, 0); /* ends it: wipes keys, aborts the armed one */
  }
  k->wipe_link = 1;
  end_req(k, NULL, result, 0, 0);
}

/* The writer, once per step: a key echoed by frame f becomes a note. */
static void cls_writer(kb_keys_t *k, kb_cls_keys_t *w, const kb_cls_frame_t *f, bool connected,
                       uint32_t now_us, uint32_t now_ms) {
  uint8_t before = w->i, key = k->cls_key;
  bool echoed;
  if (w->result != KB_CLS_KEYS_PENDING) return;
  kb_cls_keys_step(w, f, connected, now_ms);
  /* a key echoed: the writer moved on, or finished (DONE only on an echo) */
  echoed = w->result == KB_CLS_KEYS_PENDING ? w->i != before : w->result == KB_CLS_KEYS_DONE;
  k->cls_key = w->in_flight ? w->key[w->i] : KB_CLS_KEY_NONE;
  if (echoed && k->count && k->clr.state == CL_NONE) {
    kb_keys_req_t *r = &k->q[k->head];
    kb_keys_note_t n;
    uint8_t ps = kb_cls_key_to_ps(key);
    r->accepted++;
    r->flags |= F_WENT;
    if (k->cb) {
      memset(&n, 0, sizeof n);
      n.type = KB_KEYS_NOTE_KEY;
      n.partition = r->partition;
      n.id = r->id;
      n.index = r->typed++;
      /* every digit is KB_KEY_DIGIT: it may be the code's */
      n.key = kb_proto_key_digit(ps) >= 0 ? (uint8_t)KB_KEY_DIGIT : ps;
      n.slot_byte = 0;
      n.slot_cycle = 1; /* keypad slots 1-8 of the frame */
      n.t_due_us = k->t_due_us;
      n.t_frame_us = now_us;
      k->cb(k->cb_ctx, &n);
    }
    key = 0;
  }
  if (echoed || w->in_flight) k->t_due_us = now_us;
}

static void cls_clear(kb_keys_t *k, kb_cls_keys_t *w, const kb_status_t *s, bool connected,
                      uint32_t now_ms) {
  if (k->clr.state == CL_ARM) {
    if (!connected || !s->synced || w->result == KB_CLS_KEYS_PENDING) return;
    if (kb_cls_keys_submit(w, "#", NULL, now_ms) != KB_OK) return;
    if (!k->clr.noted) {
      note(k, KB_KEYS_NOTE_CLEAR, k->clr.partition, k->clr.id, 0);
      k->clr.noted = 1;
    }
    k->clr.state = CL_WRITE;
  } else if (w->result != KB_CLS_KEYS_PENDING) { /* CL_WRITE: the `#` went, or not */
    if (w->result != KB_CLS_KEYS_DONE && ++k->clr.tries < CLEAR_TRIES)
      k->clr.state = CL_ARM;
    else
      k->clr.state = CL_NONE;
  }
}

void kb_keys_step_cls(kb_keys_t *k, kb_cls_keys_t *w, const kb_status_t *s,
                      const kb_cls_frame_t *f, bool connected, uint32_t now_us, uint32_t now_ms) {
  bool hold;
  KB_ASSERT(k != NULL && w != NULL && s != NULL);
  if (kb_keys_idle(k, connected)) return;
  if (k->was_connected && !connected) { /* every pending request ends */
    while (k->count) cls_end(k, w, KB_KEYS_DISCONNECTED);
    if (k->clr.state != CL_NONE) { /* the clear starts over when the bus is back */
      if (w->result == KB_CLS_KEYS_PENDING) kb_cls_keys_step(w, NULL, false, now_ms);
      k->clr.state = CL_ARM;
      k->clr.tries = 0;
    }
  }
  k->was_connected = connected;
  /* timeouts do not fire while the bus is quiet (as PowerSeries): the
   * silence ends, or becomes a disconnection; the writer's key is taken
   * to be due from the end of the silence */
  hold = connected && kb_cls_link_quiet_us(w->link, now_us) > MS(KB_KEYS_QUIET_MS);
  if (hold && w->result == KB_CLS_KEYS_PENDING) w->t_due_ms = now_ms;
  cls_writer(k, w, f, connected, now_us, now_ms);
  if (k->wipe_link && w->result != KB_CLS_KEYS_PENDING && kb_cls_link_write_idle(w->link)) {
    kb_cls_link_write_wipe(w->link);
    k->cls_key = KB_CLS_KEY_NONE;
    k->wipe_link = 0;
  }
  for (unsigned guard = 0; guard < 8u; guard++) {
    kb_keys_req_t *r;
    if (k->clr.state != CL_NONE) {
      uint8_t was = k->clr.state;
      cls_clear(k, w, s, connected, now_ms);
      if (k->clr.state == was || k->clr.state != CL_NONE) break;
      continue;
    }
    if (!k->count) break;
    r = &k->q[k->head];
    switch (r->state) {
      case ST_START:
        k->t_us = now_us; /* its waits count from here */
        r->state = ST_SYNC;
        continue;
      case ST_SYNC: {
        char cbuf[KB_KEYS_CODE_MAX + 1], kbuf[KB_KEYS_MAX + 1];
        kb_err_t err;
        if (!connected || !s->synced || w->result == KB_CLS_KEYS_PENDING) {
          if (!hold && timed_out(now_us, k->t_us, KB_KEYS_KEY_MS)) {
            cls_end(k, w, KB_KEYS_TIMED_OUT);
            continue;
          }
          break;
        }
        r->goal = cls_goal(r, s);
        r->attempts = 1;
        memcpy(cbuf, r->code, r->code_len);
        cbuf[r->code_len] = '\0';
        memcpy(kbuf, r->keys, r->n);
        kbuf[r->n] = '\0'; /* r->keys is not NUL-terminated when full */
        err = kb_cls_keys_submit(w, kbuf, r->code_len ? cbuf : NULL, now_ms);
        wipe(cbuf, sizeof cbuf);
        if (err != KB_OK) { /* checked at submit: cannot happen */
          end_req(k, NULL, KB_KEYS_INVALID, 0, 0);
          continue;
        }
        k->t_due_us = now_us;
        r->state = ST_WRITE;
        cls_writer(k, w, NULL, connected, now_us, now_ms); /* the first key armed now */
        break;
      }
      case ST_WRITE:
        if (w->result == KB_CLS_KEYS_PENDING) break;
        if (w->result == KB_CLS_KEYS_DONE) {
          r->code_pos = r->code_len; /* done with the code: the writer wiped its copy */
          if (r->code_len) r->flags |= F_TYPED;
          wipe(r->code, sizeof r->code);
          k->t_us = now_us;
          r->state = ST_SETTLE;
          continue;
        }
        if (w->result == KB_CLS_KEYS_COLLIDED) r->flags |= F_WENT; /* a key went out */
        cls_end(k, w,
                w->result == KB_CLS_KEYS_COLLIDED    ? KB_KEYS_COLLIDED
                : w->result == KB_CLS_KEYS_TIMED_OUT ? KB_KEYS_TIMED_OUT
                                                     : KB_KEYS_DISCONNECTED);
        continue;
      default: /* ST_SETTLE */
        if (cls_goal_reached(r, s)) {
          cls_end(k, w, KB_KEYS_DONE);
          continue;
        }
        if (!hold && timed_out(now_us, k->t_us, KB_KEYS_GOAL_MS)) {
          cls_end(k, w, KB_KEYS_TIMED_OUT);
          continue;
        }
        break;
    }
    break;
  }
}
