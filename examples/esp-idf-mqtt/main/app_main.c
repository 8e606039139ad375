/* SPDX-License-Identifier: MIT
 *
 * app_main.c - keybus example for ESP-IDF 5.x / 6.x: one DSC panel in Home
 * Assistant over MQTT, the same contract as keybusd (docs/home-assistant.md).
 *
 * Tasks and who owns what
 *   keybus task  (the component, ports/esp-idf): decodes the bus; its
 *                callbacks (bus lock held) only mark dirty entities and queue
 *                event messages and results in the bridge (kbm_bridge.c), then
 *                wake the publisher. It never touches esp-mqtt, whose API lock
 *                can be held for seconds by a connect.
 *   kbm_pub      (this file, static stack): kbm_pump(): takes the next message
 *                under the locks, releases them, hands it to
 *                esp_mqtt_client_enqueue() (never waits for the network; -2,
 *                the outbox at CONFIG_KBM_OUTBOX_LIMIT, keeps it for later).
 *   esp-mqtt     (its own task): connection events and commands
 *                (kbm_inbound: parsed there, then kbe_lock, submit, unlock).
 *   Lock order everywhere: the bus lock (kbe_lock), then the bridge's mutex.
 *
 * Memory: the bridge, the publisher's stack and TCB and the mutex are
 * static. The heap is taken at init only, by ESP-IDF's own create calls (NVS,
 * netif, Wi-Fi, the event loop, esp_mqtt_client_init and its buffers) -
 * and later by esp-mqtt's outbox, which copies each enqueued message until
 * it is written: capped by outbox.limit (CONFIG_KBM_OUTBOX_LIMIT bytes), and
 * the heap is in the health message (heap_free, heap_min_free,
 * heap_largest, alloc_failed).
 *
 * Panel clock (CONFIG_KBM_SYNC_TIME, kbm_clock.c): SNTP (esp_netif_sntp)
 * sets the wall clock, CONFIG_KBM_TZ (a POSIX TZ string) makes it local
 * time; the publisher checks once a second, with the bus lock (kbe_lock)
 * held, whether to type the panel's set-time request; nothing is decided
 * before SNTP's first sync.
 *
 * Secrets: the Wi-Fi and MQTT passwords come from menuconfig and go to the
 * drivers only; a command's access code and the clock's *6 code (menuconfig
 * or NVS) never reach a log line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "esp_app_desc.h"
#include "esp_err.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "mqtt_client.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

#include "kbm_bridge.h"
#include "kbm_clock.h"
#include "keybus_esp.h"

/* Every menuconfig value has its default here too, so that the file also
 * builds where main/Kconfig.projbuild was not read (the compile checks). */
#ifndef CONFIG_KBM_WIFI_SSID
#define CONFIG_KBM_WIFI_SSID ""
#endif
#ifndef CONFIG_KBM_WIFI_PASSWORD
#define CONFIG_KBM_WIFI_PASSWORD ""
#endif
#ifndef CONFIG_KBM_BROKER_URI
#define CONFIG_KBM_BROKER_URI "mqtt://homeassistant.local:1883"
#endif
#ifndef CONFIG_KBM_MQTT_USER
#define CONFIG_KBM_MQTT_USER ""
#endif
#ifndef CONFIG_KBM_MQTT_PASSWORD
#define CONFIG_KBM_MQTT_PASSWORD ""
#endif
#ifndef CONFIG_KBM_DEVICE_ID
#define CONFIG_KBM_DEVICE_ID "dsc"
#endif
#ifndef CONFIG_KBM_TOPIC_PREFIX
#define CONFIG_KBM_TOPIC_PREFIX "keybus"
#endif
#ifndef CONFIG_KBM_DISCOVERY_PREFIX
#define CONFIG_KBM_DISCOVERY_PREFIX "homeassistant"
#endif
#ifndef CONFIG_KBM_PARTITIONS
#define CONFIG_KBM_PARTITIONS 1
#endif
#ifndef CONFIG_KBM_ZONES
#define CONFIG_KBM_ZONES 8
#endif
#ifndef CONFIG_KBM_OUTBOX_LIMIT
#define CONFIG_KBM_OUTBOX_LIMIT 16384
#endif
#ifndef CONFIG_KBM_PUBLISHER_STACK
#define CONFIG_KBM_PUBLISHER_STACK 4096
#endif
#ifndef CONFIG_KBM_PUBLISHER_PRIORITY
#define CONFIG_KBM_PUBLISHER_PRIORITY 4
#endif
/* CONFIG_KBM_SYNC_TIME is a bool: defined (1) when on, absent when off */
#ifndef CONFIG_KBM_SNTP_SERVER
#define CONFIG_KBM_SNTP_SERVER "pool.ntp.org"
#endif
#ifndef CONFIG_KBM_TZ
#define CONFIG_KBM_TZ "UTC0"
#endif
#ifndef CONFIG_KBM_SYNC_TIME_PARTITION
#define CONFIG_KBM_SYNC_TIME_PARTITION 1
#endif
#ifndef CONFIG_KBM_SYNC_TIME_CODE
#define CONFIG_KBM_SYNC_TIME_CODE ""
#endif
#ifdef CONFIG_KBM_SYNC_TIME
#define KBM_SYNC_TIME_ON 1
#else
#define KBM_SYNC_TIME_ON 0
#endif

