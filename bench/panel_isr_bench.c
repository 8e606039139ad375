/* SPDX-License-Identifier: MIT
 *
 * panel_isr_bench.c - instruction count of the panel role's interrupt
 * handler, kb_pnl_isr() (keybus/kb_panel.h), under callgrind. The task side
 * (kb_pnl_poll, not counted) runs every 2 half periods as a 1 ms task would;
 * the "keypad" answers a key in every 5th 0x05 and an alarm key (with its
 * repeat in the 0x1C) every 50th frame, so every path runs. Each call goes
 * through a wrapper named after the state it starts in, so that
 * `callgrind_annotate --tree=caller` splits the handler's cost by path:
 *
 *   gcc -std=c11 -O2 -Iinclude bench/panel_isr_bench.c src/core/kb_panel.c -o pb
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out ./pb 200000
 *   callgrind_annotate --tree=caller cg.out | grep -B6 '\* .*kb_pnl_isr'
 *
 * `bash bench/bench.sh panel` runs it per path (figures panel_isr_*; budgets
 * in tests/cli/bench_panel.sh; docs/keypad-interface.md has the figures).
 * It prints the number of calls of each path ("calls gap N low N end N
 * high N") for the per-call means.
 */
#include <stdio.h>
#include <stdlib.h>

#include "keybus/kb_panel.h"

#define NOINLINE __attribute__((noinline))

/* one wrapper per starting state: 0 wait, 1 gap, 2 low phase (keypad bit in,
 * panel bit out), 3 high phase; the frame's end is the low phase after the
 * last bit */
NOINLINE uint8_t isr_gap(kb_pnl_t *p, bool d) { return kb_pnl_isr(p, d); }
NOINLINE uint8_t isr_low(kb_pnl_t *p, bool d) { return kb_pnl_isr(p, d); }
NOINLINE uint8_t isr_end(kb_pnl_t *p, bool d) { return kb_pnl_isr(p, d); }
NOINLINE uint8_t isr_high(kb_pnl_t *p, bool d) { return kb_pnl_isr(p, d); }

int main(int argc, char **argv) {
  static kb_pnl_t p;
  kb_pnl_cfg_t c;
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000ul, frames = 0;
  uint8_t lv = KB_PNL_CLK_HIGH, key = 0xFF, alarm = 0;
  unsigned k = 0, keys = 0;
  unsigned long n_gap = 0, n_low = 0, n_end = 0, n_high = 0;
  kb_pnl_cfg_default(&c);
  c.powerup_ms = 0;
  kb_pnl_init(&p, &c);
  for (unsigned long i = 0; i < n; i++) {
    bool d = true;
    uint8_t st = p.st;
    if (!(i & 1u)) {
      uint8_t code;
      (void)kb_pnl_poll(&p);
      while (kb_pnl_key(&p, &code)) keys++;
    }
    if (st == 2u) {
      /* keypad slot k: the key in byte 2 (slots 9..16), an alarm key in
       * byte 0 (slots 0..7) */
      if (k < 8u && alarm) d = (alarm >> (7u - k)) & 1u;
      if (k >= 9u && k < 17u && p.tx[0] == 0x05) d = (key >> (16u - k)) & 1u;
    }
    if (st == 1u) {
      lv = isr_gap(&p, d);
      n_gap++;
      if (!(lv & KB_PNL_CLK_HIGH)) {
        /* a frame starts: plan the keypad's answer */
        frames++;
        k = 0;
        if (p.tx[0] == 0x1C) {
          /* alarm stays: the repeat */
        } else {
          alarm = frames % 50u == 0u ? 0xBB : 0;
          key = frames % 5u == 0u ? 0x05 : 0xFF;
        }
      }
    } else if (st == 2u && k >= p.tx_bits) {
      lv = isr_end(&p, d);
      n_end++;
      if (p.tx[0] == 0x1C) alarm = 0;
    } else if (st == 2u) {
      lv = isr_low(&p, d);
      n_low++;
    } else {
      lv = isr_high(&p, d);
      n_high++;
      k++;
    }
  }
  printf("frames %lu keys %u (%u expected about)\n", frames, keys, (unsigned)(frames / 5u));
  printf("calls gap %lu low %lu end %lu high %lu\n", n_gap, n_low, n_end, n_high);
  return (int)(lv & 0u);
}
