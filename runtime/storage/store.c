/* store.c - the durable stream store: opening (create, or recover: metadata, then every segment of every
 * shard checked frame by frame, a torn tail cut off), the stream observer that writes each record before the
 * stream takes it and rewrites the metadata after resharding, the fsync policies with group commit, retention
 * by whole segments, reads through the indexes, and checkpoint files. */
#define _POSIX_C_SOURCE 200809L

#include "shardlab/clock.h"
#include "shardlab/store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grow.h"
#include "path.h"
#include "storage/atomic_file.h"
#include "storage/segment.h"
#include "storage/storage_io.h"
#include "storage/store_meta.h"

/* One segment file of a shard: where it starts and its newest record's arrival (for retention). */
typedef struct segment_s {
  uint64_t first;
  int64_t last_arrival;
} segment_t;

/* A shard's files: its segments (ascending) and the one being written. */
typedef struct shard_files_s {
  segment_t *segs;
  size_t count, cap;
  sl_segment_writer_t w;   /* w.fd < 0 until the shard's first write after opening */
  int name_unsynced;       /* policy never: the segment's name (and the shard's folder) not synced yet */
} shard_files_t;

struct sl_store_s {
  sl_store_config_t config;
  char dir[4096];
  sl_stream_t *stream;
  sl_stream_observer_t observer;
  shard_files_t *shards;
  uint32_t shard_cap;
  int64_t last_sync_ns;
  uint32_t appends_unchecked; /* appends since the clock was last read (interval policy) */
  int failing;                /* the last flush failed (a full disk, an I/O error): appends wait for a good one */
};

void sl_store_config_init(sl_store_config_t *c) {
  memset(c, 0, sizeof *c);
  c->fsync = SL_FSYNC_INTERVAL;
  c->interval_ms = 1000;
  c->segment_bytes = UINT64_C(64) << 20;
}

int sl_fsync_parse(const char *text, sl_fsync_t *out, sl_error_t *err) {
  static const char *const names[] = {"always", "interval", "never"};
  for (int i = 0; i < 3; i++)
    if (text != NULL && strcmp(text, names[i]) == 0) {
      *out = (sl_fsync_t)i;
      return SL_OK;
    }
  return sl_error_set(err, SL_EINVAL, "fsync '%s' is not a policy: use \"always\", \"interval\" or \"never\"",
                      text ? text : "");
}

int sl_store_make_dir(const char *dir, sl_error_t *err) {
  if (sl_io_mkdir(dir, 0755) != 0)
    return errno == EEXIST ? SL_OK : sl_error_set(err, SL_EIO, "%s cannot be created: %s", dir, strerror(errno));
  char parent[4200];
  snprintf(parent, sizeof parent, "%s", dir);
  for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--) parent[n - 1] = '\0';
  sl_path_dir(parent, sizeof parent);
  return sl_fsync_dir(parent, err);
}

static void shard_dir(const sl_store_t *st, uint32_t index, char *out, size_t size) {
  snprintf(out, size, "%s/shardId-%012" PRIu32, st->dir, index);
}

static int grow_shards(sl_store_t *st, uint32_t total) {
  if (total <= st->shard_cap) return SL_OK;
  size_t cap = st->shard_cap;
  shard_files_t *grown = sl_grow_zeroed(st->shards, &cap, total - 1, sizeof *grown, 8);
  if (grown == NULL) return SL_ENOMEM;
  for (size_t i = st->shard_cap; i < cap; i++) grown[i].w.fd = grown[i].w.idx_fd = -1; /* no writer yet */
  st->shards = grown;
  st->shard_cap = (uint32_t)cap;
  return SL_OK;
}

static int add_segment(shard_files_t *f, uint64_t first, int64_t last_arrival) {
  segment_t *segs = sl_grow_zeroed(f->segs, &f->cap, f->count, sizeof *segs, 8);
  if (segs == NULL) return SL_ENOMEM;
  f->segs = segs;
  f->segs[f->count++] = (segment_t){first, last_arrival};
  return SL_OK;
}

/* --- writing ---------------------------------------------------------------------------------------------- */

