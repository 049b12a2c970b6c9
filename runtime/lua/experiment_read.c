/* experiment_read.c - an sl.experiment{...} table to a simulation configuration. Every field is checked:
 * unknown names (a typo would otherwise be silently ignored) and values out of AWS's ranges are refused with
 * the experiment's name and the field's path. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment.h"
#include "lua/lua_json.h"

typedef struct reader_s {
  lua_State *L;
  const sl_experiment_t *e;
  const char *dir;  /* the experiment file's folder: relative paths start there */
  sl_error_t *err;
} reader_t;

static int bad(reader_t *r, const char *path, const char *field, const char *what) {
  return sl_error_set(r->err, SL_EINVAL, "experiment '%s': %s%s%s %s", r->e->name, path, *path ? "." : "", field, what);
}

/* The known field closest to the unknown name k, for "did you mean": an edit distance (insertions, deletions,
 * substitutions and swaps of neighbours) of at most 2 and less than k's length, or else a name that k begins
 * (or that begins k), at least 3 characters long. NULL when none is close. */
static const char *closest(const char *k, const char *const *allowed) {
  enum { MAX = 64 };
  size_t n = strlen(k);
  if (n == 0 || n > MAX) return NULL;
  const char *best = NULL;
  size_t best_score = 3; /* 0..2: the distance; 3: a prefix match */
  for (const char *const *a = allowed; *a; a++) {
    size_t m = strlen(*a);
    if (m > MAX) continue;
    unsigned char d[MAX + 1][MAX + 1];
    for (size_t i = 0; i <= n; i++) d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= n; i++)
      for (size_t j = 1; j <= m; j++) {
        size_t v = d[i - 1][j - 1] + (k[i - 1] != (*a)[j - 1]);
        if (d[i - 1][j] + 1u < v) v = d[i - 1][j] + 1u;
        if (d[i][j - 1] + 1u < v) v = d[i][j - 1] + 1u;
        if (i > 1 && j > 1 && k[i - 1] == (*a)[j - 2] && k[i - 2] == (*a)[j - 1] && d[i - 2][j - 2] + 1u < v)
          v = d[i - 2][j - 2] + 1u;
        d[i][j] = (unsigned char)v;
      }
    size_t score = d[n][m] <= 2 && d[n][m] < n ? d[n][m] : 4;
    size_t shorter = n < m ? n : m;
    if (score == 4 && shorter >= 3 && strncmp(k, *a, shorter) == 0) score = 3;
    if (score < best_score || (score == 3 && best == NULL)) {
      best = *a;
      best_score = score;
    }
  }
  return best;
}

/* Refuses fields of the table at idx that are not in allowed (NULL-terminated), naming the closest known one. */
static int only(reader_t *r, int idx, const char *path, const char *const *allowed) {
  lua_State *L = r->L;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      return sl_error_set(r->err, SL_EINVAL, "experiment '%s': %s has a field that is not a name", r->e->name,
                          *path ? path : "the experiment table");
    }
    const char *k = lua_tostring(L, -1);
    int ok = 0;
    for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, k) == 0;
    if (!ok) {
      char what[64], why[128] = "is not a known field";
      snprintf(what, sizeof what, "%s", k);
      const char *near = closest(k, allowed);
      if (near != NULL) snprintf(why, sizeof why, "is not a known field; did you mean \"%s\"?", near);
      lua_pop(L, 1);
      return bad(r, path, what, why);
    }
  }
  return SL_OK;
}

/* Reads a number field within [lo, hi]; absent leaves *out. */
static int number(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, double *out) {
  lua_State *L = r->L;
  int t = lua_getfield(L, idx, field);
  int rc = SL_OK;
  if (t != LUA_TNIL) {
    double v = lua_tonumber(L, -1);
    if (t != LUA_TNUMBER || !isfinite(v)) {
      rc = bad(r, path, field, "must be a number");
    } else if (v < lo || v > hi) {
      char what[128];
      snprintf(what, sizeof what, "%g is out of range: it must be between %g and %g", v, lo, hi);
      rc = bad(r, path, field, what);
    } else {
      *out = v;
    }
  }
  lua_pop(L, 1);
  return rc;
}

static int whole(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, uint32_t *out) {
  double v = *out;
  int rc = number(r, idx, path, field, lo, hi, &v);
  if (rc == SL_OK && v != floor(v)) return bad(r, path, field, "must be a whole number");
  if (rc == SL_OK) *out = (uint32_t)v;
  return rc;
}

static int seconds(reader_t *r, int idx, const char *path, const char *field, double lo, double hi, int64_t *us) {
  double v = (double)*us / 1e6;
  int rc = number(r, idx, path, field, lo, hi, &v);
  if (rc == SL_OK) *us = (int64_t)llround(v * 1e6);
  return rc;
}

/* Whole seconds 0..hi, as AWS's API takes them (its field `aws`, an Integer): a fraction is refused, not rounded. */
static int whole_seconds(reader_t *r, int idx, const char *path, const char *field, const char *aws, double hi,
                         int64_t *us) {
  double v = (double)*us / 1e6;
  int rc = number(r, idx, path, field, 0, hi, &v);
  if (rc == SL_OK && v != floor(v)) {
    char what[160];
    snprintf(what, sizeof what, "%g must be whole seconds: AWS's %s is an integer from 0 to %g", v, aws, hi);
    return bad(r, path, field, what);
  }
  if (rc == SL_OK) *us = (int64_t)v * 1000000;
  return rc;
}

