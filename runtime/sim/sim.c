/* sim.c - an experiment run on the virtual clock: configuration and its checks, producers with their
 * arrival processes and throttling retries, scripted resharding, the event loop, and the end of the run
 * (everything delivered after the producers stop, or the drain timeout). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

void sl_mapping_config_init(sl_mapping_config_t *m) {
  memset(m, 0, sizeof *m);
  m->batch_size = 100;
  m->parallelization_factor = 1;
  m->ordering = SL_ORDERING_LANES;
  m->account_concurrency = 1000;
  m->starting_position = SL_ITER_TRIM_HORIZON;
  m->poll_interval_us = SECOND;
  m->retry_backoff_us = SECOND;
  m->maximum_retry_attempts = -1; /* AWS default: retry until the record expires */
  m->maximum_record_age_us = -1;  /* AWS default: no maximum age */
}

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
  const sl_mapping_config_t *m = &c->mapping;
  if (m->batch_size < 1 || m->batch_size > 10000)
    return sl_error_set(err, SL_EINVAL, "mapping.batch_size %u is out of range: it must be between 1 and 10000",
                        m->batch_size);
  if (m->batching_window_us < 0 || m->batching_window_us > 300 * SECOND)
    return sl_error_set(err, SL_EINVAL, "mapping.batching_window %g is out of range: it must be between 0 and 300",
                        (double)m->batching_window_us / 1e6);
  if (m->parallelization_factor < 1 || m->parallelization_factor > SL_PF_MAX)
    return sl_error_set(err, SL_EINVAL,
                        "mapping.parallelization_factor %u is out of range: it must be between 1 and 10",
                        m->parallelization_factor);
  if (m->account_concurrency < 1)
    return sl_error_set(err, SL_EINVAL, "mapping.account_concurrency must be at least 1");
  if (m->poll_interval_us < 1 || m->retry_backoff_us < 0)
    return sl_error_set(err, SL_EINVAL, "mapping.poll_interval must be positive and retry_backoff not negative");
  if (m->maximum_retry_attempts < -1 || m->maximum_retry_attempts > 10000)
    return sl_error_set(err, SL_EINVAL, "mapping.maximum_retry_attempts %d is out of range: -1 or 0..10000",
                        m->maximum_retry_attempts);
  if (m->maximum_record_age_us != -1 && (m->maximum_record_age_us < 60 * SECOND || m->maximum_record_age_us > 604800 * SECOND))
    return sl_error_set(err, SL_EINVAL, "mapping.maximum_record_age %g is out of range: -1 or 60..604800",
                        (double)m->maximum_record_age_us / 1e6);
  if (m->tumbling_window_us < 0 || m->tumbling_window_us > 900 * SECOND)
    return sl_error_set(err, SL_EINVAL, "mapping.tumbling_window %g is out of range: it must be between 0 and 900",
                        (double)m->tumbling_window_us / 1e6);
  if (m->tumbling_window_us > 0 && m->parallelization_factor != 1)
    return sl_error_set(err, SL_EINVAL,
                        "mapping.tumbling_window needs parallelization_factor 1: a window's state belongs to its shard");
  if (c->duration_us < 1) return sl_error_set(err, SL_EINVAL, "duration must be positive");
  if (c->drain_timeout_us < 0) return sl_error_set(err, SL_EINVAL, "drain_timeout must not be negative");
  for (uint32_t i = 0; i < c->producer_count; i++)
    if (!(c->producers[i].rate > 0) || !isfinite(c->producers[i].rate))
      return sl_error_set(err, SL_EINVAL, "producers[%u].rate must be a positive number of records per second",
                          i + 1);
  for (uint32_t i = 0; i < c->action_count; i++)
    if (c->actions[i].at_us < 0) return sl_error_set(err, SL_EINVAL, "actions[%u].at must not be negative", i + 1);
  if (c->produce == NULL || c->invoke == NULL)
    return sl_error_set(err, SL_EINVAL, "the simulation needs produce and invoke callbacks");
  return SL_OK;
}

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
  if (c->existing_stream != NULL) {
    sim->stream = c->existing_stream;
    sim->initial_count = sl_stream_shard_total(sim->stream);
    sim->initial_next = calloc(sim->initial_count, sizeof *sim->initial_next);
    if (sim->initial_next == NULL) {
      sl_sim_destroy(sim);
      return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < sim->initial_count; i++)
      sim->initial_next[i] = sl_shard_log_next(sl_stream_shard(sim->stream, i)->log);
  } else {
    sl_stream_config_t sc = c->stream;
    sc.created_ms = c->start_ms;
    rc = sl_stream_create(&sc, &sim->stream, err);
    if (rc != SL_OK) {
      sl_sim_destroy(sim);
      return rc;
    }
  }
  sim->checkpoint_second = -1;
  const sl_mapping_config_t *m = &c->mapping;
  sim->limit = m->account_concurrency;
  if (m->reserved_concurrency > 0 && m->reserved_concurrency < sim->limit) sim->limit = m->reserved_concurrency;
  sim->rng = c->seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
  *out = sim;
  return SL_OK;
}

