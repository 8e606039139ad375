/* SPDX-License-Identifier: MIT
 *
 * kb_port_task.c - the template port's task: one bus (kb_bus.h: link,
 * engine, virtual keypad), the port brought up around it, and the loop that
 * polls it. Events arrive through the callbacks of kb_bus_cfg_t, from inside
 * kb_bus_poll(), on this task.
 */
#include "keybus/kb_bus.h"
#include "kb_port_template.h"

/* Task-side platform calls of the loop (the port fills them in): sleep
 * about one poll period (10 ms is plenty, kb_port.h 9) and say whether to
 * go on (false: stop the port and return). */
bool kbp_plat_task_wait(void);

/* The task: initialises the bus (state first), starts the port (clock
 * interrupt last), polls with the same 32-bit us clock the interrupt stamps
 * edges with, and stops the port in reverse. bus: placed by the
 * caller (statically: kb_bus_t is large), valid for the whole call; cfg:
 * the event and key callbacks (kb_bus.h), may be NULL. */
void kbp_task(kb_bus_t *bus, const kb_bus_cfg_t *cfg);

void kbp_task(kb_bus_t *bus, const kb_bus_cfg_t *cfg) {
  kb_bus_init(bus, cfg);
  kbp_start(kb_bus_link(bus));
  while (kbp_plat_task_wait()) kb_bus_poll(bus, kbp_plat_now_us());
  kbp_stop();
}
