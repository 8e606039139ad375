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
 *   - KB_MODE_LIVE (edges: VCD, simulator, ports): the panel repeats status
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
 *   - KB_MODE_LOG (printed logs, which already dropped repeated status
 *     frames): the caller judges each status frame with one frame of
 *     lookahead (kb_filter_log_judge()) and passes the bytes to drop as noise
 *     to kb_engine_panel(); all other changes apply at once, in input order.
 *
 * Who may call: the task only (one thread). Nothing here is interrupt-safe,
 * nor needs to be: the interrupt talks to the link layer only.
 *
 * Events. Every change is one kb_event_t: a common header (type,
 * partition, t_ms) and one member of an anonymous union, named after the
 * event's family; a member is valid only for the types listed with it. The
 * event numbers (kb_event_type_t) are stable: new types are added before
 * KB_EV_COUNT. `on` is always the new state (1 on / 0 off). The members
 * are named struct types (kb_ev_*_t), so the header is valid C++ as well;
 * the engine clears an event before it fills the member, so the bytes no
 * member of its type covers read 0. An event is valid during the callback
 * only (copy it to keep it).
 *
 *   type                  member          fields
 *   KB_EV_SYNCED          synced          early: 1 = early generation (6-byte 0x05)
 *                         first valid 0x05/0x1B (status.synced)
 *   KB_EV_CONNECTED       state           on: keybus connected (kb_engine_connected(),
 *                         or the first valid frame)
 *   KB_EV_PARTITION       part            lights, status: partition's committed bytes
 *                         changed (lights: §3.2 bits, KB_LIGHT_*; status: §3.3
 *                         code, KB_ST_*); kb_proto_part_in_use(status) says
 *                         whether the lights mean anything
 *   KB_EV_READY / KB_EV_ALARM / KB_EV_FIRE / KB_EV_DISABLED / KB_EV_ENTRY_DELAY /
 *   KB_EV_NO_ENTRY_DELAY  state           on (partition in the header)
 *   KB_EV_ARMED           armed           on, mode (kb_armed_t; NONE when on = 0).
 *                         Mode of an arming with no entry delay (0x06/0x16): the
 *                         mode already known, else the exit delay's target (the
 *                         mode requested), else the Bypass light (on = stay: a
 *                         *9 stay arming shows 0x16 with it, taligentx issue
 *                         300); see docs/architecture.md
 *   KB_EV_EXIT_DELAY      exit_delay      on, target (kb_exit_t: the mode being armed)
 *   KB_EV_ACCESS_CODE     access          user (access code number, 40 = master),
 *                         pev (the panel event that names it: armed/disarmed by
 *                         code, the *1, *2, *3, *5, *6 menus by code, access
 *                         code), parts (its partition mask), time (its time,
 *                         zero for 0xCE). Header partition: 0 = the event names
 *                         none, else one event per partition it names. One per
 *                         live panel event naming a user, the same user again
 *                         included; an event seen twice (0xA5 then the 0xEB/0xCE
 *                         repeating it, or an identical message) counts once.
 *                         kb_partition_t.access_code keeps the last user that
 *                         armed or disarmed.
 *   KB_EV_ZONE_OPEN / KB_EV_ZONE_ALARM / KB_EV_ZONE_TAMPER / KB_EV_ZONE_BYPASS
 *                         zone            on, zone (1-KB_MAX_ZONES); header
 *                         partition 0. Bypass (both ways) comes from the "zone
 *                         bypassed" events, the zone lights of a partition's *1
 *                         menu (0x0A/0x0F/0xE6.01-06/20/21 with status 0xA0:
 *                         lit = bypassed), its Bypass light (off = none of the
 *                         zones it showed bypassed is; off on every partition in
 *                         use = no zone is) and disarming (its zones' bypass ends)
 *   KB_EV_TROUBLE         state           on: trouble light (partition 1's, plain statuses)
 *   KB_EV_AC_POWER        state           on: AC present (panel events, 0xE6.1A)
 *   KB_EV_BATTERY         state           on: panel battery OK (panel events)
 *   KB_EV_PGM             pgm             on, output (PGM 1-14)
 *   KB_EV_KEYPAD_ALARM    keypad_alarm    on, key (kb_alarm_key_t: fire/aux/panic),
 *                         from the panel's keypad alarm/restore events
 *   KB_EV_TIME            time            time: panel date/time changed (0xA5/0xEB)
 *   KB_EV_VERSION         version         version: panel firmware, BCD (0x41 = 4.1)
 *   KB_EV_PANEL_EVENT     panel           pev, parts (partition mask), time (zero
 *                         for 0xCE), number (event buffer entry, KB_EVENT_LIVE
 *                         for a live event), cmd (0xA5/0xEB/0xCE live, 0xAA/0xEC
 *                         buffer): one per panel event message; an 0xEB
 *                         repeating the 0xA5 just before it is not reported twice
 *   KB_EV_KEY             key             code (a keypad's key press, §4.2; digits
 *                         come as KB_KEY_DIGIT: they may be part of an access
 *                         code, a secret), cmd (the panel command it answered);
 *                         header partition = the key's partition slot. The keys
 *                         the link wrote itself (kb_frame_t.wrote) are not reported
 *   KB_EV_FRAME_ERROR     frame_error     check (kb_check_t), cmd (the command byte,
 *                         or the command a module frame answered)
 *   KB_EV_NOISE           noise           byte (0 lights, 1 status), cmd (0x05/0x1B):
 *                         a status byte change of the header's partition was
 *                         rejected as noise
 *   KB_EV_CODE_DIGITS     code_digits     digits: access code length, 4 or 6 (0x16
 *                         byte 4 b3, from every checksum-valid 0x16 whose byte 2
 *                         is 0x0E, the only layout known): when it changes
 *   KB_EV_BELL            state           on: bell (siren) output, 0xBB byte 2 b5;
 *                         status.bell
 *   KB_EV_BEEP            sound           beeps: the panel told partition's keypads
 *                         to beep that many times (0x64/0x69, 0xE6.19); one per
 *                         command, one per partition it names
 *   KB_EV_TONE            sound           constant, beeps, interval_s: tone pattern
 *                         of the partition's keypads (0x75/0x7A, 0xE6.1D); all 0 =
 *                         tone off; one per command
 *   KB_EV_BUZZER          sound           seconds: buzzer for that long (0x7F/0x82,
 *                         0xE6.1F); one per command
 *   KB_EV_PANEL_FLAG      panel_flag      on, flag (one KB_PANEL_* bit: time lost,
 *                         failure to communicate, fire alarm from 0xE6.1A; phone
 *                         line, dialing, keypad lockout from 0xC3): one per bit
 *                         that changed; status.panel_flags
 *   KB_EV_MODULE          module          on, device (kb_device_t), number (keypad
 *                         slot 1-8, zone expander 1-7, 0 for the others): a
 *                         module appeared on / left the bus, from the replies to
 *                         the supervision query 0x11 (no checksum: a new reply
 *                         counts when the next one is the same, live or log);
 *                         status.keypads/expanders/modules
 *
 * The new types (KB_EV_BELL .. KB_EV_MODULE) are reported only once the
 * status stream is synced for module replies (like keys), at once for the
 * checksummed panel frames.
 */
#ifndef KB_ENGINE_H_
#define KB_ENGINE_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_link.h"
#include "keybus/kb_pev.h"
#include "keybus/kb_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Types */

/* How status frames reach the engine (see the noise filter above). */
typedef enum { KB_MODE_LIVE = 0, KB_MODE_LOG = 1 } kb_engine_mode_t;

/* KB_EV_KEY code for any digit key 0-9 (the digit itself is not reported). */
#define KB_KEY_DIGIT 0xFEu

typedef enum { KB_ARMED_NONE = 0, KB_ARMED_STAY, KB_ARMED_AWAY } kb_armed_t;
typedef enum { KB_EXIT_NONE = 0, KB_EXIT_STAY, KB_EXIT_AWAY, KB_EXIT_NO_ENTRY_DELAY } kb_exit_t;

/* Modules the supervision reply (0x11) reports (KB_EV_MODULE device). */
typedef enum {
  KB_DEVICE_KEYPAD = 0, /* number = keypad slot 1-8 */
  KB_DEVICE_EXPANDER,   /* number = zone expander 1-7 */
  KB_DEVICE_RF5132,     /* wireless receiver */
  KB_DEVICE_PC5208,     /* PGM output module */
  KB_DEVICE_PC5204      /* power supply / output module */
} kb_device_t;

/* kb_status_t.modules bits. */
#define KB_MODULE_RF5132 0x01u
#define KB_MODULE_PC5208 0x02u
#define KB_MODULE_PC5204 0x04u

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
  KB_EV_BELL,        /* issue 7: typed meaning in core */
  KB_EV_BEEP,
  KB_EV_TONE,
  KB_EV_BUZZER,
  KB_EV_PANEL_FLAG,
  KB_EV_MODULE,
  KB_EV_FLASH, /* issue 10: the status lights that flash (part: lights = flashing bits) */
  KB_EV_COUNT
} kb_event_type_t;

/* Event members, one per family (the union of kb_event_t). */
typedef struct {
  uint8_t early;  /* 1 = early-generation panel (6-byte 0x05) */
  uint8_t series; /* KB_SERIES_*: 0 = PowerSeries (early says which
                     generation), KB_SERIES_CLASSIC (early means nothing) */
} kb_ev_synced_t; /* KB_EV_SYNCED */
typedef struct {
  uint8_t on;    /* the new state */
} kb_ev_state_t; /* CONNECTED, READY, NO_ENTRY_DELAY, ENTRY_DELAY, ALARM, FIRE,
                    DISABLED, TROUBLE, AC_POWER, BATTERY, BELL */
typedef struct {
  uint8_t lights; /* §3.2 bits (KB_LIGHT_*) */
  uint8_t status; /* §3.3 code (KB_ST_*) */
} kb_ev_part_t; /* KB_EV_PARTITION; KB_EV_FLASH: lights = the flashing bits */
typedef struct {
  uint8_t on;
  uint8_t mode; /* kb_armed_t */
} kb_ev_armed_t; /* KB_EV_ARMED */
typedef struct {
  uint8_t on;
  uint8_t target; /* kb_exit_t: the mode being armed (NONE when on = 0) */
} kb_ev_exit_t; /* KB_EV_EXIT_DELAY */
typedef struct {
  uint8_t on;
  uint8_t zone; /* 1..KB_MAX_ZONES */
} kb_ev_zone_t; /* KB_EV_ZONE_OPEN / ALARM / TAMPER / BYPASS */
typedef struct {
  uint8_t on;
  uint8_t output; /* PGM 1-14 */
} kb_ev_pgm_t; /* KB_EV_PGM */
typedef struct {
  uint8_t on;
  uint8_t key; /* kb_alarm_key_t */
} kb_ev_keypad_alarm_t; /* KB_EV_KEYPAD_ALARM */
typedef struct {
  kb_time_t time;
} kb_ev_time_t; /* KB_EV_TIME */
typedef struct {
  uint8_t version; /* BCD */
} kb_ev_version_t; /* KB_EV_VERSION */
typedef struct {
  uint8_t digits; /* 4 or 6 */
} kb_ev_code_digits_t; /* KB_EV_CODE_DIGITS */
typedef struct {
  uint8_t user;   /* access code number (40 = master) */
  uint8_t parts;  /* partition mask of the panel event */
  kb_pev_t pev;   /* the panel event naming the user */
  kb_time_t time; /* its time (zero for 0xCE) */
} kb_ev_access_t; /* KB_EV_ACCESS_CODE */
typedef struct {
  kb_pev_t pev;
  uint8_t parts;   /* partition mask (b0 = partition 1), 0 = system */
  uint8_t cmd;     /* 0xA5, 0xEB, 0xCE (live), 0xAA, 0xEC (buffer) */
  uint16_t number; /* event buffer entry, KB_EVENT_LIVE = live */
  kb_time_t time;  /* zero for 0xCE */
} kb_ev_panel_t; /* KB_EV_PANEL_EVENT */
typedef struct {
  uint8_t code; /* §4.2 key code, KB_KEY_DIGIT for any digit */
  uint8_t cmd;  /* panel command whose module data carried it */
} kb_ev_key_t; /* KB_EV_KEY */
typedef struct {
  uint8_t check; /* kb_check_t */
  uint8_t cmd;   /* command byte (module frames: the command answered) */
} kb_ev_frame_error_t; /* KB_EV_FRAME_ERROR */
typedef struct {
  uint8_t byte; /* 0 lights, 1 status */
  uint8_t cmd;  /* 0x05 / 0x1B */
} kb_ev_noise_t; /* KB_EV_NOISE */
typedef struct {
  uint8_t beeps;      /* BEEP: count; TONE: beeps per pattern 0-7 */
  uint8_t constant;   /* TONE: constant tone */
  uint8_t interval_s; /* TONE: seconds between patterns */
  uint8_t seconds;    /* BUZZER: duration */
} kb_ev_sound_t; /* KB_EV_BEEP / TONE / BUZZER */
typedef struct {
  uint8_t on;
  uint8_t flag; /* one KB_PANEL_* bit */
} kb_ev_panel_flag_t; /* KB_EV_PANEL_FLAG */
typedef struct {
  uint8_t on;     /* 1 = present */
  uint8_t device; /* kb_device_t */
  uint8_t number; /* keypad slot 1-8, expander 1-7, else 0 */
} kb_ev_module_t; /* KB_EV_MODULE */

/* One reported change: the header, then the member of its type's family
 * (see "Events" above). */
typedef struct {
  uint8_t type;      /* kb_event_type_t */
  uint8_t partition; /* 1-8, 0 = not partition specific */
  uint32_t t_ms;     /* caller's time of the frame that caused the change */
  union {
    kb_ev_synced_t synced;
    kb_ev_state_t state;
    kb_ev_part_t part;
    kb_ev_armed_t armed;
    kb_ev_exit_t exit_delay;
    kb_ev_zone_t zone;
    kb_ev_pgm_t pgm;
    kb_ev_keypad_alarm_t keypad_alarm;
    kb_ev_time_t time;
    kb_ev_version_t version;
    kb_ev_code_digits_t code_digits;
    kb_ev_access_t access;
    kb_ev_panel_t panel;
    kb_ev_key_t key;
    kb_ev_frame_error_t frame_error;
    kb_ev_noise_t noise;
    kb_ev_sound_t sound;
    kb_ev_panel_flag_t panel_flag;
    kb_ev_module_t module;
  };
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
  /* per partition (index p-1): §3.2 bits of the lights that flash (0x5D,
   * 0x63, 0xE6.17/18, sent on a change and every 30 s); 0 = none, or not
   * reported yet. Beside part[] rather than in it: kb_partition_t is copied
   * on every status change, and stays the size it was. */
  uint8_t flash[KB_MAX_PARTITIONS];
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
  uint8_t bell;        /* bell output on (0xBB) */
  uint8_t panel_flags; /* KB_PANEL_* (kb_decode.h): 0xE6.1A and 0xC3 conditions */
  uint8_t keypads;     /* bit s-1: keypad slot s present (0x11 replies) */
  uint8_t expanders;   /* bit n-1: zone expander n present (0x11 replies) */
  uint8_t modules;     /* KB_MODULE_*: other modules present (0x11 replies) */
  /* issue 11 (Classic series, kb_classic.h): what this panel can report.
   * All zero for PowerSeries (the engine never sets them), so nothing above
   * changes meaning for it. */
  uint8_t series;    /* KB_SERIES_*: which decoder fills this model */
  uint8_t zones_max; /* highest zone the panel reports, 0 = KB_MAX_ZONES */
  uint16_t absent;   /* KB_ABSENT_*: fields the panel cannot report; they
                        stay zero, mean nothing and are left out of JSON and
                        Home Assistant (no fake values) */
} kb_status_t;

/* kb_status_t.series */
#define KB_SERIES_POWER 0u   /* PowerSeries (kb_engine) */
#define KB_SERIES_CLASSIC 1u /* PC1500/PC1550/PC2550 (kb_classic) */

/* kb_status_t.absent bits: one per field (or group) of kb_status_t. */
#define KB_ABSENT_ENTRY_DELAY 0x0001u  /* part[].entry_delay */
#define KB_ABSENT_DISABLED 0x0002u     /* part[].disabled */
#define KB_ABSENT_ACCESS_CODE 0x0004u  /* part[].access_code */
#define KB_ABSENT_PARTITIONS 0x0008u   /* partitions 2-8 (single partition) */
#define KB_ABSENT_ZONES_TAMPER 0x0010u /* zones_tamper */
#define KB_ABSENT_ZONES_BYPASS 0x0020u /* zones_bypass */
#define KB_ABSENT_AC_POWER 0x0040u     /* ac_power */
#define KB_ABSENT_BATTERY 0x0080u      /* battery_ok */
#define KB_ABSENT_PGM 0x0100u          /* pgm */
#define KB_ABSENT_TIME 0x0200u         /* time */
#define KB_ABSENT_VERSION 0x0400u      /* version */
#define KB_ABSENT_CODE_DIGITS 0x0800u  /* code_digits */
#define KB_ABSENT_BELL 0x1000u         /* bell */
#define KB_ABSENT_PANEL_FLAGS 0x2000u  /* panel_flags */
#define KB_ABSENT_MODULES 0x4000u      /* keypads, expanders, modules */
#define KB_ABSENT_EARLY 0x8000u        /* early (a PowerSeries generation) */

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
  uint8_t mode; /* kb_engine_mode_t: set by init and kb_engine_set_mode() */
  /* fingerprint of the last supervision (0x11) reply and what became of
   * it (a new reply applies when the next one is the same) */
  uint16_t sup_hash;
  uint8_t sup_state;
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
  /* bit p-1: a panel event disarmed partition p after its committed status
   * byte said armed or a delay; that byte is read as disarmed until the
   * next one is committed (kb_engine.c, disarm()) */
  uint8_t pev_disarmed;
} kb_engine_t;

/* ------------------------------------------------------------ Task API */

/* Clears the model; cb (may be NULL) receives every change. */
void kb_engine_init(kb_engine_t *e, kb_engine_mode_t mode, kb_event_cb cb, void *ctx);

/* Changes how the next frames are judged (a log that embeds a live stretch,
 * a VCD replayed after a log); the model and pending changes stay. */
void kb_engine_set_mode(kb_engine_t *e, kb_engine_mode_t mode);

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
