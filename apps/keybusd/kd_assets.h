/* SPDX-License-Identifier: MIT
 *
 * kd_assets.h - the web keypad's files (apps/keybusd/web/), embedded in the
 * binary: scripts/embed_assets.py writes the table (build/<variant>/gen/
 * kd_assets.c) when a file changes, so keybusd serves exactly what it was
 * built with and makes no request to anywhere else. Read-only data: any
 * thread may read it.
 */
#ifndef KD_ASSETS_H_
#define KD_ASSETS_H_

#include <stddef.h>

typedef struct {
  const char *path;  /* URL path ("/" for index.html) */
  const char *type;  /* Content-Type */
  const char *etag;  /* "\"<sha256 prefix>\"" of the content */
  const unsigned char *data;
  size_t len;
} kd_asset_t;

extern const kd_asset_t kd_assets[];
extern const size_t kd_n_assets;

#endif
