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
#define KB_CMD_STATUS_LIGHTS 0x0Au   /* status with zone lights (programming) */
#define KB_CMD_ZONE_LIGHTS 0x0Fu     /* zone lights of a programming status */
#define KB_CMD_QUERY 0x11u           /* module supervision query */
#define KB_CMD_CONFIG 0x16u          /* panel configuration (code length, version) */
#define KB_CMD_STATUS_HIGH 0x1Bu     /* partitions 5-8 lights/status */
#define KB_CMD_VERIFY 0x1Cu          /* answer to a keypad alarm key */
#define KB_CMD_ZONES_1 0x27u         /* status + zones 1-8 (checksummed) */
#define KB_CMD_ZONES_2 0x2Du         /* zones 9-16 */
#define KB_CMD_ZONES_3 0x34u         /* zones 17-24 */
#define KB_CMD_ZONES_4 0x3Eu         /* zones 25-32 */
#define KB_CMD_BEEP 0x64u            /* keypad beeps */
#define KB_CMD_TONE 0x69u            /* keypad tones */
#define KB_CMD_BUZZER 0x75u          /* keypad buzzer */
#define KB_CMD_EVENT 0xA5u           /* live panel event, partitions 1-4 */
#define KB_CMD_EVENT_BUFFER 0xAAu    /* event buffer entry */
#define KB_CMD_EVENT_HIGH 0xEBu      /* live panel event, all partitions */
#define KB_CMD_EVENT_BUFFER_HIGH 0xECu
#define KB_CMD_EXTENDED 0xE6u        /* extended command with a sub-command byte */

/* ------------------------------------------ Partition status codes (§6) */

#define KB_ST_NONE 0x00u             /* partition not reported (not in use) */
#define KB_ST_READY 0x01u
#define KB_ST_ARMING_FAILED 0x07u
#define KB_ST_NOT_AVAILABLE 0x0Eu    /* function not available */
#define KB_ST_LOCKOUT 0x10u          /* keypad lockout */
#define KB_ST_NOT_AVAILABLE_2 0x8Eu  /* function not available (other form) */
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
 * (never reported), 0xC7 (disabled) or 0xFF (absent). The one definition. */
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
