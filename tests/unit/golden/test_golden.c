/* SPDX-License-Identifier: MIT
 *
 * test_golden.c - every record of tests/data/golden.jsonl (444 frames from
 * the reference project's source comments, with facts checked against the
 * bytes; see tests/data/README.md) is decoded and our "fields"
 * (kb_json_fields) must contain each fact:
 *
 *   checksum      d.csum ("none"/"ok"/"bad"); "bad": check CHECKSUM, fields {}
 *   partitions    each fact partition: same number, status, lights (no
 *                 lights key for a disabled partition, ours neither)
 *   zones_open, zones_range, time, version, pgm_outputs: equal
 *   keys          each fact key: a key of ours with the same partition and
 *                 code (the fact's "key" label is the reference's wording)
 *   alarm_key     equal
 *
 * Extra fields of ours are fine. Every mismatch names the record index
 * (0-based line of golden.jsonl) and its bytes. Panel records whose
 * checksum fact is "ok"/"none" must also pass our frame checks (the
 * reference decoded all of them).
 */
#include "harness.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "host/kb_json.h"
#include "keybus/kb_decode.h"

enum {
  F_CHECKSUM,
  F_CHECK,
  F_PARTITIONS,
  F_ZONES_OPEN,
  F_ZONES_RANGE,
  F_TIME,
  F_VERSION,
  F_PGM,
  F_KEYS,
  F_ALARM_KEY,
  F_COUNT
};
static const char *const fact_names[F_COUNT] = {
    "checksum", "check", "partitions", "zones_open", "zones_range",
    "time",     "version", "pgm_outputs", "keys",     "alarm_key"};

typedef struct {
  int index;
  cJSON *rec;
  int panel;
  uint8_t bytes[32];
  size_t n;
  uint16_t bits;
  char hex[3 * 32 + 1];
} rec_t;

static rec_t *recs;
static size_t nrecs;
static int load_failed;
static unsigned fact_count[F_COUNT], fact_bad[F_COUNT];

static void load(void) {
  FILE *f;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  if (recs || load_failed) return;
  f = fopen(kt_data_path("golden.jsonl"), "r");
  if (!f) {
    load_failed = 1;
    return;
  }
  while ((len = getline(&line, &cap, f)) > 0) {
    rec_t r;
    cJSON *j, *bytes, *bits, *it;
    memset(&r, 0, sizeof r);
    if (len <= 1) continue;
    j = cJSON_Parse(line);
    r.index = (int)nrecs;
    r.rec = j;
    if (!j) {
      load_failed = 1;
      break;
    }
    r.panel = strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "source")), "panel") == 0;
    bytes = cJSON_GetObjectItemCaseSensitive(j, "bytes");
    cJSON_ArrayForEach(it, bytes) {
      const char *h = cJSON_GetStringValue(it);
      if (r.n < sizeof r.bytes && h) r.bytes[r.n++] = (uint8_t)strtoul(h, NULL, 16);
    }
    {
      size_t o = 0;
      for (size_t i = 0; i < r.n; i++) o += (size_t)snprintf(r.hex + o, sizeof r.hex - o, "%s%02X", i ? " " : "", r.bytes[i]);
    }
    bits = cJSON_GetObjectItemCaseSensitive(j, "bits");
    r.bits = (uint16_t)(cJSON_IsNumber(bits) ? bits->valuedouble : 0);
    recs = realloc(recs, (nrecs + 1) * sizeof *recs);
    if (!recs) {
      load_failed = 1;
      break;
    }
    recs[nrecs++] = r;
  }
  free(line);
  fclose(f);
}

/* "0x05" -> 0x05, 0; "0xE6.20" -> 0xE6, 0x20; null -> 0, 0 */
static void parse_under(const cJSON *u, uint8_t *cmd, uint8_t *sub) {
  const char *s = cJSON_GetStringValue(u);
  char *end;
  *cmd = 0;
  *sub = 0;
  if (!s) return;
  *cmd = (uint8_t)strtoul(s, &end, 16);
  if (*end == '.') *sub = (uint8_t)strtoul(end + 1, NULL, 16);
}