static int boolean(reader_t *r, int idx, const char *path, const char *field, int *out) {
  int t = lua_getfield(r->L, idx, field), rc = SL_OK;
  if (t == LUA_TBOOLEAN)
    *out = lua_toboolean(r->L, -1);
  else if (t != LUA_TNIL)
    rc = bad(r, path, field, "must be true or false");
  lua_pop(r->L, 1);
  return rc;
}

/* A string field; *out points into the Lua string (valid while the experiment table lives). */
static int text(reader_t *r, int idx, const char *path, const char *field, const char **out) {
  int t = lua_getfield(r->L, idx, field), rc = SL_OK;
  if (t == LUA_TSTRING)
    *out = lua_tostring(r->L, -1);
  else if (t != LUA_TNIL)
    rc = bad(r, path, field, "must be a string");
  lua_pop(r->L, 1);
  return rc;
}

static char *beside(const char *dir, const char *path);

/* stream.mode: "provisioned" (default) or "on_demand" (docs/semantics.md, "Capacity modes"), with the
 * on-demand policy's settings. AWS's CreateStream takes ShardCount for provisioned streams only: an on-demand
 * stream starts with 4 shards and scales itself, so stream.shards is refused with it. */
static int read_mode(reader_t *r, int idx, sl_stream_config_t *s) {
  const char *mode = NULL;
  int rc = text(r, idx, "stream", "mode", &mode);
  int shards_given = lua_getfield(r->L, idx, "shards") != LUA_TNIL;
  lua_pop(r->L, 1);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "on_demand_scale_delay", 0, 1e6, &s->on_demand_scale_delay_s);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "on_demand_peak_window", 1, 31536000, &s->on_demand_peak_window_s);
  if (rc != SL_OK) return rc;
  const char *tuned = lua_getfield(r->L, idx, "on_demand_scale_delay") != LUA_TNIL ? "on_demand_scale_delay" : NULL;
  if (lua_getfield(r->L, idx, "on_demand_peak_window") != LUA_TNIL) tuned = "on_demand_peak_window";
  lua_pop(r->L, 2);
  if (mode == NULL || strcmp(mode, "provisioned") == 0)
    return tuned ? bad(r, "stream", tuned, "needs stream.mode = \"on_demand\"") : SL_OK;
  if (strcmp(mode, "on_demand") != 0) return bad(r, "stream", "mode", "must be \"provisioned\" or \"on_demand\"");
  if (shards_given)
    return bad(r, "stream", "shards", "cannot be given with mode = \"on_demand\": an on-demand stream starts with 4 "
               "shards and scales itself (AWS's CreateStream takes ShardCount for provisioned streams only)");
  s->mode = SL_STREAM_ON_DEMAND;
  s->shard_count = SL_STREAM_ON_DEMAND_SHARDS;
  return SL_OK;
}

static int read_stream(reader_t *r, int idx, sl_experiment_t *e) {
  static const char *const fields[] = {"name", "shards", "write_limits", "read_limits", "retention_hours",
                                       "max_record_size_kib", "records_per_second", "bytes_per_second", "data_dir",
                                       "fsync", "fsync_interval", "update_shard_count_per_day", "mode",
                                       "on_demand_scale_delay", "on_demand_peak_window", NULL};
  sl_stream_config_t *s = &e->sim.stream;
  int rc = only(r, idx, "stream", fields);
  if (rc == SL_OK) rc = text(r, idx, "stream", "name", &s->name);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "shards", 1, SL_STREAM_MAX_SHARDS, &s->shard_count);
  if (rc == SL_OK) rc = boolean(r, idx, "stream", "write_limits", &s->write_limits);
  if (rc == SL_OK) rc = boolean(r, idx, "stream", "read_limits", &s->read_limits);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "retention_hours", 24, 8760, &s->retention_hours);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "max_record_size_kib", 1, 10240, &s->max_record_size_kib);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "records_per_second", 1, 1e9, &s->records_per_second);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "bytes_per_second", 1, 4e9, &s->bytes_per_second);
  if (rc == SL_OK) rc = whole(r, idx, "stream", "update_shard_count_per_day", 0, 1e6, &s->update_shard_count_per_day);
  if (rc == SL_OK) rc = read_mode(r, idx, s);
  /* Durable storage (docs/storage.md): a folder beside the experiment file, and its fsync policy. */
  const char *data_dir = NULL, *fsync = NULL;
  if (rc == SL_OK) rc = text(r, idx, "stream", "data_dir", &data_dir);
  if (rc == SL_OK) rc = text(r, idx, "stream", "fsync", &fsync);
  if (rc == SL_OK && fsync != NULL) {
    sl_error_t why;
    if (sl_fsync_parse(fsync, &e->store.fsync, &why) != SL_OK) rc = bad(r, "stream", "fsync", strchr(why.message, ' ') + 1);
  }
  double interval = (double)e->store.interval_ms / 1000;
  if (rc == SL_OK) rc = number(r, idx, "stream", "fsync_interval", 0.001, 60, &interval);
  e->store.interval_ms = (int64_t)(interval * 1000);
  if (rc == SL_OK && (fsync != NULL || e->store.interval_ms != 1000) && data_dir == NULL)
    rc = bad(r, "stream", "fsync", "needs stream.data_dir: only a durable stream is synced");
  if (rc == SL_OK && data_dir != NULL && (e->data_dir = beside(r->dir, data_dir)) == NULL)
    rc = sl_error_set(r->err, SL_ENOMEM, "out of memory");
  return rc;
}

