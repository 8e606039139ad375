/* SPDX-License-Identifier: MIT
 *
 * keybus-panel-sim: the engine's panel role (keybus/kb_panel.h) driving a
 * simulated PowerSeries keypad (src/sim/kb_sim_keypad.h) in virtual time;
 * writes the traffic as a VCD that keybus-reader decodes (docs/keypad-interface.md).
 *
 *   keybus-panel-sim [--classic] [--vcd-out OUT.vcd] [--ms N] [--keys KEYS] [--zone N]
 *                    [--beep N] [--ber X] [--seed N]
 *
 * KEYS: 0-9 * # as typed on the keypad, f a p for the Fire, Aux and Panic
 * keys (held: sent with the 0x1C handshake; Classic: held 1.3 s, digits
 * 200 ms). --classic drives a Classic keypad (notes B5). Prints each key the engine read
 * ("key 1", "key fire") and a summary line. Exit 0, or 2 for a usage error
 * or an unwritable file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/kb_vcd.h"
#include "keybus/kb_panel.h"
#include "sim/kb_sim_keypad.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: keybus-panel-sim [--classic] [--vcd-out OUT.vcd] [--ms N] [--keys KEYS] [--zone N]\n"
          "                        [--beep N] [--ber X] [--seed N]\n"
          "  The engine plays the panel and drives a simulated keypad (virtual time).\n"
          "  --classic    a Classic keypad (PC1500RK/PC2550RK: 500 Hz, 16-bit frames)\n"
          "  --vcd-out F  write the clock and data wires as VCD\n"
          "  --ms N       virtual milliseconds to run after the start-up sequence (default 1000)\n"
          "  --keys K     keys the keypad sends: 0-9 * # and f a p (Fire, Aux, Panic)\n"
          "  --zone N     light zone N (1-32) once started\n"
          "  --beep N     N beeps once started\n"
          "  --ber X      bit error rate of each receiver (0..1)\n"
          "  --seed N     noise seed (default 1)\n");
}

typedef struct {
  kb_pnl_t pnl;
  kb_skp_t kp;
  kb_skp_bus_t bus;
  unsigned keys;
} app_t;

static void task(void *ctx, uint64_t now) {
  app_t *a = ctx;
  uint8_t c;
  (void)now;
  (void)kb_pnl_poll(&a->pnl);
  while (kb_pnl_key(&a->pnl, &c)) {
    const char *n = kb_pnl_key_name(c);
    printf("key %s\n", n ? n : "?");
    a->keys++;
  }
}

/* Classic key codes (notes A4), same order as the digits */
static int classic_code(char ch, uint8_t *code) {
  static const char digits[] = "0123456789*#fap";
  static const uint8_t codes[] = {0xD7, 0xBE, 0xDE, 0xEE, 0xBD, 0xDD, 0xED, 0xBB,
                                  0xDB, 0xEB, 0xB7, 0xE7, 0x3F, 0x5F, 0x6F};
  const char *p = strchr(digits, ch);
  if (!ch || !p) return -1;
  *code = codes[p - digits];
  return 0;
}

static int key_code(char ch, uint16_t *code) {
  static const char digits[] = "0123456789*#";
  static const uint8_t codes[] = {0x00, 0x05, 0x0A, 0x0F, 0x11, 0x16, 0x1B, 0x1C, 0x22, 0x27, 0x28, 0x2D};
  const char *p = strchr(digits, ch);
  if (ch && p) {
    *code = codes[p - digits];
    return 0;
  }
  switch (ch) {
  case 'f': *code = KB_SKP_ALARM | 0xBB; return 0;
  case 'a': *code = KB_SKP_ALARM | 0xDD; return 0;
  case 'p': *code = KB_SKP_ALARM | 0xEE; return 0;
  default: return -1;
  }
}

