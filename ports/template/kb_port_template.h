/* SPDX-License-Identifier: MIT
 *
 * kb_port_template.h - the template port: the interrupt side of a keybus
 * port, written once against a small set of platform calls. A new platform
 * copies ports/template/, fills in the kbp_plat_*() functions (and renames
 * the kbp_ prefix if it likes); README.md beside this file walks through it,
 * include/keybus/kb_port.h is the contract it implements.
 *
 * What it promises
 *   kbp_clock_isr() and kbp_sample_isr() are the two interrupt handlers of
 *   kb_port.h (1, 2, 5), each ONE function: the link's bodies are inlined
 *   from kb_link_isr.h, the only calls left are the platform's. With
 *   KBP_IDLE_TIMER 1, kbp_idle_isr() is the third (kb_port.h 2b): a second
 *   one-shot, re-armed by every rising edge, fires KBP_IDLE_US later and
 *   makes the link publish the message that just ended (one idle gap
 *   earlier than the next message's first edge would). kbp_start()
 *   and kbp_stop() bring them up and down in the order of kb_port.h (8).
 *   The task loop is in kb_port_task.c (kb_bus_poll()).
 *
 * Who calls what, from where
 *   kbp_start(), kbp_stop()    task (the task that owns the kb_bus_t).
 *   kbp_clock_isr()            the clock pin's interrupt, both edges.
 *   kbp_sample_isr()           the one-shot timer's interrupt.
 *   kbp_idle_isr()             the idle one-shot's interrupt (KBP_IDLE_TIMER).
 *   The handlers must never preempt each other: same core, same
 *   priority (kb_port.h, 3).
 */
#ifndef KB_PORT_TEMPLATE_H_
#define KB_PORT_TEMPLATE_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_port.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- Configuration defaults */

/* 1: the board has the open-collector write driver (kb_port.h 5) and the
 * clock handler drives it, following the link; the virtual keypad can
 * type. 0: a listen-only board: the write pin is never touched (and the
 * task must not submit keys: they would be timed out unconfirmed). */
#ifndef KBP_WRITE_PIN
#define KBP_WRITE_PIN 1
#endif

/* 1: the board has a second one-shot for the idle call (kb_port.h 2b): each
 * frame reaches the task KBP_IDLE_US after its last bit instead of at the
 * next message's first edge (an idle gap, ~5 ms, later). Costs one platform
 * call per rising edge (kbp_plat_idle_start) and one short interrupt per
 * message. 0 (the default, for now): two timers' worth of platform calls
 * only; everything works, with the older latency. */
#ifndef KBP_IDLE_TIMER
#define KBP_IDLE_TIMER 0
#endif

/* The idle one-shot's delay after a rising edge: just past KB_GAP_US (the
 * link publishes only once more than KB_GAP_US has passed) plus a margin for
 * the timer's granularity and the interrupt's latency (the link checks the
 * time itself: a call that comes too early does nothing, so the margin only
 * needs to cover the timer firing early, never the latency). */
#ifndef KBP_IDLE_MARGIN_US
#define KBP_IDLE_MARGIN_US 20u
#endif
#define KBP_IDLE_US (KB_GAP_US + KBP_IDLE_MARGIN_US)

/* ---------------------------------------------------------------- Types */

/* The port's state: one bus per program, so one port, kbp_port (defined by
 * kb_port_template.c; a global lets the handlers reach it without keeping a
 * pointer alive across the platform calls). `link` is the link the handlers
 * feed (kb_bus_link(&bus)); set by kbp_start() before the interrupt is
 * attached, constant while it is. Read-only outside this port. */
typedef struct {
  kb_link_t *link;
  uint8_t write_level; /* what the write pin drives now (1 = pulling low) */
} kbp_port_t;

extern kbp_port_t kbp_port;

/* Bits of kbp_plat_lines_read(). Data in bit 0: the link takes it as is. */
#define KBP_LINE_DATA 1u  /* data (green) pin high */
#define KBP_LINE_CLOCK 2u /* clock (yellow) pin high */

/* ------------------------------------------------------------ Task API */

/* Brings the port up, in the order of kb_port.h (8): the link must already
 * be initialised (kb_bus_init); the write pin released (KBP_WRITE_PIN); the
 * one-shot ready and stopped; the clock interrupt attached last. link: the
 * link the handlers feed, valid until kbp_stop(). */
void kbp_start(kb_link_t *link);

/* Takes the port down in reverse: clock interrupt detached first, the
 * one-shot stopped, the write pin released. */
void kbp_stop(void);

/* ------------------------------------------------------- Interrupt API */

/* The clock pin's interrupt (both edges). arg: unused (the signature of a
 * GPIO handler; the state is kbp_port). */
KB_ISR_FN void kbp_clock_isr(void *arg);

/* The one-shot's interrupt, KB_SAMPLE_US after the last clock edge. arg:
 * unused. */
KB_ISR_FN void kbp_sample_isr(void *arg);

#if KBP_IDLE_TIMER
/* The idle one-shot's interrupt, KBP_IDLE_US after the last rising edge.
 * arg: unused. */
KB_ISR_FN void kbp_idle_isr(void *arg);
#endif

/* ------------------------------------- Platform calls (the port fills in)
 *
 * The whole platform surface of the interrupt side. The ones marked
 * KB_ISR_FN run inside the handlers: they must be interrupt-safe, short,
 * and placed where the interrupt can run them (IRAM on ESP-IDF, or inline:
 * a platform may define them `static inline` in a header included instead
 * of these prototypes). */

/* Levels of the clock and data pins, read together (one read of the GPIO
 * input register: both levels from the same instant): KBP_LINE_CLOCK and
 * KBP_LINE_DATA set for a high pin, no other bit. */
KB_ISR_FN uint32_t kbp_plat_lines_read(void);
/* The write pin: on = the open-collector driver pulls the data line low
 * (NPN base high). Never drive the data line push-pull. */
KB_ISR_FN void kbp_plat_write_pin(bool on);
/* The free-running 32-bit microsecond counter (kb_port.h, 6). */
KB_ISR_FN uint32_t kbp_plat_now_us(void);
/* (Re)arms the one-shot to fire once, KB_SAMPLE_US from now (the delay is
 * fixed: configure it once, at init); a running one-shot is restarted
 * (ESP32 GPTimer: set_raw_count(0) and set_alarm_action with a static alarm
 * config; never gptimer_start/stop from the ISR). */
KB_ISR_FN void kbp_plat_timer_start(void);
/* Stops the one-shot (task side here; see kb_port.h, 2). */
void kbp_plat_timer_stop(void);
#if KBP_IDLE_TIMER
/* (Re)arms the idle one-shot to fire once, KBP_IDLE_US from now (fixed:
 * configured once, at init), restarting a running one; its interrupt calls
 * kbp_idle_isr() at the priority of the other two (kb_port.h 3). */
KB_ISR_FN void kbp_plat_idle_start(void);
/* Stops the idle one-shot (task side). */
void kbp_plat_idle_stop(void);
#endif
/* Attaches and enables (true), or disables and detaches (false), the clock
 * pin's any-edge interrupt calling kbp_clock_isr(). Task side. */
void kbp_plat_clock_irq(bool enable);

#ifdef __cplusplus
}
#endif

#endif /* KB_PORT_TEMPLATE_H_ */
