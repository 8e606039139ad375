/* SPDX-License-Identifier: MIT
 *
 * kd_keypad_run.h - keybusd --role keypad: the loop that runs the panel
 * role (keybus/kb_panel.h) and maps it to MQTT (kd_keypad.h). main.c only
 * parses the option, subscribes the command topic and calls
 * kd_keypad_run() instead of its reader backends.
 *
 * What it promises
 *   - backend gpio: ports/linux/kb_gpio_panel.h, the clock steps and the
 *     task between them on the calling thread (SCHED_FIFO when allowed,
 *     memory locked: no second thread touches the engine); backend sim: the panel role
 *     against the simulated keypad (src/sim/kb_sim_keypad.h) paced to the
 *     wall clock, the keypad typing sim_keys once started (a demo).
 *   - Every ~1 ms: kb_pnl_poll(), each key published as an event (never
 *     logged: it may be a digit of an access code), the inbound commands
 *     applied (a bad one logged with its size only), and at each announce
 *     the discovery documents and the lights' and zones' states (retained),
 *     as far as kd_mqtt_room() allows (the rest on the next passes).
 *
 * Who calls it: the daemon's main thread, once; it returns when *stop is
 * set (0) or on a fatal error (1, logged).
 */
#ifndef KD_KEYPAD_RUN_H_
#define KD_KEYPAD_RUN_H_

#include <signal.h>
#include <stdbool.h>

#include "kd_keypad.h"
#include "kd_mqtt.h"
#include "../../ports/linux/kb_gpio_panel.h" /* relative: the unit test has no -I. */

typedef struct {
  kd_keypad_cfg_t kp;
  bool sim;                 /* simulated keypad instead of GPIO */
  kb_gpio_panel_cfg_t gpio; /* the lines (not sim) */
  kd_mqtt_t *mq;            /* NULL: MQTT off */
  int sub_command;          /* subscription index of kd_keypad_sub()'s topic */
  int sub_ha_status;        /* subscription index of <discovery>/status, -1 none */
  const char *sim_keys;     /* sim: keys typed once started ("0-9*#fap"), NULL none */
} kd_keypad_run_cfg_t;

int kd_keypad_run(const kd_keypad_run_cfg_t *c, volatile sig_atomic_t *stop);

#endif /* KD_KEYPAD_RUN_H_ */
