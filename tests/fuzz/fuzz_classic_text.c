/* SPDX-License-Identifier: MIT
 *
 * fuzz_classic_text.c - KeybusReader's Classic lines (src/host/
 * kb_classic_text.c) into the Classic decoder (kb_classic.h), as
 * keybus-reader --panel classic runs them: the input is a text file, split
 * at '\n'. Invariants: the parser never reads past a line (each line is
 * copied to a buffer of its own size, so ASan sees any overread); a
 * recognised frame prints back (kb_clt_format_*) to a line that parses to
 * the same bytes; an error names what is wrong; a section name lies inside
 * its line; the decoder keeps to partition 1 and zones 1-8 and never
 * changes what it says it cannot report.
 */
#include "fuzz.h"

#include <math.h>

#include "host/kb_classic_text.h"
#include "keybus/kb_classic.h"

static kb_cls_t cls;

static void check_model(void) {
  const kb_status_t *s = &cls.status;
  FZ_ASSERT(s->absent == KB_CLS_ABSENT);
  FZ_ASSERT(s->series == KB_SERIES_CLASSIC);
  for (unsigned p = 1; p < KB_MAX_PARTITIONS; p++) FZ_ASSERT(!s->part[p].known);
  for (unsigned i = 1; i < KB_ZONE_BYTES; i++) FZ_ASSERT(!s->zones_open[i] && !s->zones_alarm[i]);
  FZ_ASSERT((s->zones_alarm[0] & 0xC0u) == 0); /* alarm bits: zones 1-6 */
  FZ_ASSERT(s->part[0].armed <= KB_ARMED_AWAY);
  FZ_ASSERT(s->part[0].exit_target <= KB_EXIT_NO_ENTRY_DELAY);
  FZ_ASSERT(!s->part[0].exit_delay ? s->part[0].exit_target == KB_EXIT_NONE : 1);
}

static void round_trip(const kb_clt_line_t *l) {
  char buf[512];
  kb_clt_line_t r;
  size_t n = l->kind == KB_CLT_PANEL ? kb_clt_format_panel(l->b, buf, sizeof buf)
                                     : kb_clt_format_keypad(l->b[0], l->b[1], buf, sizeof buf);
  FZ_ASSERT(n < sizeof buf && strlen(buf) == n);
  if (l->kind == KB_CLT_KEYPAD && !kb_clt_key_name(l->b[0])) {
    /* "unknown" is not a key name: the line is refused as it should be */
    FZ_ASSERT(kb_clt_parse(buf, n, &r) == KB_CLT_ERROR);
    return;
  }
  FZ_ASSERT(kb_clt_parse(buf, n, &r) == l->kind);
  FZ_ASSERT(memcmp(r.b, l->b, l->kind == KB_CLT_PANEL ? 4 : 2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t i = 0;
  uint32_t t_ms = 0;
  kb_cls_init(&cls, KB_MODE_LOG, NULL, NULL);
  while (i < size) {
    size_t j = i;
    char *line;
    kb_clt_line_t l;
    while (j < size && data[j] != '\n') j++;
    line = malloc(j - i ? j - i : 1);
    if (!line) return 0;
    memcpy(line, data + i, j - i);
    switch (kb_clt_parse(line, j - i, &l)) {
      case KB_CLT_PANEL: {
        kb_cls_frame_t f;
        kb_cls_check_t k;
        memset(&f, 0, sizeof f);
        memcpy(f.d, l.b, 2);
        memcpy(f.p, l.b + 2, 2);
        f.bits = 16;
        if (l.has_time) t_ms = (uint32_t)(llround(l.t * 1000.0) & 0xFFFFFFFFll); /* as the reader */
        else t_ms += KB_CLS_FRAME_MS;
        k = kb_cls_frame(&cls, &f, t_ms);
        FZ_ASSERT(k == KB_CLS_OK || k == KB_CLS_NO_PC16 || k == KB_CLS_PC16_IDLE);
        round_trip(&l);
        break;
      }
      case KB_CLT_KEYPAD:
        t_ms += 10u;
        (void)kb_cls_keypad(&cls, l.b[0], l.b[1], 16, t_ms);
        round_trip(&l);
        break;
      case KB_CLT_SECTION:
        FZ_ASSERT(l.name >= line && l.name + l.name_len <= line + (j - i));
        kb_cls_init(&cls, KB_MODE_LOG, NULL, NULL);
        break;
      case KB_CLT_ERROR:
        FZ_ASSERT(l.err[0] != '\0');
        break;
      case KB_CLT_CONNECTED:
      case KB_CLT_DISCONNECTED:
      case KB_CLT_IGNORED:
        break;
      default:
        FZ_ASSERT(0);
    }
    check_model();
    free(line);
    i = j + 1;
  }
  return 0;
}
