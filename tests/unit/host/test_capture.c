/* SPDX-License-Identifier: MIT
 *
 * test_capture.c - text capture log parser (src/host/kb_capture.c).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "host/kb_capture.h"

static const char CAP_DIR[] = "captures";

/* Parses tests/data/captures/<file> into log. */
static void parse_capture(kb_cap_log_t *log, const char *file) {
  char rel[256];
  snprintf(rel, sizeof rel, "%s/%s", CAP_DIR, file);
  kb_cap_init(log);
  KT_EQ(kb_cap_parse_file(log, kt_data_path(rel)), 0);
}

/* Parses text given in the test (via fmemopen) as file "mem.txt". */
static void parse_text(kb_cap_log_t *log, const char *text) {
  FILE *f = fmemopen((void *)text, strlen(text), "r");
  kb_cap_init(log);
  KT_CHECK(f != NULL);
  if (!f) return;
  KT_EQ(kb_cap_parse_stream(log, f, "mem.txt"), 0);
  fclose(f);
}

static const kb_cap_rec_t *nth_frame(const kb_cap_log_t *log, size_t n) {
  for (size_t i = 0; i < log->n; i++)
    if (log->rec[i].kind == KB_CAP_FRAME && n-- == 0) return &log->rec[i];
  return NULL;
}

static const kb_cap_rec_t *frame_at_line(const kb_cap_log_t *log, int lineno) {
  for (size_t i = 0; i < log->n; i++)
    if (log->rec[i].kind == KB_CAP_FRAME && log->rec[i].lineno == lineno) return &log->rec[i];
  return NULL;
}

static bool bytes_are(const kb_cap_rec_t *r, const uint8_t *want, size_t n) {
  return r && memcmp(r->bytes, want, n) == 0;
}

/* ------------------------------------------------------------------ */

/* Every capture parses; only the deliberately garbled flood in
 * esphome-components #63 gives errors (3 lines). */
static void test_all_captures_parse(void) {
  DIR *d = opendir(kt_data_path(CAP_DIR));
  struct dirent *de;
  int files = 0;
  KT_CHECK(d != NULL);
  if (!d) return;
  while ((de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name);
    kb_cap_log_t log;
    bool garbled;
    if (len < 4 || strcmp(de->d_name + len - 4, ".txt") != 0) continue;
    files++;
    parse_capture(&log, de->d_name);
    garbled = strcmp(de->d_name, "Dilbert66-esphome-components-issue-63.txt") == 0;
    if (garbled) {
      KT_EQ(log.errs.n, 3);
    } else if (log.errs.n != 0) {
      kt_fail(__FILE__, __LINE__, "%s: %zu errors, first: %s", de->d_name, log.errs.n,
              log.errs.msg[0]);
    }
    if (log.panel_frames + log.module_frames == 0)
      kt_fail(__FILE__, __LINE__, "%s: no frames", de->d_name);
    KT_CHECK(!log.oom);
    kb_cap_free(&log);
  }
  closedir(d);
  KT_CHECK(files >= 25);
}

