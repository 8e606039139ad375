/* SPDX-License-Identifier: MIT
 * kd_tpi_net.c - see kd_tpi_net.h. */
#define _DEFAULT_SOURCE
#include "kd_tpi_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kd_log.h"

#define READ_PER_STEP 4096 /* bytes read from one client per step */

struct kd_tpi_net {
  kd_tpi_t *t;
  int lfd;
  int port;
  int fd[KD_TPI_CLIENTS]; /* by kd_tpi slot, -1 = none */
  char addr[KD_TPI_CLIENTS][64];
};

static void nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

kd_tpi_net_t *kd_tpi_net_start(kd_tpi_t *t, const char *addr, int port) {
  struct addrinfo hints, *ai = NULL;
  char ps[16];
  int fd = -1, one = 1, rc;
  kd_tpi_net_t *n;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  snprintf(ps, sizeof ps, "%d", port);
  rc = getaddrinfo(addr, ps, &hints, &ai);
  if (rc != 0 || !ai) {
    kd_log(KD_ERROR, "tpi: cannot listen on %s:%d: %s", addr, port, gai_strerror(rc));
    return NULL;
  }
  fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 8) != 0) {
    kd_log(KD_ERROR, "tpi: cannot listen on %s:%d: %s", addr, port, strerror(errno));
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return NULL;
  }
  freeaddrinfo(ai);
  nonblock(fd);
  n = calloc(1, sizeof *n);
  if (!n) {
    close(fd);
    return NULL;
  }
  n->t = t;
  n->lfd = fd;
  for (int i = 0; i < KD_TPI_CLIENTS; i++) n->fd[i] = -1;
  {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    n->port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
      n->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  }
  return n;
}

int kd_tpi_net_port(const kd_tpi_net_t *n) { return n ? n->port : 0; }

static void drop(kd_tpi_net_t *n, int slot, const char *why) {
  if (why) kd_log(KD_INFO, "tpi: client %d (%s) %s", slot, n->addr[slot], why);
  close(n->fd[slot]);
  n->fd[slot] = -1;
  kd_tpi_disconnect(n->t, slot);
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t size) {
  char h[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, h, sizeof h);
  else if (ss->ss_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, h, sizeof h);
  snprintf(out, size, "%s", h);
}

/* Clients whose peer has closed, found now rather than at the next step:
 * pyenvisalink 5.x closes its probe connection and connects again at once,
 * and in one-client mode the probe must not hold the slot (docs/tpi.md). */
static void reap(kd_tpi_net_t *n) {
  for (int i = 0; i < KD_TPI_CLIENTS; i++) {
    char b;
    ssize_t r;
    if (n->fd[i] < 0) continue;
    r = recv(n->fd[i], &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) drop(n, i, NULL);
  }
}

static void accept_all(kd_tpi_net_t *n, uint64_t now_ms) {
  for (int k = 0; k < 8; k++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char peer[64];
    int one = 1, slot;
    int fd = accept(n->lfd, (struct sockaddr *)&ss, &sl);
    if (fd < 0) return;
    peer_text(&ss, peer, sizeof peer);
    slot = kd_tpi_connect(n->t, peer, now_ms);
    if (slot < 0) {
      reap(n);
      slot = kd_tpi_connect(n->t, peer, now_ms);
    }
    if (slot < 0 || n->fd[slot] >= 0) {
      /* as a real Envisalink does to a second client: closed at once
       * (a reset, which pyenvisalink reports as "another client") */
      struct linger lg = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      close(fd);
      kd_log(KD_WARNING, "tpi: connection from %s refused: all %d client slots are taken", peer, KD_TPI_CLIENTS);
      if (slot >= 0) kd_tpi_disconnect(n->t, slot);
      continue;
    }
    nonblock(fd);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    n->fd[slot] = fd;
    snprintf(n->addr[slot], sizeof n->addr[slot], "%s", peer);
    kd_log(KD_DEBUG, "tpi: client %d connected from %s", slot, peer);
  }
}

