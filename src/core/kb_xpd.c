/* SPDX-License-Identifier: MIT
 *
 * kb_xpd.c - virtual zone expander (kb_xpd.h): zone states in, the images
 * of the link's module-reply writer out (kb_link.h), the panel's reading of
 * them confirmed from the module echo of its queries.
 *
 * Images (module bytes 2..9 each; bank layout fixed, see map_setup()):
 *   0        notification bits, in the status commands
 *   1        0x11 supervision fields
 *   2..5     replies of expanders 0..3 (0x22/0x28/0x33/0x39: module bytes 2..6)
 *   8..11    replies of expanders 4..7 (0xE6.08/0A/0C/0E: module bytes 3..7)
 * Every image exists whatever is enabled (all 0xFF = drives nothing), so the
 * command map, which the interrupt reads without a bank, never changes
 * after attach.
 */
#include "keybus/kb_xpd.h"

#include <stddef.h>
#include <string.h>

#include "keybus/kb_proto.h"

#define IMG_NOTIFY 0u
#define IMG_SUPERV 1u
#define IMG_REPLY 2u /* + expander 0..3 */

#define ALL_CLOSED 0x5555u /* 8 fields of 01 */

static const uint8_t k_query[4] = {KB_CMD_EXPANDER_0, KB_CMD_EXPANDER_1, KB_CMD_EXPANDER_2,
                                   KB_CMD_EXPANDER_3};
/* status commands whose module byte 4 (and 7) carries notification bits
 * (notes §4.4), 0x1B excepted */
static const uint8_t k_status[6] = {0x05u, 0x0Au, 0x0Fu, 0x27u, 0x2Du, 0x3Eu};

/* 2-bit field of a state: closed 01, open 11, tamper 10. */
static uint16_t field_of(kb_xpd_zone_t s) {
  return s == KB_XPD_OPEN ? 0x3u : s == KB_XPD_TAMPER ? 0x2u : 0x1u;
}

static void map_set(kb_link_xw_t *w, uint8_t cmd, uint8_t img_plus1) {
  w->map_cmd[cmd & 31u] = cmd;
  w->map_img[cmd & 31u] = img_plus1;
}

static void map_setup(kb_link_xw_t *w) {
  memset(w->map_cmd, 0, sizeof w->map_cmd);
  memset(w->map_img, 0, sizeof w->map_img);
  for (unsigned i = 0; i < sizeof k_status; i++) map_set(w, k_status[i], IMG_NOTIFY + 1u);
  map_set(w, KB_CMD_QUERY, IMG_SUPERV + 1u);
  for (unsigned e = 0; e < 4u; e++) map_set(w, k_query[e], (uint8_t)(IMG_REPLY + e + 1u));
  map_set(w, KB_CMD_EXTENDED, KB_LINK_XW_E6);
}

static uint8_t nibble_sum(uint8_t a, uint8_t b) {
  return (uint8_t)(((a >> 4) + (a & 0xFu) + (b >> 4) + (b & 0xFu)) & 0xFu);
}

uint8_t kb_xpd_checksum(const uint8_t d[4]) {
  uint8_t hi = (d[0] == 0xFFu && d[1] == 0xFFu) ? 0xFu : nibble_sum(d[0], d[1]);
  uint8_t lo = (d[2] == 0xFFu && d[3] == 0xFFu) ? 0xFu : nibble_sum(d[2], d[3]);
  return (uint8_t)(hi << 4 | lo);
}

static bool on(const kb_xpd_t *x, unsigned e) { return (x->enabled >> e) & 1u; }

/* Reply bytes of expander e: each half [current, previous] when it changed,
 * FF FF when not; the nibble checksum. */
static void reply_of(const kb_xpd_t *x, unsigned e, uint8_t r[5]) {
  uint16_t c = x->cur[e], t = x->told[e];
  for (unsigned h = 0; h < 2u; h++) {
    uint8_t cb = (uint8_t)(c >> (8u * h)), tb = (uint8_t)(t >> (8u * h));
    r[2u * h] = cb != tb ? cb : 0xFFu;
    r[2u * h + 1u] = cb != tb ? tb : 0xFFu;
  }
  r[4] = kb_xpd_checksum(r);
}