/* Panel / module frame counts, counted by hand from the files. */
static void test_frame_counts(void) {
  static const struct {
    const char *file;
    unsigned panel, module, sections;
  } want[] = {
      {"taligentx-dscKeybusInterface-issue-2.txt", 49, 23, 10},
      {"taligentx-dscKeybusInterface-issue-12.txt", 9, 1, 0},
      {"taligentx-dscKeybusInterface-issue-64.txt", 6, 5, 1},
      {"taligentx-dscKeybusInterface-issue-84.txt", 4, 2, 0},
      {"taligentx-dscKeybusInterface-issue-96.txt", 4, 1, 0}, /* masked line is #TRUNCATED */
      {"taligentx-dscKeybusInterface-issue-108.txt", 21, 12, 3},
      {"taligentx-dscKeybusInterface-issue-162.txt", 2, 4, 0},
      {"taligentx-dscKeybusInterface-issue-168.txt", 3, 2, 0},
      {"taligentx-dscKeybusInterface-issue-174.txt", 0, 8, 2},
      {"taligentx-dscKeybusInterface-issue-175.txt", 4, 2, 0},
      {"taligentx-dscKeybusInterface-issue-188.txt", 4, 4, 2},
      {"taligentx-dscKeybusInterface-issue-190.txt", 4, 3, 0},
      {"taligentx-dscKeybusInterface-issue-300.txt", 2, 0, 0},
      {"Dilbert66-esphome-dsckeybus-issue-3.txt", 17, 0, 3},
      {"Dilbert66-esphome-dsckeybus-issue-26.txt", 6, 1, 1},
      {"Dilbert66-esphome-dsckeybus-issue-74.txt", 1, 1, 0},
      {"Dilbert66-esphome-dsckeybus-issue-75.txt", 3, 1, 0},
      {"Dilbert66-esphome-dsckeybus-issue-109.txt", 2, 0, 0},
      {"Dilbert66-esphome-dsckeybus-issue-120.txt", 6, 2, 0},
      {"Dilbert66-esphome-dsckeybus-issue-180.txt", 1, 0, 0},
      {"Dilbert66-esphome-dsckeybus-issue-211.txt", 1, 12, 1},
      {"Dilbert66-esphome-components-issue-63.txt", 3, 2, 0},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    kb_cap_log_t log;
    unsigned sections = 0;
    parse_capture(&log, want[i].file);
    for (size_t k = 0; k < log.n; k++) sections += log.rec[k].kind == KB_CAP_SECTION;
    if (log.panel_frames != want[i].panel || log.module_frames != want[i].module ||
        sections != want[i].sections)
      kt_fail(__FILE__, __LINE__, "%s: panel %u module %u sections %u, want %u %u %u",
              want[i].file, log.panel_frames, log.module_frames, sections, want[i].panel,
              want[i].module, want[i].sections);
    kb_cap_free(&log);
  }
}

/* Sections: records between "# capture" headers; issue #2 has A..J. */
static void test_sections(void) {
  static const unsigned per_section[] = {8, 8, 9, 8, 1, 6, 3, 12, 7, 10};
  kb_cap_log_t log;
  int sec = -1;
  unsigned count[10] = {0};
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-2.txt");
  for (size_t i = 0; i < log.n; i++) {
    const kb_cap_rec_t *r = &log.rec[i];
    if (r->kind == KB_CAP_SECTION) {
      sec++;
      KT_CHECK(sec < 10);
      if (sec >= 10) break;
      KT_CHECK(r->name && strncmp(r->name, "capture ", 8) == 0 && r->name[8] == 'A' + sec);
    } else if (r->kind == KB_CAP_FRAME) {
      KT_CHECK(sec >= 0);
      if (sec >= 0) count[sec]++;
    }
  }
  KT_EQ(sec, 9);
  for (int s = 0; s < 10; s++) KT_EQ(count[s], per_section[s]);
  /* capture H: markdown rows = module key frames, no time; the section
   * header forgot the last panel command, so "under" is inferred from the
   * length of a status frame: 0x05 */
  {
    const kb_cap_rec_t *r = frame_at_line(&log, 57); /* "| 1 | ..." */
    static const uint8_t key1[] = {0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0xFF};
    KT_CHECK(r != NULL);
    if (r) {
      KT_EQ(r->source, KB_CAP_MODULE);
      KT_CHECK(!r->has_time);
      KT_CHECK(r->has_under && r->under_guessed && r->under == 0x05);
      KT_EQ(r->bits, 73);
      KT_CHECK(bytes_are(r, key1, sizeof key1));
    }
  }
  kb_cap_free(&log);
}

