/* SPDX-License-Identifier: MIT
 *
 * kd_tpi.h - the Envisalink TPI (DSC flavour) that keybusd --tpi speaks, so
 * that Envisalink clients (Home Assistant's envisalink integrations through
 * pyenvisalink, openHAB's dscalarm, Hubitat, AlarmServer) work unchanged on a
 * keybus installation. The protocol, the mapping and its gaps: docs/tpi.md
 * (facts: docs/protocol/envisalink-tpi.md).
 *
 * Pure: no socket, no clock, no log, no allocation. The caller feeds it
 *   - connections and the bytes each client sent (kd_tpi_connect,
 *     kd_tpi_input, kd_tpi_disconnect),
 *   - the Keybus state after each poll and the engine's events
 *     (kd_tpi_status, kd_tpi_event), and the time (kd_tpi_tick),
 * and takes from it
 *   - the bytes to send to each client (kd_tpi_out / kd_tpi_sent): whole
 *     lines only, CR LF ended, so a write of the buffer never ends mid-line
 *     unless the socket itself takes part of it,
 *   - the virtual keypad requests the clients asked for (kd_tpi_take), as
 *     src/ha commands (kb_ha_cmd_t) that the daemon queues exactly as it
 *     queues MQTT and web keypad commands (all write-safety rules apply),
 *   - notes worth a log line (kd_tpi_note), which never carry a code or the
 *     password.
 * Every client line gets exactly one answer, at once: 500 + its command, or
 * 501 (bad checksum), or 502 + an error code (docs/tpi.md "Errors"); the
 * results of a command come later as ordinary status messages.
 *
 * Promises for any input (fuzzed: tests/fuzz/fuzz_tpi.c): no crash, no read
 * or write outside its buffers, every output line well formed, bounded work
 * per byte. Codes and the password are wiped from the line buffer after use.
 *
 * Who calls it: one thread (keybusd's main thread). Nothing here is global:
 * every call takes the kd_tpi_t it works on.
 */
#ifndef KD_TPI_H_
#define KD_TPI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ha/kb_ha.h"
#include "keybus/keybus.h"

/* ------------------------------------------------------------ limits */

#define KD_TPI_CLIENTS 4          /* logged-in or logging-in clients at once */
#define KD_TPI_LINE_MAX 64        /* bytes of one client line (CR LF not counted) */
#define KD_TPI_OUT_MAX 8192       /* bytes waiting for one client; more: it is dropped */
#define KD_TPI_PASSWORD_MAX 32    /* bytes of the TPI password (Envisalink: 1-10) */
#define KD_TPI_REQS 8             /* keypad requests waiting for the daemon */
#define KD_TPI_LOGIN_MS 10000u    /* a client has this long to log in (5052) */
#define KD_TPI_CODE_WAIT_MS 30000u /* a 900 waits this long for the client's 200 */
#define KD_TPI_TROUBLE_MS 300000u /* 849 again while a trouble lasts */
#define KD_TPI_TIME_MS 240000u    /* 550 time broadcasts (after 056 1) */
#define KD_TPI_RATE_SLOTS 16      /* addresses followed by the login limiter */
#define KD_TPI_RATE_FAILS 5       /* failed logins from one address ... */
#define KD_TPI_RATE_WINDOW_MS 60000u /* ... within this long block it ... */
#define KD_TPI_RATE_BLOCK_MS 60000u  /* ... for this long (doubled each time, up to 15 min) */
#define KD_TPI_GLOBAL_FAILS 20    /* failed logins from anywhere within the window block all */

/* ------------------------------------------------------------- types */

typedef struct {
  const char *password;      /* required, 1..KD_TPI_PASSWORD_MAX bytes (copied) */
  const char *arm_code;      /* typed when the panel asks during an arm; NULL/"" = ask the
                                client with 900 (copied; 4 or 6 digits) */
  uint8_t partitions;        /* bit p-1: partition p is reported and accepts commands */
  uint8_t zone_partition[KB_MAX_ZONES]; /* [z-1]: zone z's partition (1-8, 0 = 1) for 601-604 */
  uint8_t code_length;       /* 4 or 6: codes the panel takes */
  uint8_t max_clients;       /* 1..KD_TPI_CLIENTS (1 = a real Envisalink's one client) */
  bool writable;             /* false (replay): commands that need the panel get 502 022 */
} kd_tpi_cfg_t;

