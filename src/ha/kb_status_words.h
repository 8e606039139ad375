/* SPDX-License-Identifier: MIT
 *
 * kb_status_words.h - the one table of words for a partition status byte
 * (protocol notes §3.3 / kb_proto.h KB_ST_*), "ready to arm", "exit delay
 * running", ...: our own wording, lower case.
 *
 * What it promises
 *   kb_status_words(status): the words for a status byte, NULL when the
 *   byte is not in the table. A pure static inline function over a const
 *   table (firmware may keep it in flash), freestanding C11: the Home
 *   Assistant contract (src/ha, the partition status sensor, capitalised)
 *   and the host's text (src/host/kb_text.c, keybus-reader) both read it, so
 *   the words exist once. It is a header because src/ha (linked before the
 *   host library) and src/host both need it and neither library may depend
 *   on the other.
 *
 * Who may call it: anyone, any thread (no state).
 */
#ifndef KB_STATUS_WORDS_H_
#define KB_STATUS_WORDS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline const char *kb_status_words(uint8_t status) {
  static const struct {
    uint8_t code;
    const char *text;
  } t[] = {
      {0x01, "ready to arm"},
      {0x02, "ready, stay/away zones open"},
      {0x03, "not ready: zones open"},
      {0x04, "armed stay"},
      {0x05, "armed away"},
      {0x06, "armed stay, no entry delay"},
      {0x07, "arming failed"},
      {0x08, "exit delay running"},
      {0x09, "arming without entry delay"},
      {0x0B, "quick exit running"},
      {0x0C, "entry delay running"},
      {0x0D, "entry delay after an alarm"},
      {0x0E, "function not available"},
      {0x10, "keypad locked out"},
      {0x11, "in alarm"},
      {0x12, "battery check running"},
      {0x14, "auto-arm pending"},
      {0x15, "arming with bypassed zones"},
      {0x16, "armed away, no entry delay"},
      {0x17, "keypad blanked, trouble flashing"},
      {0x19, "disarmed, alarm in memory"},
      {0x22, "disarmed, recent closing"},
      {0x2F, "keypad display test"},
      {0x33, "command output running"},
      {0x3D, "disarmed, alarm in memory"},
      {0x3E, "disarmed"},
      {0x40, "keypad blanked"},
      {0x8A, "stay/away zones activated"},
      {0x8B, "quick exit"},
      {0x8E, "function not available"},
      {0x8F, "wrong access code"},
      {0x9E, "waiting for a * function"},
      {0x9F, "waiting for an access code"},
      {0xA0, "*1 zone bypass menu"},
      {0xA1, "*2 trouble menu"},
      {0xA2, "*3 alarm memory menu"},
      {0xA3, "door chime turned on"},
      {0xA4, "door chime turned off"},
      {0xA5, "waiting for the master code"},
      {0xA6, "*5 access code menu"},
      {0xA7, "*5 waiting for a 4-digit code"},
      {0xA9, "*6 user function menu"},
      {0xAA, "*6 setting time and date"},
      {0xAB, "*6 auto-arm time"},
      {0xAC, "*6 auto-arm on"},
      {0xAD, "*6 auto-arm off"},
      {0xAF, "*6 system test"},
      {0xB0, "*6 remote programming (DLS) allowed"},
      {0xB2, "*7 command output"},
      {0xB3, "*7 command output"},
      {0xB7, "waiting for the installer code"},
      {0xB8, "waiting for a * function while armed"},
      {0xB9, "*2 zone tamper list"},
      {0xBA, "*2 zones with low batteries"},
      {0xBC, "*5 waiting for a 6-digit code"},
      {0xBF, "*6 auto-arm day"},
      {0xC6, "*2 zone fault list"},
      {0xC7, "partition disabled"},
      {0xC8, "*2 service required list"},
      {0xCD, "remote programming download running"},
      {0xCE, "camera monitor selection"},
      {0xD0, "*2 keypads with low batteries"},
      {0xD1, "*2 keyfobs with low batteries"},
      {0xD4, "*2 zones with RF delinquency"},
      {0xE4, "*8 installer programming, section entry"},
      {0xE5, "keypad slot assignment"},
      {0xE6, "entering 2 digits"},
      {0xE7, "entering 3 digits"},
      {0xE8, "entering 4 digits"},
      {0xE9, "entering 5 digits"},
      {0xEA, "entering 2 hex digits"},
      {0xEB, "entering 4 hex digits"},
      {0xEC, "entering 6 hex digits"},
      {0xED, "entering 32 hex digits"},
      {0xEE, "choosing an option per zone"},
      {0xEF, "module supervision field"},
      {0xF0, "function key 1"},
      {0xF1, "function key 2"},
      {0xF2, "function key 3"},
      {0xF3, "function key 4"},
      {0xF4, "function key 5"},
      {0xF5, "wireless placement test"},
      {0xF6, "device activation test"},
      {0xF7, "*8 installer programming, 2-digit entry"},
      {0xF8, "keypad programming"},
      {0xFA, "entering 6 digits"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (t[i].code == status) return t[i].text;
  return NULL;
}

#ifdef __cplusplus
}
#endif

#endif /* KB_STATUS_WORDS_H_ */