/* KeybusReader binary lines: bytes, bit counts, stop-bit layout, sources. */
static void test_binary_lines(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-108.txt");
  r = nth_frame(&log, 0); /* 0x11 with 7 AA bytes */
  KT_CHECK(r != NULL);
  if (r) {
    static const uint8_t w[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
    KT_EQ(r->source, KB_CAP_PANEL);
    KT_EQ(r->fmt, KB_CAP_FMT_BINARY);
    KT_EQ(r->bits, 65);
    KT_EQ(r->nbytes, 9);
    KT_CHECK(!r->padded);
    KT_CHECK(bytes_are(r, w, sizeof w));
    KT_EQ(r->lineno, 3);
  }
  r = frame_at_line(&log, 4); /* module answer under 0x11 */
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->has_under && r->under == 0x11);
  /* "35.51: 01110111 1 ..." [Keypad] fire key: module although byte 0 != FF */
  r = frame_at_line(&log, 22);
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->bytes[0] == 0x77 && r->bits == 41);
  /* "35.52: 00011100 0 [0x1C]": 9 bits, 2 bytes */
  r = frame_at_line(&log, 23);
  KT_CHECK(r && r->source == KB_CAP_PANEL && r->bits == 9 && r->nbytes == 2 && r->bytes[0] == 0x1C);
  kb_cap_free(&log);

  /* capture A of #2: "00110111 [0x37]" has no stop bit: 8 bits, 1 byte;
   * "01100011 1 [0x63]" is a panel line (label) with stop bit 1 */
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-2.txt");
  r = frame_at_line(&log, 6);
  KT_CHECK(r && r->bits == 8 && r->nbytes == 1 && r->bytes[0] == 0x37 && r->source == KB_CAP_PANEL);
  r = frame_at_line(&log, 5);
  KT_CHECK(r && r->bits == 9 && r->bytes[1] == 1 && r->source == KB_CAP_PANEL);
  /* unlabelled "61.93: 11111111 1 ..." line: module by its stop bit; 3 s
   * after the last panel line (0xE6.2C, 9 bytes) and 10 bytes long, so it
   * came with an unprinted 0x05 */
  r = frame_at_line(&log, 26);
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->has_under && r->under_guessed && r->under == 0x05);
  /* the line right after a panel line of the same message takes its command */
  r = frame_at_line(&log, 22);
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->has_under && !r->under_guessed && r->under == 0xD5);
  kb_cap_free(&log);

  /* trailing partial group: right-aligned in bytes[nbytes] */
  parse_text(&log, "  1.00: 00010001 0 10101010 10 [0x11] Keypad slot query\n");
  r = nth_frame(&log, 0);
  KT_EQ(log.errs.n, 0);
  KT_CHECK(r && r->bits == 19 && r->nbytes == 3 && r->bytes[2] == 0xAA && r->bytes[3] == 0x02);
  kb_cap_free(&log);
}

/* Expander-branch variant and [Module/0xNN] labels give "under". */
static void test_under(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-64.txt");
  r = frame_at_line(&log, 4); /* [MODULE] 5: */
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->has_under && r->under == 0x05);
  KT_CHECK(r && r->has_time && r->t > 40087.85 && r->t < 40087.87 && r->t_res_ms == 10);
  r = frame_at_line(&log, 5); /* [PANEL] 0x4C, 15 bytes */
  KT_CHECK(r && r->source == KB_CAP_PANEL && r->bits == 113 && r->nbytes == 15);
  r = frame_at_line(&log, 6); /* [MODULE] 4C: */
  KT_CHECK(r && r->under == 0x4C && r->bytes[2] == 0x0F);
  r = frame_at_line(&log, 13); /* capture B, no timestamps, [Module/0x05] */
  KT_CHECK(r && !r->has_time && r->has_under && r->under == 0x05);
  kb_cap_free(&log);

  parse_text(&log,
             "11111111 1 00000101 11111111 [Module/0xE6.1A] x\n"
             "    2.00: 11100110 0 00011000 00000001 [0xE6] y\n"
             "    2.01: 11111111 1 11111111 11111111\n"
             "# capture Z\n"
             "    2.02: 11111111 1 11111111 11111111\n");
  KT_EQ(log.errs.n, 0);
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->has_under && r->under == 0xE6 && r->under_sub == 0x1A);
  r = nth_frame(&log, 2);
  KT_CHECK(r && r->has_under && r->under == 0xE6 && r->under_sub == 0x18);
  r = nth_frame(&log, 3);
  KT_CHECK(r && !r->has_under);
  kb_cap_free(&log);
}