void sl_sim_destroy(sl_sim_t *sim) {
  if (sim == NULL) return;
  for (uint32_t i = 0; sim->producers && i < sim->config.producer_count; i++) {
    free(sim->producers[i].key);
    free(sim->producers[i].data);
    free(sim->producers[i].ehk);
  }
  sl_sim_free_readers(sim);
  sl_event_queue_free(&sim->events);
  if (sim->config.existing_stream == NULL) sl_stream_destroy(sim->stream);
  free(sim->initial_next);
  free(sim->producers);
  free(sim->producer_configs);
  free(sim->actions);
  free(sim->waiting);
  free(sim->seconds);
  free(sim->shard_summaries);
  free(sim);
}

/* --- producers ------------------------------------------------------------------------------------------ */

static double uniform(sl_sim_t *sim) { /* (0, 1] */
  uint64_t x = sim->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  sim->rng = x;
  return ((double)((x * UINT64_C(2685821657736338717)) >> 11) + 1.0) * 0x1.0p-53;
}

/* When producer p's record number i arrives. Fixed: i / rate exactly; Poisson: exponential gaps. */
static int64_t next_arrival(sl_sim_t *sim, uint32_t p, uint64_t i, int64_t after) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  if (pc->arrivals == SL_ARRIVALS_FIXED) {
    int64_t t = (int64_t)llround((double)(i - 1) * 1e6 / pc->rate);
    return t > after ? t : after;
  }
  return after + (int64_t)llround(-log(uniform(sim)) * 1e6 / pc->rate);
}

static char *copy(const void *p, size_t n) {
  char *c = malloc(n + 1);
  if (c != NULL) {
    if (n) memcpy(c, p, n);
    c[n] = '\0';
  }
  return c;
}

static int keep_pending(producer_t *pr, const sl_produced_t *rec) {
  free(pr->key);
  free(pr->data);
  free(pr->ehk);
  pr->key = copy(rec->key, rec->key_len);
  pr->data = copy(rec->data, rec->data_len);
  pr->ehk = rec->explicit_hash_key ? copy(rec->explicit_hash_key, strlen(rec->explicit_hash_key)) : NULL;
  pr->key_len = rec->key_len;
  pr->data_len = rec->data_len;
  pr->pending = 1;
  return pr->key && pr->data && (pr->ehk || !rec->explicit_hash_key) ? SL_OK : SL_ENOMEM;
}

/* A producer's record is due: put it; a throttled put is retried after the backoff, and the producer waits
 * for it, as a synchronous producer does. */
static int produce(sl_sim_t *sim, uint32_t p) {
  producer_t *pr = &sim->producers[p];
  sl_produced_t rec;
  if (sim->stopping) { /* stopped: a record waiting for its retry was never accepted, and is not put */
    pr->pending = 0;
    return SL_OK;
  }
  if (pr->pending) {
    rec = (sl_produced_t){pr->key, pr->key_len, pr->data, pr->data_len, pr->ehk};
  } else {
    if (sim->now >= sim->config.duration_us || sim->stopping) return SL_OK; /* producers stop at duration */
    memset(&rec, 0, sizeof rec);
    int rc = sim->config.produce(sim->config.ctx, p, pr->next_i, sim->now, &rec, &sim->error);
    if (rc != SL_OK) {
      sim->failed = 1;
      return rc;
    }
  }
  sl_put_result_t put;
  sl_error_t err;
  int rc = sl_stream_put(sim->stream, sim->config.start_ms + sim->now / 1000, rec.key, rec.key_len,
                         rec.explicit_hash_key, rec.data, rec.data_len, &put, &err);
  sl_second_t *sec = sl_sim_second_at(sim, sim->now);
  if (sec == NULL) return SL_ENOMEM;
  if (rc == SL_ETHROTTLED) {
    sec->records_throttled++;
    sim->summary.records_throttled++;
    if (!pr->pending && keep_pending(pr, &rec) != SL_OK) return SL_ENOMEM;
    return sl_event_queue_push(&sim->events, sim->now + sim->config.producer_backoff_us, EV_PRODUCE, p);
  }
  if (rc != SL_OK) { /* a bad key or record from the script: stop and say which */
    sim->failed = 1;
    return sl_error_set(&sim->error, rc, "producers[%u] record %llu: %s", p + 1, (unsigned long long)pr->next_i,
                        err.message);
  }
  pr->pending = 0;
  sec->records_in++;
  reader_t *r = &sim->readers[put.shard_index];
  size_t i = (size_t)(sim->now / SECOND);
  sl_shard_second_t *seconds = sl_grow_zeroed(r->seconds, &r->second_cap, i, sizeof *r->seconds, 64);
  if (seconds == NULL) return SL_ENOMEM;
  r->seconds = seconds;
  r->seconds[i].records_in++;
  r->seconds[i].bytes_in += rec.key_len + rec.data_len;
  sim->summary.records_put++;
  sim->outstanding++;
  pr->next_i++;
  int64_t t = next_arrival(sim, p, pr->next_i, sim->now);
  if (t < sim->config.duration_us) return sl_event_queue_push(&sim->events, t, EV_PRODUCE, p);
  return SL_OK;
}

