/* storage_io.c - the file system calls of durable storage, through the table a test may replace
 * (storage_io.h); the operating system's by default. */
#define _POSIX_C_SOURCE 200809L

#include "storage/storage_io.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int posix_open(void *ctx, const char *path, int flags, mode_t mode) {
  (void)ctx;
  return open(path, flags, mode);
}
static ssize_t posix_write(void *ctx, int fd, const void *data, size_t len) {
  (void)ctx;
  return write(fd, data, len);
}
static int posix_sync(void *ctx, int fd, int data_only) {
  (void)ctx;
  return data_only ? fdatasync(fd) : fsync(fd);
}
static int posix_close(void *ctx, int fd) {
  (void)ctx;
  return close(fd);
}
static int posix_rename(void *ctx, const char *from, const char *to) {
  (void)ctx;
  return rename(from, to);
}
static int posix_unlink(void *ctx, const char *path) {
  (void)ctx;
  return unlink(path);
}
static int posix_truncate(void *ctx, const char *path, off_t length) {
  (void)ctx;
  return truncate(path, length);
}
static int posix_mkdir(void *ctx, const char *path, mode_t mode) {
  (void)ctx;
  return mkdir(path, mode);
}

static const sl_io_t POSIX = {posix_open, posix_write, posix_sync,     posix_close, posix_rename,
                              posix_unlink, posix_truncate, posix_mkdir, NULL};
static const sl_io_t *io = &POSIX;

const sl_io_t *sl_io_posix(void) { return &POSIX; }
void sl_io_use(const sl_io_t *replacement) { io = replacement ? replacement : &POSIX; }

int sl_io_open(const char *path, int flags, mode_t mode) { return io->open(io->ctx, path, flags, mode); }
ssize_t sl_io_write(int fd, const void *data, size_t len) { return io->write(io->ctx, fd, data, len); }
int sl_io_fsync(int fd) { return io->sync(io->ctx, fd, 0); }
int sl_io_fdatasync(int fd) { return io->sync(io->ctx, fd, 1); }
int sl_io_close(int fd) { return io->close(io->ctx, fd); }
int sl_io_rename(const char *from, const char *to) { return io->rename(io->ctx, from, to); }
int sl_io_unlink(const char *path) { return io->unlink(io->ctx, path); }
int sl_io_truncate(const char *path, off_t length) { return io->truncate(io->ctx, path, length); }
int sl_io_mkdir(const char *path, mode_t mode) { return io->mkdir(io->ctx, path, mode); }
