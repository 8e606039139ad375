/* SPDX-License-Identifier: MIT
 *
 * kb_pev.h - typed decode of the panel's event/status messages.
 *
 * What it promises
 *   kb_pev_decode() turns a (message set, code) pair from 0xA5, 0xAA, 0xCE,
 *   0xEB or 0xEC into one kind plus, where the kind has one, a number: a zone
 *   (1-64), a user-visible access code number (1-95, 40 = master), a keypad
 *   slot, a zone expander, a command output or a phone number. Codes that are
 *   not in the tables give KB_PEV_UNKNOWN; the raw set and code are always
 *   kept. kb_pev_time() unpacks the 4-byte date/time field and
 *   kb_pev_parse_frame() picks a whole event frame apart (without checking
 *   its checksum: that is the caller's job).
 *
 * Who may call it
 *   Any context, any thread: every function is pure (reads only its
 *   arguments and const tables, writes only *out). No allocation, O(table).
 *
 * Selectors are compared whole: 0xEB/0xEC selector 0x18 is its own set, not
 * set 0 (the reference masks it with 0x07; protocol notes §5.3, §10.2).
 */
#ifndef KB_PEV_H_
#define KB_PEV_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event kinds. The comment gives where each comes from as "set:code(s)"
 * (protocol notes §3.9) and what the number carries. */
