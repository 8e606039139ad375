/* SPDX-License-Identifier: MIT
 *
 * test_vcd.c - waveform generator, VCD writer/reader and the edge adaptor,
 * end to end through the link layer (src/host/kb_wave.c, kb_vcd.c,
 * kb_edges.c, src/core/kb_link.c).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_edges.h"
#include "host/kb_vcd.h"
#include "host/kb_wave.h"
#include "keybus/kb_link.h"

typedef struct {
  uint8_t panel[KB_FRAME_BYTES];
  uint8_t module[KB_FRAME_BYTES];
  bool has_module;
  unsigned bits;
} msg_t;

static kb_link_t link_; /* large: static */

/* Expected link bytes for a stream: the message bits, then the extra
 * trailing 1 the generator's closing clock cycle adds. */
static void expect_stream(const uint8_t *src, unsigned bits, uint8_t *out) {
  unsigned total = bits + 1, k;
  memset(out, 0, KB_FRAME_BYTES);
  for (k = 0; k < total; k++) {
    unsigned b = k < bits ? (unsigned)kb_wave_bit(src, bits, k) : 1u;
    unsigned idx = k < 8 ? 0 : k == 8 ? 1 : 2 + (k - 9) / 8;
    if (idx < KB_FRAME_BYTES) out[idx] = (uint8_t)((out[idx] << 1) | b);
  }
}

