/* SPDX-License-Identifier: MIT
 *
 * kb_sim_panel.h - simulated DSC PowerSeries panel: a behavioural model
 * (partitions, zones, codes, delays, alarms, troubles, menus, PGM, clock)
 * that clocks out the messages a real panel sends and reads the keys the
 * keypads put into the module stream of those messages.
 *
 * How it is driven (virtual time, microseconds, never going backwards):
 *
 *     kb_sim_panel_init(&p, &cfg, t);
 *     for (;;) {
 *       kb_sim_panel_next(&p, t, bytes, &bits, &gap);   // choose the message
 *       t += gap;                                       // idle clock-high
 *       ... clock `bits` bits (1 ms each on a real bus); keypads answer ...
 *       t += bits * 1000;
 *       kb_sim_panel_module(&p, t, module, bits);       // what it read back
 *     }
 *
 *   Environment changes (zones, AC, battery) may come at any time between
 *   those calls. Every entry point first advances the model's timers to
 *   now_us (exit/entry delays, brief statuses, PGM pulses, panel clock,
 *   periodic commands); a time earlier than the last one is taken as the
 *   last one.
 *
 * Byte convention (as everywhere in keybus): [0] command, [1] the stop bit
 * alone (the panel sends 0), [2..] data, MSB first; a frame of N bytes is
 * 8N-7 bits (plus cfg.trailing_bits). The module stream uses the same
 * layout: module[0] = the 8 low phases of the command byte (alarm keys),
 * module[2], [3], [8], [9] = the key slots of 0x05 and 0x0A (partitions
 * 1-4) and 0x1B (5-8); 0xFF = released / no key. With zone expanders
 * installed (cfg.expanders), module byte 4 (and 7) of the status commands
 * carries their notification bits, and their replies to the panel's
 * expander queries set the state of their zones (notes §3.14, §4.4, §4.7).
 *
 * Determinism: the model has no globals, no clock and no allocation; given
 * the same cfg (seed included) and the same calls it produces the same
 * messages. The seed only jitters the idle gaps.
 *
 * See docs/simulator-panel.md for the behaviours, the message schedule and
 * what is simplified.
 */
#ifndef KB_SIM_PANEL_H_
#define KB_SIM_PANEL_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KB_SIM_PARTITIONS 8
#define KB_SIM_ZONES 64
#define KB_SIM_CODES 43    /* code numbers 1..42: 1-34 users, 40 master, 41-42 supervisors */
#define KB_SIM_MASTER 40   /* code number of the master code */
#define KB_SIM_CMD_OUTPUTS 4
#define KB_SIM_QUEUE 48    /* one-shot messages waiting (events, beeps, ...) */
#define KB_SIM_FRAME 16    /* bytes per message buffer */
#define KB_SIM_EVLOG 32    /* event buffer entries kept */

/* Zone types. */
typedef enum {
  KB_SIM_ZONE_UNUSED = 0,
  KB_SIM_ZONE_DELAY,    /* entry delay when armed (instant when armed night) */
  KB_SIM_ZONE_INSTANT,  /* alarm at once when armed */
  KB_SIM_ZONE_INTERIOR, /* stay/away: bypassed in stay/night, follows an entry delay */
  KB_SIM_ZONE_FIRE,     /* fire alarm at any time, Fire light */
  KB_SIM_ZONE_24H       /* alarm at any time */
} kb_sim_zone_type_t;

/* Armed modes. The values of KB_SIM_ARM_STAY/AWAY equal kb_armed_t
 * (kb_engine.h); night = stay with no entry delay (status 0x06, the `n`
 * key). A `*9` arming is STAY or AWAY with truth no_entry_delay = 1 (status
 * 0x16 for both; the Bypass light tells stay). */
typedef enum {
  KB_SIM_ARM_NONE = 0,
  KB_SIM_ARM_STAY = 1,
  KB_SIM_ARM_AWAY = 2,
  KB_SIM_ARM_NIGHT = 3
} kb_sim_arm_t;

