/* experiment_mapping.c - each mapping of a running experiment (`mapping`, or every entry of `mappings`): its
 * handler loaded before the clock starts, its pool of environments (one per slot) that batches are invoked on,
 * its on-failure destination (destination.h) and log file, its errors grouped by type, and its part of the
 * results (config, and with several mappings a section of its own). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/experiment_ctx.h"
#include "lua/lua_event.h"

/* --- invocations ---------------------------------------------------------------------------------------- */

static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  run_mapping_t *rm = ctx;
  run_ctx_t *c = rm->c;
  if (b->count > rm->records_cap) {
    size_t cap = b->count * 2;
    sl_event_record_t *r = realloc(rm->records, cap * sizeof *r);
    if (r != NULL) rm->records = r;
    char(*s)[SL_SEQNUM_DECIMAL_SIZE] = realloc(rm->seqs, cap * sizeof *s);
    if (s != NULL) rm->seqs = s;
    if (r == NULL || s == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    rm->records_cap = cap;
  }
  sl_run_event_records(b, rm->records, rm->seqs);
  sl_event_source_t src = {b->shard->id, c->e->sim.stream.region, c->stream_arn, c->role_arn};
  int64_t now_us = c->e->sim.start_ms * 1000 + start_us;
  sl_invocation_t inv = {&src, rm->records, b->count, NULL, rm->m->report_batch_item_failures, now_us, b->window};
  sl_invoke_result_t res;
  int rc = sl_env_pool_invoke(rm->pool, b->slot, now_us, &inv, &res, err);
  if (rc != SL_OK) return rc;
  sl_run_note_error(rm, &res);
  sl_run_note_timeout(rm, b->slot, b->shard->id, b->lane, &res);
  sl_run_outcome(&res, out);
  sl_invoke_result_clear(&res);
  return SL_OK;
}

/* Failed batches go to the mapping's on-failure destination (destination.h). */
static int on_failure(void *ctx, const sl_failure_t *f, sl_error_t *err) {
  run_mapping_t *rm = ctx;
  return sl_destination_send(rm->destination, f, err);
}

/* --- errors and timeouts -------------------------------------------------------------------------------- */

/* Where a message or a stack trace line starts "FILE:LINE:", FILE:LINE into out; 0 when it does not. */
static int position(const char *s, char *out, size_t size) {
  const char *nl = strchr(s, '\n');
  for (const char *p = strchr(s, ':'); p != NULL && (nl == NULL || p < nl); p = strchr(p + 1, ':')) {
    const char *q = p + 1;
    while (isdigit((unsigned char)*q)) q++;
    if (q > p + 1 && *q == ':' && p > s) {
      snprintf(out, size, "%.*s", (int)(q - s), s);
      return 1;
    }
  }
  return 0;
}

/* FILE:LINE of a function error (Lambda's JSON form): its message's, else the first Lua frame of its trace. */
static json_t *where_of(const json_t *error) {
  char where[512];
  const char *msg = json_string_value(json_object_get(error, "errorMessage"));
  if (msg != NULL && position(msg, where, sizeof where)) return json_string(where);
  size_t i;
  json_t *line;
  json_array_foreach(json_object_get(error, "stackTrace"), i, line) {
    const char *t = json_string_value(line);
    if (t != NULL && strncmp(t, "[C]", 3) != 0 && position(t, where, sizeof where)) return json_string(where);
  }
  return json_null();
}

void sl_run_note_error(run_mapping_t *rm, const sl_invoke_result_t *res) {
  if (res->status != SL_INVOKE_FUNCTION_ERROR || rm->errors == NULL) return;
  const char *type = res->error_type[0] != '\0' ? res->error_type : "Unknown";
  json_t *entry = json_object_get(rm->errors, type);
  if (entry != NULL) {
    json_object_set_new(entry, "count", json_integer(json_integer_value(json_object_get(entry, "count")) + 1));
    return;
  }
  json_t *error = res->error_json != NULL ? json_loads(res->error_json, 0, NULL) : NULL;
  const char *msg = json_string_value(json_object_get(error, "errorMessage"));
  json_object_set_new(rm->errors, type, json_pack("{s:I,s:s,s:o}", "count", (json_int_t)1, "first_message",
                                                  msg != NULL ? msg : "", "where", where_of(error)));
  json_decref(error);
}