static const uint8_t all_ff[KB_FRAME_BYTES] = {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                               0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

/* Checks the link's frames against the messages. */
static void check_frames(const msg_t *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const kb_frame_t *f = kb_link_peek(&link_);
    uint8_t want[KB_FRAME_BYTES];
    unsigned nb;
    KT_CHECK(f != NULL);
    if (!f) return;
    nb = (m[i].bits + 1 + 7) / 8 + 1; /* bytes touched incl. the stop-bit byte */
    if (nb > KB_FRAME_BYTES) nb = KB_FRAME_BYTES;
    KT_EQ(f->panel_bits, m[i].bits + 1);
    KT_EQ(f->module_bits, m[i].bits + 1);
    expect_stream(m[i].panel, m[i].bits, want);
    if (memcmp(f->panel, want, nb) != 0)
      kt_fail(__FILE__, __LINE__, "message %zu: panel bytes differ (cmd %02X got %02X)", i,
              want[0], f->panel[0]);
    expect_stream(m[i].has_module ? m[i].module : all_ff, m[i].bits, want);
    if (memcmp(f->module, want, nb) != 0)
      kt_fail(__FILE__, __LINE__, "message %zu: module bytes differ", i);
    KT_EQ(f->module_seen != 0, m[i].has_module && memcmp(m[i].module, all_ff, (m[i].bits + 7) / 8) != 0);
    kb_link_pop(&link_);
  }
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* A set of messages: early 0x05 + key, 0x11 with 2 trailing bits, 0x1C with
 * fire key, 0x4C (15 bytes), a 16-byte frame, 0x64 alone. */
static size_t make_messages(msg_t *m) {
  static const uint8_t p05[] = {0x05, 0x00, 0x81, 0x01, 0x91, 0xC7};
  static const uint8_t m05[] = {0xFF, 0x01, 0x05, 0xFF, 0xFF, 0xFF};
  static const uint8_t p11[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x02};
  static const uint8_t m11[] = {0xFF, 0x01, 0x3F, 0xFF, 0x0F, 0xF3, 0xFF, 0xFF, 0xFF, 0x03};
  static const uint8_t p1c[] = {0x1C, 0x00};
  static const uint8_t m1c[] = {0x77, 0x01};
  static const uint8_t p4c[] = {0x4C, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                                0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
  static const uint8_t m4c[] = {0xFF, 0x01, 0x0F, 0xFF, 0xFF, 0xFF, 0xCF, 0xFF, 0xFF,
                                0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  static const uint8_t p64[] = {0x64, 0x00, 0x06, 0x6A};
  size_t n = 0;
  memset(m, 0, 7 * sizeof *m);
  memcpy(m[n].panel, p05, sizeof p05), memcpy(m[n].module, m05, sizeof m05);
  m[n].has_module = true, m[n++].bits = 41;
  memcpy(m[n].panel, p11, sizeof p11), memcpy(m[n].module, m11, sizeof m11);
  m[n].has_module = true, m[n++].bits = 67;
  memcpy(m[n].panel, p1c, sizeof p1c), memcpy(m[n].module, m1c, sizeof m1c);
  m[n].has_module = true, m[n++].bits = 9;
  memcpy(m[n].panel, p4c, sizeof p4c), memcpy(m[n].module, m4c, sizeof m4c);
  m[n].has_module = true, m[n++].bits = 113;
  for (int i = 0; i < KB_FRAME_BYTES; i++) m[n].panel[i] = (uint8_t)(0x31 * i + 7);
  m[n].panel[1] = 0;
  m[n++].bits = 8 * KB_FRAME_BYTES - 7;
  memcpy(m[n].panel, p64, sizeof p64);
  m[n++].bits = 25;
  return n;
}

static void wave_all(kb_wave_t *w, const msg_t *m, size_t n) {
  for (size_t i = 0; i < n; i++)
    KT_CHECK(kb_wave_message(w, m[i].panel, m[i].has_module ? m[i].module : NULL, m[i].bits) > 0);
}

/* ------------------------------------------------------------------ */

static void test_wave_timing(void) {
  static const uint8_t p64[] = {0x64, 0x00, 0x06, 0x6A};
  kb_edge_vec_t v = {0};
  kb_wave_t w;
  unsigned clocks = 0, n;
  kb_wave_init(&w, 1000, kb_edge_vec_push, &v);
  n = kb_wave_message(&w, p64, NULL, 25);
  KT_EQ(n, v.n);
  KT_CHECK(v.n > 0);
  if (!v.n) return;
  KT_EQ(v.v[0].wire, KB_EDGE_CLOCK);
  KT_EQ(v.v[0].level, 0);
  KT_EQ(v.v[0].t_us, 1000 + 5000);
  for (size_t i = 0; i < v.n; i++) {
    if (i) KT_CHECK(v.v[i].t_us >= v.v[i - 1].t_us);
    if (v.v[i].wire == KB_EDGE_CLOCK) {
      KT_EQ(v.v[i].t_us, 6000 + 500 * clocks);
      KT_EQ(v.v[i].level, clocks % 2);
      clocks++;
    }
  }
  KT_EQ(clocks, 2 * (25 + 1));
  KT_EQ(kb_wave_now(&w), 6000 + 26 * 1000 - 500);
  KT_EQ(v.v[v.n - 1].wire, KB_EDGE_CLOCK); /* data already high at the end */
  /* bad bit counts emit nothing */
  KT_EQ(kb_wave_message(&w, p64, NULL, 0), 0);
  KT_EQ(kb_wave_message(&w, p64, NULL, KB_WAVE_MAX_BITS + 1), 0);
  kb_edge_vec_free(&v);
}

static void test_wave_bit(void) {
  static const uint8_t p[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x02};
  KT_EQ(kb_wave_bit(p, 67, 0), 0);
  KT_EQ(kb_wave_bit(p, 67, 3), 1);
  KT_EQ(kb_wave_bit(p, 67, 8), 0);
  KT_EQ(kb_wave_bit(p, 67, 9), 1);
  KT_EQ(kb_wave_bit(p, 67, 64), 0);
  KT_EQ(kb_wave_bit(p, 67, 65), 1); /* trailing "10", right-aligned 0x02 */
  KT_EQ(kb_wave_bit(p, 67, 66), 0);
  /* the longest message: KB_FRAME_BYTES complete bytes + 7 trailing bits;
   * those lie past the buffer and read 1 (they used to be read from one byte
   * past it: ASan, found by tests/fuzz/fuzz_keys) */
  {
    uint8_t *b = malloc(KB_FRAME_BYTES);
    KT_CHECK(b != NULL);
    if (b) {
      memset(b, 0, KB_FRAME_BYTES);
      for (unsigned k = 8u * KB_FRAME_BYTES - 7u; k < KB_WAVE_MAX_BITS; k++)
        KT_EQ(kb_wave_bit(b, KB_WAVE_MAX_BITS, k), 1);
      KT_EQ(kb_wave_bit(b, KB_WAVE_MAX_BITS, 8u * KB_FRAME_BYTES - 8u), 0);
      free(b);
    }
  }
}

/* generator -> adaptor -> link, also across the 32-bit wrap */
static void test_wave_to_link(void) {
  msg_t m[8];
  size_t n = make_messages(m);
  static const uint64_t origins[] = {0, 0xFFFFFFFFull - 100000u, 0x100000000ull * 3 + 12345};
  for (size_t o = 0; o < 3; o++) {
    kb_edges_t a;
    kb_wave_t w;
    kb_link_stats_t st;
    kb_link_init(&link_);
    kb_edges_init(&a, &link_);
    kb_wave_init(&w, origins[o], kb_edges_cb, &a);
    wave_all(&w, m, n);
    kb_edges_finish(&a);
    KT_EQ(a.port.cancelled, 0);
    KT_EQ(a.port.duplicates, 0);
    kb_link_stats(&link_, &st);
    KT_EQ(st.frames, n);
    check_frames(m, n);
  }
}

/* with module lag and panel lag inside the phase, same result */
static void test_wave_lags(void) {
  msg_t m[8];
  size_t n = make_messages(m);
  kb_edges_t a;
  kb_wave_t w;
  kb_link_init(&link_);
  kb_edges_init(&a, &link_);
  kb_wave_init(&w, 777, kb_edges_cb, &a);
  w.module_lag_us = 160;
  w.panel_lag_us = 30;
  wave_all(&w, m, n);
  kb_edges_finish(&a);
  check_frames(m, n);
}

/* generator -> VCD writer -> VCD reader -> adaptor -> link */
static void test_vcd_roundtrip(void) {
  msg_t m[8];
  size_t n = make_messages(m);
  FILE *f = tmpfile();
  kb_vcd_writer_t vw;
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_wave_t w;
  kb_edges_t a;
  kb_edge_vec_t direct = {0}, back = {0};
  long got;
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(kb_vcd_writer_begin(&vw, f, "test", 100, true, true), 0);
  kb_wave_init(&w, 100, kb_edge_vec_push, &direct);
  wave_all(&w, m, n);
  for (size_t i = 0; i < direct.n; i++) KT_EQ(kb_vcd_writer_edge(&vw, &direct.v[i]), 0);
  KT_EQ(kb_vcd_writer_end(&vw, kb_wave_now(&w) + 5000), 0);
  KT_EQ(vw.edges, direct.n);
  rewind(f);
  KT_EQ(kb_vcd_open(&r, f, "rt.vcd", NULL, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_CLOCK], "clock");
  KT_STREQ(r.var[KB_EDGE_DATA], "data");
  got = kb_vcd_read_all(&r, kb_edge_vec_push, &back);
  KT_EQ(errs.n, 0);
  KT_EQ(got, (long)direct.n + 2); /* + the two initial values */
  KT_EQ(r.t_us, kb_wave_now(&w) + 5000);
  /* same edges (after the initial values) */
  KT_CHECK(back.n == direct.n + 2);
  for (size_t i = 0; back.n == direct.n + 2 && i < direct.n; i++) {
    if (back.v[i + 2].t_us != direct.v[i].t_us || back.v[i + 2].wire != direct.v[i].wire ||
        back.v[i + 2].level != direct.v[i].level) {
      kt_fail(__FILE__, __LINE__, "edge %zu differs after the VCD round trip", i);
      break;
    }
  }
  kb_link_init(&link_);
  kb_edges_init(&a, &link_);
  for (size_t i = 0; i < back.n; i++) kb_edges_feed(&a, &back.v[i]);
  kb_edges_advance(&a, r.t_us);
  kb_edges_finish(&a);
  KT_EQ(a.port.duplicates, 2);
  check_frames(m, n);
  kb_edge_vec_free(&direct);
  kb_edge_vec_free(&back);
  kb_errs_free(&errs);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
}

static void test_vcd_writer_format(void) {
  char buf[1024];
  size_t len;
  FILE *f = tmpfile();
  kb_vcd_writer_t vw;
  kb_edge_t e1 = {2000, KB_EDGE_CLOCK, 0}, e2 = {2000, KB_EDGE_DATA, 0}, e3 = {2500, KB_EDGE_CLOCK, 1},
            dup = {2600, KB_EDGE_CLOCK, 1}, back = {100, KB_EDGE_DATA, 1};
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(kb_vcd_writer_begin(&vw, f, "2025-01-01", 0, true, true), 0);
  kb_vcd_writer_cb(&vw, &e1);
  KT_EQ(kb_vcd_writer_edge(&vw, &e2), 0);
  KT_EQ(kb_vcd_writer_edge(&vw, &e3), 0);
  KT_EQ(kb_vcd_writer_edge(&vw, &dup), 0);
  KT_EQ(kb_vcd_writer_edge(&vw, &back), -1);
  KT_CHECK(vw.err);
  KT_EQ(kb_vcd_writer_end(&vw, 9000), -1); /* err is sticky */
  rewind(f);
  len = fread(buf, 1, sizeof buf - 1, f);
  buf[len] = 0;
  KT_STREQ(buf,
           "$date\n  2025-01-01\n$end\n$version\n  keybus\n$end\n$timescale 1us $end\n"
           "$scope module keybus $end\n$var wire 1 ! clock $end\n$var wire 1 \" data $end\n"
           "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n1!\n1\"\n$end\n"
           "#2000\n0!\n0\"\n#2500\n1!\n#9000\n");
  fclose(f);
}

/* Hand-made fixture: 1 ns timescale, data declared before clock, names
 * "DATA"/"CLK", an 8-bit bus var, +-30 us jitter, 60 us module lag. */
static void test_vcd_fixture_1ns(void) {
  FILE *f = fopen(kt_data_path("vcd/fire_key_1ns.vcd"), "r");
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edges_t a;
  const kb_frame_t *fr;
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(kb_vcd_open(&r, f, "fire_key_1ns.vcd", NULL, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_CLOCK], "CLK");
  KT_STREQ(r.var[KB_EDGE_DATA], "DATA");
  KT_EQ(r.div, 1000);
  kb_link_init(&link_);
  kb_edges_init(&a, &link_);
  KT_CHECK(kb_vcd_read_all(&r, kb_edges_cb, &a) > 80);
  kb_edges_advance(&a, r.t_us);
  kb_edges_finish(&a);
  KT_EQ(errs.n, 0);
  fr = kb_link_peek(&link_);
  KT_CHECK(fr != NULL);
  if (fr) {
    KT_EQ(fr->panel[0], 0x1C);
    KT_EQ(fr->panel[1], 0x00);
    KT_EQ(fr->panel_bits, 10);
    KT_EQ(fr->module[0], 0x77);
    KT_EQ(fr->module[1], 0x01);
    KT_CHECK(fr->module_seen);
    kb_link_pop(&link_);
  }
  fr = kb_link_peek(&link_);
  KT_CHECK(fr != NULL);
  if (fr) {
    KT_EQ(fr->panel[0], 0x64);
    KT_EQ(fr->panel[2], 0x06);
    KT_EQ(fr->panel[3], 0x6A);
    KT_EQ(fr->panel_bits, 26);
    KT_CHECK(!fr->module_seen);
    kb_link_pop(&link_);
  }
  KT_CHECK(kb_link_peek(&link_) == NULL);
  kb_errs_free(&errs);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
}

/* Opens VCD text given in the test; returns the open() result. */
static int open_text(kb_vcd_reader_t *r, FILE **f, const char *text, const kb_vcd_opts_t *o,
                     kb_errs_t *errs) {
  *f = fmemopen((void *)text, strlen(text), "r");
  KT_CHECK(*f != NULL);
  if (!*f) return -2;
  return kb_vcd_open(r, *f, "mem.vcd", o, errs);
}

static void test_vcd_timescales(void) {
  static const struct {
    const char *ts;
    uint64_t t_us; /* of "#5000" */
  } cases[] = {
      {"1 us", 5000},     {"1us", 5000},      {"10 us", 50000},  {"1 ns", 5},
      {"10 ns", 50},      {"100ns", 500},     {"100 ps", 0},     {"1 ms", 5000000},
      {"\n  1\n  us\n", 5000}, {"1 s", 5000000000ull}, {"10 fs", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[512];
    kb_vcd_reader_t r;
    kb_errs_t errs = {0};
    kb_edge_t e;
    FILE *f;
    snprintf(text, sizeof text,
             "$timescale %s $end\n$var wire 1 a clk $end\n$var wire 1 b dat $end\n"
             "$enddefinitions $end\n#5000\n0a\n",
             cases[i].ts);
    KT_EQ(open_text(&r, &f, text, NULL, &errs), 0);
    KT_EQ(kb_vcd_next(&r, &e), 1);
    if (e.t_us != cases[i].t_us)
      kt_fail(__FILE__, __LINE__, "timescale \"%s\": %llu us", cases[i].ts,
              (unsigned long long)e.t_us);
    KT_EQ(e.wire, KB_EDGE_CLOCK);
    KT_EQ(e.level, 0);
    KT_EQ(kb_vcd_next(&r, &e), 0);
    KT_EQ(errs.n, 0);
    kb_errs_free(&errs);
    kb_vcd_close(&r); /* reading stopped early: release the reader */
    if (f) fclose(f);
  }
}

static void test_vcd_selection(void) {
  static const char two[] =
      "$scope module top $end\n$var wire 1 % D0 $end\n$var wire 1 & D1 $end\n$upscope $end\n"
      "$enddefinitions $end\n#1 0% 0&\n";
  static const char named[] =
      "$var reg 4 z nibble $end\n$var wire 1 q foo $end\n$var wire 1 #c Clock_Yellow $end\n"
      "$var wire 1 x bar $end\n$enddefinitions $end\n#1 b0 #c b1 x\n#2 0q\n";
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edge_t e;
  kb_vcd_opts_t o = {"bar", "foo"};
  FILE *f;
  /* unnamed wires: first = clock, second = data */
  KT_EQ(open_text(&r, &f, two, NULL, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_CLOCK], "D0");
  KT_STREQ(r.var[KB_EDGE_DATA], "D1");
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_CLOCK && e.level == 0 && e.t_us == 1);
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_DATA && e.level == 0);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
  /* clock by name, data = first remaining 1-bit var; multi-char ids; b0 form */
  KT_EQ(open_text(&r, &f, named, NULL, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_CLOCK], "Clock_Yellow");
  KT_STREQ(r.var[KB_EDGE_DATA], "foo");
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_CLOCK && e.level == 0 && e.t_us == 1);
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_DATA && e.level == 0 && e.t_us == 2);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
  /* explicit names */
  KT_EQ(open_text(&r, &f, named, &o, &errs), 0);
  KT_STREQ(r.var[KB_EDGE_CLOCK], "bar");
  KT_STREQ(r.var[KB_EDGE_DATA], "foo");
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_CLOCK && e.level == 1);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
  KT_EQ(errs.n, 0);
  o.clock_name = "nope";
  KT_EQ(open_text(&r, &f, named, &o, &errs), -1);
  KT_EQ(errs.n, 1);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
  kb_errs_free(&errs);
}

