/* test_store_faults.c - a durable store on a disk that fills up or fails, through the storage I/O layer's
 * calls replaced by a faulty disk: a write that finds the disk full fails with SL_ENOSPACE naming the segment
 * file, part of a buffer written before the disk filled is not written twice, puts are refused while the
 * disk stays full, and once space returns the buffered records reach the file and puts go on; a failed
 * fdatasync is SL_EIO; after all of it the store reopens with every record it took, each once, in order; and a
 * store reopens on a full disk; the interval policy syncs once its interval passed, not before. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shardlab/store.h"
#include "storage/storage_io.h"

/* The faulty disk: writes fail with ENOSPC once `room` bytes are used (a write that does not fit whole is cut
 * short at the room left, as a file system does), fdatasync fails with EIO while sync_fails. */
typedef struct disk_s {
  long long room;
  int sync_fails;
  long long written;
  int syncs;
} disk_t;

static ssize_t disk_write(void *ctx, int fd, const void *data, size_t len) {
  disk_t *d = ctx;
  if (d->room <= 0) {
    errno = ENOSPC;
    return -1;
  }
  size_t n = (long long)len > d->room ? (size_t)d->room : len;
  ssize_t w = write(fd, data, n);
  if (w > 0) d->room -= w, d->written += w;
  return w;
}

static int disk_sync(void *ctx, int fd, int data_only) {
  disk_t *d = ctx;
  if (d->sync_fails) {
    errno = EIO;
    return -1;
  }
  d->syncs++;
  return data_only ? fdatasync(fd) : fsync(fd);
}

static disk_t disk;
static sl_io_t faulty;

static void use_faulty_disk(long long room) {
  faulty = *sl_io_posix();
  faulty.write = disk_write;
  faulty.sync = disk_sync;
  faulty.ctx = &disk;
  disk = (disk_t){room, 0, 0, 0};
  sl_io_use(&faulty);
}

static char root[128];

static int64_t interval_ms = 1000;

static sl_store_t *open_store(const char *name, sl_fsync_t policy, int deferred, sl_store_recovery_t *rec) {
  char dir[256];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  sl_store_config_t c;
  sl_store_config_init(&c);
  c.dir = dir;
  c.fsync = policy;
  c.deferred = deferred;
  c.interval_ms = interval_ms;
  sl_stream_config_t sc;
  sl_stream_config_init(&sc);
  sc.name = "faulty";
  sc.shard_count = 1;
  sc.write_limits = 0;
  sc.created_ms = TEST_EPOCH_MS;
  sl_store_t *st;
  sl_error_t err;
  if (sl_store_open(&c, &sc, &st, rec, &err) != SL_OK) fail_msg("sl_store_open %s: %s", dir, err.message);
  return st;
}

static int put(sl_store_t *st, int i, sl_error_t *err) {
  char data[200];
  int n = snprintf(data, sizeof data, "record %04d ", i);
  while (n < 100 + i % 50) data[n++] = (char)('a' + i % 26);
  return sl_stream_put(sl_store_stream(st), TEST_EPOCH_MS + i, "k", 1, NULL, data, (size_t)n, NULL, err);
}

/* The records of the reopened store are exactly want[0..n), in order, each once. */
static void expect_records(const char *name, const int *want, int n) {
  sl_io_use(NULL);
  sl_store_recovery_t rec;
  sl_store_t *st = open_store(name, SL_FSYNC_ALWAYS, 0, &rec);
  assert_int_equal(rec.torn, 0);
  const sl_shard_t *sh = sl_stream_shard(sl_store_stream(st), 0);
  assert_int_equal(sl_shard_log_next(sh->log) - sl_shard_log_first(sh->log), n);
  for (int k = 0; k < n; k++) {
    const sl_record_t *r = sl_shard_log_get(sh->log, sl_shard_log_first(sh->log) + (uint64_t)k);
    char head[16];
    snprintf(head, sizeof head, "record %04d ", want[k]);
    assert_true(r != NULL && r->data_len > 12);
    assert_memory_equal(SL_RECORD_DATA(r), head, 12);
  }
  assert_int_equal(sl_store_close(st, NULL), SL_OK);
}

/* The server's way: puts buffered, a flush before the answers. The disk fills in the middle of a buffer. */
static void test_full_disk_deferred(void **state) {
  (void)state;
  sl_store_t *st = open_store("deferred", SL_FSYNC_INTERVAL, 1, NULL); /* created before the disk is faulty */
  use_faulty_disk(1500);  /* room for the header and about a dozen records, not all 30 */
  sl_error_t err;
  int taken[80], n = 0;
  for (int i = 0; i < 30; i++) {
    assert_int_equal(put(st, i, &err), SL_OK); /* buffered: nothing written yet */
    taken[n++] = i;
  }
  assert_int_equal(sl_store_flush(st, &err), SL_ENOSPACE);
  assert_non_null(strstr(err.message, "00000000000000000000.seg"));
  assert_non_null(strstr(err.message, "No space left on device"));
  assert_true(disk.written > 0 && disk.written <= 1500); /* part of the buffer reached the file */
  /* While the disk is full, a put is refused before the stream takes it. */
  assert_int_equal(put(st, 100, &err), SL_ENOSPACE);
  assert_int_equal(sl_shard_log_next(sl_stream_shard(sl_store_stream(st), 0)->log), 30);
  assert_int_equal(sl_store_flush(st, &err), SL_ENOSPACE);
  disk.room = 1 << 20; /* space returns: what waited is written, once */
  assert_int_equal(sl_store_flush(st, &err), SL_OK);
  for (int i = 30; i < 40; i++) {
    assert_int_equal(put(st, i, &err), SL_OK);
    taken[n++] = i;
  }
  assert_int_equal(sl_store_flush(st, &err), SL_OK);
  assert_int_equal(sl_store_close(st, NULL), SL_OK);
  expect_records("deferred", taken, n);
}

