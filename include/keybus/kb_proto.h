/* SPDX-License-Identifier: MIT
 *
 * kb_proto.h - the PowerSeries Keybus protocol's named numbers: timing,
 * command bytes, partition status codes, key codes and sentinels.
 *
 * What it promises
 *   One name per protocol number, used by the core, the host layer, the
 *   simulated panel and the tests alike, so a number is written once. Facts
 *   from docs/protocol/powerseries.md (section numbers below). Constants and
 *   three pure inline helpers (task side: the digit table is a const array,
 *   which firmware may place in flash) only: no state, no code to link.
 */
#ifndef KB_PROTO_H_
#define KB_PROTO_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Timing */

/* The data line is read this long after each clock edge (notes §1.5): the
 * one sample delay of every port and of the edge adaptor. */
#define KB_SAMPLE_US 250u

/* ------------------------------------------------ Panel commands (§3) */

#define KB_CMD_STATUS 0x05u          /* partitions 1-4 lights/status */
#define KB_CMD_PROG_STATUS 0x0Au     /* partition 1 status in alarm/programming + zone lights */
#define KB_CMD_PROG_STATUS_2 0x0Fu   /* partition 2 status in programming + zone lights */
#define KB_CMD_QUERY 0x11u           /* module supervision query */
#define KB_CMD_CONFIG 0x16u          /* panel configuration (code length, version) */
#define KB_CMD_STATUS_HIGH 0x1Bu     /* partitions 5-8 lights/status */
#define KB_CMD_VERIFY 0x1Cu          /* answer to a keypad alarm key */
#define KB_CMD_EXPANDER_0 0x22u      /* zone expander 0 query (zones 1-8) */
#define KB_CMD_ZONES_1 0x27u         /* status + zones 1-8 (checksummed) */
#define KB_CMD_EXPANDER_1 0x28u      /* zone expander 1 query */
#define KB_CMD_ZONES_2 0x2Du         /* zones 9-16 */
#define KB_CMD_EXPANDER_2 0x33u      /* zone expander 2 query */
#define KB_CMD_ZONES_3 0x34u         /* zones 17-24 */
#define KB_CMD_EXPANDER_3 0x39u      /* zone expander 3 query */
#define KB_CMD_ZONES_4 0x3Eu         /* zones 25-32 */
#define KB_CMD_WIRELESS_QUERY 0x41u  /* wireless module (battery) query */
#define KB_CMD_TAMPER_QUERY 0x4Cu    /* module tamper query */
#define KB_CMD_WKEY_QUERY 0x57u      /* wireless key query */
#define KB_CMD_MODULE_STATUS 0x58u   /* module status query */
#define KB_CMD_FLASH_1 0x5Du         /* flashing lights, partition 1 */
#define KB_CMD_FLASH_2 0x63u         /* flashing lights, partition 2 */
#define KB_CMD_BEEP 0x64u            /* keypad beeps, partition 1 (§3.20) */
#define KB_CMD_BEEP_2 0x69u          /* keypad beeps, partition 2 */
#define KB_CMD_DISPLAY 0x6Eu         /* LCD keypad display digits */
#define KB_CMD_LCD_QUERY 0x70u       /* LCD keypad data entry query */
#define KB_CMD_TONE 0x75u            /* keypad tone, partition 1 (§3.23) */
#define KB_CMD_TONE_2 0x7Au          /* keypad tone, partition 2 */
#define KB_CMD_BUZZER 0x7Fu          /* keypad buzzer, partition 1 (§3.24) */
#define KB_CMD_BUZZER_2 0x82u        /* keypad buzzer, partition 2 */
#define KB_CMD_PGM 0x87u             /* PGM outputs */
#define KB_CMD_MODULE_PROG 0x8Du     /* module programming entry */
#define KB_CMD_MODULE_PROG_REQ 0x94u /* module programming request */
#define KB_CMD_DLS_QUERY 0x9Eu       /* remote programming (DLS) query */
#define KB_CMD_EVENT 0xA5u           /* live panel event, partitions 1-4 */
#define KB_CMD_EVENT_BUFFER 0xAAu    /* event buffer entry */
#define KB_CMD_ENABLED_ZONES 0xB1u   /* zones assigned to partitions 1-2 */
#define KB_CMD_BELL 0xBBu            /* bell status */
#define KB_CMD_DIALER 0xC3u          /* keypad lockout / dialer / phone line */
#define KB_CMD_PANEL_STATUS 0xCEu    /* panel status (panel event, no time) */
#define KB_CMD_KEYPAD_ZONE_QUERY 0xD5u /* keypad zone query */
#define KB_CMD_EVENT_HIGH 0xEBu      /* live panel event, all partitions */
#define KB_CMD_EVENT_BUFFER_HIGH 0xECu
#define KB_CMD_EXTENDED 0xE6u        /* extended command with a sub-command byte */

