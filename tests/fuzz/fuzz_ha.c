/* SPDX-License-Identifier: MIT
 *
 * fuzz_ha.c - the Home Assistant command parser (src/ha/kb_ha.c,
 * kb_ha_parse_command) on arbitrary bytes, then what a frontend does with
 * its answer: the keypad request (kb_ha_cmd_keys), the submit on a real
 * kb_bus (kb_ha_submit) and the result payload (kb_ha_result_json).
 * Input: the command's bytes as they came off MQTT (tests/fuzz/seeds.py
 * writes good and bad commands from tests/unit/ha).
 * Invariants (kb_ha.h): the parser answers within its enum; a refused
 * command holds no action and no code, and queues nothing; an accepted one
 * has a partition in range, a code of 0, 4 or 6 digits, is JSON to cJSON
 * too, and gives keys within KB_KEYS_MAX of the keypad's alphabet (an alarm
 * action: its one key, no code); after a
 * submit the command is wiped; a result payload is JSON, names the
 * command's id and never holds its code.
 */
#include <cJSON.h>

#include "fuzz.h"

#include "ha/kb_ha.h"
#include "keybus/kb_bus.h"

static kb_bus_t bus;

static int is_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kb_ha_cmd_t c;
  char keys[KB_KEYS_MAX + 8], out[KB_HA_RESULT_SIZE], code[KB_KEYS_CODE_MAX + 1];
  const char *kc = NULL;
  size_t len = 0;
  kb_ha_perr_t e = kb_ha_parse_command((const char *)data, size, &c);
  FZ_ASSERT((unsigned)e < KB_HA_PERR_COUNT);
  FZ_ASSERT(c.id_kind <= 2);
  FZ_ASSERT(memchr(c.id, 0, sizeof c.id) != NULL);
  kb_bus_init(&bus, NULL);
  uint8_t before = kb_bus_keys_pending(&bus);
  const char *word, *detail = NULL;
  code[0] = '\0';
  if (e != KB_HA_PERR_OK) {
    FZ_ASSERT(c.action == KB_HA_ACT_NONE);
    FZ_ASSERT(is_zero(c.code, sizeof c.code));
    FZ_ASSERT(kb_ha_cmd_keys(&c, keys, sizeof keys, NULL) == KB_ERR_ARG);
    word = "invalid_request";
    detail = kb_ha_perr_name(e);
  } else {
    size_t n = strlen(c.code);
    FZ_ASSERT(c.action > KB_HA_ACT_NONE && c.action < KB_HA_ACT_COUNT);
    FZ_ASSERT(c.partition >= 1 && c.partition <= KB_MAX_PARTITIONS);
    FZ_ASSERT(n == 0 || n == 4 || n == 6);
    for (size_t i = 0; i < n; i++) FZ_ASSERT(c.code[i] >= '0' && c.code[i] <= '9');
    memcpy(code, c.code, sizeof code);
    /* what the parser takes, a general JSON parser takes too */
    cJSON *o = cJSON_ParseWithLength((const char *)data, size);
    FZ_ASSERT(o != NULL && cJSON_IsObject(o));
    cJSON_Delete(o);
    kb_err_t r = kb_ha_cmd_keys(&c, keys, sizeof keys, &kc);
    if (c.action == KB_HA_ACT_SET_TIME) {
      FZ_ASSERT(r == KB_ERR_ARG);
    } else {
      FZ_ASSERT(r == KB_OK);
      FZ_ASSERT(strlen(keys) >= 1 && strlen(keys) <= KB_KEYS_MAX);
      FZ_ASSERT(strspn(keys, "0123456789*#swncrxb<>[]{}fap@SWNCRXBFAP") == strlen(keys));
      FZ_ASSERT(kc == NULL || strcmp(kc, c.code) == 0);
      /* an alarm key is the whole request, with no code (kb_keys.h) */
      if (c.action >= KB_HA_ACT_FIRE && c.action <= KB_HA_ACT_PANIC) {
        FZ_ASSERT(strlen(keys) == 1 && keys[0] == "fap"[c.action - KB_HA_ACT_FIRE]);
        FZ_ASSERT(c.code[0] == '\0' && kc == NULL);
      }
    }
    uint16_t id = 0;
    kb_err_t s = kb_ha_submit(&bus, &c, &id);
    FZ_ASSERT(is_zero(c.code, sizeof c.code) && c.action == KB_HA_ACT_NONE);
    if (s == KB_OK) {
      FZ_ASSERT(id != 0 && kb_bus_keys_pending(&bus) == before + 1);
    } else {
      FZ_ASSERT(kb_bus_keys_pending(&bus) == before);
    }
    word = kb_ha_err_word(s);
  }
  kb_err_t r = kb_ha_result_json(&c, word, detail, out, sizeof out, &len);
  FZ_ASSERT(r == KB_OK && len == strlen(out));
  cJSON *o = cJSON_Parse(out);
  FZ_ASSERT(o != NULL);
  if (c.id_kind) FZ_ASSERT(cJSON_GetObjectItemCaseSensitive(o, "id") != NULL);
  cJSON_Delete(o);
  if (code[0]) FZ_ASSERT(strstr(out, code) == NULL || (c.id_kind && strstr(c.id, code)));
  return 0;
}