#define WARNED 255

void sl_run_note_timeout(run_mapping_t *rm, uint32_t slot, const char *shard_id, uint32_t lane,
                         const sl_invoke_result_t *res) {
  int timed_out = res->status == SL_INVOKE_FUNCTION_ERROR && strcmp(res->error_type, "Sandbox.Timedout") == 0;
  if (slot >= rm->timeouts_cap) {
    if (!timed_out) return;
    size_t cap = (size_t)slot * 2 + 8;
    unsigned char *t = realloc(rm->timeouts_in_row, cap);
    if (t == NULL) return; /* out of memory: no warning, nothing else lost */
    memset(t + rm->timeouts_cap, 0, cap - rm->timeouts_cap);
    rm->timeouts_in_row = t;
    rm->timeouts_cap = cap;
  }
  unsigned char *n = &rm->timeouts_in_row[slot];
  if (*n == WARNED) return;
  if (!timed_out) {
    *n = 0;
    return;
  }
  if (++*n < 3) return;
  *n = WARNED;
  json_t *error = res->error_json != NULL ? json_loads(res->error_json, 0, NULL) : NULL, *where = where_of(error);
  char whose[160] = "";
  if (rm->c->e->several) snprintf(whose, sizeof whose, "mapping '%s': ", rm->m->name);
  fprintf(stderr, /* on a terminal, over the progress line, which is drawn again after */
          "%sshardlab: warning: experiment '%s': %s%s lane %u timed out 3 times in a row (timeout %g s), stopped at "
          "%s each time: a handler that does not return makes every retry last the whole timeout, in real time\n",
          isatty(STDERR_FILENO) ? "\r\033[K" : "", rm->c->e->name, whose, shard_id, lane, rm->m->env.timeout_s,
          json_is_string(where) ? json_string_value(where) : rm->m->handler_path);
  json_decref(where);
  json_decref(error);
}

/* The errors of every mapping together: counts added up, the first message and place of the first mapping
 * that had the type. A new reference. */
json_t *sl_run_errors_json(const run_ctx_t *c) {
  if (c->map_count == 1) return json_incref(c->maps[0].errors);
  json_t *all = json_object();
  for (uint32_t i = 0; i < c->map_count; i++) {
    const char *type;
    json_t *entry;
    json_object_foreach(c->maps[i].errors, type, entry) {
      json_t *seen = json_object_get(all, type);
      if (seen == NULL) {
        json_object_set_new(all, type, json_deep_copy(entry));
        continue;
      }
      json_int_t n = json_integer_value(json_object_get(seen, "count")) + json_integer_value(json_object_get(entry, "count"));
      json_object_set_new(seen, "count", json_integer(n));
    }
  }
  return all;
}

/* --- before the clock starts ---------------------------------------------------------------------------- */

/* Every mapping's environments run on the experiment's clock, from its seed (--clock, --seed). */
static void share_env(sl_experiment_t *e) {
  for (uint32_t i = 0; i < e->mapping_count; i++) {
    e->mappings[i].env.clock = e->env.clock;
    e->mappings[i].env.seed = e->env.seed;
  }
}

int sl_experiment_check(sl_experiment_t *e, sl_error_t *err) {
  share_env(e);
  int rc = SL_OK;
  for (uint32_t i = 0; i < e->mapping_count && rc == SL_OK; i++) {
    sl_experiment_mapping_t *m = &e->mappings[i];
    sl_invoke_result_t res;
    rc = sl_env_check(&m->env, e->sim.start_ms * 1000, &res, err);
    if (rc == SL_EINVAL) {
      json_t *error = res.error_json != NULL ? json_loads(res.error_json, 0, NULL) : NULL;
      const char *msg = json_string_value(json_object_get(error, "errorMessage"));
      rc = sl_error_set(err, SL_EINVAL, "experiment '%s': %s.handler %s cannot be loaded (%s): %s", e->name, m->path,
                        m->handler_path, res.error_type, msg != NULL ? msg : "(no message)");
      json_decref(error);
    }
    sl_invoke_result_clear(&res);
  }
  e->handler_checked = rc == SL_OK;
  return rc;
}