/* What happened that deserves a log line (kd_tpi_note). */
enum {
  KD_TPI_NOTE_LOGIN_OK = 1u << 0,
  KD_TPI_NOTE_LOGIN_FAILED = 1u << 1,
  KD_TPI_NOTE_LOGIN_BLOCKED = 1u << 2, /* refused unchecked: too many failures */
  KD_TPI_NOTE_LOGIN_TIMEOUT = 1u << 3,
  KD_TPI_NOTE_OVERFLOW = 1u << 4,      /* the client does not read: dropped */
  KD_TPI_NOTE_BAD_LINE = 1u << 5,      /* an answer 501/502 was sent */
  KD_TPI_NOTE_CODE_ASKED = 1u << 6,    /* 900 sent */
  KD_TPI_NOTE_CODE_TIMEOUT = 1u << 7   /* no 200 came */
};

typedef struct {
  bool used, authed, closing, overflow;
  bool discard;          /* an over-long line is being skipped to its end */
  bool timestamps;       /* 055 1: "HH:MM:SS " before each line */
  bool time_broadcast;   /* 056 1 */
  char addr[64];         /* the peer, for the login limiter */
  uint64_t since_ms, last_time_ms;
  char line[KD_TPI_LINE_MAX + 1];
  size_t line_len;
  char out[KD_TPI_OUT_MAX];
  size_t out_len;
  unsigned notes;        /* KD_TPI_NOTE_* not yet taken */
  uint16_t last_cmd, last_err; /* for the log: the last command, its 502 code (0 none) */
  /* a command waiting for the code the client gives with 200 (after 900) */
  bool code_wait;
  uint64_t code_wait_until;
  kb_ha_cmd_t waiting;   /* no code in it */
} kd_tpi_client_t;

typedef struct {
  uint8_t client;        /* the slot that asked */
  kb_ha_cmd_t cmd;       /* may hold a code: wipe it (kb_ha_submit does) */
} kd_tpi_req_t;

typedef struct {
  char addr[64];
  unsigned fails, blocks;
  uint64_t first_ms, blocked_until_ms;
} kd_tpi_rate_t;

/* The state as TPI clients were last told it (docs/tpi.md "Mapping"). */
typedef struct {
  uint16_t code;         /* 0 none yet, else 650..659 (652: + mode) */
  uint8_t mode;          /* 652's mode digit */
  uint8_t lights, flash, trouble_on;
  bool lights_known;
  uint8_t user_pending;  /* 700/750 waiting to go out in order: 0 none, 1 armed, 2 disarmed */
  uint8_t user;          /* its access code number */
  uint8_t last_status;   /* for the one-shot notices 670/671/658/659 */
} kd_tpi_part_t;

typedef struct {
  kd_tpi_cfg_t cfg;
  char password[KD_TPI_PASSWORD_MAX + 1];
  char arm_code[KB_KEYS_CODE_MAX + 1];
  kd_tpi_client_t client[KD_TPI_CLIENTS];
  kd_tpi_req_t req[KD_TPI_REQS];
  unsigned req_head, req_len;
  unsigned next_id;      /* tpi-N ids of the commands */
  kd_tpi_rate_t rate[KD_TPI_RATE_SLOTS];
  unsigned global_fails;
  uint64_t global_first_ms, global_blocked_until_ms;
  /* the Keybus as clients know it */
  bool synced;
  uint8_t zones_open[KB_ZONE_BYTES], zones_alarm[KB_ZONE_BYTES], zones_tamper[KB_ZONE_BYTES];
  uint8_t zones_bypass[KB_ZONE_BYTES];
  uint8_t zones_seen[KB_ZONE_BYTES]; /* seen open since start: its timer counts */
  uint64_t zone_closed_ms[KB_MAX_ZONES];
  kd_tpi_part_t part[KB_MAX_PARTITIONS];
  uint8_t keypad_alarm[3];
  uint8_t ac_power, battery_ok, panel_flags, connected;
  /* what the panel cannot report (kb_status_t.absent, zones_max: a Classic
   * panel, docs/tpi.md "Classic panels"): never sent, not even as zeros */
  uint16_t absent;
  uint8_t zones_max;     /* 0 = KB_MAX_ZONES */
  /* troubles known from the panel's live events only (kd_tpi_event) */
  uint8_t zones_lowbat[KB_ZONE_BYTES], zones_fault[KB_ZONE_BYTES];
  bool bell_trouble;
  uint8_t trouble849;
  uint64_t trouble849_ms;
  uint64_t now_ms;
  struct tm local;       /* the host's local time (055, 056), from kd_tpi_tick */
  bool have_local;
} kd_tpi_t;

