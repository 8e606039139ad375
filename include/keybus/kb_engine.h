/* SPDX-License-Identifier: MIT
 *
 * kb_engine.h - task-side engine: frame checks, start-up gate, noise filter,
 * PowerSeries status model, typed change events and health counters.
 *
 * What it promises
 *   Feed it frames in bus order (kb_engine_frame() for a frame from the link
 *   ring, or kb_engine_panel()/kb_engine_module() for lines of a log). It keeps
 *   the panel's state (partitions 1-8, zones 1-64, system) in kb_status_t and
 *   reports every change once, as a typed kb_event_t through the callback
 *   given at init. It allocates nothing, logs nothing and knows no clock: the
 *   caller passes times in milliseconds.
 *
 *   Start-up gate: until the first valid 0x05 or 0x1B (which tells the panel
 *   generation and sets status.synced: "the status stream has been seen"),
 *   only the frames that carry a checksum and pass it (0x27/0x2D/0x34/0x3E,
 *   0xA5, 0xEB, 0x87, 0x16, 0x0A, 0xE6...) update the model; frames without a
 *   checksum (module data: keys) wait. Logs that print only changes may have
 *   no 0x05 at all. None of the checksummed commands decodes differently by
 *   generation.
 *
 *   Noise filter for the status bytes of 0x05/0x1B (no checksum), judged per
 *   byte (each partition's lights byte and status byte on its own):
 *   - KB_INPUT_LIVE (edges: VCD, simulator, ports): the panel repeats status
 *     frames continuously, so a changed byte is accepted once KB_FILTER_K
 *     status frames carry it, or at once when a checksummed 0x27/0x2D/
 *     0x34/0x3E received after the change first appeared agrees. A copy
 *     that differs (a corrupted one) neither counts nor resets the count:
 *     up to three candidate values are counted side by side (a fourth
 *     pushes out the one seen least recently), and all are dropped as noise
 *     when the
 *     committed value comes back twice in a row. Unconfirmed changes are
 *     never committed.
 *     Zones of 0x27/0x2D/0x34/0x3E (checksummed, but an additive checksum
 *     misses a few multi-bit errors) are applied when the frame's partition
 *     1-2 bytes agree with the 0x05 stream (committed or pending values);
 *     otherwise they wait, a few status frames at most, for the 0x05 that
 *     shows those bytes.
 *   - KB_INPUT_LOG (printed logs, which already dropped repeated status
 *     frames): the caller judges each status frame with one frame of
 *     lookahead (kb_filter_log_judge()) and passes the bytes to drop as noise
 *     to kb_engine_panel(); all other changes apply at once, in input order.
 *
 * Who may call: the task only (one thread). Nothing here is interrupt-safe,
 * nor needs to be: the interrupt talks to the link layer only.
 *
 * Events (kb_event_t.type), what their fields mean:
 *   KB_EV_SYNCED          first valid status frame; value = 1 early generation
 *   KB_EV_CONNECTED       on = keybus connected (from kb_engine_connected())
 *   KB_EV_PARTITION       partition, lights, status: committed bytes changed
 *   KB_EV_READY / KB_EV_ALARM / KB_EV_FIRE / KB_EV_DISABLED /
 *   KB_EV_ENTRY_DELAY / KB_EV_NO_ENTRY_DELAY
 *                         partition, on
 *   KB_EV_ARMED           partition, on, value = kb_armed_t (mode)
 *   KB_EV_EXIT_DELAY      partition, on, value = kb_exit_t (target mode)
 *   KB_EV_ARMED mode of an arming with no entry delay (0x06/0x16): the mode
 *                         already known, else the exit delay's target (the
 *                         mode requested), else the Bypass light (on = stay:
 *                         a *9 stay arming shows 0x16 with it, taligentx
 *                         issue 300); see docs/architecture.md
 *   KB_EV_ACCESS_CODE     partition (0 = the event names none), value = the
 *                         user (access code number, 40 = master), pev = the
 *                         panel event that names it (armed/disarmed by code,
 *                         the *1, *2, *3, *5, *6 menus by code, access
 *                         code): one per live panel event naming a user,
 *                         the same user again included; an event seen twice (0xA5 then the
 *                         0xEB/0xCE repeating it, or an identical message)
 *                         counts once. kb_partition_t.access_code keeps the
 *                         last user that armed or disarmed.
 *   KB_EV_ZONE_OPEN / KB_EV_ZONE_ALARM / KB_EV_ZONE_TAMPER / KB_EV_ZONE_BYPASS
 *                         number = zone 1-64, on. Bypass (both ways) comes
 *                         from the "zone bypassed" events, the zone lights
 *                         of a partition's *1 menu (0x0A/0x0F/0xE6.01-06/
 *                         20/21 with status 0xA0: lit = bypassed), its
 *                         Bypass light (off = none of the zones it showed
 *                         bypassed is; off on every partition in use = no
 *                         zone is) and disarming (its zones' bypass ends)
 *   KB_EV_TROUBLE         on = trouble light
 *   KB_EV_AC_POWER        on = AC present
 *   KB_EV_BATTERY         on = panel battery OK
 *   KB_EV_PGM             number = PGM output 1-14, on
 *   KB_EV_KEYPAD_ALARM    value = kb_alarm_key_t (fire/aux/panic), on
 *   KB_EV_TIME            time: panel date/time changed
 *   KB_EV_VERSION         value = panel firmware version, BCD (0x41 = 4.1)
 *   KB_EV_PANEL_EVENT     pev, parts (partition mask), time, number (event
 *                         buffer entry, 0xFFFF = live): one per panel event
 *                         message (0xA5/0xEB/0xCE live, 0xAA/0xEC buffer);
 *                         an 0xEB repeating the 0xA5 just before it is not
 *                         reported twice
 *   KB_EV_KEY             partition, value = key code (a keypad's key press;
 *                         digits come as KB_KEY_DIGIT: they may be part of an
 *                         access code, a secret; the keys the link wrote itself
 *                         (kb_frame_t.wrote) are not reported)
 *   KB_EV_FRAME_ERROR     value = kb_check_t, number = command
 *   KB_EV_NOISE           partition, value = 0 lights / 1 status: a status
 *                         byte change was rejected as noise
 *   KB_EV_CODE_DIGITS     value = access code length, 4 or 6 (0x16 byte 4
 *                         b3, from every checksum-valid 0x16 whose byte 2
 *                         is 0x0E, the only layout known): when it changes
 */
