/* SPDX-License-Identifier: MIT
 *
 * kb_ha.h - the Home Assistant contract of keybus, without a transport:
 * MQTT topics, discovery documents, state payloads, the JSON command
 * parser and the one table of result words (docs/home-assistant.md).
 *
 * What it promises
 *   Every function writes into buffers its caller owns and allocates
 *   nothing, prints nothing, keeps no globals and knows no clock: it is
 *   freestanding C11 like the engine (src/core), so a Linux daemon and an
 *   ESP32 firmware publish byte-identical documents. A document that does
 *   not fit its buffer is refused (KB_ERR_FULL), never cut short; the
 *   buffers of a refused message then hold empty strings. Access codes never appear in any
 *   document, topic or result written here; a parsed command's code is
 *   zeroed by kb_ha_submit() and kb_ha_cmd_wipe(), and on every parse error.
 *
 *   Entities: the device's entities are numbered 0..kb_ha_entities()-1 in a
 *   fixed order (docs/home-assistant.md, "Entities"): keybus connected,
 *   trouble, AC power, battery; per partition in use: alarm panel, ready,
 *   fire; the configured zones; then the later groups, always appended so
 *   that earlier numbers stay: per zone its alarm, bypass and tamper sensors
 *   (unless no_zone_extras), per partition its status text and last user,
 *   panel time, the PGM outputs of pgm_outputs, the health sensors, the
 *   buttons (command outputs, fire/aux/panic), the event entities.
 *   kb_ha_discovery() writes entity i's discovery document (retained),
 *   kb_ha_state() its state payload (retained) from a kb_status_t; entities
 *   without a retained state of their own (buttons, event entities, the
 *   health sensors, which read the one health topic) say so with
 *   kb_ha_has_state() and kb_ha_state() returns KB_ERR_NOT_READY for them:
 *   publish nothing. Publishing every entity's discovery then every state
 *   (and kb_ha_health()) is the whole announce (at connect, and when Home
 *   Assistant says `online` on homeassistant/status); between announces
 *   kb_ha_mark() turns each engine event into dirty entities and
 *   kb_ha_next_dirty() yields exactly those (never a stateless one).
 *   kb_ha_event_msg() gives the non-retained messages of the event
 *   entities an engine event produces (publish them from the callback, or
 *   from a copy of the event: they read only ev and st).
 *
 *   Commands: kb_ha_parse_command() reads one JSON command (bounded: at most
 *   KB_HA_CMD_MAX bytes, KB_HA_TOKENS tokens, jsmn in strict mode, nothing
 *   dynamic) into a kb_ha_cmd_t or says why not (kb_ha_perr_t);
 *   kb_ha_cmd_keys() turns it into a virtual keypad request; kb_ha_submit()
 *   queues it on a kb_bus_t. kb_ha_result_word()/kb_ha_err_word() map the
 *   keypad's results and submit errors to the words published on
 *   <prefix>/<device-id>/result, kb_ha_result_json() writes that payload.
 *
 * Who calls it: a frontend's task (the thread that polls kb_bus), e.g.
 * keybusd's MQTT side or an ESP32 task. Nothing here is interrupt-safe or
 * needs to be; the functions are pure apart from the kb_ha_submit() queue.
 */
#ifndef KB_HA_H_
#define KB_HA_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keybus/kb_bus.h"
#include "keybus/kb_config.h"
#include "keybus/kb_engine.h"
#include "keybus/kb_err.h"
#include "keybus/kb_keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits. Buffers of these sizes always suffice for names within
 * KB_HA_NAME_MAX characters (tests/unit/ha/test_ha.c checks the worst case). */