static void test_vcd_errors(void) {
  static const char body[] =
      "$timescale 1 us $end\n"                               /* 1 */
      "$var wire 1 ! clock $end\n$var wire 1 \" data $end\n" /* 2, 3 */
      "$enddefinitions $end\n"                               /* 4 */
      "#10\n1!\n"                                            /* 5, 6 */
      "hello\n"                                              /* 7 */
      "#5\n"                                                 /* 8 */
      "#x1\n"                                                /* 9 */
      "2!\n"                                                 /* 10 */
      "$comment ignored 0! $end x!\n"                        /* 11 */
      "z!\n0\"\n";                                           /* 12, 13 */
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edge_vec_t v = {0};
  FILE *f;
  KT_EQ(open_text(&r, &f, body, NULL, &errs), 0);
  KT_EQ(kb_vcd_read_all(&r, kb_edge_vec_push, &v), 2); /* 1! (first value), 0" ; z! = 1 no change */
  KT_EQ(errs.n, 4);
  if (errs.n == 4) {
    KT_STREQ(errs.msg[0], "mem.vcd:7: bad token \"hello\"");
    KT_STREQ(errs.msg[1], "mem.vcd:8: time goes backwards \"#5\"");
    KT_STREQ(errs.msg[2], "mem.vcd:9: bad time \"#x1\"");
    KT_STREQ(errs.msg[3], "mem.vcd:10: bad token \"2!\"");
  }
  KT_CHECK(v.n == 2 && v.v[1].wire == KB_EDGE_DATA && v.v[1].t_us == 10);
  kb_edge_vec_free(&v);
  kb_errs_free(&errs);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);

  /* header problems are fatal */
  {
    static const char *bad[] = {
        "",
        "$timescale 1 us $end\n",
        "$var wire 1 ! clock $end\n$enddefinitions $end\n",
        "$timescale 3 lightyears $end\n$var wire 1 ! clock $end\n",
        "$var wire 1 ! clock\n",
        "garbage garbage\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      kb_edge_t e;
      FILE *g = fmemopen((void *)bad[i], strlen(bad[i]) + (bad[i][0] ? 0 : 1), "r");
      KT_CHECK(g != NULL);
      if (!g) continue;
      KT_EQ(kb_vcd_open(&r, g, "bad.vcd", NULL, &errs), -1);
      KT_EQ(kb_vcd_next(&r, &e), -1);
      KT_CHECK(errs.n > 0);
      kb_errs_free(&errs);
      fclose(g);
    }
  }
}

