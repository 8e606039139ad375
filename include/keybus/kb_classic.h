/* SPDX-License-Identifier: MIT
 *
 * kb_classic.h - DSC Classic series (PC1500/PC1550/PC2550): frame decode and
 * status, into the same status model (kb_status_t) and events (kb_event_t)
 * as PowerSeries.
 *
 * What it promises
 *   Feed it Classic frames in bus order (kb_cls_frame(): 16 clock cycles,
 *   D0 zone lights and D1 status lights on the data line, P0/P1 on the PC-16
 *   line, K0/K1 in the keypad slots), or keypad lines of a log on their own
 *   (kb_cls_keypad()). It keeps partition 1 and zones 1-8 of kb_status_t and
 *   reports every change once through the callback, as kb_engine does
 *   (docs/classic.md lists which events and fields). The rules are those of
 *   the protocol notes (classic-and-keypad.md A6), with the reference's
 *   quirks (A10) decided as docs/classic.md says.
 *   Blink (flash) detection and the beep timing use the frames' times (the
 *   caller's milliseconds): the core has no clock.
 *   What the Classic cannot report is flagged in status.absent (KB_ABSENT_*)
 *   and status.zones_max = 8; those fields stay zero.
 *   Static memory only: the caller owns kb_cls_t (320 bytes on x86-64).
 *
 * Frame checks (no command, stop bit or checksum on the Classic bus):
 *   - exactly 16 panel bits, always (the reference accepts 8-15 bits after
 *     start-up: quirk A10.5, decided: a partial frame is a runt);
 *   - start-up gate: nothing updates the model until a frame with P0 !=
 *     0xFF (PC16-OUT configured: an unconfigured PGM idles high);
 *   - after start-up, a frame whose P0 and P1 are both 0xFF is the PC-16
 *     line idle (disconnected): dropped rather than read as "every alarm".
 *
 * Who may call: the task only (one thread); nothing here is interrupt-safe.
 */
#ifndef KB_CLASSIC_H_
#define KB_CLASSIC_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- Protocol */

#define KB_CLS_FRAME_BITS 16u  /* panel bits of a whole frame */
#define KB_CLS_GAP_US 2000u    /* clock high longer than this: new frame (A3) */
#define KB_CLS_FRAME_MS 51u    /* frame period of a PC1550 (A3), log holds */

/* D1 status lights as on the wire (A4; the PowerSeries order is reversed). */
#define KB_CLS_D1_READY 0x80u
#define KB_CLS_D1_ARMED 0x40u
#define KB_CLS_D1_MEMORY 0x20u
#define KB_CLS_D1_BYPASS 0x10u
#define KB_CLS_D1_TROUBLE 0x08u
#define KB_CLS_D1_PROGRAM 0x04u
#define KB_CLS_D1_FIRE 0x02u
#define KB_CLS_D1_BEEP 0x01u

/* P0: bits 7-2 alarm of zones 1-6, bit 0 fire alarm (latched). */
#define KB_CLS_P0_FIRE 0x01u
/* P1 (A4). */
#define KB_CLS_P1_TROUBLE 0x80u
#define KB_CLS_P1_BYPASS 0x40u
#define KB_CLS_P1_ARMED_A 0x20u
#define KB_CLS_P1_ARMED_B 0x10u
#define KB_CLS_P1_PANIC 0x08u
#define KB_CLS_P1_AUX 0x04u
#define KB_CLS_P1_FIRE 0x02u
#define KB_CLS_P1_ALARM 0x01u

/* K0 key codes (row/column, active low; A4). */
#define KB_CLS_KEY_STAR 0xB7u
#define KB_CLS_KEY_POUND 0xE7u
#define KB_CLS_KEY_FIRE 0x3Fu
#define KB_CLS_KEY_AUX 0x5Fu
#define KB_CLS_KEY_PANIC 0x6Fu
#define KB_CLS_KEY_NONE 0xFFu

/* Synthesised status code for "*8 installer programming" (A6.9). */
#define KB_CLS_ST_PROGRAMMING 0xE4u

/* What a Classic panel cannot report (A9). */
#define KB_CLS_ABSENT                                                                    \
  (KB_ABSENT_ENTRY_DELAY | KB_ABSENT_DISABLED | KB_ABSENT_ACCESS_CODE |                  \
   KB_ABSENT_PARTITIONS | KB_ABSENT_ZONES_TAMPER | KB_ABSENT_ZONES_BYPASS |              \
   KB_ABSENT_AC_POWER | KB_ABSENT_BATTERY | KB_ABSENT_PGM | KB_ABSENT_TIME |             \
   KB_ABSENT_VERSION | KB_ABSENT_CODE_DIGITS | KB_ABSENT_BELL | KB_ABSENT_PANEL_FLAGS |  \
   KB_ABSENT_MODULES | KB_ABSENT_EARLY)
#define KB_CLS_ZONES 8u /* zone lights: zones 1-8; alarm bits: zones 1-6 */

/* ---------------------------------------------------------------- Types */

