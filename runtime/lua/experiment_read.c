/* experiment_read.c - an sl.experiment{...} table to a simulation configuration: the top level, the stream,
 * the mappings (their destinations, filters, consumers) and scripted actions; the producers are read by
 * experiment_producers.c, each field by experiment_fields.c. Every field is checked: unknown names (a typo
 * would otherwise be silently ignored) and values out of AWS's ranges are refused with the experiment's name
 * and the field's path. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment.h"
#include "lua/experiment_fields_internal.h"
#include "lua/lua_json.h"



/* stream.mode: "provisioned" (default) or "on_demand" (docs/semantics.md, "Capacity modes"), with the
 * on-demand policy's settings. AWS's CreateStream takes ShardCount for provisioned streams only: an on-demand
 * stream starts with 4 shards and scales itself, so stream.shards is refused with it. */
static int read_mode(reader_t *r, int idx, sl_stream_config_t *s) {
  const char *mode = NULL;
  int rc = sl__field_text(r, idx, "stream", "mode", &mode);
  int shards_given = lua_getfield(r->L, idx, "shards") != LUA_TNIL;
  lua_pop(r->L, 1);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "on_demand_scale_delay", 0, 1e6, &s->on_demand_scale_delay_s);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "on_demand_peak_window", 1, 31536000, &s->on_demand_peak_window_s);
  if (rc != SL_OK) return rc;
  const char *tuned = lua_getfield(r->L, idx, "on_demand_scale_delay") != LUA_TNIL ? "on_demand_scale_delay" : NULL;
  if (lua_getfield(r->L, idx, "on_demand_peak_window") != LUA_TNIL) tuned = "on_demand_peak_window";
  lua_pop(r->L, 2);
  if (mode == NULL || strcmp(mode, "provisioned") == 0)
    return tuned ? sl__field_bad(r, "stream", tuned, "needs stream.mode = \"on_demand\"") : SL_OK;
  if (strcmp(mode, "on_demand") != 0) return sl__field_bad(r, "stream", "mode", "must be \"provisioned\" or \"on_demand\"");
  if (shards_given)
    return sl__field_bad(r, "stream", "shards", "cannot be given with mode = \"on_demand\": an on-demand stream starts with 4 "
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
  int rc = sl__field_only(r, idx, "stream", fields);
  if (rc == SL_OK) rc = sl__field_text(r, idx, "stream", "name", &s->name);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "shards", 1, SL_STREAM_MAX_SHARDS, &s->shard_count);
  if (rc == SL_OK) rc = sl__field_boolean(r, idx, "stream", "write_limits", &s->write_limits);
  if (rc == SL_OK) rc = sl__field_boolean(r, idx, "stream", "read_limits", &s->read_limits);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "retention_hours", 24, 8760, &s->retention_hours);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "max_record_size_kib", 1, 10240, &s->max_record_size_kib);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "records_per_second", 1, 1e9, &s->records_per_second);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "bytes_per_second", 1, 4e9, &s->bytes_per_second);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, "stream", "update_shard_count_per_day", 0, 1e6, &s->update_shard_count_per_day);
  if (rc == SL_OK) rc = read_mode(r, idx, s);
  /* Durable storage (docs/storage.md): a folder beside the experiment file, and its fsync policy. */
  const char *data_dir = NULL, *fsync = NULL;
  if (rc == SL_OK) rc = sl__field_text(r, idx, "stream", "data_dir", &data_dir);
  if (rc == SL_OK) rc = sl__field_text(r, idx, "stream", "fsync", &fsync);
  if (rc == SL_OK && fsync != NULL) {
    sl_error_t why;
    if (sl_fsync_parse(fsync, &e->store.fsync, &why) != SL_OK) rc = sl__field_bad(r, "stream", "fsync", strchr(why.message, ' ') + 1);
  }
  double interval = (double)e->store.interval_ms / 1000;
  if (rc == SL_OK) rc = sl__field_number(r, idx, "stream", "fsync_interval", 0.001, 60, &interval);
  e->store.interval_ms = (int64_t)(interval * 1000);
  if (rc == SL_OK && (fsync != NULL || e->store.interval_ms != 1000) && data_dir == NULL)
    rc = sl__field_bad(r, "stream", "fsync", "needs stream.data_dir: only a durable stream is synced");
  if (rc == SL_OK && data_dir != NULL && (e->data_dir = sl__field_beside(r->dir, data_dir)) == NULL)
    rc = sl_error_set(r->err, SL_ENOMEM, "out of memory");
  return rc;
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
    rc = sl__field_only(r, d, on_failure_path, fields);
    if (rc == SL_OK) rc = sl__field_text(r, d, on_failure_path, "file", file);
    if (rc == SL_OK) rc = sl__field_text(r, d, on_failure_path, "stream", &stream);
    if (rc == SL_OK) rc = sl__field_text(r, d, on_failure_path, "s3", &s3);
    if (rc == SL_OK && (*file != NULL) + (stream != NULL) + (s3 != NULL) != 1)
      rc = sl__field_bad(r, e->path, "on_failure", "needs exactly one of file, stream and s3");
    if (rc == SL_OK && stream != NULL && (e->on_failure_stream = malloc(strlen(stream) + 1)) != NULL)
      strcpy(e->on_failure_stream, stream);
    if (rc == SL_OK && s3 != NULL && (e->on_failure_s3 = sl__field_beside(r->dir, s3)) == NULL)
      rc = sl_error_set(r->err, SL_ENOMEM, "out of memory");
  } else if (t != LUA_TNIL) {
    rc = sl__field_bad(r, e->path, "on_failure", "must be a file name or {file = ...}, {stream = ...} or {s3 = ...}");
  }
  lua_pop(L, 1); /* *file points into a string the experiment table still holds */
  return rc;
}

