/* SPDX-License-Identifier: MIT
 * kd_http.c - see kd_http.h. */
#define _DEFAULT_SOURCE
#include "kd_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kd_log.h"

struct kd_http {
  struct MHD_Daemon *mhd;
  kd_web_t *w;
  int port;
};

typedef struct {
  char *body;
  size_t len;
  bool too_large;
} conn_t;

typedef struct {
  kd_web_t *w;
  kd_web_stream_t s;
} stream_ctx_t;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char b[256];
  (void)cls;
  vsnprintf(b, sizeof b, fmt, ap);
  b[strcspn(b, "\r\n")] = 0;
  kd_log(KD_DEBUG, "http: libmicrohttpd: %s", b);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why) {
  conn_t *k = *con_cls;
  (void)cls, (void)c, (void)why;
  if (!k) return;
  if (k->body) {
    memset(k->body, 0, k->len); /* a body may hold a code or a password */
    free(k->body);
  }
  free(k);
  *con_cls = NULL;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
  stream_ctx_t *sc = cls;
  long n;
  (void)pos;
  n = kd_web_stream_read(sc->w, &sc->s, buf, max, KD_HTTP_KEEPALIVE_MS);
  if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return (ssize_t)n;
}

static void stream_free(void *cls) {
  stream_ctx_t *sc = cls;
  kd_web_stream_close(sc->w, &sc->s);
  free(sc);
}

static void common_headers(struct MHD_Response *resp) {
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                          "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

static enum MHD_Result queue_simple(struct MHD_Connection *c, int status, const char *json) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ret;
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", "application/json");
  common_headers(resp);
  ret = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  kd_http_t *h = cls;
  conn_t *k = *con_cls;
  kd_web_req_t q;
  kd_web_resp_t *r;
  struct MHD_Response *resp;
  enum MHD_Result ret;
  char client[INET6_ADDRSTRLEN + 1] = "?", query[KB_HA_CMD_ID_MAX + 8];
  (void)version;
  if (!k) {
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    k = calloc(1, sizeof *k);
    if (!k) return MHD_NO;
    *con_cls = k;
    /* a body announced too large is refused before it is read */
    if (cl && (strlen(cl) > 9 || strtoul(cl, NULL, 10) > KD_WEB_BODY_MAX))
      return queue_simple(c, 413, "{\"error\":\"too_large\"}");
    return MHD_YES;
  }
  if (*upload_size) {
    if (!k->too_large && k->len + *upload_size <= KD_WEB_BODY_MAX) {
      char *nb = realloc(k->body, k->len + *upload_size + 1);
      if (!nb) {
        k->too_large = true;
      } else {
        k->body = nb;
        memcpy(k->body + k->len, upload, *upload_size);
        k->len += *upload_size;
        k->body[k->len] = 0;
      }
    } else {
      k->too_large = true;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  memset(&q, 0, sizeof q);
  q.method = method;
  q.path = url;
  q.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  q.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
  q.csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
  q.if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
  q.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  q.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  {
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
    if (id && strlen(id) <= KB_HA_CMD_ID_MAX) {
      snprintf(query, sizeof query, "id=%s", id);
      q.query = query;
    }
  }
  q.body = k->body;
  q.body_len = k->len;
  q.body_too_large = k->too_large;
  {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
      const struct sockaddr *sa = ci->client_addr;
      if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client, sizeof client);
      else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client, sizeof client);
    }
  }
  q.client = client;
  q.now_ms = mono_ms();
  r = malloc(sizeof *r);
  if (!r) return MHD_NO;
  kd_web_handle(h->w, &q, r);
  if (r->stream) {
    stream_ctx_t *sc = calloc(1, sizeof *sc);
    if (!sc || !kd_web_stream_open(h->w, &sc->s)) {
      free(sc);
      free(r);
      return queue_simple(c, 503, "{\"error\":\"too_many_streams\"}");
    }
    sc->w = h->w;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, sc, stream_free);
    if (!resp) {
      stream_free(sc);
      free(r);
      return MHD_NO;
    }
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
  } else {
    resp = MHD_create_response_from_buffer(r->len, (void *)r->body, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
      free(r);
      return MHD_NO;
    }
  }
  MHD_add_response_header(resp, "Content-Type", r->type);
  for (int i = 0; i < r->nh; i++) MHD_add_response_header(resp, r->hname[i], r->hval[i]);
  common_headers(resp);
  ret = MHD_queue_response(c, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  free(r);
  return ret;
}

kd_http_t *kd_http_start(kd_web_t *w, const char *addr, int port) {
  struct addrinfo hints, *ai = NULL;
  char ps[16];
  int fd = -1, one = 1, rc;
  kd_http_t *h;
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | (strcmp(addr, "localhost") ? AI_NUMERICHOST : 0);
  snprintf(ps, sizeof ps, "%d", port);
  rc = getaddrinfo(strcmp(addr, "localhost") ? addr : "127.0.0.1", ps, &hints, &ai);
  if (rc != 0 || !ai) {
    kd_log(KD_ERROR, "http: cannot listen on %s:%d: %s", addr, port, gai_strerror(rc));
    return NULL;
  }
  fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 32) != 0) {
    kd_log(KD_ERROR, "http: cannot listen on %s:%d: %s (the web keypad is off; --http ADDR:PORT or [http] listen)",
           addr, port, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return NULL;
  }
  if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  freeaddrinfo(ai);
  h = calloc(1, sizeof *h);
  if (!h) {
    close(fd);
    return NULL;
  }
  {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    h->port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
      h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
  }
  h->w = w;
  h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)KD_HTTP_CONNECTIONS,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)KD_HTTP_MEMORY,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)KD_HTTP_TIMEOUT_S,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
  if (!h->mhd) {
    kd_log(KD_ERROR, "http: libmicrohttpd did not start on %s:%d", addr, port);
    close(fd);
    free(h);
    return NULL;
  }
  return h;
}

int kd_http_port(kd_http_t *h) { return h ? h->port : 0; }

void kd_http_stop(kd_http_t *h) {
  if (!h) return;
  kd_web_close(h->w);
  MHD_stop_daemon(h->mhd);
  free(h);
}
