/* sim_producers.c - the run's producers (DESIGN 7): arrivals at fixed spacing or as a Poisson process from
 * the run's seed, each record asked of the produce callback and put into the stream; a throttled put is
 * retried after the producer backoff and the producer waits for it, as a synchronous producer does. What the
 * rates asked for is counted too (records_offered, metrics.h): the arrivals a waiting producer never put. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

static double draw(uint64_t *state) { /* (0, 1] */
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return ((double)((x * UINT64_C(2685821657736338717)) >> 11) + 1.0) * 0x1.0p-53;
}

static double uniform(sl_sim_t *sim) { return draw(&sim->rng); }

/* Fixed arrivals: how many of the times llround((i - 1) * 1e6 / rate), i from 1, fall before duration_us. */
static uint64_t fixed_offered(double rate, int64_t duration_us) {
  uint64_t n = (uint64_t)((double)duration_us * rate / 1e6) + 2;
  while (n > 0 && llround((double)(n - 1) * 1e6 / rate) >= duration_us) n--;
  while (llround((double)n * 1e6 / rate) < duration_us) n++;
  return n;
}

/* Poisson: the arrivals that fell due in (from, to) while producer p waited on a refused put, drawn from a
 * stream of their own (the run's seed, p and from), so the records put stay what they were; above 100,000
 * expected, the expected count. */
static uint64_t waited_arrivals(const sl_sim_t *sim, uint32_t p, int64_t from, int64_t to) {
  double rate = sim->config.producers[p].rate, expected = rate * (double)(to - from) / 1e6;
  if (to <= from) return 0;
  if (expected > 100000) return (uint64_t)llround(expected);
  uint64_t state = (sim->config.seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ ((uint64_t)p << 44) ^ (uint64_t)from;
  if (state == 0) state = 1;
  uint64_t n = 0;
  for (double t = (double)from + -log(draw(&state)) * 1e6 / rate; t < (double)to;
       t += -log(draw(&state)) * 1e6 / rate)
    n++;
  return n;
}

/* Counts what producer p was offered: a fixed producer's whole duration at its first event, a Poisson one's
 * new arrival (fresh) or the arrivals that fell due while it waited (the waiting record now put or dropped). */
static void count_offered(sl_sim_t *sim, uint32_t p, int fresh, int wait_ended) {
  sl__producer_t *pr = &sim->producers[p];
  const sl_producer_config_t *pc = &sim->config.producers[p];
  int64_t end = sim->now < sim->config.duration_us ? sim->now : sim->config.duration_us;
  if (pc->arrivals == SL_ARRIVALS_FIXED) {
    if (fresh && pr->next_i == 1) sim->summary.records_offered += fixed_offered(pc->rate, sim->config.duration_us);
  } else {
    sim->summary.records_offered += (uint64_t)(fresh != 0);
    if (wait_ended) sim->summary.records_offered += waited_arrivals(sim, p, pr->waiting_since, end);
  }
  sim->summary.records_not_sent = sim->summary.records_offered - sim->summary.records_put;
}

int64_t sl__sim_next_arrival(sl_sim_t *sim, uint32_t p, uint64_t i, int64_t after) {
  const sl_producer_config_t *pc = &sim->config.producers[p];
  if (pc->arrivals == SL_ARRIVALS_FIXED) { /* i / rate exactly */
    int64_t t = (int64_t)llround((double)(i - 1) * 1e6 / pc->rate);
    return t > after ? t : after;
  }
  return after + (int64_t)llround(-log(uniform(sim)) * 1e6 / pc->rate); /* exponential gaps */
}

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
  }
  free(sim->producers);
}

int sl__sim_producers_idle(const sl_sim_t *sim) {
  for (uint32_t p = 0; p < sim->config.producer_count; p++)
    if (sim->producers[p].pending) return 0;
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

int sl__sim_produce(sl_sim_t *sim, uint32_t p) {
  sl__producer_t *pr = &sim->producers[p];
  if (sim->stopping) { /* stopped: a record waiting for its retry was never accepted, and is not put */
    if (pr->pending) count_offered(sim, p, 0, 1);
    pr->pending = 0;
    return SL_OK;
  }
  sl_produced_t rec;
  int was_pending = pr->pending, none, rc = next_record(sim, p, &rec, &none);
  if (rc != SL_OK || none) return rc;
  if (!was_pending) count_offered(sim, p, 1, 0); /* a new arrival */
  sl_put_result_t put;
  sl_error_t err;
  rc = sl_stream_put(sim->stream, sim->config.start_ms + sim->now / 1000, rec.key, rec.key_len,
                     rec.explicit_hash_key, rec.data, rec.data_len, &put, &err);
  sl_second_t *sec = sl__sim_second_at(sim, sim->now);
  if (sec == NULL) return SL_ENOMEM;
  if (rc == SL_ETHROTTLED) {
    sec->records_throttled++;
    sim->summary.records_throttled++;
    if (!pr->pending) pr->waiting_since = sim->now;
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
  if (sl__sim_count_shard_write(sim, put.shard_index, rec.key_len + rec.data_len) != SL_OK) return SL_ENOMEM;
  sim->summary.records_put++;
  count_offered(sim, p, 0, was_pending);
  sl__sim_mappings_records_put(sim, 1);
  pr->next_i++;
  int64_t t = sl__sim_next_arrival(sim, p, pr->next_i, sim->now);
  if (t < sim->config.duration_us) return sl_event_queue_push(&sim->events, t, EV_PRODUCE, p);
  return SL_OK;
}