typedef enum {
  KB_PEV_UNKNOWN = 0, /* code not in the tables: raw set/code kept */

  /* zones (number = zone 1-64) */
  KB_PEV_ZONE_ALARM,             /* 00:09-28 (1-32), 04:00-1F (33-64) */
  KB_PEV_ZONE_ALARM_RESTORED,    /* 00:29-48, 04:20-3F */
  KB_PEV_ZONE_TAMPER,            /* 00:56-75, 04:40-5F */
  KB_PEV_ZONE_TAMPER_RESTORED,   /* 00:76-95, 04:60-7F */
  KB_PEV_ZONE_FAULT,             /* 01:8C-AB, 14:60-7F (historical decode) */
  KB_PEV_ZONE_FAULT_RESTORED,    /* 01:6C-8B, 14:40-5F (historical decode) */
  KB_PEV_ZONE_BYPASSED,          /* 01:B0-CF */
  KB_PEV_ZONE_BATTERY_LOW,       /* 01:4C-6B */
  KB_PEV_ZONE_BATTERY_RESTORED,  /* 01:2C-4B */

  KB_PEV_DURESS_ALARM,           /* 00:49 */
  KB_PEV_DISARMED_ALARM_MEMORY,  /* 00:4A disarmed with an alarm in memory */
  KB_PEV_RECENT_CLOSING_ALARM,   /* 00:4B */
  KB_PEV_KEYPAD_FIRE_ALARM,      /* 00:4E */
  KB_PEV_KEYPAD_AUX_ALARM,       /* 00:4F */
  KB_PEV_KEYPAD_PANIC_ALARM,     /* 00:50 */
  KB_PEV_KEYPAD_FIRE_RESTORED,   /* 00:52 */
  KB_PEV_KEYPAD_AUX_RESTORED,    /* 00:53 */
  KB_PEV_KEYPAD_PANIC_RESTORED,  /* 00:54 */

  /* arming (number = access code where "BY_CODE") */
  KB_PEV_ARMED_BY_CODE,          /* 00:99-BD (1-34, 40-42), 05:00-39 (35-39, 43-95) */
  KB_PEV_DISARMED_BY_CODE,       /* 00:C0-E4, 05:3A-73 */
  KB_PEV_ARMED_PARTIAL,          /* 00:BE armed with zones bypassed */
  KB_PEV_ARMED_SPECIAL,          /* 00:BF quick/auto arm, keyswitch, wireless key, DLS */
  KB_PEV_DISARMED_SPECIAL,       /* 00:E6 keyswitch, wireless key, DLS */

  KB_PEV_BATTERY_TROUBLE,        /* 00:E7 panel battery */
  KB_PEV_BATTERY_RESTORED,       /* 00:EF */
  KB_PEV_AC_TROUBLE,             /* 00:E8 */
  KB_PEV_AC_RESTORED,            /* 00:F0 */

  KB_PEV_ARMED_STAY,             /* 02:9A */
  KB_PEV_ARMED_AWAY,             /* 02:9B */
  KB_PEV_ARMED_NO_ENTRY_DELAY,   /* 02:9C */
  KB_PEV_ACTIVATE_STAY_AWAY,     /* 02:99 (also *1 re-activation while armed) */
  KB_PEV_ARMED_ENTRY_DELAY,      /* 01:D2 no-entry-delay cancelled */

  /* set 0x00, the rest */
  KB_PEV_EXPANDER_SUPERVISORY_ALARM,    /* 00:4C */
  KB_PEV_EXPANDER_SUPERVISORY_RESTORED, /* 00:4D */
  KB_PEV_PGM2_INPUT_ALARM,       /* 00:51 */
  KB_PEV_PGM2_INPUT_RESTORED,    /* 00:55 */
  KB_PEV_KEYPAD_LOCKOUT,         /* 00:98 */
  KB_PEV_AUTO_ARM_CANCELLED,     /* 00:E5 */
  KB_PEV_BELL_TROUBLE,           /* 00:E9 */
  KB_PEV_BELL_RESTORED,          /* 00:F1 */
  KB_PEV_FIRE_TROUBLE,           /* 00:EA fire zone trouble */
  KB_PEV_FIRE_TROUBLE_RESTORED,  /* 00:F2 */
  KB_PEV_AUX_SUPPLY_TROUBLE,     /* 00:EB panel auxiliary supply */
  KB_PEV_AUX_SUPPLY_RESTORED,    /* 00:F3 */
  KB_PEV_PHONE_LINE_TROUBLE,     /* 00:EC */
  KB_PEV_PHONE_LINE_RESTORED,    /* 00:F4 */
  KB_PEV_PHONE_FTC,              /* 00:F7-F8 failure to communicate, number = phone 1-2 */
  KB_PEV_EVENT_BUFFER_THRESHOLD, /* 00:F9 75 % full since the last upload */
  KB_PEV_DLS_LEAD_IN,            /* 00:FA */
  KB_PEV_DLS_LEAD_OUT,           /* 00:FB */
  KB_PEV_PERIODIC_TEST,          /* 00:FE */
  KB_PEV_SYSTEM_TEST,            /* 00:FF */

  /* set 0x01 */
  KB_PEV_CROSS_ZONE_ALARM,       /* 01:03 */
  KB_PEV_DELINQUENCY_ALARM,      /* 01:04 */
  KB_PEV_LATE_TO_CLOSE,          /* 01:05 */
  KB_PEV_ACCESS_CODE,            /* code used, function not decoded: 01:24-28 (33, 34,
                                    40-42), 02:C6-E5 (1-32), 18:00-39 (35-39, 43-95) */
  KB_PEV_DOWNLOAD_FORCED_ANSWER, /* 01:29 */
  KB_PEV_ARMED_AUTO,             /* 01:2B */
  KB_PEV_INSTALLER_EXIT,         /* 01:AC left installer programming (*8) */
  KB_PEV_INSTALLER_ENTER,        /* 01:AD entered installer programming (*8) */
  KB_PEV_WALK_TEST_END,          /* 01:AE */
  KB_PEV_WALK_TEST_BEGIN,        /* 01:AF */
  KB_PEV_COMMAND_OUTPUT,         /* 02:67-69 (1-3), 01:D0 (4); number = output */
  KB_PEV_EXIT_FAULT_PRE_ALERT,   /* 01:D1 */
  KB_PEV_DOWNLOOK_TRIGGER,       /* 01:D3 */

  /* set 0x02 */
  KB_PEV_QUICK_EXIT,             /* 02:2A */
  KB_PEV_KEYBUS_FAULT_RESTORED,  /* 02:63 */
  KB_PEV_KEYBUS_FAULT,           /* 02:64 */
  KB_PEV_BYPASS_MENU,            /* 02:66 *1 zone bypass entered */
  KB_PEV_COLD_START,             /* 02:8C */
  KB_PEV_WARM_START,             /* 02:8D */
  KB_PEV_FACTORY_DEFAULT,        /* 02:8E */
  KB_PEV_SWINGER_SHUTDOWN,       /* 02:91 */
  KB_PEV_DISARMED_KEYSWITCH,     /* 02:93 */
  KB_PEV_ARMED_KEYSWITCH,        /* 02:96 */
  KB_PEV_ARMED_KEYPAD_AWAY,      /* 02:97 */
  KB_PEV_ARMED_QUICK,            /* 02:98 */
  KB_PEV_STAR1_BY_CODE,          /* *1 by code: 02:9E-C2 (1-34, 40-42), 17:4A-83 (35-39, 43-95) */
  KB_PEV_STAR2_BY_CODE,          /* *2 by code: 17:00-24, 17:84-BD */
  KB_PEV_STAR3_BY_CODE,          /* *3 by code: 17:25-49, 17:BE-F7 */
  KB_PEV_STAR5_BY_CODE,          /* *5 by code: 02:C3-C5 (40-42), 18:3A-95 (1-39, 43-95) */
  KB_PEV_STAR6_BY_CODE,          /* *6 by code: 02:E6-E8 (40-42), 18:96-F1 (1-39, 43-95) */
  KB_PEV_KEYPAD_RESTORED,        /* 02:E9-F0, number = keypad slot 1-8 */
  KB_PEV_KEYPAD_TROUBLE,         /* 02:F1-F8, slot 1-8 */
  KB_PEV_EXPANDER_RESTORED,      /* 02:F9-FE (1-6), 03:17 (7); number = zone expander */
  KB_PEV_EXPANDER_TROUBLE,       /* 02:FF (1), 03:00-04 (2-6), 03:18 (7) */

  /* set 0x03 */
  KB_PEV_RF5132_SUPERVISORY_RESTORED, /* 03:05 wireless receiver PC/RF5132 */
  KB_PEV_RF5132_SUPERVISORY_TROUBLE,  /* 03:06 */
  KB_PEV_PC5204_SUPERVISORY_RESTORED, /* 03:09 PC5204 output/power module */
  KB_PEV_PC5204_SUPERVISORY_TROUBLE,  /* 03:0A */
  KB_PEV_KEYPAD_TAMPER_RESTORED, /* 03:25-2C, slot 1-8 */
  KB_PEV_KEYPAD_TAMPER,          /* 03:2D-34, slot 1-8 */
  KB_PEV_EXPANDER_TAMPER_RESTORED, /* 03:35-3A (1-6), 03:51 (7); [uncertain] may be
                                      module slots 9-14 / 16 */
  KB_PEV_EXPANDER_TAMPER,        /* 03:3B-40 (1-6), 03:52 (7) */
  KB_PEV_RF5132_TAMPER_RESTORED, /* 03:41 */
  KB_PEV_RF5132_TAMPER,          /* 03:42 */
  KB_PEV_PC5208_TAMPER_RESTORED, /* 03:43 */
  KB_PEV_PC5208_TAMPER,          /* 03:44 */
  KB_PEV_PC5204_TAMPER_RESTORED, /* 03:45 */
  KB_PEV_PC5204_TAMPER,          /* 03:46 */
  KB_PEV_PC5204_BATTERY_RESTORED, /* 03:B3 */
  KB_PEV_PC5204_BATTERY_TROUBLE, /* 03:B4 */
  KB_PEV_PC5204_AUX_RESTORED,    /* 03:B5 */
  KB_PEV_PC5204_AUX_TROUBLE,     /* 03:B6 */
  KB_PEV_PC5204_OUTPUT1_RESTORED, /* 03:B7 */
  KB_PEV_PC5204_OUTPUT1_TROUBLE, /* 03:B8 */
  KB_PEV_EXTENDED_STATUS,        /* 03:FF */

  /* set 0x04 */
  KB_PEV_PERIODIC_TEST_TROUBLE,  /* 04:86 periodic test with trouble */
  KB_PEV_EXIT_FAULT,             /* 04:87 */
  KB_PEV_ALARM_CANCELLED,        /* 04:89 */

  /* set 0x14 */
  KB_PEV_TLINK_COM_FAULT,        /* 14:C0 */
  KB_PEV_TLINK_NETWORK_FAULT,    /* 14:C2 */
  KB_PEV_TLINK_RECEIVER_TROUBLE, /* 14:C4 */
  KB_PEV_TLINK_RECEIVER_RESTORED, /* 14:C5 */

  /* set 0x16 */
  KB_PEV_TROUBLE_ACKNOWLEDGED,   /* 16:80 */
  KB_PEV_RF_DELINQUENCY_TROUBLE, /* 16:81 */
  KB_PEV_RF_DELINQUENCY_RESTORED, /* 16:82 */

  /* set 0x1B */
  KB_PEV_SYSTEM_RESET_TX,        /* 1B:F1 system reset transmission */

  KB_PEV_COUNT
} kb_pev_kind_t;

