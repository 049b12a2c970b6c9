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
  sl_esm_finish(sim->esm, sim->now);
  sl__sim_second_at(sim, sim->now > 0 ? sim->now - 1 : 0); /* the series covers the whole run */
}

int64_t sl_sim_iterator_age_ms(const sl_sim_t *sim) {
  size_t i = (size_t)(sim->now / SECOND);
  if (i < sim->second_count && sim->seconds[i].invocations > 0) return sim->seconds[i].iterator_age_ms;
  return i > 0 && i - 1 < sim->second_count ? sim->seconds[i - 1].iterator_age_ms : 0;
}

const sl_summary_t *sl_sim_summary(const sl_sim_t *sim) { return &sim->summary; }
size_t sl_sim_seconds(const sl_sim_t *sim) { return sim->second_count; }
const sl_second_t *sl_sim_second(const sl_sim_t *sim, size_t i) { return i < sim->second_count ? &sim->seconds[i] : NULL; }

sl_shard_second_t sl_sim_shard_second(const sl_sim_t *sim, uint32_t shard, size_t i) {
  sl_shard_second_t none = {0, 0};
  if (shard >= sl_esm_shards(sim->esm) || shard >= sim->shard_series_cap || i >= sim->shard_series[shard].cap)
    return none;
  return sim->shard_series[shard].seconds[i];
}

const sl_shard_summary_t *sl_sim_shard_summary(const sl_sim_t *sim, uint32_t shard) {
  return sl_esm_shard_summary(sim->esm, shard);
}