#define KB_HA_ID_MAX 32      /* device id and topic prefixes: characters */
#define KB_HA_NAME_MAX 48    /* names (device, zones): characters before escaping */
#define KB_HA_TOPIC_SIZE 160 /* a topic, with its NUL */
#define KB_HA_DOC_SIZE 2048  /* a discovery document, with its NUL */
#define KB_HA_STATE_SIZE 128 /* a state payload, with its NUL (a user's name: JSON) */
#define KB_HA_HEALTH_SIZE 640 /* the health payload (kb_ha_health), with its NUL */
#define KB_HA_EVENT_SIZE 192 /* an event entity's payload (kb_ha_event_msg), with its NUL */
#define KB_HA_RESULT_SIZE 128 /* a result payload, with its NUL */
#define KB_HA_CMD_MAX 512    /* longest command accepted (bytes) */
#define KB_HA_TOKENS 48      /* JSON tokens of one command at most */
#define KB_HA_CMD_ID_MAX 32  /* a command's "id" (string characters or digits) */
#define KB_HA_USERS_MAX 95   /* access code numbers 1..95 (40 = master) */
#define KB_HA_PGM_MAX 14     /* PGM outputs 1..14 */
#define KB_HA_HEALTH_BASE 10 /* health sensors always announced */
#define KB_HA_HEALTH_HEAP 4  /* more with health_heap (ESP32: heap, allocations) */
#define KB_HA_ENTITIES_MAX                                                            \
  (4 + 3 * KB_MAX_PARTITIONS + KB_MAX_ZONES + 3 * KB_MAX_ZONES + 2 * KB_MAX_PARTITIONS + \
   1 + KB_HA_PGM_MAX + KB_HA_HEALTH_BASE + KB_HA_HEALTH_HEAP + 4 + 3 + KB_MAX_PARTITIONS + 2 + 1)
/* zones of one bypass command: `*1@` + 2 digits each + `#` within KB_KEYS_MAX */
#define KB_HA_BYPASS_MAX ((KB_KEYS_MAX - 4) / 2)

/* Device classes of a zone's binary sensor (Home Assistant's names). */
typedef enum {
  KB_HA_CLASS_OPENING = 0, /* the default */
  KB_HA_CLASS_DOOR,
  KB_HA_CLASS_WINDOW,
  KB_HA_CLASS_GARAGE_DOOR,
  KB_HA_CLASS_MOTION,
  KB_HA_CLASS_OCCUPANCY,
  KB_HA_CLASS_SMOKE,
  KB_HA_CLASS_HEAT,
  KB_HA_CLASS_GAS,
  KB_HA_CLASS_CO,
  KB_HA_CLASS_MOISTURE,
  KB_HA_CLASS_VIBRATION,
  KB_HA_CLASS_SAFETY,
  KB_HA_CLASS_TAMPER,
  KB_HA_CLASS_PRESENCE, /* the last three: the rest of keybusd's config classes */
  KB_HA_CLASS_SOUND,
  KB_HA_CLASS_PROBLEM,
  KB_HA_CLASS_COUNT
} kb_ha_class_t;

/* Home Assistant's name of a class ("door", ...); NULL outside the enum. */
const char *kb_ha_class_name(kb_ha_class_t c);
/* The class named `name` (exact, lower case), or KB_HA_CLASS_COUNT. For
 * config parsers. */
kb_ha_class_t kb_ha_class_parse(const char *name);

typedef struct {
  uint8_t zone;       /* 1..KB_MAX_ZONES */
  uint8_t dev_class;  /* kb_ha_class_t */
  const char *name;   /* NULL = "Zone <n>"; at most KB_HA_NAME_MAX characters */
} kb_ha_zone_t;

/* Arm modes offered in Home Assistant (kb_ha_config_t.arm_modes). */
#define KB_HA_ARM_HOME 0x01u  /* stay (`s`) */
#define KB_HA_ARM_AWAY 0x02u  /* away (`w`) */
#define KB_HA_ARM_NIGHT 0x04u /* armed with no entry delay (`n`) */

/* Buttons for the keypad alarm keys (kb_ha_config_t.alarm_buttons). */
#define KB_HA_BTN_FIRE 0x01u  /* keypad fire alarm (`f`) */
#define KB_HA_BTN_AUX 0x02u   /* keypad auxiliary alarm (`a`) */
#define KB_HA_BTN_PANIC 0x04u /* keypad panic alarm (`p`) */

