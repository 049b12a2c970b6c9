/* storage.c - benchmark of durable appends: N records of 100 bytes (24-byte keys) put into a 4-shard stream
 * backed by the store with fsync "interval" (group commit every second), against, in the same run, plain
 * write() of the same key and data bytes to one file in 64 KiB chunks with one fdatasync at the end. Also the
 * in-memory stream alone: the store's own cost is the durable time minus the in-memory time (routing, validation
 * and the in-memory log are bench_route's subject). Target: the store's share >= 0.5x of plain write. Then as
 * `shardlab serve` uses it: deferred, one flush (write(2) before the answer) per request of 500 records, under
 * interval and under always (an fdatasync per request). Usage: bench_storage [N] [DIR] */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shardlab/clock.h"
#include "shardlab/store.h"

static void key_of(long i, char key[32]) { snprintf(key, 32, "device-%016ld", i * 2654435761L % 100000); }

static double plain_write(const char *path, long n, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) exit(1);
  static char buf[65536];
  size_t len = 0;
  double t0 = sl_clock_mono_s();
  for (long i = 0; i < n; i++) {
    char key[32];
    key_of(i, key);
    if (len + 124 > sizeof buf) {
      if (write(fd, buf, len) != (ssize_t)len) exit(1);
      len = 0;
    }
    memcpy(buf + len, key, 24);
    memcpy(buf + len + 24, data, 100);
    len += 124;
  }
  if (write(fd, buf, len) != (ssize_t)len || fdatasync(fd) != 0) exit(1);
  double t = sl_clock_mono_s() - t0;
  close(fd);
  unlink(path);
  return t;
}

static sl_stream_config_t stream_config(void) {
  sl_stream_config_t sc;
  sl_stream_config_init(&sc);
  sc.name = "bench";
  sc.shard_count = 4;
  sc.write_limits = 0;
  sc.created_ms = 1700000000000;
  return sc;
}

static double put_all(sl_stream_t *s, long n, const char *data) {
  double t0 = sl_clock_mono_s();
  for (long i = 0; i < n; i++) {
    char key[32];
    key_of(i, key);
    sl_error_t err;
    if (sl_stream_put(s, 1700000000000 + i / 1000, key, 24, NULL, data, 100, NULL, &err) != SL_OK) {
      fprintf(stderr, "bench_storage: %s\n", err.message);
      exit(1);
    }
  }
  return sl_clock_mono_s() - t0;
}

/* n puts into a new store in dir under policy; flush_every > 0: as `shardlab serve` does (deferred, one
 * sl_store_flush per request of that many records, before its answer), else each put applies the policy. */
static double durable_run(const sl_stream_config_t *sc, const char *dir, sl_fsync_t policy, long flush_every,
                          long n, const char *data) {
  sl_store_config_t c;
  sl_store_config_init(&c);
  c.dir = dir;
  c.fsync = policy;
  c.deferred = flush_every > 0;
  sl_store_t *st;
  sl_error_t err;
  if (sl_store_open(&c, sc, &st, NULL, &err) != SL_OK) {
    fprintf(stderr, "bench_storage: %s\n", err.message);
    exit(1);
  }
  double t0 = sl_clock_mono_s();
  for (long done = 0; done < n;) {
    long batch = flush_every > 0 && n - done > flush_every ? flush_every : n - done;
    put_all(sl_store_stream(st), batch, data);
    done += batch;
    if (flush_every > 0 && sl_store_flush(st, &err) != SL_OK) exit(1);
  }
  if (sl_store_sync(st, &err) != SL_OK) exit(1);
  double t = sl_clock_mono_s() - t0;
  sl_store_close(st, NULL);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) exit(1);
  return t;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  const char *base = argc > 2 ? argv[2] : "/tmp";
  char dir[512], file[512];
  snprintf(dir, sizeof dir, "%s/shardlab-bench-store-%d", base, (int)getpid());
  snprintf(file, sizeof file, "%s/shardlab-bench-plain-%d", base, (int)getpid());
  char data[100];
  memset(data, 'x', sizeof data);

  double plain = plain_write(file, n, data);

  sl_stream_config_t sc = stream_config();
  sl_stream_t *mem;
  if (sl_stream_create(&sc, &mem, NULL) != SL_OK) return 1;
  double memory = put_all(mem, n, data);
  sl_stream_destroy(mem);

  double durable = durable_run(&sc, dir, SL_FSYNC_INTERVAL, 0, n, data);
  double served = durable_run(&sc, dir, SL_FSYNC_INTERVAL, 500, n, data);
  double served_always = durable_run(&sc, dir, SL_FSYNC_ALWAYS, 500, n / 10, data) * 10;

  printf("bench_storage: %ld records (24-byte keys, 100-byte data) into 4 shards, fsync interval\n", n);
  printf("  plain write() of the same bytes, 64 KiB chunks  %10.0f records/s\n", n / plain);
  printf("  in-memory stream (sl_stream_put)                %10.0f records/s\n", n / memory);
  printf("  durable stream (sl_stream_put + store)          %10.0f records/s\n", n / durable);
  printf("  the store's own share (durable minus in-memory) %10.0f records/s\n", n / (durable - memory));
  printf("  ratio store / plain write                       %10.3f   (target >= 0.5)\n", plain / (durable - memory));
  printf("  ratio whole durable put / plain write           %10.3f   (routing and the in-memory log included)\n",
         plain / durable);
  printf("  served: a flush per 500 (write before answering) %10.0f records/s, store share %.3f of plain write\n",
         n / served, plain / (served - memory));
  printf("  served, fsync always (fdatasync per 500)         %10.0f records/s (measured on n/10)\n", n / served_always);
  return 0;
}
