/* SPDX-License-Identifier: MIT
 *
 * kb_port_template.c - the template port's interrupt handlers and its start
 * and stop (kb_port_template.h). Copy, fill in the platform calls, keep the
 * order of things: every line here is there for a rule of kb_port.h.
 */
#include "kb_port_template.h"

#include <stddef.h>

kbp_port_t kbp_port;

/* The write pin follows the link's request w (kb_port.h 5), driven only
 * when it differs from what the pin drives already: nearly every edge asks
 * for the released line it already has. */
static inline KB_ISR_FN void kbp_write(kbp_port_t *p, uint8_t w) {
#if KBP_WRITE_PIN
  if (w != p->write_level) {
    p->write_level = w;
    kbp_plat_write_pin(kb_port_npn_level((kb_link_write_t)w));
  }
#else
  (void)p;
  (void)w;
#endif
}

/* Clock edge (kb_port.h 1, 5, 2): the clock's level after the edge and the
 * time, the link (inline: no call layer), the write line as early as
 * possible, then the one-shot for this edge's sample. The link is called in
 * two branches, so that its body is specialised for each level (a rising
 * edge always releases the line) and nothing has to survive the timestamp
 * call. */
KB_ISR_FN void kbp_clock_isr(void *arg) {
  kbp_port_t *p = &kbp_port;
  (void)arg;
  if (kbp_plat_lines_read() & KBP_LINE_CLOCK) {
    kbp_write(p, (uint8_t)kb_link_isr_edge(p->link, true, kbp_plat_now_us()));
#if KBP_IDLE_TIMER
    kbp_plat_idle_start(); /* the idle call, KBP_IDLE_US after this rise (2b) */
#endif
  } else {
    kbp_write(p, (uint8_t)kb_link_isr_edge(p->link, false, kbp_plat_now_us()));
  }
  kbp_plat_timer_start();
}

/* The sample (kb_port.h 2): both lines in one read; the clock re-read
 * (high: a panel bit, low: a module bit) and the data. A one-shot that
 * disarms itself needs no stop here; add kbp_plat_timer_stop() first if the
 * platform's does not. */
KB_ISR_FN void kbp_sample_isr(void *arg) {
  uint32_t lines = kbp_plat_lines_read();
  (void)arg;
  kb_link_isr_sample(kbp_port.link, (lines & KBP_LINE_CLOCK) != 0u, (lines & KBP_LINE_DATA) != 0u);
}

#if KBP_IDLE_TIMER
/* The idle call (kb_port.h 2b): the clock re-read and the time; the link
 * publishes the message if the clock has stayed high for more than
 * KB_GAP_US (a stale firing, inside a message or a low phase, does nothing).
 * A one-shot that does not disarm itself is stopped here first. */
KB_ISR_FN void kbp_idle_isr(void *arg) {
  (void)arg;
  (void)kb_link_isr_idle(kbp_port.link, (kbp_plat_lines_read() & KBP_LINE_CLOCK) != 0u,
                         kbp_plat_now_us());
}
#endif

void kbp_start(kb_link_t *link) {
  kbp_port_t *p = &kbp_port;
  KB_ASSERT(link != NULL);
  /* 1. state: the link is initialised (kb_bus_init), the port points at it */
  p->link = link;
  p->write_level = 0;
  /* 2. the write pin released, the one-shot ready and not running */
#if KBP_WRITE_PIN
  kbp_plat_write_pin(false);
#endif
  kbp_plat_timer_stop();
#if KBP_IDLE_TIMER
  kbp_plat_idle_stop();
#endif
  /* 3. the clock interrupt last: the first edge finds everything ready
   * (the barrier orders the stores above before the interrupt can run) */
  KB_BARRIER();
  kbp_plat_clock_irq(true);
}

void kbp_stop(void) {
  kbp_plat_clock_irq(false); /* no new edge, so no new one-shot */
  kbp_plat_timer_stop();     /* a sample still armed is dropped */
#if KBP_IDLE_TIMER
  kbp_plat_idle_stop(); /* an idle call still armed too (the task may finish the frame) */
#endif
#if KBP_WRITE_PIN
  kbp_plat_write_pin(false); /* never leave the bus pulled low */
#endif
  kbp_port.write_level = 0;
}