/* mapping.filters: a list of pattern tables, each turned into JSON and compiled; at most mapping.max_filters
 * of them (AWS's quota of filters per event source mapping: 5 by default, up to 10 on request). */
static int read_filters(reader_t *r, int idx, sl_experiment_mapping_t *e) {
  lua_State *L = r->L;
  uint32_t quota = SL_FILTER_DEFAULT_QUOTA;
  int rc = sl__field_whole(r, idx, e->path, "max_filters", 1, SL_FILTER_MAX_PATTERNS, &quota);
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
    return sl__field_bad(r, e->path, "filters", "must be a list of patterns such as {data = {type = {\"order\"}}}");
  }
  if (n > quota) {
    char what[256];
    snprintf(what, sizeof what, "has %zu patterns, more than the quota of %u filters per event source mapping "
             "(mapping.max_filters; AWS allows 5 by default, up to 10 on request)", n, (unsigned)quota);
    lua_pop(L, 1);
    return sl__field_bad(r, e->path, "filters", what);
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
  int rc = sl__field_text(r, idx, path, "consumer", &consumer);
  if (rc != SL_OK || consumer == NULL || strcmp(consumer, "standard") == 0) return rc;
  if (strcmp(consumer, "efo") == 0) {
    m->consumer = SL_CONSUMER_EFO;
    return SL_OK;
  }
  return sl__field_bad(r, path, "consumer", "must be \"standard\" or \"efo\" (enhanced fan-out)");
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
  int rc = sl__field_only(r, idx, e->path, fields);
  if (rc == SL_OK && strcmp(e->path, "mapping") == 0) {
    int named = lua_getfield(r->L, idx, "name") != LUA_TNIL;
    lua_pop(r->L, 1);
    if (named) return sl__field_bad(r, "mapping", "name", "is for the entries of mappings = {...}: a lone mapping has the "
                          "experiment's name");
  }
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "handler", &handler);
  if (rc == SL_OK && handler == NULL) rc = sl__field_bad(r, e->path, "handler", "is required (a Lua file)");
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "batch_size", 1, 10000, &m->batch_size);
  if (rc == SL_OK) rc = sl__field_whole_seconds(r, idx, e->path, "batching_window", "MaximumBatchingWindowInSeconds", 300,
                                           &m->batching_window_us);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "parallelization_factor", 1, SL_PF_MAX, &m->parallelization_factor);
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "ordering", &ordering);
  if (rc == SL_OK && ordering && sl_ordering_parse(ordering, &m->ordering, NULL) != SL_OK)
    rc = sl__field_bad(r, e->path, "ordering", "must be \"lanes\" or \"keys\"");
  if (rc == SL_OK) rc = read_consumer(r, idx, e->path, m);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "reserved_concurrency", 1, 1e6, &m->reserved_concurrency);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "account_concurrency", 1, 1e6, &m->account_concurrency);
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "starting_position", &position);
  if (rc == SL_OK && position) {
    if (strcmp(position, "TRIM_HORIZON") == 0) m->starting_position = SL_ITER_TRIM_HORIZON;
    else if (strcmp(position, "LATEST") == 0) m->starting_position = SL_ITER_LATEST;
    else if (strcmp(position, "AT_TIMESTAMP") == 0) m->starting_position = SL_ITER_AT_TIMESTAMP;
    else rc = sl__field_bad(r, e->path, "starting_position", "must be TRIM_HORIZON, LATEST or AT_TIMESTAMP");
  }
  if (rc == SL_OK) rc = sl__field_number(r, idx, e->path, "starting_timestamp", 0, 1e11, &start_ts);
  m->starting_timestamp_ms = (int64_t)llround(start_ts * 1000);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "memory_mb", 1, 10240, &e->env.memory_mb);
  if (rc == SL_OK) rc = sl__field_number(r, idx, e->path, "timeout", 0.001, 900, &e->env.timeout_s);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "overhead", 0, 900, &e->env.overhead_us);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "init_overhead", 0, 900, &e->env.init_overhead_us);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "idle_timeout", 0.001, 1e7, &e->idle_timeout_us);
  if (rc == SL_OK) rc = sl__field_boolean(r, idx, e->path, "report_batch_item_failures", &e->report_batch_item_failures);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "retry_backoff", 0, 3600, &m->retry_backoff_us);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "poll_interval", 0.001, 60, &m->poll_interval_us);
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "function_name", &e->env.function_name);
  if (rc == SL_OK) rc = sl__field_whole(r, idx, e->path, "provisioned_concurrency", 0, 10000, &e->provisioned_concurrency);
  /* AWS's ranges: MaximumRetryAttempts -1..10000, MaximumRecordAgeInSeconds -1 or 60..604800. */
  if (rc == SL_OK) rc = sl__field_number(r, idx, e->path, "maximum_retry_attempts", -1, 10000, &retries);
  if (rc == SL_OK && retries != floor(retries)) rc = sl__field_bad(r, e->path, "maximum_retry_attempts", "must be a whole number");
  if (rc == SL_OK) rc = sl__field_number(r, idx, e->path, "maximum_record_age", -1, 604800, &max_age);
  if (rc == SL_OK && max_age != -1 && max_age < 60)
    rc = sl__field_bad(r, e->path, "maximum_record_age", "must be -1 (no limit) or between 60 and 604800 seconds");
  if (rc == SL_OK) rc = sl__field_boolean(r, idx, e->path, "bisect_on_error", &m->bisect_on_error);
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "retry_blocks", &blocks);
  if (rc == SL_OK && blocks && strcmp(blocks, "lane") != 0 && strcmp(blocks, "shard") != 0)
    rc = sl__field_bad(r, e->path, "retry_blocks", "must be \"lane\" or \"shard\"");
  if (rc == SL_OK) rc = read_destination(r, idx, e, &destination);
  if (rc == SL_OK) rc = sl__field_text(r, idx, e->path, "logs", &logs);
  if (rc == SL_OK) rc = sl__field_seconds(r, idx, e->path, "tumbling_window", 0, 900, &m->tumbling_window_us);
  m->maximum_retry_attempts = (int32_t)retries;
  m->maximum_record_age_us = max_age < 0 ? -1 : (int64_t)llround(max_age * 1e6);
  m->retry_blocks_shard = blocks && strcmp(blocks, "shard") == 0;
  if (rc == SL_OK) rc = read_filters(r, idx, e);
  if (rc != SL_OK) return rc;
  if ((e->handler_path = sl__field_beside(dir, handler)) == NULL || (e->handler = strdup(handler)) == NULL)
    return sl_error_set(r->err, SL_ENOMEM, "out of memory");
  e->env.handler_path = e->handler_path;
  if ((destination && (e->on_failure_path = sl__field_beside(dir, destination)) == NULL) ||
      (logs && (e->logs_path = sl__field_beside(dir, logs)) == NULL))
    return sl_error_set(r->err, SL_ENOMEM, "out of memory");
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
      return sl__field_bad(r, "", path, "must be a table {at = seconds, update_shard_count = n}");
    }
    int a = lua_gettop(L);
    int rc = sl__field_only(r, a, path, fields);
    if (rc == SL_OK) rc = sl__field_seconds(r, a, path, "at", 0, 1e7, &e->actions[i].at_us);
    if (rc == SL_OK) rc = sl__field_whole(r, a, path, "update_shard_count", 1, SL_STREAM_MAX_SHARDS, &e->actions[i].update_shard_count);
    if (rc == SL_OK && e->actions[i].update_shard_count == 0) rc = sl__field_bad(r, path, "update_shard_count", "is required");
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
      return sl__field_bad(r, e->mappings[i].path, "account_concurrency", what);
    }
    reserved += m->reserved_concurrency;
    unreserved += m->reserved_concurrency == 0;
  }
  if (unreserved == 0 || reserved < account) return SL_OK;
  snprintf(what, sizeof what, "adds up to %u of account_concurrency %u, which leaves nothing for the mappings "
           "without it", reserved, account);
  return sl__field_bad(r, "mappings", "reserved_concurrency", what);
}

