/* sim_metrics.c - the run's metrics (DESIGN 9): a row per second, each shard's writes per second, and the end
 * of the run's figures (the mapping closes its own: concurrency, the figures per shard). */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

sl_second_t *sl__sim_second_at(sl_sim_t *sim, int64_t at_us) {
  size_t i = (size_t)(at_us / SECOND);
  sl_second_t *seconds = sl_grow_zeroed(sim->seconds, &sim->second_cap, i, sizeof *sim->seconds, 64);
  if (seconds == NULL) return NULL;
  sim->seconds = seconds;
  if (i >= sim->second_count) sim->second_count = i + 1;
  return &sim->seconds[i];
}

int sl__sim_count_shard_write(sl_sim_t *sim, uint32_t shard, size_t bytes) {
  sl__shard_series_t *all = sl_grow_zeroed(sim->shard_series, &sim->shard_series_cap, shard, sizeof *all, 16);
  if (all == NULL) return SL_ENOMEM;
  sim->shard_series = all;
  sl__shard_series_t *series = &all[shard];
  size_t i = (size_t)(sim->now / SECOND);
  sl_shard_second_t *seconds = sl_grow_zeroed(series->seconds, &series->cap, i, sizeof *series->seconds, 64);
  if (seconds == NULL) return SL_ENOMEM;
  series->seconds = seconds;
  series->seconds[i].records_in++;
  series->seconds[i].bytes_in += bytes;
  return SL_OK;
}

void sl__sim_finish_metrics(sl_sim_t *sim) {
  sim->summary.ended_us = sim->now;
  for (uint32_t i = 0; i < sim->mapping_count; i++) sl_esm_finish(sim->mappings[i].esm, sim->now);
  sl__sim_mappings_total(sim, 1);
  sl__sim_second_at(sim, sim->now > 0 ? sim->now - 1 : 0); /* the series covers the whole run */
}

/* A mapping's iterator age now: that of this second when a batch started in it, else the last second's. */
static int64_t age_now(const sl_sim_t *sim, uint32_t mapping, size_t i) {
  const sl_second_t *s = sl_sim_mapping_second(sim, mapping, i);
  if (s != NULL && s->invocations > 0) return s->iterator_age_ms;
  s = i > 0 ? sl_sim_mapping_second(sim, mapping, i - 1) : NULL;
  return s != NULL ? s->iterator_age_ms : 0;
}

int64_t sl_sim_iterator_age_ms(const sl_sim_t *sim) {
  size_t i = (size_t)(sim->now / SECOND);
  int64_t age = 0;
  for (uint32_t m = 0; m < sim->mapping_count; m++) {
    int64_t a = age_now(sim, m, i);
    if (a > age) age = a;
  }
  return age;
}

const sl_summary_t *sl_sim_summary(const sl_sim_t *sim) { return &sim->summary; }
size_t sl_sim_seconds(const sl_sim_t *sim) { return sim->second_count; }
const sl_second_t *sl_sim_second(const sl_sim_t *sim, size_t i) { return i < sim->second_count ? &sim->seconds[i] : NULL; }

sl_shard_second_t sl_sim_shard_second(const sl_sim_t *sim, uint32_t shard, size_t i) {
  sl_shard_second_t none = {0, 0};
  if (shard >= sl__sim_mappings_shards(sim) || shard >= sim->shard_series_cap || i >= sim->shard_series[shard].cap)
    return none;
  return sim->shard_series[shard].seconds[i];
}