/* Every shard's records on disk, and the names of segments started under policy never with them. */
static int sync_all(sl_store_t *st, sl_error_t *err) {
  int names = 0;
  for (uint32_t i = 0; i < st->shard_cap; i++) {
    shard_files_t *f = &st->shards[i];
    int rc = f->w.fd >= 0 ? sl_segment_sync(&f->w, err) : SL_OK;
    if (rc == SL_OK && f->name_unsynced) {
      char dir[4200];
      shard_dir(st, i, dir, sizeof dir);
      rc = sl_fsync_dir(dir, err);
      names = 1;
    }
    if (rc != SL_OK) return rc;
    f->name_unsynced = 0;
  }
  int rc = names ? sl_fsync_dir(st->dir, err) : SL_OK;
  if (rc == SL_OK) st->last_sync_ns = sl_clock_mono_ns();
  return rc;
}

/* A new segment for the shard, starting at counter; the folder is synced so the file's name is durable. */
static int start_segment(sl_store_t *st, uint32_t index, uint64_t counter, sl_error_t *err) {
  char dir[4200];
  shard_dir(st, index, dir, sizeof dir);
  shard_files_t *f = &st->shards[index];
  if (f->w.fd >= 0) { /* roll: the finished segment is synced first, under every policy (once per segment), or a
                        * power loss could keep the new segment and lose the old one's end: a gap in the shard */
    int rc = sl_segment_sync(&f->w, err);
    if (rc != SL_OK) return rc;
    sl_segment_close(&f->w);
  }
  if (sl_io_mkdir(dir, 0755) != 0 && errno != EEXIST)
    return sl_error_set(err, SL_EIO, "cannot create %s: %s", dir, strerror(errno));
  int rc = sl_segment_create(&f->w, dir, counter, err);
  if (rc == SL_OK && add_segment(f, counter, INT64_MIN) != SL_OK)
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
  f->name_unsynced = st->config.fsync == SL_FSYNC_NEVER; /* synced with the records, by sl_store_sync */
  if (rc == SL_OK && st->config.fsync != SL_FSYNC_NEVER) {
    rc = sl_segment_sync(&f->w, err);
    if (rc == SL_OK) rc = sl_fsync_dir(dir, err);
    if (rc == SL_OK) rc = sl_fsync_dir(st->dir, err);
  }
  return rc;
}

static int observe_append(void *ctx, const sl_shard_t *shard, uint64_t counter, int64_t arrival_ms,
                          sl_hashkey_t hash_key, int explicit_hash, const char *key, size_t key_len, const void *data,
                          size_t data_len, sl_error_t *err) {
  sl_store_t *st = ctx;
  if (grow_shards(st, shard->index + 1) != SL_OK) return sl_error_set(err, SL_ENOMEM, "out of memory");
  shard_files_t *f = &st->shards[shard->index];
  int rc = st->failing ? sl_store_flush(st, err) : SL_OK; /* nothing more is taken until what is held is written */
  if (rc != SL_OK) return rc;
  if (f->w.fd < 0 || f->w.size >= st->config.segment_bytes) rc = start_segment(st, shard->index, counter, err);
  if (rc != SL_OK) return rc;
  sl_segment_record_t r = {counter, arrival_ms, hash_key, explicit_hash, key, key_len, data, data_len};
  rc = sl_segment_append(&f->w, &r, err);
  if (rc != SL_OK) return rc;
  f->segs[f->count - 1].last_arrival = arrival_ms;
  if (st->config.deferred) return SL_OK; /* sl_store_flush before any answer */
  switch (st->config.fsync) {
  case SL_FSYNC_ALWAYS: return sl_segment_sync(&f->w, err);
  case SL_FSYNC_INTERVAL: /* group commit: everything since the last sync goes to disk in one go */
    if (++st->appends_unchecked < 64 && f->w.buf_len > 0) return SL_OK; /* the clock is read every 64 appends */
    st->appends_unchecked = 0;
    if (sl_clock_mono_ns() - st->last_sync_ns >= st->config.interval_ms * 1000000) return sync_all(st, err);
    return SL_OK;
  case SL_FSYNC_NEVER: return SL_OK;
  }
  return SL_OK;
}