/* One Classic frame as captured. */
typedef struct {
  uint8_t d[2];  /* D0 zone lights, D1 status lights (data line, clock high) */
  uint8_t p[2];  /* P0, P1 (PC-16 line, sampled with the panel bits) */
  uint8_t k[2];  /* K0 key, K1 (data line, clock low: keypad slots) */
  uint8_t bits;  /* panel bits captured (16 for a whole frame) */
  uint8_t kbits; /* keypad-slot bits captured; 0 = none (not captured) */
  uint8_t wrote; /* kb_cls_link: the link drove a key in slots 1-8 of this
                    frame (k[0] is its echo) */
} kb_cls_frame_t;

/* Verdict of one frame. */
typedef enum {
  KB_CLS_OK = 0,   /* applied */
  KB_CLS_RUNT,     /* fewer than 16 panel bits: dropped */
  KB_CLS_LONG,     /* more than 16 panel bits: dropped */
  KB_CLS_NO_PC16,  /* start-up: P0 = 0xFF (PC16-OUT not configured): waits */
  KB_CLS_PC16_IDLE /* after start-up: P0 = P1 = 0xFF (line idle): dropped */
} kb_cls_check_t;

/* Blink-tracked lights (A6.2), index into the timers. */
enum { KB_CLS_BL_MEMORY = 0, KB_CLS_BL_ARMED, KB_CLS_BL_BYPASS, KB_CLS_BL_TROUBLE, KB_CLS_BL_COUNT };

/* Decoder state: public so firmware can place it statically; fields below
 * `health` are internal. */
typedef struct kb_cls_s {
  kb_status_t status;
  kb_health_t health;
  kb_event_cb cb;
  void *cb_ctx;
  uint8_t mode;      /* kb_engine_mode_t: LOG input holds the last frame */
  uint8_t started;   /* the start-up gate passed */
  uint8_t have_last; /* last: the last applied frame (log holds) */
  kb_cls_frame_t last;
  uint32_t last_ms;
  /* blink timers (A6.2): last time seen on / off, per tracked light */
  uint32_t on_ms[KB_CLS_BL_COUNT], off_ms[KB_CLS_BL_COUNT];
  uint8_t seen_on, seen_off; /* bit i: light i has been seen on / off */
  uint8_t blink;             /* bit i: light i blinking */
  uint8_t lit;               /* bit i: light i on in the last frame */
  uint8_t recur;             /* bit i: its last off time was short (a flash) */
  /* beep (A6.3) */
  uint8_t beep, beep_seen;
  uint32_t beep_on_ms, beep_off_ms;
  /* A6.4-A6.7 */
  uint8_t was_stay;    /* armed stay seen since arming */
  uint8_t exit_armed;  /* the armed bit was seen since the last ready */
  uint8_t alarm_trig;  /* the PC16 alarm bit made alarm true */
  uint8_t freeze;      /* alarm ended: open zones frozen until ready */
  uint8_t star;        /* `*` pressed since the last ready: zones frozen */
  uint8_t trig_zones;  /* zones that were in alarm (bit z-1), cleared at ready */
  uint8_t exit_state;  /* kb_exit_t: the arming under way (reference exitState) */
  /* keypad (K0): last key and when (a held key repeats every frame) */
  uint8_t key;
  uint32_t key_ms;
} kb_cls_t;

/* ------------------------------------------------------------ Task API */

/* Clears the model; cb (may be NULL) receives every change. mode: LIVE for
 * frames from edges (every frame repeats), LOG for a log that prints only
 * changed frames (each frame is taken to have repeated until the next). */
void kb_cls_init(kb_cls_t *c, kb_engine_mode_t mode, kb_event_cb cb, void *ctx);

/* Changes how the next frames are judged (a VCD read after a log). */
void kb_cls_set_mode(kb_cls_t *c, kb_engine_mode_t mode);

/* One frame at caller time t_ms (milliseconds, monotonic). Applies its
 * keypad slots too when f->kbits >= 8. */
kb_cls_check_t kb_cls_frame(kb_cls_t *c, const kb_cls_frame_t *f, uint32_t t_ms);

/* Keypad slots on their own (a log's keypad line): K0 k0, K1 k1, kbits bits.
 * A press is reported once (KB_EV_KEY); a held key repeats every frame.
 * Returns the key's PowerSeries code (kb_proto.h KB_KEY_*; digits as
 * themselves), KB_KEY_NONE when none or unknown. */
uint8_t kb_cls_keypad(kb_cls_t *c, uint8_t k0, uint8_t k1, uint8_t kbits, uint32_t t_ms);

/* Keybus connected/disconnected (a link's frame boundary seen within 3 s). */
void kb_cls_connected(kb_cls_t *c, bool connected, uint32_t t_ms);

/* The PowerSeries key code (KB_KEY_*, KB_KEY_ALARM_* for F/A/P) of a
 * Classic K0 code; KB_KEY_NONE for no key or a code not in the table. */
uint8_t kb_cls_key_to_ps(uint8_t k0);

/* The Classic K0 code of a key character (0-9 * # F A P, case-insensitive
 * for the letters); KB_CLS_KEY_NONE for any other. */
uint8_t kb_cls_key_code(char ch);

/* Classic D1 lights in PowerSeries order (KB_LIGHT_*; the beep bit and the
 * backlight are not lights of the model). */
uint8_t kb_cls_lights(uint8_t d1);

#ifdef __cplusplus
}
#endif

#endif /* KB_CLASSIC_H_ */
