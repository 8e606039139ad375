/* SPDX-License-Identifier: MIT
 *
 * kb_pev_text.c - our own names and wording for kb_pev kinds. A kind with a
 * number prints as head + number + tail ("Zone " 3 " alarm"); access-code
 * numbers 40-42 get " (master)" / " (supervisor)" after the number.
 */
#include "host/kb_pev_text.h"

#include <stdio.h>

enum { NONE = 0, ZONE, CODE, KEYPAD, EXPANDER, OUTPUT, PHONE };

typedef struct {
  const char *name; /* snake_case identifier */
  const char *head; /* text before the number (the whole text without one) */
  const char *tail; /* text after the number */
  unsigned char num;
} kb_pev_text_t;

#define T(kind, name, head, tail, num) [KB_PEV_##kind] = {name, head, tail, num}

static const kb_pev_text_t kb_pev_texts[KB_PEV_COUNT] = {
    T(UNKNOWN, "unknown", "Unknown event", "", NONE),
    T(ZONE_ALARM, "zone_alarm", "Zone ", " alarm", ZONE),
    T(ZONE_ALARM_RESTORED, "zone_alarm_restored", "Zone ", " alarm restored", ZONE),
    T(ZONE_TAMPER, "zone_tamper", "Zone ", " tamper", ZONE),
    T(ZONE_TAMPER_RESTORED, "zone_tamper_restored", "Zone ", " tamper restored", ZONE),
    T(ZONE_FAULT, "zone_fault", "Zone ", " fault", ZONE),
    T(ZONE_FAULT_RESTORED, "zone_fault_restored", "Zone ", " fault restored", ZONE),
    T(ZONE_BYPASSED, "zone_bypassed", "Zone ", " bypassed", ZONE),
    T(ZONE_BATTERY_LOW, "zone_battery_low", "Zone ", " low battery", ZONE),
    T(ZONE_BATTERY_RESTORED, "zone_battery_restored", "Zone ", " battery restored", ZONE),
    T(DURESS_ALARM, "duress_alarm", "Duress alarm", "", NONE),
    T(DISARMED_ALARM_MEMORY, "disarmed_alarm_memory", "Disarmed with an alarm in memory", "", NONE),
    T(RECENT_CLOSING_ALARM, "recent_closing_alarm", "Alarm soon after arming (recent closing)", "",
      NONE),
    T(KEYPAD_FIRE_ALARM, "keypad_fire_alarm", "Fire alarm from a keypad", "", NONE),
    T(KEYPAD_AUX_ALARM, "keypad_aux_alarm", "Auxiliary alarm from a keypad", "", NONE),
    T(KEYPAD_PANIC_ALARM, "keypad_panic_alarm", "Panic alarm from a keypad", "", NONE),
    T(KEYPAD_FIRE_RESTORED, "keypad_fire_restored", "Keypad fire alarm restored", "", NONE),
    T(KEYPAD_AUX_RESTORED, "keypad_aux_restored", "Keypad auxiliary alarm restored", "", NONE),
    T(KEYPAD_PANIC_RESTORED, "keypad_panic_restored", "Keypad panic alarm restored", "", NONE),
    T(ARMED_BY_CODE, "armed_by_code", "Armed by access code ", "", CODE),
    T(DISARMED_BY_CODE, "disarmed_by_code", "Disarmed by access code ", "", CODE),
    T(ARMED_PARTIAL, "armed_partial", "Armed with zones bypassed", "", NONE),
    T(ARMED_SPECIAL, "armed_special",
      "Armed without a code (quick arm, auto-arm, keyswitch, wireless key or DLS)", "", NONE),
    T(DISARMED_SPECIAL, "disarmed_special",
      "Disarmed without a code (keyswitch, wireless key or DLS)", "", NONE),
    T(BATTERY_TROUBLE, "battery_trouble", "Panel battery trouble", "", NONE),
    T(BATTERY_RESTORED, "battery_restored", "Panel battery restored", "", NONE),
    T(AC_TROUBLE, "ac_trouble", "AC power trouble", "", NONE),
    T(AC_RESTORED, "ac_restored", "AC power restored", "", NONE),
    T(ARMED_STAY, "armed_stay", "Armed in stay mode", "", NONE),
    T(ARMED_AWAY, "armed_away", "Armed in away mode", "", NONE),
    T(ARMED_NO_ENTRY_DELAY, "armed_no_entry_delay", "Armed with no entry delay", "", NONE),
    T(ACTIVATE_STAY_AWAY, "activate_stay_away", "Stay/away zones activated", "", NONE),
    T(ARMED_ENTRY_DELAY, "armed_entry_delay",
      "Entry delay back on (no-entry-delay arming cancelled)", "", NONE),
    T(EXPANDER_SUPERVISORY_ALARM, "expander_supervisory_alarm", "Zone expander supervision alarm",
      "", NONE),
    T(EXPANDER_SUPERVISORY_RESTORED, "expander_supervisory_restored",
      "Zone expander supervision restored", "", NONE),
    T(PGM2_INPUT_ALARM, "pgm2_input_alarm", "PGM2 input alarm", "", NONE),
    T(PGM2_INPUT_RESTORED, "pgm2_input_restored", "PGM2 input alarm restored", "", NONE),
    T(KEYPAD_LOCKOUT, "keypad_lockout", "Keypad locked out (too many wrong codes)", "", NONE),
    T(AUTO_ARM_CANCELLED, "auto_arm_cancelled", "Auto-arm cancelled", "", NONE),
    T(BELL_TROUBLE, "bell_trouble", "Bell circuit trouble", "", NONE),
    T(BELL_RESTORED, "bell_restored", "Bell circuit restored", "", NONE),
    T(FIRE_TROUBLE, "fire_trouble", "Fire zone trouble", "", NONE),
    T(FIRE_TROUBLE_RESTORED, "fire_trouble_restored", "Fire zone trouble restored", "", NONE),
    T(AUX_SUPPLY_TROUBLE, "aux_supply_trouble", "Panel auxiliary supply trouble", "", NONE),
    T(AUX_SUPPLY_RESTORED, "aux_supply_restored", "Panel auxiliary supply restored", "", NONE),
    T(PHONE_LINE_TROUBLE, "phone_line_trouble", "Telephone line trouble", "", NONE),
    T(PHONE_LINE_RESTORED, "phone_line_restored", "Telephone line restored", "", NONE),
    T(PHONE_FTC, "phone_ftc", "Failed to communicate on phone number ", "", PHONE),
    T(EVENT_BUFFER_THRESHOLD, "event_buffer_threshold",
      "Event buffer 75 % full since the last upload", "", NONE),
    T(DLS_LEAD_IN, "dls_lead_in", "Downloading (DLS) session started", "", NONE),
    T(DLS_LEAD_OUT, "dls_lead_out", "Downloading (DLS) session ended", "", NONE),
    T(PERIODIC_TEST, "periodic_test", "Periodic test transmission", "", NONE),
    T(SYSTEM_TEST, "system_test", "System test", "", NONE),
    T(CROSS_ZONE_ALARM, "cross_zone_alarm", "Cross-zone alarm", "", NONE),
    T(DELINQUENCY_ALARM, "delinquency_alarm", "Delinquency alarm", "", NONE),
    T(LATE_TO_CLOSE, "late_to_close", "Late to close", "", NONE),
    T(ACCESS_CODE, "access_code", "Access code ", " used (function not decoded)", CODE),
    T(DOWNLOAD_FORCED_ANSWER, "download_forced_answer", "Forced answer for downloading", "", NONE),
    T(ARMED_AUTO, "armed_auto", "Armed by auto-arm", "", NONE),
    T(INSTALLER_EXIT, "installer_exit", "Installer programming (*8) left", "", NONE),
    T(INSTALLER_ENTER, "installer_enter", "Installer programming (*8) entered", "", NONE),
    T(WALK_TEST_END, "walk_test_end", "Walk test ended", "", NONE),
    T(WALK_TEST_BEGIN, "walk_test_begin", "Walk test started", "", NONE),
    T(COMMAND_OUTPUT, "command_output", "Command output ", " activated", OUTPUT),
    T(EXIT_FAULT_PRE_ALERT, "exit_fault_pre_alert", "Exit fault pre-alert", "", NONE),
    T(DOWNLOOK_TRIGGER, "downlook_trigger", "DownLook remote trigger", "", NONE),
    T(QUICK_EXIT, "quick_exit", "Quick exit", "", NONE),
    T(KEYBUS_FAULT_RESTORED, "keybus_fault_restored", "Keybus fault restored", "", NONE),
    T(KEYBUS_FAULT, "keybus_fault", "Keybus fault", "", NONE),
    T(BYPASS_MENU, "bypass_menu", "Zone bypass menu (*1) opened", "", NONE),
    T(COLD_START, "cold_start", "Panel cold start", "", NONE),
    T(WARM_START, "warm_start", "Panel warm start", "", NONE),
    T(FACTORY_DEFAULT, "factory_default", "Panel reset to factory defaults", "", NONE),
    T(SWINGER_SHUTDOWN, "swinger_shutdown", "Swinger shutdown", "", NONE),
    T(DISARMED_KEYSWITCH, "disarmed_keyswitch", "Disarmed by keyswitch", "", NONE),
    T(ARMED_KEYSWITCH, "armed_keyswitch", "Armed by keyswitch", "", NONE),
    T(ARMED_KEYPAD_AWAY, "armed_keypad_away", "Armed away from a keypad", "", NONE),
    T(ARMED_QUICK, "armed_quick", "Armed by quick arm", "", NONE),
    T(STAR1_BY_CODE, "star1_by_code", "Bypass menu (*1) opened by access code ", "", CODE),
    T(STAR2_BY_CODE, "star2_by_code", "Trouble menu (*2) opened by access code ", "", CODE),
    T(STAR3_BY_CODE, "star3_by_code", "Alarm memory (*3) opened by access code ", "", CODE),
    T(STAR5_BY_CODE, "star5_by_code", "Code programming (*5) opened by access code ", "", CODE),
    T(STAR6_BY_CODE, "star6_by_code", "User functions (*6) opened by access code ", "", CODE),
    T(KEYPAD_RESTORED, "keypad_restored", "Keypad in slot ", " restored", KEYPAD),
    T(KEYPAD_TROUBLE, "keypad_trouble", "Keypad in slot ", " trouble", KEYPAD),
    T(EXPANDER_RESTORED, "expander_restored", "Zone expander ", " restored", EXPANDER),
    T(EXPANDER_TROUBLE, "expander_trouble", "Zone expander ", " trouble", EXPANDER),
    T(RF5132_SUPERVISORY_RESTORED, "rf5132_supervisory_restored",
      "Wireless receiver (PC/RF5132) supervision restored", "", NONE),
    T(RF5132_SUPERVISORY_TROUBLE, "rf5132_supervisory_trouble",
      "Wireless receiver (PC/RF5132) supervision trouble", "", NONE),
    T(PC5204_SUPERVISORY_RESTORED, "pc5204_supervisory_restored",
      "PC5204 output module supervision restored", "", NONE),
    T(PC5204_SUPERVISORY_TROUBLE, "pc5204_supervisory_trouble",
      "PC5204 output module supervision trouble", "", NONE),
    T(KEYPAD_TAMPER_RESTORED, "keypad_tamper_restored", "Keypad in slot ", " tamper restored",
      KEYPAD),
    T(KEYPAD_TAMPER, "keypad_tamper", "Keypad in slot ", " tamper", KEYPAD),
    T(EXPANDER_TAMPER_RESTORED, "expander_tamper_restored", "Zone expander ", " tamper restored",
      EXPANDER),
    T(EXPANDER_TAMPER, "expander_tamper", "Zone expander ", " tamper", EXPANDER),
    T(RF5132_TAMPER_RESTORED, "rf5132_tamper_restored",
      "Wireless receiver (PC/RF5132) tamper restored", "", NONE),
    T(RF5132_TAMPER, "rf5132_tamper", "Wireless receiver (PC/RF5132) tamper", "", NONE),
    T(PC5208_TAMPER_RESTORED, "pc5208_tamper_restored", "PC5208 output module tamper restored", "",
      NONE),
    T(PC5208_TAMPER, "pc5208_tamper", "PC5208 output module tamper", "", NONE),
    T(PC5204_TAMPER_RESTORED, "pc5204_tamper_restored", "PC5204 output module tamper restored", "",
      NONE),
    T(PC5204_TAMPER, "pc5204_tamper", "PC5204 output module tamper", "", NONE),
    T(PC5204_BATTERY_RESTORED, "pc5204_battery_restored", "PC5204 output module battery restored",
      "", NONE),
    T(PC5204_BATTERY_TROUBLE, "pc5204_battery_trouble", "PC5204 output module battery trouble", "",
      NONE),
    T(PC5204_AUX_RESTORED, "pc5204_aux_restored", "PC5204 output module aux supply restored", "",
      NONE),
    T(PC5204_AUX_TROUBLE, "pc5204_aux_trouble", "PC5204 output module aux supply trouble", "",
      NONE),
    T(PC5204_OUTPUT1_RESTORED, "pc5204_output1_restored", "PC5204 output module output 1 restored",
      "", NONE),
    T(PC5204_OUTPUT1_TROUBLE, "pc5204_output1_trouble", "PC5204 output module output 1 trouble", "",
      NONE),
    T(EXTENDED_STATUS, "extended_status", "Extended status", "", NONE),
    T(PERIODIC_TEST_TROUBLE, "periodic_test_trouble", "Periodic test transmission with trouble",
      "", NONE),
    T(EXIT_FAULT, "exit_fault", "Exit fault", "", NONE),
    T(ALARM_CANCELLED, "alarm_cancelled", "Alarm cancelled", "", NONE),
    T(TLINK_COM_FAULT, "tlink_com_fault", "TLink communication fault", "", NONE),
    T(TLINK_NETWORK_FAULT, "tlink_network_fault", "TLink network fault", "", NONE),
    T(TLINK_RECEIVER_TROUBLE, "tlink_receiver_trouble", "TLink receiver trouble", "", NONE),
    T(TLINK_RECEIVER_RESTORED, "tlink_receiver_restored", "TLink receiver restored", "", NONE),
    T(TROUBLE_ACKNOWLEDGED, "trouble_acknowledged", "Trouble acknowledged", "", NONE),
    T(RF_DELINQUENCY_TROUBLE, "rf_delinquency_trouble", "Wireless delinquency trouble", "", NONE),
    T(RF_DELINQUENCY_RESTORED, "rf_delinquency_restored", "Wireless delinquency restored", "",
      NONE),
    T(SYSTEM_RESET_TX, "system_reset_tx", "System reset transmission", "", NONE),
};

