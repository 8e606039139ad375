/* SPDX-License-Identifier: MIT
 *
 * kb_json.h - JSON views of decoded frames and of the status model (host
 * only, cJSON). The key names are the interface contract of keybus-reader
 * --json / --state (docs/keybus-reader.md); other tools read them.
 * Every function returns a new cJSON object owned by the caller, or NULL when
 * memory runs out.
 */
#ifndef KB_HOST_JSON_H_
#define KB_HOST_JSON_H_

#include <cJSON.h>

#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The "fields" object of one decoded frame, rendered from its typed fields. */
cJSON *kb_json_fields(const kb_decoded_t *d);

/* One --json line: cmd, source, bytes, bits, checksum, check, synced, text,
 * fields. b/bits: the frame as captured. */
cJSON *kb_json_frame(const kb_decoded_t *d, const uint8_t *b, uint16_t bits, int synced,
                     const char *text);

/* The --state object: partitions, zones, system, health. */
cJSON *kb_json_state(const kb_engine_t *e);

/* The same from a status model and its health (any decoder: kb_engine,
 * kb_classic). The fields status->absent names are left out (a Classic
 * panel cannot report them: no fake values); zones are listed up to
 * status->zones_max; a Classic model adds "panel": "classic". */
cJSON *kb_json_status(const kb_status_t *s, const kb_health_t *h);

#ifdef __cplusplus
}
#endif

#endif
