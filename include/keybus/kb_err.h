/* SPDX-License-Identifier: MIT
 *
 * kb_err.h - the one error type of the keybus API.
 *
 * What it promises
 *   Every API call that can refuse what its caller asked returns a kb_err_t:
 *   KB_OK, or why not. Errors are the caller's (a bad argument, a full
 *   queue, a call in the wrong state); what the panel or the bus did is not
 *   an error: a key request's outcome is a kb_keys_result_t, a frame's
 *   verdict a kb_check_t. Values are stable (new ones are added at the end).
 *   kb_err_name() is a pure function callable from the task (its strings may
 *   live in flash: not from an interrupt).
 */
#ifndef KB_ERR_H_
#define KB_ERR_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  KB_OK = 0,
  KB_ERR_ARG,        /* a NULL or out-of-range argument */
  KB_ERR_FULL,       /* a bounded queue is full: try again later */
  KB_ERR_KEY,        /* a key request: empty, too long, a character outside the
                        alphabet, or an alarm key that is not the whole request */
  KB_ERR_PARTITION,  /* a partition outside 1..KB_MAX_PARTITIONS (or above 2 on an
                        early-generation panel) */
  KB_ERR_CODE,       /* an access code: not 4 or 6 digits, `@` without a code, a
                        code with nowhere to go */
  KB_ERR_RANGE,      /* a value out of range (set time) */
  KB_ERR_NOT_READY,  /* the panel is not in the state the request needs (not
                        synced, partition not ready) */
  KB_ERR_BUSY,       /* the resource is in use (a key armed on the write path) */
  KB_ERR_COUNT
} kb_err_t;

/* Stable lower-case name of an error ("ok", "full", "key", ...), or "?" for a
 * value outside the enum. For logs and JSON. */
const char *kb_err_name(kb_err_t e);

#ifdef __cplusplus
}
#endif

#endif /* KB_ERR_H_ */
