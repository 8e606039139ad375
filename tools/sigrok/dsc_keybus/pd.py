##
## SPDX-License-Identifier: MIT
## dsc_keybus - libsigrokdecode decoder for the DSC PowerSeries Keybus (part of keybus).
##
## The facts (timing, framing, command table, checksum rule, lights and status
## codes, key codes) come from docs/protocol/powerseries.md and are re-expressed
## here from the project's own C tables (include/keybus/kb_proto.h).
##

import sigrokdecode as srd

# Command byte -> (name, carries a checksum). Commands not listed are checked
# too: the reference checks every command except the ones listed without one.
COMMANDS = {
    0x05: ('Status P1-4', False),
    0x0A: ('Status in programming P1', True),
    0x0F: ('Status in programming P2', True),
    0x11: ('Module supervision query', False),
    0x16: ('Panel configuration', True),
    0x1B: ('Status P5-8', False),
    0x1C: ('Alarm key verify', False),
    0x22: ('Zone expander 0 query', False),
    0x27: ('Status + zones 1-8', True),
    0x28: ('Zone expander 1 query', False),
    0x2D: ('Status + zones 9-16', True),
    0x33: ('Zone expander 2 query', False),
    0x34: ('Status + zones 17-24', True),
    0x39: ('Zone expander 3 query', False),
    0x3E: ('Status + zones 25-32', True),
    0x41: ('Wireless module query', False),
    0x4C: ('Module tamper query', False),
    0x57: ('Wireless key query', False),
    0x58: ('Module status query', False),
    0x5D: ('Flashing lights P1', True),
    0x63: ('Flashing lights P2', True),
    0x64: ('Beep P1', True),
    0x69: ('Beep P2', True),
    0x6E: ('LCD display', True),
    0x70: ('LCD data query', False),
    0x75: ('Tone P1', True),
    0x7A: ('Tone P2', True),
    0x7F: ('Buzzer P1', True),
    0x82: ('Buzzer P2', True),
    0x87: ('PGM outputs', True),
    0x8D: ('Module programming', True),
    0x94: ('Module programming request', False),
    0x9E: ('DLS query', False),
    0xA5: ('Event P1-2', True),
    0xAA: ('Event buffer', True),
    0xB1: ('Enabled zones', True),
    0xBB: ('Bell', True),
    0xC3: ('Keypad/dialer', True),
    0xCE: ('Panel status', True),
    0xD5: ('Keypad zone query', False),
    0xE6: ('Extended', True),
    0xEB: ('Event P1-8', True),
    0xEC: ('Event buffer (extended)', True),
}
# 0xE6 sub-commands (byte 2) without a checksum: expander 4-7 queries.
E6_UNCHECKED = (0x08, 0x0A, 0x0C, 0x0E)

LIGHTS = ('Ready', 'Armed', 'Memory', 'Bypass', 'Trouble', 'Program', 'Fire',
          'Backlight')

STATUS = {
    0x01: 'ready', 0x02: 'ready, stay/away zones open', 0x03: 'zones open',
    0x04: 'armed stay', 0x05: 'armed away', 0x06: 'armed stay, no entry delay',
    0x07: 'failed to arm', 0x08: 'exit delay', 0x09: 'arming, no entry delay',
    0x0C: 'entry delay', 0x0E: 'function not available', 0x10: 'keypad lockout',
    0x11: 'in alarm', 0x12: 'battery check', 0x15: 'arming with bypassed zones',
    0x16: 'armed away, no entry delay', 0x3D: 'disarmed, alarm in memory',
    0x3E: 'disarmed', 0x8A: 'stay/away zones activated', 0x8B: 'quick exit',
    0x8E: 'function not available', 0x8F: 'invalid access code',
    0x9E: '* menu', 0x9F: 'enter access code', 0xA0: '*1 zone bypass',
    0xA9: '*6 user functions', 0xAA: '*6 time and date',
    0xB8: '* menu while armed', 0xC7: 'disabled',
}

KEYS = {
    0x00: '0', 0x05: '1', 0x0A: '2', 0x0F: '3', 0x11: '4', 0x16: '5',
    0x1B: '6', 0x1C: '7', 0x22: '8', 0x27: '9', 0x28: '*', 0x2D: '#',
    0x70: 'Output 3', 0x82: 'Enter', 0x87: 'Right', 0x88: 'Left',
    0xAF: 'Stay', 0xB1: 'Away', 0xB6: 'No entry delay', 0xBB: 'Chime',
    0xD5: 'Output 1', 0xDA: 'Reset / Output 2', 0xE1: 'Quick exit',
    0xEC: 'Output 4',
}
ALARM_KEYS = {0xBB: 'Fire alarm key', 0xDD: 'Aux alarm key',
              0xEE: 'Panic alarm key'}

