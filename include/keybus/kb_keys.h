/* SPDX-License-Identifier: MIT
 *
 * kb_keys.h - the virtual keypad: a bounded queue of key requests and the
 * state machine that types them through the link's write path.
 *
 * What it promises
 *   A request is a string of keys (alphabet below) for one partition 1-8,
 *   with an optional access code. kb_keys_submit() checks it whole (one bad
 *   character refuses it all), copies it into the module's own queue and
 *   returns an id at once; a full queue is refused at once, nothing blocks.
 *   Requests are typed one after the other, one key per qualifying status
 *   message (partitions 1-4: slot of 0x05 or 0x0A, module byte 2/3/8/9;
 *   partitions 5-8: 0x1B, bytes 2/3/8/9; alarm keys: module byte 0 of the
 *   next message and of the following one, which should be the panel's 0x1C).
 *   Each key is read back from the published frame (echo check). Nothing is
 *   written before the engine is synced (start-up gate).
 *   Every request ends with one result (kb_keys_result_t), visible by
 *   kb_keys_result(id) (the last KB_KEYS_HISTORY results are kept) and
 *   through the callback, which also reports every accepted key with its
 *   times (for the closed-loop bench: request to acceptance, in bus time).
 *
 * Who calls what, from where: everything here is task side (the same
 * thread that feeds the engine). kb_bus_poll() (kb_bus.h) makes the calls
 * below; kb_bus_keys_submit() and friends queue requests on its keypad.
 * Without kb_bus: kb_keys_step() is called after each frame from the link
 * ring has been fed to kb_engine_frame() (f = that frame, before
 * kb_link_pop()), and periodically with f = NULL (timeouts, the
 * disconnected rule) after kb_link_tick(). The interrupt side is the link's
 * (kb_link_edge/kb_link_sample); this module only arms one key at a time
 * with kb_link_write_arm().
 *
 * Errors (kb_keys_submit, kb_keys_set_time) are kb_err_t (kb_err.h); a
 * request's outcome is a kb_keys_result_t, not an error.
 *
 * Key alphabet (characters of a request; letters in either case):
 *   0-9       digits                       *  star (waits for the panel, below)
 *   #         pound                        s  arm stay      (0xAF)
 *   w         arm away        (0xB1)       n  arm no entry delay (0xB6)
 *   c         door chime      (0xBB)       r  reset (fire reset, 0xDA)
 *   x         quick exit      (0xE1)       b  enter (0x82)
 *   <  >      left / right arrow (0x88 / 0x87)
 *   [ ] { }   command output 1 / 2 / 3 / 4 (0xD5 / 0xDA / 0x70 / 0xEC)
 *   f a p     keypad fire / auxiliary / panic alarm (0xBB / 0xDD / 0xEE in
 *             module byte 0); an alarm key must be the whole request
 *   @         the request's access code goes here, typed only if the panel
 *             prompts for it (below)
 *
 * Rules (docs/virtual-keypad.md, "Write safety", has them in full)
 *   A key goes on the bus at most once per attempt. Each key is confirmed by
 *   its echo in the frame that carried it; an echo that differs, or cannot
 *   be confirmed (slot incomplete, runt/framing/length error, frame lost),
 *   stops the request: the keypad types `#` to clear the panel's entry
 *   (KB_KEYS_NOTE_CLEAR: the one key it types unasked), then judges by the
 *   partition's state: goal reached -> DONE; a goal the engine can see
 *   (arm, disarm) or a repeatable request (set time) -> the whole request
 *   again (KB_KEYS_NOTE_RETRY, at most KB_KEYS_ATTEMPTS attempts); else, or
 *   when the attempts run out, UNCERTAIN (COLLIDED after a differing echo).
 *   A request starts typing only once its partition shows its normal status
 *   (no menu, prompt or brief answer), within KB_KEYS_IDLE_MS, else
 *   TIMED_OUT; it is judged only by what shows after its own keys.
 *   `*`: the next key waits for 0x9E / 0xB8 (KB_KEYS_STAR_MS from the `*`'s
 *   acceptance, else TIMED_OUT); `*` + a function digit waits for a menu or
 *   the code prompt, the code of a function that more keys follow for a menu
 *   (anything else: REJECTED with that status, and `#`), `1` in the *6 menu
 *   for 0xAA. A code prompt the request has no code for ends it REJECTED.
 *   Access code: never typed on the module's own. It is typed only at an `@`
 *   of a request that was given a code, and only at a 0x9F ("enter access
 *   code") that appeared after the request's command key was accepted,
 *   waited for at most KB_KEYS_PROMPT_MS; without the prompt (quick arm, a
 *   menu opening without one) the code is skipped and the request goes on.
 *   A code given without an `@` gets an implicit `@` after the request's
 *   first arm or command-output key (s w n [ ] { }); a code with nowhere to
 *   go, an `@` without a code, or (once the engine knows the panel's code
 *   length, kb_status_t.code_digits) a code of the other length is refused.
 *   The code (4 or 6 digits) is copied into the request, never logged nor
 *   compared (only each digit's echo on the bus is checked, like any key),
 *   left out of the key notes (key = KB_KEY_DIGIT, as every digit), and zeroed when the request ends
 *   (also the link's copy of the last digit typed: a digit still armed is
 *   aborted, see kb_link_write_abort(); the echo in the link's ring is
 *   overwritten by kb_link_pop()).
 *   Done: arm/disarm requests when the engine shows the goal within
 *   KB_KEYS_GOAL_MS of the last key (else TIMED_OUT); others when no
 *   rejection shows within KB_KEYS_SETTLE_MS.
 *   Rejected: after its first key the partition's committed status changed
 *   to 0x8F (invalid access code), 0x07 (failed to arm), 0x0E / 0x8E
 *   (function not available) or 0x10 (keypad lockout); `status` says which.
 *   Timed out: a key not accepted within KB_KEYS_KEY_MS of being due (also
 *   while waiting for sync), a wait for the panel that expired. Timeouts do
 *   not fire while the bus is quiet (no message boundary for
 *   KB_KEYS_QUIET_MS): the silence ends or becomes a disconnection.
 *   Disconnected: the link turns disconnected (kb_link_connected) while a
 *   request is pending: every pending request ends so.
 *   Unfinished: a request that put keys on the bus and ended other than
 *   DONE leaves a `#` clear due on its partition, typed (once the bus is
 *   back) before any other key.
 *   Invalid (reason in kb_keys_info_t): partition 3..8 on an early-generation
 *   panel, a disabled partition (0xC7), a code of the wrong length.
 *   Not verified: an alarm key was written twice but the second message was
 *   not the panel's 0x1C.
 *
 * Memory: static, kb_keys_t holds the queue (KB_KEYS_QUEUE requests of
 * KB_KEYS_MAX keys) and the result history. Its tunables (KB_KEYS_*) are in
 * kb_config.h with every other one.
 */