/* One decoded event. */
typedef struct {
  uint8_t kind;   /* kb_pev_kind_t */
  uint8_t number; /* zone 1-64, access code (40 = master), keypad slot, zone
                     expander, command output or phone number; 0 when the
                     kind has none */
  uint8_t set;    /* raw selector as given */
  uint8_t code;   /* raw code */
} kb_pev_t;

/* set: the message-set selector exactly as the frame carries it: for
 * 0xA5/0xAA/0xCE the 2-bit value (0..3); for 0xEB/0xEC the whole byte 7
 * (0x00-0x05, 0x14, 0x16, 0x17, 0x18, 0x1B). Sets 0x04 and up exist only on
 * 0xEB/0xEC. The whole selector is compared (no masking). */
kb_pev_t kb_pev_decode(uint8_t set, uint8_t code);

/* True for the kinds whose number is an access code (a user): armed or
 * disarmed by code, the *1, *2, *3, *5 and *6 menus by code, and "access
 * code" of an undecoded function. */
bool kb_pev_names_code(uint8_t kind);

/* Access-code numbering: panel index -> user-visible code number.
 * Scheme A: 1-34 -> 1-34, 35/36/37 -> 40 (master)/41/42 (index >= 35: +5).
 * Scheme B: 1-39 -> 1-39, index >= 40 -> index + 3 (43-95).
 * Index 0 gives 0. */