#undef T

static const kb_pev_text_t *kb_pev_text(unsigned kind) {
  if (kind >= KB_PEV_COUNT || !kb_pev_texts[kind].name) kind = KB_PEV_UNKNOWN;
  return &kb_pev_texts[kind];
}

const char *kb_pev_kind_name(kb_pev_kind_t kind) {
  return kb_pev_text((unsigned)kind)->name;
}

const char *kb_pev_number_label(kb_pev_kind_t kind) {
  static const char *const labels[] = {NULL, "zone", "code", "keypad", "expander", "output",
                                       "phone"};
  return labels[kb_pev_text((unsigned)kind)->num];
}

size_t kb_pev_format(const kb_pev_t *ev, char *buf, size_t n) {
  const kb_pev_text_t *t = kb_pev_text(ev->kind);
  const char *role = "";
  int len;
  if (t == &kb_pev_texts[KB_PEV_UNKNOWN]) {
    len = snprintf(buf, n, "Unknown event (set 0x%02X, code 0x%02X)", (unsigned)ev->set,
                   (unsigned)ev->code);
  } else if (t->num == NONE) {
    len = snprintf(buf, n, "%s", t->head);
  } else {
    if (t->num == CODE && ev->number == 40) role = " (master)";
    if (t->num == CODE && (ev->number == 41 || ev->number == 42)) role = " (supervisor)";
    len = snprintf(buf, n, "%s%u%s%s", t->head, (unsigned)ev->number, role, t->tail);
  }
  return len < 0 ? 0 : (size_t)len;
}
