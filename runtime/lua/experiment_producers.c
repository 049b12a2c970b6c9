/* experiment_producers.c - an experiment's producers = { ... }: each a rate (a number, a function of time or an
 * sl.workload) with its arrivals, a record function and its mode (sync, or batching with the KPL's settings and
 * aggregation), or an sl.replay of recorded traffic; then, once all are read, durations and rate bounds. */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment_fields_internal.h"

/* The settings of batching producers (mode = "batching"), named as the KPL names them. */
#define BATCHING_FIELDS                                                                                         \
  "max_buffered_time", "record_ttl", "max_outstanding", "collection_max_count", "collection_max_size",          \
      "request_time", "rate_limit", "aggregate", "aggregation_max_size", "aggregation_max_count", "aggregate_key"

/* Above this rate (records/s) a producer gets a warning at load: the simulation spends an event on every record,
 * so no run reaches it (docs/experiments.md). */
#define SL_RATE_REACHABLE 1e6


/* A producer's mode = "sync" (default) or "batching" and the batching settings, named and defaulted as the
 * KPL's (sl_batching_config_t, docs/semantics.md "Batching producers"). */
static int read_producer_mode(reader_t *r, int p, const char *path, sl_producer_config_t *out) {
  static const char *const batching[] = {BATCHING_FIELDS, NULL};
  const char *mode = NULL;
  int rc = sl__field_text(r, p, path, "mode", &mode);
  if (rc == SL_OK && mode && strcmp(mode, "sync") != 0 && strcmp(mode, "batching") != 0)
    rc = sl__field_bad(r, path, "mode", "must be \"sync\" or \"batching\"");
  if (rc != SL_OK) return rc;
  sl_batching_config_t *b = &out->batching;
  sl_batching_config_init(b);
  if (mode == NULL || strcmp(mode, "sync") == 0)
    return sl__field_refuse_given(r, p, path, batching, "is a setting of batching producers: it needs mode = \"batching\"");
  out->mode = SL_PRODUCER_BATCHING;
  double size = (double)b->collection_max_size;
  rc = sl__field_seconds(r, p, path, "max_buffered_time", 0, 3600, &b->max_buffered_time_us);
  if (rc == SL_OK) rc = sl__field_seconds(r, p, path, "record_ttl", 0.001, 86400, &b->record_ttl_us);
  if (rc == SL_OK) rc = sl__field_whole(r, p, path, "max_outstanding", 1, 1e6, &b->max_outstanding);
  /* PutRecords: "Each PutRecords request can support up to 500 records ... up to a limit of 5 MiB for the
   * entire request" (API reference). */
  if (rc == SL_OK) rc = sl__field_whole(r, p, path, "collection_max_count", 1, 500, &b->collection_max_count);
  if (rc == SL_OK) rc = sl__field_number(r, p, path, "collection_max_size", 1, 5242880, &size);
  if (rc == SL_OK) rc = sl__field_seconds(r, p, path, "request_time", 0.000001, 60, &b->request_time_us);
  if (rc == SL_OK) rc = sl__field_whole(r, p, path, "rate_limit", 0, 1000, &b->rate_limit);
  b->collection_max_size = (uint64_t)size;
  /* KPL aggregation: AggregationMaxSize 64..10485760 bytes (default 51200), AggregationMaxCount from 1
   * (default 4294967295), as the KPL's default_config.properties bounds them. */
  double agg_size = (double)b->aggregation_max_size, agg_count = (double)b->aggregation_max_count;
  const char *key = NULL;
  if (rc == SL_OK) rc = sl__field_boolean(r, p, path, "aggregate", &b->aggregate);
  if (rc == SL_OK) rc = sl__field_number(r, p, path, "aggregation_max_size", 64, 10485760, &agg_size);
  if (rc == SL_OK) rc = sl__field_number(r, p, path, "aggregation_max_count", 1, 4294967295.0, &agg_count);
  if (rc == SL_OK) rc = sl__field_text(r, p, path, "aggregate_key", &key);
  if (rc == SL_OK && key && strcmp(key, "kpl") != 0 && strcmp(key, "first") != 0)
    rc = sl__field_bad(r, path, "aggregate_key", "must be \"kpl\" (the KPL's own \"a\") or \"first\" (the first record's key)");
  static const char *const of_aggregation[] = {"aggregation_max_size", "aggregation_max_count", "aggregate_key",
                                               NULL};
  if (rc == SL_OK && !b->aggregate)
    rc = sl__field_refuse_given(r, p, path, of_aggregation, "is a setting of KPL aggregation: it needs aggregate = true");
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
    rc = sl__field_number(r, p, path, "rate", 1e-9, 1e9, &rate);
    if (rc == SL_OK && rate == 0) rc = sl__field_bad(r, path, "rate", "is required (records per second)");
    if (rc == SL_OK) {
      int has_max = lua_getfield(L, p, "max_rate") != LUA_TNIL;
      lua_pop(L, 1);
      if (has_max) rc = sl__field_bad(r, path, "max_rate", "is for a rate function of t: a constant rate is its own bound");
    }
    pc->rate = rate;
  }
  if (rc == SL_OK && pc->rate > SL_RATE_REACHABLE) /* one event a record: the run would never get through it */
    fprintf(stderr, "shardlab: warning: experiment '%s': %s.rate %g records/s is more than a run can reach (over "
            "1,000,000 records/s per producer); it runs, and records_not_sent counts what was never sent\n",
            r->e->name, path, pc->rate);
  if (rc == SL_OK) rc = sl__field_text(r, p, path, "arrivals", &arrivals);
  if (rc == SL_OK && arrivals && strcmp(arrivals, "poisson") != 0 && strcmp(arrivals, "fixed") != 0)
    rc = sl__field_bad(r, path, "arrivals", "must be \"poisson\" or \"fixed\"");
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
  static const char *const fields[] = {"rate", "max_rate", "arrivals", "record", "mode", BATCHING_FIELDS, NULL};
  lua_State *L = r->L;
  char path[32];
  snprintf(path, sizeof path, "producers[%zu]", i + 1);
  if (is_replay(L, p)) {
    sl_error_t why;
    int rc = sl_replay_read(L, p, r->dir, path, &e->replays[i], &e->producers[i], &why);
    return rc == SL_OK ? rc : sl_error_set(r->err, why.code, "experiment '%s': %s", e->name, why.message);
  }
  int rc = sl__field_only(r, p, path, fields);
  if (rc == SL_OK) rc = read_rate(r, p, path, &e->producers[i], &e->rates[i]);
  if (rc == SL_OK) rc = read_producer_mode(r, p, path, &e->producers[i]);
  if (rc == SL_OK && lua_getfield(L, p, "record") != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return sl__field_bad(r, path, "record", "must be a function(i, now) returning partition_key, data [, explicit_hash_key]");
  }
  if (rc == SL_OK) e->record_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  return rc;
}

int sl__experiment_read_producers(reader_t *r, int idx, sl_experiment_t *e) {
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
      return sl__field_bad(r, "", path, "must be a table {rate = ..., record = function(i, now) ... end} or sl.replay{...}");
    }
    int rc = read_producer(r, lua_gettop(L), i, e);
    lua_pop(L, 1);
    if (rc != SL_OK) return rc;
  }
  return SL_OK;
}

/* Once every producer is read: without a duration, a replay runs for its span (after speed) and a second more;
 * varying rates get their bounds and means over the duration (producer_rate.c). */
int sl__experiment_finish_producers(reader_t *r, int idx, sl_experiment_t *e) {
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