#if CONFIG_KBM_ZONES < 0 || CONFIG_KBM_ZONES > KB_MAX_ZONES
#error "CONFIG_KBM_ZONES must be 0..KB_MAX_ZONES"
#endif
#if CONFIG_KBM_SYNC_TIME_PARTITION < 1 || CONFIG_KBM_SYNC_TIME_PARTITION > KB_MAX_PARTITIONS
#error "CONFIG_KBM_SYNC_TIME_PARTITION must be 1..KB_MAX_PARTITIONS"
#endif

/* The clock's *6 code in NVS (namespace, key: a string of 4 or 6 digits)
 * wins over CONFIG_KBM_SYNC_TIME_CODE: the firmware image then holds none */
#define KBM_NVS_NAMESPACE "keybus"
#define KBM_NVS_TIME_CODE "time_code"

#define KBM_BUS_WAIT_MS 100   /* a command or the publisher waits this long for the bus */
#define KBM_PUMP_PERIOD_MS 100 /* the publisher's tick: retries, periodic health */

static const char *TAG = "keybus-mqtt";

static kbm_bridge_t s_bridge;
static kb_ha_zone_t s_zones[KB_MAX_ZONES];
static SemaphoreHandle_t s_mutex;
static StaticSemaphore_t s_mutex_buf;
static TaskHandle_t s_pub;
static StaticTask_t s_pub_tcb;
static StackType_t s_pub_stack[CONFIG_KBM_PUBLISHER_STACK / sizeof(StackType_t)];
static esp_mqtt_client_handle_t s_mqtt;
static bool s_wifi_up;
static kbm_clock_t s_clock;         /* off (partition 0) unless clock_init() accepts the settings */
static volatile bool s_sntp_synced; /* set by SNTP's first sync; never cleared */

/* ------------------------------------------------------ the bridge's platform */

static kbm_pub_t io_publish(void *ctx, const char *topic, const char *payload, size_t len, bool retain) {
  int r;
  (void)ctx;
  if (!s_mqtt) return KBM_PUB_FAIL;
  /* QoS 0, store: the MQTT task writes it; -2 = the outbox is at its limit */
  r = esp_mqtt_client_enqueue(s_mqtt, topic, payload, (int)len, 0, retain ? 1 : 0, true);
  if (r == -2) return KBM_PUB_FULL;
  return r < 0 ? KBM_PUB_FAIL : KBM_PUB_OK;
}

static kb_bus_t *io_bus_lock(void *ctx, bool *running) {
  (void)ctx;
  *running = kbe_state() == KBE_RUNNING;
  return *running ? kbe_lock(KBM_BUS_WAIT_MS) : NULL;
}

static void io_bus_unlock(void *ctx) {
  (void)ctx;
  kbe_unlock();
}

