/* atomic_file.c - write-temporary, fsync, rename, fsync-folder; and fsync of a folder (through storage_io). */
#define _POSIX_C_SOURCE 200809L

#include "storage/atomic_file.h"
#include "storage/storage_io.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A failed call's error: SL_ENOSPACE for a full disk (or quota), SL_EIO otherwise. */
static int failed(int saved, const char *what, const char *path, sl_error_t *err) {
  int code = saved == ENOSPC || saved == EDQUOT || saved == EFBIG ? SL_ENOSPACE : SL_EIO;
  return sl_error_set(err, code, "cannot %s %s: %s", what, path, strerror(saved));
}

int sl_fsync_dir(const char *dir, sl_error_t *err) {
  int fd = sl_io_open(dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return sl_error_set(err, SL_EIO, "cannot open folder %s: %s", dir, strerror(errno));
  int rc = sl_io_fsync(fd);
  int saved = errno;
  sl_io_close(fd);
  return rc == 0 ? SL_OK : sl_error_set(err, SL_EIO, "cannot sync folder %s: %s", dir, strerror(saved));
}

int sl_atomic_write(const char *path, const void *data, size_t len, sl_error_t *err) {
  char tmp[4200], dir[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  snprintf(dir, sizeof dir, "%s", path);
  sl_path_dir(dir, sizeof dir);
  int fd = sl_io_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed(errno, "write", tmp, err);
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t n = sl_io_write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      sl_io_close(fd);
      sl_io_unlink(tmp);
      return failed(saved, "write", tmp, err);
    }
    p += n;
    left -= (size_t)n;
  }
  int synced = sl_io_fsync(fd) == 0, saved = errno;
  if (sl_io_close(fd) != 0 && synced) synced = 0, saved = errno;
  if (!synced) {
    sl_io_unlink(tmp);
    return failed(saved, "sync", tmp, err);
  }
  if (sl_io_rename(tmp, path) != 0) {
    saved = errno;
    sl_io_unlink(tmp);
    return sl_error_set(err, SL_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
  }
  return sl_fsync_dir(dir, err);
}
