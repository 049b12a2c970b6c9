/* test_store.c - the durable store: a stream written, resharded, closed and reopened is the same stream
 * (shards, lineage, every record byte for byte, sequence numbers); each fsync policy; a flipped byte inside a
 * segment is an error naming the file and the frame's offset (found here by walking the frames with their
 * documented layout); a torn tail is cut off and reported, and writing goes on after it; retention deletes
 * whole old segments only; reads seek with the index; checkpoint files; and the crash test: a child process
 * putting with fsync "always" is killed at random moments, and every acknowledged record is there after. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shardlab/store.h"

static char tmp_root[256];

static void make_dir(char *out, size_t size, const char *name) {
  if (tmp_root[0] == '\0') {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/shardlab-store-XXXXXX");
    if (mkdtemp(tmp_root) == NULL) fail_msg("mkdtemp");
  }
  snprintf(out, size, "%s/%s", tmp_root, name);
}

static sl_store_t *open_store(const char *dir, sl_fsync_t policy, uint32_t shards, sl_store_recovery_t *rec) {
  sl_store_config_t c;
  sl_store_config_init(&c);
  c.dir = dir;
  c.fsync = policy;
  c.segment_bytes = 4096; /* many small segments */
  sl_stream_config_t sc;
  sl_stream_config_init(&sc);
  sc.name = "durable";
  sc.shard_count = shards;
  sc.write_limits = 0;
  sc.created_ms = TEST_EPOCH_MS;
  sl_store_t *st;
  sl_error_t err;
  if (sl_store_open(&c, &sc, &st, rec, &err) != SL_OK) fail_msg("sl_store_open %s: %s", dir, err.message);
  return st;
}

/* Record i: a key among 7 and data of a length that varies with i. */
static void record_of(uint64_t i, char *key, char *data, size_t *data_len) {
  snprintf(key, 32, "key-%llu", (unsigned long long)(i % 7));
  int n = snprintf(data, 128, "record %llu ", (unsigned long long)i);
  for (uint64_t k = 0; k < i % 50; k++) data[n++] = (char)('a' + (i + k) % 26);
  *data_len = (size_t)n;
}

static void put_records(sl_stream_t *s, uint64_t from, uint64_t to, int64_t at_ms) {
  for (uint64_t i = from; i <= to; i++) {
    char key[32], data[128];
    size_t len;
    record_of(i, key, data, &len);
    sl_error_t err;
    if (sl_stream_put(s, at_ms + (int64_t)i, key, strlen(key), NULL, data, len, NULL, &err) != SL_OK)
      fail_msg("put %llu: %s", (unsigned long long)i, err.message);
  }
}

/* Every record of every shard, as "shard:counter:arrival:key:data" lines, with each shard's layout. */
static char *dump(const sl_stream_t *s) {
  size_t cap = 1 << 20, len = 0;
  char *out = malloc(cap);
  for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) {
    const sl_shard_t *sh = sl_stream_shard(s, i);
    char a[SL_HASHKEY_DECIMAL_SIZE], b[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(sh->start, a);
    sl_hashkey_format(sh->end, b);
    len += (size_t)snprintf(out + len, cap - len, "%s %s %s %d %d %d %d %d %lld %lld %llu\n", sh->id, a, b, sh->parent,
                            sh->adjacent_parent, sh->children[0], sh->children[1], sh->open, (long long)sh->created_ms,
                            (long long)sh->closed_ms, (unsigned long long)sh->end_counter);
    for (uint64_t c = sl_shard_log_first(sh->log); c < sl_shard_log_next(sh->log); c++) {
      const sl_record_t *r = sl_shard_log_get(sh->log, c);
      sl_seqnum_t seq;
      char text[SL_SEQNUM_DECIMAL_SIZE];
      sl_shard_seqnum(sh, c, r->arrival_ms, &seq);
      sl_seqnum_format(&seq, text);
      if (cap - len < 512) out = realloc(out, cap *= 2);
      len += (size_t)snprintf(out + len, cap - len, "%u:%s:%lld:%.*s:%.*s\n", i, text, (long long)r->arrival_ms,
                              (int)r->key_len, SL_RECORD_KEY(r), (int)r->data_len, (const char *)SL_RECORD_DATA(r));
    }
  }
  return out;
}

