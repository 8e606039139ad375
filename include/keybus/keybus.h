/* SPDX-License-Identifier: MIT
 *
 * keybus.h - the whole engine API in one include, and its version.
 *
 * What it promises
 *   KB_API_VERSION names the API a caller was written against: major * 10000
 *   + minor * 100 + patch. The major number changes when a name, a field's
 *   meaning or an enum value of these headers changes; the minor number when
 *   something is added (a field, an event type, an error at the end of its
 *   enum). docs/api.md is the API on one page.
 *
 *   kb_config.h  every compile-time tunable, range-checked
 *   kb_proto.h   the protocol's named numbers
 *   kb_err.h     kb_err_t, the one error type
 *   kb_link.h    interrupt side: edges and samples in, frames out
 *   kb_port.h    what a port (platform) must do
 *   kb_decode.h  frame checks and typed decode (pure)
 *   kb_engine.h  status model, typed events, health
 *   kb_keys.h    the virtual keypad
 *   kb_bus.h     link + engine + keys behind one task entry, kb_bus_poll()
 *   kb_edge.h    timestamped edges -> link calls (Linux GPIO events, replays)
 *   (kb_port.h and kb_link_isr.h are for a port's interrupt side: include
 *   them there.)
 */
#ifndef KEYBUS_H_
#define KEYBUS_H_

#define KB_API_VERSION_MAJOR 1
#define KB_API_VERSION_MINOR 4
#define KB_API_VERSION_PATCH 0
#define KB_API_VERSION \
  (KB_API_VERSION_MAJOR * 10000 + KB_API_VERSION_MINOR * 100 + KB_API_VERSION_PATCH)

#include "keybus/kb_config.h"
#include "keybus/kb_proto.h"
#include "keybus/kb_err.h"
#include "keybus/kb_link.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_keys.h"
#include "keybus/kb_bus.h"
#include "keybus/kb_edge.h"

#endif /* KEYBUS_H_ */
