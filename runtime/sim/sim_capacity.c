/* sim_capacity.c - an on-demand stream in a run (docs/semantics.md, "Capacity modes"): every simulated
 * second (EV_CAPACITY, at 1 s, 2 s, ...) the scaling policy (on_demand.h) is fed the second's writes (the
 * stream's accepted records and bytes, and refused puts) and its decisions are applied as resharding, which
 * the mapping then sees as any resharding: new readers for the children, parents before children. Only for
 * a stream the run owns: a served stream (stream_shared) is scaled by the server (sl_api_capacity). */
#include <stdlib.h>

#include "on_demand.h"
#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

int sl__sim_capacity_begin(sl_sim_t *sim) {
  if (sl_stream_config(sim->stream)->mode != SL_STREAM_ON_DEMAND || sim->config.stream_shared) return SL_OK;
  sim->on_demand = malloc(sizeof *sim->on_demand);
  if (sim->on_demand == NULL) return SL_ENOMEM;
  sl_on_demand_attach(sim->on_demand, sim->stream);
  return sl_event_queue_push(&sim->events, SECOND, EV_CAPACITY, 0);
}

int sl__sim_capacity(sl_sim_t *sim) {
  uint32_t scaled_to;
  sl_error_t err;
  int rc = sl_on_demand_step(sim->on_demand, sim->stream, sim->config.start_ms + sim->now / 1000, &scaled_to, &err);
  if (rc != SL_OK) {
    sim->failed = 1;
    return sl_error_set(&sim->error, rc, "on-demand scaling: %s", err.message);
  }
  if (scaled_to > 0 && (rc = sl__sim_mappings_add_readers(sim)) != SL_OK) return rc;
  /* Every second while records may still be put: until the producers stop and none waits for its retry. */
  if (sim->now < sim->config.duration_us || !sl__sim_producers_idle(sim))
    return sl_event_queue_push(&sim->events, sim->now + SECOND, EV_CAPACITY, 0);
  return SL_OK;
}

void sl__sim_capacity_free(sl_sim_t *sim) {
  free(sim->on_demand);
  sim->on_demand = NULL;
}
