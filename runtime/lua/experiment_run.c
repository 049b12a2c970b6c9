/* experiment_run.c - runs an experiment: the producers' record functions called in the experiment's Lua
 * state, batches delivered to handler environments (one per slot, from a pool), failed batches to the
 * destination (destination.h), and the result put together (DESIGN 9: {"name", "config", "summary",
 * "timeseries"}; the summary and series come from sim_json.c). */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/arn.h"
#include "shardlab/clock.h"
#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/experiment.h"
#include "lua/experiment_ctx.h"
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
  if (c->e->replays != NULL && c->e->replays[p] != NULL) /* recorded traffic, re-keyed or not */
    return sl_replay_produce(L, c->e->replays[p], p, i, out, &c->buf, &c->buf_cap, err);
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
  memcpy(out->request_id, res->request_id, sizeof out->request_id); /* the on-failure record's requestId */
  out->request_id[sizeof out->request_id - 1] = '\0';
  out->timed_out = res->status == SL_INVOKE_FUNCTION_ERROR && strcmp(res->error_type, "Sandbox.Timedout") == 0;
}

/* The experiment's settings (DESIGN 9's "config"): with several mappings, "mapping" is the first one's and
 * "mappings" lists them all, each with its name. */
static json_t *config_json(const sl_experiment_t *e) {
  json_t *c = json_pack("{s:s,s:f,s:I,s:{s:s,s:i,s:b},s:i,s:o}", "clock",
                        e->env.clock == SL_CLOCK_REAL ? "real" : "virtual", "duration",
                        (double)e->sim.duration_us / 1e6, "seed", (json_int_t)e->sim.seed, "stream", "name",
                        e->sim.stream.name, "shards", (int)e->sim.stream.shard_count, "write_limits",
                        e->sim.stream.write_limits, "producers", (int)e->sim.producer_count, "mapping",
                        sl_run_mapping_config_json(&e->mappings[0]));
  json_object_set_new(json_object_get(c, "stream"), "read_limits", json_boolean(e->sim.stream.read_limits));
  json_t *rates = json_array(); /* records a second each producer was asked for */
  for (uint32_t i = 0; i < e->sim.producer_count; i++) /* a constant: its number; a varying one described */
    json_array_append_new(rates, e->replays[i]               ? sl_replay_json(e->replays[i], e->sim.duration_us)
                                 : e->rates[i].described != NULL ? json_incref(e->rates[i].described)
                                                                 : json_real(e->sim.producers[i].rate));
  json_object_set_new(c, "producer_rates", rates);
  json_t *actions = json_array(); /* the scripted resharding, in the order the file gives it */
  for (uint32_t i = 0; i < e->sim.action_count; i++)
    json_array_append_new(actions, json_pack("{s:f,s:i}", "at", (double)e->sim.actions[i].at_us / 1e6,
                                             "update_shard_count", (int)e->sim.actions[i].update_shard_count));
  json_object_set_new(c, "actions", actions);
  if (e->several) {
    json_t *all = json_array();
    for (uint32_t i = 0; i < e->mapping_count; i++) {
      json_t *m = sl_run_mapping_config_json(&e->mappings[i]);
      json_object_set_new(m, "name", json_string(e->mappings[i].name));
      json_array_append_new(all, m);
    }
    json_object_set_new(c, "mappings", all);
  }
  return c;
}

/* The partition-key strategies of sl.keys the producers used since the last call, as the keys module
 * describes them ('per_entity("user", 100)'), and a fresh count (shardlab/keys.lua, keys.take_used); an empty
 * list when the module was never loaded. A new reference. */
static json_t *take_key_strategies(lua_State *L) {
  json_t *list = json_array();
  int top = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "shardlab.keys") == LUA_TTABLE && lua_getfield(L, -1, "take_used") == LUA_TFUNCTION &&
      sl_env_pcall(L, 0, 1) == LUA_OK && lua_istable(L, -1))
    for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
      json_array_append_new(list, json_string(lua_tostring(L, -1)));
      lua_pop(L, 1);
    }
  lua_settop(L, top);
  return list;
}

