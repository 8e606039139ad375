/* SPDX-License-Identifier: MIT
 *
 * fuzz_capture.c - the text log parser (src/host/kb_capture.c): the input is
 * a log file (KeybusReader, ESPHome, comma lists, anything). Every record it
 * yields is fed to an engine in log mode, status frames judged with one
 * frame of lookahead as keybus-reader does. Invariants: records within
 * their arrays, line numbers in order, counters consistent, and reading
 * line by line (kb_cap_read_line + kb_cap_clear, as the streaming reader
 * does) gives the same records as parsing the whole stream.
 */
#include "fuzz.h"

#include <math.h>

#include "host/kb_capture.h"
#include "keybus/kb_decode.h"
#include "keybus/kb_engine.h"

static kb_engine_t eng;

/* as keybus-reader: milliseconds modulo 2^32 (times can be 1e12 s) */
static uint32_t ms(double t) { return (uint32_t)(llround(t * 1000.0) & 0xFFFFFFFFll); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kb_cap_log_t log;
  FILE *f;
  int last_line = 0;
  const kb_cap_rec_t *prev = NULL;
  (void)kb_capture_detect((const char *)data, size);
  f = fmemopen((void *)data, size ? size : 1, "r");
  if (!f) return 0;
  if (!size) { /* fmemopen needs a size; an empty file is a valid input */
    fclose(f);
    return 0;
  }
  kb_cap_init(&log);
  FZ_ASSERT(kb_cap_parse_stream(&log, f, "fuzz.txt") == 0 || log.oom);
  fclose(f);
  FZ_ASSERT(log.panel_frames + log.module_frames <= log.n);
  kb_engine_init(&eng, KB_MODE_LOG, NULL, NULL);
  for (size_t i = 0; i < log.n; i++) {
    const kb_cap_rec_t *r = &log.rec[i];
    FZ_ASSERT(r->lineno >= last_line && r->lineno >= 1);
    last_line = r->lineno;
    if (r->kind == KB_CAP_SECTION) {
      FZ_ASSERT(r->name != NULL);
      kb_engine_init(&eng, KB_MODE_LOG, NULL, NULL);
      prev = NULL;
      continue;
    }
    if (r->kind != KB_CAP_FRAME) {
      kb_engine_connected(&eng, r->kind == KB_CAP_CONNECTED, ms(r->t));
      continue;
    }
    FZ_ASSERT(r->nbytes <= KB_FRAME_BYTES);
    FZ_ASSERT(r->source == KB_CAP_PANEL || r->source == KB_CAP_MODULE);
    if (r->source == KB_CAP_PANEL) {
      uint16_t noise = 0;
      const kb_cap_rec_t *next = NULL;
      if (r->bytes[0] == 0x05 || r->bytes[0] == 0x1B) {
        for (size_t j = i + 1; j < log.n && !next; j++)
          if (log.rec[j].kind == KB_CAP_FRAME && log.rec[j].source == KB_CAP_PANEL &&
              log.rec[j].bytes[0] == r->bytes[0])
            next = &log.rec[j];
        if (prev && next)
          noise = kb_filter_log_judge(prev->bytes, prev->bits, r->bytes, r->bits, next->bytes,
                                      next->bits, (r->lineno & 1) != 0);
        prev = r;
      }
      (void)kb_engine_panel(&eng, r->bytes, r->nbytes, r->bits, noise, ms(r->t),
                            NULL);
    } else {
      (void)kb_engine_module(&eng, r->under, r->under_sub, r->bytes, r->nbytes, r->bits,
                             ms(r->t), NULL);
    }
  }
  /* streaming (keybus-reader): line by line, records taken and cleared
   * after each line; the same records must come out */
  {
    kb_cap_log_t sl;
    size_t k = 0;
    int lineno = 0, got;
    f = fmemopen((void *)data, size, "r");
    if (f) {
      kb_cap_init(&sl);
      do {
        got = kb_cap_read_line(&sl, f, "fuzz.txt", &lineno);
        for (size_t i = 0; i < sl.n; i++, k++) {
          FZ_ASSERT(k < log.n);
          FZ_ASSERT(sl.rec[i].kind == log.rec[k].kind && sl.rec[i].lineno == log.rec[k].lineno);
          FZ_ASSERT(memcmp(sl.rec[i].bytes, log.rec[k].bytes, KB_FRAME_BYTES) == 0);
          FZ_ASSERT(sl.rec[i].bits == log.rec[k].bits && sl.rec[i].under == log.rec[k].under);
        }
        kb_cap_clear(&sl);
      } while (got > 0);
      FZ_ASSERT(k == log.n || log.oom);
      FZ_ASSERT(sl.lines == log.lines);
      kb_cap_free(&sl);
      fclose(f);
    }
  }
  kb_cap_free(&log);
  return 0;
}
