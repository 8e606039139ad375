/* SPDX-License-Identifier: MIT
 *
 * test_sim_expander.c - the simulated panel's zone-expander slot
 * (kb_sim_panel.h cfg.expanders): who answered 0x11 is recorded, a
 * notification bit makes it query the expander, a reply with a good
 * checksum sets its zones as wired ones, a bad one is ignored. The module
 * bytes are written by hand here (the end-to-end path with kb_xpd driving
 * them is in examples/scenarios/vzone_*.kbs).
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "keybus/kb_proto.h"
#include "sim/kb_sim_panel.h"

static kb_sim_panel_t panel;
static uint64_t now;

static void setup(uint8_t expanders) {
  kb_sim_cfg_t c;
  kb_sim_cfg_default(&c, 1);
  c.expanders = expanders;
  c.zone[8].partition = 1; /* zone 9: delay */
  c.zone[8].type = KB_SIM_ZONE_DELAY;
  c.zone[9].partition = 1; /* zone 10: instant */
  c.zone[9].type = KB_SIM_ZONE_INSTANT;
  now = 0;
  kb_sim_panel_init(&panel, &c, now);
}

/* Next message; module = what the bus read (NULL: all released). */
static uint8_t next(const uint8_t *module, uint8_t *bytes) {
  uint8_t b[KB_SIM_FRAME], m[KB_SIM_FRAME];
  uint16_t bits;
  uint32_t gap;
  kb_sim_panel_next(&panel, now, b, &bits, &gap);
  now += gap + 1000u * bits;
  memset(m, 0xFF, sizeof m);
  if (module) memcpy(m, module, KB_SIM_FRAME);
  kb_sim_panel_module(&panel, now, m, bits);
  if (bytes) memcpy(bytes, b, KB_SIM_FRAME);
  return b[0];
}

/* Runs messages until command cmd is the next one (at most n); answers it
 * with `reply`. Returns 1 when it came. */
static int answer(uint8_t cmd, const uint8_t *reply, int n) {
  uint8_t b[KB_SIM_FRAME], m[KB_SIM_FRAME];
  uint16_t bits;
  uint32_t gap;
  for (int i = 0; i < n; i++) {
    kb_sim_panel_next(&panel, now, b, &bits, &gap);
    now += gap + 1000u * bits;
    memset(m, 0xFF, sizeof m);
    if (b[0] == cmd && reply) memcpy(m, reply, KB_SIM_FRAME);
    kb_sim_panel_module(&panel, now, m, bits);
    if (b[0] == cmd) return 1;
  }
  return 0;
}

static void test_supervision_recorded(void) {
  uint8_t r[KB_SIM_FRAME];
  memset(r, 0xFF, sizeof r);
  r[4] = 0x3F; /* expander 1's field low */
  r[2] = 0x3F; /* keypad slot 1 */
  setup(0x02);
  KT_CHECK(answer(KB_CMD_QUERY, r, 40)); /* sent in the start-up burst */
  KT_EQ(kb_sim_panel_truth(&panel)->supervisions, 1);
  KT_EQ(kb_sim_panel_truth(&panel)->sup_expanders, 0x01);
  KT_EQ(kb_sim_panel_truth(&panel)->sup_keypads, 0x01);
  KT_CHECK(answer(KB_CMD_QUERY, NULL, 2000)); /* 30 s later, nobody answers */
  KT_EQ(kb_sim_panel_truth(&panel)->supervisions, 2);
  KT_EQ(kb_sim_panel_truth(&panel)->sup_expanders, 0);
}

static void test_notification_query_reply(void) {
  uint8_t note[KB_SIM_FRAME], rep[KB_SIM_FRAME], b[KB_SIM_FRAME];
  memset(note, 0xFF, sizeof note);
  note[4] = 0xBF; /* expander 1 notification */
  memset(rep, 0xFF, sizeof rep);
  rep[2] = 0x5D; /* zone 10 open (11), zones 9, 11, 12 closed */
  rep[3] = 0x55;
  rep[6] = 0xCF; /* nibble checksum: 5+D+5+5 = 0x1C -> C; high half unchanged (FF FF) -> F */
  setup(0x02);
  KT_CHECK(answer(KB_CMD_STATUS, note, 40));
  KT_CHECK(answer(KB_CMD_EXPANDER_1, rep, 3)); /* queried at the next one-shot slot */
  KT_EQ(kb_sim_panel_truth(&panel)->xpd_queries, 1);
  KT_EQ(kb_sim_panel_truth(&panel)->xpd_replies, 1);
  KT_EQ(kb_sim_panel_truth(&panel)->zones_open[1], 0x02); /* zone 10 */
  KT_EQ(kb_sim_panel_truth(&panel)->part[0].ready, 0);
  /* the notification of an expander not installed is not followed */
  note[4] = 0xDF; /* expander 2 */
  KT_CHECK(answer(KB_CMD_STATUS, note, 40));
  for (int i = 0; i < 6; i++) KT_CHECK(next(NULL, b) != KB_CMD_EXPANDER_2);
  /* a bad checksum: ignored */
  rep[2] = 0x55;
  rep[3] = 0x5D;
  rep[6] = 0x00;
  note[4] = 0xBF;
  KT_CHECK(answer(KB_CMD_STATUS, note, 40));
  KT_CHECK(answer(KB_CMD_EXPANDER_1, rep, 3));
  KT_EQ(kb_sim_panel_truth(&panel)->xpd_bad, 1);
  KT_EQ(kb_sim_panel_truth(&panel)->zones_open[1], 0x02); /* unchanged */
}

static void test_no_expander_no_query(void) {
  uint8_t note[KB_SIM_FRAME], b[KB_SIM_FRAME];
  memset(note, 0xFF, sizeof note);
  note[4] = 0x0F; /* all four notification bits */
  setup(0);
  KT_CHECK(answer(KB_CMD_STATUS, note, 40));
  for (int i = 0; i < 30; i++) {
    uint8_t c = next(NULL, b);
    KT_CHECK(c != KB_CMD_EXPANDER_0 && c != KB_CMD_EXPANDER_1 && c != KB_CMD_EXPANDER_2 &&
             c != KB_CMD_EXPANDER_3);
  }
  KT_EQ(kb_sim_panel_truth(&panel)->xpd_queries, 0);
}

static void test_e6_query(void) {
  uint8_t note[KB_SIM_FRAME];
  memset(note, 0xFF, sizeof note);
  note[7] = 0xBF; /* expander 5 notification */
  setup(0x20);
  KT_CHECK(answer(KB_CMD_STATUS, note, 40));
  {
    uint8_t b[KB_SIM_FRAME];
    int seen = 0;
    for (int i = 0; i < 4 && !seen; i++)
      if (next(NULL, b) == KB_CMD_EXTENDED && b[2] == 0x0A) seen = 1;
    KT_CHECK(seen);
  }
  KT_EQ(kb_sim_panel_truth(&panel)->xpd_queries, 1);
}

KT_MAIN(KT_CASE(test_supervision_recorded), KT_CASE(test_notification_query_reply),
        KT_CASE(test_no_expander_no_query), KT_CASE(test_e6_query))