/* A path relative to the experiment file's folder (absolute paths stay), malloc'd; NULL when out of memory. */
static char *beside(const char *dir, const char *path) {
  size_t len = strlen(dir) + strlen(path) + 2;
  char *out = malloc(len);
  if (out == NULL) return NULL;
  if (path[0] == '/')
    snprintf(out, len, "%s", path);
  else
    snprintf(out, len, "%s/%s", dir, path);
  return out;
}

/* mapping.on_failure: "file.jsonl", { file = "file.jsonl" }, { stream = "name" } (a stream of the
 * experiment that receives the failure records) or { s3 = "dir" } (a folder standing for an S3 bucket,
 * relative to the experiment file). A file name is returned in *file. */
static int read_destination(reader_t *r, int idx, sl_experiment_mapping_t *e, const char **file) {
  lua_State *L = r->L;
  static const char *const fields[] = {"file", "stream", "s3", NULL};
  char on_failure_path[48];
  snprintf(on_failure_path, sizeof on_failure_path, "%s.on_failure", e->path);
  int t = lua_getfield(L, idx, "on_failure"), rc = SL_OK;
  if (t == LUA_TSTRING) {
    *file = lua_tostring(L, -1);
  } else if (t == LUA_TTABLE) {
    int d = lua_gettop(L);
    const char *stream = NULL, *s3 = NULL;
    rc = only(r, d, on_failure_path, fields);
    if (rc == SL_OK) rc = text(r, d, on_failure_path, "file", file);
    if (rc == SL_OK) rc = text(r, d, on_failure_path, "stream", &stream);
    if (rc == SL_OK) rc = text(r, d, on_failure_path, "s3", &s3);
    if (rc == SL_OK && (*file != NULL) + (stream != NULL) + (s3 != NULL) != 1)
      rc = bad(r, e->path, "on_failure", "needs exactly one of file, stream and s3");
    if (rc == SL_OK && stream != NULL && (e->on_failure_stream = malloc(strlen(stream) + 1)) != NULL)
      strcpy(e->on_failure_stream, stream);
    if (rc == SL_OK && s3 != NULL && (e->on_failure_s3 = beside(r->dir, s3)) == NULL)
      rc = sl_error_set(r->err, SL_ENOMEM, "out of memory");
  } else if (t != LUA_TNIL) {
    rc = bad(r, e->path, "on_failure", "must be a file name or {file = ...}, {stream = ...} or {s3 = ...}");
  }
  lua_pop(L, 1); /* *file points into a string the experiment table still holds */
  return rc;
}

/* mapping.filters: a list of pattern tables, each turned into JSON and compiled; at most mapping.max_filters
 * of them (AWS's quota of filters per event source mapping: 5 by default, up to 10 on request). */
static int read_filters(reader_t *r, int idx, sl_experiment_mapping_t *e) {
  lua_State *L = r->L;
  uint32_t quota = SL_FILTER_DEFAULT_QUOTA;
  int rc = whole(r, idx, e->path, "max_filters", 1, SL_FILTER_MAX_PATTERNS, &quota);
  if (rc != SL_OK) return rc;
  int t = lua_getfield(L, idx, "filters");
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return SL_OK;
  }
  int list = lua_gettop(L);
  size_t n = t == LUA_TTABLE ? lua_rawlen(L, list) : 0;
  if (t != LUA_TTABLE || n == 0) {
    lua_pop(L, 1);
    return bad(r, e->path, "filters", "must be a list of patterns such as {data = {type = {\"order\"}}}");
  }
  if (n > quota) {
    char what[256];
    snprintf(what, sizeof what, "has %zu patterns, more than the quota of %u filters per event source mapping "
             "(mapping.max_filters; AWS allows 5 by default, up to 10 on request)", n, (unsigned)quota);
    lua_pop(L, 1);
    return bad(r, e->path, "filters", what);
  }
  char *texts[SL_FILTER_MAX_PATTERNS] = {0};
  for (size_t i = 0; i < n && rc == SL_OK; i++) {
    char why[256];
    lua_rawgeti(L, list, (lua_Integer)i + 1);
    json_t *v = sl_json_from_lua(L, -1, why, sizeof why);
    lua_pop(L, 1);
    texts[i] = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (texts[i] == NULL) rc = sl_error_set(r->err, SL_EINVAL, "experiment '%s': %s.filters[%zu]: %s", r->e->name, e->path, i + 1,
                                      why);
  }
  if (rc == SL_OK) {
    sl_error_t ferr;
    rc = sl_filter_create((const char *const *)texts, n, &e->filter, &ferr);
    if (rc != SL_OK) rc = sl_error_set(r->err, rc, "experiment '%s': %s.%s", r->e->name, e->path, ferr.message);
  }
  for (size_t i = 0; i < n; i++) free(texts[i]);
  lua_pop(L, 1);
  e->config.filter = e->filter;
  return rc;
}

/* mapping.consumer: "standard" (GetRecords, sharing the shards' read limits) or "efo" (enhanced fan-out). */
static int read_consumer(reader_t *r, int idx, const char *path, sl_mapping_config_t *m) {
  const char *consumer = NULL;
  int rc = text(r, idx, path, "consumer", &consumer);
  if (rc != SL_OK || consumer == NULL || strcmp(consumer, "standard") == 0) return rc;
  if (strcmp(consumer, "efo") == 0) {
    m->consumer = SL_CONSUMER_EFO;
    return SL_OK;
  }
  return bad(r, path, "consumer", "must be \"standard\" or \"efo\" (enhanced fan-out)");
}

