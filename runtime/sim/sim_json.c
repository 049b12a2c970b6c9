/* sim_json.c - a run's results as JSON (DESIGN 9): the summary object, with the figures of every shard, and
 * the series of seconds, with each shard's writes. The names are the contract of --json and the reports. */
#include <math.h>

#include "shardlab/sim.h"

/* AWS's EventCount metrics under the names of the summary and the series (DESIGN 9). */
static void set_event_counts(json_t *j, const sl_event_counts_t *e) {
  json_object_set_new(j, "polled_event_count", json_integer((json_int_t)e->polled));
  json_object_set_new(j, "filtered_out_event_count", json_integer((json_int_t)e->filtered_out));
  json_object_set_new(j, "failed_invoke_event_count", json_integer((json_int_t)e->failed_invoke));
  json_object_set_new(j, "dropped_event_count", json_integer((json_int_t)e->dropped));
  json_object_set_new(j, "on_failure_destination_delivered_event_count",
                      json_integer((json_int_t)e->destination_delivered));
}

/* The id of the shard at index, or null (index -1: no such parent). */
static json_t *shard_id_json(const sl_stream_t *stream, int32_t index) {
  return index >= 0 ? json_string(sl_stream_shard(stream, (uint32_t)index)->id) : json_null();
}

/* One shard's figures, whether it is still open at the end of the run, and its parents' ids. pf: the
 * mapping's parallelization factor with ordering lanes (its lanes' keys are shown), else 0. */
static json_t *shard_json(const sl_stream_t *stream, const sl_shard_t *shard, const sl_shard_summary_t *sh,
                          uint32_t pf) {
  json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:i}", "shard", shard->id, "records_in", (json_int_t)sh->records_in,
                        "bytes_in", (json_int_t)sh->bytes_in, "distinct_keys", (json_int_t)sh->distinct_keys,
                        "lanes_used", (int)sh->lanes_used);
  if (pf > 0) {
    json_t *lanes = json_array();
    for (uint32_t l = 0; l < pf; l++) json_array_append_new(lanes, json_integer(sh->lane_keys[l]));
    json_object_set_new(j, "lane_keys", lanes);
  }
  json_object_set_new(j, "open", json_boolean(shard->open));
  json_object_set_new(j, "parent", shard_id_json(stream, shard->parent));
  json_object_set_new(j, "adjacent_parent", shard_id_json(stream, shard->adjacent_parent));
  return j;
}

/* The most shards open at once: at each shard's creation, the shards created by then and not closed by then
 * (a parent closes when its children open, at the same time). */
static uint32_t max_open_shards(const sl_stream_t *stream) {
  uint32_t total = sl_stream_shard_total(stream), most = 0;
  for (uint32_t i = 0; i < total; i++) {
    int64_t t = sl_stream_shard(stream, i)->created_ms;
    uint32_t open = 0;
    for (uint32_t k = 0; k < total; k++) {
      const sl_shard_t *other = sl_stream_shard(stream, k);
      if (other->created_ms <= t && (other->closed_ms < 0 || other->closed_ms > t)) open++;
    }
    if (open > most) most = open;
  }
  return most;
}

/* The lanes whose keys a mapping's shards show: its PF with ordering lanes, else 0. */
static uint32_t lanes_shown(const sl_mapping_config_t *m) {
  return m != NULL && m->ordering == SL_ORDERING_LANES ? m->parallelization_factor : 0;
}

/* The shards' figures: the run's (mapping -1) or one mapping's. */
static json_t *shards_json(const sl_sim_t *sim, int mapping) {
  json_t *shards = json_array();
  const sl_stream_t *stream = sl_sim_stream(sim);
  uint32_t pf = lanes_shown(sl_sim_mapping_config(sim, mapping < 0 ? 0 : (uint32_t)mapping));
  if (mapping < 0 && sl_sim_mapping_count(sim) > 1) pf = 0; /* lanes belong to each mapping */
  for (uint32_t i = 0; i < sl_stream_shard_total(stream); i++) {
    const sl_shard_summary_t *sh = mapping < 0 ? sl_sim_shard_summary(sim, i)
                                               : sl_sim_mapping_shard_summary(sim, (uint32_t)mapping, i);
    if (sh == NULL) continue;
    json_array_append_new(shards, shard_json(stream, sl_stream_shard(stream, i), sh, pf));
  }
  return shards;
}

