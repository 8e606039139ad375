/* SPDX-License-Identifier: MIT
 *
 * keybus_esp_config.h - the ONE place where every CONFIG_KEYBUS_* value of
 * the component's Kconfig gets its default, and where they become the
 * engine's compile-time sizes (include/keybus/kb_config.h). It is the
 * engine's KB_CONFIG_FILE for every source of the component and for its
 * users (CMakeLists.txt defines KB_CONFIG_FILE="keybus_esp_config.h"
 * PUBLIC): kb_bus_t's layout depends on these sizes, so the component and
 * the code that includes keybus_esp.h must see the same ones.
 *
 * Under ESP-IDF the values come from sdkconfig.h (menuconfig, "keybus");
 * under ESPHome, which compiles these sources without the component's
 * Kconfig, the #ifndef defaults below apply (or -D flags). Nothing here
 * changes an ESP-IDF option: the IRAM-safety options the component needs
 * are checked (kbe_int.h), never set.
 *
 * Who includes it: kb_config.h (through KB_CONFIG_FILE), keybus_esp.h.
 */
#ifndef KEYBUS_ESP_CONFIG_H_
#define KEYBUS_ESP_CONFIG_H_

#if defined(ESP_PLATFORM) || defined(KBE_HOST_FAKE)
#include "sdkconfig.h"
#endif

/* Pins (GPIO numbers). Safe choices per chip: docs/esp32.md. */
#ifndef CONFIG_KEYBUS_CLOCK_PIN
#define CONFIG_KEYBUS_CLOCK_PIN 4 /* yellow, any-edge interrupt */
#endif
#ifndef CONFIG_KEYBUS_DATA_PIN
#define CONFIG_KEYBUS_DATA_PIN 5 /* green, sampled */
#endif
#ifndef CONFIG_KEYBUS_WRITE_PIN
#define CONFIG_KEYBUS_WRITE_PIN -1 /* NPN base of the write driver; -1 listen only */
#endif

/* Engine sizes (kb_config.h checks their ranges). */
/* issue 11: the panel series (0 PowerSeries, 1 Classic: KB_SERIES_*) and
 * the Classic's PC-16 input (-1 none). */
#ifndef CONFIG_KEYBUS_PANEL
#define CONFIG_KEYBUS_PANEL 0
#endif
#ifndef CONFIG_KEYBUS_PC16_PIN
#define CONFIG_KEYBUS_PC16_PIN -1
#endif

#ifndef CONFIG_KEYBUS_PARTITIONS
#define CONFIG_KEYBUS_PARTITIONS 8 /* 1..8 */
#endif
#ifndef CONFIG_KEYBUS_ZONES
#define CONFIG_KEYBUS_ZONES 64 /* 8..64, a multiple of 8 */
#endif
#ifndef CONFIG_KEYBUS_RING_DEPTH
/* Frames between interrupt and task, 2..127 (40 bytes each). The task is
 * woken at every frame, so the ring only covers the time it may be held
 * off (the lock, higher-priority tasks, flash writes): 8 frames are about
 * half a second of traffic. */
#define CONFIG_KEYBUS_RING_DEPTH 8
#endif

/* The keybus task. */
#ifndef CONFIG_KEYBUS_TASK_PRIORITY
#define CONFIG_KEYBUS_TASK_PRIORITY 5
#endif
#ifndef CONFIG_KEYBUS_TASK_CORE
#define CONFIG_KEYBUS_TASK_CORE 0 /* core of the task and of both interrupts */
#endif
#ifndef CONFIG_KEYBUS_TASK_STACK
#define CONFIG_KEYBUS_TASK_STACK 4096 /* bytes (docs/esp32.md: measured high-water) */
#endif

/* The engine's view of them. */
#ifndef KB_MAX_PARTITIONS
#define KB_MAX_PARTITIONS CONFIG_KEYBUS_PARTITIONS
#endif
#ifndef KB_MAX_ZONES
#define KB_MAX_ZONES CONFIG_KEYBUS_ZONES
#endif
#ifndef KB_FRAME_RING
#define KB_FRAME_RING CONFIG_KEYBUS_RING_DEPTH
#endif

/* Interrupt code in IRAM (kb_port.h rule 7): ONE fixed section name that
 * ESP-IDF's linker script maps to IRAM (.iram1.*), not IRAM_ATTR (whose
 * __COUNTER__ gives a prototype and its definition different sections). */
#if defined(ESP_PLATFORM) && !defined(KB_ISR_FN)
#define KB_ISR_FN __attribute__((section(".iram1.keybus")))
#endif

#endif /* KEYBUS_ESP_CONFIG_H_ */