/* --- the loop ------------------------------------------------------------------------------------------- */

/* Nothing left to do but polling: no producer waits to put a record, no tumbling window is still open. */
static int producers_idle(const sl_sim_t *sim) {
  for (uint32_t p = 0; p < sim->config.producer_count; p++)
    if (sim->producers[p].pending) return 0;
  for (uint32_t i = 0; i < sim->reader_count; i++)
    if (sim->readers[i].window >= 0) return 0;
  return 1;
}

static int handle(sl_sim_t *sim, const sl_event_t *e) {
  switch (e->type) {
  case EV_PRODUCE: return produce(sim, e->arg);
  case EV_POLL: return sl_sim_poll(sim, e->arg);
  case EV_DONE: return sl_sim_batch_done(sim, e->arg);
  case EV_WINDOW: return sl_sim_try_start(sim, e->arg);
  case EV_RETRY: {
    uint32_t pf = sim->config.mapping.parallelization_factor;
    sim->readers[e->arg / pf].slots[e->arg % pf].retry_wait = 0;
    return sl_sim_try_start(sim, e->arg);
  }
  case EV_ACTION: {
    const sl_action_t *a = &sim->config.actions[e->arg];
    if (a->update_shard_count > 0) {
      sl_error_t err;
      int rc = sl_stream_update_shard_count(sim->stream, a->update_shard_count,
                                            sim->config.start_ms + sim->now / 1000, &err);
      if (rc != SL_OK) {
        sim->failed = 1;
        return sl_error_set(&sim->error, rc, "actions[%u]: %s", e->arg + 1, err.message);
      }
      return sl_sim_add_readers(sim);
    }
    return SL_OK;
  }
  }
  return SL_OK;
}

static int failure(sl_sim_t *sim, int rc, sl_error_t *err) {
  if (err != NULL) *err = sim->error;
  return sim->error.code ? sim->error.code : rc;
}

int sl_sim_begin(sl_sim_t *sim, sl_error_t *err) {
  int rc = sl_sim_add_readers(sim);
  for (uint32_t p = 0; rc == SL_OK && p < sim->config.producer_count; p++) {
    sim->producers[p].next_i = 1;
    rc = sl_event_queue_push(&sim->events, next_arrival(sim, p, 1, 0), EV_PRODUCE, p);
  }
  for (uint32_t a = 0; rc == SL_OK && a < sim->config.action_count; a++)
    rc = sl_event_queue_push(&sim->events, sim->config.actions[a].at_us, EV_ACTION, a);
  if (rc != SL_OK && !sim->failed) {
    sim->failed = 1;
    sl_error_set(&sim->error, rc, "out of memory starting the run");
  }
  return rc != SL_OK || sim->failed ? failure(sim, rc, err) : SL_OK;
}

/* Done: producers stopped, nothing waits to be put, every record put is done, nothing runs. */
static int done_at(const sl_sim_t *sim, int64_t at_us) {
  return at_us >= sim->config.duration_us && sim->outstanding == 0 && producers_idle(sim) && sim->running == 0;
}

int sl_sim_run(sl_sim_t *sim, sl_error_t *err) {
  int rc = sl_sim_begin(sim, err);
  if (rc != SL_OK) return rc;
  int64_t end = sim->config.duration_us + sim->config.drain_timeout_us;
  sl_event_t e;
  while (rc == SL_OK && sl_event_queue_pop(&sim->events, &e)) {
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
      if (sim->config.progress != NULL) sim->config.progress(sim->config.progress_ctx, sim);
      sl_sim_persist_checkpoints(sim, 0);
    }
    sim->now = e.at_us;
    rc = handle(sim, &e);
  }
  if (rc != SL_OK || sim->failed) return failure(sim, rc, err);
  sl_sim_finish_metrics(sim);
  sl_sim_persist_checkpoints(sim, 1);
  return SL_OK;
}