#ifndef KB_KEYS_H_
#define KB_KEYS_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_cls_keys.h"
#include "keybus/kb_config.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_err.h"
#include "keybus/kb_link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Access code length limit (4 or 6 digits are accepted). */
#define KB_KEYS_CODE_MAX 6

/* Outcome of a request. */
typedef enum {
  KB_KEYS_PENDING = 0,  /* queued or being typed */
  KB_KEYS_DONE,         /* every key accepted, no rejection in the window */
  KB_KEYS_REJECTED,     /* the panel refused: status in kb_keys_info_t */
  KB_KEYS_COLLIDED,     /* a key's echo differed (another keypad spoke) */
  KB_KEYS_TIMED_OUT,    /* a key or the `*` wait ran out of time */
  KB_KEYS_DISCONNECTED, /* the bus went away while pending */
  KB_KEYS_INVALID,      /* refused at start (partition 3..8, early generation) */
  KB_KEYS_NOT_VERIFIED, /* alarm key written twice, the panel did not answer 0x1C */
  KB_KEYS_UNCERTAIN,    /* a key's echo could not be confirmed and the retries ran
                           out: the panel may or may not have acted (never hidden
                           as done or failed) */
  KB_KEYS_UNKNOWN       /* no such id (never submitted, or forgotten) */
} kb_keys_result_t;

