/* esm.c - the event source mapping's entry points (esm.h): creation, the callbacks its host makes at the
 * times asked for, the end of an invocation, the mapping's concurrency (limit, running count, time-weighted
 * mean) and its figures at the end. The concepts live in their own files: reader.c, slots.c, batcher.c,
 * retry.c, window.c. */
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"

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

int sl_mapping_config_check(const sl_mapping_config_t *m, sl_error_t *err) {
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
  return SL_OK;
}

/* The first record the mapping may still use in a shard: the checkpoint, below which every record is done. */
static uint64_t first_held(void *ctx, uint32_t shard) {
  const sl_esm_t *esm = ctx;
  if (shard >= esm->reader_count || !esm->readers[shard].started) return UINT64_MAX;
  return sl_checkpoint_next(&esm->readers[shard].checkpoint);
}

void sl__esm_passed(sl_esm_t *esm, const sl__reader_t *r) {
  if (esm->host.passed != NULL) esm->host.passed(esm->host.ctx, r->it.shard->index, sl_checkpoint_next(&r->checkpoint));
}

int sl_esm_create(const sl_esm_config_t *c, const sl_esm_host_t *host, sl_stream_t *stream, sl_esm_t **out,
                  sl_error_t *err) {
  *out = NULL;
  int rc = sl_mapping_config_check(&c->mapping, err);
  if (rc != SL_OK) return rc;
  if (c->invoke == NULL || host->schedule == NULL || host->second == NULL || host->summary == NULL)
    return sl_error_set(err, SL_EINVAL, "the mapping needs an invoke callback and a host");
  sl_esm_t *esm = calloc(1, sizeof *esm);
  if (esm == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  esm->config = *c;
  esm->host = *host;
  esm->stream = stream;
  /* Records the stream already holds (an earlier run's, in a durable stream) are the mapping's too. */
  esm->initial_count = sl_stream_shard_total(stream);
  esm->initial_next = calloc(esm->initial_count + 1, sizeof *esm->initial_next);
  if (esm->initial_next == NULL) {
    free(esm);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < esm->initial_count; i++)
    esm->initial_next[i] = sl_shard_log_next(sl_stream_shard(stream, i)->log);
  const sl_mapping_config_t *m = &c->mapping;
  esm->limit = m->account_concurrency;
  if (m->reserved_concurrency > 0 && m->reserved_concurrency < esm->limit) esm->limit = m->reserved_concurrency;
  if (!c->only_reader) { /* others read the stream: its retention must not take records from under the mapping */
    esm->hold = (sl_stream_hold_t){first_held, esm};
    if ((rc = sl_stream_add_hold(stream, &esm->hold, err)) != SL_OK) {
      sl_esm_destroy(esm);
      return rc;
    }
    esm->holding = 1;
  }
  *out = esm;
  return SL_OK;
}

void sl_esm_destroy(sl_esm_t *esm) {
  if (esm == NULL) return;
  if (esm->holding) sl_stream_remove_hold(esm->stream, &esm->hold);
  sl__readers_free(esm);
  free(esm->initial_next);
  free(esm->waiting);
  free(esm->shard_summaries);
  free(esm);
}

/* --- shared by the mapping's files ---------------------------------------------------------------------- */

int sl__esm_oom(sl_esm_t *esm) {
  esm->failed = 1;
  return sl_error_set(&esm->error, SL_ENOMEM, "out of memory in the simulation");
}

int sl__esm_callback_failed(sl_esm_t *esm) {
  esm->failed = 1;
  return esm->error.code ? esm->error.code : SL_EINVAL;
}

sl__reader_t *sl__esm_reader_of(sl_esm_t *esm, uint32_t slot, uint32_t *lane) {
  uint32_t pf = esm->config.mapping.parallelization_factor;
  *lane = slot % pf;
  return &esm->readers[slot / pf];
}

int sl__esm_schedule(sl_esm_t *esm, int64_t at_us, int type, uint32_t arg) {
  if (esm->host.schedule(esm->host.ctx, at_us, type, arg) != SL_OK) return sl__esm_oom(esm);
  return SL_OK;
}

sl_second_t *sl__esm_second(sl_esm_t *esm) {
  sl_second_t *sec = esm->host.second(esm->host.ctx, esm->now);
  if (sec == NULL) sl__esm_oom(esm);
  return sec;
}

void sl__esm_running_changed(sl_esm_t *esm, int delta) {
  esm->concurrency_area += (double)esm->running * (double)(esm->now - esm->concurrency_since);
  esm->concurrency_since = esm->now;
  esm->running = (uint32_t)((int)esm->running + delta);
  sl_summary_t *sum = esm->host.summary;
  if (esm->running > sum->max_concurrency) sum->max_concurrency = esm->running;
}

int64_t sl__esm_now_ms(const sl_esm_t *esm) { return esm->config.start_ms + esm->now / 1000; }

int sl__esm_count_events(sl_esm_t *esm, size_t field, uint64_t n) {
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  *(uint64_t *)((char *)&sec->events + field) += n;
  *(uint64_t *)((char *)&esm->host.summary->events + field) += n;
  return SL_OK;
}

/* --- entry points --------------------------------------------------------------------------------------- */

static void advance(sl_esm_t *esm, int64_t now_us) {
  if (now_us > esm->now) esm->now = now_us;
}

int sl_esm_add_readers(sl_esm_t *esm, int64_t now_us) {
  advance(esm, now_us);
  uint32_t total = sl_stream_shard_total(esm->stream), pf = esm->config.mapping.parallelization_factor;
  if (total <= esm->reader_count) return SL_OK;
  sl__reader_t *grown = realloc(esm->readers, total * sizeof *grown);
  if (grown != NULL) esm->readers = grown;
  sl_shard_summary_t *sums = realloc(esm->shard_summaries, total * sizeof *sums);
  if (sums != NULL) esm->shard_summaries = sums;
  if (grown == NULL || sums == NULL) return sl__esm_oom(esm);
  for (uint32_t i = esm->reader_count; i < total; i++) {
    sl__reader_t *r = &esm->readers[i];
    memset(r, 0, sizeof *r);
    memset(&sums[i], 0, sizeof sums[i]);
    r->it.shard = sl_stream_shard(esm->stream, i);
    sl_checkpoint_init(&r->checkpoint, 0);
    r->window = -1;
    r->efo_refilled_ms = -1;
    r->slots = calloc(pf, sizeof *r->slots);
    esm->reader_count = i + 1;
    if (r->slots == NULL || sl_lanes_create(pf, esm->config.mapping.ordering, &r->lanes, NULL) != SL_OK)
      return sl__esm_oom(esm);
    if (sl__esm_schedule(esm, esm->now, SL_ESM_EV_POLL, i) != SL_OK) return SL_ENOMEM;
    r->poll_armed = 1;
  }
  return SL_OK;
}

/* What follows the end of an invocation: the shard read again at once (it is busy), the slot's next batch,
 * slots held back by the limit or by a retry, and children of a parent that just finished. */
static int after_invocation(sl_esm_t *esm, uint32_t slot) {
  uint32_t pf = esm->config.mapping.parallelization_factor, shard = slot / pf;
  if (sl__reader_read(esm, shard) != SL_OK) return SL_ENOMEM;
  if (sl__batch_try_start(esm, slot) != SL_OK) return SL_ENOMEM;
  if (esm->config.mapping.retry_blocks_shard) /* the others may have waited for this slot's retries */
    for (uint32_t l = 0; l < pf; l++)
      if (sl__batch_try_start(esm, shard * pf + l) != SL_OK) return SL_ENOMEM;
  if (sl__slots_wake(esm) != SL_OK) return SL_ENOMEM;
  return sl__reader_start_children(esm, shard);
}

/* The running invocation of slot ended with s->outcome. */
static int batch_done(sl_esm_t *esm, uint32_t slot) {
  uint32_t lane;
  sl__reader_t *r = sl__esm_reader_of(esm, slot, &lane);
  sl__slot_t *s = &r->slots[lane];
  s->running = 0;
  sl__esm_running_changed(esm, -1);
  sl_batch_outcome_t *out = &s->outcome;
  sl_summary_t *sum = esm->host.summary;
  if (out->cold_start) sum->cold_starts++;
  if (sl__window_outcome(esm, r, s, slot) != SL_OK) return SL_ENOMEM;
  size_t ok = out->status == SL_BATCH_OK ? s->batch_count : out->status == SL_BATCH_PARTIAL ? out->lowest_failed : 0;
  if (ok > s->batch_count) ok = s->batch_count;
  sum->records_delivered += ok;
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  sec->records_delivered += ok;
  if (sl__slot_finish(esm, r, s, ok) != SL_OK) return SL_ENOMEM;
  if (s->batch_count > 0 && sl__retry_after(esm, r, s, slot) != SL_OK) return SL_ENOMEM;
  return after_invocation(esm, slot);
}

int sl_esm_wake(sl_esm_t *esm, int64_t now_us) {
  advance(esm, now_us);
  return sl__slots_wake(esm);
}

int sl__esm_may_start(const sl_esm_t *esm) {
  return esm->running < esm->limit && (esm->host.account_room == NULL || esm->host.account_room(esm->host.ctx));
}

int sl_esm_event(sl_esm_t *esm, int64_t now_us, int type, uint32_t arg) {
  advance(esm, now_us);
  uint32_t lane;
  switch (type) {
  case SL_ESM_EV_POLL:
    esm->readers[arg].poll_armed = 0; /* this was the scheduled poll */
    /* Shards made by someone else (a client resharding a served stream) get readers when a poll notices them. */
    if (sl_stream_shard_total(esm->stream) > esm->reader_count && sl_esm_add_readers(esm, now_us) != SL_OK)
      return SL_ENOMEM;
    return sl__reader_poll(esm, arg);
  case SL_ESM_EV_DONE: return batch_done(esm, arg);
  case SL_ESM_EV_WINDOW: return sl__batch_try_start(esm, arg);
  case SL_ESM_EV_RETRY:
    sl__esm_reader_of(esm, arg, &lane)->slots[lane].retry_wait = 0;
    return sl__batch_try_start(esm, arg);
  }
  sl_error_set(&esm->error, SL_EINVAL, "unknown mapping event %d", type);
  return sl__esm_callback_failed(esm);
}

int sl_esm_complete(sl_esm_t *esm, int64_t now_us, uint32_t slot, const sl_batch_outcome_t *out, sl_error_t *err) {
  uint32_t pf = esm->config.mapping.parallelization_factor;
  if (slot / pf >= esm->reader_count || !esm->readers[slot / pf].slots[slot % pf].running) {
    free(out->state_json);
    return sl_error_set(err, SL_EINVAL, "slot %u has no invocation running", slot);
  }
  advance(esm, now_us);
  esm->readers[slot / pf].slots[slot % pf].outcome = *out;
  return batch_done(esm, slot);
}

void sl_esm_records_put(sl_esm_t *esm, uint64_t n) { esm->outstanding += n; }
void sl_esm_stop(sl_esm_t *esm) { esm->stopping = 1; }

void sl_esm_finish(sl_esm_t *esm, int64_t now_us) {
  advance(esm, now_us);
  sl__esm_running_changed(esm, 0);
  sl_summary_t *sum = esm->host.summary;
  sum->mean_concurrency = esm->now > 0 ? esm->concurrency_area / (double)esm->now : 0;
  uint32_t pf = esm->config.mapping.parallelization_factor;
  for (uint32_t i = 0; i < esm->reader_count; i++) {
    const sl_shard_t *shard = sl_stream_shard(esm->stream, i);
    sl_shard_summary_t *s = &esm->shard_summaries[i];
    s->records_in = shard->stats.records_in;
    s->bytes_in = shard->stats.bytes_in;
    s->lanes_used = 0;
    for (uint32_t l = 0; l < pf; l++) s->lanes_used += esm->readers[i].slots[l].used != 0;
  }
}

int sl_esm_idle(const sl_esm_t *esm) {
  if (esm->outstanding != 0 || esm->running != 0) return 0;
  for (uint32_t i = 0; i < esm->reader_count; i++)
    if (esm->readers[i].window >= 0) return 0;
  return 1;
}

uint32_t sl_esm_running(const sl_esm_t *esm) { return esm->running; }
const sl_error_t *sl_esm_error(const sl_esm_t *esm) { return esm->failed ? &esm->error : NULL; }
uint32_t sl_esm_shards(const sl_esm_t *esm) { return esm->reader_count; }

const sl_shard_summary_t *sl_esm_shard_summary(const sl_esm_t *esm, uint32_t shard) {
  return shard < esm->reader_count ? &esm->shard_summaries[shard] : NULL;
}

int sl_esm_checkpoint(const sl_esm_t *esm, uint32_t shard, uint64_t *next, uint64_t *frontier) {
  if (shard >= esm->reader_count || !esm->readers[shard].started) return 0;
  *next = sl_checkpoint_next(&esm->readers[shard].checkpoint);
  *frontier = esm->readers[shard].frontier > *next ? esm->readers[shard].frontier : *next;
  return 1;
}
