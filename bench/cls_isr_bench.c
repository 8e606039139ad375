/* SPDX-License-Identifier: MIT
 *
 * cls_isr_bench.c - drives the Classic link's interrupt handlers
 * (kb_cls_link_edge/kb_cls_link_sample, kb_cls_link.h) with Classic frames
 * (16 cycles, keypad slots, a 26.5 ms gap) for instruction counting under
 * callgrind, as bench/isr_bench.c does for PowerSeries. `bash bench/bench.sh
 * classic` runs it (figures cls_isr_*; budgets in tests/cli/bench_classic.sh);
 * by hand:
 *   gcc -O2 -std=c11 -Iinclude bench/cls_isr_bench.c src/core/kb_cls_link.c -o /tmp/cls_isr
 *   valgrind --tool=callgrind --toggle-collect=kb_cls_link_edge \
 *     --toggle-collect=kb_cls_link_sample --callgrind-out-file=/tmp/cg /tmp/cls_isr 10000
 *   callgrind_annotate /tmp/cg | head   (total Ir / (frames * 32) = per edge)
 * The frame content varies (a counter), the task pops every frame between
 * frames (not counted: it is not the interrupt). A second argument `write`
 * arms a key (varying) before every frame: the write path drives slots 1-8
 * of every frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keybus/kb_cls_link.h"

static kb_cls_link_t lk;

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000u;
  uint32_t t = 100000;
  unsigned long frames = 0, wrote = 0;
  int writing = argc > 2 && !strcmp(argv[2], "write");
  kb_cls_link_init(&lk, 0);
  for (unsigned i = 0; i < n; i++) {
    unsigned bits = (i * 2654435761u) >> 8;
    if (writing && kb_cls_link_write_idle(&lk) && kb_cls_link_write_arm(&lk, (uint8_t)(bits >> 4)) != KB_OK)
      return 1;
    for (unsigned c = 0; c < 16u; c++) {
      kb_cls_link_edge(&lk, false, t);
      kb_cls_link_sample(&lk, false, ((bits >> c) & 5u) != 0, true);
      t += 780;
      kb_cls_link_edge(&lk, true, t);
      kb_cls_link_sample(&lk, true, (bits >> c) & 1u, (bits >> (c + 3u)) & 1u);
      t += 780;
    }
    t += 26500;
    for (const kb_cls_frame_t *f; (f = kb_cls_link_peek(&lk)) != NULL;) {
      frames++;
      wrote += f->wrote != 0;
      kb_cls_link_pop(&lk);
    }
  }
  printf("frames %lu edges %u wrote %lu\n", frames, n * 32u, wrote);
  return 0;
}
