/* SPDX-License-Identifier: MIT
 *
 * kb_link.h - link layer: clock edges and data samples in, whole messages out.
 *
 * What it promises
 *   A port calls kb_link_edge() from its clock-pin interrupt (both edges) and
 *   kb_link_sample() KB_SAMPLE_US (kb_proto.h) after each edge, from a
 *   one-shot timer re-armed by every edge, or through the edge adaptor
 *   (kb_edge.h) from timestamped edges. The port's whole contract is in
 *   kb_port.h; kb_link_isr.h has both handlers' bodies inline. Each call
 *   is O(1): no loop over a frame, no copy, no division, no atomic
 *   read-modify-write. Bits go straight into the slot of the frame ring
 *   that the task will read; a message is published by
 *   one store of the ring's head index after KB_BARRIER() (a compiler barrier
 *   by default: a port whose interrupt and task run on different cores must
 *   make it a real memory fence, see KB_SMP in kb_config.h).
 *   A clock-high period longer than KB_GAP_US ends a message; the next falling
 *   edge is bit 0 of the new one. The message is published by that falling
 *   edge (the boundary), or earlier, KB_GAP_US after its last rising edge, by
 *   the optional idle call kb_link_idle() when the port makes it (kb_port.h
 *   2b): the same frame either way, published once. Messages with fewer than 8 panel bits are
 *   discarded (counted as runts). A full ring counts an overflow and the new
 *   message is lost whole; committed frames are never touched.
 *
 * Who calls what, from where
 *   kb_link_init()            task, before the port attaches its interrupts.
 *   kb_link_edge()            interrupt (KB_ISR_FN), both clock edges.
 *   kb_link_sample()          interrupt (KB_ISR_FN), KB_SAMPLE_US after each edge.
 *   kb_link_idle()            interrupt (KB_ISR_FN), optional: more than
 *                             KB_GAP_US after the last rising edge.
 *                             kb_link_edge(), kb_link_sample() and
 *                             kb_link_idle() share their state without any
 *                             lock: they must never preempt each other (same
 *                             interrupt priority, or one masks the other) and
 *                             should run on the same core as each other.
 *   kb_link_peek/pop()        task: the single consumer of the ring.
 *   kb_link_tick()            task, periodically: the 3 s disconnected rule.
 *   kb_link_finish()          task, only when no interrupt can run (end of a
 *                             replayed capture): publishes the last message.
 *   kb_link_stats()           task.
 *   kb_link_write_*()         task: the virtual keypad's write path (one key
 *                             at a time, see below; kb_keys.h drives it).
 *   kb_link_xw_*()            task: the module-reply writer (zone expander
 *                             emulation, see below; kb_xpd.h drives it).
 *                             Independent of the key writer: when both want
 *                             a low phase of one message, the line is pulled
 *                             low if either pulls it low.
 *
 * Timestamps are the port's 32-bit microsecond counter; it may wrap (all
 * arithmetic is modulo 2^32).
 */
#ifndef KB_LINK_H_
#define KB_LINK_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Types */

/* One captured message: the panel stream (clock-high phases) and the module
 * stream (clock-low phases) of the same clock cycles. Byte layout follows the
 * protocol notes: [0] command, [1] the stop bit alone, [2..] data, MSB first.
 * Bytes beyond the captured bit count are stale and must not be read. */
typedef struct kb_frame_s {
  uint8_t panel[KB_FRAME_BYTES];
  uint8_t module[KB_FRAME_BYTES];
  uint8_t panel_bits;  /* panel bits sampled, trailing bits included (saturates at 255) */
  uint8_t module_bits; /* module bits sampled */
  uint8_t module_seen; /* nonzero when any module bit read 0 (a module spoke) */
  uint8_t wrote;       /* virtual keypad: 0 = no key driven in this message, else
                        * KB_FRAME_WROTE | arm generation << 5 | module byte
                        * index of the slot whose first bit the link drove (set
                        * by the interrupt; see kb_link_write_tag()) */
  uint32_t t_start_us; /* falling edge that began the message */
} kb_frame_t;