/* Keypad menus a partition can be in (truth only). */
typedef enum {
  KB_SIM_MENU_NONE = 0,
  KB_SIM_MENU_CODE,      /* typing an access code from the plain display */
  KB_SIM_MENU_PROMPT,    /* 0x9F enter access code (after s/w/n, *6, *7, output keys) */
  KB_SIM_MENU_STAR,      /* 0x9E (0xB8 armed): waiting for the function digit */
  KB_SIM_MENU_BYPASS,    /* 0xA0 *1 zone bypass */
  KB_SIM_MENU_USER,      /* 0xA9 *6 user functions */
  KB_SIM_MENU_TIME,      /* 0xAA *6 1: time and date, 10 digits */
  KB_SIM_MENU_CMD_OUTPUT, /* 0xB2 *7: command output 1-4 */
  KB_SIM_MENU_EVENTS     /* 0xA9 still shown: browsing the event buffer (*6 code, Enter) */
} kb_sim_menu_t;

typedef struct {
  uint16_t year; /* 2000..2099 (1970..1999 also encodable) */
  uint8_t month, day, hour, minute;
} kb_sim_time_t;

typedef struct {
  uint8_t partition; /* 1..8, 0 = zone not used */
  uint8_t type;      /* kb_sim_zone_type_t */
} kb_sim_zone_cfg_t;

typedef struct {
  uint8_t later_gen;   /* 1: PC1616/1832/1864/5020-like, 0: PC1555MX-like */
  uint8_t partitions;  /* bit p-1 = partition p in use (early gen: bits 0-1 only) */
  kb_sim_zone_cfg_t zone[KB_SIM_ZONES]; /* zone[z-1]; early gen: zones 1-32 only */
  uint8_t code_digits; /* 4 or 6 */
  char code[KB_SIM_CODES][7]; /* code[n] = digits of access code number n ("" = none);
                                 n = 1..34 and 40..42 (35..39 are ignored) */
  uint16_t exit_delay_s, entry_delay_s;
  uint8_t quick_arm;   /* s/w/n arm without a code */
  uint8_t version;     /* 0x16 firmware version, BCD (0x41 = v4.1) */
  kb_sim_time_t start; /* panel date/time at init (seconds = 0) */
  uint8_t cmd_output_pgm[KB_SIM_CMD_OUTPUTS]; /* *7 output n -> PGM 1..14 (0 = none) */
  uint16_t cmd_output_pulse_s; /* 0 = a command output toggles, else it pulses this long */
  uint8_t send_1b;     /* later gen: alternate 0x1B with 0x05 (default 1) */
  uint8_t send_e6;     /* later gen: 0xE6.09/0B/0D/0F, 0xE6.1A (default 1) */
  uint8_t send_beeps;  /* 0x64/0x69/0xE6.19 beeps (default 1) */
  uint8_t trailing_bits; /* extra clock cycles after the last byte (0..7, default 0) */
  uint16_t flash_ms;   /* brief statuses (0x8F, 0x07, 0xA3/0xA4, 0x33, 0x3E/0x3D) */
  uint16_t key_timeout_s; /* a half-typed code / idle menu is dropped after this */
  /* periods (seconds) */
  uint16_t supervision_s; /* 0x11 */
  uint16_t version_s;     /* 0x16 */
  uint16_t zones_s;       /* 0x27/0x2D/0x34/0x3E, 0xE6.09.., 0xE6.1A */
  uint16_t timestamp_s;   /* 0xA5 timestamp */
  uint16_t flashing_s;    /* 0x5D / 0x63 flashing lights (+0xE6.18 later gen), default 30 */
  uint16_t keypad_status_s; /* 0xC3 keypad/dialer status, later gen, default 30 */
  uint16_t enabled_zones_s; /* 0xE6.2B/2C enabled zones per partition, later gen, default 60 */
  uint16_t b1_s;          /* 0xB1 enabled zones partitions 1-2, default 240 */
  uint8_t panic_audible;  /* keypad panic puts the keypad's partition in alarm (bell, 0x11) */
  uint8_t status_zones;   /* resend the zone groups 1-32 (0x27..) when partition 1/2 status or
                             lights change, as real panels do (default 1) */
  uint8_t expanders;      /* bit n = zone expander n (0..7; zones 8n+1..8n+8) installed: the
                             panel watches its notification bit, queries it and takes its
                             replies as its zones' states (default 0: none) */
  uint32_t gap_us;        /* nominal idle gap before a message (default 5000) */
  uint32_t gap_jitter_us; /* +/- jitter drawn from the seed (default 400) */
  uint32_t seed;
} kb_sim_cfg_t;

