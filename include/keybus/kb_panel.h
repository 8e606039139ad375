/* SPDX-License-Identifier: MIT
 *
 * kb_panel.h - the panel role: the engine plays a PowerSeries panel and
 * drives real DSC keypads (no panel on the bus). It generates the frames
 * (start-up sequence, status, lights, zone lights, flashing, beep, tone,
 * buzzer, date/time), reads the keys the keypads send back (the alarm keys
 * with the 0x1C handshake) and hands them to the application.
 * Facts: docs/protocol/classic-and-keypad.md part B (B3, B4), D2/D3.
 *
 * What it promises
 *   Static memory only (kb_pnl_t, placed by the caller), no clock, no
 *   library call. The interrupt side is one function, kb_pnl_isr(), O(1) per
 *   call: no loop, no division, no copy of a frame, no atomic
 *   read-modify-write. The task stages one frame at a time in the engine;
 *   the interrupt clocks it out and publishes what the keypads answered into
 *   a lock-free single-producer/single-consumer ring (one store of the head
 *   index after KB_BARRIER(); KB_SMP in kb_config.h makes that a real fence
 *   when task and interrupt run on different cores). Frames on the wire
 *   match the reference keypad interface byte for byte (the D2 vectors).
 *
 * The bus (PowerSeries keypads)
 *   The clock idles high. A frame of n bytes is the command byte, a stop bit
 *   (always 0), the n-1 data bytes (MSB first), then one more clock cycle
 *   with the data line released: 8n+2 cycles of KB_PNL_HALF_US low and
 *   KB_PNL_HALF_US high (1 kHz). The low phase before panel bit k is keypad
 *   slot k (the keypads drive it); the panel drives bit k while the clock is
 *   high. Between frames the clock stays high for at least
 *   KB_PNL_GAP_HALVES half periods (5 ms), longer when the task is late.
 *
 * The bus (Classic keypads: PC1500RK, PC2550RK; cfg.classic, notes B5)
 *   The port's timer runs at KB_PNL_CLASSIC_HALF_US (500 Hz clock). A frame
 *   is 16 cycles, no command, no stop bit, no checksum: the panel's bits
 *   are the zone lights (bit 7 = zone 1) then the status lights (bit 7
 *   Ready ... bit 1 Fire, bit 0 the beeper); the keypad's key code is in
 *   the low phases of the first 8 cycles. Frames repeat every ~59 ms (26 ms
 *   of clock high between them). The engine flashes Classic lights itself
 *   (the keypads have no flash command), sounds beeps and the buzzer on the
 *   beeper bit, clicks on each key, and hands out keys in the PowerSeries
 *   codes below.
 *
 * Who calls what, from where
 *   kb_pnl_init()            task, before the port starts its timer.
 *   kb_pnl_set_*(), kb_pnl_beep(), kb_pnl_tone(), kb_pnl_buzzer()
 *                            task: what the keypads show (takes effect
 *                            at the next frame the scheduler stages).
 *   kb_pnl_poll()            task, often (every 1 ms is right; at least once
 *                            per KB_PNL_GAP_HALVES half periods keeps the
 *                            bus at its nominal rate): drains the ring
 *                            (keys, alarm keys, notifications), runs the
 *                            scheduler and stages the next frame. Frames are
 *                            sent only while the task keeps polling (a task
 *                            that stops leaves the clock idle high: the
 *                            keypads see no panel, never a half frame).
 *   kb_pnl_key()             task: the next key the keypads sent.
 *   kb_pnl_stats(), kb_pnl_started(), kb_pnl_keypad_zones()  task.
 *   kb_pnl_isr()             interrupt (KB_ISR_FN): a periodic timer every
 *                            KB_PNL_HALF_US. The port reads the data line,
 *                            calls kb_pnl_isr() with it, and applies the
 *                            returned levels: first the data line, then the
 *                            clock. One caller at a time (one timer).
 *   The task functions share state with kb_pnl_isr() only through the
 *   staging flag (tx_ready) and the ring indices: single writers, no lock.
 *   The task functions must not be called from several threads at once.
 */
#ifndef KB_PANEL_H_
#define KB_PANEL_H_

#include <stdbool.h>
#include <stdint.h>

#include "keybus/kb_config.h"
#include "keybus/kb_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------- Configuration */