static void log_notes(kd_tpi_net_t *n, int slot) {
  const kd_tpi_client_t *c = &n->t->client[slot];
  unsigned nt = kd_tpi_note(n->t, slot);
  if (nt & KD_TPI_NOTE_LOGIN_OK) kd_log(KD_INFO, "tpi: client %d (%s) logged in", slot, n->addr[slot]);
  if (nt & KD_TPI_NOTE_LOGIN_FAILED)
    kd_log(KD_WARNING, "tpi: client %d (%s): wrong password, closed", slot, n->addr[slot]);
  if (nt & KD_TPI_NOTE_LOGIN_BLOCKED)
    kd_log(KD_WARNING, "tpi: client %d (%s): login refused unchecked: too many failed logins, wait", slot, n->addr[slot]);
  if (nt & KD_TPI_NOTE_LOGIN_TIMEOUT)
    kd_log(KD_INFO, "tpi: client %d (%s): no login within %u s, closed", slot, n->addr[slot], KD_TPI_LOGIN_MS / 1000u);
  if (nt & KD_TPI_NOTE_BAD_LINE)
    kd_log(KD_DEBUG, "tpi: client %d: answered %s%03u to a line (last command %03u)", slot,
           c->last_err == 501 ? "" : "502 ", c->last_err == 501 ? 501u : c->last_err, c->last_cmd);
  if (nt & KD_TPI_NOTE_CODE_ASKED)
    kd_log(KD_INFO, "tpi: client %d: asked for an access code (900) to go with its command", slot);
  if (nt & KD_TPI_NOTE_CODE_TIMEOUT)
    kd_log(KD_WARNING, "tpi: client %d: no code (200) came after 900: the command is dropped", slot);
}

void kd_tpi_net_step(kd_tpi_net_t *n, uint64_t now_ms) {
  struct pollfd pf[KD_TPI_CLIENTS + 1];
  int map[KD_TPI_CLIENTS + 1], np = 0;
  if (!n) return;
  pf[np].fd = n->lfd;
  pf[np].events = POLLIN;
  map[np++] = -1;
  for (int i = 0; i < KD_TPI_CLIENTS; i++)
    if (n->fd[i] >= 0) {
      pf[np].fd = n->fd[i];
      pf[np].events = POLLIN;
      if (kd_tpi_out(n->t, i, NULL)) pf[np].events |= POLLOUT;
      map[np++] = i;
    }
  if (poll(pf, (nfds_t)np, 0) <= 0) {
    /* nothing to read or write: only timeouts may be due (done by the caller's kd_tpi_tick) */
  }
  for (int k = 1; k < np; k++) {
    int s = map[k];
    if (n->fd[s] < 0) continue;
    if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
      uint8_t buf[READ_PER_STEP];
      ssize_t r = recv(n->fd[s], buf, sizeof buf, 0);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        log_notes(n, s);
        drop(n, s, NULL);
        kd_log(KD_DEBUG, "tpi: client %d disconnected", s);
        continue;
      }
      if (r > 0) kd_tpi_input(n->t, s, buf, (size_t)r, now_ms);
    }
  }
  if (pf[0].revents & POLLIN) accept_all(n, now_ms);
  /* output (answers and status lines of every client), then closes */
  for (int s = 0; s < KD_TPI_CLIENTS; s++) {
    const char *p;
    size_t len;
    if (n->fd[s] < 0) continue;
    log_notes(n, s);
    if (n->t->client[s].overflow) {
      drop(n, s, "does not read what it is sent: dropped");
      continue;
    }
    len = kd_tpi_out(n->t, s, &p);
    if (len) {
      ssize_t w = send(n->fd[s], p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) kd_tpi_sent(n->t, s, (size_t)w);
      else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        drop(n, s, NULL);
        continue;
      }
    }
    if (kd_tpi_closing(n->t, s) && !kd_tpi_out(n->t, s, NULL)) drop(n, s, NULL);
  }
}

void kd_tpi_net_stop(kd_tpi_net_t *n) {
  if (!n) return;
  for (int i = 0; i < KD_TPI_CLIENTS; i++)
    if (n->fd[i] >= 0) drop(n, i, NULL);
  close(n->lfd);
  free(n);
}
