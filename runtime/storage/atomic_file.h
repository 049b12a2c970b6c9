/* atomic_file.h - small files replaced whole and durably: write a temporary file beside it, fsync it, rename it
 * over the old one, fsync the folder. A crash leaves the old file or the new one, never a mix. Private to the
 * storage code. */
#ifndef SHARDLAB_ATOMIC_FILE_H
#define SHARDLAB_ATOMIC_FILE_H

#include <stddef.h>

#include "shardlab/error.h"

int sl_atomic_write(const char *path, const void *data, size_t len, sl_error_t *err);

/* fsyncs a folder, so the names created or removed in it are durable. */
int sl_fsync_dir(const char *dir, sl_error_t *err);

#endif