typedef struct {
  const char *prefix;     /* state/command topics: <prefix>/<device_id>/...; NULL = "keybus" */
  const char *discovery;  /* discovery prefix; NULL = "homeassistant" */
  const char *device_id;  /* [A-Za-z0-9_-], 1..KB_HA_ID_MAX: unique per panel on the broker */
  const char *name;       /* device name; NULL = "DSC panel" */
  const char *model;      /* NULL = "PowerSeries" */
  const char *sw_version; /* keybus's version (device and origin); NULL = omitted */
  uint8_t partitions;     /* bit p-1: partition p in use (0 = partition 1 only) */
  uint8_t arm_modes;      /* KB_HA_ARM_*; 0 = all three */
  uint8_t arm_without_code; /* 1: arming needs no code in HA (the panel's quick arm) */
  uint8_t n_zones;
  const kb_ha_zone_t *zones; /* n_zones entries, each zone once */
  /* Added for issue 8's later entities; all default to 0 (memset). */
  uint8_t no_zone_extras; /* 1: no zone alarm/bypass/tamper sensors (default: in) */
  uint8_t n_user_names;   /* entries of user_names, 0..KB_HA_USERS_MAX */
  const char *const *user_names; /* user_names[u-1]: name of access code u (40 =
                                    master), NULL = none ("User <u>", "Master") */
  uint16_t pgm_outputs;   /* bit n-1: PGM output n (1..14) as a binary sensor; 0 = none */
  uint8_t button_outputs; /* bit n-1: a button for command output n (1..4); 0 = none */
  uint8_t alarm_buttons;  /* KB_HA_BTN_*: fire/aux/panic buttons; 0 = none */
  uint8_t button_partition; /* partition the buttons act on; 0 = the lowest in use */
  uint8_t health_heap;    /* 1: the heap sensors too (frontends with a heap: ESP32) */
} kb_ha_config_t;

/* KB_OK, or KB_ERR_ARG for a device id or prefix outside the rules above
 * (MQTT wildcards, '/', too long), a name too long or not printable ASCII
 * or UTF-8 bytes, a zone out of range or twice, a class out of range. Every
 * writer below checks it first. */
kb_err_t kb_ha_config_check(const kb_ha_config_t *cfg);

/* One output message: the caller points topic/payload at its buffers and
 * gives their sizes; a writer fills them (NUL-terminated) and the lengths. */
typedef struct {
  char *topic;
  size_t topic_size, topic_len;
  char *payload;
  size_t payload_size, payload_len;
  bool retain;
} kb_ha_msg_t;

/* Fixed topics of the device. what: */
typedef enum {
  KB_HA_TOPIC_STATUS = 0, /* <prefix>/<id>/status: the broker connection (LWT:
                             retained "offline"; "online" once connected) */
  KB_HA_TOPIC_CONNECTED,  /* <prefix>/<id>/connected: keybus connected, "online"/"offline" */
  KB_HA_TOPIC_COMMAND,    /* <prefix>/<id>/command: JSON commands (subscribe) */
  KB_HA_TOPIC_RESULT,     /* <prefix>/<id>/result: command results (not retained) */
  KB_HA_TOPIC_HA_STATUS,  /* <discovery>/status: Home Assistant's birth/will (subscribe) */
  KB_HA_TOPIC_HEALTH,     /* <prefix>/<id>/health: JSON counters (kb_ha_health, retained) */
  KB_HA_TOPIC_COUNT
} kb_ha_topic_t;

/* Writes topic `what` into buf (size bytes); *len (may be NULL) gets its
 * length. KB_ERR_ARG (config, what), KB_ERR_FULL (does not fit). */
kb_err_t kb_ha_topic(const kb_ha_config_t *cfg, kb_ha_topic_t what, char *buf, size_t size,
                     size_t *len);