#ifndef KB_ENGINE_H_
#define KB_ENGINE_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_link.h"
#include "keybus/kb_pev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Types */

typedef enum { KB_INPUT_LIVE = 0, KB_INPUT_LOG = 1 } kb_input_t;

/* KB_EV_KEY value for any digit key 0-9 (the digit itself is not reported). */
#define KB_KEY_DIGIT 0xFEu

typedef enum { KB_ARMED_NONE = 0, KB_ARMED_STAY, KB_ARMED_AWAY } kb_armed_t;
typedef enum { KB_EXIT_NONE = 0, KB_EXIT_STAY, KB_EXIT_AWAY, KB_EXIT_NO_ENTRY_DELAY } kb_exit_t;

typedef enum {
  KB_EV_SYNCED = 0,
  KB_EV_CONNECTED,
  KB_EV_PARTITION,
  KB_EV_READY,
  KB_EV_ARMED,
  KB_EV_NO_ENTRY_DELAY,
  KB_EV_EXIT_DELAY,
  KB_EV_ENTRY_DELAY,
  KB_EV_ALARM,
  KB_EV_FIRE,
  KB_EV_DISABLED,
  KB_EV_ACCESS_CODE,
  KB_EV_ZONE_OPEN,
  KB_EV_ZONE_ALARM,
  KB_EV_ZONE_TAMPER,
  KB_EV_ZONE_BYPASS,
  KB_EV_TROUBLE,
  KB_EV_AC_POWER,
  KB_EV_BATTERY,
  KB_EV_PGM,
  KB_EV_KEYPAD_ALARM,
  KB_EV_TIME,
  KB_EV_VERSION,
  KB_EV_PANEL_EVENT,
  KB_EV_KEY,
  KB_EV_FRAME_ERROR,
  KB_EV_NOISE,
  KB_EV_CODE_DIGITS, /* added after the others: their numbers stay */
  KB_EV_COUNT
} kb_event_type_t;