/* What the mapping side of a summary holds (the run's, or one mapping's). */
static void set_mapping_figures(json_t *j, const sl_summary_t *s) {
  json_object_set_new(j, "records_delivered", json_integer((json_int_t)s->records_delivered));
  json_object_set_new(j, "deliveries", json_integer((json_int_t)s->deliveries));
  json_object_set_new(j, "invocations", json_integer((json_int_t)s->invocations));
  json_object_set_new(j, "errors", json_integer((json_int_t)s->errors));
  json_object_set_new(j, "max_concurrency", json_integer(s->max_concurrency));
  json_object_set_new(j, "mean_concurrency", json_real((double)llround(s->mean_concurrency * 1000) / 1000));
  json_object_set_new(j, "max_iterator_age_ms", json_integer(s->max_iterator_age_ms));
  json_object_set_new(j, "retries", json_integer((json_int_t)s->retries));
  json_object_set_new(j, "timeouts", json_integer((json_int_t)s->timeouts));
  json_object_set_new(j, "duplicate_deliveries", json_integer((json_int_t)s->duplicate_deliveries));
  json_object_set_new(j, "windows_closed", json_integer((json_int_t)s->windows_closed));
  json_object_set_new(j, "records_failed", json_integer((json_int_t)s->records_failed));
  json_object_set_new(j, "records_filtered", json_integer((json_int_t)s->records_filtered));
  json_object_set_new(j, "records_expired", json_integer((json_int_t)s->records_expired));
  json_object_set_new(j, "cold_starts", json_integer((json_int_t)s->cold_starts));
  json_object_set_new(j, "read_throttles", json_integer((json_int_t)s->read_throttles));
  set_event_counts(j, &s->events);
}

json_t *sl_sim_summary_json(const sl_sim_t *sim) {
  const sl_summary_t *s = sl_sim_summary(sim);
  const sl_stream_t *stream = sl_sim_stream(sim);
  json_t *j = json_object();
  json_object_set_new(j, "records_put", json_integer((json_int_t)s->records_put));
  json_object_set_new(j, "records_offered", json_integer((json_int_t)s->records_offered));
  json_object_set_new(j, "records_not_sent", json_integer((json_int_t)s->records_not_sent));
  json_object_set_new(j, "records_throttled", json_integer((json_int_t)s->records_throttled));
  json_object_set_new(j, "kinesis_records_put", json_integer((json_int_t)s->kinesis_records_put));
  json_object_set_new(j, "producer_requests", json_integer((json_int_t)s->producer_requests));
  json_object_set_new(j, "producer_retries", json_integer((json_int_t)s->producer_retries));
  json_object_set_new(j, "producer_dropped", json_integer((json_int_t)s->producer_dropped));
  set_mapping_figures(j, s);
  json_object_set_new(j, "duration_s", json_real((double)s->ended_us / 1e6));
  json_object_set_new(j, "interrupted", json_boolean(s->interrupted));
  json_object_set_new(j, "shards_open", json_integer(sl_stream_open_count(stream)));
  json_object_set_new(j, "shards_max_open", json_integer(max_open_shards(stream)));
  json_object_set_new(j, "shards", shards_json(sim, -1));
  return j;
}

json_t *sl_sim_mapping_summary_json(const sl_sim_t *sim, uint32_t mapping) {
  const sl_summary_t *s = sl_sim_mapping_summary(sim, mapping);
  if (s == NULL) return NULL;
  json_t *j = json_object();
  set_mapping_figures(j, s);
  json_object_set_new(j, "shards", shards_json(sim, (int)mapping));
  return j;
}

/* A second: the mapping's columns and, for the run's row (per_shard not NULL, taken), the writes. */
static json_t *second_row(size_t t, const sl_second_t *s, json_t *per_shard) {
  json_t *row = json_pack("{s:I,s:i,s:i,s:i,s:i,s:I}", "t", (json_int_t)t, "concurrency", (int)s->concurrency,
                          "invocations", (int)s->invocations, "errors", (int)s->errors, "throttles",
                          (int)s->throttles, "iterator_age_ms", (json_int_t)s->iterator_age_ms);
  if (per_shard != NULL) {
    json_object_set_new(row, "records_in", json_integer((json_int_t)s->records_in));
    json_object_set_new(row, "records_throttled", json_integer((json_int_t)s->records_throttled));
    json_object_set_new(row, "shards", per_shard);
  }
  json_object_set_new(row, "records_delivered", json_integer((json_int_t)s->records_delivered));
  json_object_set_new(row, "read_throttles", json_integer((json_int_t)s->read_throttles));
  set_event_counts(row, &s->events);
  return row;
}

json_t *sl_sim_series_json(const sl_sim_t *sim) {
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
    json_t *row = second_row(i, s, per_shard);
    if (sl_sim_batching(sim)) json_object_set_new(row, "producer_buffered", json_integer((json_int_t)s->producer_buffered));
    json_array_append_new(rows, row);
  }
  return rows;
}

json_t *sl_sim_mapping_series_json(const sl_sim_t *sim, uint32_t mapping) {
  if (mapping >= sl_sim_mapping_count(sim)) return NULL;
  json_t *rows = json_array();
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) {
    const sl_second_t *s = sl_sim_mapping_second(sim, mapping, i);
    if (s != NULL) json_array_append_new(rows, second_row(i, s, NULL));
  }
  return rows;
}