static int read_mapping(reader_t *r, int idx, sl_experiment_mapping_t *e) {
  const char *dir = r->dir;
  static const char *const fields[] = {
      "handler", "batch_size", "batching_window", "parallelization_factor", "ordering", "reserved_concurrency",
      "account_concurrency", "starting_position", "starting_timestamp", "memory_mb", "timeout", "overhead",
      "init_overhead", "idle_timeout", "report_batch_item_failures", "retry_backoff", "poll_interval",
      "function_name", "provisioned_concurrency", "maximum_retry_attempts", "maximum_record_age",
      "bisect_on_error", "retry_blocks", "on_failure", "filters", "max_filters", "tumbling_window", "logs",
      "consumer", "name", NULL};
  sl_mapping_config_t *m = &e->config;
  const char *handler = NULL, *ordering = NULL, *position = NULL, *blocks = NULL, *destination = NULL, *logs = NULL;
  double retries = -1, max_age = -1;
  double start_ts = 0;
  int rc = only(r, idx, e->path, fields);
  if (rc == SL_OK && strcmp(e->path, "mapping") == 0) {
    int named = lua_getfield(r->L, idx, "name") != LUA_TNIL;
    lua_pop(r->L, 1);
    if (named) return bad(r, "mapping", "name", "is for the entries of mappings = {...}: a lone mapping has the "
                          "experiment's name");
  }
  if (rc == SL_OK) rc = text(r, idx, e->path, "handler", &handler);
  if (rc == SL_OK && handler == NULL) rc = bad(r, e->path, "handler", "is required (a Lua file)");
  if (rc == SL_OK) rc = whole(r, idx, e->path, "batch_size", 1, 10000, &m->batch_size);
  if (rc == SL_OK) rc = whole_seconds(r, idx, e->path, "batching_window", "MaximumBatchingWindowInSeconds", 300,
                                           &m->batching_window_us);
  if (rc == SL_OK) rc = whole(r, idx, e->path, "parallelization_factor", 1, SL_PF_MAX, &m->parallelization_factor);
  if (rc == SL_OK) rc = text(r, idx, e->path, "ordering", &ordering);
  if (rc == SL_OK && ordering && sl_ordering_parse(ordering, &m->ordering, NULL) != SL_OK)
    rc = bad(r, e->path, "ordering", "must be \"lanes\" or \"keys\"");
  if (rc == SL_OK) rc = read_consumer(r, idx, e->path, m);
  if (rc == SL_OK) rc = whole(r, idx, e->path, "reserved_concurrency", 1, 1e6, &m->reserved_concurrency);
  if (rc == SL_OK) rc = whole(r, idx, e->path, "account_concurrency", 1, 1e6, &m->account_concurrency);
  if (rc == SL_OK) rc = text(r, idx, e->path, "starting_position", &position);
  if (rc == SL_OK && position) {
    if (strcmp(position, "TRIM_HORIZON") == 0) m->starting_position = SL_ITER_TRIM_HORIZON;
    else if (strcmp(position, "LATEST") == 0) m->starting_position = SL_ITER_LATEST;
    else if (strcmp(position, "AT_TIMESTAMP") == 0) m->starting_position = SL_ITER_AT_TIMESTAMP;
    else rc = bad(r, e->path, "starting_position", "must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
  }
  if (rc == SL_OK) rc = number(r, idx, e->path, "starting_timestamp", 0, 1e11, &start_ts);
  m->starting_timestamp_ms = (int64_t)llround(start_ts * 1000);
  if (rc == SL_OK) rc = whole(r, idx, e->path, "memory_mb", 1, 10240, &e->env.memory_mb);
  if (rc == SL_OK) rc = number(r, idx, e->path, "timeout", 0.001, 900, &e->env.timeout_s);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "overhead", 0, 900, &e->env.overhead_us);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "init_overhead", 0, 900, &e->env.init_overhead_us);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "idle_timeout", 0.001, 1e7, &e->idle_timeout_us);
  if (rc == SL_OK) rc = boolean(r, idx, e->path, "report_batch_item_failures", &e->report_batch_item_failures);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "retry_backoff", 0, 3600, &m->retry_backoff_us);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "poll_interval", 0.001, 60, &m->poll_interval_us);
  if (rc == SL_OK) rc = text(r, idx, e->path, "function_name", &e->env.function_name);
  if (rc == SL_OK) rc = whole(r, idx, e->path, "provisioned_concurrency", 0, 10000, &e->provisioned_concurrency);
  /* AWS's ranges: MaximumRetryAttempts -1..10000, MaximumRecordAgeInSeconds -1 or 60..604800. */
  if (rc == SL_OK) rc = number(r, idx, e->path, "maximum_retry_attempts", -1, 10000, &retries);
  if (rc == SL_OK && retries != floor(retries)) rc = bad(r, e->path, "maximum_retry_attempts", "must be a whole number");
  if (rc == SL_OK) rc = number(r, idx, e->path, "maximum_record_age", -1, 604800, &max_age);
  if (rc == SL_OK && max_age != -1 && max_age < 60)
    rc = bad(r, e->path, "maximum_record_age", "must be -1 (no limit) or between 60 and 604800 seconds");
  if (rc == SL_OK) rc = boolean(r, idx, e->path, "bisect_on_error", &m->bisect_on_error);
  if (rc == SL_OK) rc = text(r, idx, e->path, "retry_blocks", &blocks);
  if (rc == SL_OK && blocks && strcmp(blocks, "lane") != 0 && strcmp(blocks, "shard") != 0)
    rc = bad(r, e->path, "retry_blocks", "must be \"lane\" or \"shard\"");
  if (rc == SL_OK) rc = read_destination(r, idx, e, &destination);
  if (rc == SL_OK) rc = text(r, idx, e->path, "logs", &logs);
  if (rc == SL_OK) rc = seconds(r, idx, e->path, "tumbling_window", 0, 900, &m->tumbling_window_us);
  m->maximum_retry_attempts = (int32_t)retries;
  m->maximum_record_age_us = max_age < 0 ? -1 : (int64_t)llround(max_age * 1e6);
  m->retry_blocks_shard = blocks && strcmp(blocks, "shard") == 0;
  if (rc == SL_OK) rc = read_filters(r, idx, e);
  if (rc != SL_OK) return rc;
  if ((e->handler_path = beside(dir, handler)) == NULL || (e->handler = strdup(handler)) == NULL)
    return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  e->env.handler_path = e->handler_path;
  if ((destination && (e->on_failure_path = beside(dir, destination)) == NULL) ||
      (logs && (e->logs_path = beside(dir, logs)) == NULL))
    return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  return SL_OK;
}