static void io_lock(void *ctx) {
  (void)ctx;
  xSemaphoreTake(s_mutex, portMAX_DELAY); /* held for a copy, never across a call out */
}

static void io_unlock(void *ctx) {
  (void)ctx;
  xSemaphoreGive(s_mutex);
}

static void io_health(void *ctx, kb_health_t *h, kb_ha_extra_t *x) {
  static kbe_health_t eh; /* the publisher's only: off its stack */
  kb_bus_t *bus;
  (void)ctx;
  kbe_health(&eh);
  *h = eh.bus;
  x->uptime_s = eh.uptime_s;
  x->heap_free = eh.heap_free;
  x->heap_min_free = eh.heap_min_free;
  x->heap_largest = eh.heap_largest;
  x->alloc_failed = eh.alloc_failed;
  x->healthy = eh.healthy; /* the component's one definition (kbe_healthy) */
  if (kbe_state() == KBE_RUNNING && (bus = kbe_lock(KBM_BUS_WAIT_MS)) != NULL) {
    x->last_frame_age_ms = kb_bus_frame_age_ms(bus);
    kbe_unlock();
  }
}

static void io_log(void *ctx, kbm_level_t level, const char *line) {
  (void)ctx;
  if (level == KBM_LOG_ERROR) ESP_LOGE(TAG, "%s", line);
  else if (level == KBM_LOG_WARNING) ESP_LOGW(TAG, "%s", line);
  else ESP_LOGI(TAG, "%s", line);
}

static uint32_t io_now_ms(void *ctx) {
  (void)ctx;
  return (uint32_t)(esp_timer_get_time() / 1000);
}

static bool ok(const char *what, esp_err_t e);

/* --------------------------------------------------------- keybus callbacks */

/* keybus task, bus lock held: mark, queue, wake the publisher (never block) */
static void on_event(void *ctx, const kb_event_t *ev) {
  kbm_on_event(ctx, ev);
  kbm_clock_on_event(&s_clock, ev); /* notes a key or the panel's time report */
  if (s_pub) xTaskNotifyGive(s_pub);
}

static void on_keys(void *ctx, const kb_keys_note_t *n) {
  /* the clock's set-time request: its own, no command result */
  if (kbm_clock_on_keys(&s_clock, n)) return;
  kbm_on_keys(ctx, n);
  if (n->type == KB_KEYS_NOTE_END && s_pub) xTaskNotifyGive(s_pub);
}

static void publisher(void *arg) {
  kbm_stats_t st;
  bool told = false;
  (void)arg;
  for (;;) {
    (void)ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(KBM_PUMP_PERIOD_MS));
    (void)kbm_pump(&s_bridge, 0);
    kbm_clock_step(&s_clock); /* once a second; nothing when the clock is off */
    kbm_stats(&s_bridge, &st);
    if (!told && st.published > 0) {
      /* once the first announce went out: how much of the stack it needed */
      told = true;
      ESP_LOGI(TAG, "publisher: %u bytes of its stack never used", (unsigned)uxTaskGetStackHighWaterMark(NULL));
    }
  }
}

/* ------------------------------------------------------------ panel clock */

/* the wall clock, once SNTP has set it (before: 1970, or whatever the RTC
 * kept across a reset: not trusted) */
static bool clk_wall(void *ctx, int64_t *epoch_s) {
  struct timeval tv;
  (void)ctx;
  if (!s_sntp_synced || gettimeofday(&tv, NULL) != 0) return false;
  *epoch_s = (int64_t)tv.tv_sec;
  return true;
}

/* local time under TZ (CONFIG_KBM_TZ): newlib/picolibc apply the POSIX
 * rule, so a DST change moves it by an hour, which the clock then sets */
static bool clk_local(void *ctx, int64_t epoch_s, kb_clock_tm_t *out) {
  time_t t = (time_t)epoch_s;
  struct tm lt;
  (void)ctx;
  if (!localtime_r(&t, &lt)) return false;
  *out = KB_CLOCK_TM(&lt);
  return true;
}

static int64_t clk_mono_s(void *ctx) {
  (void)ctx;
  return esp_timer_get_time() / 1000000;
}

