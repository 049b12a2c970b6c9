/* experiment_run.c - runs an experiment: the producers' record functions called in the experiment's Lua
 * state, batches delivered to handler environments (one per slot, from a pool), and the results as JSON
 * (DESIGN 9: {"name", "config", "summary", "timeseries"}). */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/clock.h"
#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/experiment.h"
#include "lua/experiment_ctx.h"
#include "lua/lua_event.h"
#include "lua/lua_json.h"

static int grow_buf(run_ctx_t *c, size_t need) {
  if (need <= c->buf_cap) return SL_OK;
  char *b = realloc(c->buf, need);
  if (b == NULL) return SL_ENOMEM;
  c->buf = b;
  c->buf_cap = need;
  return SL_OK;
}

/* producers[p].record(i, now) -> partition_key, data [, explicit_hash_key]. A table as data is sent as JSON. */
static int produce(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  run_ctx_t *c = ctx;
  lua_State *L = c->L;
  int top = lua_gettop(L);
  double now = (double)c->e->sim.start_ms / 1000.0 + (double)now_us / 1e6;
  sl_experiment_host_t *host = (sl_experiment_host_t *)sl_lua_get_host(L);
  if (host != NULL) host->now = now; /* sl.now() inside record() */
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->e->record_refs[p]);
  lua_pushinteger(L, (lua_Integer)i);
  lua_pushnumber(L, now);
  if (sl_env_pcall(L, 2, 3) != LUA_OK) {
    sl_error_set(err, SL_EINVAL, "producers[%u].record(%llu): %s", p + 1, (unsigned long long)i, lua_tostring(L, -1));
    lua_settop(L, top);
    return SL_EINVAL;
  }
  if (lua_type(L, top + 1) != LUA_TSTRING) {
    sl_error_set(err, SL_EINVAL,
                 "producers[%u].record(%llu) returned %s as the partition key: it must return a string key, then "
                 "the data",
                 p + 1, (unsigned long long)i, luaL_typename(L, top + 1));
    lua_settop(L, top);
    return SL_EINVAL;
  }
  if (lua_type(L, top + 2) == LUA_TTABLE) { /* data as a table: its JSON */
    char why[256];
    json_t *v = sl_json_from_lua(L, top + 2, why, sizeof why);
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (text == NULL) {
      sl_error_set(err, SL_EINVAL, "producers[%u].record(%llu): data cannot be sent as JSON: %s", p + 1,
                   (unsigned long long)i, why);
      lua_settop(L, top);
      return SL_EINVAL;
    }
    lua_pushstring(L, text);
    free(text);
    lua_replace(L, top + 2);
  } else if (lua_type(L, top + 2) != LUA_TSTRING && lua_type(L, top + 2) != LUA_TNIL) {
    sl_error_set(err, SL_EINVAL, "producers[%u].record(%llu) returned %s as the data: it must be a string or a table",
                 p + 1, (unsigned long long)i, luaL_typename(L, top + 2));
    lua_settop(L, top);
    return SL_EINVAL;
  }
  if (!lua_isnil(L, top + 3) && lua_type(L, top + 3) != LUA_TSTRING) {
    sl_error_set(err, SL_EINVAL, "producers[%u].record(%llu) returned %s as the explicit hash key: it must be a "
                 "decimal string", p + 1, (unsigned long long)i, luaL_typename(L, top + 3));
    lua_settop(L, top);
    return SL_EINVAL;
  }
  size_t kl, dl = 0, el = 0;
  const char *k = lua_tolstring(L, top + 1, &kl), *d = lua_tolstring(L, top + 2, &dl), *h = lua_tolstring(L, top + 3, &el);
  if (grow_buf(c, kl + dl + el + 3) != SL_OK) {
    lua_settop(L, top);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  memcpy(c->buf, k, kl);
  if (dl) memcpy(c->buf + kl + 1, d, dl);
  if (h) memcpy(c->buf + kl + dl + 2, h, el + 1);
  out->key = c->buf;
  out->key_len = kl;
  out->data = c->buf + kl + 1;
  out->data_len = dl;
  out->explicit_hash_key = h ? c->buf + kl + dl + 2 : NULL;
  lua_settop(L, top);
  return SL_OK;
}