int main(int argc, char **argv) {
  static app_t a;
  const char *vcd_out = NULL, *keys = "";
  unsigned long ms = 1000, zone = 0, beep = 0;
  unsigned long long seed = 1;
  double ber = 0;
  bool classic = false;
  FILE *vf = NULL;
  kb_vcd_writer_t vw;
  kb_pnl_cfg_t pc;
  kb_skp_bus_cfg_t bc;
  kb_pnl_stats_t st;

  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end = NULL;
    if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(o, "--classic")) {
      classic = true;
      continue;
    }
    if (!v) {
      fprintf(stderr, "keybus-panel-sim: %s: unknown option or missing value\n", o);
      usage(stderr);
      return 2;
    }
    i++;
    if (!strcmp(o, "--vcd-out")) {
      vcd_out = v;
      continue;
    }
    if (!strcmp(o, "--keys")) {
      keys = v;
      continue;
    }
    if (!strcmp(o, "--ber")) {
      ber = strtod(v, &end);
      if (*end || !(ber >= 0 && ber <= 1)) goto bad;
      continue;
    }
    if (!strcmp(o, "--seed")) {
      seed = strtoull(v, &end, 10);
      if (*end) goto bad;
      continue;
    }
    {
      unsigned long n = strtoul(v, &end, 10);
      if (*end || !*v) goto bad;
      if (!strcmp(o, "--ms") && n <= 3600000ul) {
        ms = n;
      } else if (!strcmp(o, "--zone") && n >= 1 && n <= 32) {
        zone = n;
      } else if (!strcmp(o, "--beep") && n <= 255) {
        beep = n;
      } else {
        goto bad;
      }
      continue;
    }
  bad:
    fprintf(stderr, "keybus-panel-sim: %s %s: bad value\n", o, v);
    return 2;
  }

  kb_pnl_cfg_default(&pc);
  pc.powerup_ms = 0; /* the simulated keypad is up at once */
  pc.classic = classic;
  kb_pnl_init(&a.pnl, &pc);
  kb_skp_init(&a.kp, 1, 40);
  a.kp.classic = classic;
  for (const char *k = keys; *k; k++) {
    uint16_t code;
    uint8_t cc;
    if (classic) {
      if (classic_code(*k, &cc) != 0) {
        fprintf(stderr, "keybus-panel-sim: --keys: '%c' is no key (0-9 * # f a p)\n", *k);
        return 2;
      }
      if (!kb_skp_press_hold(&a.kp, cc, (uint16_t)(strchr("fap", *k) ? 1300 : 200))) {
        fprintf(stderr, "keybus-panel-sim: --keys: at most %u keys\n", KB_SKP_KEYQ);
        return 2;
      }
      continue;
    }
    if (key_code(*k, &code) != 0) {
      fprintf(stderr, "keybus-panel-sim: --keys: '%c' is no key (0-9 * # f a p)\n", *k);
      return 2;
    }
    if (!kb_skp_press(&a.kp, code)) {
      fprintf(stderr, "keybus-panel-sim: --keys: at most %u keys\n", KB_SKP_KEYQ);
      return 2;
    }
  }
  if (vcd_out) {
    vf = fopen(vcd_out, "w");
    if (!vf || kb_vcd_writer_begin(&vw, vf, "keybus-panel-sim", 0, true, true) != 0) {
      fprintf(stderr, "keybus-panel-sim: %s: cannot write\n", vcd_out);
      if (vf) fclose(vf);
      return 2;
    }
  }
  kb_skp_bus_cfg_default(&bc);
  bc.half_us = classic ? KB_PNL_CLASSIC_HALF_US : KB_PNL_HALF_US;
  bc.ber = ber;
  bc.seed = seed;
  kb_skp_bus_init(&a.bus, &bc, &a.pnl, vf ? &vw : NULL, 0);
  a.bus.task = task;
  a.bus.task_ctx = &a;
  (void)kb_skp_bus_add(&a.bus, &a.kp);
  /* the start-up sequence, then the options, then the run */
  while (!kb_pnl_started(&a.pnl)) kb_skp_bus_half(&a.bus);
  if (zone && kb_pnl_set_zone(&a.pnl, (unsigned)zone, KB_PNL_ON) != KB_OK) return 2;
  if (beep) kb_pnl_beep(&a.pnl, (unsigned)beep);
  kb_skp_bus_run_until(&a.bus, a.bus.t + 1000ull * ms);
  kb_pnl_stats(&a.pnl, &st);
  printf("frames %u keys %u rejected %u alarm_asks %u keypad_bad %u flips %llu\n", st.frames,
         st.keys, st.rejected, st.alarm_asks, a.kp.bad, (unsigned long long)a.bus.flips);
  if (vf) {
    int e = kb_vcd_writer_end(&vw, a.bus.t);
    if (fclose(vf) != 0 || e != 0 || vw.err) {
      fprintf(stderr, "keybus-panel-sim: %s: write error\n", vcd_out);
      return 2;
    }
  }
  return 0;
}
