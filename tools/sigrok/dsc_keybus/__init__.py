##
## SPDX-License-Identifier: MIT
## dsc_keybus - libsigrokdecode decoder for the DSC PowerSeries Keybus (part of keybus).
##

'''
The DSC PowerSeries Keybus: a two-wire bus (clock, data) between a DSC alarm
panel and its keypads and modules. The panel drives the clock (about 1 kHz)
and writes its bits during the clock's high phase; keypads and modules write
theirs during the low phase. A message ends when the clock stays high for more
than 1 ms.

This decoder shows the panel and module bits and bytes, each frame with its
command name and checksum verdict, the most useful meanings (partition
status and lights, zones, event time) and keypad key presses.

Facts: docs/protocol/powerseries.md of the keybus project.
'''

from .pd import Decoder