/* `shardlab run`'s way: each put applies the policy itself; a full disk fails the put that meets it. */
static void test_full_disk_immediate(void **state) {
  (void)state;
  sl_store_t *st = open_store("immediate", SL_FSYNC_ALWAYS, 0, NULL);
  use_faulty_disk(1000);
  sl_error_t err;
  int n = 0, rc = SL_OK;
  for (int i = 0; i < 40 && (rc = put(st, i, &err)) == SL_OK; i++) n++;
  assert_int_equal(rc, SL_ENOSPACE);
  assert_non_null(strstr(err.message, "cannot write "));
  assert_non_null(strstr(err.message, "/immediate/shardId-000000000000/00000000000000000000.seg"));
  assert_true(n > 0 && n < 40);
  /* The record that met the full disk may be half in the file (the run stops there); what was taken is kept. */
  sl_io_use(NULL);
  sl_store_close(st, NULL);
  sl_store_recovery_t rec;
  st = open_store("immediate", SL_FSYNC_ALWAYS, 0, &rec);
  const sl_shard_t *sh = sl_stream_shard(sl_store_stream(st), 0);
  assert_true(sl_shard_log_next(sh->log) >= (uint64_t)n);
  assert_int_equal(sl_store_close(st, NULL), SL_OK);
}

/* A failed fdatasync is an I/O error (InternalFailure for the server), and the next flush syncs again. */
static void test_sync_error(void **state) {
  (void)state;
  sl_store_t *st = open_store("sync", SL_FSYNC_ALWAYS, 1, NULL);
  use_faulty_disk(1 << 20);
  sl_error_t err;
  int taken[20], n = 0;
  for (int i = 0; i < 10; i++, n++) assert_int_equal(put(st, taken[n] = i, &err), SL_OK);
  disk.sync_fails = 1;
  assert_int_equal(sl_store_flush(st, &err), SL_EIO);
  assert_non_null(strstr(err.message, "cannot sync "));
  assert_non_null(strstr(err.message, "Input/output error"));
  assert_int_equal(put(st, 50, &err), SL_EIO); /* refused while the sync fails */
  disk.sync_fails = 0;
  for (int i = 10; i < 20; i++, n++) assert_int_equal(put(st, taken[n] = i, &err), SL_OK);
  assert_int_equal(sl_store_flush(st, &err), SL_OK);
  assert_int_equal(sl_store_close(st, NULL), SL_OK);
  expect_records("sync", taken, n);
}

/* A store reopens on a full disk: the indexes it rebuilds are derived data, and reads do without them. */
static void test_reopen_full_disk(void **state) {
  (void)state;
  sl_store_t *st = open_store("reopen", SL_FSYNC_ALWAYS, 0, NULL);
  sl_error_t err;
  int taken[200];
  for (int i = 0; i < 200; i++) assert_int_equal(put(st, taken[i] = i, &err), SL_OK);
  assert_int_equal(sl_store_close(st, NULL), SL_OK);
  use_faulty_disk(0);
  st = open_store("reopen", SL_FSYNC_ALWAYS, 0, NULL);
  assert_int_equal(sl_shard_log_next(sl_stream_shard(sl_store_stream(st), 0)->log), 200);
  assert_int_equal(put(st, 200, &err), SL_ENOSPACE);
  sl_store_close(st, NULL);
  expect_records("reopen", taken, 200);
}

/* The interval policy's window, which the crash-state test takes as given: a flush syncs once interval_ms
 * passed since the last sync, and not before (an hour's interval: a flush only writes). */
static void test_interval_window(void **state) {
  (void)state;
  sl_error_t err;
  interval_ms = 3600 * 1000;
  sl_store_t *st = open_store("hour", SL_FSYNC_INTERVAL, 1, NULL);
  put(st, 0, &err);
  use_faulty_disk(1 << 20);
  assert_int_equal(sl_store_flush(st, &err), SL_OK);
  assert_int_equal(disk.syncs, 0);
  assert_true(disk.written > 0);
  sl_store_close(st, NULL);
  interval_ms = 20;
  sl_io_use(NULL);
  st = open_store("twenty", SL_FSYNC_INTERVAL, 1, NULL);
  use_faulty_disk(1 << 20);
  for (int i = 0; i < 3; i++) {
    put(st, i, &err);
    int before = disk.syncs; /* the first put's new segment is synced when it is made */
    nanosleep(&(struct timespec){0, 25 * 1000000}, NULL); /* past the interval */
    assert_int_equal(sl_store_flush(st, &err), SL_OK);
    assert_int_equal(disk.syncs, before + 1);
  }
  sl_store_close(st, NULL);
  interval_ms = 1000;
}

static int setup(void **state) {
  (void)state;
  snprintf(root, sizeof root, "/tmp/shardlab-faults-XXXXXX");
  return mkdtemp(root) == NULL;
}

static int teardown(void **state) {
  (void)state;
  sl_io_use(NULL);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  return system(cmd) != 0;
}

static int healthy_disk(void **state) { /* after each test, so a failed one leaves no faulty disk behind */
  (void)state;
  sl_io_use(NULL);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_full_disk_deferred, healthy_disk),
      cmocka_unit_test_teardown(test_full_disk_immediate, healthy_disk),
      cmocka_unit_test_teardown(test_sync_error, healthy_disk),
      cmocka_unit_test_teardown(test_reopen_full_disk, healthy_disk),
      cmocka_unit_test_teardown(test_interval_window, healthy_disk),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