static void decode_rec(const rec_t *r, kb_decoded_t *d) {
  if (r->panel) {
    kb_decode_panel(r->bytes, (uint8_t)r->n, r->bits, d);
  } else {
    uint8_t cmd, sub;
    parse_under(cJSON_GetObjectItemCaseSensitive(r->rec, "under"), &cmd, &sub);
    kb_decode_module(cmd, sub, r->bytes, (uint8_t)r->n, r->bits, d);
  }
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void mismatch(const rec_t *r, int kind, const char *fmt, ...) {
  char m[1024];
  va_list ap;
  fact_bad[kind]++;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  kt_fail(__FILE__, __LINE__, "golden #%d [%s] %s (%u bits): %s: %s", r->index,
          r->panel ? "panel" : "module", r->hex, (unsigned)r->bits, fact_names[kind], m);
}
#define MISMATCH mismatch

/* JSON text of j into buf (n bytes). */
static const char *json_to(const cJSON *j, char *buf, size_t n) {
  char *s = j ? cJSON_PrintUnformatted(j) : NULL;
  size_t l = s ? strlen(s) : 6;
  if (l >= n) l = n - 1;
  memcpy(buf, s ? s : "(none)", l);
  buf[l] = '\0';
  free(s);
  return buf;
}
static char jbuf_a[512], jbuf_b[512];
#define json_of(j) json_to((j), jbuf_a, sizeof jbuf_a)
#define json_of2(j) json_to((j), jbuf_b, sizeof jbuf_b)

/* Equal JSON values (arrays in order). */
static int same(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  return cJSON_Compare(a, b, 1);
}

static void check_partitions(const rec_t *r, const cJSON *want, const cJSON *fields) {
  const cJSON *ours = cJSON_GetObjectItemCaseSensitive(fields, "partitions");
  const cJSON *wp;
  cJSON_ArrayForEach(wp, want) {
    const cJSON *op, *found = NULL;
    double pn = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(wp, "partition"));
    cJSON_ArrayForEach(op, ours) {
      if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(op, "partition")) == pn) found = op;
    }
    if (!found) {
      MISMATCH(r, F_PARTITIONS, "partition %g missing; ours %s", pn, json_of(ours));
      continue;
    }
    if (!same(cJSON_GetObjectItemCaseSensitive(wp, "status"),
              cJSON_GetObjectItemCaseSensitive(found, "status")))
      MISMATCH(r, F_PARTITIONS, "partition %g status: want %s, got %s", pn,
               json_of(cJSON_GetObjectItemCaseSensitive(wp, "status")),
               json_of2(cJSON_GetObjectItemCaseSensitive(found, "status")));
    {
      const cJSON *wl = cJSON_GetObjectItemCaseSensitive(wp, "lights");
      const cJSON *ol = cJSON_GetObjectItemCaseSensitive(found, "lights");
      if (!same(wl, ol))
        MISMATCH(r, F_PARTITIONS, "partition %g lights: want %s, got %s", pn, json_of(wl), json_of2(ol));
    }
  }
}

static void check_keys(const rec_t *r, const cJSON *want, const cJSON *fields) {
  const cJSON *ours = cJSON_GetObjectItemCaseSensitive(fields, "keys");
  const cJSON *wk;
  cJSON_ArrayForEach(wk, want) {
    const cJSON *ok;
    int found = 0;
    double pn = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(wk, "partition"));
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(wk, "code"));
    cJSON_ArrayForEach(ok, ours) {
      const char *oc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ok, "code"));
      if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ok, "partition")) == pn && oc &&
          code && strcmp(oc, code) == 0)
        found = 1;
    }
    if (!found) MISMATCH(r, F_KEYS, "partition %g code %s missing; ours %s", pn, code ? code : "?", json_of(ours));
  }
}

static void check_equal(const rec_t *r, int kind, const cJSON *want, const cJSON *fields) {
  const cJSON *got = cJSON_GetObjectItemCaseSensitive(fields, fact_names[kind]);
  if (!same(want, got)) MISMATCH(r, kind, "want %s, got %s", json_of(want), json_of2(got));
}

/* Checks one record; kinds: bit mask of the fact kinds to check. */
static void check_record(const rec_t *r, unsigned kinds) {
  kb_decoded_t d;
  const cJSON *facts = cJSON_GetObjectItemCaseSensitive(r->rec, "facts");
  const cJSON *fc = cJSON_GetObjectItemCaseSensitive(facts, "checksum");
  cJSON *fields;
  decode_rec(r, &d);
  fields = kb_json_fields(&d);
  if (!fields) {
    kt_fail(__FILE__, __LINE__, "golden #%d: kb_json_fields returned NULL", r->index);
    return;
  }
  if (fc && (kinds & (1u << F_CHECKSUM))) {
    static const char *const names[] = {"none", "ok", "bad"};
    const char *want = cJSON_GetStringValue(fc);
    fact_count[F_CHECKSUM]++;
    if (!want || d.csum > 2 || strcmp(names[d.csum], want) != 0)
      MISMATCH(r, F_CHECKSUM, "want %s, got %s (check %u)", want ? want : "?",
               d.csum <= 2 ? names[d.csum] : "?", d.check);
    if (want && strcmp(want, "bad") == 0) {
      if (d.check != KB_CHECK_CHECKSUM || d.has != 0 || cJSON_GetArraySize(fields) != 0)
        MISMATCH(r, F_CHECKSUM, "checksum bad: want check CHECKSUM and no fields, got check %u, fields %s",
                 d.check, json_of(fields));
    }
  }
  if (kinds & (1u << F_CHECK)) {
    int bad = fc && cJSON_GetStringValue(fc) && strcmp(cJSON_GetStringValue(fc), "bad") == 0;
    if (!bad) {
      fact_count[F_CHECK]++;
      if (d.check != KB_CHECK_OK) MISMATCH(r, F_CHECK, "frame check %u, want ok", d.check);
    }
  }
  if ((kinds & (1u << F_PARTITIONS)) && cJSON_GetObjectItemCaseSensitive(facts, "partitions")) {
    fact_count[F_PARTITIONS]++;
    check_partitions(r, cJSON_GetObjectItemCaseSensitive(facts, "partitions"), fields);
  }
  {
    static const int eq[] = {F_ZONES_OPEN, F_ZONES_RANGE, F_TIME, F_VERSION, F_PGM, F_ALARM_KEY};
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
      const cJSON *w = cJSON_GetObjectItemCaseSensitive(facts, fact_names[eq[i]]);
      if (!w || !(kinds & (1u << eq[i]))) continue;
      fact_count[eq[i]]++;
      check_equal(r, eq[i], w, fields);
    }
  }
  if ((kinds & (1u << F_KEYS)) && cJSON_GetObjectItemCaseSensitive(facts, "keys")) {
    fact_count[F_KEYS]++;
    check_keys(r, cJSON_GetObjectItemCaseSensitive(facts, "keys"), fields);
  }
  cJSON_Delete(fields);
}