/* The simulation's progress callback, passed on with the experiment's name. */
static void show_progress(void *ctx, const sl_sim_t *sim) {
  const sl_experiment_t *e = ctx;
  e->progress(e->progress_ctx, e->name, sim);
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
  e->sim.ctx = c;
  *out = run; /* from here on sl_experiment_finish cleans up, whatever fails */
  if (e->env.clock == SL_CLOCK_REAL || shared != NULL) { /* records arrive, and handlers see sl.now(), at today's time */
    e->env.clock = SL_CLOCK_REAL;
    e->sim.start_ms = sl_clock_wall_ms();
  }
  int rc = sl_run_mappings_create(c, err);
  if (rc == SL_OK && !e->handler_checked) rc = sl_experiment_check(e, err); /* before anything runs */
  if (rc == SL_OK && e->env.clock == SL_CLOCK_REAL) {
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
  sl_arn_stream(c->stream_arn, sizeof c->stream_arn, e->sim.stream.region, e->sim.stream.account_id,
                served ? sl_stream_name(served) : e->sim.stream.name);
  snprintf(c->role_arn, sizeof c->role_arn, "arn:aws:iam::%s:role/shardlab-role", e->sim.stream.account_id);
  if (e->progress != NULL) {
    e->sim.progress = show_progress;
    e->sim.progress_ctx = e;
  }
  sl_experiment_host_t *host = (sl_experiment_host_t *)sl_lua_get_host(L);
  if (host != NULL) sl_rng_seed(&host->rng, e->sim.seed); /* producers' sl.random: the experiment's seed */
  json_decref(take_key_strategies(L)); /* what the file's top level or an earlier run used is not this run's */
  if (rc == SL_OK && served != NULL) {
    e->sim.existing_stream = served;
    e->sim.stream_shared = 1; /* clients read it too */
  }
  else if (rc == SL_OK && e->data_dir != NULL) rc = sl_run_store_open(c, err);
  if (rc == SL_OK) rc = sl_run_mappings_start(c, err); /* pools, destinations, logs */
  if (rc == SL_OK) rc = sl_sim_create(&e->sim, &c->sim, err);
  if (rc == SL_OK && shared != NULL) rc = sl_real_add(shared, c->sim, err);
  return rc;
}

/* {"name", "config", "summary", "timeseries"} and, with several mappings, "mappings": each one's own. */
static json_t *results_json(run_ctx_t *c) {
  sl_experiment_t *e = c->e;
  json_t *summary = sl_sim_summary_json(c->sim);
  json_object_set_new(summary, "errors_by_type", sl_run_errors_json(c));
  if (c->store != NULL) json_object_set_new(summary, "storage", sl_run_store_summary(c));
  json_t *config = config_json(e);
  json_object_set_new(config, "key_strategies", take_key_strategies(c->L));
  json_t *mappings = NULL;
  if (e->several) {
    mappings = json_array();
    for (uint32_t i = 0; i < c->map_count; i++) json_array_append_new(mappings, sl_run_mapping_result(c, i));
  } else { /* the lone mapping's dead letters */
    json_t *dead_letters = sl_run_dead_letters_json(&c->maps[0]);
    if (dead_letters != NULL) json_object_set_new(summary, "on_failure_stream", dead_letters);
  }
  json_t *result = json_pack("{s:s,s:o,s:o,s:o}", "name", e->name, "config", config, "summary", summary,
                             "timeseries", sl_sim_series_json(c->sim));
  if (mappings != NULL) json_object_set_new(result, "mappings", mappings);
  return result;
}

sl_sim_t *sl_experiment_sim(sl_experiment_run_t *run) { return run->sim; }
sl_real_t *sl_experiment_driver(sl_experiment_run_t *run) { return run->owns_rt ? run->rt : NULL; }

int sl_experiment_finish(sl_experiment_run_t *run, int rc, json_t **result, sl_error_t *err) {
  *result = NULL;
  if (run == NULL) return rc;
  run_ctx_t *c = run;
  sl_experiment_t *e = c->e;
  if (rc == SL_OK && (*result = results_json(c)) == NULL)
    rc = sl_error_set(err, SL_ENOMEM, "out of memory building the results");
  if (e->progress != NULL) e->progress(e->progress_ctx, e->name, NULL); /* the run has ended */
  sl_sim_destroy(c->sim);
  rc = sl_run_mappings_free(c, rc, err); /* destinations, environments, logs */
  if (c->store != NULL) {
    sl_error_t close_err;
    if (sl_run_store_close(c, &close_err) != SL_OK && rc == SL_OK)
      rc = sl_error_set(err, close_err.code, "stream.data_dir: %s", close_err.message);
  }
  if (c->owns_rt) sl_real_destroy(c->rt);
  free(c->buf);
  free(c);
  if (rc != SL_OK) {
    json_decref(*result);
    *result = NULL;
  }
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
