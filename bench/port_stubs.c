/* SPDX-License-Identifier: MIT
 *
 * port_stubs.c - the platform calls of the template port (ports/template)
 * as the port-inclusive ISR bench models them: out of line, in their own
 * translation unit (compiled separately, no LTO, so nothing is inlined into
 * the handlers), each costing on x86-64 gcc -O2 what a real platform's call
 * costs in the reference measurement, return included:
 *   pin read 4 (load the input register, shift, mask, ret: kbp_plat_lines_read
 *   reads both pins at once, as one read of a GPIO input register does),
 *   pin write 4 (widen, shift, store to the output register, ret),
 *   timestamp 2 (load the counter, ret),
 *   timer start / stop 1 (ret: the one-shot is started by the stimulus), the
 *   idle one-shot's start / stop likewise 1 (KBP_IDLE_TIMER builds call them).
 * bench/bench.sh checks those counts in the object before it measures.
 * The "registers" are plain variables the stimulus sets before each call.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kb_port_template.h"

#define DATA_BIT 4  /* bit of the data pin in the input register */
#define CLOCK_BIT 5 /* bit of the clock pin: next to the data's (KBP_LINE_CLOCK) */
#define WRITE_BIT 6 /* bit of the write pin in the output register */

uint32_t stub_gpio_in;  /* input register: set by the stimulus */
uint32_t stub_gpio_out; /* output register: what the port drove */
uint32_t stub_now_us;   /* the microsecond counter: set by the stimulus */

/* both pins of the input register as KBP_LINE_CLOCK | KBP_LINE_DATA */
uint32_t kbp_plat_lines_read(void) { return (stub_gpio_in >> DATA_BIT) & 3u; }
void kbp_plat_write_pin(bool on) { stub_gpio_out = (uint32_t)on << WRITE_BIT; }
uint32_t kbp_plat_now_us(void) { return stub_now_us; }
void kbp_plat_timer_start(void) {}
void kbp_plat_timer_stop(void) {}
/* the idle one-shot (called only by a port built with KBP_IDLE_TIMER=1) */
void kbp_plat_idle_start(void);
void kbp_plat_idle_stop(void);
void kbp_plat_idle_start(void) {}
void kbp_plat_idle_stop(void) {}
void kbp_plat_clock_irq(bool enable) { (void)enable; }
