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

#endif /* KB_CONFIG_H_ */
