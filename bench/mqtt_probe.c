/* SPDX-License-Identifier: MIT */
/* mqtt_probe.c - the keybusd bench's subscriber in C (libmosquitto): stamps
 * every message with CLOCK_MONOTONIC as libmosquitto hands it over, in the
 * format of tests/broker/kbmqtt.py record (one JSON line per message:
 * {"t": ns, "topic": T, "retain": 0|1, "payload": latin-1 text}), so
 * bench/keybusd_latency.py reads either. Why C: the latency figure the bench
 * judges (goal p99 <= 2 ms) includes the subscriber, and the Python one adds
 * an interpreter's wake-up and jitter to a sub-millisecond path.
 *
 *   mqtt_probe PORT OUTFILE TOPIC...   (host 127.0.0.1; runs until SIGTERM)
 *
 * It writes {"t": ns, "event": "connected"} once subscribed, which the
 * bench waits for. Host tool, POSIX + libmosquitto; not part of keybus. */
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop;
static FILE *g_out;
static int g_ntopics;
static char **g_topics;

static void on_signal(int s) {
  (void)s;
  g_stop = 1;
}

static unsigned long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* a JSON string of n bytes read as latin-1 (what kbmqtt.py writes) */
static void put_str(const unsigned char *p, size_t n) {
  fputc('"', g_out);
  for (size_t i = 0; i < n; i++) {
    unsigned c = p[i];
    if (c == '"' || c == '\\') fprintf(g_out, "\\%c", (int)c);
    else if (c < 0x20 || c >= 0x7f) fprintf(g_out, "\\u%04x", c);
    else fputc((int)c, g_out);
  }
  fputc('"', g_out);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
  unsigned long long t = mono_ns(); /* first: the stamp is the figure */
  (void)m;
  (void)obj;
  fprintf(g_out, "{\"t\": %llu, \"topic\": ", t);
  put_str((const unsigned char *)msg->topic, strlen(msg->topic));
  fprintf(g_out, ", \"retain\": %d, \"payload\": ", msg->retain ? 1 : 0);
  put_str(msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0);
  fputs("}\n", g_out);
  fflush(g_out);
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
  (void)obj;
  if (rc != 0) return;
  for (int i = 0; i < g_ntopics; i++) mosquitto_subscribe(m, NULL, g_topics[i], 0);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos) {
  (void)m;
  (void)obj;
  (void)mid;
  (void)n;
  (void)qos;
  fprintf(g_out, "{\"t\": %llu, \"event\": \"connected\"}\n", mono_ns());
  fflush(g_out);
}

int main(int argc, char **argv) {
  struct mosquitto *m;
  struct sigaction sa;
  int port;
  if (argc < 4) {
    fprintf(stderr, "usage: mqtt_probe PORT OUTFILE TOPIC...\n");
    return 2;
  }
  port = atoi(argv[1]);
  g_out = fopen(argv[2], "a");
  if (!g_out) {
    perror(argv[2]);
    return 1;
  }
  g_topics = argv + 3;
  g_ntopics = argc - 3;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: the loop's wait ends at once */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  mosquitto_lib_init();
  m = mosquitto_new(NULL, true, NULL);
  if (!m) return 1;
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  mosquitto_message_callback_set(m, on_message);
  while (!g_stop && mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
    struct timespec d = {0, 100000000L};
    nanosleep(&d, NULL);
  }
  while (!g_stop) {
    if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS && !g_stop) {
      struct timespec d = {0, 100000000L};
      nanosleep(&d, NULL);
      mosquitto_reconnect(m);
    }
  }
  mosquitto_disconnect(m);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
  fclose(g_out);
  return 0;
}