/* ESPHome hex lines: bit counts, padding, CMD field of module lines. */
static void test_hex_lines(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_capture(&log, "Dilbert66-esphome-components-issue-63.txt");
  r = frame_at_line(&log, 7); /* 11 00 AA x7 02 (67) */
  KT_CHECK(r != NULL);
  if (r) {
    static const uint8_t w[] = {0x11, 0x00, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0x02};
    KT_EQ(r->source, KB_CAP_PANEL);
    KT_EQ(r->fmt, KB_CAP_FMT_HEX);
    KT_EQ(r->bits, 67);
    KT_EQ(r->nbytes, 9); /* 65 bits of bytes + 2 trailing bits (0x02) */
    KT_CHECK(!r->padded);
    KT_EQ(r->logged_bits, 67);
    KT_CHECK(bytes_are(r, w, sizeof w));
    KT_CHECK(r->has_time && r->t_res_ms == 1);
    KT_CHECK(r->t > 13 * 3600 + 58 * 60 + 28.658 && r->t < 13 * 3600 + 58 * 60 + 28.660);
  }
  r = frame_at_line(&log, 8); /* Module line: (N) belongs to the panel frame */
  KT_CHECK(r && r->source == KB_CAP_MODULE && r->padded && r->nbytes == 16 && r->bits == 121 &&
           r->logged_bits == 67 && r->has_under && r->under == 0x11 && r->bytes[2] == 0x03);
  r = frame_at_line(&log, 9); /* E6 (66) */
  KT_CHECK(r && r->bits == 66 && r->nbytes == 9 && r->bytes[8] == 0x1A);
  KT_CHECK(strstr(log.errs.msg[0], ":2: hex frame without a Panel/Module tag") != NULL);
  KT_CHECK(strstr(log.errs.msg[2], ":5: bad hex token \"B[I][Panel\"") != NULL);
  kb_cap_free(&log);

  /* the variants' tags and CMD fields */
  parse_text(&log,
             "[20:37:06][I][Paneldata: :874]: 5D: 5D 00 00 00 00 00 00 5D 00 00 00 00 00 00 00 00 \n"
             "[11:36:54][I][Moduledata::971]: 05: FF 01 FF FF BF FF FF FF FF FF 01 00 00 00 00 00 \n"
             "07:23:55 | [I] | [Moduledata: | 81]: 2022-05-24 07:23  11: FF 01 FF FC FF F3 FF FF FF 03 00 00 00 00 00 00\n"
             "[05:45:05][I][dsc_alarm_panel:760]: Moduledata: 39: FF 01 55 55 55 55 44 00 00 00 00 00 00 00 00 00\n"
             "[23:32:38][I][Panel :965]: [2025-08-10 23:32] 38: 38 00 08 00 00 00 00 00 00 00 00 00 00 00 00 00 (16)\n"
             "[14:30:44.489][I][Module:1072]: [2026-04-21 14:30] 0C: 8A 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 (58)\n");
  KT_EQ(log.errs.n, 0);
  KT_EQ(log.panel_frames, 2);
  KT_EQ(log.module_frames, 4);
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->source == KB_CAP_PANEL && r->padded && r->nbytes == 16 && r->bytes[7] == 0x5D &&
           r->t_res_ms == 1000);
  r = nth_frame(&log, 1);
  KT_CHECK(r && r->under == 0x05 && r->bytes[4] == 0xBF);
  r = nth_frame(&log, 2);
  KT_CHECK(r && r->under == 0x11 && r->has_time && r->t == 7 * 3600 + 23 * 60 + 55);
  r = nth_frame(&log, 3);
  KT_CHECK(r && r->under == 0x39);
  r = nth_frame(&log, 4);
  KT_CHECK(r && r->bits == 16 && r->nbytes == 2 && !r->padded);
  r = nth_frame(&log, 5);
  KT_CHECK(r && r->under == 0x0C && r->bytes[0] == 0x8A && r->logged_bits == 58 && r->t_res_ms == 1);
  kb_cap_free(&log);
}

/* 2020 comma lists; "Partition1 changed data": the last 7 values. */
static void test_list_lines(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  static const uint8_t w05[] = {0x05, 0x00, 0x80, 0x9E, 0x00, 0xC7};
  static const uint8_t w81[] = {0x05, 0x00, 0x81, 0x01, 0x00, 0xC7, 0x00};
  parse_capture(&log, "Dilbert66-esphome-dsckeybus-issue-3.txt");
  r = frame_at_line(&log, 21); /* Partition1 changed data: 00,00,00,80,9E,00,00,05,00,80,9E,00,C7,00 */
  KT_CHECK(r != NULL);
  if (r) {
    KT_EQ(r->fmt, KB_CAP_FMT_LIST);
    KT_EQ(r->source, KB_CAP_PANEL);
    KT_CHECK(bytes_are(r, w05, sizeof w05));
    KT_EQ(r->nbytes, 7);
    KT_CHECK(r->padded);
  }
  r = frame_at_line(&log, 2); /* Panel command data: 05,00,81,01,00,C7,00 */
  KT_CHECK(r && bytes_are(r, w81, sizeof w81) && r->nbytes == 7 && r->bits == 49 && r->padded);
  KT_CHECK(r && r->has_time && r->t == 14 * 3600 + 48 * 60 + 22 && r->t_res_ms == 1000);
  r = frame_at_line(&log, 10); /* the odd trailing 04 is kept */
  KT_CHECK(r && r->bytes[6] == 0x04);
  kb_cap_free(&log);
}

