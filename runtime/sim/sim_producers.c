/* sim_producers.c - the run's producers (DESIGN 7): at each arrival (sim_arrivals.c) a record asked of the
 * produce callback and put into the stream; a sync producer retries a throttled put after the producer
 * backoff and waits for it, as a synchronous producer does; a batching one hands the record to its buffers
 * (sim_batching.c). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

static char *copy(const void *p, size_t n) {
  char *c = malloc(n + 1);
  if (c != NULL) {
    if (n) memcpy(c, p, n);
    c[n] = '\0';
  }
  return c;
}

static int keep_pending(sl__producer_t *pr, const sl_produced_t *rec) {
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

void sl__sim_producers_free(sl_sim_t *sim) {
  for (uint32_t i = 0; sim->producers && i < sim->config.producer_count; i++) {
    free(sim->producers[i].key);
    free(sim->producers[i].data);
    free(sim->producers[i].ehk);
    sl__sim_batching_free(sim->producers[i].batcher);
  }
  free(sim->producers);
}

int sl__sim_producers_idle(const sl_sim_t *sim) {
  for (uint32_t p = 0; p < sim->config.producer_count; p++)
    if (sim->producers[p].pending || !sl__sim_batching_idle(sim->producers[p].batcher)) return 0;
  return 1;
}

/* The record producer p puts now: the one waiting for its retry, or a new one from the callback. *none: the
 * producer has stopped. */
static int next_record(sl_sim_t *sim, uint32_t p, sl_produced_t *rec, int *none) {
  sl__producer_t *pr = &sim->producers[p];
  *none = 0;
  if (pr->pending) {
    *rec = (sl_produced_t){pr->key, pr->key_len, pr->data, pr->data_len, pr->ehk};
    return SL_OK;
  }
  if (sim->now >= sim->config.duration_us || sim->stopping) { /* producers stop at duration */
    *none = 1;
    return SL_OK;
  }
  memset(rec, 0, sizeof *rec);
  int rc = sim->config.produce(sim->config.ctx, p, pr->next_i, sim->now, rec, &sim->error);
  if (rc != SL_OK) sim->failed = 1;
  return rc;
}

int sl__sim_put(sl_sim_t *sim, uint32_t p, uint64_t i, const sl_produced_t *rec, uint64_t user_records) {
  sl_put_result_t put;
  sl_error_t err;
  int rc = sl_stream_put(sim->stream, sim->config.start_ms + sim->now / 1000, rec->key, rec->key_len,
                         rec->explicit_hash_key, rec->data, rec->data_len, &put, &err);
  sl_second_t *sec = sl__sim_second_at(sim, sim->now);
  if (sec == NULL) return SL_ENOMEM;
  if (rc == SL_ETHROTTLED) {
    sec->records_throttled++;
    sim->summary.records_throttled++;
    return rc;
  }
  if (rc != SL_OK) { /* a bad key or record from the script: stop and say which */
    sim->failed = 1;
    return sl_error_set(&sim->error, rc, "producers[%u] record %llu: %s", p + 1, (unsigned long long)i, err.message);
  }
  sec->records_in++;
  if (sl__sim_count_shard_write(sim, put.shard_index, rec->key_len + rec->data_len) != SL_OK) return SL_ENOMEM;
  sim->summary.records_put += user_records;
  sim->summary.kinesis_records_put++;
  sim->summary.records_not_sent = sim->summary.records_offered - sim->summary.records_put;
  sl__sim_mappings_records_put(sim, 1);
  return SL_OK;
}

int sl__sim_produce(sl_sim_t *sim, uint32_t p, int64_t due_us) {
  sl__producer_t *pr = &sim->producers[p];
  if (sim->stopping) { /* stopped: a record waiting for its retry was never accepted, and is not put */
    int rc = pr->pending ? sl__sim_count_offered(sim, p, 0, 1) : SL_OK;
    pr->pending = 0;
    return rc;
  }
  sl_produced_t rec;
  int was_pending = pr->pending, none, rc = next_record(sim, p, &rec, &none);
  if (rc != SL_OK || none) return rc;
  if (!was_pending && (rc = sl__sim_count_offered(sim, p, 1, 0)) != SL_OK) return rc; /* a new arrival */
  if (pr->batcher != NULL) {
    rc = sl__sim_batching_arrive(sim, p, &rec);
  } else {
    rc = sl__sim_put(sim, p, pr->next_i, &rec, 1);
    sim->summary.producer_requests++; /* a PutRecord call; after a refusal, the same record sent again */
    sim->summary.producer_retries += (uint64_t)(was_pending != 0);
    if (rc == SL_ETHROTTLED) {
      if (!pr->pending) pr->waiting_since = sim->now;
      if (!pr->pending && keep_pending(pr, &rec) != SL_OK) return SL_ENOMEM;
      return sl_event_queue_push(&sim->events, sim->now + sim->config.producer_backoff_us, EV_PRODUCE, p);
    }
    pr->pending = 0;
    if (rc == SL_OK) rc = sl__sim_count_offered(sim, p, 0, was_pending);
  }
  if (rc != SL_OK) return rc;
  pr->next_i++;
  /* The next arrival follows this one's: when it was due, or, after waiting on a refused put, when it went.
   * (On the real clock an event is handled a little after it is due: counting from then would lose that
   * lateness at every record, and the rate with it.) */
  int64_t t;
  if ((rc = sl__sim_next_arrival(sim, p, pr->next_i, was_pending ? sim->now : due_us, &t)) != SL_OK) return rc;
  if (t < sim->config.duration_us) return sl_event_queue_push(&sim->events, t, EV_PRODUCE, p);
  return SL_OK;
}