void sl_run_event_records(const sl_batch_t *b, sl_event_record_t *records, char (*seqs)[SL_SEQNUM_DECIMAL_SIZE]) {
  for (size_t i = 0; i < b->count; i++) {
    const sl_record_t *rec = b->records[i];
    sl_seqnum_t seq;
    sl_shard_seqnum(b->shard, rec->counter, rec->arrival_ms, &seq);
    sl_seqnum_format(&seq, seqs[i]);
    records[i] = (sl_event_record_t){SL_RECORD_KEY(rec), rec->key_len, SL_RECORD_DATA(rec), rec->data_len, seqs[i],
                                     rec->arrival_ms};
  }
}

void sl_run_outcome(sl_invoke_result_t *res, sl_batch_outcome_t *out) {
  out->status = res->status == SL_INVOKE_SUCCESS ? SL_BATCH_OK
                : res->status == SL_INVOKE_PARTIAL ? SL_BATCH_PARTIAL
                                                   : SL_BATCH_ERROR;
  out->lowest_failed = res->lowest_failed;
  out->cold_start = res->cold_start;
  out->init_us = res->cold_start ? res->init_duration_us : 0;
  out->duration_us = res->duration_us + out->init_us; /* the slot is busy during init too */
  out->state_json = res->state_json; /* tumbling windows: the simulation keeps it for the next invocation */
  res->state_json = NULL;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  run_ctx_t *c = ctx;
  if (b->count > c->records_cap) {
    size_t cap = b->count * 2;
    sl_event_record_t *r = realloc(c->records, cap * sizeof *r);
    if (r != NULL) c->records = r;
    char(*s)[SL_SEQNUM_DECIMAL_SIZE] = realloc(c->seqs, cap * sizeof *s);
    if (s != NULL) c->seqs = s;
    if (r == NULL || s == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    c->records_cap = cap;
  }
  sl_run_event_records(b, c->records, c->seqs);
  sl_event_source_t src = {b->shard->id, c->e->sim.stream.region, c->stream_arn, c->role_arn};
  int64_t now_us = c->e->sim.start_ms * 1000 + start_us;
  sl_invocation_t inv = {&src, c->records, b->count, NULL, c->e->report_batch_item_failures, now_us, b->window};
  sl_invoke_result_t res;
  int rc = sl_env_pool_invoke(c->pool, b->slot, now_us, &inv, &res, err);
  if (rc != SL_OK) return rc;
  sl_run_outcome(&res, out);
  sl_invoke_result_clear(&res);
  return SL_OK;
}

/* A failed batch as the record AWS sends to an on-failure destination (AWS Lambda guide, "Retaining records of
 * discarded batches": requestContext, responseContext, version, timestamp, KinesisBatchInfo). */
static int on_failure(void *ctx, const sl_failure_t *f, sl_error_t *err) {
  run_ctx_t *c = ctx;
  if (c->destination == NULL && c->dead_letters == NULL) return SL_OK;
  char first_seq[SL_SEQNUM_DECIMAL_SIZE], last_seq[SL_SEQNUM_DECIMAL_SIZE], first_at[32], last_at[32], now[32];
  char request_id[40];
  const sl_record_t *first = f->records[0], *last = f->records[f->count - 1];
  sl_seqnum_t seq;
  sl_shard_seqnum(f->shard, first->counter, first->arrival_ms, &seq);
  sl_seqnum_format(&seq, first_seq);
  sl_shard_seqnum(f->shard, last->counter, last->arrival_ms, &seq);
  sl_seqnum_format(&seq, last_seq);
  sl_clock_iso8601_ms(first->arrival_ms, first_at);
  sl_clock_iso8601_ms(last->arrival_ms, last_at);
  sl_clock_iso8601_ms(c->e->sim.start_ms + f->at_us / 1000, now);
  uint64_t n = ++c->failures, x = c->e->sim.seed * UINT64_C(0x9E3779B97F4A7C15) + n * UINT64_C(0xD1B54A32D192ED03);
  snprintf(request_id, sizeof request_id, "%08llx-%04llx-4%03llx-a%03llx-%012llx", (unsigned long long)(x >> 32),
           (unsigned long long)(x >> 16 & 0xFFFF), (unsigned long long)(x & 0xFFF), (unsigned long long)(n & 0xFFF),
           (unsigned long long)(n * 2654435761u & 0xFFFFFFFFFFFFull));
  json_t *record = json_pack(
      "{s:{s:s,s:s,s:s,s:i},s:{s:i,s:s,s:s},s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:I,s:s}}", "requestContext",
      "requestId", request_id, "functionArn", c->function_arn, "condition",
      f->condition == SL_FAILURE_RECORD_AGE_EXCEEDED ? "RecordAgeExceeded" : "RetryAttemptsExhausted",
      "approximateInvokeCount", (int)f->invoke_count, "responseContext", "statusCode", 200, "executedVersion",
      "$LATEST", "functionError", "Unhandled", "version", "1.0", "timestamp", now, "KinesisBatchInfo", "shardId",
      f->shard->id, "startSequenceNumber", first_seq, "endSequenceNumber", last_seq,
      "approximateArrivalOfFirstRecord", first_at, "approximateArrivalOfLastRecord", last_at, "batchSize",
      (json_int_t)f->count, "streamArn", c->stream_arn);
  int rc = SL_OK;
  char *text = record != NULL ? json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  if (text == NULL) {
    rc = sl_error_set(err, SL_ENOMEM, "out of memory writing a failure record");
  } else if (c->destination != NULL) {
    if (fprintf(c->destination, "%s\n", text) < 0)
      rc = sl_error_set(err, SL_EIO, "cannot write to the on_failure destination %s", c->e->on_failure_path);
  } else {
    /* A stream destination: the failure record is the data, the failed batch's shard the partition key. */
    sl_error_t put_err;
    if (sl_stream_put(c->dead_letters, c->e->sim.start_ms + f->at_us / 1000, f->shard->id, strlen(f->shard->id), NULL,
                      text, strlen(text), NULL, &put_err) != SL_OK)
      rc = sl_error_set(err, put_err.code, "on_failure stream %s: %s", c->e->on_failure_stream, put_err.message);
  }
  free(text);
  json_decref(record);
  return rc;
}

/* --- results as JSON ------------------------------------------------------------------------------------ */

static json_t *summary_json(const sl_sim_t *sim) {
  const sl_summary_t *s = sl_sim_summary(sim);
  json_t *shards = json_array();
  const sl_stream_t *stream = sl_sim_stream(sim);
  for (uint32_t i = 0; i < sl_stream_shard_total(stream); i++) {
    const sl_shard_summary_t *sh = sl_sim_shard_summary(sim, i);
    if (sh == NULL) continue;
    json_array_append_new(shards, json_pack("{s:s,s:I,s:I,s:I,s:i}", "shard", sl_stream_shard(stream, i)->id,
                                            "records_in", (json_int_t)sh->records_in, "bytes_in",
                                            (json_int_t)sh->bytes_in, "distinct_keys", (json_int_t)sh->distinct_keys,
                                            "lanes_used", (int)sh->lanes_used));
  }
  json_t *j = json_object();
  json_object_set_new(j, "records_put", json_integer((json_int_t)s->records_put));
  json_object_set_new(j, "records_throttled", json_integer((json_int_t)s->records_throttled));
  json_object_set_new(j, "records_delivered", json_integer((json_int_t)s->records_delivered));
  json_object_set_new(j, "deliveries", json_integer((json_int_t)s->deliveries));
  json_object_set_new(j, "invocations", json_integer((json_int_t)s->invocations));
  json_object_set_new(j, "errors", json_integer((json_int_t)s->errors));
  json_object_set_new(j, "max_concurrency", json_integer(s->max_concurrency));
  json_object_set_new(j, "mean_concurrency", json_real((double)llround(s->mean_concurrency * 1000) / 1000));
  json_object_set_new(j, "max_iterator_age_ms", json_integer(s->max_iterator_age_ms));
  json_object_set_new(j, "retries", json_integer((json_int_t)s->retries));
  json_object_set_new(j, "duplicate_deliveries", json_integer((json_int_t)s->duplicate_deliveries));
  json_object_set_new(j, "windows_closed", json_integer((json_int_t)s->windows_closed));
  json_object_set_new(j, "records_failed", json_integer((json_int_t)s->records_failed));
  json_object_set_new(j, "records_filtered", json_integer((json_int_t)s->records_filtered));
  json_object_set_new(j, "records_expired", json_integer((json_int_t)s->records_expired));
  json_object_set_new(j, "cold_starts", json_integer((json_int_t)s->cold_starts));
  json_object_set_new(j, "duration_s", json_real((double)s->ended_us / 1e6));
  json_object_set_new(j, "interrupted", json_boolean(s->interrupted));
  json_object_set_new(j, "shards", shards);
  return j;
}

static json_t *series_json(const sl_sim_t *sim) {
  json_t *rows = json_array();
  uint32_t shards = sl_stream_shard_total(sl_sim_stream(sim));
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) {
    const sl_second_t *s = sl_sim_second(sim, i);
    json_t *per_shard = json_array();
    for (uint32_t k = 0; k < shards; k++) {
      sl_shard_second_t ss = sl_sim_shard_second(sim, k, i);
      json_array_append_new(per_shard, json_pack("{s:I,s:I}", "records_in", (json_int_t)ss.records_in, "bytes_in",
                                                 (json_int_t)ss.bytes_in));
    }
    json_array_append_new(rows, json_pack("{s:I,s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:o}", "t", (json_int_t)i, "concurrency",
                                          (int)s->concurrency, "invocations", (int)s->invocations, "errors",
                                          (int)s->errors, "throttles", (int)s->throttles, "iterator_age_ms",
                                          (json_int_t)s->iterator_age_ms, "records_in", (json_int_t)s->records_in,
                                          "records_throttled", (json_int_t)s->records_throttled, "shards",
                                          per_shard));
  }
  return rows;
}