static int observe_changed(void *ctx, const sl_stream_t *s, sl_error_t *err) {
  sl_store_t *st = ctx;
  char path[4200];
  snprintf(path, sizeof path, "%s/stream.json", st->dir);
  if (grow_shards(st, sl_stream_shard_total(s)) != SL_OK) return sl_error_set(err, SL_ENOMEM, "out of memory");
  return sl_store_meta_save(s, path, err);
}

/* --- opening ---------------------------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The first counters of the segment files in dir, ascending, in an array the caller frees. On failure *out is
 * NULL and *count 0: the array so far is freed here, since the caller has nothing to free then. */
static int list_segments(const char *dir, uint64_t **out, size_t *count, sl_error_t *err) {
  *out = NULL;
  *count = 0;
  DIR *d = opendir(dir);
  if (d == NULL) return errno == ENOENT ? SL_OK : sl_error_set(err, SL_EIO, "cannot list %s: %s", dir, strerror(errno));
  uint64_t *firsts = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len != 24 || strcmp(e->d_name + 20, ".seg") != 0 || strspn(e->d_name, "0123456789") != 20) continue;
    if (n == cap) {
      size_t grown_cap = cap ? cap * 2 : 16;
      uint64_t *grown = realloc(firsts, grown_cap * sizeof *grown);
      if (grown == NULL) { /* firsts is still ours: free it, not only the failed growth */
        closedir(d);
        free(firsts);
        return sl_error_set(err, SL_ENOMEM, "out of memory listing %s", dir);
      }
      firsts = grown;
      cap = grown_cap;
    }
    firsts[n++] = strtoull(e->d_name, NULL, 10);
  }
  closedir(d);
  if (n > 1) qsort(firsts, n, sizeof *firsts, cmp_u64);
  *out = firsts;
  *count = n;
  return SL_OK;
}

typedef struct restore_ctx_s {
  sl_stream_t *stream;
  uint32_t shard;
  sl_error_t *err;
  int failed;
} restore_ctx_t;

static int restore_one(void *ctx, const sl_segment_record_t *r, uint64_t offset) {
  (void)offset;
  restore_ctx_t *c = ctx;
  if (sl_stream_restore_record(c->stream, c->shard, r->counter, r->arrival_ms, r->hash_key, r->explicit_hash, r->key,
                               r->key_len, r->data, r->data_len, c->err) != SL_OK) {
    c->failed = 1;
    return 1;
  }
  return 0;
}