static void reopened_stream_is_the_same(void **state) {
  (void)state;
  const sl_fsync_t policies[] = {SL_FSYNC_ALWAYS, SL_FSYNC_INTERVAL, SL_FSYNC_NEVER};
  for (int p = 0; p < 3; p++) {
    char dir[512];
    char name[32];
    snprintf(name, sizeof name, "same-%d", p);
    make_dir(dir, sizeof dir, name);
    sl_store_recovery_t rec;
    sl_store_t *st = open_store(dir, policies[p], 2, &rec);
    assert_false(rec.existed);
    sl_stream_t *s = sl_store_stream(st);
    put_records(s, 1, 300, TEST_EPOCH_MS);
    sl_error_t err;
    assert_int_equal(sl_stream_split(s, "shardId-000000000000", "85070591730234615865843651857942052864",
                                     TEST_EPOCH_MS + 1000, &err), SL_OK);
    put_records(s, 301, 600, TEST_EPOCH_MS + 2000);
    char *before = dump(s);
    assert_int_equal(sl_store_close(st, &err), SL_OK);
    st = open_store(dir, policies[p], 2, &rec);
    assert_true(rec.existed);
    assert_false(rec.torn);
    assert_int_equal(rec.records, 600);
    assert_true(rec.segments > 6); /* 600 records of ~90 bytes in 4 KiB segments */
    char *after = dump(sl_store_stream(st));
    assert_string_equal(before, after);
    /* Writing goes on where it stopped, and survives another reopening. */
    put_records(sl_store_stream(st), 601, 650, TEST_EPOCH_MS + 3000);
    free(before);
    before = dump(sl_store_stream(st));
    assert_int_equal(sl_store_close(st, &err), SL_OK);
    st = open_store(dir, policies[p], 2, &rec);
    free(after);
    after = dump(sl_store_stream(st));
    assert_string_equal(before, after);
    sl_store_close(st, NULL);
    free(before);
    free(after);
  }
}

/* The frames of a segment file, walked with the documented layout: offsets of each frame. */
static size_t frame_offsets(const char *path, long *offsets, size_t max, long *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  long off = 16;
  size_t n = 0;
  while (off + 8 <= *size && n < max) {
    unsigned char h[4];
    fseek(f, off, SEEK_SET);
    assert_int_equal(fread(h, 1, 4, f), 4);
    offsets[n++] = off;
    off += 8 + (long)(h[0] | h[1] << 8 | h[2] << 16 | (unsigned long)h[3] << 24);
  }
  fclose(f);
  return n;
}

static void segment_names(const char *shard_dir, char names[][32], size_t *count) {
  DIR *d = opendir(shard_dir);
  assert_non_null(d);
  struct dirent *e;
  *count = 0;
  while ((e = readdir(d)) != NULL)
    if (strlen(e->d_name) == 24 && strstr(e->d_name, ".seg") != NULL) memcpy(names[(*count)++], e->d_name, 25);
  closedir(d);
  qsort(names, *count, 32, (int (*)(const void *, const void *))strcmp);
}

static void flip_byte(const char *path, long offset) {
  int fd = open(path, O_RDWR);
  unsigned char b;
  assert_int_equal(pread(fd, &b, 1, offset), 1);
  b ^= 0x40;
  assert_int_equal(pwrite(fd, &b, 1, offset), 1);
  close(fd);
}

static void damage_is_found(void **state) {
  (void)state;
  char dir[512], shard[600], path[700], names[64][32];
  size_t count;
  make_dir(dir, sizeof dir, "damage");
  sl_store_t *st = open_store(dir, SL_FSYNC_INTERVAL, 1, NULL);
  put_records(sl_store_stream(st), 1, 400, TEST_EPOCH_MS);
  sl_store_close(st, NULL);
  snprintf(shard, sizeof shard, "%s/shardId-000000000000", dir);
  segment_names(shard, names, &count);
  assert_true(count >= 3);

  /* A flipped byte inside the 5th record of the second segment: an error naming the file and the offset. */
  snprintf(path, sizeof path, "%s/%s", shard, names[1]);
  long offsets[256], size;
  size_t frames = frame_offsets(path, offsets, 256, &size);
  assert_true(frames > 5);
  flip_byte(path, offsets[4] + 8 + 20);
  sl_store_config_t c;
  sl_store_config_init(&c);
  c.dir = dir;
  c.segment_bytes = 4096;
  sl_store_t *bad;
  sl_error_t err;
  assert_int_equal(sl_store_open(&c, NULL, &bad, NULL, &err), SL_EIO);
  char expect[128];
  snprintf(expect, sizeof expect, "a bad checksum at byte %ld", offsets[4]);
  if (strstr(err.message, path) == NULL || strstr(err.message, expect) == NULL)
    fail_msg("message '%s' lacks '%s' or '%s'", err.message, path, expect);
  flip_byte(path, offsets[4] + 8 + 20); /* repaired */

  /* The last segment cut in the middle of its last record: recovered without it, and reported. */
  snprintf(path, sizeof path, "%s/%s", shard, names[count - 1]);
  frames = frame_offsets(path, offsets, 256, &size);
  assert_int_equal(truncate(path, size - 5), 0);
  sl_store_recovery_t rec;
  st = open_store(dir, SL_FSYNC_INTERVAL, 1, &rec);
  assert_true(rec.torn);
  assert_string_equal(rec.torn_file, path);
  assert_int_equal(rec.torn_offset, offsets[frames - 1]);
  assert_int_equal(rec.torn_bytes, size - 5 - offsets[frames - 1]);
  assert_int_equal(rec.records, 399);
  const sl_shard_t *sh = sl_stream_shard(sl_store_stream(st), 0);
  assert_int_equal(sl_shard_log_next(sh->log), 399);
  put_records(sl_store_stream(st), 400, 420, TEST_EPOCH_MS + 1000); /* counters 399.. go on */
  sl_store_close(st, NULL);
  st = open_store(dir, SL_FSYNC_INTERVAL, 1, &rec);
  assert_false(rec.torn);
  assert_int_equal(rec.records, 420);
  sl_store_close(st, NULL);
}