uint8_t kb_pev_code_scheme_a(uint8_t index);
uint8_t kb_pev_code_scheme_b(uint8_t index);

/* Date/time field (notes §3.6): 4 bytes T0..T3, at byte 2 of 0xA5/0xAA and
 * byte 3 of 0xEB/0xEC. */
typedef struct {
  uint16_t year;  /* y1*10 + y2 + (y1 >= 7 ? 1900 : 2000), from raw nibbles */
  uint8_t month, day, hour, minute;
  uint8_t valid;  /* 1 when both year nibbles are decimal digits and month
                     1-12, day 1-31, hour < 24, minute < 60 */
} kb_time_t;

void kb_pev_time(const uint8_t t[4], kb_time_t *out);

/* ------------------------------------------------ Whole event frames */

/* kb_pev_msg_t.flags */
#define KB_PEV_F_TIME 0x01u           /* .time was read from the frame */
#define KB_PEV_F_TIMESTAMP_ONLY 0x02u /* 0xA5 with bytes 6 and 7 zero: just the
                                         panel clock, .ev is not an event */
#define KB_PEV_F_EVENT_NUMBER 0x04u   /* 0xAA/0xEC buffer entry: .event_number */
#define KB_PEV_F_EMPTY 0x08u          /* 0xEC selector 0xFF: empty buffer entry */

typedef struct {
  kb_pev_t ev;
  kb_time_t time;         /* zero unless KB_PEV_F_TIME */
  uint16_t event_number;  /* 0xAA: byte 7; 0xEC: byte 9 + 256 * (byte 4 >> 6) */
  uint8_t partition;      /* 1-8 when the event names exactly one partition,
                             else 0 (0xA5/0xAA: byte 3 b7..b6, 3 = none;
                             0xEB/0xEC: the single bit of the mask) */
  uint8_t partition_mask; /* b0 = partition 1; 0 = not partition specific */
  uint8_t command;        /* 0xA5, 0xAA, 0xCE, 0xEB or 0xEC */
  uint8_t flags;          /* KB_PEV_F_* */
} kb_pev_msg_t;

/* Picks apart an event-carrying panel frame p[0..len-1] (protocol notes byte
 * convention: p[0] command, p[1] stop bit, p[2..] data; len = whole bytes
 * captured). Returns true and fills *out for 0xA5/0xAA (>= 9 bytes),
 * 0xEB/0xEC (>= 11 bytes) and 0xCE (>= 8 bytes) with byte 2 bit 5 set; false
 * (and *out zeroed) for anything else. The checksum is NOT checked here. */
bool kb_pev_parse_frame(const uint8_t *p, size_t len, kb_pev_msg_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KB_PEV_H_ */