/* Reads one shard's segments back into the stream; the last one is reopened for appending. */
static int recover_shard(sl_store_t *st, const sl_shard_t *meta, sl_store_recovery_t *rec, sl_error_t *err) {
  char dir[4200], path[4300];
  shard_dir(st, meta->index, dir, sizeof dir);
  uint64_t *firsts;
  size_t count;
  int rc = list_segments(dir, &firsts, &count, err);
  if (rc != SL_OK) return rc;
  rc = sl_stream_restore_shard(st->stream, meta, count ? firsts[0] : 0, err);
  shard_files_t *f = &st->shards[meta->index];
  for (size_t i = 0; rc == SL_OK && i < count; i++) {
    sl_segment_path(path, sizeof path, dir, firsts[i], "seg");
    restore_ctx_t c = {st->stream, meta->index, err, 0};
    sl_segment_scan_t scan;
    sl_segment_path(path, sizeof path, dir, firsts[i], "idx");
    sl_io_unlink(path); /* derived data: rebuilt below from the segment itself */
    sl_segment_path(path, sizeof path, dir, firsts[i], "seg");
    struct stat info;
    if (i + 1 == count && stat(path, &info) == 0 && info.st_size < (off_t)SL_SEGMENT_HEADER) {
      /* A segment whose creation a crash interrupted before its header was written: it holds no record. */
      rec->torn = 1;
      snprintf(rec->torn_file, sizeof rec->torn_file, "%s", path);
      rec->torn_offset = 0;
      rec->torn_bytes = (uint64_t)info.st_size;
      snprintf(rec->torn_why, sizeof rec->torn_why, "a segment header cut short");
      if (sl_io_unlink(path) != 0) rc = sl_error_set(err, SL_EIO, "cannot remove %s: %s", path, strerror(errno));
      if (rc == SL_OK && i > 0 && meta->open) { /* the one before is written again */
        sl_segment_path(path, sizeof path, dir, firsts[i - 1], "seg");
        if (stat(path, &info) != 0) rc = sl_error_set(err, SL_EIO, "cannot read %s: %s", path, strerror(errno));
        if (rc == SL_OK)
          rc = sl_segment_reopen(&f->w, dir, firsts[i - 1], (uint64_t)info.st_size, firsts[i] - firsts[i - 1],
                                 f->segs[f->count - 1].last_arrival, err);
      }
      break;
    }
    rc = sl_segment_scan(path, 0, restore_one, &c, &scan, err);
    if (rc != SL_OK || c.failed) {
      rc = rc != SL_OK ? rc : SL_EIO;
      break;
    }
    if (scan.first_counter != firsts[i]) {
      rc = sl_error_set(err, SL_EIO, "%s: its header says it starts at record %llu", path,
                        (unsigned long long)scan.first_counter);
      break;
    }
    rec->segments++;
    rec->records += scan.records;
    int last = i + 1 == count;
    if (scan.bad && !(last && scan.bad_reaches_end)) {
      rc = sl_error_set(err, SL_EIO, "%s: %s at byte %llu (after record %llu): the file is damaged", path, scan.why,
                        (unsigned long long)scan.good_bytes, (unsigned long long)(firsts[i] + scan.records));
      break;
    }
    if (scan.bad) { /* a torn tail: the write that a crash interrupted, never acknowledged under "always" */
      if (sl_io_truncate(path, (off_t)scan.good_bytes) != 0) {
        rc = sl_error_set(err, SL_EIO, "cannot cut the torn tail of %s: %s", path, strerror(errno));
        break;
      }
      rec->torn = 1;
      snprintf(rec->torn_file, sizeof rec->torn_file, "%s", path);
      rec->torn_offset = scan.good_bytes;
      rec->torn_bytes = scan.file_bytes - scan.good_bytes;
      snprintf(rec->torn_why, sizeof rec->torn_why, "%s", scan.why);
    }
    if (i + 1 < count && firsts[i + 1] != firsts[i] + scan.records) {
      rc = sl_error_set(err, SL_EIO, "%s ends at record %llu but the next segment starts at %llu", path,
                        (unsigned long long)(firsts[i] + scan.records), (unsigned long long)firsts[i + 1]);
      break;
    }
    if (sl_segment_rebuild_index(dir, firsts[i], NULL) != SL_OK) { /* a full disk: reads scan from the start */
      sl_segment_path(path, sizeof path, dir, firsts[i], "idx");
      sl_io_unlink(path);
    }
    if (add_segment(f, firsts[i], scan.last_arrival_ms) != SL_OK)
      rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    if (rc == SL_OK && last && meta->open)
      rc = sl_segment_reopen(&f->w, dir, firsts[i], scan.good_bytes, scan.records, scan.last_arrival_ms, err);
  }
  free(firsts);
  return rc;
}

static int recover(sl_store_t *st, const char *meta_path, sl_store_recovery_t *rec, sl_error_t *err) {
  sl_store_meta_t meta;
  int rc = sl_store_meta_load(meta_path, &meta, err);
  if (rc != SL_OK) return rc;
  rc = sl_stream_create_empty(&meta.config, &st->stream, err);
  if (rc == SL_OK && grow_shards(st, meta.shard_count) != SL_OK) rc = sl_error_set(err, SL_ENOMEM, "out of memory");
  for (uint32_t i = 0; rc == SL_OK && i < meta.shard_count; i++) rc = recover_shard(st, &meta.shards[i], rec, err);
  if (rc == SL_OK) rc = sl_stream_restore_done(st->stream, err);
  sl_stream_history_t history = {meta.scalings, meta.scaling_count, {meta.mode_switched_ms[0], meta.mode_switched_ms[1]}};
  if (rc == SL_OK) rc = sl_stream_restore_history(st->stream, &history, err);
  sl_store_meta_free(&meta);
  rec->existed = 1;
  return rc;
}