static void write_log(void *data, const char *line, size_t len) {
  run_mapping_t *rm = data;
  pthread_mutex_lock(&rm->log_lock);
  fwrite(line, 1, len, rm->logs);
  fputc('\n', rm->logs);
  pthread_mutex_unlock(&rm->log_lock);
}

/* A mapping's destination, log file and pool of environments; its callbacks in the simulation's view. */
static int start_mapping(run_ctx_t *c, run_mapping_t *rm, sl_sim_mapping_t *sm, sl_error_t *err) {
  sl_experiment_t *e = c->e;
  sl_experiment_mapping_t *m = rm->m;
  int rc = SL_OK;
  sl_arn_function(rm->function_arn, sizeof rm->function_arn, m->env.region, m->env.account_id, m->env.function_name);
  if (m->on_failure_path != NULL || m->on_failure_stream != NULL || m->on_failure_s3 != NULL) {
    sl_destination_config_t dc = {.file = m->on_failure_path, .stream = m->on_failure_stream,
                                  .s3_dir = m->on_failure_s3, .function_arn = rm->function_arn,
                                  .stream_arn = c->stream_arn, .region = e->sim.stream.region,
                                  .role_arn = c->role_arn, .mapping_name = m->name, .start_ms = e->sim.start_ms,
                                  .seed = e->sim.seed};
    rc = sl_destination_open(&dc, &rm->destination, err);
  }
  if (rc == SL_OK && m->logs_path != NULL && (rm->logs = fopen(m->logs_path, "w")) == NULL)
    rc = sl_error_set(err, SL_EIO, "%s.logs: cannot open %s for writing", m->path, m->logs_path);
  if (rm->logs != NULL) {
    m->env.log = write_log;
    m->env.log_data = rm;
  }
  if (rc == SL_OK) rc = sl_env_pool_create(&m->env, m->idle_timeout_us, &rm->pool, err);
  if (rc == SL_OK && m->provisioned_concurrency > 0)
    rc = sl_env_pool_provision(rm->pool, m->provisioned_concurrency, e->sim.start_ms * 1000, err);
  *sm = (sl_sim_mapping_t){m->config, e->env.clock == SL_CLOCK_REAL ? sl_run_invoke_real : invoke,
                           rm->destination != NULL ? on_failure : NULL, rm, rm->resume_next, rm->resume_frontier,
                           rm->resume_next != NULL ? rm->resume_count : 0};
  return rc;
}

