/* SPDX-License-Identifier: MIT
 *
 * fuzz_tpi.c - keybusd --tpi's protocol module (apps/keybusd/kd_tpi.c) on
 * arbitrary client bytes, interleaved with connects, disconnects, time and
 * Keybus state changes, so the fuzzer reaches every command after a login
 * and every state message.
 *
 * Input: byte 0 flags (bit 0 a configured arm code, bit 1 writable, bit 2
 * one client only), then records: op byte % 8:
 *   0 connect; 1 n bytes to client k (k, n, bytes; a login line "005fz-pw"
 *   when n = 0); 2 time + (byte * 100 ms); 3 a Keybus status change (3
 *   bytes: what, which, value); 4 an event (k odd: a panel event of any
 *   kind and number, live when k & 2; else an access code); 5 the output of
 *   client k checked and taken; 6 disconnect k; 7 the requests taken.
 * Invariants: output holds whole lines only, each of printable characters
 * and a correct checksum (a timestamp prefix allowed), never the password;
 * a request has a tpi-N id, a partition the configuration reports, a code
 * of 4 or 6 digits or none; output never exceeds KD_TPI_OUT_MAX.
 */
#include "fuzz.h"

#include "../../apps/keybusd/kd_tpi.c"

static kd_tpi_t T;
static kb_status_t st;

static void check_out(int s) {
  const char *p;
  size_t n = kd_tpi_out(&T, s, &p), i = 0;
  FZ_ASSERT(n <= KD_TPI_OUT_MAX);
  while (i < n) {
    size_t e = i, len;
    char k[3];
    const char *l;
    while (e + 1 < n && !(p[e] == '\r' && p[e + 1] == '\n')) e++;
    FZ_ASSERT(e + 1 < n); /* a CR LF ends every line */
    l = p + i;
    len = e - i;
    if (len > 9 && l[2] == ':' && l[5] == ':' && l[8] == ' ') l += 9, len -= 9;
    FZ_ASSERT(len >= 5);
    for (size_t j = 0; j < len; j++) FZ_ASSERT(l[j] >= 0x20 && l[j] <= 0x7E);
    for (size_t j = 0; j < 3; j++) FZ_ASSERT(l[j] >= '0' && l[j] <= '9');
    kd_tpi_checksum(l, len - 2, k);
    FZ_ASSERT(l[len - 2] == k[0] && l[len - 1] == k[1]);
    for (size_t j = 0; j + 5 <= len; j++) FZ_ASSERT(memcmp(l + j, "fz-pw", 5) != 0);
    i = e + 2;
  }
  kd_tpi_sent(&T, s, n);
}

static void check_req(void) {
  kd_tpi_req_t r;
  while (kd_tpi_take(&T, &r)) {
    size_t cl = strlen(r.cmd.code);
    FZ_ASSERT(!strncmp(r.cmd.id, "tpi-", 4));
    FZ_ASSERT(r.cmd.partition >= 1 && r.cmd.partition <= 8 && (T.cfg.partitions & (1u << (r.cmd.partition - 1))));
    FZ_ASSERT(cl == 0 || cl == 4 || cl == 6);
    FZ_ASSERT(T.cfg.writable);
    kb_ha_cmd_wipe(&r.cmd);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_t z = {data, size};
  uint8_t flags = fz_u8(&z);
  uint64_t now = 1000;
  int slots[KD_TPI_CLIENTS];
  kd_tpi_cfg_t c;
  memset(&c, 0, sizeof c);
  c.password = "fz-pw";
  c.arm_code = (flags & 1) ? "1234" : NULL;
  c.partitions = 0x03;
  c.code_length = 4;
  c.writable = (flags & 2) != 0;
  c.max_clients = (flags & 4) ? 1 : KD_TPI_CLIENTS;
  FZ_ASSERT(kd_tpi_init(&T, &c));
  memset(&st, 0, sizeof st);
  for (int i = 0; i < KD_TPI_CLIENTS; i++) slots[i] = -1;
  while (z.n) {
    uint8_t op = fz_u8(&z) % 8, k = fz_u8(&z) % KD_TPI_CLIENTS;
    int s = slots[k];
    switch (op) {
      case 0:
        if (s < 0) slots[k] = kd_tpi_connect(&T, (k & 1) ? "10.0.0.1" : "10.0.0.2", now);
        break;
      case 1: {
        uint8_t n = fz_u8(&z), buf[256];
        size_t m = 0;
        if (s < 0) break;
        if (n == 0) {
          kd_tpi_input(&T, s, (const uint8_t *)"005fz-pw89\r\n", 12, now);
          break;
        }
        while (m < n && z.n) buf[m++] = fz_u8(&z);
        kd_tpi_input(&T, s, buf, m, now);
        break;
      }
      case 2:
        now += (uint64_t)fz_u8(&z) * 100u;
        kd_tpi_tick(&T, now, NULL);
        break;
      case 3: {
        uint8_t what = fz_u8(&z), which = fz_u8(&z), v = fz_u8(&z);
        kb_partition_t *p = &st.part[which % 2];
        st.synced = 1;
        switch (what % 8) {
          case 0: st.zones_open[which % KB_ZONE_BYTES] = v; break;
          case 1: p->known = 1, p->status = v, p->ready = v & 1, p->lights = which; break;
          case 2: p->armed = v % 3, p->no_entry_delay = (v >> 2) & 1; break;
          case 3: p->exit_delay = v & 1, p->entry_delay = (v >> 1) & 1, p->alarm = (v >> 2) & 1; break;
          case 4: st.zones_alarm[which % KB_ZONE_BYTES] = v, st.zones_tamper[v % KB_ZONE_BYTES] = which; break;
          case 5: st.ac_power = v & 1, st.battery_ok = (v >> 1) & 1, st.panel_flags = which; break;
          case 6: st.connected = v & 1, st.keypad_alarm[which % 3] = v & 2; break;
          default: st.flash[which % 2] = v, st.zones_bypass[v % KB_ZONE_BYTES] = which; break;
        }
        kd_tpi_status(&T, &st, now);
        break;
      }
      case 4: {
        kb_event_t ev;
        uint8_t a = fz_u8(&z), b = fz_u8(&z);
        memset(&ev, 0, sizeof ev);
        if (k & 1) { /* a panel event: any kind, any number, live or read back */
          ev.type = KB_EV_PANEL_EVENT;
          ev.panel.pev.kind = (uint8_t)(a % KB_PEV_COUNT);
          ev.panel.pev.number = b;
          ev.panel.number = (k & 2) ? KB_EVENT_LIVE : b;
        } else {
          ev.type = KB_EV_ACCESS_CODE;
          ev.partition = a % 10;
          ev.access.user = b;
        }
        kd_tpi_event(&T, &ev);
        break;
      }
      case 5:
        if (s >= 0) check_out(s);
        break;
      case 6:
        if (s >= 0) {
          check_out(s);
          kd_tpi_disconnect(&T, s);
          slots[k] = -1;
        }
        break;
      default: check_req(); break;
    }
  }
  for (int i = 0; i < KD_TPI_CLIENTS; i++)
    if (slots[i] >= 0) check_out(slots[i]);
  check_req();
  kd_tpi_wipe(&T);
  return 0;
}
