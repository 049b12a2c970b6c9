/* atomic_file.c - write-temporary, fsync, rename, fsync-folder; and fsync of a folder. */
#define _POSIX_C_SOURCE 200809L

#include "storage/atomic_file.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sl_fsync_dir(const char *dir, sl_error_t *err) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return sl_error_set(err, SL_EIO, "cannot open folder %s: %s", dir, strerror(errno));
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  return rc == 0 ? SL_OK : sl_error_set(err, SL_EIO, "cannot sync folder %s: %s", dir, strerror(saved));
}

int sl_atomic_write(const char *path, const void *data, size_t len, sl_error_t *err) {
  char tmp[4200], dir[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  snprintf(dir, sizeof dir, "%s", path);
  sl_path_dir(dir, sizeof dir);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      unlink(tmp);
      return sl_error_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(saved));
    }
    p += n;
    left -= (size_t)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp);
    return sl_error_set(err, SL_EIO, "cannot sync %s: %s", tmp, strerror(errno));
  }
  if (rename(tmp, path) != 0) {
    int saved = errno;
    unlink(tmp);
    return sl_error_set(err, SL_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
  }
  return sl_fsync_dir(dir, err);
}