static void run_kinds(unsigned kinds) {
  load();
  KT_CHECK(!load_failed);
  KT_EQ(nrecs, 444);
  for (size_t i = 0; i < nrecs; i++) check_record(&recs[i], kinds);
}

/* One test per fact kind. */
static void golden_checksum(void) { run_kinds(1u << F_CHECKSUM); }
static void golden_frame_check(void) { run_kinds(1u << F_CHECK); }
static void golden_partitions(void) { run_kinds(1u << F_PARTITIONS); }
static void golden_zones(void) { run_kinds((1u << F_ZONES_OPEN) | (1u << F_ZONES_RANGE)); }
static void golden_time(void) { run_kinds(1u << F_TIME); }
static void golden_version(void) { run_kinds(1u << F_VERSION); }
static void golden_pgm_outputs(void) { run_kinds(1u << F_PGM); }
static void golden_keys(void) { run_kinds(1u << F_KEYS); }
static void golden_alarm_key(void) { run_kinds(1u << F_ALARM_KEY); }

/* The file itself: 444 records, 327 panel, 117 module (tests/data/README.md),
 * each fact kind present as often as the file says; prints the summary line
 * (facts checked = by the tests above in this run). */
static void golden_summary(void) {
  unsigned panel = 0, module = 0, total = 0, bad = 0;
  unsigned in_file[F_COUNT] = {0};
  load();
  KT_CHECK(!load_failed);
  for (size_t i = 0; i < nrecs; i++) {
    const cJSON *facts = cJSON_GetObjectItemCaseSensitive(recs[i].rec, "facts");
    if (recs[i].panel)
      panel++;
    else
      module++;
    KT_CHECK(recs[i].n >= 1 && recs[i].n <= KB_FRAME_BYTES);
    KT_EQ(kb_decode_nbytes(recs[i].bits), recs[i].n);
    for (int k = 0; k < F_COUNT; k++)
      if (cJSON_GetObjectItemCaseSensitive(facts, fact_names[k])) in_file[k]++;
  }
  KT_EQ(nrecs, 444);
  KT_EQ(panel, 327);
  KT_EQ(module, 117);
  KT_EQ(in_file[F_CHECKSUM], 327);
  KT_EQ(in_file[F_PARTITIONS], 39);
  KT_EQ(in_file[F_ZONES_OPEN], 22);
  KT_EQ(in_file[F_ZONES_RANGE], 22);
  KT_EQ(in_file[F_TIME], 133);
  KT_EQ(in_file[F_VERSION], 8);
  KT_EQ(in_file[F_PGM], 10);
  KT_EQ(in_file[F_KEYS], 8);
  KT_EQ(in_file[F_ALARM_KEY], 3);
  for (int k = 0; k < F_COUNT; k++) {
    total += fact_count[k];
    bad += fact_bad[k];
  }
  fprintf(stderr,
          "golden: %u frames, %u panel, %u module, facts checked: %u (checksum %u, frame check %u, "
          "partitions %u, zones_open %u, zones_range %u, time %u, version %u, pgm_outputs %u, "
          "keys %u, alarm_key %u), mismatches: %u\n",
          (unsigned)nrecs, panel, module, total, fact_count[F_CHECKSUM], fact_count[F_CHECK],
          fact_count[F_PARTITIONS], fact_count[F_ZONES_OPEN], fact_count[F_ZONES_RANGE],
          fact_count[F_TIME], fact_count[F_VERSION], fact_count[F_PGM], fact_count[F_KEYS],
          fact_count[F_ALARM_KEY], bad);
  for (size_t i = 0; i < nrecs; i++) cJSON_Delete(recs[i].rec);
  free(recs);
  recs = NULL;
  nrecs = 0;
}

KT_MAIN(KT_CASE(golden_checksum), KT_CASE(golden_frame_check), KT_CASE(golden_partitions),
        KT_CASE(golden_zones), KT_CASE(golden_time), KT_CASE(golden_version),
        KT_CASE(golden_pgm_outputs), KT_CASE(golden_keys), KT_CASE(golden_alarm_key),
        KT_CASE(golden_summary))
