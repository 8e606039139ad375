/* SPDX-License-Identifier: MIT
 *
 * ram_probe.c - everything the engine needs, declared statically the way
 * firmware would, linked with the engine objects for Cortex-M4 by
 * bench/size.sh; .data + .bss of the result is the engine's RAM.
 * The engine/status state is included when include/keybus/kb_engine.h exists
 * (size.sh passes -DKB_PROBE_ENGINE=1; otherwise __has_include decides).
 * The virtual keypad's queue (kb_keys_t) is declared only with
 * -DKB_PROBE_KEYS=1: size.sh links the probe twice and reports it on its own
 * line (`ram keys_queue ...` = the difference).
 */
#include "keybus/kb_link.h"

#ifndef KB_PROBE_ENGINE
#if defined(__has_include)
#if __has_include("keybus/kb_engine.h")
#define KB_PROBE_ENGINE 1
#endif
#endif
#endif
#ifndef KB_PROBE_ENGINE
#define KB_PROBE_ENGINE 0
#endif

#if KB_PROBE_ENGINE
#include "keybus/kb_engine.h"
static kb_engine_t engine;
#endif

static kb_link_t link_state;

#ifndef KB_PROBE_KEYS
#define KB_PROBE_KEYS 0
#endif
#if KB_PROBE_KEYS
#include "keybus/kb_keys.h"
static kb_keys_t keys_state;
#endif

/* Keeps an object without adding a pointer to RAM. */
#define KEEP(obj) __asm__ __volatile__("" : : "r"(&(obj)) : "memory")

void _start(void);
void _start(void) {
  kb_link_init(&link_state);
#if KB_PROBE_ENGINE
  KEEP(engine);
#endif
  KEEP(link_state);
#if KB_PROBE_KEYS
  kb_keys_init(&keys_state, 0, 0);
  KEEP(keys_state);
#endif
  for (;;) {
  }
}