static json_t *config_json(const sl_experiment_t *e) {
  const sl_mapping_config_t *m = &e->sim.mapping;
  static const char *const positions[] = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                          "AT_TIMESTAMP"};
  return json_pack("{s:s,s:f,s:I,s:{s:s,s:i,s:b},s:i,s:{s:i,s:f,s:i,s:s,s:i,s:i,s:s,s:i,s:f}}", "clock",
                   e->env.clock == SL_CLOCK_REAL ? "real" : "virtual", "duration",
                   (double)e->sim.duration_us / 1e6, "seed", (json_int_t)e->sim.seed, "stream", "name",
                   e->sim.stream.name, "shards", (int)e->sim.stream.shard_count, "write_limits",
                   e->sim.stream.write_limits, "producers", (int)e->sim.producer_count, "mapping", "batch_size",
                   (int)m->batch_size, "batching_window", (double)m->batching_window_us / 1e6,
                   "parallelization_factor", (int)m->parallelization_factor, "ordering",
                   m->ordering == SL_ORDERING_KEYS ? "keys" : "lanes", "reserved_concurrency",
                   (int)m->reserved_concurrency, "account_concurrency", (int)m->account_concurrency,
                   "starting_position", positions[m->starting_position], "memory_mb", (int)e->env.memory_mb,
                   "timeout", e->env.timeout_s);
}