/* mappings = { {...}, ... }: several mappings on the stream, each with a name of its own (default "mapping N"),
 * which names its results and its checkpoints. */
static int read_mappings(reader_t *r, int idx, sl_experiment_t *e) {
  lua_State *L = r->L;
  size_t n = lua_rawlen(L, idx);
  if (n == 0) return sl__field_bad(r, "", "mappings", "must be a list of mappings { {handler = ...}, {handler = ...} }");
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
      return sl__field_bad(r, "", path, "must be a table {name = ..., handler = ..., ...}");
    }
    const char *given = NULL;
    rc = sl__field_text(r, lua_gettop(L), path, "name", &given);
    if (rc == SL_OK && given != NULL && (given[0] == '\0' || strlen(given) >= sizeof m->name))
      rc = sl__field_bad(r, path, "name", "must be a non-empty string of at most 127 bytes");
    if (rc == SL_OK && given != NULL) snprintf(m->name, sizeof m->name, "%s", given);
    for (size_t k = 0; rc == SL_OK && k < i; k++)
      if (strcmp(e->mappings[k].name, m->name) == 0) {
        char what[256];
        snprintf(what, sizeof what, "\"%s\" is the name of mappings[%zu] too: each mapping needs its own", m->name, k + 1);
        rc = sl__field_bad(r, path, "name", what);
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
    rc = sl__field_bad(r, "", field, t == LUA_TNIL ? "is required" : "must be a table");
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
  int rc = sl__field_only(&r, idx, "", fields);
  if (rc == SL_OK) rc = sl__field_seconds(&r, idx, "", "duration", 0.001, 1e7, &e->sim.duration_us);
  if (rc == SL_OK) rc = sl__field_number(&r, idx, "", "seed", 0, 9007199254740992.0, &seed);
  e->sim.seed = (uint64_t)seed;
  e->env.seed = (uint64_t)seed;
  if (rc == SL_OK) rc = sl__field_seconds(&r, idx, "", "drain_timeout", 0, 1e7, &e->sim.drain_timeout_us);
  if (rc == SL_OK) rc = sl__field_seconds(&r, idx, "", "producer_backoff", 0.001, 60, &e->sim.producer_backoff_us);
  if (rc == SL_OK) rc = sub(&r, idx, "stream", 0, read_stream, e);
  if (rc == SL_OK) rc = sub(&r, idx, "producers", 0, sl__experiment_read_producers, e);
  if (rc == SL_OK && e->replays != NULL) rc = sl__experiment_finish_producers(&r, idx, e);
  int several = lua_getfield(L, idx, "mappings") != LUA_TNIL, lone = lua_getfield(L, idx, "mapping") != LUA_TNIL;
  lua_pop(L, 2);
  if (rc == SL_OK && several && lone)
    rc = sl__field_bad(&r, "", "mappings", "cannot be given with mapping: one mapping is mapping = {...}, several are "
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
