/* sim.c - an experiment run: its configuration and checks, the stream and the mappings it hosts (scheduling
 * their callbacks on its event queue), scripted resharding (an on-demand stream's own scaling is in
 * sim_capacity.c), the event loop of the virtual clock and the steps the real clock drives, and the end of the
 * run (everything delivered after the producers stop, or the drain timeout). Producers are in sim_producers.c,
 * the mappings in sim_mappings.c, metrics in sim_metrics.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

void sl_sim_config_init(sl_sim_config_t *c) {
  memset(c, 0, sizeof *c);
  sl_stream_config_init(&c->stream);
  sl_mapping_config_init(&c->mapping);
  c->start_ms = INT64_C(1704067200000); /* 2024-01-01T00:00:00Z */
  c->duration_us = 60 * SECOND;
  c->drain_timeout_us = 600 * SECOND;
  c->producer_backoff_us = SECOND / 10;
  c->seed = 1;
}

static int check(const sl_sim_config_t *c, sl_error_t *err) {
  int rc = c->mapping_count == 0 ? sl_mapping_config_check(&c->mapping, err) : SL_OK;
  if (rc != SL_OK) return rc;
  if (c->duration_us < 1) return sl_error_set(err, SL_EINVAL, "duration must be positive");
  if (c->drain_timeout_us < 0) return sl_error_set(err, SL_EINVAL, "drain_timeout must not be negative");
  for (uint32_t i = 0; i < c->producer_count; i++)
    if (c->producers[i].schedule == NULL && (!(c->producers[i].rate > 0) || !isfinite(c->producers[i].rate)))
      return sl_error_set(err, SL_EINVAL, "producers[%u].rate must be a positive number of records per second",
                          i + 1);
  for (uint32_t i = 0; i < c->producer_count; i++) {
    const sl_batching_config_t *b = &c->producers[i].batching;
    if (c->producers[i].mode == SL_PRODUCER_BATCHING &&
        (b->max_buffered_time_us < 0 || b->record_ttl_us < 1 || b->collection_max_count < 1 ||
         b->collection_max_count > 500 || b->collection_max_size < 1 || b->collection_max_size > 5242880 ||
         b->max_outstanding < 1 || b->request_time_us < 1))
      return sl_error_set(err, SL_EINVAL, "producers[%u]: a batching producer needs max_buffered_time >= 0, "
                          "record_ttl > 0, collection_max_count 1..500, collection_max_size 1..5 MiB, "
                          "max_outstanding >= 1 and request_time > 0", i + 1);
  }
  for (uint32_t i = 0; i < c->action_count; i++)
    if (c->actions[i].at_us < 0) return sl_error_set(err, SL_EINVAL, "actions[%u].at must not be negative", i + 1);
  /* Each of several mappings is checked as it is created (sl__sim_mappings_create names which). */
  if (c->produce == NULL || (c->mapping_count == 0 && c->invoke == NULL))
    return sl_error_set(err, SL_EINVAL, "the simulation needs produce and invoke callbacks");
  return SL_OK;
}

/* --- creation ------------------------------------------------------------------------------------------- */

