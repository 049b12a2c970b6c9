/* api_store.c - served streams on disk (`shardlab serve --data DIR`): each stream in DIR/NAME as a durable
 * store (docs/storage.md), reopened when the server starts, its folder removed by DeleteStream, and synced
 * on request (the server's group commit timer). The API's own settings of a stream (tags, encryption,
 * monitoring, policy: api_settings.c) are kept beside it in settings.json. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_internal.h"

static int open_store(sl_api_t *api, const char *name, const sl_stream_config_t *c, api_stream_t *st, sl_error_t *err) {
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/%s", api->data_dir, name);
  sl_store_config_t sc;
  sl_store_config_init(&sc);
  sc.dir = dir;
  sc.fsync = api->config.fsync;
  sc.deferred = 1; /* the server flushes before it answers (sl_api_flush) */
  sl_store_recovery_t rec;
  int rc = sl_store_open(&sc, c, &st->store, &rec, err);
  if (rc != SL_OK) return rc;
  if (rec.torn)
    fprintf(stderr, "shardlab serve: %s: cut a torn tail off %s at byte %llu (%llu bytes: %s)\n", name, rec.torn_file,
            (unsigned long long)rec.torn_offset, (unsigned long long)rec.torn_bytes, rec.torn_why);
  st->stream = sl_store_stream(st->store);
  return SL_OK;
}

int sl__api_store_create(sl_api_t *api, const sl_stream_config_t *c, api_stream_t *st, sl_error_t *err) {
  return open_store(api, c->name, c, st, err);
}

int sl__api_store_reopen_all(sl_api_t *api, sl_error_t *err) {
  sl_error_t made;
  if (sl_store_make_dir(api->data_dir, &made) != SL_OK) return sl_error_set(err, made.code, "--data %s", made.message);
  DIR *d = opendir(api->data_dir);
  if (d == NULL) return sl_error_set(err, SL_EIO, "--data %s cannot be read: %s", api->data_dir, strerror(errno));
  struct dirent *e;
  int rc = SL_OK;
  while (rc == SL_OK && (e = readdir(d)) != NULL) {
    char meta[4400];
    snprintf(meta, sizeof meta, "%s/%s/stream.json", api->data_dir, e->d_name);
    if (e->d_name[0] == '.' || access(meta, F_OK) != 0) continue;
    if (api->count == api->cap) {
      size_t cap = api->cap ? api->cap * 2 : 8;
      api_stream_t *grown = realloc(api->streams, cap * sizeof *grown);
      if (grown == NULL) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        break;
      }
      api->streams = grown;
      api->cap = cap;
    }
    api_stream_t *st = &api->streams[api->count];
    memset(st, 0, sizeof *st);
    rc = open_store(api, e->d_name, NULL, st, err);
    if (rc == SL_OK) {
      st->tags = json_object();
      sl__api_settings_init(&st->settings);
      sl__api_settings_load(api, st);
      api->count++;
    }
  }
  closedir(d);
  return rc;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void sl__api_store_release(sl_api_t *api, api_stream_t *st, int remove_files) {
  if (st->store != NULL) {
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", api->data_dir, sl_stream_name(st->stream));
    sl_error_t err;
    if (sl_store_close(st->store, &err) != SL_OK) fprintf(stderr, "shardlab serve: %s\n", err.message);
    if (remove_files && nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
      fprintf(stderr, "shardlab serve: cannot remove %s: %s\n", dir, strerror(errno));
    st->store = NULL;
  } else {
    sl_stream_destroy(st->stream);
  }
  st->stream = NULL;
  json_decref(st->tags);
  st->tags = NULL;
  free(st->consumers); /* deregistered with their stream, as AWS does */
  st->consumers = NULL;
  st->consumer_count = st->consumer_cap = 0;
  sl__api_settings_free(&st->settings);
}

int sl_api_trim(sl_api_t *api, int64_t now_ms, uint64_t *trimmed, sl_error_t *err) {
  int rc = SL_OK;
  *trimmed = 0;
  sl__api_state_expire(api, now_ms); /* deleted streams go once their DELETING time passed, folders too */
  for (size_t i = 0; i < api->count; i++) {
    api_stream_t *st = &api->streams[i];
    if (st->stream == NULL) continue;
    uint64_t before = 0, after = 0;
    for (uint32_t k = 0; k < sl_stream_shard_total(st->stream); k++)
      before += sl_stream_shard(st->stream, k)->stats.records_trimmed;
    if (st->store != NULL) {
      sl_error_t e = {SL_OK, ""};
      sl_store_trim(st->store, now_ms, &e); /* deletes whole segments; e is set only when a file could not go */
      if (e.code != SL_OK && rc == SL_OK) rc = sl_error_set(err, e.code, "%s", e.message);
    } else {
      sl_stream_trim(st->stream, now_ms);
    }
    for (uint32_t k = 0; k < sl_stream_shard_total(st->stream); k++)
      after += sl_stream_shard(st->stream, k)->stats.records_trimmed;
    *trimmed += after - before;
  }
  return rc;
}

/* fn on every durable stream's store, stopping at the first error. */
static int each_store(sl_api_t *api, int (*fn)(sl_store_t *, sl_error_t *), sl_error_t *err) {
  for (size_t i = 0; i < api->count; i++)
    if (api->streams[i].store != NULL) {
      int rc = fn(api->streams[i].store, err);
      if (rc != SL_OK) return rc;
    }
  return SL_OK;
}

int sl_api_flush(sl_api_t *api, sl_error_t *err) { return each_store(api, sl_store_flush, err); }

int sl_api_sync(sl_api_t *api, sl_error_t *err) { return each_store(api, sl_store_sync, err); }
