/* storage_io.h - the file system calls that change what durable storage leaves on disk (open, write, fsync,
 * close, rename, unlink, truncate, mkdir), in one place a test can replace: the crash-state test records
 * them to build what a power loss may leave (tests/unit/test_crash_states.c), the fault tests make them fail
 * with ENOSPC or EIO. Reads go to the operating system directly. Private to storage and its tests.
 *
 * Each call returns what the POSIX call returns and sets errno the same way. */
#ifndef SHARDLAB_STORAGE_IO_H
#define SHARDLAB_STORAGE_IO_H

#include <stddef.h>
#include <sys/types.h>

typedef struct sl_io_s {
  int (*open)(void *ctx, const char *path, int flags, mode_t mode);
  ssize_t (*write)(void *ctx, int fd, const void *data, size_t len);
  int (*sync)(void *ctx, int fd, int data_only); /* fsync (0) or fdatasync (1) */
  int (*close)(void *ctx, int fd);
  int (*rename)(void *ctx, const char *from, const char *to);
  int (*unlink)(void *ctx, const char *path);
  int (*truncate)(void *ctx, const char *path, off_t length);
  int (*mkdir)(void *ctx, const char *path, mode_t mode);
  void *ctx;
} sl_io_t;

/* The operating system's calls (ctx unused). */
const sl_io_t *sl_io_posix(void);

/* Makes io the calls every store uses from now on (NULL: the operating system's again). For tests: set it
 * before opening stores, from the thread that uses them. */
void sl_io_use(const sl_io_t *io);

int sl_io_open(const char *path, int flags, mode_t mode);
ssize_t sl_io_write(int fd, const void *data, size_t len);
int sl_io_fsync(int fd);
int sl_io_fdatasync(int fd);
int sl_io_close(int fd);
int sl_io_rename(const char *from, const char *to);
int sl_io_unlink(const char *path);
int sl_io_truncate(const char *path, off_t length);
int sl_io_mkdir(const char *path, mode_t mode);

#endif