/* Timestamps and their resolutions. */
static void test_timestamps(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-108.txt");
  r = frame_at_line(&log, 19); /* "   12.19: 10100101 ..." */
  KT_CHECK(r && r->has_time && r->t > 12.189 && r->t < 12.191 && r->t_res_ms == 10);
  kb_cap_free(&log);
  /* serial-monitor prefix: the KeybusReader time wins */
  parse_capture(&log, "taligentx-dscKeybusInterface-issue-168.txt");
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->t > 4180.419 && r->t < 4180.421 && r->t_res_ms == 10);
  kb_cap_free(&log);
  parse_text(&log,
             "03:25:55.523 -> 11111111 1 00000000 11111111\n"
             "[14:48:22] Panel command data: 05,00,81,01,00,C7,00\n"
             "7590.09: 00000101 0 10000001 00000010 10000001 11000111 [0x05] x\n"
             "11111111 1 00000000 11111111\n");
  KT_EQ(log.errs.n, 0);
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->has_time && r->t_res_ms == 1 && r->t > 3 * 3600 + 25 * 60 + 55.522 &&
           r->t < 3 * 3600 + 25 * 60 + 55.524);
  r = nth_frame(&log, 1);
  KT_CHECK(r && r->t_res_ms == 1000 && r->t == 53302.0);
  r = nth_frame(&log, 2);
  KT_CHECK(r && r->t_res_ms == 10 && r->t > 7590.089 && r->t < 7590.091);
  r = nth_frame(&log, 3);
  KT_CHECK(r && !r->has_time && r->t_res_ms == 0);
  kb_cap_free(&log);
}

/* Malformed frame lines: errors with file:line; parsing continues. */
static void test_errors(void) {
  kb_cap_log_t log;
  parse_text(&log,
             "# header\n"
             "   12.19: 10100101 0 0101 00101101 [0xA5] x\n"
             "   12.20: 1010010 0 [0x52]\n"
             "   12.21: 10100101 00 [0xA5]\n"
             "[10:00:00][I][Panel :966]: 05: 05 00 8G (41)\n"
             "[10:00:00][I][Panel :966]: 05 00 81 (41)\n"
             "[10:00:01][I][Module:966]: 05: FF 01 FF (41) FF\n"
             "[10:00:02] Panel command data: 05,00,zz\n"
             "   12.30: 01100100 0 00000110 01101010 [0x64] ok\n");
  KT_EQ(log.errs.n, 7);
  if (log.errs.n == 7) {
    KT_STREQ(log.errs.msg[0], "mem.txt:2: bad binary group \"0101\"");
    KT_STREQ(log.errs.msg[1], "mem.txt:3: bad binary group \"1010010\"");
    KT_STREQ(log.errs.msg[2], "mem.txt:4: bad binary group \"00\"");
    KT_STREQ(log.errs.msg[3], "mem.txt:5: bad hex token \"8G\"");
    KT_STREQ(log.errs.msg[4], "mem.txt:6: hex frame without a command field");
    KT_STREQ(log.errs.msg[5], "mem.txt:7: bad hex token \"FF\"");
    KT_CHECK(strncmp(log.errs.msg[6], "mem.txt:8: bad value list", 25) == 0);
  }
  KT_EQ(log.panel_frames, 1); /* the good line after the bad ones */
  KT_EQ(log.comments, 1);
  kb_cap_free(&log);

  /* a file that does not exist */
  kb_cap_init(&log);
  KT_EQ(kb_cap_parse_file(&log, kt_data_path("captures/no-such-file.txt")), -1);
  KT_EQ(log.errs.n, 1);
  kb_cap_free(&log);
}