/* Fills c with a small, test-friendly panel: partition 1 only (the others
 * are sent as disabled, status 0xC7), zones 1-6 on partition 1 (1
 * delay, 2 instant, 3 interior, 4 fire, 5 24 h, 6 instant), code 1 "1234",
 * master "5555", 4 digits, exit 10 s, entry 10 s, version 4.1 later / 2.3
 * early, start 2024-01-15 12:00, command outputs 1-4 -> PGM 1-4 pulsed 5 s,
 * periods 30/240/240/60 s (0x11/0x16/zones/timestamp), flashing 30 s, 0xC3
 * 30 s, 0xB1 240 s, gap 5 ms +/- 0.4 ms, seed 1, panic silent. Two
 * real-panel behaviours are off (status_zones = 0, enabled_zones_s = 0):
 * docs/simulator-panel.md "Off by default" says why. */
void kb_sim_cfg_default(kb_sim_cfg_t *c, int later_gen);

/* ------------------------------------------------------------- truth */

typedef struct {
  uint8_t enabled;
  uint8_t status, lights; /* bytes the panel is sending for this partition now */
  uint8_t ready;          /* Ready light */
  uint8_t armed;          /* kb_sim_arm_t once armed (exit delay over) */
  uint8_t exit_delay;     /* exit delay running */
  uint8_t exit_target;    /* kb_sim_arm_t being armed during the exit delay */
  uint8_t entry_delay;
  uint8_t alarm;          /* partition in alarm (burglary, 24 h or fire) */
  uint8_t fire;           /* Fire light */
  uint8_t memory;         /* alarm memory (Memory light) */
  uint8_t bypass;         /* Bypass light */
  uint8_t chime;
  uint8_t menu;           /* kb_sim_menu_t */
  uint8_t access_code;    /* code number that last armed/disarmed, 0 = none */
  uint8_t no_entry_delay; /* armed night or by *9 */
} kb_sim_part_truth_t;

typedef struct {
  kb_sim_part_truth_t part[KB_SIM_PARTITIONS];
  uint8_t zones_open[KB_SIM_ZONES / 8];   /* bit (z-1)%8 of byte (z-1)/8 */
  uint8_t zones_alarm[KB_SIM_ZONES / 8];  /* set at the alarm, cleared by its restore event */
  uint8_t zones_bypass[KB_SIM_ZONES / 8];
  uint8_t zones_memory[KB_SIM_ZONES / 8]; /* alarm memory, cleared at the next arming */
  uint8_t zones_tamper[KB_SIM_ZONES / 8]; /* set by kb_sim_panel_zone_tamper() */
  uint8_t trouble;       /* Trouble light (AC, battery or a zone tamper) */
  uint8_t ac_ok, battery_ok;
  uint8_t keypad_alarm[3]; /* fire, aux, panic: raised until their restore (~0.2 s later) */
  uint16_t pgm;          /* bit n-1 = PGM n */
  kb_sim_time_t time;    /* panel clock */
  uint8_t version;
  uint32_t messages;     /* messages chosen by kb_sim_panel_next() */
  uint32_t keys;         /* keys accepted from the module stream */
  uint32_t events;       /* panel events queued (0xA5 and 0xEB count once) */
  uint32_t queue_drops;  /* one-shot messages lost because the queue was full */
  /* modules, as the panel read them (kb_module.h decodes the module stream) */
  uint32_t supervisions;   /* 0x11 queries clocked */
  uint8_t sup_keypads;     /* last 0x11: bit s-1 = keypad slot s answered */
  uint8_t sup_expanders;   /* last 0x11: bit n-1 = zone expander n (1..7) answered */
  uint32_t xpd_queries;    /* expander queries sent (0x22.., 0xE6.08..) */
  uint32_t xpd_replies;    /* expander replies taken (checksum good) */
  uint32_t xpd_bad;        /* expander replies refused (checksum bad or cut short) */
} kb_sim_truth_t;

/* ------------------------------------------------------------- acts
 *
 * Ground truth of what the panel did, for checkers (e.g. a write-safety
 * soak that compares a virtual keypad's results with what really happened).
 * Every key the panel accepts from the module stream (any slot of 0x05/0x0A/
 * 0x1B, any partition, and a confirmed alarm key) is reported as
 * KB_SIM_ACT_KEY before anything that key causes; every state change is
 * reported as its act, in the order the panel makes them. Acts come from
 * inside kb_sim_panel_module() (keys and what they cause) and from any entry
 * point that advances time (exit delay over, prompt timeout, ...) or changes
 * the environment (zone alarms). The callback must not call back into p. */