/* Why a request ended INVALID (kb_keys_info_t.reason); NONE otherwise. */
typedef enum {
  KB_KEYS_REASON_NONE = 0,
  KB_KEYS_REASON_EARLY,       /* partition 3..8 on an early-generation panel */
  KB_KEYS_REASON_DISABLED,    /* the partition is disabled on the panel (status 0xC7) */
  KB_KEYS_REASON_CODE_LENGTH  /* the code's length is not the panel's (0x16 byte 4 b3) */
} kb_keys_reason_t;

typedef struct {
  uint8_t result;   /* kb_keys_result_t */
  uint8_t status;   /* REJECTED: the partition status that refused, else 0 */
  uint8_t accepted; /* keys accepted by the panel (echo matched) */
  uint8_t code_typed; /* the access code was typed (the panel prompted) */
  uint8_t reason;   /* INVALID: kb_keys_reason_t, else 0 */
  uint8_t attempts; /* attempts made (1 + retries after an unconfirmed echo) */
} kb_keys_info_t;

/* What the callback reports. */
typedef enum {
  KB_KEYS_NOTE_KEY = 0, /* a key was accepted (echo matched) */
  KB_KEYS_NOTE_END,     /* a request ended: result, status */
  KB_KEYS_NOTE_CLEAR,   /* the keypad typed `#` on its own to clear an entry it
                           left unfinished (id = the request that left it; the
                           one key typed without being asked: log it) */
  KB_KEYS_NOTE_RETRY    /* request id starts attempt number `index` (2, 3, ...)
                           after an echo it could not confirm */
} kb_keys_note_type_t;

typedef struct {
  uint8_t type;      /* kb_keys_note_type_t */
  uint8_t partition; /* of the request */
  uint16_t id;
  /* KB_KEYS_NOTE_KEY */
  uint8_t index;       /* key number within the typed sequence (0 = first) */
  uint8_t key;         /* key code written; KB_KEY_DIGIT for every digit key
                          (a digit may be part of an access code, a secret:
                          the `@` code and a disarm's plain digits alike) */
  uint8_t slot_byte;   /* module byte of the slot (0 = alarm key) */
  uint8_t slot_cycle;  /* its first low phase: the key went out from
                          t_frame_us + slot_cycle clock periods */
  uint32_t t_due_us;   /* task time (now_us of kb_keys_step) at which the key
                          was handed to the link */
  uint32_t t_frame_us; /* t_start_us of the frame that carried it */
  /* KB_KEYS_NOTE_END */
  uint8_t result;    /* kb_keys_result_t */
  uint8_t status;    /* REJECTED: the status byte */
  uint8_t reason;    /* INVALID: kb_keys_reason_t */
} kb_keys_note_t;

typedef void (*kb_keys_cb)(void *ctx, const kb_keys_note_t *n);

/* One request (internal). */
typedef struct {
  uint16_t id;
  uint8_t partition;
  uint8_t n;         /* characters in keys[] */
  uint8_t pos;       /* next character */
  uint8_t state;     /* internal */
  uint8_t code_len;
  uint8_t code_pos;  /* digits of the code typed so far */
  uint8_t accepted;
  uint8_t typed;     /* keys handed to the link (index of the next note) */
  uint8_t flags;     /* internal */
  uint8_t key;       /* code of the key in flight */
  uint8_t reps;      /* alarm key: messages written so far */
  uint8_t tag;       /* kb_link_write_tag() of the key in flight's arm */
  uint8_t goal;      /* what the attempt is for (internal) */
  uint8_t expect;    /* status the last key must bring (internal) */
  uint8_t base;      /* committed status when the last key was accepted */
  uint8_t attempts;  /* attempts started */
  uint8_t final;     /* no retry: a code may have been completed (internal) */

  char keys[KB_KEYS_MAX];
  char code[KB_KEYS_CODE_MAX]; /* secret: zeroed when the request ends */
} kb_keys_req_t;

typedef struct {
  uint16_t id;
  kb_keys_info_t info;
} kb_keys_hist_t;