int sl_run_mappings_create(run_ctx_t *c, sl_error_t *err) {
  share_env(c->e);
  uint32_t n = c->e->mapping_count;
  c->maps = calloc(n, sizeof *c->maps);
  c->sim_maps = calloc(n, sizeof *c->sim_maps);
  if (c->maps == NULL || c->sim_maps == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  c->map_count = n;
  for (uint32_t i = 0; i < n; i++) {
    run_mapping_t *rm = &c->maps[i];
    *rm = (run_mapping_t){.c = c, .m = &c->e->mappings[i], .index = i, .errors = json_object()};
    rm->lock_ready = pthread_mutex_init(&rm->log_lock, NULL) == 0;
    if (rm->errors == NULL || !rm->lock_ready) return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  return SL_OK;
}

int sl_run_mappings_start(run_ctx_t *c, sl_error_t *err) {
  sl_experiment_t *e = c->e;
  int rc = SL_OK;
  for (uint32_t i = 0; i < c->map_count && rc == SL_OK; i++) rc = start_mapping(c, &c->maps[i], &c->sim_maps[i], err);
  e->sim.mappings = c->sim_maps;
  e->sim.mapping_count = c->map_count;
  return rc;
}

/* --- results -------------------------------------------------------------------------------------------- */

json_t *sl_run_mapping_config_json(const sl_experiment_mapping_t *em) {
  const sl_mapping_config_t *m = &em->config;
  static const char *const positions[] = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                          "AT_TIMESTAMP"};
  json_t *j = json_pack("{s:i,s:f,s:i,s:s,s:i,s:i,s:s,s:i,s:f}", "batch_size", (int)m->batch_size, "batching_window",
                        (double)m->batching_window_us / 1e6, "parallelization_factor", (int)m->parallelization_factor,
                        "ordering", m->ordering == SL_ORDERING_KEYS ? "keys" : "lanes", "reserved_concurrency",
                        (int)m->reserved_concurrency, "account_concurrency", (int)m->account_concurrency,
                        "starting_position", positions[m->starting_position], "memory_mb", (int)em->env.memory_mb,
                        "timeout", em->env.timeout_s);
  json_object_set_new(j, "consumer", json_string(m->consumer == SL_CONSUMER_EFO ? "efo" : "standard"));
  json_object_set_new(j, "handler", json_string(em->handler));
  /* What to do with failures and windows: experiments often differ only in these (the report compares them). */
  json_object_set_new(j, "maximum_retry_attempts", json_integer(m->maximum_retry_attempts));
  json_object_set_new(j, "maximum_record_age",
                      m->maximum_record_age_us < 0 ? json_integer(-1) : json_real((double)m->maximum_record_age_us / 1e6));
  json_object_set_new(j, "bisect_on_error", json_boolean(m->bisect_on_error));
  json_object_set_new(j, "report_batch_item_failures", json_boolean(em->report_batch_item_failures));
  json_object_set_new(j, "retry_blocks", json_string(m->retry_blocks_shard ? "shard" : "lane"));
  json_object_set_new(j, "tumbling_window", json_real((double)m->tumbling_window_us / 1e6));
  return j;
}

json_t *sl_run_dead_letters_json(const run_mapping_t *rm) {
  const sl_stream_t *dead_letters = sl_destination_stream(rm->destination);
  if (dead_letters == NULL) return NULL;
  return json_pack("{s:s,s:I}", "name", rm->m->on_failure_stream, "records_in",
                   (json_int_t)sl_stream_shard(dead_letters, 0)->stats.records_in);
}

json_t *sl_run_mapping_result(const run_ctx_t *c, uint32_t i) {
  const run_mapping_t *rm = &c->maps[i];
  json_t *summary = sl_sim_mapping_summary_json(c->sim, i);
  if (summary == NULL) return NULL;
  json_object_set(summary, "errors_by_type", rm->errors);
  json_t *dead_letters = sl_run_dead_letters_json(rm);
  if (dead_letters != NULL) json_object_set_new(summary, "on_failure_stream", dead_letters);
  json_t *config = sl_run_mapping_config_json(rm->m);
  json_object_set_new(config, "name", json_string(rm->m->name));
  return json_pack("{s:s,s:o,s:o,s:o}", "name", rm->m->name, "config", config, "summary", summary, "timeseries",
                   sl_sim_mapping_series_json(c->sim, i));
}

/* --- the end -------------------------------------------------------------------------------------------- */

int sl_run_mappings_free(run_ctx_t *c, int rc, sl_error_t *err) {
  for (uint32_t i = 0; c->maps != NULL && i < c->map_count; i++) {
    run_mapping_t *rm = &c->maps[i];
    sl_error_t dest_err;
    if (sl_destination_close(rm->destination, &dest_err) != SL_OK && rc == SL_OK) {
      if (err != NULL) *err = dest_err;
      rc = dest_err.code;
    }
    sl_env_pool_destroy(rm->pool); /* before the log file closes: nothing logs after this */
    if (rm->logs != NULL && fclose(rm->logs) != 0 && rc == SL_OK)
      rc = sl_error_set(err, SL_EIO, "%s.logs: cannot write %s", rm->m->path, rm->m->logs_path);
    if (rm->lock_ready) pthread_mutex_destroy(&rm->log_lock);
    json_decref(rm->errors);
    free(rm->timeouts_in_row);
    free(rm->records);
    free(rm->seqs);
    free(rm->resume_next);
    free(rm->resume_frontier);
  }
  free(c->maps);
  free(c->sim_maps);
  c->maps = NULL;
  c->sim_maps = NULL;
  return rc;
}