# Status commands: module byte -> partition whose key slot it is.
KEY_SLOTS = {0x05: {2: 1, 3: 2, 8: 3, 9: 4}, 0x0A: {2: 1, 3: 2, 8: 3, 9: 4},
             0x0F: {2: 1, 3: 2, 8: 3, 9: 4}, 0x1B: {2: 5, 3: 6, 8: 7, 9: 8}}
# Zone commands: first zone number of byte 4.
ZONE_BASE = {0x27: 1, 0x2D: 9, 0x34: 17, 0x3E: 25}

# Timing (seconds): data sampled 250 us after each clock edge; a clock high
# for more than 1 ms ends a message.
SAMPLE_DELAY = 250e-6
END_GAP = 1e-3

(A_PBIT, A_MBIT, A_PBYTE, A_MBYTE, A_FRAME, A_MEANING, A_KEY,
 A_ERROR) = range(8)


def has_checksum(b):
    if b[0] == 0xE6 and len(b) > 2 and b[2] in E6_UNCHECKED:
        return False
    return COMMANDS.get(b[0], ('', True))[1]


def checksum_ok(b):
    '''Sum of byte 0 and bytes 2..N-2 (the stop-bit slot skipped) mod 256
    equals the last byte.'''
    return len(b) >= 3 and (b[0] + sum(b[2:-1])) % 256 == b[-1]


def lights_text(v):
    names = [LIGHTS[i] for i in range(8) if v & (1 << i)]
    return ' '.join(names) if names else 'none'


def part_text(n, lights, status):
    if status in (0x00, 0xC7, 0xFF):
        return 'P%d %s' % (n, 'disabled' if status == 0xC7 else 'absent')
    return 'P%d %s (%s)' % (n, STATUS.get(status, 'status 0x%02X' % status),
                            lights_text(lights))