/* Number of entities of the configuration (0 when it is invalid). */
size_t kb_ha_entities(const kb_ha_config_t *cfg);

/* Entity i's discovery topic and document (retain = true). st may be NULL;
 * when given, its panel version (status.version) goes into the device block
 * (hw_version): re-announce on KB_EV_VERSION (kb_ha_mark says so), and an
 * entity it marks absent (kb_ha_present false) gets an empty payload.
 * KB_ERR_ARG (config, i out of range), KB_ERR_FULL. */
kb_err_t kb_ha_discovery(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st,
                         kb_ha_msg_t *m);

/* Entity i's state topic and payload from st (retain = true). A partition
 * whose state is unknown gets "None" (Home Assistant's "unknown"), so do a
 * status text, a last user or a panel time not known yet.
 * KB_ERR_ARG, KB_ERR_FULL; KB_ERR_NOT_READY (m's buffers empty) for an
 * entity without a retained state (kb_ha_has_state() false) or one st marks
 * absent (kb_ha_present() false): publish nothing. */
kb_err_t kb_ha_state(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st, kb_ha_msg_t *m);

/* False when st says the panel cannot report entity i (kb_status_t.absent,
 * zones_max, series; docs/home-assistant.md, "Classic panels"): then
 * kb_ha_discovery() writes an empty retained payload (Home Assistant
 * removes the entity, one retained from an earlier setup included) and
 * kb_ha_state() returns KB_ERR_NOT_READY (publish nothing); kb_ha_next_dirty()
 * skips it. True for every entity when st is NULL or a PowerSeries status.
 * False too for i out of range or an invalid config. */
bool kb_ha_present(const kb_ha_config_t *cfg, size_t i, const kb_status_t *st);

/* True when entity i has a retained state of its own (kb_ha_state writes
 * one); false for buttons, event entities, health sensors, and i out of
 * range or an invalid config. */
bool kb_ha_has_state(const kb_ha_config_t *cfg, size_t i);

/* The frontend's own counters for the health topic. An int64_t field of -1
 * (or below) means "not applicable here" and is left out of the payload
 * (Home Assistant then shows the sensor as unknown). */
typedef struct {
  uint32_t uptime_s;          /* since the frontend started */
  uint32_t last_frame_age_ms; /* kb_engine_frame_age_ms(); UINT32_MAX = no frame yet */
  uint32_t mqtt_dropped;      /* messages the publish queue had to drop */
  uint32_t mqtt_reconnects;   /* broker connections lost and made again */
  int64_t edges_lost;         /* edges the port lost (Linux GPIO sequence gaps) */
  int64_t heap_free;          /* bytes free now (ESP32) */
  int64_t heap_min_free;      /* lowest free bytes since start */
  int64_t heap_largest;       /* largest free block */
  int64_t alloc_failed;       /* allocations that failed */
  bool healthy;               /* the frontend's verdict: all is well */
} kb_ha_extra_t;

/* Sets every optional field of x to -1 and the rest to 0 (healthy false). */
void kb_ha_extra_init(kb_ha_extra_t *x);

/* The health message: topic <prefix>/<id>/health (retained), a JSON object
 * of the engine's counters (h) and the frontend's (x; may be NULL): see
 * docs/home-assistant.md, "Health". Publish it at announce and then
 * periodically (every 10-60 s); the health sensors read it. KB_ERR_ARG
 * (config, h NULL), KB_ERR_FULL (KB_HA_HEALTH_SIZE always suffices). */
kb_err_t kb_ha_health(const kb_ha_config_t *cfg, const kb_health_t *h, const kb_ha_extra_t *x,
                      kb_ha_msg_t *m);

