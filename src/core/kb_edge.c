/* SPDX-License-Identifier: MIT
 *
 * kb_edge.c - the edge adaptor (kb_edge.h): timestamped level changes in,
 * the calls a port's clock interrupt and timers would make out.
 */
#include "keybus/kb_edge.h"

#include <stddef.h>

void kb_edge_init(kb_edge_port_t *a, kb_link_t *link) {
  KB_ASSERT(a != NULL);
  a->link = link;
  for (unsigned i = 0; i < (unsigned)KB_EDGE_LINE_COUNT; i++) a->level[i] = 1;
  a->pending = 0;
  a->idle = 0;
  a->write = (uint8_t)KB_LINK_WRITE_RELEASE;
  a->t_armed = 0;
  a->clock_edges = a->data_edges = a->pc16_edges = 0;
  a->samples = a->idles = a->cancelled = a->duplicates = a->missed = a->bad_lines = 0;
}

/* The one-shot fires with the levels now in force. A sample that reads the
 * clock high arms the idle call (kb_port.h 2b), as a port's sample handler
 * re-arms its timer for it. */
static void fire(kb_edge_port_t *a) {
  a->pending = 0;
  a->samples++;
  a->idle = a->level[KB_EDGE_CLOCK];
  if (a->link) kb_link_sample(a->link, a->level[KB_EDGE_CLOCK] != 0, a->level[KB_EDGE_DATA] != 0);
}

void kb_edge_advance(kb_edge_port_t *a, uint32_t t_us) {
  KB_ASSERT(a != NULL);
  /* modulo 2^32: input in time order, so t_us is never before t_armed */
  if (a->pending && (uint32_t)(t_us - a->t_armed) >= KB_SAMPLE_US) fire(a);
  if (a->idle && (uint32_t)(t_us - a->t_armed) > KB_GAP_US) {
    /* once per arming; the clock re-read now (a lost falling edge reads low) */
    a->idle = 0;
    if (a->link && kb_link_idle(a->link, a->level[KB_EDGE_CLOCK] != 0, t_us)) a->idles++;
  }
}

bool kb_edge_due(const kb_edge_port_t *a, uint32_t *t_us) {
  KB_ASSERT(a != NULL && t_us != NULL);
  if (a->pending) {
    *t_us = a->t_armed + KB_SAMPLE_US;
    return true;
  }
  if (a->idle) {
    *t_us = a->t_armed + KB_GAP_US + 1u;
    return true;
  }
  return false;
}

bool kb_edge_idle_due(const kb_edge_port_t *a, uint32_t *t_us) {
  KB_ASSERT(a != NULL && t_us != NULL);
  if (a->idle || (a->pending && a->level[KB_EDGE_CLOCK])) {
    *t_us = a->t_armed + KB_GAP_US + 1u;
    return true;
  }
  return false;
}

/* Common part of feed and missed: a due sample first (it sees the levels
 * from before this change), then the level. Returns false when the change
 * is to be ignored (unknown line, duplicate). */
static bool change(kb_edge_port_t *a, unsigned line, bool high, uint32_t t_us) {
  uint8_t level = high ? 1u : 0u;
  if (line >= (unsigned)KB_EDGE_LINE_COUNT) {
    a->bad_lines++;
    return false;
  }
  kb_edge_advance(a, t_us);
  if (a->level[line] == level) {
    a->duplicates++;
    return false;
  }
  a->level[line] = level;
  if (line == KB_EDGE_DATA) a->data_edges++;
  else if (line == KB_EDGE_PC16) a->pc16_edges++;
  return true;
}

kb_link_write_t kb_edge_feed(kb_edge_port_t *a, unsigned line, bool high, uint32_t t_us) {
  KB_ASSERT(a != NULL);
  if (change(a, line, high, t_us) && line == KB_EDGE_CLOCK) {
    if (a->pending) a->cancelled++; /* an edge before the sample: re-armed */
    a->idle = 0;                    /* the port's timer is re-armed for the sample */
    a->clock_edges++;
    a->write = (uint8_t)(a->link ? kb_link_edge(a->link, high, t_us) : KB_LINK_WRITE_RELEASE);
    a->pending = 1;
    a->t_armed = t_us;
  }
  return (kb_link_write_t)a->write;
}

void kb_edge_missed(kb_edge_port_t *a, unsigned line, bool high, uint32_t t_us) {
  KB_ASSERT(a != NULL);
  if (change(a, line, high, t_us) && line == KB_EDGE_CLOCK) a->missed++;
}

void kb_edge_finish(kb_edge_port_t *a) {
  KB_ASSERT(a != NULL);
  if (a->pending) fire(a);
  if (a->link) kb_link_finish(a->link);
}

kb_link_write_t kb_edge_write(const kb_edge_port_t *a) {
  KB_ASSERT(a != NULL);
  return (kb_link_write_t)a->write;
}
