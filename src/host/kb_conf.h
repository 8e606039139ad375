/* SPDX-License-Identifier: MIT
 *
 * kb_conf.h - keybusd's configuration (host only, C11 + POSIX): an INI file,
 * command-line overrides and secrets from the environment or a file, checked
 * and turned into one plain struct. The schema is in docs/keybusd-config.md.
 *
 * The pipeline (one thread, the daemon's start-up; nothing here is global):
 *   kb_conf_init()        defaults: the simulated demo house, MQTT on
 *                         127.0.0.1:1883, HTTP on 127.0.0.1:8080
 *   kb_conf_load()        the file (or kb_conf_parse() on a buffer)
 *   kb_conf_set()         each command-line override, same validation
 *   kb_conf_finish()      secrets (environment, then the file's password or
 *                         password_file), cross-checks between sections
 *   kb_conf_dump()        the effective configuration for --check-config
 * Precedence: flag > environment (secrets only) > file > default.
 *
 * Promises, for any input (fuzzed: tests/fuzz/fuzz_conf.c): no crash, no
 * read outside the text given, every string field NUL-terminated within its
 * array, counts within their bounds. Every error is one line "file:line:
 * what is wrong: what is expected" (or "file: ..." for a whole-file problem,
 * "command line: --flag: ..." for an override) appended to the caller's buffer; parsing
 * goes on after an error so that --check-config lists them all. Secrets
 * (passwords) are never copied into an error message or the dump.
 * The simulated panel's access codes (1234, master 5555) are not part of
 * this configuration: they belong to the simulated panel and are demo-only.
 */
#ifndef KB_HOST_CONF_H_
#define KB_HOST_CONF_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ limits */

#define KB_CONF_DEFAULT_PATH "/etc/keybus/keybusd.conf"
#define KB_CONF_ZONES 64       /* zones 1-64 */
#define KB_CONF_PARTITIONS 8   /* partitions 1-8 */
#define KB_CONF_USERS 95       /* user numbers 1-95 (PowerSeries access codes) */
#define KB_CONF_LINE_MAX 1024  /* bytes per line, newline included */
#define KB_CONF_FILE_MAX (256 * 1024) /* bytes per configuration file */
#define KB_CONF_NAME_MAX 64    /* names (zones, partitions, users), NUL included */
#define KB_CONF_ID_MAX 33      /* device id: 1-32 of [A-Za-z0-9_-] (Home Assistant ids: KB_HA_ID_MAX) */
#define KB_CONF_PATH_MAX 512
#define KB_CONF_HOST_MAX 256
#define KB_CONF_SECRET_MAX 256

/* ------------------------------------------------------------- types */

typedef enum { KB_CONF_SIM, KB_CONF_GPIO, KB_CONF_REPLAY, KB_CONF_BACKEND_COUNT } kb_conf_backend_t;

/* [keybus] panel: the series on the bus (issue 11, docs/classic.md). */
typedef enum { KB_CONF_POWERSERIES, KB_CONF_CLASSIC, KB_CONF_PANEL_COUNT } kb_conf_panel_t;
#define KB_CONF_CLASSIC_ZONES 8 /* zones a Classic panel reports (kb_classic.h) */

/* Home Assistant binary_sensor device classes a zone may have. */
typedef enum {
  KB_CONF_CLASS_OPENING, KB_CONF_CLASS_DOOR, KB_CONF_CLASS_WINDOW, KB_CONF_CLASS_GARAGE_DOOR,
  KB_CONF_CLASS_MOTION, KB_CONF_CLASS_OCCUPANCY, KB_CONF_CLASS_PRESENCE, KB_CONF_CLASS_SMOKE,
  KB_CONF_CLASS_HEAT, KB_CONF_CLASS_GAS, KB_CONF_CLASS_CARBON_MONOXIDE, KB_CONF_CLASS_MOISTURE,
  KB_CONF_CLASS_VIBRATION, KB_CONF_CLASS_SOUND, KB_CONF_CLASS_SAFETY, KB_CONF_CLASS_TAMPER,
  KB_CONF_CLASS_PROBLEM, KB_CONF_CLASS_COUNT
} kb_conf_class_t;