/* Builds every image into the bank the link lets us edit and hands it over;
 * when the interrupt still drives that bank, leaves it dirty for the next
 * poll. */
static void publish(kb_xpd_t *x) {
  uint8_t(*b)[8];
  uint16_t *onm = NULL, m = 0;
  x->dirty = 1;
  if (x->link == NULL) return; /* built at attach */
  b = kb_link_xw_edit(x->link, &x->xw, &onm);
  if (b == NULL) {
    x->stats.deferred++;
    return;
  }
  memset(b, 0xFF, sizeof x->xw.img[0]);
  for (unsigned e = 0; e < KB_XPD_EXPANDERS; e++) {
    uint8_t *img;
    if (!on(x, e)) {
      memset(x->reply[e], 0xFF, sizeof x->reply[e]);
      x->sent[e] = x->told[e];
      continue;
    }
    /* supervision: expanders 1..7 (notes §4.7, later-generation layout) */
    if (e >= 1u && e <= 4u) b[IMG_SUPERV][2] &= (uint8_t)~(0x3u << (2u * (4u - e)));
    if (e == 5u) b[IMG_SUPERV][3] &= (uint8_t)~0xC0u;
    if (e == 6u) b[IMG_SUPERV][3] &= (uint8_t)~0x30u;
    if (e == 7u) b[IMG_SUPERV][5] &= (uint8_t)~0x03u;
    /* notification while the panel has not read the current state */
    if (x->cur[e] != x->told[e]) {
      if (e < 4u) b[IMG_NOTIFY][2] &= (uint8_t)~(0x80u >> e);
      else b[IMG_NOTIFY][5] &= (uint8_t)~(0x80u >> (e - 4u));
    }
    reply_of(x, e, x->reply[e]);
    x->sent[e] = x->cur[e];
    img = e < 4u ? b[IMG_REPLY + e] : &b[KB_LINK_XW_IMG_E6 + e - 4u][1];
    memcpy(img, x->reply[e], 5u);
  }
  for (unsigned i = 0; i < KB_LINK_XW_IMAGES; i++) /* images that pull something low */
    for (unsigned k = 0; k < 8u; k++)
      if (b[i][k] != 0xFFu) m |= (uint16_t)(1u << i);
  *onm = m;
  kb_link_xw_publish(&x->xw);
  x->dirty = 0;
}

void kb_xpd_init(kb_xpd_t *x) {
  KB_ASSERT(x != NULL);
  if (x == NULL) return;
  memset(x, 0, sizeof *x);
  memset(x->xw.img, 0xFF, sizeof x->xw.img);
  memset(x->reply, 0xFF, sizeof x->reply);
  for (unsigned e = 0; e < KB_XPD_EXPANDERS; e++) x->cur[e] = x->told[e] = x->sent[e] = ALL_CLOSED;
  map_setup(&x->xw);
}

kb_err_t kb_xpd_enable(kb_xpd_t *x, uint8_t expander, bool enable) {
  if (x == NULL || expander >= KB_XPD_EXPANDERS) return KB_ERR_ARG;
  if (enable == on(x, expander)) return KB_OK;
  if (enable) x->enabled |= (uint8_t)(1u << expander);
  else x->enabled &= (uint8_t)~(1u << expander);
  publish(x);
  return KB_OK;
}

static kb_err_t zone_check(const kb_xpd_t *x, uint8_t zone) {
  if (x == NULL) return KB_ERR_ARG;
  if (zone < 1u || zone > KB_XPD_ZONES) return KB_ERR_RANGE;
  if (!on(x, (zone - 1u) / 8u)) return KB_ERR_NOT_READY;
  return KB_OK;
}

kb_err_t kb_xpd_set_zone(kb_xpd_t *x, uint8_t zone, kb_xpd_zone_t state) {
  kb_err_t err = zone_check(x, zone);
  unsigned e, sh;
  uint16_t v;
  if (err != KB_OK) return err;
  if ((unsigned)state > (unsigned)KB_XPD_TAMPER) return KB_ERR_ARG;
  e = (zone - 1u) / 8u;
  sh = 2u * ((zone - 1u) % 8u);
  v = (uint16_t)((x->cur[e] & ~(0x3u << sh)) | field_of(state) << sh);
  if (v == x->cur[e]) return KB_OK;
  x->cur[e] = v;
  publish(x);
  return KB_OK;
}