/* 0xE6 sub-commands (byte 2, §3.34). */
#define KB_E6_EXPANDER_4 0x08u       /* zone expander 4 query (0x0A/0x0C/0x0E: 5-7) */
#define KB_E6_ZONES_5 0x09u          /* open zones 33-40 (0x0B/0x0D/0x0F: 41-64) */
#define KB_E6_FLASH_LOW 0x17u        /* flashing lights, zones 1-32 */
#define KB_E6_FLASH_HIGH 0x18u       /* flashing lights, zones 33-64 */
#define KB_E6_BEEP 0x19u             /* beeps, partition mask */
#define KB_E6_PANEL_STATUS 0x1Au     /* partitions in alarm, system trouble flags */
#define KB_E6_TONE 0x1Du             /* tone, partition mask */
#define KB_E6_BUZZER 0x1Fu           /* buzzer, partition mask */
#define KB_E6_PROG_1 0x20u           /* programming status, partition 1 (0x21: 2) */
#define KB_E6_ENABLED_LOW 0x2Bu      /* zones 1-32 assigned, partition mask */
#define KB_E6_ENABLED_HIGH 0x2Cu     /* zones 33-64 assigned */

/* ------------------------------------------ Status lights byte (§3.2) */

#define KB_LIGHT_READY 0x01u
#define KB_LIGHT_ARMED 0x02u
#define KB_LIGHT_MEMORY 0x04u
#define KB_LIGHT_BYPASS 0x08u
#define KB_LIGHT_TROUBLE 0x10u
#define KB_LIGHT_PROGRAM 0x20u
#define KB_LIGHT_FIRE 0x40u
#define KB_LIGHT_BACKLIGHT 0x80u

/* ------------------------------------------ Partition status codes (§6) */

#define KB_ST_NONE 0x00u             /* partition not reported (not in use) */
#define KB_ST_READY 0x01u
#define KB_ST_READY_FORCE 0x02u      /* ready, stay/away zones open */
#define KB_ST_NOT_READY 0x03u        /* zones open */
#define KB_ST_ARMED_STAY 0x04u
#define KB_ST_ARMED_AWAY 0x05u
#define KB_ST_ARMED_STAY_NO_ENTRY 0x06u /* armed, no entry delay (see the engine) */
#define KB_ST_ARMING_FAILED 0x07u
#define KB_ST_EXIT_DELAY 0x08u
#define KB_ST_ARMING_NO_ENTRY 0x09u  /* exit delay of an arming without entry delay */
#define KB_ST_ENTRY_DELAY 0x0Cu
#define KB_ST_NOT_AVAILABLE 0x0Eu    /* function not available */
#define KB_ST_LOCKOUT 0x10u          /* keypad lockout */
#define KB_ST_ALARM 0x11u            /* in alarm */
#define KB_ST_BATTERY_CHECK 0x12u    /* first status past the plain ones (fire light valid below) */
#define KB_ST_ARMING_BYPASS 0x15u    /* arming with bypassed zones */
#define KB_ST_ARMED_AWAY_NO_ENTRY 0x16u
#define KB_ST_DISARMED_MEMORY 0x3Du  /* disarmed, alarm in memory */
#define KB_ST_DISARMED 0x3Eu
#define KB_ST_STAY_AWAY_ACTIVE 0x8Au /* stay/away zones activated (a notice) */
#define KB_ST_QUICK_EXIT 0x8Bu       /* quick exit (a notice) */
#define KB_ST_NOT_AVAILABLE_2 0x8Eu  /* function not available (shown while armed) */
#define KB_ST_WRONG_CODE 0x8Fu       /* invalid access code */
#define KB_ST_STAR_MENU 0x9Eu        /* `*` pressed: waiting for a function digit */
#define KB_ST_ENTER_CODE 0x9Fu       /* enter access code */
#define KB_ST_BYPASS_MENU 0xA0u      /* *1 zone bypass */
#define KB_ST_USER_MENU 0xA9u        /* *6 user functions */
#define KB_ST_SET_TIME 0xAAu         /* *6 1: time and date entry */
#define KB_ST_STAR_MENU_ARMED 0xB8u  /* `*` pressed while armed */
#define KB_ST_DISABLED 0xC7u         /* partition disabled */
#define KB_ST_ABSENT 0xFFu           /* partition bytes all ones (early panels' 0x27) */