void sl_sim_persist_checkpoints(sl_sim_t *sim, int final) {
  int64_t second = sim->now / SECOND;
  if (sim->config.checkpoint == NULL || (!final && second == sim->checkpoint_second)) return;
  sim->checkpoint_second = second;
  sim->config.checkpoint(sim->config.checkpoint_ctx, sim, final);
}

int sl_sim_checkpoint(const sl_sim_t *sim, uint32_t shard, uint64_t *next, uint64_t *frontier) {
  if (shard >= sim->reader_count || !sim->readers[shard].started) return 0;
  *next = sl_checkpoint_next(&sim->readers[shard].checkpoint);
  *frontier = sim->readers[shard].frontier > *next ? sim->readers[shard].frontier : *next;
  return 1;
}

int sl_sim_advance(sl_sim_t *sim, int64_t now_us, int64_t *next_us, sl_error_t *err) {
  if (now_us > sim->now) sim->now = now_us;
  /* The drain timeout: what has not been delivered by then stays behind, as on the virtual clock. */
  if (sim->now >= sim->config.duration_us + sim->config.drain_timeout_us) sim->stopping = 1;
  int rc = SL_OK;
  const sl_event_t *next;
  while (rc == SL_OK && !sim->failed && (next = sl_event_queue_peek(&sim->events)) != NULL && next->at_us <= sim->now) {
    sl_event_t e;
    sl_event_queue_pop(&sim->events, &e);
    rc = handle(sim, &e);
  }
  if (rc != SL_OK || sim->failed) return failure(sim, rc, err);
  next = sl_event_queue_peek(&sim->events);
  *next_us = next != NULL ? next->at_us : -1;
  return SL_OK;
}

int sl_sim_complete(sl_sim_t *sim, uint32_t slot, const sl_batch_outcome_t *out, int64_t now_us, sl_error_t *err) {
  uint32_t pf = sim->config.mapping.parallelization_factor;
  if (slot / pf >= sim->reader_count || !sim->readers[slot / pf].slots[slot % pf].running) {
    free(out->state_json);
    return sl_error_set(err, SL_EINVAL, "slot %u has no invocation running", slot);
  }
  if (now_us > sim->now) sim->now = now_us;
  sim->readers[slot / pf].slots[slot % pf].outcome = *out;
  int rc = sl_sim_batch_done(sim, slot);
  return rc != SL_OK || sim->failed ? failure(sim, rc, err) : SL_OK;
}

void sl_sim_stop(sl_sim_t *sim) {
  if (!sim->stopping && !done_at(sim, sim->now)) sim->summary.interrupted = 1;
  sim->stopping = 1;
}

int sl_sim_finished(const sl_sim_t *sim) {
  return sim->failed || (sim->stopping ? sim->running == 0 : done_at(sim, sim->now));
}

void sl_sim_end(sl_sim_t *sim) {
  sl_sim_finish_metrics(sim);
  sl_sim_persist_checkpoints(sim, 1);
}

int64_t sl_sim_now(const sl_sim_t *sim) { return sim->now; }
uint32_t sl_sim_running(const sl_sim_t *sim) { return sim->running; }
int64_t sl_sim_iterator_age_ms(const sl_sim_t *sim) {
  size_t i = (size_t)(sim->now / SECOND);
  if (i < sim->second_count && sim->seconds[i].invocations > 0) return sim->seconds[i].iterator_age_ms;
  return i > 0 && i - 1 < sim->second_count ? sim->seconds[i - 1].iterator_age_ms : 0;
}

const sl_summary_t *sl_sim_summary(const sl_sim_t *sim) { return &sim->summary; }
size_t sl_sim_seconds(const sl_sim_t *sim) { return sim->second_count; }
const sl_second_t *sl_sim_second(const sl_sim_t *sim, size_t i) { return i < sim->second_count ? &sim->seconds[i] : NULL; }
const sl_stream_t *sl_sim_stream(const sl_sim_t *sim) { return sim->stream; }
sl_shard_second_t sl_sim_shard_second(const sl_sim_t *sim, uint32_t shard, size_t i) {
  sl_shard_second_t none = {0, 0};
  if (shard >= sim->reader_count || i >= sim->readers[shard].second_cap) return none;
  return sim->readers[shard].seconds[i];
}

const sl_shard_summary_t *sl_sim_shard_summary(const sl_sim_t *sim, uint32_t shard) {
  return shard < sim->reader_count ? &sim->shard_summaries[shard] : NULL;
}