def meaning(b):
    '''Short meaning of a complete panel frame, '' when none is known.'''
    c, n = b[0], len(b)
    if c in (0x05, 0x1B):
        first = 1 if c == 0x05 else 5
        return ' | '.join(part_text(first + i, b[2 + 2 * i], b[3 + 2 * i])
                          for i in range((n - 2) // 2))
    if c in ZONE_BASE and n >= 8:
        open_ = [str(ZONE_BASE[c] + i) for i in range(8) if b[6] & (1 << i)]
        return '%s | zones open: %s' % (part_text(1, b[2], b[3]),
                                        ' '.join(open_) if open_ else 'none')
    if c == 0xA5 and n >= 9:
        y = (b[2] >> 4) * 10 + (b[2] & 0x0F)
        y += 1900 if (b[2] >> 4) >= 7 else 2000
        month = (b[3] >> 2) & 0x0F
        day = ((b[3] & 0x03) << 3) | (b[4] >> 5)
        t = '%04d-%02d-%02d %02d:%02d' % (y, month, day, b[4] & 0x1F, b[5] >> 2)
        if b[6] == 0 and b[7] == 0:
            return t + ' timestamp'
        part = b[3] >> 6
        return '%s%s event set %d code 0x%02X' % (
            t, ' P%d' % part if part else '', b[5] & 0x03, b[6])
    return ''


class Decoder(srd.Decoder):
    api_version = 3
    id = 'dsc_keybus'
    name = 'DSC Keybus'
    longname = 'DSC PowerSeries Keybus'
    desc = 'DSC alarm panel Keybus (clock + data), panel and module streams.'
    license = 'mit'
    inputs = ['logic']
    outputs = []
    tags = ['Security/monitoring']
    channels = (
        {'id': 'clock', 'name': 'CLK', 'desc': 'Keybus clock (yellow)'},
        {'id': 'data', 'name': 'DATA', 'desc': 'Keybus data (green)'},
    )
    annotations = (
        ('pbit', 'Panel bit'),
        ('mbit', 'Module bit'),
        ('pbyte', 'Panel byte'),
        ('mbyte', 'Module byte'),
        ('frame', 'Frame'),
        ('meaning', 'Meaning'),
        ('key', 'Key press'),
        ('error', 'Checksum error'),
    )
    annotation_rows = (
        ('panel-bits', 'Panel bits', (A_PBIT,)),
        ('panel-bytes', 'Panel bytes', (A_PBYTE,)),
        ('module-bits', 'Module bits', (A_MBIT,)),
        ('module-bytes', 'Module bytes', (A_MBYTE,)),
        ('frames', 'Frames', (A_FRAME, A_ERROR)),
        ('meanings', 'Meanings', (A_MEANING, A_KEY)),
    )

    def __init__(self):
        self.reset()

    def reset(self):
        self.samplerate = None
        self.new_message()

    def new_message(self):
        self.pbits = []  # (start sample, end sample, bit)
        self.mbits = []

    def metadata(self, key, value):
        if key == srd.SRD_CONF_SAMPLERATE:
            self.samplerate = value

    def start(self):
        self.out_ann = self.register(srd.OUTPUT_ANN)

    def put_bits(self, bits, cls, bytecls):
        '''Bit annotations; bytes per the Keybus layout: bits 0-7 byte 0,
        bit 8 the stop-bit slot (byte 1), then 8 bits a byte. Returns the
        complete bytes with their sample spans.'''
        out = []
        for s, e, v in bits:
            self.put(s, e, self.out_ann, [cls, [str(v)]])
        # A frame is 8N-7 bits plus up to 7 trailing bits: N = (bits+7)//8.
        nbytes = (len(bits) + 7) // 8
        for k in range(nbytes):
            lo, hi = (0, 8) if k == 0 else (8, 9) if k == 1 else (8 * k - 7, 8 * k + 1)
            chunk = bits[lo:hi]
            if len(chunk) != hi - lo:
                break
            v = 0
            for _, _, bit in chunk:
                v = (v << 1) | bit
            out.append((chunk[0][0], chunk[-1][1], v))
            self.put(chunk[0][0], chunk[-1][1], self.out_ann,
                     [bytecls, ['%02X' % v]])
        return out

    def end_message(self):
        if len(self.pbits) < 8:
            return
        pb = self.put_bits(self.pbits, A_PBIT, A_PBYTE)
        mb = self.put_bits(self.mbits, A_MBIT, A_MBYTE)
        b = [v for _, _, v in pb]
        s, e = pb[0][0], pb[-1][1]
        name = COMMANDS.get(b[0], ('Unknown 0x%02X' % b[0], True))[0]
        if b[0] == 0xE6 and len(b) > 2:
            name += ' 0x%02X' % b[2]
        hexs = ' '.join('%02X' % v for v in b)
        if not has_checksum(b):
            verdict = 'no checksum'
        elif checksum_ok(b):
            verdict = 'checksum ok'
        else:
            verdict = 'CHECKSUM ERROR'
        self.put(s, e, self.out_ann,
                 [A_FRAME, ['%s: %s [%s]' % (name, hexs, verdict), name]])
        if verdict == 'CHECKSUM ERROR':
            self.put(s, e, self.out_ann,
                     [A_ERROR, ['Checksum error: %s' % hexs, 'CRC!']])
        else:
            m = meaning(b)
            if m:
                self.put(s, e, self.out_ann, [A_MEANING, [m]])
        # Keys: an alarm key in module byte 0, keypad keys in the status
        # commands' key slots.
        slots = KEY_SLOTS.get(b[0], {})
        for k, (ms, me, v) in enumerate(mb):
            if k == 0 and v in ALARM_KEYS:
                self.put(ms, me, self.out_ann, [A_KEY, [ALARM_KEYS[v]]])
            elif k in slots and v != 0xFF:
                key = KEYS.get(v, '0x%02X' % v)
                self.put(ms, me, self.out_ann,
                         [A_KEY, ['P%d key %s (0x%02X)' % (slots[k], key, v), key]])

    def decode(self):
        # The model of keybus's own link layer (include/keybus/kb_edge.h,
        # kb_link_isr.h), so a glitchy capture decodes as keybus-reader does:
        # - every clock edge arms a data sample 250 us later; an edge before
        #   it fires cancels it (a glitch) and arms its own;
        # - the sample goes to the panel stream when it reads the clock high,
        #   to the module stream when low;
        # - a falling edge more than 1 ms after the last rising edge starts a
        #   message (ending the one before); a sample that reads the clock
        #   high ends the message when the clock is still high 1 ms after
        #   the last rising edge (so the last message of a capture shows).
        if not self.samplerate:
            raise srd.SamplerateError('Cannot decode without samplerate.')
        delay = max(1, int(SAMPLE_DELAY * self.samplerate))
        gap = max(1, int(END_GAP * self.samplerate))
        t_rise = None
        in_msg = False
        clk, _ = self.wait({0: 'e'})
        while True:
            edge = self.samplenum
            if clk == 1:
                t_rise = edge
            elif t_rise is None or edge - t_rise > gap:
                if in_msg:
                    self.end_message()
                self.new_message()
                in_msg = True
            # The levels in force just before edge + 250 us: a change at
            # exactly the sample time is not seen by the sample (kb_edge.h).
            clk, dat = self.wait([{0: 'e'}, {'skip': max(1, delay - 1)}])
            if self.matched[0]:
                continue  # a glitch: this edge's sample is cancelled
            bits = self.pbits if clk == 1 else self.mbits
            if in_msg:
                bits.append((edge, edge + 2 * delay, dat))
            if clk == 1 and t_rise is not None:
                due = t_rise + gap + 1 - self.samplenum
                clk, dat = self.wait([{0: 'e'}, {'skip': max(1, due)}])
                if self.matched[0]:
                    continue
                if in_msg:
                    self.end_message()
                    in_msg = False
            clk, _ = self.wait({0: 'e'})