typedef enum { KB_CONF_LOG_ERROR, KB_CONF_LOG_WARNING, KB_CONF_LOG_INFO, KB_CONF_LOG_DEBUG, KB_CONF_LOG_COUNT } kb_conf_level_t;

/* Where a secret came from (the dump says it, never the secret). */
typedef enum { KB_CONF_SECRET_NONE, KB_CONF_SECRET_FILE, KB_CONF_SECRET_PASSWORD_FILE, KB_CONF_SECRET_ENV } kb_conf_secret_src_t;

typedef struct {
  char value[KB_CONF_SECRET_MAX];
  kb_conf_secret_src_t src;
  char file[KB_CONF_PATH_MAX]; /* password_file, read by kb_conf_finish() */
  int line;                    /* line of password or password_file (0: none) */
} kb_conf_secret_t;

typedef struct {
  bool used;                   /* shown to Home Assistant */
  char name[KB_CONF_NAME_MAX];
  kb_conf_class_t device_class;
  int partition;               /* 1-8 */
  int line;                    /* line of its [zone N] section (0: default) */
} kb_conf_zone_t;

typedef struct {
  bool used;
  char name[KB_CONF_NAME_MAX];
  int line;
} kb_conf_partition_t;

/* A GPIO line: a name (line_name) or an offset on the chip (offset >= 0). */
typedef struct {
  char name[32];
  int offset;                  /* -1: by name; "" and -1: not set */
} kb_conf_line_t;

typedef struct {
  char file[KB_CONF_PATH_MAX]; /* name used in messages ("keybusd.conf") */

  /* [keybus] */
  kb_conf_backend_t backend;
  kb_conf_panel_t panel;       /* powerseries (default) or classic */
  char replay_file[KB_CONF_PATH_MAX];
  double replay_speed;         /* 1 = real time; 0.01-1000 */
  char device_id[KB_CONF_ID_MAX];
  char topic_prefix[128];
  int code_length;             /* 4 or 6 */

  /* [mqtt] */
  bool mqtt_enabled;
  bool mqtt_tls;               /* mqtts:// */
  char mqtt_user[128];         /* "" = no username */
  char mqtt_host[KB_CONF_HOST_MAX];
  int mqtt_port;
  kb_conf_secret_t mqtt_password;
  char mqtt_client_id[128];    /* 1-127 of [A-Za-z0-9_-]; "" until kb_conf_finish(): "keybusd-<device id>" */
  int mqtt_keepalive;          /* seconds, 5-3600 */
  char discovery_prefix[128];
  char tls_ca[KB_CONF_PATH_MAX], tls_cert[KB_CONF_PATH_MAX], tls_key[KB_CONF_PATH_MAX];

  /* [http] */
  bool http_enabled;
  char http_addr[KB_CONF_HOST_MAX];
  int http_port;
  kb_conf_secret_t http_password;

  /* [tpi] the Envisalink TPI (docs/tpi.md): off unless listen is set */
  bool tpi_enabled;
  char tpi_addr[KB_CONF_HOST_MAX];
  int tpi_port;
  kb_conf_secret_t tpi_password; /* required when enabled (KEYBUS_TPI_PASSWORD) */
  kb_conf_secret_t tpi_code;     /* optional arm code, code_length digits (KEYBUS_TPI_CODE) */
  int tpi_clients;               /* 1-4 */

  /* [gpio] */
  char gpio_chip[KB_CONF_PATH_MAX]; /* a label or a /dev/gpiochipN path */
  kb_conf_line_t gpio_clock, gpio_data, gpio_write; /* write unset: read only */
  kb_conf_line_t gpio_pc16;    /* panel classic: the PC-16 (PGM) line, read with data */

  /* [log] */
  kb_conf_level_t log_level;
  bool log_syslog;

  /* [buttons] */
  bool button_fire, button_aux, button_panic;
  uint16_t button_outputs;     /* bit n-1: a button for command output n (1-4) */

  /* [keybus] pgm_outputs: bit n-1 = PGM output n (1-14) shown as a sensor */
  uint16_t pgm_outputs;

  /* [keybus] sync_time: keep the panel clock right (keybusd --sync-time,
   * docs/keybusd.md "Panel clock") on partition sync_time_partition, with
   * the code sync_time_code / sync_time_code_file / KEYBUS_SYNC_TIME_CODE
   * (a secret: 4 or 6 digits, code_length of them; the panel's *6 menu
   * usually wants the master code) */
  bool sync_time;
  int sync_time_partition;     /* 1-8 */
  kb_conf_secret_t sync_time_code;

  kb_conf_zone_t zone[KB_CONF_ZONES + 1];           /* [1..64] */
  kb_conf_partition_t partition[KB_CONF_PARTITIONS + 1]; /* [1..8] */
  char user[KB_CONF_USERS + 1][KB_CONF_NAME_MAX];   /* [1..95], "" = no name */

  /* parse state (internal) */
  bool file_zones, file_partitions; /* the file replaced the demo house */
  int line_tls[3], line_gpio;       /* for kb_conf_finish()'s messages */
} kb_conf_t;

