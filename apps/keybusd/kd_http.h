/* SPDX-License-Identifier: MIT
 *
 * kd_http.h - the web keypad's server: libmicrohttpd (Debian's
 * libmicrohttpd-dev) in front of kd_web.h, on its own threads (one that
 * accepts, one per connection), so nothing a browser does ever holds up the
 * Keybus task.
 *
 * Why libmicrohttpd: a C library packaged by Debian for years (systemd's
 * journal-remote serves with it), HTTP only (no file serving, CGI or
 * scripting to switch off), with the limits this needs built in (connection
 * count, per-connection memory that bounds the request line and headers,
 * timeouts) and a callback response that suits Server-Sent Events.
 *
 * Limits: KD_HTTP_CONNECTIONS connections, KD_HTTP_MEMORY bytes of request
 * line + headers per connection (more: libmicrohttpd answers 431/414),
 * bodies of KD_WEB_BODY_MAX bytes (more: 413), idle connections closed
 * after KD_HTTP_TIMEOUT_S (streams send a comment every 15 s).
 *
 * Who calls it: the daemon's main thread (start, stop).
 */
#ifndef KD_HTTP_H_
#define KD_HTTP_H_

#include "kd_web.h"

#define KD_HTTP_CONNECTIONS 64
#define KD_HTTP_MEMORY 16384
#define KD_HTTP_TIMEOUT_S 60
#define KD_HTTP_KEEPALIVE_MS 15000

typedef struct kd_http kd_http_t;

/* Listens on addr:port (an IPv4 or IPv6 literal or "localhost") and serves
 * w. NULL when it cannot (logged: the address is in use, not an address). */
kd_http_t *kd_http_start(kd_web_t *w, const char *addr, int port);
/* The port it listens on (the one asked, or the kernel's choice for 0). */
int kd_http_port(kd_http_t *h);
/* Ends every stream, stops the threads, frees h. */
void kd_http_stop(kd_http_t *h);

#endif
