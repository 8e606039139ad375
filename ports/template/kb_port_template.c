/* SPDX-License-Identifier: MIT
 *
 * kb_port_template.c - the template port's interrupt handlers and its start
 * and stop (kb_port_template.h). Copy, fill in the platform calls, keep the
 * order of things: every line here is there for a rule of kb_port.h.
 */
#include "kb_port_template.h"

#include <stddef.h>

/* Clock edge (kb_port.h 1, 5, 2): the pin's level after the edge and the
 * time, the link (inline: no call layer), the write line as early as
 * possible, then the one-shot for this edge's sample. */
KB_ISR_FN void kbp_clock_isr(void *arg) {
  kbp_port_t *p = arg;
  bool high = kbp_plat_clock_read();
  uint32_t now = kbp_plat_now_us();
  kb_link_write_t w = kb_link_isr_edge(p->link, high, now);
  if (p->write_enabled) kbp_plat_write_pin(kb_port_npn_level(w));
  kbp_plat_timer_start(KB_SAMPLE_US);
}

/* The sample (kb_port.h 2): the clock re-read (high: a panel bit, low: a
 * module bit) and the data line. A one-shot that disarms itself needs no
 * stop here; add kbp_plat_timer_stop() first if the platform's does not. */
KB_ISR_FN void kbp_sample_isr(void *arg) {
  kbp_port_t *p = arg;
  bool clock_high = kbp_plat_clock_read();
  bool data_high = kbp_plat_data_read();
  kb_link_isr_sample(p->link, clock_high, data_high);
}

void kbp_start(kbp_port_t *p, kb_link_t *link, bool write_enabled) {
  KB_ASSERT(p != NULL && link != NULL);
  /* 1. state: the link is initialised (kb_bus_init), the port points at it */
  p->link = link;
  p->write_enabled = (uint8_t)write_enabled;
  /* 2. the write pin released, the one-shot ready and not running */
  kbp_plat_write_pin(false);
  kbp_plat_timer_stop();
  /* 3. the clock interrupt last: the first edge finds everything ready
   * (the barrier orders the stores above before the interrupt can run) */
  KB_BARRIER();
  kbp_plat_clock_irq(p, true);
}

void kbp_stop(kbp_port_t *p) {
  KB_ASSERT(p != NULL);
  kbp_plat_clock_irq(p, false); /* no new edge, so no new one-shot */
  kbp_plat_timer_stop();        /* a sample still armed is dropped */
  kbp_plat_write_pin(false);    /* never leave the bus pulled low */
}