/* Skipped, ignored, connection lines. */
static void test_skip_and_ignore(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_text(&log,
             "DSC Keybus Interface is online.\n"
             "Keybus connected\n"
             "// a poster's note\n"
             "...(repeated 13x)...\n"
             "(garbled)\n"
             "---- annotation\n"
             " 9310.41: 11111111 1 ........ ........ 11111111 [Module/0x05] [Digit]\n"
             "  433.47: 11111111 1 11111111 11111111 [Keypad] x // note 0101\n"
             "[12:16:56][D][binary_sensor:036]: 'Trouble': Sending state OFF    ---- note\n"
             "[14:48:22][D][Debug33:247]: Partition data 00: 01,81,00,00\n"
             "LED keypad:\n"
             "\n"
             "  500.00: Keybus disconnected\n"
             "Keybus buffer overflow\n"
             "| Key | Data |\n");
  KT_EQ(log.errs.n, 0);
  KT_EQ(log.skipped, 5);
  KT_EQ(log.ignored, 5);
  KT_EQ(log.blank, 1);
  KT_EQ(log.module_frames, 1);
  KT_EQ(log.n, 4);
  KT_CHECK(log.n == 4 && log.rec[0].kind == KB_CAP_CONNECTED && log.rec[0].lineno == 2);
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->lineno == 8 && r->bits == 25);
  KT_CHECK(log.n == 4 && log.rec[2].kind == KB_CAP_DISCONNECTED && log.rec[2].has_time &&
           log.rec[2].t == 500.0);
  KT_CHECK(log.n == 4 && log.rec[3].kind == KB_CAP_OVERFLOW);
  kb_cap_free(&log);
}

static void test_nbytes(void) {
  KT_EQ(kb_cap_nbytes(0), 0);
  KT_EQ(kb_cap_nbytes(7), 0);
  KT_EQ(kb_cap_nbytes(8), 1);
  KT_EQ(kb_cap_nbytes(9), 2);
  KT_EQ(kb_cap_nbytes(16), 2);
  KT_EQ(kb_cap_nbytes(17), 3);
  KT_EQ(kb_cap_nbytes(41), 6);
  KT_EQ(kb_cap_nbytes(67), 9);
  KT_EQ(kb_cap_nbytes(121), 16);
  KT_EQ(kb_cap_nbytes(500), KB_FRAME_BYTES);
}

static void test_input_detect(void) {
  static const char vcd[] = "\n  $timescale 1us $end\n";
  FILE *f;
  kb_capture_kind_t kind = KB_CAPTURE_VCD;
  char rel[256];
  KT_EQ(kb_capture_detect(vcd, sizeof vcd - 1), KB_CAPTURE_VCD);
  KT_EQ(kb_capture_detect("$date\n", 6), KB_CAPTURE_VCD);
  KT_EQ(kb_capture_detect("$", 1), KB_CAPTURE_TEXT);
  KT_EQ(kb_capture_detect("$5 money", 8), KB_CAPTURE_TEXT);
  KT_EQ(kb_capture_detect("  12.19: 0101", 13), KB_CAPTURE_TEXT);
  KT_EQ(kb_capture_detect("", 0), KB_CAPTURE_TEXT);
  snprintf(rel, sizeof rel, "%s/%s", CAP_DIR, "taligentx-dscKeybusInterface-issue-12.txt");
  f = kb_capture_open(kt_data_path(rel), &kind);
  KT_CHECK(f != NULL);
  KT_EQ(kind, KB_CAPTURE_TEXT);
  if (f) {
    KT_EQ(fgetc(f), '#'); /* rewound */
    fclose(f);
  }
  KT_CHECK(kb_capture_open(kt_data_path("captures/none.txt"), &kind) == NULL);
}

/* Random bytes and long lines never crash the parser. */
static void test_fuzz(void) {
  unsigned seed = 12345;
  static const char alphabet[] = "01 .:[]()#/|-xABCDEF\t9Module/0xPanel data:,";
  char line[6000];
  kb_cap_log_t log;
  kb_cap_init(&log);
  for (int iter = 0; iter < 3000; iter++) {
    size_t len = (size_t)(iter % 7 == 0 ? 5000 + iter % 900 : iter % 200);
    for (size_t i = 0; i < len; i++) {
      seed = seed * 1103515245u + 12345u;
      line[i] = (iter & 1) ? alphabet[(seed >> 16) % (sizeof alphabet - 1)]
                           : (char)(1 + (seed >> 16) % 255);
    }
    line[len] = 0;
    kb_cap_parse_line(&log, line, iter + 1, "fuzz");
  }
  KT_EQ(log.lines, 3000);
  KT_CHECK(!log.oom);
  kb_cap_free(&log);
}