/* Random bytes, with and without a valid header: errors, no crash. */
static void test_vcd_fuzz(void) {
  static const char header[] =
      "$timescale 1 ns $end $var wire 1 ! clk $end $var wire 1 \" data $end $enddefinitions $end\n";
  static const char alphabet[] = "01xzb#$!\" \n\tr9enddumpvars";
  unsigned seed = 99;
  char *buf = malloc(70000);
  KT_CHECK(buf != NULL);
  if (!buf) return;
  for (int iter = 0; iter < 200; iter++) {
    size_t hl = (iter & 1) ? strlen(header) : 0, len = hl + (size_t)(iter * 331 % 65000);
    kb_vcd_reader_t r;
    kb_errs_t errs = {0};
    FILE *f;
    memcpy(buf, header, hl);
    for (size_t i = hl; i < len; i++) {
      seed = seed * 1103515245u + 12345u;
      buf[i] = (iter & 2) ? alphabet[(seed >> 16) % (sizeof alphabet - 1)] : (char)((seed >> 16) & 0xFF);
    }
    if (len == 0) buf[len++] = ' ';
    f = fmemopen(buf, len, "r");
    KT_CHECK(f != NULL);
    if (!f) break;
    if (kb_vcd_open(&r, f, "fuzz", NULL, &errs) == 0) {
      kb_edges_t a;
      kb_link_init(&link_);
      kb_edges_init(&a, &link_);
      (void)kb_vcd_read_all(&r, kb_edges_cb, &a);
      kb_edges_finish(&a);
    }
    KT_CHECK(errs.n <= KB_VCD_MAX_ERRORS + 2 + 2); /* + the two undeclared-identifier warnings */
    kb_errs_free(&errs);
    kb_vcd_close(&r); /* reading stopped early: release the reader */
    fclose(f);
  }
  free(buf);
}