static void retention_deletes_whole_segments(void **state) {
  (void)state;
  char dir[512], shard[600], names[256][32];
  size_t before, after;
  make_dir(dir, sizeof dir, "retention");
  sl_store_t *st = open_store(dir, SL_FSYNC_NEVER, 1, NULL);
  int64_t day = INT64_C(86400000);
  put_records(sl_store_stream(st), 1, 300, TEST_EPOCH_MS);          /* old */
  put_records(sl_store_stream(st), 301, 400, TEST_EPOCH_MS + 2 * day); /* young */
  snprintf(shard, sizeof shard, "%s/shardId-000000000000", dir);
  segment_names(shard, names, &before);
  sl_error_t err;
  uint32_t deleted = sl_store_trim(st, TEST_EPOCH_MS + 2 * day + 1000, &err);
  segment_names(shard, names, &after);
  assert_true(deleted > 0);
  assert_int_equal(before - after, deleted);
  /* What is left starts at a segment boundary and holds every young record. */
  uint64_t first = strtoull(names[0], NULL, 10);
  assert_true(first <= 300);
  sl_store_close(st, NULL);
  sl_store_recovery_t rec;
  st = open_store(dir, SL_FSYNC_NEVER, 1, &rec);
  const sl_shard_t *sh = sl_stream_shard(sl_store_stream(st), 0);
  assert_int_equal(sl_shard_log_first(sh->log), first);
  assert_int_equal(sl_shard_log_next(sh->log), 400);
  assert_int_equal(rec.records, 400 - first);
  sl_store_close(st, NULL);
}

typedef struct collected_s {
  uint64_t counters[64];
  size_t n;
} collected_t;

static int collect(void *ctx, uint64_t counter, int64_t arrival_ms, const char *key, size_t key_len, const void *data,
                   size_t data_len) {
  (void)arrival_ms;
  collected_t *c = ctx;
  char k[32], d[128];
  size_t len;
  record_of(counter + 1, k, d, &len); /* one shard: counter c holds record c + 1 */
  assert_int_equal(key_len, strlen(k));
  assert_memory_equal(key, k, key_len);
  assert_int_equal(data_len, len);
  assert_memory_equal(data, d, len);
  c->counters[c->n++] = counter;
  return 0;
}

static void reads_seek_by_sequence_number(void **state) {
  (void)state;
  char dir[512];
  make_dir(dir, sizeof dir, "read");
  sl_store_t *st = open_store(dir, SL_FSYNC_INTERVAL, 1, NULL);
  put_records(sl_store_stream(st), 1, 500, TEST_EPOCH_MS);
  sl_error_t err;
  for (uint64_t from = 0; from < 500; from += 37) {
    collected_t c = {{0}, 0};
    assert_int_equal(sl_store_read(st, 0, from, 20, collect, &c, &err), SL_OK);
    size_t want = from + 20 <= 500 ? 20 : 500 - from;
    assert_int_equal(c.n, want);
    for (size_t k = 0; k < c.n; k++) assert_int_equal(c.counters[k], from + k);
  }
  assert_int_equal(sl_store_save_checkpoints(st, "m", "{\"a\":1}", &err), SL_OK);
  assert_int_equal(sl_store_save_checkpoints(st, "m", "{\"a\":2}", &err), SL_OK);
  char *text = sl_store_load_checkpoints(st, "m", &err);
  assert_string_equal(text, "{\"a\":2}");
  free(text);
  assert_null(sl_store_load_checkpoints(st, "other", &err));
  assert_int_equal(err.code, SL_ENOTFOUND);
  sl_store_close(st, NULL);
}