typedef struct {
  uint8_t type;      /* kb_event_type_t */
  uint8_t partition; /* 1-8, 0 = not partition specific */
  uint8_t on;        /* new boolean state */
  uint8_t value;     /* type specific, see the list above */
  uint16_t number;   /* zone / PGM / event number / command, type specific */
  uint8_t lights, status;
  uint8_t parts;     /* partition mask of a panel event */
  kb_pev_t pev;
  kb_time_t time;
  uint32_t t_ms;     /* caller's time of the frame that caused the change */
} kb_event_t;

typedef struct {
  uint8_t lights, status; /* committed bytes */
  uint8_t known;          /* a status byte has been committed */
  uint8_t ready, disabled, alarm, fire, entry_delay, exit_delay, no_entry_delay;
  uint8_t armed;       /* kb_armed_t */
  uint8_t exit_target; /* kb_exit_t while exit_delay */
  uint8_t access_code; /* last user (code number) that armed/disarmed, 0 = none yet */
} kb_partition_t;

#define KB_ZONE_BYTES (KB_MAX_ZONES / 8)

typedef struct {
  kb_partition_t part[KB_MAX_PARTITIONS];
  uint8_t zones_open[KB_ZONE_BYTES]; /* bit (z-1)%8 of byte (z-1)/8 = zone z */
  uint8_t zones_alarm[KB_ZONE_BYTES];
  uint8_t zones_tamper[KB_ZONE_BYTES];
  uint8_t zones_bypass[KB_ZONE_BYTES];
  uint8_t trouble;
  uint8_t ac_power;   /* 1 = AC present */
  uint8_t battery_ok;
  uint8_t keypad_alarm[3]; /* fire, aux, panic (set by events, cleared by restore events) */
  uint16_t pgm;        /* bit n-1 = PGM n */
  kb_time_t time;
  uint8_t version;     /* BCD, 0 = not seen */
  uint8_t synced;      /* a valid 0x05/0x1B has been seen (the status stream;
                          checksummed frames update the model before it) */
  uint8_t early;       /* early-generation panel (6-byte 0x05) */
  uint8_t code_digits; /* access code length from 0x16 byte 4 b3: 4 or 6, 0 = not seen */
  uint8_t connected;
} kb_status_t;

typedef struct {
  uint32_t frames;          /* frames fed (panel + module) */
  uint32_t frames_ok;       /* frames that passed every check */
  uint32_t checksum_errors;
  uint32_t length_errors;
  uint32_t framing_errors;
  uint32_t unknown_cmds;
  uint32_t runts;
  uint32_t filter_rejections; /* status byte changes dropped as noise */
  uint32_t ring_overflows;    /* copied from the link by kb_engine_link_stats() */
  uint8_t ring_high_water;
  uint8_t has_frame;
  uint32_t last_frame_ms;     /* caller time of the last valid frame */
} kb_health_t;

typedef void (*kb_event_cb)(void *ctx, const kb_event_t *ev);

/* Live noise filter state of one status byte (internal): up to three
 * candidate values with their clean copies, most recently seen first, so
 * that neither a value the panel has moved on from nor a corrupted copy can
 * push a real change out. */
typedef struct {
  uint8_t val[KB_FILTER_SLOTS], n[KB_FILTER_SLOTS]; /* n = 0: slot free */
  uint8_t back; /* copies of the committed value while one waits */
} kb_filter_byte_t;

/* Engine state: public so firmware can place it statically; fields below
 * `status` and `health` are internal. */