/* kb_frame_t.wrote: flag, the generation (0..3) of the arm whose key was
 * driven, and the slot's module byte (0 = alarm key slot; KB_FRAME_BYTES <= 32
 * keeps it in bits 0-4). */
#define KB_FRAME_WROTE 0x80u
#define KB_FRAME_WROTE_BYTE(w) ((uint8_t)((w) & 0x1Fu))
#define KB_FRAME_WROTE_GEN(w) ((uint8_t)(((w) >> 5) & 0x03u))

/* Bytes of kb_link_t.wr_gate: the key writer's armed flag ("wr_armed") and
 * the module-reply writer's attached flag. */
#define KB_LINK_GATE_KEY 0
#define KB_LINK_GATE_XW 1

/* Slots of the ring: the usable ones and the one the interrupt is filling. */
#define KB_LINK_RING_SLOTS (KB_FRAME_RING + 1)

/* What the port must do with the write (virtual keypad) line after an edge. */
typedef enum {
  KB_LINK_WRITE_RELEASE = 0, /* leave the data line released (bus reads 1) */
  KB_LINK_WRITE_PULL_LOW = 1 /* pull the data line low for this low phase */
} kb_link_write_t;

/* Counters for health reporting (task-side snapshot). */
typedef struct {
  uint32_t messages;   /* message boundaries seen (message starts; an idle
                        * publish does not count one) */
  uint32_t frames;     /* frames published to the ring */
  uint32_t overflows;  /* messages lost because the ring was full */
  uint32_t runts;      /* messages with < 8 panel bits, dropped */
  uint8_t high_water;  /* most frames ever waiting in the ring */
} kb_link_stats_t;

/* Module-reply writer (zone expander emulation, kb_xpd.h). Images of module
 * bytes 2..9 (low phases 9..72) that the interrupt drives, bit for bit (a 0
 * pulls the line low), in every message whose command selects an image.
 * Selection is O(1): map_cmd/map_img are indexed by command & 31 (the
 * commands used all differ in their low 5 bits). 0xE6 selects by panel byte
 * 2, complete after 17 panel bits, just before low phase 17: sub-commands 0x08/0x0A/0x0C/0x0E pick the images
 * KB_LINK_XW_IMG_E6 + 0..3 (module bytes 3..9 then follow in time).
 *
 * Two banks: the interrupt latches the bank named by `bank` when a message
 * selects an image and marks it in `busy` (bank + 1, with the link's frame
 * count then) until the message is over (its frame published, or the next
 * message started); the task edits only the other bank, and only while the
 * interrupt is not driving it (kb_link_xw_edit()), then hands it over with
 * one store (kb_link_xw_publish()). So a reply is never torn. */
#define KB_LINK_XW_IMAGES 12u  /* images per bank */
#define KB_LINK_XW_IMG_E6 8u   /* first image chosen by an 0xE6 sub-command */
#define KB_LINK_XW_E6 0xFFu    /* map_img value: 0xE6, decide at panel bit 16 */
typedef struct kb_link_xw_s {
  uint8_t img[2][KB_LINK_XW_IMAGES][8]; /* [bank][image] module bytes 2..9 */
  uint16_t on[2];      /* [bank] bit i: image i pulls some bit low (a message whose
                        * image is all 1s is not driven at all: cheaper) */
  uint8_t map_cmd[32]; /* task, before attach: command whose low 5 bits index here */
  uint8_t map_img[32]; /* image + 1 (0 = none, KB_LINK_XW_E6 = by 0xE6 sub-command) */
  volatile uint8_t bank; /* task: the bank the interrupt latches */
  volatile uint8_t busy; /* interrupt: bank + 1 the message in progress drives, 0 = none */
  volatile uint32_t busy_frames; /* interrupt: link frames published when busy was set
                                  * (once one more is, that message is over) */
  uint8_t e6;            /* interrupt: this message is an 0xE6 (decide at bit 16) */
  uint8_t latched;       /* interrupt: bank latched for the E6 decision */
  const uint8_t *cur;    /* interrupt: image being driven (NULL = none) */
  volatile uint32_t driven; /* interrupt: messages in which an image was driven */
} kb_link_xw_t;

