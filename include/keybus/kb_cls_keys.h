/* SPDX-License-Identifier: MIT
 *
 * kb_cls_keys.h - the Classic series virtual keypad, task side: types one
 * request (a string of keys) through the Classic link's write path
 * (kb_cls_link_write_arm(): one key in keypad slots 1-8 of one frame, A7),
 * checking each key's echo in the frame that carried it.
 *
 * What it promises
 *   kb_cls_keys_submit() checks a request whole (one bad character refuses
 *   it all: nothing is silently dropped) and expands the arming shortcuts
 *   into Classic keys, with buffers sized for 6-digit codes (quirk A10.3):
 *     0-9 * #      the keys;  f a p  keypad fire / aux / panic (0x3F/0x5F/0x6F)
 *     s            arm stay  = the access code (the panel arms stay when
 *                  nobody leaves)
 *     w            arm away  = the access code, then * 1
 *     n            no entry delay = * 9, then the access code
 *   s, w and n need a code of 4 or 6 digits (KB_ERR_CODE otherwise); the
 *   PowerSeries-only keys (c r x b < > [ ] { } @) are refused (KB_ERR_KEY).
 *   One key per frame at most, and a 50 ms hold-off after each (A7); after
 *   an F/A/P key the NEXT key waits until 500 ms after it (the reference's
 *   gate stays on forever after the first F/A/P and drops the keys that
 *   come inside it, quirk A10.2: here the gate covers only the key after an
 *   alarm key, and a key that must wait waits).
 *   Each key's echo (K0 of the frame published with wrote = 1) must equal
 *   the key; otherwise the request ends COLLIDED (another keypad typed in
 *   the same frame). A key not on the bus within KB_CLS_KEYS_KEY_MS ends it
 *   TIMED_OUT (its armed copy is replaced by 0xFF: the line is only
 *   released); a disconnected bus ends it DISCONNECTED. The request's keys
 *   (the access code among them) are wiped when it ends.
 *   There is no acknowledgement on the Classic bus (A7): DONE means every
 *   key went out and echoed; whether the panel acted shows in the status.
 *
 * Who calls what: task side only. kb_cls_keys_step() after each published
 * frame (before kb_cls_link_pop(): the echo) and periodically with f =
 * NULL. Static memory, no clock (times are the caller's milliseconds).
 */
#ifndef KB_CLS_KEYS_H_
#define KB_CLS_KEYS_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_cls_link.h"
#include "keybus/kb_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KB_CLS_KEYS_MAX 32        /* keys of one request, shortcuts expanded */
#define KB_CLS_KEYS_HOLDOFF_MS 50u  /* after each key (A7) */
#define KB_CLS_KEYS_ALARM_MS 500u   /* after an F/A/P key, before the next (A7) */
#define KB_CLS_KEYS_KEY_MS 2000u    /* a due key not echoed within this: timed out */

typedef enum {
  KB_CLS_KEYS_IDLE = 0, /* no request yet */
  KB_CLS_KEYS_PENDING,
  KB_CLS_KEYS_DONE,
  KB_CLS_KEYS_COLLIDED,
  KB_CLS_KEYS_TIMED_OUT,
  KB_CLS_KEYS_DISCONNECTED
} kb_cls_keys_result_t;

typedef struct {
  kb_cls_link_t *link;
  uint8_t key[KB_CLS_KEYS_MAX]; /* K0 codes of the request */
  uint8_t n, i;                 /* keys, next key */
  uint8_t result;               /* kb_cls_keys_result_t */
  uint8_t in_flight;            /* key[i] is armed or on the bus */
  uint8_t wait_free;            /* t_free_ms applies */
  uint32_t t_due_ms;            /* key[i] became due */
  uint32_t t_free_ms;           /* the next key not before */
  uint32_t t_key_ms[KB_CLS_KEYS_MAX]; /* when each key echoed (tests, benches) */
} kb_cls_keys_t;

void kb_cls_keys_init(kb_cls_keys_t *k, kb_cls_link_t *link);

/* KB_OK; KB_ERR_BUSY while a request is pending; KB_ERR_KEY for an empty or
 * too long request or a character not in the alphabet; KB_ERR_CODE for s/w/n
 * without a 4- or 6-digit code (code may be NULL otherwise). */
KB_MUST_CHECK kb_err_t kb_cls_keys_submit(kb_cls_keys_t *k, const char *keys, const char *code,
                                          uint32_t now_ms);

/* The checks of kb_cls_keys_submit() alone (kb_keys queues Classic requests
 * with them): KB_OK, KB_ERR_KEY or KB_ERR_CODE. */
KB_MUST_CHECK kb_err_t kb_cls_keys_check(const char *keys, const char *code);

/* After each published frame f (NULL: a periodic call); connected: the
 * link's state (kb_cls_link_tick). */
void kb_cls_keys_step(kb_cls_keys_t *k, const kb_cls_frame_t *f, bool connected, uint32_t now_ms);

/* The last request's result. */
static inline kb_cls_keys_result_t kb_cls_keys_result(const kb_cls_keys_t *k) {
  return (kb_cls_keys_result_t)k->result;
}

#ifdef __cplusplus
}
#endif

#endif /* KB_CLS_KEYS_H_ */