/* Adaptor details: duplicates, glitch cancellation, sample before an edge
 * at exactly the sample time. */
static void test_edges_adaptor(void) {
  kb_edges_t a;
  const kb_frame_t *fr;
  uint64_t t = 10000;
  kb_edge_t e;
  kb_link_init(&link_);
  kb_edges_init(&a, &link_);
  e = (kb_edge_t){5000, KB_EDGE_CLOCK, 1}; /* already high: duplicate */
  kb_edges_feed(&a, &e);
  KT_EQ(a.port.duplicates, 1);
  KT_EQ(a.port.clock_edges, 0);
  /* 9 cells; the data line changes exactly at each sample time, so every
   * sample must read the level from before the change: module bits read 1
   * (data goes low at fall+250), panel bits read 0 (data goes high at
   * rise+250 after being low) */
  for (int k = 0; k < 9; k++, t += 1000) {
    e = (kb_edge_t){t, KB_EDGE_CLOCK, 0};
    kb_edges_feed(&a, &e);
    e = (kb_edge_t){t + 250, KB_EDGE_DATA, 0};
    kb_edges_feed(&a, &e);
    e = (kb_edge_t){t + 500, KB_EDGE_CLOCK, 1};
    kb_edges_feed(&a, &e);
    e = (kb_edge_t){t + 750, KB_EDGE_DATA, 1};
    kb_edges_feed(&a, &e);
  }
  KT_EQ(a.port.samples, 18); /* each data change fired the sample before it */
  /* a glitch: fall and rise 100 us apart cancel the fall's sample */
  t += 20000;
  e = (kb_edge_t){t, KB_EDGE_CLOCK, 0};
  kb_edges_feed(&a, &e);
  e = (kb_edge_t){t + 100, KB_EDGE_CLOCK, 1};
  kb_edges_feed(&a, &e);
  KT_EQ(a.port.cancelled, 1);
  KT_EQ(a.port.samples, 18); /* the rise's sample is pending */
  /* out of order: processed at the previous time */
  e = (kb_edge_t){t, KB_EDGE_DATA, 0};
  kb_edges_feed(&a, &e);
  KT_EQ(a.out_of_order, 1);
  kb_edges_finish(&a);
  KT_EQ(a.port.samples, 19);
  fr = kb_link_peek(&link_);
  KT_CHECK(fr != NULL);
  if (fr) {
    KT_EQ(fr->panel_bits, 9);
    KT_EQ(fr->panel[0], 0x00);
    KT_EQ(fr->panel[1], 0x00);
    KT_EQ(fr->module[0], 0xFF);
    KT_EQ(fr->module[1], 0x01);
    kb_link_pop(&link_);
  }
  /* the glitch message has no panel bit: a runt, not a frame */
  KT_CHECK(kb_link_peek(&link_) == NULL);
}

