/* SPDX-License-Identifier: MIT
 *
 * kb_err.c - names of the API's errors (kb_err.h).
 */
#include "keybus/kb_err.h"

const char *kb_err_name(kb_err_t e) {
  static const char *const names[KB_ERR_COUNT] = {
      [KB_OK] = "ok",           [KB_ERR_ARG] = "argument",   [KB_ERR_FULL] = "full",
      [KB_ERR_KEY] = "key",     [KB_ERR_PARTITION] = "partition", [KB_ERR_CODE] = "code",
      [KB_ERR_RANGE] = "range", [KB_ERR_NOT_READY] = "not_ready", [KB_ERR_BUSY] = "busy",
  };
  return ((unsigned)e < (unsigned)KB_ERR_COUNT) ? names[e] : "?";
}