/* The i-th (0-based) message of the event entities that engine event ev
 * produces: arm/disarm by user per partition, zone alarm/restore
 * (configured zones), panel log lines (live panel events), all not retained
 * (retain = false); a panel log line is followed by the same payload on the
 * last event sensor's topic, retained (retain = true: the one exception).
 * Payload {"event_type":"<type>",...}: docs/home-assistant.md,
 * "Event entities"; never an access code (user numbers only).
 * KB_ERR_NOT_READY when ev produces no i-th message (m's buffers empty);
 * KB_ERR_ARG (config, ev NULL), KB_ERR_FULL (KB_HA_EVENT_SIZE suffices).
 * st (may be NULL) adds the arm mode and names. Call it for i = 0, 1, ...
 * until it returns KB_ERR_NOT_READY. */
kb_err_t kb_ha_event_msg(const kb_ha_config_t *cfg, const kb_event_t *ev, const kb_status_t *st,
                         unsigned i, kb_ha_msg_t *m);

/* The alarm_control_panel state of a partition: "disarmed", "arming" (exit
 * delay), "pending" (entry delay), "armed_home" (stay), "armed_away",
 * "armed_night" (armed with no entry delay), "triggered" (alarm); NULL when
 * the partition's status is not known or it is not in use. */
const char *kb_ha_alarm_state(const kb_partition_t *p);

/* Dirty entities (bit i = entity i). */
typedef struct {
  uint32_t bits[(KB_HA_ENTITIES_MAX + 31) / 32];
} kb_ha_dirty_t;

/* What kb_ha_mark() asks besides the dirty states. */
#define KB_HA_MARK_ANNOUNCE 0x01u /* the device block changed (panel version) */

/* Marks the entities ev changes (call it from the engine's callback, then
 * kb_ha_next_dirty() once kb_bus_poll() returned, when the status is
 * complete). Returns KB_HA_MARK_* bits. KB_EV_SYNCED marks everything. */
unsigned kb_ha_mark(const kb_ha_config_t *cfg, const kb_event_t *ev, kb_ha_dirty_t *d);

/* The lowest dirty entity's state (kb_ha_state()) into m, and clears its
 * bit. Returns KB_OK, KB_ERR_NOT_READY when nothing is dirty, or
 * kb_ha_state()'s error (the bit is cleared: a message that cannot fit
 * never will). */
kb_err_t kb_ha_next_dirty(const kb_ha_config_t *cfg, const kb_status_t *st, kb_ha_dirty_t *d,
                          kb_ha_msg_t *m);

/* ------------------------------------------------------------ Commands */

typedef enum {
  KB_HA_ACT_NONE = 0,
  KB_HA_ACT_DISARM,
  KB_HA_ACT_ARM_HOME,
  KB_HA_ACT_ARM_AWAY,
  KB_HA_ACT_ARM_NIGHT,
  KB_HA_ACT_KEYS,     /* "keys": raw key presses */
  KB_HA_ACT_BYPASS,   /* "zones": [n, ...] */
  KB_HA_ACT_OUTPUT,   /* "output": 1..4 (command output) */
  KB_HA_ACT_SET_TIME, /* "time": "YYYY-MM-DD HH:MM" (or with a T) */
  KB_HA_ACT_FIRE,     /* keypad fire alarm key (`f`); no code */
  KB_HA_ACT_AUX,      /* keypad auxiliary alarm key (`a`); no code */
  KB_HA_ACT_PANIC,    /* keypad panic alarm key (`p`); no code */
  KB_HA_ACT_COUNT
} kb_ha_action_t;

/* Why a command was refused (kb_ha_parse_command); each has a stable name
 * (kb_ha_perr_name), published as the result's "detail". */