/* ------------------------------------------------------------- replay */

typedef struct {
  unsigned frames, conn, disc;
  uint64_t t_frame[16], t_conn[4], t_disc[4];
} replay_log_t;

static void on_replay_frame(void *ctx, const kb_frame_t *f, uint64_t t) {
  replay_log_t *l = ctx;
  (void)f;
  if (l->frames < 16) l->t_frame[l->frames] = t;
  l->frames++;
}

static void on_replay_change(void *ctx, kb_link_change_t ch, uint64_t t) {
  replay_log_t *l = ctx;
  if (ch == KB_LINK_CONNECTED) {
    if (l->conn < 4) l->t_conn[l->conn] = t;
    l->conn++;
  } else {
    if (l->disc < 4) l->t_disc[l->disc] = t;
    l->disc++;
  }
}

static kb_replay_t replay_; /* large: static */

/* Issue 6 item 11: three messages, a gap of `gap` us (from the end of the
 * third message), three more, starting at t0. Each gap ends with the three
 * messages after it published and, when longer than the 3 s rule (plus a
 * step), exactly one disconnection ~3 s in, then one connection. The message
 * the gap ended is published at the first task step (100 ms after its last
 * edge), not only when the bus comes back. Gaps of 1e15 us and close to
 * UINT64_MAX end at once (they used to be walked in 100 ms steps). */
static void test_replay_gaps(void) {
  static const struct {
    uint64_t t0, gap;
    unsigned disc;
  } cases[] = {
      {0, 500000, 0},
      {0, 2900000, 0},
      {0, 3500000, 1},
      {0, 10000000, 1},
      {0, 1000000000000000ull, 1},
      {1700000000000000ull, 1000000000000000ull, 1}, /* absolute times */
      {0, 0x100000000ull, 1},                         /* 2^32 us: the link would see no gap */
      {0, UINT64_MAX - 10000000u, 1},                 /* ends close to UINT64_MAX */
  };
  msg_t m[8];
  size_t n = make_messages(m);
  KT_CHECK(n >= 6);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    kb_edge_vec_t v = {0};
    kb_wave_t w;
    replay_log_t log;
    uint64_t t_end1, t_start2;
    memset(&log, 0, sizeof log);
    kb_wave_init(&w, cases[c].t0, kb_edge_vec_push, &v);
    wave_all(&w, m, 3);
    t_end1 = kb_wave_now(&w);
    kb_wave_idle(&w, cases[c].gap);
    t_start2 = kb_wave_now(&w);
    wave_all(&w, m + 3, 3);
    kb_wave_idle(&w, 20000);
    KT_CHECK(!v.oom);
    kb_replay_init(&replay_, on_replay_frame, on_replay_change, &log);
    for (size_t i = 0; i < v.n; i++) kb_replay_edge(&replay_, &v.v[i]);
    kb_replay_end(&replay_, kb_wave_now(&w));
    if (log.frames != 6 || log.disc != cases[c].disc || log.conn != 1 + cases[c].disc)
      kt_fail(__FILE__, __LINE__, "case %zu: %u frames, %u disconnections, %u connections", c,
              log.frames, log.disc, log.conn);
    /* the third message: ended by the gap, published at the first step */
    KT_EQ(log.t_frame[2] - t_end1, KB_REPLAY_STEP_US);
    if (cases[c].disc == 1) {
      KT_CHECK(log.t_disc[0] > t_end1 + 3000000u && log.t_disc[0] <= t_end1 + 3300000u);
      KT_CHECK(log.t_conn[1] >= t_start2 && log.t_conn[1] < t_start2 + 200000u);
    }
    for (unsigned i = 3; i < 6 && i < log.frames; i++) KT_CHECK(log.t_frame[i] > t_start2);
    kb_edge_vec_free(&v);
  }
}