/* Half period of the clock the port generates (PowerSeries keypads: 1 kHz). */
#define KB_PNL_HALF_US 500u
/* Clock-high half periods between frames (the reference's 5 ms). */
#define KB_PNL_GAP_HALVES 10u
/* Pause after the first frame (0x16) of the start-up sequence: 200 ms. */
#define KB_PNL_STARTUP_PAUSE_HALVES 400u
/* Frame buffer, in panel-index layout ([0] command, [1] the stop bit alone,
 * [2..] data): the longest frame sent is 0x4C, 12 wire bytes = 13 here. */
#define KB_PNL_FRAME_BYTES 16u
/* Frames the interrupt may publish before the task reads them. */
#ifndef KB_PNL_RING
#define KB_PNL_RING 4u
#endif
/* Keys waiting for the application. */
#ifndef KB_PNL_KEYQ
#define KB_PNL_KEYQ 16u
#endif
/* Zone lights the engine drives (0x27/0x2D/0x34/0x3E and the 0x5D masks;
 * Classic keypads show zones 1-8). */
#define KB_PNL_ZONES 32u
/* Classic: half period, clock-high half periods after a frame's last one
 * (26 ms), how long F/A/P must be held, the same key again no sooner than,
 * the key click, the flash period (on and off) and a beep's on and off time. */
#define KB_PNL_CLASSIC_HALF_US 1000u
#define KB_PNL_CLASSIC_GAP_HALVES 25u
#define KB_PNL_CLASSIC_HOLD_MS 1000u
#define KB_PNL_CLASSIC_REPEAT_MS 150u
#define KB_PNL_CLASSIC_CLICK_MS 100u
#define KB_PNL_CLASSIC_FLASH_MS 500u
#define KB_PNL_CLASSIC_BEEP_MS 120u

/* ------------------------------------------------------------- Types */

/* The keypad's status lights (bit numbers of the 0x05 lights byte). */
typedef enum {
  KB_PNL_LIGHT_READY = 0,
  KB_PNL_LIGHT_ARMED = 1,
  KB_PNL_LIGHT_MEMORY = 2,
  KB_PNL_LIGHT_BYPASS = 3,
  KB_PNL_LIGHT_TROUBLE = 4,
  KB_PNL_LIGHT_PROGRAM = 5,
  KB_PNL_LIGHT_FIRE = 6,
  KB_PNL_LIGHT_BACKLIGHT = 7,
  KB_PNL_LIGHT_COUNT
} kb_pnl_light_t;

/* A light's state. BLINK sets the flash bit (0x5D) and leaves the steady bit
 * off: a keypad shows a flashing light from 0x5D alone. */
typedef enum { KB_PNL_OFF = 0, KB_PNL_ON = 1, KB_PNL_BLINK = 2 } kb_pnl_state_t;

/* kb_pnl_isr() result bits. */
#define KB_PNL_CLK_HIGH 0x01u /* the bus clock is high after this call */
#define KB_PNL_DATA_LOW 0x02u /* pull the data line low (a 0 bit) */

/* Key codes handed to the application: the keypad's own byte (B4.6), and
 * three synthetic codes for the alarm keys confirmed by the 0x1C handshake. */
#define KB_PNL_KEY_FIRE 0x0Bu
#define KB_PNL_KEY_AUX 0x0Du
#define KB_PNL_KEY_PANIC 0x0Eu

/* What the keypads answered in one frame (interrupt -> task). */
typedef struct {
  uint8_t cmd;                        /* the frame's command byte (Classic: the zone byte) */
  uint8_t bits;                       /* panel bits clocked (stop bit included) */
  uint8_t seen;                       /* nonzero when any keypad bit read 0 */
  uint8_t clash;                      /* nonzero when a panel 1-bit read back 0 */
  uint32_t t;                         /* the interrupt's half-period count at the frame's end */
  uint8_t module[KB_PNL_FRAME_BYTES]; /* keypad slots, panel-index layout; bytes
                                       * past `bits` are stale */
} kb_pnl_rx_t;

typedef struct {
  uint32_t frames;      /* frames clocked out */
  uint32_t overflows;   /* answers lost: the ring was full */
  uint32_t contention;  /* panel 1-bits that read back 0 (someone else drove) */
  uint32_t clashed;     /* answers ignored: the frame had such a bit (a data line
                         * stuck low, a second panel): no key is read from it */
  uint32_t keys;        /* keys queued for the application */
  uint32_t keys_lost;   /* keys dropped: the key queue was full */
  uint32_t rejected;    /* keypad bytes that are no known key (noise) */
  uint32_t alarm_asks;  /* 0x1C handshakes started */
  uint32_t alarm_noise; /* 0x1C answers that were no alarm key */
  uint32_t zone_queries; /* 0xD5 sent after a keypad-zone notification */
} kb_pnl_stats_t;