typedef enum {
  KB_SIM_ACT_KEY = 0,      /* key: code as received; partition: its slot's partition
                              (0 for an alarm key, whose byte 0 carries no partition) */
  KB_SIM_ACT_ARM,          /* armed (exit delay over): value kb_sim_arm_t, code */
  KB_SIM_ACT_DISARM,       /* disarmed (or an alarm silenced) by code */
  KB_SIM_ACT_INVALID_CODE, /* a complete code matched none: 0x8F; value = menu it was typed in
                              (KB_SIM_MENU_CODE from the plain display, KB_SIM_MENU_PROMPT) */
  KB_SIM_ACT_BYPASS,       /* *1: zone, value 1 bypassed / 0 unbypassed */
  KB_SIM_ACT_TIME_SET,     /* *6 1: the clock was set (truth.time holds the new time) */
  KB_SIM_ACT_OUTPUT,       /* command output value = n (1..4), code */
  KB_SIM_ACT_ALARM_KEY,    /* keypad alarm raised: key 0xBB/0xDD/0xEE, value 0 fire / 1 aux /
                              2 panic */
  KB_SIM_ACT_MENU,         /* the partition's menu changed: value = kb_sim_menu_t entered
                              (KB_SIM_MENU_NONE = back to the normal status), code = the code
                              that opened it (after a 0x9F prompt), else 0 */
  KB_SIM_ACT_ALARM,        /* partition went into alarm: zone (0 = keypad panic/fire) */
  KB_SIM_ACT_EXIT_START,   /* exit delay started: value = target kb_sim_arm_t, code */
  KB_SIM_ACT_REFUSED,      /* a command refused: value = brief status shown (0x07 not ready,
                              0x8E function not available) */
  KB_SIM_ACT_CHIME,        /* chime toggled: value 1 on / 0 off */
  KB_SIM_ACT_ENTRY_START,  /* entry delay started by zone */
  KB_SIM_ACT_TAMPER        /* zone tamper: zone, value 1 tamper / 0 restored */
} kb_sim_act_type_t;

typedef struct {
  uint8_t type;      /* kb_sim_act_type_t */
  uint8_t partition; /* 1..8, 0 = system */
  uint8_t key;       /* KEY / ALARM_KEY: key code as received on the bus */
  uint8_t value;     /* see kb_sim_act_type_t */
  uint8_t code;      /* ARM, DISARM, EXIT_START, OUTPUT, MENU: code number used
                        (0 = none / quick arm) */
  uint8_t zone;      /* BYPASS, ALARM, ENTRY_START, TAMPER */
  uint64_t t_us;     /* virtual time of the act */
} kb_sim_act_t;

typedef void (*kb_sim_act_cb)(void *ctx, const kb_sim_act_t *a);

/* ------------------------------------------------------------- state */

typedef struct {
  uint8_t b[KB_SIM_FRAME];
  uint8_t n; /* bytes */
} kb_sim_msg_t;

typedef struct {
  uint8_t mode;        /* internal: disarmed / exit delay / armed */
  uint8_t arm;         /* kb_sim_arm_t (target during exit delay) */
  uint8_t entry;       /* entry delay running */
  uint8_t entry_zone;  /* the delay zone that started it */
  uint8_t alarm, fire, memory, chime;
  uint8_t by_code;     /* code number of the current arming (0 = quick arm) */
  uint8_t star9;       /* *9 arming: no entry delay, status 0x16 */
  uint8_t left;        /* a delay zone opened during the exit delay (someone left) */
  uint8_t key_alarm;   /* in alarm by a keypad panic only (the Ready light stays) */
  uint8_t flashing;    /* flashing lights byte last sent in 0x5D/0x63 */
  uint8_t ev_pos;      /* event buffer: entry being shown (0 = newest) */
  uint8_t access_code;
  uint8_t menu, purpose;
  uint8_t menu_code;   /* code number that opened the current *6 / *7 menu */
  uint8_t nbuf;
  char buf[12];
  uint8_t flash;       /* brief status shown until flash_until */
  uint64_t flash_until;
  uint64_t t_exit_end, t_entry_end, t_key;
} kb_sim_part_t;

