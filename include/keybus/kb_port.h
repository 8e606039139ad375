/* SPDX-License-Identifier: MIT
 *
 * kb_port.h - the port seam: what a port (the platform layer of one MCU or
 * OS) must do so that the keybus engine sees the bus. One seam per platform,
 * as in TinyUSB's dcd.h; ports/template/ is the compiling template a new
 * platform copies (ports/template/README.md walks through it).
 *
 * What it promises
 *   Nothing runs by itself: the library never calls the port. The port calls
 *   the link from two interrupt handlers (three with the optional idle call,
 *   2b) and the engine from one task, under the rules below; if it keeps them, every frame the panel sends reaches
 *   the ring whole, and the virtual keypad writes only what it was asked to.
 *   Including this header gives a port everything it needs for its
 *   interrupt side: kb_link.h, the inline handlers of kb_link_isr.h, and
 *   KB_SAMPLE_US (kb_proto.h).
 *
 * 1. Clock interrupt, both edges
 *   An interrupt on every edge of the clock (yellow) line. The handler reads
 *   the clock pin (the level AFTER the edge: never trust a rising/falling
 *   label, read the pin), reads the timestamp (2), and calls
 *   kb_link_edge(link, clock_high, now_us) - or kb_link_isr_edge(), the same
 *   body inline, for a handler with no call layer (kb_link_isr.h). Then it
 *   sets the write line (5) and re-arms the one-shot (2).
 *
 * 2. The data sample, KB_SAMPLE_US after each edge
 *   A one-shot timer, started (re-armed) by EVERY clock edge, fires
 *   KB_SAMPLE_US (kb_proto.h, the one constant; 250 us) after it. Its
 *   handler re-reads the clock pin (high = a panel bit, low = a module bit)
 *   and reads the data (green) pin, and calls kb_link_sample(link,
 *   clock_high, data_high) or kb_link_isr_sample(). An edge that comes
 *   before the one-shot fired re-arms it (the earlier sample is lost: that
 *   is a glitch, and the link tolerates it). A one-shot that disarms itself
 *   (ESP32 GPTimer alarm) needs no stop in the handler; one that does not
 *   must be stopped there. Never derive the sample from a sleep in a task.
 *   Platforms that receive timestamped edges instead of interrupts (Linux
 *   GPIO line events, replays, simulators) use the edge adaptor kb_edge.h,
 *   which models exactly this.
 *
 * 2b. The idle call, KB_GAP_US after the last rising edge (optional)
 *   A message is over when the clock has stayed high for more than KB_GAP_US
 *   (1 ms); without help the link learns it only at the next message's first
 *   falling edge, one whole idle gap later (~5 ms on a real panel). A port
 *   that wants each frame in the task's hands as soon as possible (an MQTT
 *   bridge reporting a change within 2 ms of the frame's last bit) arranges
 *   one more interrupt: more than KB_GAP_US after each rising edge, its
 *   handler re-reads the clock pin and calls kb_link_idle(link, clock_high,
 *   now_us), or kb_link_isr_idle() inline. The link publishes the message
 *   there if the clock is still high and the gap is over, exactly as the
 *   boundary would have (same frame, counters, write plan); the next falling
 *   edge then only starts the next message. A call at any other moment does
 *   nothing, so the timer need not be exact, only never early: e.g.
 *     - a second one-shot re-armed by every rising edge for KB_GAP_US + a
 *       margin (ports/template, KBP_IDLE_TIMER: one platform call per rising
 *       edge, one short interrupt per message), or
 *     - the sample one-shot re-armed after each high-phase sample for
 *       KB_GAP_US - KB_SAMPLE_US + a margin, the handler telling the two
 *       apart by a flag that every edge clears (a store per edge), or
 *     - a periodic tick (every 100-500 us) calling it (no cost on the edge
 *       path; the tick's period adds to the latency).
 *   The margin covers the timer's granularity (a few us to 50 us); the
 *   handler's latency only delays the publication. The idle handler obeys
 *   rules 3, 4 and 7 like the other two (same core, same priority, never
 *   preempting or preempted by them; KB_ISR_FN). A port that never calls it
 *   still works, with every frame published at the next message's first
 *   edge. The edge adaptor makes the call itself (kb_edge_advance()): a
 *   caller that sleeps between edges wakes up at kb_edge_idle_due().
 *
 * 3. The handlers never preempt each other
 *   kb_link_edge(), kb_link_sample() and kb_link_idle() share their state
 *   without a lock. They must run on the SAME core, at the SAME interrupt
 *   priority (so none can interrupt another), or be one handler. On ESP-IDF: do all
 *   init (GPIO ISR service, handler add, timer callbacks, enable, start)
 *   from one task pinned to one core, since an interrupt is bound to the
 *   core that allocated it; give both the same level.
 *
 * 4. Barriers (KB_SMP, KB_BARRIER in kb_config.h)
 *   The ring between interrupt and task is one producer, one consumer,
 *   published by one index store after KB_BARRIER(). The default barrier is
 *   a compiler barrier: correct when the interrupt and the task (the one
 *   calling kb_bus_poll / kb_link_peek) run on the SAME core. When they can
 *   run on DIFFERENT cores (ESP32/ESP32-S3 with the task unpinned or on the
 *   other core, RP2040 with the task on core 1, a Linux thread reading GPIO
 *   events while another polls), build with KB_SMP=1 (a real fence,
 *   __sync_synchronize) or define KB_BARRIER() as the platform's full fence.
 *   No atomic read-modify-write is ever needed (ESP32-C3 has none).
 *
 * 5. The write line (virtual keypad)
 *   kb_link_edge() returns what the write line must do until the next clock
 *   edge: KB_LINK_WRITE_PULL_LOW (pull the data line low for this low phase)
 *   or KB_LINK_WRITE_RELEASE (let it float: the bus reads 1). Every rising
 *   edge returns RELEASE. The port drives the data line OPEN-COLLECTOR only,
 *   never push-pull: typically a GPIO into the base of an NPN whose
 *   collector is on the data line, so GPIO high = transistor on = line low.
 *   Set the pin on every edge while the virtual keypad is enabled (a port
 *   built read-only leaves the pin alone and never arms a key). Drive it as
 *   early in the handler as possible: the panel reads the line at the end of
 *   the low phase, a keypad's bit must be there well before.
 *
 * 6. The clock the port passes
 *   now_us is a 32-bit, free-running, wrapping microsecond counter (all
 *   arithmetic is modulo 2^32; a wrap every 71 minutes is normal). The task
 *   passes the SAME clock to kb_bus_poll()/kb_link_tick(). Never
 *   milliseconds derived by division (now_us / 1000 of a 32-bit counter
 *   jumps at the wrap) and never a 64-bit count cut in some other way than
 *   its low 32 bits. esp_timer_get_time() truncated to uint32_t is right.
 *
 * 7. Placement: KB_ISR_FN
 *   Every interrupt-side function (kb_link_edge, kb_link_sample,
 *   kb_link_idle, the kb_link_isr_* helpers, the port's own handlers) carries KB_ISR_FN on
 *   its prototype AND its definition. It is empty by default. A port whose
 *   interrupt must run from RAM (ESP-IDF: while the flash cache is off)
 *   defines it, on the compiler line or in its KB_CONFIG_FILE, as ONE fixed
 *   section name:
 *       #define KB_ISR_FN __attribute__((section(".iram1.keybus")))
 *   ESP-IDF's linker script places every .iram1.* section in IRAM. Do NOT
 *   map it to IRAM_ATTR: IRAM_ATTR embeds __COUNTER__ (".iram1.<n>"), so a
 *   prototype and its definition get different section names and GCC
 *   refuses the definition ("conflicts with previous section"). `make
 *   esp-check` builds src/core with the fixed name for both ESP-IDF kits and
 *   checks that the link's interrupt code calls and reads nothing in flash.
 *   The same applies to anything the handlers touch: no const tables, no
 *   string literals, no library calls (memset/memcpy) on the interrupt path;
 *   the link's bodies are written so, and the port's must be too.
 *
 * 8. Order of init and stop
 *   Start: state initialised (kb_link_init, or the kb_bus_t that holds the
 *   link: kb_bus_init) -> output pin released -> timer created, callback
 *   registered -> clock interrupt attached and enabled LAST (an edge must
 *   never find state that is not ready). Stop in reverse: clock interrupt
 *   detached first, then the timer(s) stopped (the idle one-shot too), then
 *   the write pin released.
 *
 * 9. The task
 *   One task (or loop) calls kb_bus_poll(bus, now_us) often enough that the
 *   ring (KB_FRAME_RING frames, about 16 x 25 ms) never fills: every 10-20
 *   ms is plenty. It is the ring's single consumer; everything that is not
 *   interrupt-side (events, keys, health) happens there.
 *
 * 10. Reserved for later work (names kept free; nothing implemented yet)
 *   - A third input: the Classic panels' PC-16 line, sampled together with
 *     data by the same one-shot. Reserved: KB_EDGE_PC16 (kb_edge.h, already
 *     tracked by the edge adaptor), kb_link_sample_pc16() and
 *     kb_link_isr_sample_pc16() (clock, data and PC-16 levels), and
 *     KB_PORT_HAS_PC16 (below).
 *   - A clock the port drives itself (the keypad-interface / panel role):
 *     the clock is then a timer OUTPUT, and a periodic timer interrupt, not
 *     the clock pin, calls the link for the next half period's levels.
 *     Reserved: kb_link_drive() / kb_link_isr_drive() (next clock level and
 *     data bit to put out), KB_PORT_ROLE_MODULE (default: a module listening
 *     to a panel's clock, this header), KB_PORT_ROLE_PANEL (below).
 *   The rules 3, 4, 6 and 7 hold for those unchanged.
 */
#ifndef KB_PORT_H_
#define KB_PORT_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_link.h"
#include "keybus/kb_link_isr.h"
#include "keybus/kb_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- Configuration defaults */

/* Roles of a port (10). Only KB_PORT_ROLE_MODULE exists today. */
#define KB_PORT_ROLE_MODULE 0 /* listens to the panel's clock (this header) */
#define KB_PORT_ROLE_PANEL 1  /* reserved: drives the clock (timer output) */

/* The port samples the PC-16 line too (reserved: 0 until the link takes it). */
#ifndef KB_PORT_HAS_PC16
#define KB_PORT_HAS_PC16 0
#endif
#if KB_PORT_HAS_PC16 != 0
#error "KB_PORT_HAS_PC16: the PC-16 input is reserved, not implemented yet"
#endif

/* ------------------------------------------------------- Interrupt API */

/* The GPIO level a port puts on its write pin for request w, for the usual
 * NPN driver (pin high = transistor on = data line low). A port with a
 * driver of the other sense inverts it. */
static inline KB_ISR_FN bool kb_port_npn_level(kb_link_write_t w) {
  return w == KB_LINK_WRITE_PULL_LOW;
}

#ifdef __cplusplus
}
#endif

#endif /* KB_PORT_H_ */