/* Issue 6 item 10: a line of exactly 4,095 bytes (the parse buffer holds
 * 4,095 + NUL) ending in "[0x" or "[Module/0x": the label parser used to read
 * the byte after the terminating NUL (one past the buffer; ASan reports a
 * stack-buffer-overflow). The frame must still be parsed, with no label. */
static void test_label_at_line_end(void) {
  static const char *const tails[] = {"[0x", "[Module/0x", "[0x0", "[Module/0x0", "[0x05.", "[0x05.1"};
  char *line = malloc(5000);
  KT_CHECK(line != NULL);
  if (!line) return;
  for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
    kb_cap_log_t log;
    const char *head = "00000101 0";
    size_t tl = strlen(tails[t]), hl = strlen(head), len = 4095;
    memcpy(line, head, hl);
    memset(line + hl, ' ', len - hl - tl);
    memcpy(line + len - tl, tails[t], tl + 1);
    KT_EQ(strlen(line), 4095);
    kb_cap_init(&log);
    kb_cap_parse_line(&log, line, 1, "long.txt");
    KT_EQ(log.errs.n, 0);
    KT_EQ(log.n, 1);
    if (log.n == 1) {
      KT_EQ(log.rec[0].kind, KB_CAP_FRAME);
      KT_EQ(log.rec[0].bytes[0], 0x05);
      KT_EQ(log.rec[0].bits, 9);
      /* "[Module/0x" without digits names no command: only the source */
      KT_EQ(log.rec[0].source, strncmp(tails[t], "[Module", 7) == 0 ? KB_CAP_MODULE : KB_CAP_PANEL);
    }
    kb_cap_free(&log);
    /* the same line with a newline: longer than the buffer, cut to 4,095 */
    line[len] = '\n';
    line[len + 1] = 0;
    kb_cap_init(&log);
    kb_cap_parse_line(&log, line, 1, "long.txt");
    KT_EQ(log.n, 1);
    kb_cap_free(&log);
  }
  free(line);
}

/* Issue 6 item 13: a UTF-8 byte order mark (Windows editors) before the
 * first line used to make it unparseable: the first frame was lost. */
static void test_bom(void) {
  kb_cap_log_t log;
  const kb_cap_rec_t *r;
  parse_text(&log,
             "\xEF\xBB\xBF   12.19: 00000101 0 10000001 00000001 10010001 11000111 [0x05] x\n"
             "   12.30: 01100100 0 00000110 01101010 [0x64] ok\n");
  KT_EQ(log.errs.n, 0);
  KT_EQ(log.panel_frames, 2);
  r = nth_frame(&log, 0);
  KT_CHECK(r && r->lineno == 1 && r->bytes[0] == 0x05 && r->has_time && r->t == 12.19);
  kb_cap_free(&log);
  /* a BOM alone, before a comment, before a hex line */
  parse_text(&log, "\xEF\xBB\xBF\n");
  KT_EQ(log.blank, 1);
  kb_cap_free(&log);
  parse_text(&log, "\xEF\xBB\xBF# capture A\n");
  KT_EQ(log.comments, 1);
  KT_CHECK(log.n == 1 && log.rec[0].kind == KB_CAP_SECTION);
  kb_cap_free(&log);
  parse_text(&log, "\xEF\xBB\xBF[12:00:00.100][I][Panel :1072]: 05: 05 00 81 01 90 C7 90 C7 90 C7 (74)\n");
  KT_EQ(log.panel_frames, 1);
  kb_cap_free(&log);
  /* detection of the kind skips it as well */
  KT_EQ(kb_capture_detect("\xEF\xBB\xBF$date\n", 9), KB_CAPTURE_VCD);
  KT_EQ(kb_capture_detect("\xEF\xBB\xBF 1.00: 0101", 13), KB_CAPTURE_TEXT);
}