typedef struct {
  uint32_t powerup_ms; /* data line high this long before the first frame
                        * (keypads powering up; the reference waits 4000 ms) */
  bool menu_key;       /* pass on 0xF7 (LCD menu navigation). Off by default:
                        * 0xF7 is "no key" (0xFF) with one bit bent, the only
                        * key one flipped bit can make out of an idle slot */
  bool classic;        /* drive Classic keypads (the port's timer then runs at
                        * KB_PNL_CLASSIC_HALF_US; powerup_ms 100 is the
                        * reference's wait for them) */
} kb_pnl_cfg_t;

/* Engine state. Public so firmware can place it statically; fields are
 * internal, all set by kb_pnl_init(). */
typedef struct kb_pnl_s {
  /* staged frame: written by the task while tx_ready = 0, read by the
   * interrupt while tx_ready = 1 (it clears it when the frame is done) */
  uint8_t tx[KB_PNL_FRAME_BYTES];
  uint8_t tx_bits;  /* panel bits, stop bit included */
  uint16_t tx_gap;  /* clock-high half periods needed before it */
  volatile uint8_t tx_ready;
  /* interrupt side */
  uint8_t st;       /* 0 power-up wait, 1 gap, 2 low phase, 3 high phase */
  uint8_t k;        /* bit cell of the frame */
  uint8_t idx;      /* byte of bit k (panel-index layout) */
  uint8_t mask;     /* its bit */
  uint8_t drive;    /* panel bit being driven (1 = released) */
  uint8_t fresh;    /* the next keypad bit starts a module byte */
  uint8_t classic;  /* Classic frames: no stop bit, no trailing cycle */
  uint32_t now;     /* half periods since init (wraps) */
  uint16_t cnt;     /* half periods of the gap so far (saturates) */
  uint32_t up;      /* power-up: half periods with the data line high */
  uint32_t up_need;
  kb_pnl_rx_t rx[KB_PNL_RING + 1];
  volatile uint8_t head; /* interrupt only: slot being filled */
  volatile uint8_t tail; /* task only: oldest unread */
  uint32_t frames, overflows, contention;
  /* task side: what the keypads should show */
  uint8_t lights, blink, status;
  uint8_t zones[4], zblink[4];
  uint8_t time[5]; /* 0xA5 bytes 2..6 (panel index), built by kb_pnl_set_time */
  uint8_t beep, tone, buzzer;   /* values of the pending commands */
  uint8_t beep_p, tone_p, buzzer_p, time_p;
  /* what was last sent */
  uint8_t s_zones[4], s_blink, s_zblink[4];
  uint8_t step;        /* start-up step (8 = steady state) */
  uint8_t last_cmd;    /* command of the last finished frame */
  uint8_t alarm_ask;   /* an alarm key was seen: the next frame is 0x1C */
  uint8_t zone_ask;    /* a keypad-zone notification: 0xD5 after a 0x05 */
  uint8_t kz_valid;
  uint8_t kz_open;     /* keypad zones (slot 1 = bit 0) open, from 0xD5 */
  uint8_t menu_key;
  uint8_t keyq[KB_PNL_KEYQ];
  uint8_t kq_head, kq_len;
  uint32_t keys, keys_lost, rejected, alarm_asks, alarm_noise, zone_queries, clashed;
  /* Classic task state (times in ms from the answers' t) */
  uint32_t c_now;        /* time of the last answer */
  uint8_t c_prev;        /* key code of the previous frame (0xFF none) */
  uint8_t c_hold;        /* F/A/P being held, 0xFF none */
  uint8_t c_last;        /* last key handed out */
  uint32_t c_hold_t, c_last_t, c_click_until, c_buzz_until, c_beep_t;
  uint16_t c_beeps;      /* beeper half-cycles still to sound (on, off, on, ...) */
} kb_pnl_t;

/* ------------------------------------------------------------ Task API */

/* Defaults: powerup_ms 4000, menu_key false, classic false. */
void kb_pnl_cfg_default(kb_pnl_cfg_t *c);

/* Clears all state: Ready and Backlight on (the reference's default), no
 * zone lit, status byte 0x01 "ready", date 2018-03-23 13:32 (the reference's
 * template). cfg NULL = defaults. Call before the port's timer starts. */