int sl_sim_create(const sl_sim_config_t *c, sl_sim_t **out, sl_error_t *err) {
  *out = NULL;
  int rc = check(c, err);
  if (rc != SL_OK) return rc;
  sl_sim_t *sim = calloc(1, sizeof *sim);
  if (sim == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  sim->config = *c;
  sl_event_queue_init(&sim->events);
  sim->producer_configs = calloc(c->producer_count + 1, sizeof *sim->producer_configs);
  sim->producers = calloc(c->producer_count + 1, sizeof *sim->producers);
  sim->actions = calloc(c->action_count + 1, sizeof *sim->actions);
  if (!sim->producer_configs || !sim->producers || !sim->actions) {
    sl_sim_destroy(sim);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  if (c->producer_count) memcpy(sim->producer_configs, c->producers, c->producer_count * sizeof *c->producers);
  if (c->action_count) memcpy(sim->actions, c->actions, c->action_count * sizeof *c->actions);
  sim->config.producers = sim->producer_configs;
  sim->config.actions = sim->actions;
  for (uint32_t p = 0; rc == SL_OK && p < c->producer_count; p++)
    if (c->producers[p].mode == SL_PRODUCER_BATCHING && (rc = sl__sim_batching_create(sim, p)) != SL_OK)
      sl_error_set(err, rc, "%s", rc == SL_ENOMEM ? "out of memory" : sim->error.message);
  if (rc == SL_OK && c->existing_stream != NULL) {
    sim->stream = c->existing_stream;
  } else if (rc == SL_OK) {
    sl_stream_config_t sc = c->stream;
    sc.created_ms = c->start_ms;
    rc = sl_stream_create(&sc, &sim->stream, err);
  }
  if (rc == SL_OK) rc = sl__sim_mappings_create(sim, err);
  sim->config.mappings = NULL; /* copied into sim->mappings: the caller's array need not outlive the call */
  if (rc != SL_OK) {
    sl_sim_destroy(sim);
    return rc;
  }
  sim->checkpoint_second = -1;
  sim->rng = c->seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
  *out = sim;
  return SL_OK;
}

void sl_sim_destroy(sl_sim_t *sim) {
  if (sim == NULL) return;
  sl__sim_producers_free(sim);
  sl__sim_mappings_free(sim);
  sl__sim_capacity_free(sim);
  sl_event_queue_free(&sim->events);
  if (sim->config.existing_stream == NULL) sl_stream_destroy(sim->stream);
  for (size_t i = 0; i < sim->shard_series_cap; i++) free(sim->shard_series[i].seconds);
  free(sim->shard_series);
  free(sim->producer_configs);
  free(sim->actions);
  free(sim->seconds);
  free(sim);
}

/* --- the loop ------------------------------------------------------------------------------------------- */

/* The first error of the run: the simulation's own, or the mapping's. */
static int failed(const sl_sim_t *sim) { return sim->failed || sl__sim_mappings_error(sim) != NULL; }

static int reshard(sl_sim_t *sim, uint32_t action) {
  const sl_action_t *a = &sim->config.actions[action];
  if (a->update_shard_count == 0) return SL_OK;
  sl_error_t err;
  int rc = sl_stream_update_shard_count(sim->stream, a->update_shard_count, sim->config.start_ms + sim->now / 1000,
                                        &err);
  if (rc != SL_OK) {
    sim->failed = 1;
    return sl_error_set(&sim->error, rc, "actions[%u]: %s", action + 1, err.message);
  }
  return sl__sim_mappings_add_readers(sim);
}

static int handle(sl_sim_t *sim, const sl_event_t *e) {
  switch (e->type) {
  case EV_PRODUCE: return sl__sim_produce(sim, e->arg, e->at_us);
  case EV_ACTION: return reshard(sim, e->arg);
  case EV_CAPACITY: return sl__sim_capacity(sim);
  case EV_FLUSH:
  case EV_ANSWER: return sl__sim_batching_event(sim, e->type, e->arg);
  default: return sl__sim_mappings_event(sim, e->type, e->arg);
  }
}

/* The run's first error into *err: the simulation's own, or else the mapping's; rc when neither has one. */
static int failure(sl_sim_t *sim, int rc, sl_error_t *err) {
  const sl_error_t *e = !sim->failed && sl__sim_mappings_error(sim) != NULL ? sl__sim_mappings_error(sim) : &sim->error;
  if (err != NULL) *err = *e;
  return e->code ? e->code : rc;
}

int sl_sim_begin(sl_sim_t *sim, sl_error_t *err) {
  int rc = sl__sim_mappings_add_readers(sim);
  for (uint32_t p = 0; rc == SL_OK && p < sim->config.producer_count; p++) {
    sim->producers[p].next_i = 1;
    sim->producers[p].fixed_exact = -1;
    int64_t at;
    rc = sl__sim_next_arrival(sim, p, 1, 0, &at);
    if (rc == SL_OK) rc = sl_event_queue_push(&sim->events, at, EV_PRODUCE, p);
  }
  for (uint32_t a = 0; rc == SL_OK && a < sim->config.action_count; a++)
    rc = sl_event_queue_push(&sim->events, sim->config.actions[a].at_us, EV_ACTION, a);
  if (rc == SL_OK) rc = sl__sim_capacity_begin(sim); /* an on-demand stream: scaled every second */
  if (rc != SL_OK && !failed(sim)) {
    sim->failed = 1;
    sl_error_set(&sim->error, rc, "out of memory starting the run");
  }
  return rc != SL_OK || failed(sim) ? failure(sim, rc, err) : SL_OK;
}

/* Done: producers stopped, nothing waits to be put, and the mapping has nothing left (every record put is
 * done, nothing runs, no tumbling window is open). */
static int done_at(const sl_sim_t *sim, int64_t at_us) {
  return at_us >= sim->config.duration_us && sl__sim_producers_idle(sim) && sl__sim_mappings_idle(sim);
}

/* Calls the checkpoint callback when the run's second changed since its last call, or when final. */
static void persist_checkpoints(sl_sim_t *sim, int final) {
  int64_t second = sim->now / SECOND;
  if (sim->config.checkpoint == NULL || (!final && second == sim->checkpoint_second)) return;
  sim->checkpoint_second = second;
  sim->config.checkpoint(sim->config.checkpoint_ctx, sim, final);
}

void sl_sim_tick(sl_sim_t *sim) {
  sl__sim_mappings_total(sim, 0); /* several mappings: the run's figures so far */
  if (sim->config.progress != NULL) sim->config.progress(sim->config.progress_ctx, sim);
  persist_checkpoints(sim, 0);
}

int sl_sim_run(sl_sim_t *sim, sl_error_t *err) {
  int rc = sl_sim_begin(sim, err);
  if (rc != SL_OK) return rc;
  int64_t end = sim->config.duration_us + sim->config.drain_timeout_us;
  sl_event_t e;
  while (rc == SL_OK && sl_event_queue_pop(&sim->events, &e)) {
    if (sim->config.stop != NULL && *sim->config.stop && !sim->stopping) sl_sim_stop(sim); /* a signal */
    if (sim->stopping && sl__sim_mappings_running(sim) == 0) break; /* stopped, and what ran has ended */
    if (e.at_us > end) {
      sim->now = end;
      break;
    }
    if (done_at(sim, e.at_us)) {
      if (sim->now < sim->config.duration_us) sim->now = sim->config.duration_us; /* the run lasts at least duration */
      break;
    }
    if (e.at_us / SECOND != sim->now / SECOND) {
      sim->now = e.at_us;
      sl_sim_tick(sim);
    }
    sim->now = e.at_us;
    rc = handle(sim, &e);
    if (rc == SL_OK) rc = sl__sim_mappings_note_running(sim);
  }
  if (rc != SL_OK || failed(sim)) return failure(sim, rc, err);
  sl_sim_end(sim);
  return SL_OK;
}

int sl_sim_advance(sl_sim_t *sim, int64_t now_us, int64_t *next_us, sl_error_t *err) {
  if (now_us > sim->now) sim->now = now_us;
  /* The drain timeout: what has not been delivered by then stays behind, as on the virtual clock. */
  if (sim->now >= sim->config.duration_us + sim->config.drain_timeout_us) {
    sim->stopping = 1;
    sl__sim_mappings_stop(sim);
  }
  int rc = SL_OK;
  const sl_event_t *next;
  while (rc == SL_OK && !failed(sim) && (next = sl_event_queue_peek(&sim->events)) != NULL && next->at_us <= sim->now) {
    sl_event_t e;
    sl_event_queue_pop(&sim->events, &e);
    rc = handle(sim, &e);
    if (rc == SL_OK) rc = sl__sim_mappings_note_running(sim);
  }
  if (rc != SL_OK || failed(sim)) return failure(sim, rc, err);
  next = sl_event_queue_peek(&sim->events);
  *next_us = next != NULL ? next->at_us : -1;
  return SL_OK;
}

int sl_sim_complete(sl_sim_t *sim, uint32_t mapping, uint32_t slot, const sl_batch_outcome_t *out, int64_t now_us,
                    sl_error_t *err) {
  int64_t now = now_us > sim->now ? now_us : sim->now;
  if (mapping >= sim->mapping_count) {
    free(out->state_json);
    return sl_error_set(err, SL_EINVAL, "mapping %u is not one of the run's %u", mapping, sim->mapping_count);
  }
  int rc = sl_esm_complete(sim->mappings[mapping].esm, now, slot, out, err);
  if (rc == SL_EINVAL && !failed(sim)) return rc; /* not a running slot: the caller's mistake, *err says which */
  sim->now = now;
  if (rc == SL_OK) rc = sl__sim_mappings_note_running(sim);
  return rc != SL_OK || failed(sim) ? failure(sim, rc, err) : SL_OK;
}

void sl_sim_stop(sl_sim_t *sim) {
  if (!sim->stopping && !done_at(sim, sim->now)) sim->summary.interrupted = 1;
  sim->stopping = 1;
  sl__sim_mappings_stop(sim);
}

int sl_sim_finished(const sl_sim_t *sim) {
  return failed(sim) || (sim->stopping ? sl__sim_mappings_running(sim) == 0 : done_at(sim, sim->now));
}

void sl_sim_end(sl_sim_t *sim) {
  sl__sim_finish_metrics(sim);
  persist_checkpoints(sim, 1);
}

int64_t sl_sim_now(const sl_sim_t *sim) { return sim->now; }
int64_t sl_sim_duration_us(const sl_sim_t *sim) { return sim->config.duration_us; }
uint32_t sl_sim_running(const sl_sim_t *sim) { return sl__sim_mappings_running(sim); }
const sl_stream_t *sl_sim_stream(const sl_sim_t *sim) { return sim->stream; }