/* lwIP's task, at every SNTP sync: only a flag (the clock logs the time) */
static void on_sntp(struct timeval *tv) {
  (void)tv;
  s_sntp_synced = true;
}

/* The *6 code: NVS first, then menuconfig. Into out (size bytes); *from
 * names where it came from, for the log (the code itself never is). */
static void clock_code(char *out, size_t size, const char **from) {
  nvs_handle_t h;
  size_t n = size;
  if (nvs_open(KBM_NVS_NAMESPACE, NVS_READONLY, &h) == ESP_OK) {
    esp_err_t e = nvs_get_str(h, KBM_NVS_TIME_CODE, out, &n);
    nvs_close(h);
    if (e == ESP_OK && out[0]) {
      *from = "NVS " KBM_NVS_NAMESPACE "/" KBM_NVS_TIME_CODE;
      return;
    }
  }
  n = strlen(CONFIG_KBM_SYNC_TIME_CODE);
  if (n >= size) n = size - 1; /* too long: refused by kbm_clock_init as not 4/6 digits */
  memcpy(out, CONFIG_KBM_SYNC_TIME_CODE, n);
  out[n] = 0;
  *from = "menuconfig";
}

/* Before the keybus starts: the zone, the code, the clock's state. */
static void clock_init(void) {
  kbm_clock_io_t io = {clk_wall, clk_local, clk_mono_s, io_bus_lock, io_bus_unlock, io_log, NULL};
  char code[KB_KEYS_CODE_MAX + 2];
  const char *from = "menuconfig";
  const char *tz = CONFIG_KBM_TZ[0] ? CONFIG_KBM_TZ : "UTC0";
  kb_err_t e;
  if (!KBM_SYNC_TIME_ON) return;
  setenv("TZ", tz, 1);
  tzset();
  memset(code, 0, sizeof code);
  clock_code(code, sizeof code, &from);
  e = kbm_clock_init(&s_clock, &io, (uint8_t)CONFIG_KBM_SYNC_TIME_PARTITION, code);
  memset(code, 0, sizeof code);
  if (e != KB_OK) {
    ESP_LOGE(TAG, "panel clock: off (%s): the *6 code (from %s) must be 4 or 6 digits", kb_err_name(e), from);
    return;
  }
  ESP_LOGI(TAG, "panel clock: kept on SNTP time (%s, TZ \"%s\") on partition %u, the *6 code from %s",
           CONFIG_KBM_SNTP_SERVER, tz, (unsigned)CONFIG_KBM_SYNC_TIME_PARTITION, from);
}

/* After esp_netif_init: SNTP polls the server (every
 * CONFIG_LWIP_SNTP_UPDATE_DELAY ms) once the network is up. */
static void sntp_start(void) {
  esp_sntp_config_t sc = ESP_NETIF_SNTP_DEFAULT_CONFIG(CONFIG_KBM_SNTP_SERVER);
  sc.sync_cb = on_sntp;
  sc.wait_for_sync = false; /* nobody waits: the clock checks the flag */
  if (!ok("sntp", esp_netif_sntp_init(&sc))) ESP_LOGE(TAG, "panel clock: no SNTP, so the panel clock is never set");
}

/* ------------------------------------------------------------------- MQTT */

static void on_mqtt(void *arg, esp_event_base_t base, int32_t id, void *data) {
  esp_mqtt_event_handle_t ev = data;
  (void)arg;
  (void)base;
  switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_CONNECTED:
      if (esp_mqtt_client_subscribe_single(ev->client, s_bridge.t_command, 0) < 0 ||
          esp_mqtt_client_subscribe_single(ev->client, s_bridge.t_ha_status, 0) < 0)
        ESP_LOGW(TAG, "mqtt: subscribing failed: commands may not arrive until the next connection");
      kbm_mqtt_connected(&s_bridge, true);
      xTaskNotifyGive(s_pub);
      break;
    case MQTT_EVENT_DISCONNECTED:
      kbm_mqtt_connected(&s_bridge, false);
      break;
    case MQTT_EVENT_DATA:
      /* a long payload comes in pieces: the bridge answers the first one */
      kbm_inbound(&s_bridge, ev->topic, ev->topic ? (size_t)ev->topic_len : 0, ev->data,
                  ev->data_len > 0 ? (size_t)ev->data_len : 0, ev->total_data_len > 0 ? (size_t)ev->total_data_len : 0,
                  ev->current_data_offset > 0 ? (size_t)ev->current_data_offset : 0, ev->retain);
      xTaskNotifyGive(s_pub);
      break;
    default:
      break;
  }
}