/* Jumping over a gap gives what walking it would: a gap just short of the
 * jump and one far beyond it differ only in the times after the gap. */
static void test_replay_jump_same(void) {
  msg_t m[8];
  size_t n = make_messages(m);
  replay_log_t a, b;
  uint64_t gaps[2] = {3250000u, 53250000u}; /* 50 s apart: same 100 ms grid */
  replay_log_t *logs[2] = {&a, &b};
  uint64_t starts[2];
  KT_CHECK(n >= 6);
  for (int g = 0; g < 2; g++) {
    kb_edge_vec_t v = {0};
    kb_wave_t w;
    memset(logs[g], 0, sizeof *logs[g]);
    kb_wave_init(&w, 0, kb_edge_vec_push, &v);
    wave_all(&w, m, 3);
    kb_wave_idle(&w, gaps[g]);
    starts[g] = kb_wave_now(&w);
    wave_all(&w, m + 3, 3);
    kb_replay_init(&replay_, on_replay_frame, on_replay_change, logs[g]);
    for (size_t i = 0; i < v.n; i++) kb_replay_edge(&replay_, &v.v[i]);
    kb_replay_end(&replay_, kb_wave_now(&w));
    KT_EQ(replay_.jumps, g == 0 ? 0 : 1);
    kb_edge_vec_free(&v);
  }
  KT_EQ(a.frames, b.frames);
  KT_EQ(a.disc, 1);
  KT_EQ(b.disc, 1);
  KT_EQ(a.t_disc[0], b.t_disc[0]);
  for (unsigned i = 0; i < 3; i++) KT_EQ(a.t_frame[i], b.t_frame[i]);
  for (unsigned i = 3; i < 6; i++) KT_EQ(a.t_frame[i] - starts[0], b.t_frame[i] - starts[1]);
  KT_EQ(a.t_conn[1] - starts[0], b.t_conn[1] - starts[1]);
}

/* Issue 6 item 13: clock and data declared after the 256th variable were
 * never selected (0 frames, no error). Any number of variables works. */
static void test_vcd_many_vars(void) {
  static const unsigned counts[] = {255, 256, 257, 1000, 5000};
  size_t cap = 400000;
  char *text = malloc(cap);
  KT_CHECK(text != NULL);
  if (!text) return;
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    size_t len = 0;
    kb_vcd_reader_t r;
    kb_errs_t errs = {0};
    kb_edge_t e;
    FILE *f;
    len += (size_t)snprintf(text + len, cap - len, "$timescale 1 us $end\n$scope module la $end\n");
    for (unsigned i = 0; i < counts[c]; i++)
      len += (size_t)snprintf(text + len, cap - len, "$var wire 1 v%u probe%u $end\n", i, i);
    len += (size_t)snprintf(text + len, cap - len,
                            "$var wire 1 C yellow $end\n$var wire 1 D green $end\n$upscope $end\n"
                            "$enddefinitions $end\n#7\n0v1\n0C\n#9\n0D\n");
    KT_CHECK(len < cap);
    KT_EQ(open_text(&r, &f, text, NULL, &errs), 0);
    KT_STREQ(r.id[KB_EDGE_CLOCK], "C");
    KT_STREQ(r.id[KB_EDGE_DATA], "D");
    KT_EQ(kb_vcd_next(&r, &e), 1);
    KT_CHECK(e.wire == KB_EDGE_CLOCK && e.level == 0 && e.t_us == 7);
    KT_EQ(kb_vcd_next(&r, &e), 1);
    KT_CHECK(e.wire == KB_EDGE_DATA && e.level == 0 && e.t_us == 9);
    KT_EQ(kb_vcd_next(&r, &e), 0);
    KT_EQ(errs.n, 0);
    KT_EQ(r.undeclared, 0);
    kb_errs_free(&errs);
    kb_vcd_close(&r); /* reading stopped early: release the reader */
    if (f) fclose(f);
  }
  free(text);
}