/* The terminal's progress line, the same on both clocks: rewritten in place at most ten times a second of
 * wall time. */

static void show_progress(void *ctx, const sl_sim_t *sim) {
  int64_t now_us = sl_sim_now(sim);
  const sl_summary_t *s = sl_sim_summary(sim);
  progress_t *p = ctx;
  double t = sl_clock_mono_s();
  if (t - p->last_print < 0.1) return;
  p->last_print = t;
  fprintf(stderr, "\r\033[K%s: %.1f s, %llu records in, %llu delivered, %u running, iterator age %lld ms", p->name,
          (double)(now_us / 100000) / 10, (unsigned long long)s->records_put, (unsigned long long)s->records_delivered,
          sl_sim_running(sim), (long long)sl_sim_iterator_age_ms(sim));
  fflush(stderr);
}

static void write_log(void *data, const char *line, size_t len) {
  run_ctx_t *c = data;
  pthread_mutex_lock(&c->log_lock);
  fwrite(line, 1, len, c->logs);
  fputc('\n', c->logs);
  pthread_mutex_unlock(&c->log_lock);
}

int sl_experiment_start(lua_State *L, sl_experiment_t *e, sl_real_t *shared, sl_stream_t *served,
                        sl_experiment_run_t **out, sl_error_t *err) {
  *out = NULL;
  run_ctx_t *run = calloc(1, sizeof *run);
  if (run == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  run_ctx_t *c = run;
  c->L = L;
  c->e = e;
  e->sim.produce = produce;
  e->sim.invoke = invoke;
  e->sim.on_failure = on_failure;
  e->sim.ctx = c;
  pthread_mutex_init(&c->log_lock, NULL);
  *out = run; /* from here on sl_experiment_finish cleans up, whatever fails */
  int rc = SL_OK;
  if (e->env.clock == SL_CLOCK_REAL || shared != NULL) { /* records arrive, and handlers see sl.now(), at today's time */
    e->env.clock = SL_CLOCK_REAL;
    e->sim.start_ms = sl_clock_wall_ms();
    e->sim.invoke = sl_run_invoke_real;
    c->rt = shared;
    if (shared == NULL) {
      sl_real_options_t options;
      sl_real_options_init(&options);
      options.workers = e->workers;
      options.handle_signals = e->handle_signals;
      rc = sl_real_create(&options, &c->rt, err);
      c->owns_rt = rc == SL_OK;
    }
  }
  sl_arn_function(c->function_arn, sizeof c->function_arn, e->env.region, e->env.account_id, e->env.function_name);
  if (rc == SL_OK && e->on_failure_path != NULL && (c->destination = fopen(e->on_failure_path, "w")) == NULL)
    rc = sl_error_set(err, SL_EIO, "mapping.on_failure: cannot open %s for writing", e->on_failure_path);
  if (rc == SL_OK && e->logs_path != NULL && (c->logs = fopen(e->logs_path, "w")) == NULL)
    rc = sl_error_set(err, SL_EIO, "mapping.logs: cannot open %s for writing", e->logs_path);
  if (c->logs != NULL) {
    e->env.log = write_log;
    e->env.log_data = c;
  }
  if (rc == SL_OK && e->on_failure_stream != NULL) { /* a stream of its own, without limits to refuse a failure */
    sl_stream_config_t dc;
    sl_stream_config_init(&dc);
    dc.name = e->on_failure_stream;
    dc.shard_count = 1;
    dc.write_limits = 0;
    dc.created_ms = e->sim.start_ms;
    sl_error_t serr;
    if (sl_stream_create(&dc, &c->dead_letters, &serr) != SL_OK)
      rc = sl_error_set(err, serr.code, "mapping.on_failure.stream: %s", serr.message);
  }
  c->progress = (progress_t){e->name, 0};
  if (e->show_progress) {
    e->sim.progress = show_progress;
    e->sim.progress_ctx = &c->progress;
  }
  sl_arn_stream(c->stream_arn, sizeof c->stream_arn, e->sim.stream.region, e->sim.stream.account_id,
                served ? sl_stream_name(served) : e->sim.stream.name);
  snprintf(c->role_arn, sizeof c->role_arn, "arn:aws:iam::%s:role/shardlab-role", e->sim.stream.account_id);
  sl_experiment_host_t *host = (sl_experiment_host_t *)sl_lua_get_host(L);
  if (host != NULL) sl_rng_seed(&host->rng, e->sim.seed); /* producers' sl.random: the experiment's seed */
  if (rc == SL_OK && served != NULL) e->sim.existing_stream = served;
  else if (rc == SL_OK && e->data_dir != NULL) rc = sl_run_store_open(c, err);
  if (rc == SL_OK) rc = sl_env_pool_create(&e->env, e->idle_timeout_us, &c->pool, err);
  if (rc == SL_OK && e->provisioned_concurrency > 0)
    rc = sl_env_pool_provision(c->pool, e->provisioned_concurrency, e->sim.start_ms * 1000, err);
  if (rc == SL_OK) rc = sl_sim_create(&e->sim, &c->sim, err);
  if (rc == SL_OK && shared != NULL) rc = sl_real_add(shared, c->sim, err);
  return rc;
}

sl_sim_t *sl_experiment_sim(sl_experiment_run_t *run) { return run->sim; }
sl_real_t *sl_experiment_driver(sl_experiment_run_t *run) { return run->owns_rt ? run->rt : NULL; }

int sl_experiment_finish(sl_experiment_run_t *run, int rc, json_t **result, sl_error_t *err) {
  *result = NULL;
  if (run == NULL) return rc;
  run_ctx_t *c = run;
  sl_experiment_t *e = c->e;
  if (rc == SL_OK) {
    json_t *summary = summary_json(c->sim);
    if (c->store != NULL) json_object_set_new(summary, "storage", sl_run_store_summary(c));
    if (c->dead_letters != NULL)
      json_object_set_new(summary, "on_failure_stream",
                          json_pack("{s:s,s:I}", "name", e->on_failure_stream, "records_in",
                                    (json_int_t)sl_stream_shard(c->dead_letters, 0)->stats.records_in));
    *result = json_pack("{s:s,s:o,s:o,s:o}", "name", e->name, "config", config_json(e), "summary", summary,
                        "timeseries", series_json(c->sim));
    if (*result == NULL) rc = sl_error_set(err, SL_ENOMEM, "out of memory building the results");
  }
  if (e->show_progress && c->progress.last_print > 0) fputs("\r\033[K", stderr); /* clear the line */
  if (c->destination != NULL && fclose(c->destination) != 0 && rc == SL_OK)
    rc = sl_error_set(err, SL_EIO, "mapping.on_failure: cannot write %s", e->on_failure_path);
  sl_env_pool_destroy(c->pool); /* before the log file closes: nothing logs after this */
  if (c->logs != NULL && fclose(c->logs) != 0 && rc == SL_OK)
    rc = sl_error_set(err, SL_EIO, "mapping.logs: cannot write %s", e->logs_path);
  sl_stream_destroy(c->dead_letters);
  sl_sim_destroy(c->sim);
  if (c->store != NULL) {
    sl_error_t close_err;
    if (sl_run_store_close(c, &close_err) != SL_OK && rc == SL_OK)
      rc = sl_error_set(err, close_err.code, "stream.data_dir: %s", close_err.message);
  }
  if (c->owns_rt) sl_real_destroy(c->rt);
  pthread_mutex_destroy(&c->log_lock);
  free(c->buf);
  free(c->records);
  free(c->seqs);
  free(c);
  return rc;
}

int sl_experiment_run(lua_State *L, sl_experiment_t *e, json_t **result, sl_error_t *err) {
  sl_experiment_run_t *run;
  int rc = sl_experiment_start(L, e, NULL, NULL, &run, err);
  if (rc == SL_OK) {
    sl_real_t *rt = sl_experiment_driver(run);
    rc = rt != NULL ? sl_real_run(rt, run->sim, err) : sl_sim_run(run->sim, err);
  }
  return sl_experiment_finish(run, rc, result, err);
}