/* Error messages: lines appended to text[0..cap) (always NUL-terminated;
 * the last line says when some were left out). Zero-initialise. */
typedef struct {
  char text[4096];
  int count;
} kb_conf_err_t;

/* --------------------------------------------------------------- API */

/* Defaults: backend sim, the demo house (partition 1 "House", zones 1-6;
 * partition 2 "Garage", zones 7-8), device id "keybus", prefix "keybus",
 * MQTT mqtt://127.0.0.1:1883, HTTP 127.0.0.1:8080. */
void kb_conf_init(kb_conf_t *c);

/* Parses an INI text of len bytes (NULs are errors, not terminators);
 * `name` names it in messages. The first [zone N] or [partition N] of the
 * file replaces the demo house. Returns the number of errors added to err. */
int kb_conf_parse(kb_conf_t *c, const char *text, size_t len, const char *name, kb_conf_err_t *err);

/* Reads and parses the file at path. A missing file is an error only when
 * must_exist (the daemon passes false for the default path only). Relative
 * password_file paths are taken relative to the file's directory. */
int kb_conf_load(kb_conf_t *c, const char *path, bool must_exist, kb_conf_err_t *err);

/* A command-line override: flag is "backend", "mqtt", "device-id", "http",
 * "tpi", "panel" or "replay" (as --backend ...), value as on the command line ("--replay FILE"
 * also selects the replay backend). Returns the number of errors added. */
int kb_conf_set(kb_conf_t *c, const char *flag, const char *value, kb_conf_err_t *err);

/* Once everything is applied: secrets from the environment (getenv_fn:
 * getenv, or a test's lookup; NULL = no environment) override the file's
 * password and password_file; a password_file is read now (first line).
 * Then the cross-checks (gpio lines set and distinct, replay file, TLS files
 * only with mqtts and cert with key, zones on declared partitions; panel
 * classic: the pc16 line with gpio, partition 1 and zones 1-8 only, no
 * pgm_outputs or sync_time, which it cannot report; the demo house of the
 * defaults becomes partition 1 zones 1-8).
 * Returns the number of errors added. */
int kb_conf_finish(kb_conf_t *c, char *(*getenv_fn)(const char *), kb_conf_err_t *err);

/* Writes the effective configuration as INI that kb_conf_parse() reads back
 * (secrets only as a comment "(set)" and their source). */
void kb_conf_dump(const kb_conf_t *c, FILE *f);

const char *kb_conf_backend_name(kb_conf_backend_t b);
const char *kb_conf_panel_name(kb_conf_panel_t p);
const char *kb_conf_class_name(kb_conf_class_t k);

#ifdef __cplusplus
}
#endif

#endif