/* Issue 6 item 13: value changes of identifiers the header never declared
 * were dropped without a word. They are a warning (the selected wires are
 * declared, so nothing we decode is lost): reported once with file:line,
 * counted in `undeclared`, summed up at the end of the file; not an error
 * (reading goes on, they do not count towards KB_VCD_MAX_ERRORS).
 * Identifiers of wider variables are declared too: no warning for them. */
static void test_vcd_undeclared(void) {
  static const char body[] =
      "$var wire 1 ! clock $end\n$var wire 1 \" data $end\n$var reg 8 w byte $end\n" /* 1-3 */
      "$enddefinitions $end\n"                                                      /* 4 */
      "#10\n0!\n1?\n"                                                               /* 5-7 */
      "b1010 w\n"                                                                   /* 8 */
      "#20\n0?\nb1 Q\n0\"\n";                                                       /* 9-12 */
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edge_vec_t v = {0};
  FILE *f;
  KT_EQ(open_text(&r, &f, body, NULL, &errs), 0);
  KT_EQ(kb_vcd_read_all(&r, kb_edge_vec_push, &v), 2);
  KT_EQ(r.undeclared, 3);
  KT_EQ(r.nerr, 0);
  KT_EQ(errs.n, 2);
  if (errs.n == 2) {
    KT_STREQ(errs.msg[0],
             "mem.vcd:7: warning: value change of undeclared identifier \"?\" ignored (more are "
             "counted, not shown)");
    KT_STREQ(errs.msg[1], "mem.vcd: warning: 3 value changes of undeclared identifiers ignored");
  }
  kb_edge_vec_free(&v);
  kb_errs_free(&errs);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  fclose(f);
}

/* Issue 6 item 13: a VCD saved with a UTF-8 byte order mark is a VCD. */
static void test_vcd_bom(void) {
  static const char body[] =
      "\xEF\xBB\xBF$timescale 1 us $end\n$var wire 1 ! clock $end\n$var wire 1 \" data $end\n"
      "$enddefinitions $end\n#10\n0!\n";
  kb_vcd_reader_t r;
  kb_errs_t errs = {0};
  kb_edge_t e;
  FILE *f;
  KT_EQ(kb_capture_detect(body, sizeof body - 1), KB_CAPTURE_VCD);
  KT_EQ(open_text(&r, &f, body, NULL, &errs), 0);
  KT_EQ(kb_vcd_next(&r, &e), 1);
  KT_CHECK(e.wire == KB_EDGE_CLOCK && e.level == 0 && e.t_us == 10);
  KT_EQ(errs.n, 0);
  kb_errs_free(&errs);
  kb_vcd_close(&r); /* reading stopped early: release the reader */
  if (f) fclose(f);
}

/* 64-bit capture times: a gap longer than the core adaptor's 32-bit clock
 * (2^32 us, 71 minutes) still takes the armed sample before the next edge
 * (the core alone would see the truncated time, 100 us after the edge). */
static void test_edges_long_gap(void) {
  kb_edges_t a;
  kb_edge_t e;
  kb_link_init(&link_);
  kb_edges_init(&a, &link_);
  e = (kb_edge_t){1000, KB_EDGE_CLOCK, 0};
  kb_edges_feed(&a, &e);
  e = (kb_edge_t){1500, KB_EDGE_CLOCK, 1};
  kb_edges_feed(&a, &e);
  KT_EQ(a.port.samples, 1);
  e = (kb_edge_t){1600 + ((uint64_t)1 << 32), KB_EDGE_DATA, 0};
  kb_edges_feed(&a, &e);
  KT_EQ(a.port.samples, 2);
  KT_EQ(link_.p_count, 1);
  KT_EQ(link_.slot[0].panel[0] & 1u, 1); /* the level before the change */
  kb_edges_advance(&a, 1u << 31);         /* an earlier time fires nothing */
  KT_EQ(a.port.samples, 2);
}

KT_MAIN(KT_CASE(test_edges_long_gap), KT_CASE(test_wave_timing), KT_CASE(test_wave_bit), KT_CASE(test_wave_to_link),
        KT_CASE(test_wave_lags), KT_CASE(test_vcd_roundtrip), KT_CASE(test_vcd_writer_format),
        KT_CASE(test_vcd_fixture_1ns), KT_CASE(test_vcd_timescales), KT_CASE(test_vcd_selection),
        KT_CASE(test_vcd_errors), KT_CASE(test_vcd_fuzz), KT_CASE(test_edges_adaptor),
        KT_CASE(test_replay_gaps), KT_CASE(test_replay_jump_same),
        KT_CASE(test_vcd_many_vars), KT_CASE(test_vcd_undeclared), KT_CASE(test_vcd_bom))
