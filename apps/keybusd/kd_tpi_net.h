/* SPDX-License-Identifier: MIT
 *
 * kd_tpi_net.h - the sockets of keybusd --tpi: one listening TCP socket and
 * up to KD_TPI_CLIENTS clients, all non-blocking, served by kd_tpi_net_step()
 * from the daemon's task loop (poll with a zero timeout: the Keybus task never
 * waits for a client). The protocol is kd_tpi.h's; this file only moves bytes
 * and writes the log lines (never a code or the password).
 *
 * A client that does not read its output (KD_TPI_OUT_MAX bytes waiting) is
 * dropped; reads are bounded per step, so a flood costs one bounded step.
 * TCP_NODELAY is set and each step writes every waiting whole line in one
 * send(), so lines are not split across segments (pyenvisalink 4.x needs it).
 *
 * Who calls it: keybusd's main thread only.
 */
#ifndef KD_TPI_NET_H_
#define KD_TPI_NET_H_

#include <stdint.h>

#include "kd_tpi.h"

typedef struct kd_tpi_net kd_tpi_net_t;

/* Listens on addr:port (IPv4/IPv6 literal or "localhost"; port 0 = the
 * kernel's choice) for t. NULL when it cannot (logged). */
kd_tpi_net_t *kd_tpi_net_start(kd_tpi_t *t, const char *addr, int port);
/* The port it listens on. */
int kd_tpi_net_port(const kd_tpi_net_t *n);
/* Accepts, reads, writes and closes what is due; now_ms monotonic. Bounded
 * work; never blocks. */
void kd_tpi_net_step(kd_tpi_net_t *n, uint64_t now_ms);
/* Closes every socket, frees n (NULL is fine). */
void kd_tpi_net_stop(kd_tpi_net_t *n);

#endif