/* Statuses from 0x9E up are menus and prompts (0xC7 excepted): keys typed
 * there land in an entry that is not a plain command. */
#define KB_ST_MENU_FIRST KB_ST_STAR_MENU

/* A partition is in use when the panel reports a status for it: not 0x00
 * (never reported), 0xC7 (disabled) or 0xFF (absent: partition 2 of an
 * early panel's 0x27). The one definition: the engine (zone hold), the text
 * and JSON views ("disabled", no lights) and the simulated panel all ask
 * this. A partition that is not in use may still have a known status byte;
 * its lights mean nothing. */
static inline bool kb_proto_part_in_use(uint8_t status) {
  return status != KB_ST_NONE && status != KB_ST_DISABLED && status != KB_ST_ABSENT;
}

/* -------------------------------------------------- Key codes (§4.2) */

#define KB_KEY_0 0x00u
#define KB_KEY_1 0x05u
#define KB_KEY_2 0x0Au
#define KB_KEY_3 0x0Fu
#define KB_KEY_4 0x11u
#define KB_KEY_5 0x16u
#define KB_KEY_6 0x1Bu
#define KB_KEY_7 0x1Cu
#define KB_KEY_8 0x22u
#define KB_KEY_9 0x27u
#define KB_KEY_STAR 0x28u
#define KB_KEY_POUND 0x2Du
#define KB_KEY_ENTER 0x82u
#define KB_KEY_RIGHT 0x87u
#define KB_KEY_LEFT 0x88u
#define KB_KEY_OUTPUT_3 0x70u
#define KB_KEY_STAY 0xAFu
#define KB_KEY_AWAY 0xB1u
#define KB_KEY_NO_ENTRY 0xB6u        /* arm with no entry delay ("night") */
#define KB_KEY_CHIME 0xBBu
#define KB_KEY_OUTPUT_1 0xD5u
#define KB_KEY_RESET 0xDAu           /* fire reset = command output 2 */
#define KB_KEY_OUTPUT_2 0xDAu
#define KB_KEY_EXIT 0xE1u            /* quick exit */
#define KB_KEY_OUTPUT_4 0xECu
/* Alarm keys, sent in module byte 0 of two messages (§4.3). */
#define KB_KEY_ALARM_FIRE 0xBBu
#define KB_KEY_ALARM_AUX 0xDDu
#define KB_KEY_ALARM_PANIC 0xEEu
/* The module stream's idle byte (nobody spoke). */
#define KB_KEY_NONE 0xFFu

/* Key code of digit d (0-9); KB_KEY_NONE for anything else. */
static inline uint8_t kb_proto_digit_key(unsigned d) {
  static const uint8_t k[10] = {KB_KEY_0, KB_KEY_1, KB_KEY_2, KB_KEY_3, KB_KEY_4,
                                KB_KEY_5, KB_KEY_6, KB_KEY_7, KB_KEY_8, KB_KEY_9};
  return d < 10u ? k[d] : (uint8_t)KB_KEY_NONE;
}

/* Digit 0-9 of key code k, or -1 when k is not a digit key. */
static inline int kb_proto_key_digit(uint8_t k) {
  for (unsigned d = 0; d < 10u; d++)
    if (kb_proto_digit_key(d) == k) return (int)d;
  return -1;
}

/* ------------------------------------------------------------ Sentinels */

/* kb_decoded_t.event_number / an event's buffer number of a live event (not
 * from the event buffer). */
#define KB_EVENT_LIVE 0xFFFFu

#ifdef __cplusplus
}
#endif

#endif /* KB_PROTO_H_ */