static bool mqtt_start(void) {
  esp_mqtt_client_config_t mc;
  memset(&mc, 0, sizeof mc);
  mc.broker.address.uri = CONFIG_KBM_BROKER_URI;
  if (CONFIG_KBM_MQTT_USER[0]) mc.credentials.username = CONFIG_KBM_MQTT_USER;
  if (CONFIG_KBM_MQTT_PASSWORD[0]) mc.credentials.authentication.password = CONFIG_KBM_MQTT_PASSWORD;
  mc.credentials.client_id = CONFIG_KBM_DEVICE_ID;
  /* the broker says "offline" for us when we vanish; "online" is the first
   * message of every announce */
  mc.session.last_will.topic = s_bridge.t_status;
  mc.session.last_will.msg = "offline";
  mc.session.last_will.msg_len = 7;
  mc.session.last_will.qos = 1;
  mc.session.last_will.retain = 1;
  /* a discovery document and its topic in one buffer; a command in the other */
  mc.buffer.size = 1024;
  mc.buffer.out_size = KB_HA_DOC_SIZE + KB_HA_TOPIC_SIZE + 16;
  mc.outbox.limit = CONFIG_KBM_OUTBOX_LIMIT;
  s_mqtt = esp_mqtt_client_init(&mc);
  if (!s_mqtt) {
    ESP_LOGE(TAG, "mqtt: esp_mqtt_client_init failed (broker URI \"%s\"?)", CONFIG_KBM_BROKER_URI);
    return false;
  }
  if (esp_mqtt_client_register_event(s_mqtt, MQTT_EVENT_ANY, on_mqtt, NULL) != ESP_OK ||
      esp_mqtt_client_start(s_mqtt) != ESP_OK) {
    ESP_LOGE(TAG, "mqtt: the client did not start");
    return false;
  }
  return true;
}

/* ------------------------------------------------------------------ Wi-Fi */

static void on_net(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  (void)data;
  if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
    (void)esp_wifi_connect();
  } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
    /* said once per loss, not per retry (no access point: every few s) */
    if (s_wifi_up) ESP_LOGW(TAG, "wifi: connection lost, reconnecting");
    s_wifi_up = false;
    (void)esp_wifi_connect();
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    const ip_event_got_ip_t *ip = data;
    s_wifi_up = true;
    ESP_LOGI(TAG, "wifi: connected, address " IPSTR, IP2STR(&ip->ip_info.ip));
  }
}

static void copy(uint8_t *dst, size_t size, const char *src) {
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

static esp_err_t wifi_start(void) {
  wifi_init_config_t wic = WIFI_INIT_CONFIG_DEFAULT();
  wifi_config_t wc;
  esp_err_t e;
  if (!CONFIG_KBM_WIFI_SSID[0]) {
    ESP_LOGE(TAG, "wifi: no SSID configured (idf.py menuconfig, \"keybus MQTT example\")");
    return ESP_ERR_INVALID_ARG;
  }
  if (!esp_netif_create_default_wifi_sta()) return ESP_FAIL;
  if ((e = esp_wifi_init(&wic)) != ESP_OK) return e;
  if ((e = esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_net, NULL, NULL)) != ESP_OK ||
      (e = esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_net, NULL, NULL)) != ESP_OK)
    return e;
  memset(&wc, 0, sizeof wc);
  copy(wc.sta.ssid, sizeof wc.sta.ssid, CONFIG_KBM_WIFI_SSID);
  copy(wc.sta.password, sizeof wc.sta.password, CONFIG_KBM_WIFI_PASSWORD);
  wc.sta.threshold.authmode = CONFIG_KBM_WIFI_PASSWORD[0] ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
  if ((e = esp_wifi_set_mode(WIFI_MODE_STA)) != ESP_OK || (e = esp_wifi_set_config(WIFI_IF_STA, &wc)) != ESP_OK ||
      (e = esp_wifi_start()) != ESP_OK)
    return e;
  return ESP_OK;
}