/* Link state. Public so firmware can place it statically; fields are
 * internal. All of it is set by kb_link_init() before interrupts attach. */
typedef struct kb_link_s {
  kb_frame_t slot[KB_FRAME_RING + 1];
  volatile uint8_t head; /* written by the interrupt only: slot being filled */
  volatile uint8_t tail; /* written by the task only: oldest unread slot */
  /* interrupt side: the message being captured into slot[head] (layout
   * internal; every field is set by kb_link_init()) */
  uint8_t high_water; /* most frames ever waiting */
  uint8_t sink;       /* bits past KB_FRAME_BYTES land here */
  uint16_t p_count;   /* panel bits of this message (<= 255 between calls) */
  uint16_t m_count;   /* module bits of this message */
  uint8_t p_idx;      /* panel byte receiving bits (stays at the cap) */
  uint8_t m_idx;      /* module byte receiving bits */
  uint8_t in_msg;     /* a boundary started the message in slot[head] and
                         neither the idle call nor kb_link_finish() ended it */
  uint8_t wr_started; /* interrupt, while armed: the slot's first bit is planned
                         in this message (a message cut inside it spends the key) */
  uint32_t p_acc;     /* bits of the current panel byte below a sentinel bit */
  uint32_t m_acc;     /* same for the module byte */
  uint8_t *p_ptr;     /* where the panel accumulator is stored (sink past the cap) */
  uint8_t *m_ptr;     /* same for the module stream */
  kb_frame_t *cur;    /* &slot[head] */
  uint32_t t_rise_us; /* last rising clock edge */
  uint32_t messages, frames, overflows, runts;
  /* The two writers' flags, read by the panel sample as one 16-bit load
   * (wr_gate.any: nothing to plan when 0, the default path's only cost).
   * wr_gate.by[KB_LINK_GATE_KEY] is the key writer's armed flag (wr_armed
   * below); wr_gate.by[KB_LINK_GATE_XW] is 1 while a module-reply writer is
   * attached (task only). Each byte has its own writer(s), as before: no
   * read-modify-write of the pair.
   * virtual-keypad write path. wr_armed: set by the task (kb_link_write_arm,
   * only while 0), cleared by the interrupt when the key has been driven in
   * every message asked for (or when a cancel is seen at a message start).
   * The configuration below is written by the task only while wr_armed = 0
   * (one exception: kb_link_write_abort() stores 0xFF into wr_key and 0 into
   * wr_bfirst, wr_next and wr_bnext while armed, values that can only release
   * the line); the interrupt reads it only while wr_armed = 1. */
  union {
    volatile uint16_t any;
    volatile uint8_t by[2];
  } wr_gate;
  volatile uint8_t wr_cancel; /* task only: drop the armed key at the next message start */
  uint8_t wr_key;    /* byte driven, MSB first */
  uint8_t wr_cycle;  /* first low phase of the slot (0 = module byte 0) */
  uint8_t wr_wrote;  /* frame.wrote for this arm: KB_FRAME_WROTE | gen << 5 | slot byte */
  uint8_t wr_cmd_a;  /* commands whose slot qualifies (cycle > 0) */
  uint8_t wr_cmd_b;
  uint8_t wr_bfirst; /* alarm slot: drive value of the key's bit 7 */
  /* interrupt-owned while armed (reset by kb_link_write_arm) */
  uint8_t wr_reps;   /* messages still to write the key in */
  uint8_t wr_go;     /* this message's slot is being written */
  uint8_t wr_primed; /* a panel sample saw the armed key (wr_bnext valid) */
  uint8_t wr_next;  /* drive value for the next falling edge in a message */
  uint8_t wr_bnext; /* drive value if the next falling edge starts a message */
  uint8_t wr_gen;   /* task only: generation of the next arm (0..3) */
  /* module-reply writer: set by the task (kb_link_xw_attach/detach); its
   * bits are merged into wr_next by the interrupt (never wr_bnext: replies
   * start at low phase 9). */
  kb_link_xw_t *xw; /* read by the interrupt only while wr_gate.by[KB_LINK_GATE_XW] = 1 */
  /* task-side connection tracking */
  uint8_t connected;
  uint32_t tick_messages;
  uint32_t tick_last_us;
} kb_link_t;