/* Virtual keypad state: public so firmware can place it statically; fields
 * are internal. */
typedef struct kb_keys_s {
  kb_keys_req_t q[KB_KEYS_QUEUE];
  kb_keys_hist_t hist[KB_KEYS_HISTORY];
  uint8_t head;      /* active (oldest) request */
  uint8_t count;
  uint8_t hist_next;
  uint8_t prev_status; /* committed status of the active partition at the last step */
  uint8_t was_connected;
  uint8_t wipe_link; /* the link's copy of the last key is to be wiped once idle */
  uint8_t left_part;   /* partition the last request ended done on (0 = none) */
  uint8_t left_status; /* and the status it showed then */
  uint8_t last_status; /* status of the active request's partition at this step */
  uint8_t cls_key;     /* Classic: K0 of the key in flight at the last step */
  /* the active request's times (only q[head] waits on anything) */
  uint32_t t_us;     /* start of the current wait */
  uint32_t t_due_us; /* when the key in flight was armed */
  uint32_t t_idle;   /* WRITE: when the link's write path was seen idle */
  struct {           /* the `#` clear (internal) */
    uint8_t state, partition, tries, tag, noted, idle;
    uint16_t id;     /* the request that left the entry */
    uint32_t t_us, t_idle;
  } clr;
  uint16_t next_id;
  kb_keys_cb cb;
  void *cb_ctx;
} kb_keys_t;

/* ------------------------------------------------------------ Task API */

/* Empties the queue; cb (may be NULL) receives key and end notes. */
void kb_keys_init(kb_keys_t *k, kb_keys_cb cb, void *ctx);

/* Queues a request: `keys` (NUL-terminated, alphabet above) for partition
 * 1..8; code: NULL or the access code (4 or 6 digits, NUL-terminated), typed
 * only at a prompt (see Rules). e may be NULL; when given and synced, an
 * early-generation panel refuses partitions 3..8 here already. now_us: task
 * time (the link's microsecond clock). On KB_OK *id (may be NULL)
 * receives the request's id (never 0). Errors (nothing is queued):
 *   KB_ERR_FULL       the queue is full (KB_KEYS_QUEUE requests)
 *   KB_ERR_KEY        empty, too long, a character outside the alphabet, or
 *                     an alarm key that is not the whole request
 *   KB_ERR_PARTITION  not 1..KB_MAX_PARTITIONS, or above 2 on an
 *                     early-generation panel (known once e is synced)
 *   KB_ERR_CODE       code not 4 or 6 digits, not the panel's length (once
 *                     known), `@` without a code, or a code with nowhere to go
 * A request's outcome is not an error: it is its kb_keys_result_t. */
KB_MUST_CHECK kb_err_t kb_keys_submit(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                                      const char *keys, const char *code, uint32_t now_us,
                                      uint16_t *id);

/* Queues the panel date/time request (notes §6.1): `*6` + code + `1` + HHMM
 * + MMDDYY + `#`, on `partition`, which must be ready now (e synced, the
 * partition's committed status ready). year: 2000..2099 or 0..99; month
 * 1..12; day 1..31; hour 0..23; minute 0..59; code 4 or 6 digits. Errors
 * as kb_keys_submit(), plus KB_ERR_RANGE (a value out of range) and
 * KB_ERR_NOT_READY (e not synced, or the partition not ready). */
KB_MUST_CHECK kb_err_t kb_keys_set_time(kb_keys_t *k, const kb_engine_t *e, uint8_t partition,
                                        uint16_t year, uint8_t month, uint8_t day, uint8_t hour,
                                        uint8_t minute, const char *code, uint32_t now_us,
                                        uint16_t *id);

/* Advances the active request. f: the frame just fed to the engine (before
 * kb_link_pop), or NULL for a periodic call. now_us: task time (same clock
 * as the link's edges). */
void kb_keys_step(kb_keys_t *k, kb_link_t *l, const kb_engine_t *e, const kb_frame_t *f,
                  uint32_t now_us);