typedef struct kb_engine_s {
  kb_status_t status;
  kb_health_t health;
  kb_event_cb cb;
  void *cb_ctx;
  uint8_t input; /* kb_input_t */
  /* live filter: per partition, [0] lights byte, [1] status byte */
  kb_filter_byte_t filt[KB_MAX_PARTITIONS][2];
  /* last applied 0x05 [0] and 0x1B [1] (live input): a repeat with nothing
   * pending changes nothing and skips the decode */
  uint8_t last_status[2][10];
  uint8_t last_status_n[2];
  /* live input: zones of 0x27/0x2D/0x34/0x3E (groups 0-3) whose partition
   * bytes the 0x05 stream has not shown yet, held until it does */
  struct {
    uint8_t left;     /* 0 = none, else full 0x05 frames left to wait */
    uint8_t zones;
    uint8_t parts[4]; /* P1 lights, status, P2 lights, status */
    uint8_t seen;     /* bit i: parts[i] shown by the 0x05 stream */
  } zhold[4];
  uint8_t repeats[2]; /* quick repeats not yet counted into filt[].n */
  uint8_t room[2];    /* quick repeats allowed before one could commit */
  /* last live panel event message (command 0 = none), to report an event
   * once: an 0xEB/0xCE repeating the 0xA5 before it, a message repeated */
  kb_pev_t last_pev;
  kb_time_t last_pev_time;
  uint8_t last_pev_parts;
  uint8_t last_pev_cmd;
  /* bypassed zones: the partition (1-8, 0 = none named) that showed zone z
   * bypassed, in the nibble (z-1)%2 of byte (z-1)/2 */
  uint8_t byp_owner[KB_MAX_ZONES / 2];
} kb_engine_t;

/* ------------------------------------------------------------ Task API */

/* Clears the model; cb (may be NULL) receives every change. */
void kb_engine_init(kb_engine_t *e, kb_input_t input, kb_event_cb cb, void *ctx);

/* A panel frame (b[1] = stop bit, avail bytes present, bits as captured).
 * noise_mask (log input only; 0 for live): bit 2*(p-1) drops partition p's
 * lights byte, bit 2*(p-1)+1 its status byte, as judged by
 * kb_filter_log_judge(). out (may be NULL) receives the typed decode.
 * Returns the verdict of the frame checks. */
kb_check_t kb_engine_panel(kb_engine_t *e, const uint8_t *b, uint8_t avail, uint16_t bits,
                           uint16_t noise_mask, uint32_t t_ms, kb_decoded_t *out);

/* Module data captured under panel command `under` (and `under_sub`). */
kb_check_t kb_engine_module(kb_engine_t *e, uint8_t under, uint8_t under_sub, const uint8_t *b,
                            uint8_t avail, uint16_t bits, uint32_t t_ms, kb_decoded_t *out);

/* A frame from the link ring: the panel frame, then its module data when a
 * module spoke. t_ms: caller's time. */
void kb_engine_frame(kb_engine_t *e, const kb_frame_t *f, uint32_t t_ms);

/* Keybus connected/disconnected (from kb_link_tick() or a log's own lines). */
void kb_engine_connected(kb_engine_t *e, bool connected, uint32_t t_ms);

/* Age of the last valid frame at caller time now_ms (health: "last frame
 * age"); UINT32_MAX when no valid frame has been seen. */
uint32_t kb_engine_frame_age_ms(const kb_engine_t *e, uint32_t now_ms);

/* Copies the link's overflow count and high-water mark into the health. */
void kb_engine_link_stats(kb_engine_t *e, const kb_link_stats_t *s);

/* Log input: which status bytes of `cur` are noise. prev: the previous
 * status frame of the same command in the log (NULL if none), next: the next
 * one (NULL if none), next_soon: next came less than 1 s after cur (at the
 * log's resolution; lines without timestamps count as soon, a timestamp
 * going backwards as not soon). A byte that changed from prev is noise when
 * next returns it to prev's value soon. Returns a noise_mask for
 * kb_engine_panel(); 0 when cur is not a 0x05/0x1B. Frames are given as
 * bytes with their bit counts. */
uint16_t kb_filter_log_judge(const uint8_t *prev, uint16_t prev_bits, const uint8_t *cur,
                             uint16_t cur_bits, const uint8_t *next, uint16_t next_bits,
                             bool next_soon);

#ifdef __cplusplus
}
#endif

#endif /* KB_ENGINE_H_ */
