/* SPDX-License-Identifier: MIT
 *
 * kb_config.h - every compile-time tunable of the keybus engine.
 *
 * Each option is an #ifndef default; override with -D on the compiler line or
 * put the overrides in a file named by KB_CONFIG_FILE (ESP-IDF's Kconfig only
 * maps onto these macros). Invalid values stop the build. You usually need
 * not change anything here.
 */
#ifndef KB_CONFIG_H_
#define KB_CONFIG_H_

#ifdef KB_CONFIG_FILE
#include KB_CONFIG_FILE
#endif

/* Partitions tracked by the status model (PowerSeries panels have up to 8). */
#ifndef KB_MAX_PARTITIONS
#define KB_MAX_PARTITIONS 8
#endif

/* Zones tracked by the status model, a multiple of 8 (up to 64). */
#ifndef KB_MAX_ZONES
#define KB_MAX_ZONES 64
#endif

/* Usable slots of the interrupt-to-task frame ring. The ring holds one more
 * slot than this: the one the interrupt is filling, so a full ring never makes
 * the interrupt write into a frame the task is reading. */
#ifndef KB_FRAME_RING
#define KB_FRAME_RING 16
#endif

/* Bytes captured per message (document convention: index 1 = stop bit). The
 * longest known frame is 15 bytes (later-generation 0x4C). */
#ifndef KB_FRAME_BYTES
#define KB_FRAME_BYTES 16
#endif

/* A clock-high period longer than this ends a message (microseconds). */
#ifndef KB_GAP_US
#define KB_GAP_US 1000u
#endif

/* No message boundary for this long means the keybus is disconnected (us). */
#ifndef KB_DISCONNECT_US
#define KB_DISCONNECT_US 3000000u
#endif

/* Live-bus noise filter: a changed status byte (0x05/0x1B, no checksum) is
 * accepted once K consecutive status frames carry it. At a bit error rate of
 * 1e-3 a 73-bit frame is hit 7 % of the time; K = 2 lets ~6 false changes per
 * 1e5 messages through, K = 3 about 0.01. */
#ifndef KB_FILTER_K
#define KB_FILTER_K 3
#endif

/* Noise filter: candidate values of one status byte counted side by side
 * while a change waits for KB_FILTER_K copies (kb_engine.h). */
#ifndef KB_FILTER_SLOTS
#define KB_FILTER_SLOTS 3
#endif

/* ------------------------------------------ Virtual keypad (kb_keys.h) */

/* Requests waiting or being typed (the queue). */
#ifndef KB_KEYS_QUEUE
#define KB_KEYS_QUEUE 4
#endif
/* Characters per request (the set-time request needs 15: `*6@1HHMMMMDDYY#`;
 * the access code is kept apart and sits behind the `@`). */
#ifndef KB_KEYS_MAX
#define KB_KEYS_MAX 24
#endif
/* Results kept for kb_keys_result(). */
#ifndef KB_KEYS_HISTORY
#define KB_KEYS_HISTORY 8
#endif
/* A key not accepted this long after it became due: timed out (ms). */
#ifndef KB_KEYS_KEY_MS
#define KB_KEYS_KEY_MS 2000u
#endif
/* `*` wait for status 0x9E / 0xB8 (ms). */
#ifndef KB_KEYS_STAR_MS
#define KB_KEYS_STAR_MS 3000u
#endif
/* `@` wait for the access-code prompt 0x9F (ms). */
#ifndef KB_KEYS_PROMPT_MS
#define KB_KEYS_PROMPT_MS 3000u
#endif
/* Window after the last key in which a rejection status is looked for (ms). */
#ifndef KB_KEYS_SETTLE_MS
#define KB_KEYS_SETTLE_MS 1500u
#endif
/* A request whose goal the engine can see (arm, disarm) waits this long
 * after its last key for it (ms): done only when seen. */
#ifndef KB_KEYS_GOAL_MS
#define KB_KEYS_GOAL_MS 4000u
#endif
/* A request starts only once its partition shows its normal status (no
 * menu, prompt or brief rejection), waited for at most this long (ms); the
 * `#` clear waits as long for it. */
#ifndef KB_KEYS_IDLE_MS
#define KB_KEYS_IDLE_MS 5000u
#endif
/* Attempts of a request whose key echo could not be confirmed (1 = no retry). */
#ifndef KB_KEYS_ATTEMPTS
#define KB_KEYS_ATTEMPTS 3
#endif
/* No message boundary for this long: the bus is quiet, timeouts wait for it
 * to come back or to count as disconnected (ms). */
#ifndef KB_KEYS_QUIET_MS
#define KB_KEYS_QUIET_MS 500u
#endif

/* Attribute for interrupt-side functions; the ESP-IDF port maps it to
 * IRAM_ATTR so they run while flash cache is disabled. */
#ifndef KB_ISR_FN
#define KB_ISR_FN
#endif