/* Above this rate (records/s) a producer gets a warning at load: the simulation spends an event on every record,
 * so no run reaches it (docs/experiments.md). */
#define SL_RATE_REACHABLE 1e6

/* Refuses the first of fields that table p gives, saying why. */
static int refuse_given(reader_t *r, int p, const char *path, const char *const *fields, const char *why) {
  for (int i = 0; fields[i]; i++) {
    int given = lua_getfield(r->L, p, fields[i]) != LUA_TNIL;
    lua_pop(r->L, 1);
    if (given) return bad(r, path, fields[i], why);
  }
  return SL_OK;
}

/* A producer's mode = "sync" (default) or "batching" and the batching settings, named and defaulted as the
 * KPL's (sl_batching_config_t, docs/semantics.md "Batching producers"). */
static int read_producer_mode(reader_t *r, int p, const char *path, sl_producer_config_t *out) {
  static const char *const batching[] = {"max_buffered_time", "record_ttl", "max_outstanding",
                                         "collection_max_count", "collection_max_size", "request_time", "rate_limit",
                                         "aggregate", "aggregation_max_size", "aggregation_max_count",
                                         "aggregate_key", NULL};
  const char *mode = NULL;
  int rc = text(r, p, path, "mode", &mode);
  if (rc == SL_OK && mode && strcmp(mode, "sync") != 0 && strcmp(mode, "batching") != 0)
    rc = bad(r, path, "mode", "must be \"sync\" or \"batching\"");
  if (rc != SL_OK) return rc;
  sl_batching_config_t *b = &out->batching;
  sl_batching_config_init(b);
  if (mode == NULL || strcmp(mode, "sync") == 0)
    return refuse_given(r, p, path, batching, "is a setting of batching producers: it needs mode = \"batching\"");
  out->mode = SL_PRODUCER_BATCHING;
  double size = (double)b->collection_max_size;
  rc = seconds(r, p, path, "max_buffered_time", 0, 3600, &b->max_buffered_time_us);
  if (rc == SL_OK) rc = seconds(r, p, path, "record_ttl", 0.001, 86400, &b->record_ttl_us);
  if (rc == SL_OK) rc = whole(r, p, path, "max_outstanding", 1, 1e6, &b->max_outstanding);
  /* PutRecords: "Each PutRecords request can support up to 500 records ... up to a limit of 5 MiB for the
   * entire request" (API reference). */
  if (rc == SL_OK) rc = whole(r, p, path, "collection_max_count", 1, 500, &b->collection_max_count);
  if (rc == SL_OK) rc = number(r, p, path, "collection_max_size", 1, 5242880, &size);
  if (rc == SL_OK) rc = seconds(r, p, path, "request_time", 0.000001, 60, &b->request_time_us);
  if (rc == SL_OK) rc = whole(r, p, path, "rate_limit", 0, 1000, &b->rate_limit);
  b->collection_max_size = (uint64_t)size;
  /* KPL aggregation: AggregationMaxSize 64..10485760 bytes (default 51200), AggregationMaxCount from 1
   * (default 4294967295), as the KPL's default_config.properties bounds them. */
  double agg_size = (double)b->aggregation_max_size, agg_count = (double)b->aggregation_max_count;
  const char *key = NULL;
  if (rc == SL_OK) rc = boolean(r, p, path, "aggregate", &b->aggregate);
  if (rc == SL_OK) rc = number(r, p, path, "aggregation_max_size", 64, 10485760, &agg_size);
  if (rc == SL_OK) rc = number(r, p, path, "aggregation_max_count", 1, 4294967295.0, &agg_count);
  if (rc == SL_OK) rc = text(r, p, path, "aggregate_key", &key);
  if (rc == SL_OK && key && strcmp(key, "kpl") != 0 && strcmp(key, "first") != 0)
    rc = bad(r, path, "aggregate_key", "must be \"kpl\" (the KPL's own \"a\") or \"first\" (the first record's key)");
  static const char *const of_aggregation[] = {"aggregation_max_size", "aggregation_max_count", "aggregate_key",
                                               NULL};
  if (rc == SL_OK && !b->aggregate)
    rc = refuse_given(r, p, path, of_aggregation, "is a setting of KPL aggregation: it needs aggregate = true");
  b->aggregation_max_size = (uint64_t)agg_size;
  b->aggregation_max_count = (uint64_t)agg_count;
  b->aggregate_first_key = key != NULL && strcmp(key, "first") == 0;
  return rc;
}