kb_err_t kb_xpd_zone(const kb_xpd_t *x, uint8_t zone, kb_xpd_zone_t *out) {
  kb_err_t err = zone_check(x, zone);
  unsigned f;
  if (err != KB_OK) return err;
  if (out == NULL) return KB_ERR_ARG;
  f = (x->cur[(zone - 1u) / 8u] >> (2u * ((zone - 1u) % 8u))) & 0x3u;
  *out = f == 0x3u ? KB_XPD_OPEN : f == 0x2u ? KB_XPD_TAMPER : KB_XPD_CLOSED;
  return KB_OK;
}

bool kb_xpd_pending(const kb_xpd_t *x, uint8_t expander) {
  if (x == NULL || expander >= KB_XPD_EXPANDERS || !on(x, expander)) return false;
  return x->cur[expander] != x->told[expander];
}

kb_err_t kb_xpd_attach(kb_xpd_t *x, kb_link_t *l) {
  kb_err_t err;
  if (x == NULL || l == NULL) return KB_ERR_ARG;
  if (x->link != NULL) return KB_ERR_BUSY;
  map_setup(&x->xw);
  x->link = l;
  publish(x); /* the interrupt is not driving these images yet: never deferred */
  err = kb_link_xw_attach(l, &x->xw);
  if (err != KB_OK) x->link = NULL;
  return err;
}

void kb_xpd_detach(kb_xpd_t *x) {
  if (x == NULL || x->link == NULL) return;
  if (x->link->xw == &x->xw) kb_link_xw_detach(x->link);
  x->link = NULL;
}

/* Expander whose query f is (panel byte s = first reply byte), or -1. */
static int query_of(const kb_frame_t *f, unsigned *s) {
  uint8_t c = f->panel[0];
  for (unsigned e = 0; e < 4u; e++)
    if (c == k_query[e]) {
      *s = 2u;
      return (int)e;
    }
  if (c == KB_CMD_EXTENDED && f->panel_bits >= 17u) {
    unsigned d = (unsigned)f->panel[2] - 8u;
    if (d < 8u && !(d & 1u)) {
      *s = 3u;
      return (int)(4u + d / 2u);
    }
  }
  return -1;
}

void kb_xpd_frame(kb_xpd_t *x, const kb_frame_t *f) {
  unsigned s = 0;
  int e;
  if (x == NULL || f == NULL || x->link == NULL || !x->enabled) return;
  if (f->panel[0] == KB_CMD_QUERY) {
    uint8_t want4 = 0, want5 = 0; /* the supervision bits we pull in bytes 4, 5 */
    for (unsigned i = 1; i <= 4u; i++)
      if (on(x, i)) want4 |= (uint8_t)(0x3u << (2u * (4u - i)));
    if (on(x, 5)) want5 |= 0xC0u;
    if (on(x, 6)) want5 |= 0x30u;
    if ((want4 | want5) && f->module_bits >= 8u * 5u + 1u && (f->module[4] & want4) == 0u &&
        (f->module[5] & want5) == 0u)
      x->stats.supervisions++;
    return;
  }
  e = query_of(f, &s);
  if (e < 0 || !on(x, (unsigned)e)) return;
  if (f->module_bits < 8u * (s + 4u) + 1u || memcmp(&f->module[s], x->reply[e], 5u) != 0) {
    x->stats.mismatches++;
    if (x->cur[e] != x->told[e]) publish(x); /* notification stays up: asked again */
    return;
  }
  if (x->sent[e] != x->told[e]) {
    x->told[e] = x->sent[e];
    x->stats.replies++;
    publish(x); /* notification down (or up again for a later change) */
  }
}

void kb_xpd_poll(kb_xpd_t *x) {
  if (x != NULL && x->dirty) publish(x);
}