/* Barrier between the interrupt's stores of a frame and the store of the
 * ring index that publishes it (and the reverse on the task side). Plain
 * loads and stores only: the ESP32-C3 (RV32IMC) has no atomic read-modify-
 * write.
 *
 * The default is a COMPILER barrier: it is enough only when the interrupt
 * (kb_link_edge/kb_link_sample) and the task (kb_engine/kb_keys, the ring's
 * consumer) run on the SAME core - every single-core part (ESP32-C3,
 * Cortex-M, RP2040 with both on one core), or a dual-core part with the
 * interrupt pinned to the task's core.
 *
 * On a multi-core part where the interrupt and the task run on DIFFERENT
 * cores (ESP32 or ESP32-S3 with the GPIO interrupt on one core and the task
 * on the other, RP2040 with the task on core 1, a Linux host reading a GPIO
 * from another thread), a compiler barrier does not order the stores as the
 * other core sees them: the task can read a frame's index before its bytes.
 * Such a port MUST use a real memory fence. Set KB_SMP to 1 to get one:
 *   KB_BARRIER() = __sync_synchronize() (GCC/Clang: `dmb ish` on ARM,
 *   `memw` on Xtensa, `fence rw,rw` on RISC-V; no atomic read-modify-write),
 * or define KB_BARRIER yourself, e.g. C11
 *   #include <stdatomic.h>
 *   #define KB_BARRIER() atomic_thread_fence(memory_order_seq_cst)
 * or the platform's own fence. The port chooses; the library cannot tell
 * where its callers run. */
#ifndef KB_SMP
#define KB_SMP 0
#endif

#ifndef KB_BARRIER
#if KB_SMP
#if defined(__GNUC__) || defined(__clang__)
#define KB_BARRIER() __sync_synchronize()
#else
#error "KB_SMP: define KB_BARRIER() as this compiler's full memory fence"
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define KB_BARRIER() __asm__ __volatile__("" ::: "memory")
#else
#define KB_BARRIER() ((void)0)
#endif
#endif

/* Programmer errors (NULL state, call before init). Bus noise never asserts.
 * Default: ignored in the engine; tests define it to abort. */
#ifndef KB_ASSERT
#define KB_ASSERT(cond) ((void)0)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define KB_MUST_CHECK __attribute__((warn_unused_result))
#else
#define KB_MUST_CHECK
#endif

#if KB_MAX_PARTITIONS < 1 || KB_MAX_PARTITIONS > 8
#error "KB_MAX_PARTITIONS must be 1..8"
#endif
#if KB_MAX_ZONES < 8 || KB_MAX_ZONES > 64 || (KB_MAX_ZONES % 8) != 0
#error "KB_MAX_ZONES must be a multiple of 8 in 8..64"
#endif
#if KB_FRAME_RING < 2 || KB_FRAME_RING > 127
#error "KB_FRAME_RING must be 2..127"
#endif
#if KB_FRAME_BYTES < 15 || KB_FRAME_BYTES > 32
#error "KB_FRAME_BYTES must be 15..32"
#endif
#if KB_SMP != 0 && KB_SMP != 1
#error "KB_SMP must be 0 (interrupt and task on one core) or 1 (different cores)"
#endif
#if KB_FILTER_K < 1 || KB_FILTER_K > 15
#error "KB_FILTER_K must be 1..15"
#endif

#if KB_FILTER_SLOTS < 1 || KB_FILTER_SLOTS > 8
#error "KB_FILTER_SLOTS must be 1..8"
#endif
#if KB_KEYS_QUEUE < 1 || KB_KEYS_QUEUE > 32
#error "KB_KEYS_QUEUE must be 1..32"
#endif
#if KB_KEYS_MAX < 15 || KB_KEYS_MAX > 200
#error "KB_KEYS_MAX must be 15..200 (kb_keys_set_time needs 15)"
#endif
#if KB_KEYS_ATTEMPTS < 1 || KB_KEYS_ATTEMPTS > 9
#error "KB_KEYS_ATTEMPTS must be 1..9"
#endif
#if KB_KEYS_HISTORY < 1 || KB_KEYS_HISTORY > 64
#error "KB_KEYS_HISTORY must be 1..64"
#endif
#if KB_KEYS_KEY_MS < 100 || KB_KEYS_KEY_MS > 60000
#error "KB_KEYS_KEY_MS must be 100..60000"
#endif
#if KB_KEYS_STAR_MS < 100 || KB_KEYS_STAR_MS > 60000
#error "KB_KEYS_STAR_MS must be 100..60000"
#endif
#if KB_KEYS_PROMPT_MS < 100 || KB_KEYS_PROMPT_MS > 60000
#error "KB_KEYS_PROMPT_MS must be 100..60000"
#endif
#if KB_KEYS_SETTLE_MS < 100 || KB_KEYS_SETTLE_MS > 60000
#error "KB_KEYS_SETTLE_MS must be 100..60000"
#endif
#if KB_KEYS_GOAL_MS < 500 || KB_KEYS_GOAL_MS > 60000
#error "KB_KEYS_GOAL_MS must be 500..60000"
#endif
#if KB_KEYS_IDLE_MS < 500 || KB_KEYS_IDLE_MS > 60000
#error "KB_KEYS_IDLE_MS must be 500..60000"
#endif
#if KB_KEYS_QUIET_MS < 50 || KB_KEYS_QUIET_MS > 10000
#error "KB_KEYS_QUIET_MS must be 50..10000"
#endif
#if KB_GAP_US < 500 || KB_GAP_US > 100000
#error "KB_GAP_US must be 500..100000"
#endif
#if KB_DISCONNECT_US < 100000 || KB_DISCONNECT_US > 600000000
#error "KB_DISCONNECT_US must be 100000..600000000"
#endif

#endif /* KB_CONFIG_H_ */