/* ---------------------------------------------------------------- startup */

/* a failed step is said once with its error's name; the caller decides */
static bool ok(const char *what, esp_err_t e) {
  if (e == ESP_OK) return true;
  ESP_LOGE(TAG, "%s: %s", what, esp_err_to_name(e));
  return false;
}

static bool bridge_init(void) {
  kb_ha_config_t ha;
  kbm_io_t io = {io_publish, io_bus_lock, io_bus_unlock, io_lock, io_unlock,
                 io_health,  io_log,      io_now_ms,     NULL};
  kb_err_t e;
  memset(&ha, 0, sizeof ha);
  ha.prefix = CONFIG_KBM_TOPIC_PREFIX;
  ha.discovery = CONFIG_KBM_DISCOVERY_PREFIX;
  ha.device_id = CONFIG_KBM_DEVICE_ID;
  ha.sw_version = esp_app_get_description()->version;
  ha.partitions = (uint8_t)CONFIG_KBM_PARTITIONS;
  for (int z = 0; z < CONFIG_KBM_ZONES; z++) {
    s_zones[z].zone = (uint8_t)(z + 1);
    s_zones[z].dev_class = KB_HA_CLASS_OPENING;
    s_zones[z].name = NULL; /* "Zone <n>": rename them in Home Assistant */
  }
  ha.n_zones = (uint8_t)CONFIG_KBM_ZONES;
  ha.zones = s_zones;
  ha.health_heap = 1; /* the heap sensors: this frontend has a heap */
  s_mutex = xSemaphoreCreateMutexStatic(&s_mutex_buf);
  if ((e = kbm_init(&s_bridge, &ha, &io)) != KB_OK) {
    ESP_LOGE(TAG, "the Home Assistant settings are refused (%s): device id 1-%d of A-Z a-z 0-9 _ -, "
             "prefixes without + or #", kb_err_name(e), KB_HA_ID_MAX);
    return false;
  }
  return true;
}

void app_main(void) {
  kbe_config_t kc;
  esp_err_t e;
  bool net;

  /* NVS (Wi-Fi keeps its calibration there): a full or newer-format
   * partition is erased once, as ESP-IDF's examples do */
  e = nvs_flash_init();
  if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    if (ok("nvs_flash_erase", nvs_flash_erase())) e = nvs_flash_init();
  }
  (void)ok("nvs_flash_init", e);

  if (!bridge_init()) return;
  clock_init();

  /* the bus first: it never waits for the network */
  kbe_config_default(&kc);
  kc.bus.event_cb = on_event;
  kc.bus.event_ctx = &s_bridge;
  kc.bus.keys_cb = on_keys;
  kc.bus.keys_ctx = &s_bridge;
  kc.poll_cb = kbm_on_poll;
  kc.poll_ctx = &s_bridge;
  if (kbe_start(&kc) != ESP_OK)
    ESP_LOGE(TAG, "keybus: %s (the device still reports to Home Assistant: see its health)", kbe_failure());

  s_pub = xTaskCreateStatic(publisher, "kbm_pub", sizeof s_pub_stack / sizeof s_pub_stack[0], NULL,
                            CONFIG_KBM_PUBLISHER_PRIORITY, s_pub_stack, &s_pub_tcb);

  net = ok("esp_netif_init", esp_netif_init()) && ok("esp_event_loop_create_default", esp_event_loop_create_default()) &&
        ok("wifi", wifi_start());
  if (!net) {
    ESP_LOGE(TAG, "no network: the keybus runs, nothing is published");
    return;
  }
  if (s_clock.partition) sntp_start();
  (void)mqtt_start();
}