/* Connection state change reported by kb_link_tick(). */
typedef enum {
  KB_LINK_NO_CHANGE = 0,
  KB_LINK_CONNECTED = 1,
  KB_LINK_DISCONNECTED = 2
} kb_link_change_t;

/* ------------------------------------------------------------ Task API */

/* Clears all state. Call before attaching interrupts. */
void kb_link_init(kb_link_t *l);

/* Oldest published frame, or NULL when the ring is empty. The pointer stays
 * valid (and its contents untouched) until kb_link_pop(). */
const kb_frame_t *kb_link_peek(kb_link_t *l);

/* Releases the frame returned by kb_link_peek(). A frame whose `wrote` is set
 * has its slot's module byte (the echo of the key the link wrote, possibly a
 * digit of an access code) overwritten with 0xFF here: whoever needs the echo
 * reads it before the pop. */
void kb_link_pop(kb_link_t *l);

/* The same two, inline, for a consumer that drains the ring in a loop (kb_bus):
 * kb_link_peek()/kb_link_pop() are defined from these bodies (one
 * implementation). Task side only, like them. */
static inline const kb_frame_t *kb_link_ring_peek(kb_link_t *l) {
  uint8_t tail = l->tail;
  if (tail == l->head) return (const kb_frame_t *)0;
  KB_BARRIER(); /* head before the frame it publishes */
  return &l->slot[tail];
}

static inline void kb_link_ring_pop(kb_link_t *l) {
  kb_frame_t *f;
  uint8_t tail = l->tail, w;
  if (tail == l->head) return;
  f = &l->slot[tail];
  w = f->wrote;
  if (w) {
    /* the echo of the link's own key may be a digit of an access code: it
     * does not stay in the ring until the slot is reused (the consumer has
     * read it before the pop) */
    uint8_t b = KB_FRAME_WROTE_BYTE(w);
    if (b < KB_FRAME_BYTES) f->module[b] = 0xFF;
    f->wrote = 0; /* the interrupt sets it only in messages it writes in */
  }
  tail++;
  if (tail == KB_LINK_RING_SLOTS) tail = 0;
  KB_BARRIER(); /* done reading the frame before handing the slot back */
  l->tail = tail;
}

/* Applies the disconnected rule at task time now_us (same clock as the
 * edges): connected once a message boundary is seen, disconnected after
 * KB_DISCONNECT_US without one. Returns what changed. */
kb_link_change_t kb_link_tick(kb_link_t *l, uint32_t now_us);

/* True while the bus counts as connected (as of the last tick). */
static inline bool kb_link_connected(const kb_link_t *l) { return l->connected != 0u; }

/* Microseconds from the last message boundary kb_link_tick() noticed to
 * now_us (0 before any). */
uint32_t kb_link_quiet_us(const kb_link_t *l, uint32_t now_us);

/* Publishes the message in progress (if it has >= 8 panel bits) as if a
 * boundary had been seen. Only when no interrupt can run: end of a replay. */
void kb_link_finish(kb_link_t *l);

void kb_link_stats(const kb_link_t *l, kb_link_stats_t *out);