void kb_pnl_init(kb_pnl_t *p, const kb_pnl_cfg_t *cfg);

/* A status light: KB_OK or KB_ERR_ARG (light or state out of range). */
KB_MUST_CHECK kb_err_t kb_pnl_set_light(kb_pnl_t *p, kb_pnl_light_t light, kb_pnl_state_t st);

/* A zone light, zone 1..KB_PNL_ZONES: KB_OK or KB_ERR_ARG. */
KB_MUST_CHECK kb_err_t kb_pnl_set_zone(kb_pnl_t *p, unsigned zone, kb_pnl_state_t st);

/* Classic keypads: no status byte, no date, no tone (these do nothing);
 * beep(n) sounds n short beeps and buzzer(s) the beeper for s seconds on the
 * frame's beeper bit; the Backlight light does nothing.
 *
 * The partition-1 status byte of 0x05/0x27 (LCD keypads show its message:
 * 0x01 ready, 0x03 zones open, 0x11 in alarm, 0x9F enter code, ...;
 * docs/protocol/powerseries.md 3.3). The only text an LCD keypad takes from
 * the commands this engine sends. */
void kb_pnl_set_status(kb_pnl_t *p, uint8_t code);

/* The date and time LCD keypads show (0xA5): year 2000..2099 (19xx for
 * 1970..1999), month 1..12, day 1..31, hour 0..23, minute 0..59. Sent once,
 * at the next free frame. KB_OK or KB_ERR_RANGE (nothing changed). */
KB_MUST_CHECK kb_err_t kb_pnl_set_time(kb_pnl_t *p, unsigned year, unsigned month, unsigned day,
                                       unsigned hour, unsigned minute);

/* n beeps (1..128; above 128 the keypad's maximum); 0 cancels a pending one. */
void kb_pnl_beep(kb_pnl_t *p, unsigned n);

/* Tone pattern: beeps 0..7, constant tone, interval 0..15 s (clamped); all
 * zero = tone off. Sent once. */
void kb_pnl_tone(kb_pnl_t *p, unsigned beeps, bool constant, unsigned interval_s);

/* Buzzer for s seconds (1..255); 0 cancels a pending one. */
void kb_pnl_buzzer(kb_pnl_t *p, unsigned s);

/* The task step: reads every answer the interrupt published, then, when no
 * frame is staged or in flight, chooses the next one (start-up sequence,
 * then the B4.3 scheduler) and stages it. Returns the number of answers
 * read. */
unsigned kb_pnl_poll(kb_pnl_t *p);

/* The next key, oldest first: true and *code set, or false when none. Codes:
 * the keypad's byte (0x00 '0', 0x05 '1', ... 0x28 '*', 0x2D '#', B4.6) or
 * KB_PNL_KEY_FIRE/AUX/PANIC. Classic keypads' codes are translated to
 * these (B5): a key is handed out when it appears (the same key again only
 * after it was away for KB_PNL_CLASSIC_REPEAT_MS; holding a digit gives
 * one key),
 * F/A/P once held for KB_PNL_CLASSIC_HOLD_MS, again every such period while
 * held. */
bool kb_pnl_key(kb_pnl_t *p, uint8_t *code);

/* Name of a key code ("0".."9", "*", "#", "fire", "aux", "panic", "stay",
 * "away", "chime", "reset", "exit", "enter", "left", "right", "menu"), or
 * NULL for a code that is no key. */
const char *kb_pnl_key_name(uint8_t code);

/* True once the start-up sequence has been sent. */
static inline bool kb_pnl_started(const kb_pnl_t *p) { return p->step >= 8u; }

/* Keypad zones (the zone terminal of keypads that have one) as the last
 * 0xD5 answer showed them: bit s-1 = keypad slot s open. false before any
 * answer. */
bool kb_pnl_keypad_zones(const kb_pnl_t *p, uint8_t *open);

void kb_pnl_stats(const kb_pnl_t *p, kb_pnl_stats_t *out);

/* ------------------------------------------------------- Interrupt API */

/* One half period of the clock. data_high: the data line as read now,
 * before anything is changed (at the end of a low phase it is the keypads'
 * bit of that slot). Returns KB_PNL_CLK_HIGH / KB_PNL_DATA_LOW for the next
 * half period. O(1). */
KB_ISR_FN uint8_t kb_pnl_isr(kb_pnl_t *p, bool data_high);

#ifdef __cplusplus
}
#endif

#endif /* KB_PANEL_H_ */