/* Result of request `id`; out (may be NULL) receives the details. A request's
 * result is recorded before its KB_KEYS_NOTE_END is sent: called from the
 * callback, this already answers it. */
kb_keys_result_t kb_keys_result(const kb_keys_t *k, uint16_t id, kb_keys_info_t *out);

/* Requests queued or being typed. */
uint8_t kb_keys_pending(const kb_keys_t *k);

/* True when kb_keys_step() has nothing to do: no request queued, no `#`
 * clear due, no key left in the link to wipe, and the link's connection
 * (connected = kb_link_connected() now) as it was at the last step. A task
 * loop may skip the step then (kb_bus_poll() does, twice per frame);
 * calling it anyway changes nothing. */
static inline bool kb_keys_idle(const kb_keys_t *k, bool connected) {
  return k->count == 0u && k->clr.state == 0u && k->wipe_link == 0u &&
         (k->was_connected != 0u) == connected;
}

/* ------------------------------------------------ Classic series
 *
 * The same queue, ids, results, notes, history and safety rules for a
 * Classic panel (kb_bus_set_series(KB_SERIES_CLASSIC) makes kb_bus call
 * these instead of kb_keys_submit/kb_keys_step); the keys go out through
 * the Classic key writer (kb_cls_keys.h: one key per frame in keypad slots
 * 1-8, echo from K0 of the frame that carried it, the 50 ms hold-off and
 * the 500 ms gate after an alarm key), which types the active request.
 * What differs (docs/virtual-keypad.md, "Classic series"):
 *   - alphabet: 0-9 * # f a p, and s / w / n / @ which need the code:
 *     s = the code (the panel arms stay when nobody leaves), w = the code
 *     then `*1`, n = `*9` then the code, @ = the code where it stands. The
 *     Classic has no prompt (no 0x9F): the code is typed as part of the
 *     request. PowerSeries-only keys (c r x b < > [ ] { }) are refused
 *     (KB_ERR_KEY), so are partitions other than 1 (KB_ERR_PARTITION);
 *     a code with no s/w/n/@ to go to is refused (KB_ERR_CODE).
 *   - goals are judged from the Classic model: a request that arms
 *     (s/w/n while disarmed) is DONE when partition 1 shows exit delay or
 *     armed (the PC-16 armed bit) within KB_KEYS_GOAL_MS of its last key,
 *     a disarm (only the code, while armed, in exit delay or alarm) when
 *     it shows disarmed; else TIMED_OUT. The Classic bus has no rejection
 *     status: a wrong code is "goal not reached", i.e. TIMED_OUT, never
 *     REJECTED. Other requests are DONE once every key echoed.
 *   - a differing echo ends the request COLLIDED (no retry: the Classic
 *     bus has nothing to judge an unconfirmed key by but the goal).
 *   - the `#` clear after an unfinished request, the disconnected rule and
 *     the wiping of the code (queue, writer and the link's copy) are the
 *     PowerSeries ones.
 *   Set time is refused by kb_bus (KB_ERR_ARG: the Classic has no clock).
 */
KB_MUST_CHECK kb_err_t kb_keys_submit_cls(kb_keys_t *k, const kb_status_t *s, uint8_t partition,
                                          const char *keys, const char *code, uint32_t now_us,
                                          uint16_t *id);

/* Advances the active Classic request through writer w (initialised on the
 * bus's Classic link). f: the frame just fed to the Classic decoder (before
 * kb_cls_link_pop()), or NULL; s: the Classic model; connected: the Classic
 * link's state (kb_cls_link_tick()); now_us the task's µs clock, now_ms its
 * wrap-safe milliseconds (kb_bus_ms()). */
void kb_keys_step_cls(kb_keys_t *k, kb_cls_keys_t *w, const kb_status_t *s,
                      const kb_cls_frame_t *f, bool connected, uint32_t now_us, uint32_t now_ms);

/* Key code of an alphabet character, 0xFF when it is not one ('@' and the
 * alarm keys included: 0xBB / 0xDD / 0xEE for f / a / p). */
uint8_t kb_keys_code(char c);

#ifdef __cplusplus
}
#endif

#endif /* KB_KEYS_H_ */