/* ------------------------------------------- Write path (task side)
 *
 * One key at a time; the keys module (kb_keys.h) is the only caller. The
 * task arms a key only while the write path is idle; the interrupt drives it
 * in the named slot of the next qualifying message(s) and disarms itself.
 * Hand-over: plain single-writer fields and KB_BARRIER, no atomics.
 *
 * Slots: module byte n >= 2 is low phases 8n-7 .. 8n (byte 2 = 9..16, see
 * kb_link_slot_cycle()), in
 * messages whose command byte is cmd_a or cmd_b (e.g. 0x05 and 0x0A for
 * partitions 1-4, 0x1B twice for 5-8). Module byte 0 (slot_byte = 0, the
 * alarm keys) is low phases 0..7 of any message, starting with the first
 * message that begins after the interrupt has seen the armed key; cmd_a/cmd_b
 * are then ignored. `messages`: in how many qualifying messages the key is
 * written (1 for a key, 2 for an alarm key: next message and the following
 * one, which should be the panel's 0x1C).
 *
 * For every message in which the link drove the first bit of the slot,
 * the published frame carries wrote = kb_link_write_tag() of that arm
 * (KB_FRAME_WROTE | gen << 5 | slot_byte, gen counting arms modulo 4); its
 * module bytes are the echo (what the bus read in those low phases). A
 * consumer matches the whole tag, not just the flag: a key of an earlier arm
 * can still be finishing (a cancel does not stop a slot being driven), and
 * its frame must not be taken for the next key's. A key is driven at most
 * once per message asked for: a message that ends inside the slot (as the
 * link saw it) counts as written, since the panel may have read the whole
 * key; its frame carries the tag with too few module bits, and the consumer
 * treats the echo as unconfirmed (kb_keys.h) rather than typing it again. */

/* First low phase (clock cycle) of module byte slot_byte's slot: 0 for the
 * alarm slot (byte 0), else 8 * slot_byte - 7 (byte 2 = cycle 9). The slot
 * is complete once the frame has slot cycle + 8 module bits. */
static inline uint8_t kb_link_slot_cycle(uint8_t slot_byte) {
  return (uint8_t)(slot_byte == 0u ? 0u : 8u * slot_byte - 7u);
}

/* True while no key is armed: kb_link_write_arm() may be called. */
bool kb_link_write_idle(const kb_link_t *l);

/* Arms one key: KB_OK. Refused, with nothing changed: KB_ERR_BUSY while a
 * key is armed, KB_ERR_ARG when slot_byte is 1 or >= KB_FRAME_BYTES or
 * messages is 0. Each accepted arm starts a new
 * generation (modulo 4; the first arm after kb_link_init() is generation 0). */
KB_MUST_CHECK kb_err_t kb_link_write_arm(kb_link_t *l, uint8_t key, uint8_t slot_byte, uint8_t cmd_a,
                                     uint8_t cmd_b, uint8_t messages);

/* The `wrote` value that frames carrying the key of the last accepted arm
 * have: KB_FRAME_WROTE | generation << 5 | slot_byte. 0 before any arm. */
uint8_t kb_link_write_tag(const kb_link_t *l);

/* Asks the interrupt to drop the armed key at the start of the next message
 * (a key already being driven is finished first). The path is idle again
 * once kb_link_write_idle() says so; with no clock that is never: the next
 * arm simply waits. No effect when idle. */
void kb_link_write_cancel(kb_link_t *l);

/* Clears the key byte left in the write configuration (it may be a digit of
 * an access code). No effect while a key is armed. */
void kb_link_write_wipe(kb_link_t *l);