typedef struct kb_sim_panel_s {
  kb_sim_cfg_t cfg;
  kb_sim_truth_t truth;
  kb_sim_part_t part[KB_SIM_PARTITIONS];
  uint8_t zone_swings[KB_SIM_ZONES]; /* alarms of this zone in this arming */
  uint64_t now, t0;
  uint64_t clock_us;    /* microseconds into the panel's current minute */
  uint64_t pgm_off_at[14];
  /* schedule */
  uint64_t t_supervision, t_version, t_zones, t_timestamp;
  uint32_t pend;        /* build-at-send-time messages pending (internal bits) */
  uint8_t round;        /* position in the status round */
  uint8_t started;
  kb_sim_msg_t q[KB_SIM_QUEUE];
  uint8_t q_head, q_len;
  kb_sim_msg_t last;    /* the message being clocked */
  uint8_t alarm_key;    /* alarm key seen: 0x1C goes next */
  uint64_t kp_restore_at[3]; /* keypad fire/aux/panic restore due (0 = none) */
  uint64_t t_flashing, t_keypad_status, t_enabled, t_b1;
  uint8_t en_step;      /* next 0xE6.2B/2C: partition index * 2 + (0 = 2B, 1 = 2C) */
  uint8_t last_st[2], last_li[2]; /* partition 1/2 status/lights last seen (zone resend) */
  /* event buffer (newest last): what the panel logged, for 0xAA/0xEC */
  struct { uint8_t part, set, code, t[4]; } evlog[KB_SIM_EVLOG];
  uint8_t ev_head, ev_len;
  uint8_t verify_key;   /* key being verified during the 0x1C */
  uint8_t xq_pend;      /* bit n: expander n raised its notification, query pending */
  uint32_t rng;
  kb_sim_act_cb act_cb;
  void *act_ctx;
} kb_sim_panel_t;

/* ------------------------------------------------------------- API */

/* Starts the panel at virtual time now_us: all partitions disarmed, zones
 * closed, AC and battery fine; the first message will be 0x16. */
void kb_sim_panel_init(kb_sim_panel_t *p, const kb_sim_cfg_t *c, uint64_t now_us);

/* Advances the model to now_us (timers only; no message). */
void kb_sim_panel_advance(kb_sim_panel_t *p, uint64_t now_us);

/* The next message the panel clocks out, chosen at now_us: bytes (at least
 * KB_SIM_FRAME = 16 bytes of room; bytes past the frame are 0), the bit
 * count (8N-7 + cfg.trailing_bits) and the idle gap (clock high, >= 1100 us,
 * cfg.gap_us +/- jitter) the panel keeps before clocking it. */
void kb_sim_panel_next(kb_sim_panel_t *p, uint64_t now_us, uint8_t *bytes, uint16_t *bits,
                       uint32_t *gap_us);

/* The module stream the panel read back during the message last returned by
 * kb_sim_panel_next() (bits it clocked; 1 = released; module[1] is ignored).
 * now_us: the end of the message. The panel acts on alarm keys in byte 0, on
 * the key slots of 0x05/0x0A/0x1B, on the notification bits of installed
 * zone expanders (status commands other than 0x1B: it queries the expander
 * next), on their replies (a zone that changed opens, closes or is tampered
 * as if wired; a reply with a bad checksum is ignored) and records who
 * answered 0x11 (truth.sup_*). Bits past `bits` count as released. */
void kb_sim_panel_module(kb_sim_panel_t *p, uint64_t now_us, const uint8_t *module,
                         uint16_t bits);

/* Environment. zone: 1..64. */
void kb_sim_panel_zone(kb_sim_panel_t *p, unsigned zone, bool open, uint64_t now_us);
void kb_sim_panel_ac(kb_sim_panel_t *p, bool ok, uint64_t now_us);
void kb_sim_panel_battery(kb_sim_panel_t *p, bool ok, uint64_t now_us);

/* Zone tamper (zone 1..64 in use): set 0 0x56+ / restored 0x76+ (zones
 * 1-32), set 4 0x40+ / 0x60+ (33-64, later panels) for the zone's partition,
 * the Trouble light while any zone is tampered, truth.zones_tamper. A repeat
 * of the current state does nothing. */
void kb_sim_panel_zone_tamper(kb_sim_panel_t *p, unsigned zone, bool tamper, uint64_t now_us);

/* Registers the act callback (NULL = none); see kb_sim_act_t. May be called
 * at any time after kb_sim_panel_init(). */
void kb_sim_panel_on_act(kb_sim_panel_t *p, kb_sim_act_cb cb, void *ctx);

/* Truth, for tests that compare a decoder's view with the model (never for
 * scenario expectations). Valid until the next call on p. */
const kb_sim_truth_t *kb_sim_panel_truth(const kb_sim_panel_t *p);

#ifdef __cplusplus
}
#endif

#endif /* KB_SIM_PANEL_H_ */
