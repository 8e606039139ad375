/* SPDX-License-Identifier: MIT
 *
 * kb_gpio_line.h - the line look-up shared by the two Linux GPIO ports:
 * the reader (kb_gpio.c) and the panel role (kb_gpio_panel.c).
 *
 * What it promises
 *   - kb_gpio_line_gone(e): true for the errno values of a chip that has
 *     vanished or is not there yet (retried by the callers), false for the
 *     rest (the caller's error).
 *   - kb_gpio_line_resolve(): one line, by name (when name is non-empty) or
 *     by offset, on the chip open on fd; false when it is absent.
 *
 * Who may call it, from where: the ports/linux sources, on the task side
 * (it does ioctls). Header-only (static inline) because the panel port's
 * tests #include kb_gpio_panel.c and link no port library.
 */
#ifndef KB_GPIO_LINE_H
#define KB_GPIO_LINE_H

#include <errno.h>
#include <linux/gpio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

static inline bool kb_gpio_line_gone(int e) {
  return e == ENODEV || e == ENOENT || e == ENXIO || e == EIO;
}

/* Finds `name` among the lines of the chip open on fd; -1 if absent, -2 on
 * a failed ioctl. */
static inline int kb_gpio_line_by_name(int fd, unsigned nlines, const char *name) {
  for (unsigned i = 0; i < nlines; i++) {
    struct gpio_v2_line_info li;
    memset(&li, 0, sizeof li);
    li.offset = i;
    if (ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &li) < 0) return -2;
    if (strncmp(li.name, name, sizeof li.name) == 0) return (int)i;
  }
  return -1;
}

static inline bool kb_gpio_line_resolve(int fd, unsigned nlines, const char *name, unsigned off,
                                        unsigned *out) {
  if (name && name[0]) {
    int r = kb_gpio_line_by_name(fd, nlines, name);
    if (r < 0) return false;
    *out = (unsigned)r;
    return true;
  }
  if (off >= nlines) return false;
  *out = off;
  return true;
}

#endif /* KB_GPIO_LINE_H */