/* producers[i].rate (with arrivals): a number, or a function or sl.workload (producer_rate.c). */
static int read_rate(reader_t *r, int p, const char *path, sl_producer_config_t *pc, sl_producer_rate_t *pr) {
  lua_State *L = r->L;
  int t = lua_getfield(L, p, "rate"), rc = SL_OK;
  lua_pop(L, 1);
  const char *arrivals = NULL;
  if (t == LUA_TFUNCTION || t == LUA_TTABLE) {
    sl_error_t why;
    rc = sl_producer_rate_read(L, p, path, pc, pr, &why);
    if (rc != SL_OK) rc = sl_error_set(r->err, why.code, "experiment '%s': %s", r->e->name, why.message);
  } else {
    double rate = 0;
    rc = number(r, p, path, "rate", 1e-9, 1e9, &rate);
    if (rc == SL_OK && rate == 0) rc = bad(r, path, "rate", "is required (records per second)");
    if (rc == SL_OK) {
      int has_max = lua_getfield(L, p, "max_rate") != LUA_TNIL;
      lua_pop(L, 1);
      if (has_max) rc = bad(r, path, "max_rate", "is for a rate function of t: a constant rate is its own bound");
    }
    pc->rate = rate;
  }
  if (rc == SL_OK && pc->rate > SL_RATE_REACHABLE) /* one event a record: the run would never get through it */
    fprintf(stderr, "shardlab: warning: experiment '%s': %s.rate %g records/s is more than a run can reach (over "
            "1,000,000 records/s per producer); it runs, and records_not_sent counts what was never sent\n",
            r->e->name, path, pc->rate);
  if (rc == SL_OK) rc = text(r, p, path, "arrivals", &arrivals);
  if (rc == SL_OK && arrivals && strcmp(arrivals, "poisson") != 0 && strcmp(arrivals, "fixed") != 0)
    rc = bad(r, path, "arrivals", "must be \"poisson\" or \"fixed\"");
  pc->arrivals = arrivals && strcmp(arrivals, "fixed") == 0 ? SL_ARRIVALS_FIXED : SL_ARRIVALS_POISSON;
  return rc;
}

/* An entry sl.replay{...} made (its metatable says so): its capture read now (replay_producer.c). */
static int is_replay(lua_State *L, int p) {
  int yes = luaL_getmetafield(L, p, "__name") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "shardlab.replay") == 0;
  lua_settop(L, p);
  return yes;
}

static int read_producer(reader_t *r, int p, size_t i, sl_experiment_t *e) {
  static const char *const fields[] = {"rate", "max_rate", "arrivals", "record", "mode", "max_buffered_time",
                                       "record_ttl", "max_outstanding", "collection_max_count",
                                       "collection_max_size", "request_time", "rate_limit", "aggregate",
                                       "aggregation_max_size", "aggregation_max_count", "aggregate_key", NULL};
  lua_State *L = r->L;
  char path[32];
  snprintf(path, sizeof path, "producers[%zu]", i + 1);
  if (is_replay(L, p)) {
    sl_error_t why;
    int rc = sl_replay_read(L, p, r->dir, path, &e->replays[i], &e->producers[i], &why);
    return rc == SL_OK ? rc : sl_error_set(r->err, why.code, "experiment '%s': %s", e->name, why.message);
  }
  int rc = only(r, p, path, fields);
  if (rc == SL_OK) rc = read_rate(r, p, path, &e->producers[i], &e->rates[i]);
  if (rc == SL_OK) rc = read_producer_mode(r, p, path, &e->producers[i]);
  if (rc == SL_OK && lua_getfield(L, p, "record") != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return bad(r, path, "record", "must be a function(i, now) returning partition_key, data [, explicit_hash_key]");
  }
  if (rc == SL_OK) e->record_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  return rc;
}

static int read_producers(reader_t *r, int idx, sl_experiment_t *e) {
  lua_State *L = r->L;
  size_t n = lua_rawlen(L, idx);
  e->producers = calloc(n + 1, sizeof *e->producers);
  e->record_refs = calloc(n + 1, sizeof *e->record_refs);
  e->rates = calloc(n + 1, sizeof *e->rates);
  e->replays = calloc(n + 1, sizeof *e->replays);
  if (!e->producers || !e->record_refs || !e->rates || !e->replays) return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n + 1; i++) {
    e->record_refs[i] = e->rates[i].ref = e->rates[i].integral_ref = LUA_NOREF;
  }
  e->sim.producers = e->producers;
  for (size_t i = 0; i < n; i++) {
    e->sim.producer_count = (uint32_t)i + 1; /* what is freed */
    if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE) {
      lua_pop(L, 1);
      char path[32];
      snprintf(path, sizeof path, "producers[%zu]", i + 1);
      return bad(r, "", path, "must be a table {rate = ..., record = function(i, now) ... end} or sl.replay{...}");
    }
    int rc = read_producer(r, lua_gettop(L), i, e);
    lua_pop(L, 1);
    if (rc != SL_OK) return rc;
  }
  return SL_OK;
}

/* Once every producer is read: without a duration, a replay runs for its span (after speed) and a second more;
 * varying rates get their bounds and means over the duration (producer_rate.c). */
