/* SPDX-License-Identifier: MIT
 *
 * ram_probe.c - everything the engine needs, declared statically the way
 * firmware would, linked with the engine objects for Cortex-M4 by
 * bench/size.sh; .data + .bss of the result is the engine's RAM.
 * The default probe declares the link (kb_link_t) and the engine
 * (kb_engine_t, when include/keybus/kb_engine.h exists: size.sh passes
 * -DKB_PROBE_ENGINE=1; otherwise __has_include decides): `ram engine`.
 * -DKB_PROBE_KEYS=1 adds the virtual keypad's queue (kb_keys_t): size.sh
 * reports the difference on its own line, `ram keys_queue`.
 * -DKB_PROBE_BUS=1 declares one kb_bus_t instead (link + engine + keypad +
 * the bus's clock, what a firmware using kb_bus_poll() places): `ram bus`.
 */
#include "keybus/kb_link.h"

#ifndef KB_PROBE_BUS
#define KB_PROBE_BUS 0
#endif

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

#ifndef KB_PROBE_KEYS
#define KB_PROBE_KEYS 0
#endif

/* Keeps an object without adding a pointer to RAM. */
#define KEEP(obj) __asm__ __volatile__("" : : "r"(&(obj)) : "memory")

void _start(void);

#if KB_PROBE_BUS
#include "keybus/kb_bus.h"
static kb_bus_t bus_state;

void _start(void) {
  kb_bus_init(&bus_state, 0);
  KEEP(bus_state);
  for (;;) {
  }
}
#else

#if KB_PROBE_ENGINE
#include "keybus/kb_engine.h"
static kb_engine_t engine;
#endif

static kb_link_t link_state;

#if KB_PROBE_KEYS
#include "keybus/kb_keys.h"
static kb_keys_t keys_state;
#endif

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
#endif