int sl_store_open(const sl_store_config_t *c, const sl_stream_config_t *stream_config, sl_store_t **out,
                  sl_store_recovery_t *recovery, sl_error_t *err) {
  *out = NULL;
  sl_store_recovery_t ignored;
  sl_store_recovery_t *rec = recovery ? recovery : &ignored;
  memset(rec, 0, sizeof *rec);
  if (c->dir == NULL || c->dir[0] == '\0') return sl_error_set(err, SL_EINVAL, "data_dir: a folder is required");
  if (c->interval_ms < 1) return sl_error_set(err, SL_EINVAL, "fsync interval must be at least 1 ms");
  if (c->segment_bytes < 4096) return sl_error_set(err, SL_EINVAL, "segment_bytes must be at least 4096");
  sl_store_t *st = calloc(1, sizeof *st);
  if (st == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  st->config = *c;
  snprintf(st->dir, sizeof st->dir, "%s", c->dir);
  st->config.dir = st->dir;
  st->last_sync_ns = sl_clock_mono_ns();
  char meta_path[4200];
  snprintf(meta_path, sizeof meta_path, "%s/stream.json", st->dir);
  int rc = SL_OK;
  sl_error_t made;
  if (sl_store_make_dir(st->dir, &made) != SL_OK)
    rc = sl_error_set(err, made.code, "data_dir %s", made.message);
  else if (access(meta_path, F_OK) == 0)
    rc = recover(st, meta_path, rec, err);
  else if ((rc = sl_stream_create(stream_config, &st->stream, err)) == SL_OK)
    rc = observe_changed(st, st->stream, err);
  if (rc != SL_OK) {
    sl_store_close(st, NULL);
    return rc;
  }
  st->observer = (sl_stream_observer_t){observe_append, observe_changed, st};
  sl_stream_observe(st->stream, &st->observer);
  *out = st;
  return SL_OK;
}

/* --- the rest ----------------------------------------------------------------------------------------------- */

sl_stream_t *sl_store_stream(sl_store_t *st) { return st->stream; }

int sl_store_sync(sl_store_t *st, sl_error_t *err) { return sync_all(st, err); }

/* Every shard's buffered records to the kernel (write(2)), without syncing. */
static int write_all(sl_store_t *st, sl_error_t *err) {
  for (uint32_t i = 0; i < st->shard_cap; i++)
    if (st->shards[i].w.fd >= 0) {
      int rc = sl_segment_flush(&st->shards[i].w, err);
      if (rc != SL_OK) return rc;
    }
  return SL_OK;
}

int sl_store_flush(sl_store_t *st, sl_error_t *err) {
  int rc;
  if (st->config.fsync == SL_FSYNC_ALWAYS || st->failing ||
      (st->config.fsync == SL_FSYNC_INTERVAL &&
       sl_clock_mono_ns() - st->last_sync_ns >= st->config.interval_ms * 1000000))
    rc = sync_all(st, err); /* after a failure too: what an error interrupted is on disk before anything new */
  else
    rc = write_all(st, err);
  st->failing = rc != SL_OK;
  return rc;
}

uint32_t sl_store_trim(sl_store_t *st, int64_t now_ms, sl_error_t *err) {
  int64_t horizon = now_ms - (int64_t)sl_stream_config(st->stream)->retention_hours * 3600 * 1000;
  uint32_t deleted = 0;
  char dir[4200], path[4300];
  for (uint32_t i = 0; i < st->shard_cap; i++) {
    shard_files_t *f = &st->shards[i];
    size_t keep_from = 0;
    /* Whole segments only, oldest first, never the one being written. */
    while (keep_from + 1 < f->count && f->segs[keep_from].last_arrival < horizon) keep_from++;
    if (keep_from == 0) continue;
    shard_dir(st, i, dir, sizeof dir);
    for (size_t k = 0; k < keep_from; k++) {
      sl_segment_path(path, sizeof path, dir, f->segs[k].first, "seg");
      if (sl_io_unlink(path) != 0 && errno != ENOENT) sl_error_set(err, SL_EIO, "cannot delete %s: %s", path, strerror(errno));
      sl_segment_path(path, sizeof path, dir, f->segs[k].first, "idx");
      sl_io_unlink(path);
      deleted++;
    }
    memmove(f->segs, f->segs + keep_from, (f->count - keep_from) * sizeof *f->segs);
    f->count -= keep_from;
  }
  sl_stream_trim(st->stream, now_ms);
  return deleted;
}

typedef struct read_ctx_s {
  sl_store_visit_fn visit;
  void *ctx;
  size_t left;
} read_ctx_t;

static int read_one(void *ctx, const sl_segment_record_t *r, uint64_t offset) {
  (void)offset;
  read_ctx_t *c = ctx;
  if (c->left == 0) return 1;
  c->left--;
  return c->visit(c->ctx, r->counter, r->arrival_ms, r->key, r->key_len, r->data, r->data_len) || c->left == 0;
}

int sl_store_read(sl_store_t *st, uint32_t shard_index, uint64_t counter, size_t max, sl_store_visit_fn visit,
                  void *ctx, sl_error_t *err) {
  if (shard_index >= st->shard_cap) return SL_OK;
  shard_files_t *f = &st->shards[shard_index];
  if (f->w.fd >= 0) {
    int rc = sl_segment_flush(&f->w, err); /* what is buffered must be readable */
    if (rc != SL_OK) return rc;
  }
  char dir[4200], path[4300];
  shard_dir(st, shard_index, dir, sizeof dir);
  size_t k = 0;
  while (k + 1 < f->count && f->segs[k + 1].first <= counter) k++;
  read_ctx_t c = {visit, ctx, max};
  for (; k < f->count && c.left > 0; k++) {
    sl_segment_path(path, sizeof path, dir, f->segs[k].first, "seg");
    sl_segment_scan_t scan;
    int rc = sl_segment_scan(path, counter, read_one, &c, &scan, err);
    if (rc != SL_OK) return rc;
    if (scan.bad && k + 1 < f->count)
      return sl_error_set(err, SL_EIO, "%s: %s at byte %llu", path, scan.why, (unsigned long long)scan.good_bytes);
  }
  return SL_OK;
}

int sl_store_close(sl_store_t *st, sl_error_t *err) {
  if (st == NULL) return SL_OK;
  int rc = st->stream != NULL ? sync_all(st, err) : SL_OK;
  for (uint32_t i = 0; i < st->shard_cap; i++) {
    sl_segment_close(&st->shards[i].w);
    free(st->shards[i].segs);
  }
  free(st->shards);
  sl_stream_destroy(st->stream);
  free(st);
  return rc;
}

int sl_store_save_checkpoints(sl_store_t *st, const char *name, const char *json, sl_error_t *err) {
  /* The records a checkpoint passes reach the disk before it does (unless the policy is never: the kernel
   * then), or a machine crash could leave a checkpoint beyond the records that survived, and the records put
   * after the restart, numbered from the end of the survivors, would count as done. */
  int rc = st->config.fsync == SL_FSYNC_NEVER ? write_all(st, err) : sync_all(st, err);
  if (rc != SL_OK) return rc;
  char dir[4200], path[4400];
  snprintf(dir, sizeof dir, "%s/checkpoints", st->dir);
  rc = sl_store_make_dir(dir, err); /* its name synced too, or the checkpoint could vanish with it */
  if (rc != SL_OK) return rc;
  snprintf(path, sizeof path, "%s/%s.json", dir, name);
  return sl_atomic_write(path, json, strlen(json), err);
}

/* A small document of the store's folder (malloc'd), or NULL with SL_ENOTFOUND when there is none. */
static char *load_document(const char *path, sl_error_t *err) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "cannot read %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, len = 0;
  char *text = malloc(cap);
  size_t n;
  while (text != NULL && (n = fread(text + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (len + 1 == cap) {
      char *grown = realloc(text, cap * 2);
      if (grown == NULL) {
        free(text);
        text = NULL;
        break;
      }
      text = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (text == NULL) {
    sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
    return NULL;
  }
  text[len] = '\0';
  return text;
}

char *sl_store_load_checkpoints(sl_store_t *st, const char *name, sl_error_t *err) {
  char path[4400];
  snprintf(path, sizeof path, "%s/checkpoints/%s.json", st->dir, name);
  return load_document(path, err);
}

int sl_store_save_settings(sl_store_t *st, const char *json, sl_error_t *err) {
  char path[4400];
  snprintf(path, sizeof path, "%s/settings.json", st->dir);
  return sl_atomic_write(path, json, strlen(json), err);
}

char *sl_store_load_settings(sl_store_t *st, sl_error_t *err) {
  char path[4400];
  snprintf(path, sizeof path, "%s/settings.json", st->dir);
  return load_document(path, err);
}