static int finish_producers(reader_t *r, int idx, sl_experiment_t *e) {
  int given = lua_getfield(r->L, idx, "duration") != LUA_TNIL;
  lua_pop(r->L, 1);
  int64_t span = -1;
  for (uint32_t i = 0; i < e->sim.producer_count; i++)
    if (e->replays[i] && sl_replay_span_us(e->replays[i]) > span) span = sl_replay_span_us(e->replays[i]);
  if (!given && span >= 0) e->sim.duration_us = span + 1000000;
  for (uint32_t i = 0; i < e->sim.producer_count; i++) {
    if (e->rates[i].ref == LUA_NOREF) continue;
    char path[32];
    snprintf(path, sizeof path, "producers[%u]", i + 1);
    sl_error_t why;
    if (sl_producer_rate_finish(r->L, path, e->sim.duration_us, &e->producers[i], &e->rates[i], &why) != SL_OK)
      return sl_error_set(r->err, why.code, "experiment '%s': %s", e->name, why.message);
  }
  return SL_OK;
}

static int read_actions(reader_t *r, int idx, sl_experiment_t *e) {
  lua_State *L = r->L;
  static const char *const fields[] = {"at", "update_shard_count", NULL};
  size_t n = lua_rawlen(L, idx);
  e->actions = calloc(n + 1, sizeof *e->actions);
  if (e->actions == NULL) return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  e->sim.actions = e->actions;
  for (size_t i = 0; i < n; i++) {
    char path[32];
    snprintf(path, sizeof path, "actions[%zu]", i + 1);
    if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE) {
      lua_pop(L, 1);
      return bad(r, "", path, "must be a table {at = seconds, update_shard_count = n}");
    }
    int a = lua_gettop(L);
    int rc = only(r, a, path, fields);
    if (rc == SL_OK) rc = seconds(r, a, path, "at", 0, 1e7, &e->actions[i].at_us);
    if (rc == SL_OK) rc = whole(r, a, path, "update_shard_count", 1, SL_STREAM_MAX_SHARDS, &e->actions[i].update_shard_count);
    if (rc == SL_OK && e->actions[i].update_shard_count == 0) rc = bad(r, path, "update_shard_count", "is required");
    lua_pop(L, 1);
    if (rc != SL_OK) return rc;
    e->sim.action_count = (uint32_t)i + 1;
  }
  return SL_OK;
}

/* A mapping's defaults: AWS's settings, the experiment's environment settings, its name and path. */
static void mapping_init(const sl_experiment_t *e, sl_experiment_mapping_t *m, const char *path, const char *name) {
  memset(m, 0, sizeof *m);
  sl_mapping_config_init(&m->config);
  m->env = e->env;
  m->idle_timeout_us = SL_ENV_IDLE_TIMEOUT_DEFAULT_US;
  snprintf(m->path, sizeof m->path, "%s", path);
  snprintf(m->name, sizeof m->name, "%s", name);
}

/* mapping = {...}: the experiment's one mapping, named after it. */
static int read_lone_mapping(reader_t *r, int idx, sl_experiment_t *e) {
  if ((e->mappings = calloc(1, sizeof *e->mappings)) == NULL) return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  e->mapping_count = 1;
  mapping_init(e, &e->mappings[0], "mapping", e->name);
  return read_mapping(r, idx, &e->mappings[0]);
}

/* Several mappings are functions of one account (docs/semantics.md "Several mappings"): one
 * account_concurrency, and what they reserve must leave some of it to those that reserve nothing. The
 * simulation checks the same; here it is found with the file's other mistakes, before anything runs. */
static int check_account(reader_t *r, sl_experiment_t *e) {
  uint32_t account = e->mappings[0].config.account_concurrency, reserved = 0, unreserved = 0;
  char what[256];
  for (uint32_t i = 0; i < e->mapping_count; i++) {
    const sl_mapping_config_t *m = &e->mappings[i].config;
    if (m->account_concurrency != account) {
      snprintf(what, sizeof what, "%u differs from mappings[1]'s %u: the mappings share one account",
               m->account_concurrency, account);
      return bad(r, e->mappings[i].path, "account_concurrency", what);
    }
    reserved += m->reserved_concurrency;
    unreserved += m->reserved_concurrency == 0;
  }
  if (unreserved == 0 || reserved < account) return SL_OK;
  snprintf(what, sizeof what, "adds up to %u of account_concurrency %u, which leaves nothing for the mappings "
           "without it", reserved, account);
  return bad(r, "mappings", "reserved_concurrency", what);
}

/* mappings = { {...}, ... }: several mappings on the stream, each with a name of its own (default "mapping N"),
 * which names its results and its checkpoints. */
