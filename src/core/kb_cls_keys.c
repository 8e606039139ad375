/* SPDX-License-Identifier: MIT
 * The Classic virtual keypad, task side (kb_cls_keys.h). */
#include "keybus/kb_cls_keys.h"

#include <string.h>

#include "keybus/kb_classic.h"

static bool is_alarm(uint8_t k0) {
  return k0 == KB_CLS_KEY_FIRE || k0 == KB_CLS_KEY_AUX || k0 == KB_CLS_KEY_PANIC;
}

/* Appends s's keys; false when they do not fit. */
static bool add(uint8_t *out, uint8_t *n, const char *s) {
  for (; *s; s++) {
    if (*n >= KB_CLS_KEYS_MAX) return false;
    out[(*n)++] = kb_cls_key_code(*s);
  }
  return true;
}

static void end(kb_cls_keys_t *k, kb_cls_keys_result_t r) {
  k->result = (uint8_t)r;
  /* the access code may be among the keys */
  memset(k->key, 0xFF, sizeof k->key);
  k->n = k->i = 0;
  if (k->in_flight && !kb_cls_link_write_idle(k->link)) kb_cls_link_write_abort(k->link);
  k->in_flight = 0;
}

void kb_cls_keys_init(kb_cls_keys_t *k, kb_cls_link_t *link) {
  KB_ASSERT(k != NULL && link != NULL);
  memset(k, 0, sizeof *k);
  memset(k->key, 0xFF, sizeof k->key);
  k->link = link;
}

/* Expands a request into K0 codes (out, *n); nothing is kept on an error
 * (out is wiped: the access code may be in it). */
static kb_err_t expand(const char *keys, const char *code, uint8_t *out, uint8_t *n) {
  size_t clen = 0;
  bool code_ok;
  *n = 0;
  if (!keys || !*keys) return KB_ERR_KEY;
  if (code) {
    while (code[clen] >= '0' && code[clen] <= '9' && clen < 7u) clen++;
    if (code[clen] != '\0') clen = 0; /* not all digits (or too long) */
  }
  code_ok = clen == 4u || clen == 6u;
  for (const char *c = keys; *c; c++) {
    bool ok;
    switch (*c) {
      case 's': case 'S':
        ok = code_ok && add(out, n, code);
        if (!code_ok) goto bad_code;
        break;
      case 'w': case 'W':
        if (!code_ok) goto bad_code;
        ok = add(out, n, code) && add(out, n, "*1");
        break;
      case 'n': case 'N':
        if (!code_ok) goto bad_code;
        ok = add(out, n, "*9") && add(out, n, code);
        break;
      default: {
        char one[2] = {*c, '\0'};
        if (kb_cls_key_code(*c) == KB_CLS_KEY_NONE) {
          memset(out, 0xFF, KB_CLS_KEYS_MAX);
          *n = 0;
          return KB_ERR_KEY;
        }
        ok = add(out, n, one);
        break;
      }
    }
    if (!ok) {
      memset(out, 0xFF, KB_CLS_KEYS_MAX);
      *n = 0;
      return KB_ERR_KEY; /* too long */
    }
  }
  return KB_OK;
bad_code:
  memset(out, 0xFF, KB_CLS_KEYS_MAX);
  *n = 0;
  return KB_ERR_CODE;
}

kb_err_t kb_cls_keys_check(const char *keys, const char *code) {
  uint8_t tmp[KB_CLS_KEYS_MAX], n;
  kb_err_t err = expand(keys, code, tmp, &n);
  memset(tmp, 0xFF, sizeof tmp);
  return err;
}

kb_err_t kb_cls_keys_submit(kb_cls_keys_t *k, const char *keys, const char *code, uint32_t now_ms) {
  uint8_t tmp[KB_CLS_KEYS_MAX], n = 0;
  kb_err_t err;
  KB_ASSERT(k != NULL);
  if (k->result == KB_CLS_KEYS_PENDING) return KB_ERR_BUSY;
  err = expand(keys, code, tmp, &n);
  if (err != KB_OK) return err;
  memcpy(k->key, tmp, n);
  memset(tmp, 0xFF, sizeof tmp);
  k->n = n;
  k->i = 0;
  k->in_flight = 0;
  k->result = KB_CLS_KEYS_PENDING;
  k->t_due_ms = now_ms;
  return KB_OK;
}

void kb_cls_keys_step(kb_cls_keys_t *k, const kb_cls_frame_t *f, bool connected, uint32_t now_ms) {
  KB_ASSERT(k != NULL);
  if (k->result != KB_CLS_KEYS_PENDING) return;
  if (!connected) {
    end(k, KB_CLS_KEYS_DISCONNECTED);
    return;
  }
  if (f && f->wrote && k->in_flight) {
    uint8_t key = k->key[k->i];
    if (f->kbits < 8u || f->k[0] != key) {
      end(k, KB_CLS_KEYS_COLLIDED);
      return;
    }
    k->t_key_ms[k->i] = now_ms;
    k->in_flight = 0;
    k->i++;
    /* A7: 50 ms after every key; 500 ms after an alarm key, for the next
     * key only (quirk A10.2: not sticky, and the key waits) */
    k->t_free_ms = now_ms + (is_alarm(key) ? KB_CLS_KEYS_ALARM_MS : KB_CLS_KEYS_HOLDOFF_MS);
    k->wait_free = 1;
    k->t_due_ms = now_ms;
    if (k->i == k->n) {
      end(k, KB_CLS_KEYS_DONE);
      return;
    }
  }
  if (!k->in_flight) {
    if (k->wait_free && (int32_t)(now_ms - k->t_free_ms) < 0) return;
    if (!kb_cls_link_write_idle(k->link)) return;
    if (kb_cls_link_write_arm(k->link, k->key[k->i]) == KB_OK) {
      k->in_flight = 1;
      k->wait_free = 0;
      k->t_due_ms = now_ms;
    }
    return;
  }
  if ((uint32_t)(now_ms - k->t_due_ms) > KB_CLS_KEYS_KEY_MS) end(k, KB_CLS_KEYS_TIMED_OUT);
}