/* Streaming (issue 6 item 14): kb_cap_read_line + kb_cap_clear after each
 * line give the records of kb_cap_parse_stream, in order, for every capture
 * and for lines longer than the buffer (one with a NUL byte past 4,095
 * bytes is still an error). */
static void test_read_line(void) {
  DIR *d = opendir(kt_data_path(CAP_DIR));
  struct dirent *de;
  int files = 0;
  KT_CHECK(d != NULL);
  while (d && (de = readdir(d)) != NULL) {
    size_t len = strlen(de->d_name), k = 0;
    kb_cap_log_t whole, sl;
    char rel[300];
    FILE *f;
    int lineno = 0, got;
    if (len < 4 || strcmp(de->d_name + len - 4, ".txt") != 0) continue;
    files++;
    parse_capture(&whole, de->d_name);
    snprintf(rel, sizeof rel, "%s/%s", CAP_DIR, de->d_name);
    f = fopen(kt_data_path(rel), "r");
    KT_CHECK(f != NULL);
    if (!f) {
      kb_cap_free(&whole);
      continue;
    }
    kb_cap_init(&sl);
    do {
      got = kb_cap_read_line(&sl, f, "s", &lineno);
      for (size_t i = 0; i < sl.n; i++, k++) {
        if (k >= whole.n || sl.rec[i].lineno != whole.rec[k].lineno ||
            memcmp(sl.rec[i].bytes, whole.rec[k].bytes, KB_FRAME_BYTES) != 0 ||
            sl.rec[i].under != whole.rec[k].under || sl.rec[i].has_under != whole.rec[k].has_under) {
          kt_fail(__FILE__, __LINE__, "%s: record %zu differs", de->d_name, k);
          break;
        }
      }
      kb_cap_clear(&sl);
      KT_EQ(sl.n, 0);
    } while (got > 0);
    KT_EQ(k, whole.n);
    KT_EQ(sl.lines, whole.lines);
    KT_EQ(sl.panel_frames, whole.panel_frames);
    kb_cap_free(&sl);
    kb_cap_free(&whole);
    fclose(f);
  }
  if (d) closedir(d);
  KT_CHECK(files >= 25);
  /* a 10,000-byte line; the same with a NUL at byte 6,000; then a frame */
  {
    static char text[20100];
    kb_cap_log_t log;
    size_t n = 0;
    FILE *f;
    int lineno = 0;
    memcpy(text, " 1.00: 00000101 0", 17);
    memset(text + 17, ' ', 10000 - 17);
    text[10000] = '\n';
    memcpy(text + 10001, text, 10001);
    text[10001 + 6000] = 0;
    n = 20002;
    memcpy(text + n, " 2.00: 01100100 0 00000110 01101010\n", 36);
    n += 36;
    f = fmemopen(text, n, "r");
    KT_CHECK(f != NULL);
    if (!f) return;
    kb_cap_init(&log);
    KT_EQ(kb_cap_read_line(&log, f, "long", &lineno), 1);
    KT_EQ(log.n, 1);
    KT_EQ(kb_cap_read_line(&log, f, "long", &lineno), 1);
    KT_EQ(log.errs.n, 1);
    KT_CHECK(log.errs.n == 1 && strcmp(log.errs.msg[0], "long:2: NUL byte in line") == 0);
    KT_EQ(kb_cap_read_line(&log, f, "long", &lineno), 1);
    KT_EQ(log.n, 2);
    KT_EQ(lineno, 3);
    KT_CHECK(log.n == 2 && log.rec[1].bytes[0] == 0x64 && log.rec[1].lineno == 3);
    KT_EQ(kb_cap_read_line(&log, f, "long", &lineno), 0);
    kb_cap_free(&log);
    fclose(f);
  }
}

KT_MAIN(KT_CASE(test_all_captures_parse), KT_CASE(test_frame_counts), KT_CASE(test_sections),
        KT_CASE(test_binary_lines), KT_CASE(test_under), KT_CASE(test_hex_lines),
        KT_CASE(test_list_lines), KT_CASE(test_timestamps), KT_CASE(test_errors),
        KT_CASE(test_skip_and_ignore), KT_CASE(test_nbytes), KT_CASE(test_input_detect),
        KT_CASE(test_fuzz), KT_CASE(test_label_at_line_end),
        KT_CASE(test_bom), KT_CASE(test_read_line))
