/* SPDX-License-Identifier: MIT
 * Engine test rig shared by test_engine.c and test_cover_extra.c: one engine,
 * an event-capturing callback, and panel frames fed from hex strings.
 * Header-only (each test is one translation unit); the helpers are static
 * inline so that a test that does not use one of them still builds with
 * -Wunused-function. */
#ifndef KB_TEST_ENGINE_RIG_H
#define KB_TEST_ENGINE_RIG_H

#include <stdint.h>
#include <stdlib.h>

#include "keybus/kb_engine.h"

#define MAX_EV 256
static kb_event_t evs[MAX_EV];
static int nev;

static inline void cb(void *ctx, const kb_event_t *ev) {
  (void)ctx;
  if (nev < MAX_EV) evs[nev++] = *ev;
}

static kb_engine_t eng;

static inline void start(kb_engine_mode_t mode) {
  nev = 0;
  kb_engine_init(&eng, mode, cb, NULL);
}

/* Parses "05 00 81 01 91 C7" into bytes; returns the count. */
static inline uint8_t hex(const char *s, uint8_t *b) {
  uint8_t n = 0;
  while (*s && n < 16) {
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    if (end == s) break;
    b[n++] = (uint8_t)v;
    s = end;
  }
  return n;
}

/* Feeds a panel frame as given (bits = 8N-7), with a noise mask. */
static inline kb_check_t feed_mask(const char *s, uint16_t mask) {
  uint8_t b[16] = {0};
  uint8_t n = hex(s, b);
  return kb_engine_panel(&eng, b, n, (uint16_t)(8u * n - 7u), mask, 0, NULL);
}

/* Feeds a panel frame as given (bits = 8N-7). */
static inline kb_check_t feed(const char *s) { return feed_mask(s, 0); }

static inline void feed_k(const char *s, int k) {
  for (int i = 0; i < k; i++) feed(s);
}

/* Feeds a checksummed panel frame: the checksum byte is appended here. */
static inline kb_check_t feedc(const char *s) {
  uint8_t b[16] = {0};
  uint8_t n = hex(s, b), sum = b[0];
  for (uint8_t i = 2; i < n; i++) sum = (uint8_t)(sum + b[i]);
  b[n++] = sum;
  return kb_engine_panel(&eng, b, n, (uint16_t)(8u * n - 7u), 0, 0, NULL);
}

static inline int count_ev(uint8_t type) {
  int c = 0;
  for (int i = 0; i < nev; i++) c += evs[i].type == type;
  return c;
}

static inline const kb_event_t *find_ev(uint8_t type) {
  for (int i = nev; i-- > 0;)
    if (evs[i].type == type) return &evs[i];
  return NULL;
}

static inline kb_partition_t *P(int p) { return &eng.status.part[p - 1]; }

static inline int zone(const uint8_t *map, int z) { return (map[(z - 1) / 8] >> ((z - 1) % 8)) & 1; }

#define SYNC "05 00 81 01 10 C7 10 C7 10 C7"

#endif
