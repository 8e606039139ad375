/* SPDX-License-Identifier: MIT
 *
 * kb_ha_int.h - internal to src/ha: what kb_ha.c and kb_ha_parse.c share.
 * Nobody outside src/ha includes it.
 */
#ifndef KB_HA_INT_H_
#define KB_HA_INT_H_

#include "kb_ha.h"

/* Wipes all of c but its id (the id still names the command's result). */
void kb_ha_wipe_keep_id(kb_ha_cmd_t *c);

#endif /* KB_HA_INT_H_ */