/* Cancel for a key that must not stay in the link (a digit of an access
 * code, or a bus that went away: with no clock a cancel is never taken and
 * the path stays armed). While armed: replaces the key byte with 0xFF (all
 * bits released: an interrupt racing with it can only release the line,
 * never pull it low), clears the drive values already planned for the next
 * edge, and asks for the cancel as kb_link_write_cancel() does. No edge after
 * the call pulls the line low (the rest of a slot being driven reads 1s, so
 * the panel may read another key there: use it for secrets, not for every
 * cancel). The path stays armed until the interrupt takes the cancel (or
 * finishes the slot), then kb_link_write_wipe() clears the 0xFF. While idle:
 * as kb_link_write_wipe(). With a module-reply writer attached, the reply
 * bit already planned for the next edge (merged into the same drive value)
 * is cleared too: that reply may go out with a bit released, which its
 * owner sees in the echo and sends again (kb_xpd.h). */
void kb_link_write_abort(kb_link_t *l);

/* ------------------------------------ Module-reply writer (task side)
 *
 * kb_xpd.h is the only intended caller. The writer state (kb_link_xw_t)
 * belongs to the caller; the link only keeps a pointer. */

/* Resets the interrupt-side fields of x and starts the interrupt driving
 * its images (bank x->bank). map_cmd/map_img and both banks must be filled
 * first. KB_ERR_ARG for NULL, KB_ERR_BUSY when another writer is attached. */
KB_MUST_CHECK kb_err_t kb_link_xw_attach(kb_link_t *l, kb_link_xw_t *x);

/* Stops the module-reply writer (the next interrupt drives nothing more).
 * On a port whose interrupt runs on another core the edge after the call
 * may still drive one planned bit. No effect when none is attached. */
void kb_link_xw_detach(kb_link_t *l);

/* The bank the task may edit now (the one not being handed to the
 * interrupt), or NULL while the interrupt is still driving it (try again
 * after the current message: at the next poll). *on receives that bank's
 * `on` mask, to be set with the images. */
uint8_t (*kb_link_xw_edit(const kb_link_t *l, kb_link_xw_t *x, uint16_t **on))[8];

/* Hands the edited bank to the interrupt: the next message that selects an
 * image drives it. */
void kb_link_xw_publish(kb_link_xw_t *x);

/* ------------------------------------------------------- Interrupt API */

/* A clock edge at now_us; clock_high is the clock level after the edge.
 * Falling edge after > KB_GAP_US of clock high: publishes the previous message
 * and starts a new one. Returns what the port must do with the write line:
 * KB_LINK_WRITE_PULL_LOW only on a falling edge whose module bit of an armed
 * key, or of an attached module-reply image, is 0 (the decision was made by
 * the preceding kb_link_sample()); always
 * KB_LINK_WRITE_RELEASE on a rising edge and while no key is being written.
 * O(1). The body is kb_link_isr_edge() (kb_link_isr.h). */
KB_ISR_FN kb_link_write_t kb_link_edge(kb_link_t *l, bool clock_high, uint32_t now_us);

/* The data line sampled KB_SAMPLE_US after the last edge. clock_high is the clock
 * level at the sample (re-read by the port): high = a panel bit, low = a
 * module bit. O(1). The body is kb_link_isr_sample() (kb_link_isr.h). */
KB_ISR_FN void kb_link_sample(kb_link_t *l, bool clock_high, bool data_high);

/* The idle call (optional; kb_port.h 2b): clock_high is the clock level now
 * (re-read by the port), now_us the port's clock. When a message is in
 * progress, the clock is high and more than KB_GAP_US has passed since the
 * last rising edge, publishes the message as the next boundary would have
 * (same frame, same counters; `messages` still counts at the boundary), so
 * the task can have it one idle gap earlier; the boundary then only starts
 * the next message. A runt (< 8 panel bits) is left to the boundary. Returns
 * true when it ended a message (published, or lost to a full ring: an
 * overflow), false when it had nothing to do; any other call is harmless.
 * Never changes the write plan: a key is driven exactly as without the idle
 * call. A port that never makes it still works, with each frame published at
 * the next message's first edge. O(1). The body is kb_link_isr_idle(). */
KB_ISR_FN bool kb_link_idle(kb_link_t *l, bool clock_high, uint32_t now_us);

#ifdef __cplusplus
}
#endif

#endif /* KB_LINK_H_ */
