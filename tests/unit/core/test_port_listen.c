/* SPDX-License-Identifier: MIT
 *
 * test_port_listen.c - the template port built listen-only (KBP_WRITE_PIN
 * 0): the same fake platform and stimulus as test_port_template.c, whose
 * listen-only case this build runs.
 */
#define KBP_WRITE_PIN 0
#include "test_port_template.c"
