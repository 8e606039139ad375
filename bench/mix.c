/* SPDX-License-Identifier: MIT
 *
 * mix.c - reader of the reference message mix (format: bench/reference-mix.txt).
 */
#include "mix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *prog, const char *what, const char *path, int line) {
  fprintf(stderr, "%s: %s:%d: %s\n", prog, path, line, what);
  exit(1);
}

/* Hex bytes separated by blanks; -1 when there are more than MIX_MAX_BYTES. */
static int parse_hex(char *s, uint8_t *out) {
  int n = 0;
  for (char *tok = strtok(s, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
    if (n == MIX_MAX_BYTES) return -1;
    out[n++] = (uint8_t)strtoul(tok, NULL, 16);
  }
  return n;
}

void mix_load(mix_t *mix, const char *path, const char *prog) {
  FILE *f = fopen(path, "r");
  char line[1024];
  int ln = 0;
  if (!f) {
    perror(path);
    exit(1);
  }
  memset(mix, 0, sizeof *mix);
  while (fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    ln++;
    if (line[0] == '#' || !colon) continue;
    *colon = '\0';
    char *rest = colon + 1;
    if (!strcmp(line, "messages")) {
      mix->nmessages = strtol(rest, NULL, 10);
    } else if (!strcmp(line, "cycle")) {
      for (char *tok = strtok(rest, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        int i;
        for (i = 0; i < mix->ntypes && strcmp(mix->types[i].name, tok); i++) {
        }
        if (i == mix->ntypes || mix->ncycle == MIX_MAX_CYCLE) die(prog, "unknown message in cycle", path, ln);
        mix->cycle[mix->ncycle++] = i;
      }
    } else {
      mix_msg_t *m = &mix->types[mix->ntypes];
      char *bar = strchr(rest, '|');
      if (mix->ntypes == MIX_MAX_TYPES || strlen(line) >= sizeof m->name) die(prog, "bad message", path, ln);
      snprintf(m->name, sizeof m->name, "%s", line);
      if (bar) *bar = '\0';
      m->nbytes = parse_hex(rest, m->panel);
      if (m->nbytes < 2) die(prog, "bad panel bytes", path, ln);
      memset(m->module, 0xFF, sizeof m->module);
      m->module[1] = 1;
      if (bar && parse_hex(bar + 1, m->module) != m->nbytes)
        die(prog, "module bytes must match panel bytes", path, ln);
      mix->ntypes++;
    }
  }
  fclose(f);
  if (!mix->ncycle || mix->nmessages <= 0) die(prog, "no cycle/messages", path, ln);
}