/* The child: puts records 1, 2, ... with fsync "always" and writes each acknowledged number to the pipe. */
static void crash_child(const char *dir, int ack_fd) {
  sl_store_t *st = open_store(dir, SL_FSYNC_ALWAYS, 2, NULL);
  sl_stream_t *s = sl_store_stream(st);
  uint64_t next = 1;
  for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) next += sl_stream_shard(s, i)->stats.records_in;
  for (uint64_t i = next;; i++) {
    put_records(s, i, i, TEST_EPOCH_MS);
    char line[32];
    int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)i);
    if (write(ack_fd, line, (size_t)n) != n) _exit(3);
  }
}

static void acknowledged_records_survive_kill_9(void **state) {
  (void)state;
  char dir[512];
  make_dir(dir, sizeof dir, "crash");
  uint64_t rng = 2024, acked = 0;
  int torn_seen = 0;
  for (int trial = 0; trial < 25; trial++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      crash_child(dir, fds[1]);
      _exit(0);
    }
    close(fds[1]);
    long wait_us = 2000 + (long)(test_rand(&rng) % 40000); /* a random moment */
    struct timespec ts = {0, wait_us * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    char buf[65536];
    ssize_t n;
    size_t have = 0;
    static char acks[1 << 20];
    while ((n = read(fds[0], buf, sizeof buf)) > 0 && have + (size_t)n < sizeof acks) {
      memcpy(acks + have, buf, (size_t)n);
      have += (size_t)n;
    }
    close(fds[0]);
    acks[have] = '\0';
    for (char *line = strtok(acks, "\n"); line != NULL; line = strtok(NULL, "\n")) acked = strtoull(line, NULL, 10);
    /* Reopen: every acknowledged record is there, in order, byte for byte; nothing but records the child put. */
    sl_store_recovery_t rec;
    sl_store_t *st = open_store(dir, SL_FSYNC_ALWAYS, 2, &rec);
    torn_seen |= rec.torn;
    const sl_stream_t *s = sl_store_stream(st);
    uint64_t total = 0;
    unsigned char *seen = calloc(acked + 2, 1);
    for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) {
      const sl_shard_t *sh = sl_stream_shard(s, i);
      uint64_t last = 0;
      for (uint64_t c = sl_shard_log_first(sh->log); c < sl_shard_log_next(sh->log); c++) {
        const sl_record_t *r = sl_shard_log_get(sh->log, c);
        uint64_t number = strtoull((const char *)SL_RECORD_DATA(r) + 7, NULL, 10);
        char key[32], data[128];
        size_t len;
        record_of(number, key, data, &len);
        if (r->data_len != len || memcmp(SL_RECORD_DATA(r), data, len) != 0 || r->key_len != strlen(key) ||
            memcmp(SL_RECORD_KEY(r), key, r->key_len) != 0)
          fail_msg("trial %d: record %llu is not what was put", trial, (unsigned long long)number);
        if (number <= last) fail_msg("trial %d: record %llu after %llu", trial, (unsigned long long)number, (unsigned long long)last);
        if (number > acked + 1) fail_msg("trial %d: record %llu was never put (%llu acked)", trial, (unsigned long long)number, (unsigned long long)acked);
        last = number;
        seen[number] = 1;
        total++;
      }
    }
    for (uint64_t i = 1; i <= acked; i++)
      if (!seen[i]) fail_msg("trial %d: acknowledged record %llu is missing", trial, (unsigned long long)i);
    acked = total; /* an unacknowledged record that made it counts as put: the next child goes on after it */
    free(seen);
    sl_store_close(st, NULL);
  }
  assert_true(acked > 25); /* the children did put records */
  print_message("crash test: %llu records over 25 kills, torn tail seen: %s\n", (unsigned long long)acked,
                torn_seen ? "yes" : "no");
}

static int remove_tree(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
  return tmp_root[0] ? system(cmd) : 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reopened_stream_is_the_same), cmocka_unit_test(damage_is_found),
      cmocka_unit_test(retention_deletes_whole_segments), cmocka_unit_test(reads_seek_by_sequence_number),
      cmocka_unit_test(acknowledged_records_survive_kill_9)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (!failed) remove_tree();
  return failed;
}