/* --------------------------------------------------------------- API */

/* Sets t up from cfg (copied). Returns false when cfg is unusable: no
 * password or a password too long, an arm code not 4/6 digits. */
bool kd_tpi_init(kd_tpi_t *t, const kd_tpi_cfg_t *cfg);

/* Wipes the secrets (password, arm code, codes waiting anywhere). */
void kd_tpi_wipe(kd_tpi_t *t);

/* A client connected from addr (text, for the login limiter; may be NULL).
 * Returns its slot, or -1 when every slot is taken (close it at once). The
 * login prompt 5053CD is its first output, nothing before it. */
int kd_tpi_connect(kd_tpi_t *t, const char *addr, uint64_t now_ms);

/* The client's socket closed (or the daemon closed it). Frees the slot. */
void kd_tpi_disconnect(kd_tpi_t *t, int slot);

/* n bytes the client sent (any bytes: they are checked here). Answers go to
 * its output, requests to the queue. */
void kd_tpi_input(kd_tpi_t *t, int slot, const uint8_t *buf, size_t n, uint64_t now_ms);

/* The bytes waiting for the client: *p, returns the count. kd_tpi_sent()
 * drops the first n once written. */
size_t kd_tpi_out(const kd_tpi_t *t, int slot, const char **p);
void kd_tpi_sent(kd_tpi_t *t, int slot, size_t n);

/* True when the client is to be closed once its output is written (a failed
 * or timed out login), or at once (overflow: kd_tpi_note says). */
bool kd_tpi_closing(const kd_tpi_t *t, int slot);

/* Notes (KD_TPI_NOTE_*) since the last call, cleared. */
unsigned kd_tpi_note(kd_tpi_t *t, int slot);

/* Time goes by: login and code timeouts, 849 and 550 repeats. local may be
 * NULL (no 550, no timestamps). */
void kd_tpi_tick(kd_tpi_t *t, uint64_t now_ms, const struct tm *local);

/* One engine event (during kb_bus_poll): the 700/750 users; the panel's
 * live events that keybus keeps no state for (bell 806/807, fire trouble
 * 842/843, zone low battery 821/822, zone fault 605/606, module tampers
 * 829/830, installer's mode 680). The state itself comes from
 * kd_tpi_status. */
void kd_tpi_event(kd_tpi_t *t, const kb_event_t *ev);

/* The Keybus state after a poll: every change clients were not told yet
 * goes to every logged-in client (609/610, 601-604, 650-659, 510/511,
 * 840/841, 621-626, 800-803, 810/811, 814/815, 849, 896/897). */
void kd_tpi_status(kd_tpi_t *t, const kb_status_t *st, uint64_t now_ms);

/* The oldest keypad request a client asked for; false when none. */
bool kd_tpi_take(kd_tpi_t *t, kd_tpi_req_t *out);

/* ------------------------------------------------- pure helpers (tests) */

/* The checksum of a line's command and data: 2 uppercase hex digits + NUL. */
void kd_tpi_checksum(const char *s, size_t n, char out[3]);

/* The partition message for p's state (docs/tpi.md "Partitions"): 650, 651,
 * 652 (*mode set), 653, 654, 656, 657, 658, or 0: nothing to say (unknown,
 * not in use, or a disarmed partition showing a notice, menu or prompt:
 * the last state sent stands). flash: the partition's flashing lights. */
uint16_t kd_tpi_part_code(const kb_partition_t *p, uint8_t flash, uint8_t *mode);

/* A zone's 615 timer: open 0xFFFF; closed ms ago 0xFFF9 minus one per 5 s,
 * down to 0; never seen open 0. */
uint16_t kd_tpi_zone_timer(const kd_tpi_t *t, unsigned zone, uint64_t now_ms);

#endif