static int read_mappings(reader_t *r, int idx, sl_experiment_t *e) {
  lua_State *L = r->L;
  size_t n = lua_rawlen(L, idx);
  if (n == 0) return bad(r, "", "mappings", "must be a list of mappings { {handler = ...}, {handler = ...} }");
  if ((e->mappings = calloc(n, sizeof *e->mappings)) == NULL) return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  e->several = 1;
  int rc = SL_OK;
  for (size_t i = 0; i < n && rc == SL_OK; i++) {
    char path[32], name[32];
    snprintf(path, sizeof path, "mappings[%zu]", i + 1);
    snprintf(name, sizeof name, "mapping %zu", i + 1);
    sl_experiment_mapping_t *m = &e->mappings[i];
    mapping_init(e, m, path, name);
    e->mapping_count = (uint32_t)i + 1;
    if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE) {
      lua_pop(L, 1);
      return bad(r, "", path, "must be a table {name = ..., handler = ..., ...}");
    }
    const char *given = NULL;
    rc = text(r, lua_gettop(L), path, "name", &given);
    if (rc == SL_OK && given != NULL && (given[0] == '\0' || strlen(given) >= sizeof m->name))
      rc = bad(r, path, "name", "must be a non-empty string of at most 127 bytes");
    if (rc == SL_OK && given != NULL) snprintf(m->name, sizeof m->name, "%s", given);
    for (size_t k = 0; rc == SL_OK && k < i; k++)
      if (strcmp(e->mappings[k].name, m->name) == 0) {
        char what[256];
        snprintf(what, sizeof what, "\"%s\" is the name of mappings[%zu] too: each mapping needs its own", m->name, k + 1);
        rc = bad(r, path, "name", what);
      }
    if (rc == SL_OK) rc = read_mapping(r, lua_gettop(L), m);
    lua_pop(L, 1);
  }
  return rc == SL_OK ? check_account(r, e) : rc;
}

/* Runs fn on the sub-table `field` of idx when present (a table), or refuses another type. */
static int sub(reader_t *r, int idx, const char *field, int required,
               int (*fn)(reader_t *, int, sl_experiment_t *), sl_experiment_t *e) {
  int t = lua_getfield(r->L, idx, field), rc;
  if (t == LUA_TTABLE)
    rc = fn(r, lua_gettop(r->L), e);
  else if (t == LUA_TNIL && !required)
    rc = SL_OK;
  else
    rc = bad(r, "", field, t == LUA_TNIL ? "is required" : "must be a table");
  lua_pop(r->L, 1);
  return rc;
}

int sl_experiment_read(lua_State *L, int idx, const char *dir, uint32_t number_, sl_experiment_t *e,
                       sl_error_t *err) {
  memset(e, 0, sizeof *e);
  idx = lua_absindex(L, idx);
  sl_sim_config_init(&e->sim);
  sl_store_config_init(&e->store);
  sl_env_config_init(&e->env);
  e->sim.stream.shard_count = 1;
  e->sim.stream.name = "shardlab-stream";
  snprintf(e->name, sizeof e->name, "experiment %u", number_);
  reader_t r = {L, e, dir, err};
  if (lua_getfield(L, idx, "name") == LUA_TSTRING) snprintf(e->name, sizeof e->name, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  static const char *const fields[] = {"name", "duration", "seed", "stream", "producers", "mapping", "mappings",
                                       "actions", "drain_timeout", "producer_backoff", NULL};
  double seed = 1;
  int rc = only(&r, idx, "", fields);
  if (rc == SL_OK) rc = seconds(&r, idx, "", "duration", 0.001, 1e7, &e->sim.duration_us);
  if (rc == SL_OK) rc = number(&r, idx, "", "seed", 0, 9007199254740992.0, &seed);
  e->sim.seed = (uint64_t)seed;
  e->env.seed = (uint64_t)seed;
  if (rc == SL_OK) rc = seconds(&r, idx, "", "drain_timeout", 0, 1e7, &e->sim.drain_timeout_us);
  if (rc == SL_OK) rc = seconds(&r, idx, "", "producer_backoff", 0.001, 60, &e->sim.producer_backoff_us);
  if (rc == SL_OK) rc = sub(&r, idx, "stream", 0, read_stream, e);
  if (rc == SL_OK) rc = sub(&r, idx, "producers", 0, read_producers, e);
  if (rc == SL_OK && e->replays != NULL) rc = finish_producers(&r, idx, e);
  int several = lua_getfield(L, idx, "mappings") != LUA_TNIL, lone = lua_getfield(L, idx, "mapping") != LUA_TNIL;
  lua_pop(L, 2);
  if (rc == SL_OK && several && lone)
    rc = bad(&r, "", "mappings", "cannot be given with mapping: one mapping is mapping = {...}, several are "
             "mappings = { {...}, {...} }");
  if (rc == SL_OK) rc = several ? sub(&r, idx, "mappings", 1, read_mappings, e) : sub(&r, idx, "mapping", 1, read_lone_mapping, e);
  if (rc == SL_OK) rc = sub(&r, idx, "actions", 0, read_actions, e);
  return rc;
}

void sl_experiment_free(lua_State *L, sl_experiment_t *e) {
  for (uint32_t i = 0; e->record_refs && i < e->sim.producer_count; i++) luaL_unref(L, LUA_REGISTRYINDEX, e->record_refs[i]);
  for (uint32_t i = 0; e->rates && i < e->sim.producer_count; i++) sl_producer_rate_free(L, &e->rates[i]);
  for (uint32_t i = 0; e->replays && i < e->sim.producer_count; i++) sl_replay_destroy(L, e->replays[i]);
  free(e->record_refs);
  free(e->rates);
  free(e->replays);
  free(e->producers);
  free(e->actions);
  for (uint32_t i = 0; i < e->mapping_count; i++) {
    sl_experiment_mapping_t *m = &e->mappings[i];
    free(m->handler_path);
    free(m->handler);
    free(m->on_failure_path);
    free(m->logs_path);
    free(m->on_failure_stream);
    free(m->on_failure_s3);
    sl_filter_destroy(m->filter);
  }
  free(e->mappings);
  free(e->data_dir);
  memset(e, 0, sizeof *e);
}
