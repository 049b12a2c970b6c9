/* sim_metrics.c - the run's metrics (DESIGN 9): a row per second, the time-weighted mean concurrency, and
 * the summary and per-shard figures gathered at the end. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim/sim_internal.h"

sl_second_t *sl_sim_second_at(sl_sim_t *sim, int64_t at_us) {
  size_t i = (size_t)(at_us / 1000000);
  sl_second_t *seconds = sl_grow_zeroed(sim->seconds, &sim->second_cap, i, sizeof *sim->seconds, 64);
  if (seconds == NULL) return NULL;
  sim->seconds = seconds;
  if (i >= sim->second_count) sim->second_count = i + 1;
  return &sim->seconds[i];
}

void sl_sim_running_changed(sl_sim_t *sim, int delta) {
  sim->concurrency_area += (double)sim->running * (double)(sim->now - sim->concurrency_since);
  sim->concurrency_since = sim->now;
  sim->running = (uint32_t)((int)sim->running + delta);
  if (sim->running > sim->summary.max_concurrency) sim->summary.max_concurrency = sim->running;
}

void sl_sim_finish_metrics(sl_sim_t *sim) {
  sl_sim_running_changed(sim, 0);
  sl_summary_t *sum = &sim->summary;
  sum->ended_us = sim->now;
  sum->mean_concurrency = sim->now > 0 ? sim->concurrency_area / (double)sim->now : 0;
  sl_sim_second_at(sim, sim->now > 0 ? sim->now - 1 : 0); /* the series covers the whole run */
  uint32_t pf = sim->config.mapping.parallelization_factor;
  for (uint32_t i = 0; i < sim->reader_count; i++) {
    const sl_shard_t *shard = sl_stream_shard(sim->stream, i);
    sl_shard_summary_t *s = &sim->shard_summaries[i];
    s->records_in = shard->stats.records_in;
    s->bytes_in = shard->stats.bytes_in;
    s->lanes_used = 0;
    for (uint32_t l = 0; l < pf; l++) s->lanes_used += sim->readers[i].slots[l].used != 0;
  }
}