typedef enum {
  KB_HA_PERR_OK = 0,
  KB_HA_PERR_SIZE,      /* empty or longer than KB_HA_CMD_MAX */
  KB_HA_PERR_JSON,      /* not JSON, not one object, too many tokens, nesting */
  KB_HA_PERR_FIELD,     /* an unknown or repeated key */
  KB_HA_PERR_TYPE,      /* a value of the wrong type */
  KB_HA_PERR_PARTITION, /* partition missing or not 1..KB_MAX_PARTITIONS */
  KB_HA_PERR_ACTION,    /* unknown action, none, or both action and keys */
  KB_HA_PERR_CODE,      /* code not 4 or 6 digits, missing where needed, or given
                           to an alarm key (fire/aux/panic) */
  KB_HA_PERR_KEYS,      /* keys empty, too long or not printable */
  KB_HA_PERR_ZONES,     /* zones missing, empty, out of range, too many */
  KB_HA_PERR_OUTPUT,    /* output missing or not 1..4 */
  KB_HA_PERR_TIME,      /* time missing or not a valid date and time */
  KB_HA_PERR_ID,        /* id not a string or integer of at most KB_HA_CMD_ID_MAX
                           plain characters */
  KB_HA_PERR_COUNT
} kb_ha_perr_t;

const char *kb_ha_perr_name(kb_ha_perr_t e);

typedef struct {
  uint8_t action;    /* kb_ha_action_t */
  uint8_t partition; /* 1..KB_MAX_PARTITIONS */
  uint8_t output;    /* OUTPUT: 1..4 */
  uint8_t n_zones;   /* BYPASS */
  uint8_t zones[KB_HA_BYPASS_MAX];
  uint16_t year;     /* SET_TIME */
  uint8_t month, day, hour, minute;
  uint8_t id_kind;   /* 0 none, 1 string, 2 integer */
  char id[KB_HA_CMD_ID_MAX + 1];
  char keys[KB_KEYS_MAX + 1]; /* KEYS */
  char code[KB_KEYS_CODE_MAX + 1]; /* secret: "" = none; zero it with kb_ha_cmd_wipe */
} kb_ha_cmd_t;

/* Parses one command of len bytes (need not be NUL-terminated). On any
 * error *out holds no code (zeroed) and action NONE; its id is kept when it
 * was read, so the error result can name the command. */
kb_ha_perr_t kb_ha_parse_command(const char *json, size_t len, kb_ha_cmd_t *out);

/* Zeroes the command (its code included) in a way the compiler keeps. */
void kb_ha_cmd_wipe(kb_ha_cmd_t *c);

/* The keypad request of a parsed command (not SET_TIME): keys into buf (NUL
 * terminated), *code_out = the code to pass to kb_keys_submit (NULL when
 * the code is typed as the keys, i.e. disarm, or there is none). KB_ERR_ARG
 * for SET_TIME / NONE, KB_ERR_FULL when it does not fit. */
kb_err_t kb_ha_cmd_keys(const kb_ha_cmd_t *c, char *buf, size_t size, const char **code_out);

/* Queues the command on bus (kb_bus_keys_submit or kb_bus_set_time), then
 * wipes it (code included) whatever the outcome, all but its id, which the
 * result (kb_ha_result_json) still names. *id (may be NULL) gets the
 * request's id. Returns the submit's kb_err_t. */
KB_MUST_CHECK kb_err_t kb_ha_submit(kb_bus_t *bus, kb_ha_cmd_t *c, uint16_t *id);

/* ------------------------------------------------------------- Results */

/* The result word of a finished (or pending) keypad request: see the table
 * in docs/home-assistant.md. info may be NULL (then REJECTED is "rejected",
 * INVALID "invalid"). Never NULL. */
const char *kb_ha_result_word(kb_keys_result_t r, const kb_keys_info_t *info);

/* The result word of a submit error (KB_OK: "queued"). Never NULL. */
const char *kb_ha_err_word(kb_err_t e);

/* {"id":<id>,"result":"<word>"[,"detail":"<detail>"]} into buf: the id as
 * the command gave it (string or integer; omitted when it gave none). cmd
 * may be NULL; detail may be NULL. The code is never written. KB_ERR_ARG
 * (word NULL or not a plain word), KB_ERR_FULL. */
kb_err_t kb_ha_result_json(const kb_ha_cmd_t *cmd, const char *word, const char *detail,
                           char *buf, size_t size, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* KB_HA_H_ */
