/* sim_mappings.c - the mappings a run hosts (DESIGN 4: `mapping`, or several in `mappings`): each one's event
 * source mapping (esm.h), the host callbacks it schedules through (its events carry its index), and its
 * metrics. One mapping writes into the run's summary and seconds, as it always did; several write into their
 * own, and the run's figures are theirs together (sl__sim_mappings_total: counts added up, the largest iterator
 * age, the concurrency across mappings that the run follows itself). */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "sim/sim_internal.h"

#define SECOND INT64_C(1000000)

/* --- the host of each mapping --------------------------------------------------------------------------- */

static int host_schedule(void *ctx, int64_t at_us, int type, uint32_t arg) {
  sl__sim_mapping_t *m = ctx;
  return sl_event_queue_push(&m->sim->events, at_us, EV_MAPPING + m->index * SL_ESM_EV_TYPES + (uint32_t)type, arg);
}

static sl_second_t *host_second(void *ctx, int64_t at_us) {
  sl__sim_mapping_t *m = ctx;
  if (m->sim->mapping_count == 1) return sl__sim_second_at(m->sim, at_us);
  size_t i = (size_t)(at_us / SECOND);
  sl_second_t *rows = sl_grow_zeroed(m->seconds, &m->second_cap, i, sizeof *rows, 64);
  if (rows == NULL) return NULL;
  m->seconds = rows;
  if (i >= m->second_count) m->second_count = i + 1;
  return &rows[i];
}

/* A mapping's checkpoint in shard moved to next: what every mapping of the run has passed is freed. A mapping
 * whose reader of the shard has not started (a child whose parents it is still reading) keeps everything. */
static void host_passed(void *ctx, uint32_t shard, uint64_t next) {
  sl__sim_mapping_t *m = ctx;
  sl_sim_t *sim = m->sim;
  uint64_t cut = next;
  for (uint32_t i = 0; i < sim->mapping_count; i++) {
    uint64_t other, frontier;
    if (i == m->index) continue;
    if (sim->mappings[i].esm == NULL || !sl_esm_checkpoint(sim->mappings[i].esm, shard, &other, &frontier)) return;
    if (other < cut) cut = other;
  }
  sl_stream_release(sim->stream, shard, cut);
}

/* Several mappings are functions of one account. AWS Lambda guide, "Configuring reserved concurrency for a
 * function": "When a function has reserved concurrency, no other function can use that concurrency." A mapping
 * with reserved concurrency has room up to it (its own limit); the others share what the account has left. */
static int host_account_room(void *ctx) {
  sl__sim_mapping_t *m = ctx;
  sl_sim_t *sim = m->sim;
  if (m->config.mapping.reserved_concurrency > 0) return 1;
  uint32_t unreserved = 0;
  for (uint32_t i = 0; i < sim->mapping_count; i++)
    if (sim->mappings[i].config.mapping.reserved_concurrency == 0 && sim->mappings[i].esm != NULL)
      unreserved += sl_esm_running(sim->mappings[i].esm);
  return unreserved < sim->unreserved_pool;
}

/* Several mappings: one account concurrency for all, and some of it left after what they reserve. */
static int account_pool(sl_sim_t *sim, sl_error_t *err) {
  const sl__sim_mapping_t *first = &sim->mappings[0];
  uint32_t account = first->config.mapping.account_concurrency, reserved = 0, unreserved_mappings = 0;
  for (uint32_t i = 0; i < sim->mapping_count; i++) {
    const sl_mapping_config_t *mc = &sim->mappings[i].config.mapping;
    if (mc->account_concurrency != account)
      return sl_error_set(err, SL_EINVAL, "mappings[%u]: account_concurrency %u differs from mappings[1]'s %u: the "
                          "mappings share one account", i + 1, mc->account_concurrency, account);
    reserved += mc->reserved_concurrency;
    unreserved_mappings += mc->reserved_concurrency == 0;
  }
  if (unreserved_mappings > 0 && reserved >= account)
    return sl_error_set(err, SL_EINVAL, "mappings: reserved_concurrency adds up to %u of account_concurrency %u, "
                        "which leaves nothing for the mappings without it", reserved, account);
  sim->unreserved_pool = reserved < account ? account - reserved : 0;
  return SL_OK;
}

/* The mappings of the configuration: `mappings`, or the single one of its fields. */
static void mapping_configs(const sl_sim_config_t *c, sl__sim_mapping_t *out) {
  if (c->mapping_count == 0) {
    out[0].config = (sl_sim_mapping_t){c->mapping, c->invoke, c->on_failure, c->ctx, c->resume_next,
                                       c->resume_frontier, c->resume_count};
    return;
  }
  for (uint32_t i = 0; i < c->mapping_count; i++) out[i].config = c->mappings[i];
}

int sl__sim_mappings_create(sl_sim_t *sim, sl_error_t *err) {
  const sl_sim_config_t *c = &sim->config;
  uint32_t n = c->mapping_count ? c->mapping_count : 1;
  sim->mappings = calloc(n, sizeof *sim->mappings);
  if (sim->mappings == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  sim->mapping_count = n;
  mapping_configs(c, sim->mappings);
  if (n > 1) {
    int rc = account_pool(sim, err);
    if (rc != SL_OK) return rc;
  }
  for (uint32_t i = 0; i < n; i++) {
    sl__sim_mapping_t *m = &sim->mappings[i];
    m->sim = sim;
    m->index = i;
    m->summary = n == 1 ? &sim->summary : &m->own;
    const sl_sim_mapping_t *mc = &m->config;
    /* The mappings of a stream the run owns free what all of them have consumed (host_passed), so memory
     * follows what is left to read. With other readers (clients of a served stream, or other mappings) each
     * holds what it still needs against the retention. */
    int owns_stream = c->existing_stream == NULL || !c->stream_shared;
    int only_reader = n == 1 && owns_stream;
    sl_esm_config_t ec = {mc->mapping, mc->invoke, mc->on_failure, mc->ctx, c->start_ms, mc->resume_next,
                          mc->resume_frontier, mc->resume_count, c->producer_count == 0, only_reader};
    sl_esm_host_t host = {m, host_schedule, host_second, m->summary, owns_stream ? host_passed : NULL,
                          n > 1 ? host_account_room : NULL};
    int rc = sl_esm_create(&ec, &host, sim->stream, &m->esm, err);
    if (rc != SL_OK) {
      if (n > 1) {
        char why[sizeof err->message];
        memcpy(why, err->message, sizeof why);
        sl_error_set(err, rc, "mappings[%u]: %s", i + 1, why);
      }
      return rc;
    }
  }
  return SL_OK;
}

void sl__sim_mappings_free(sl_sim_t *sim) {
  for (uint32_t i = 0; sim->mappings != NULL && i < sim->mapping_count; i++) {
    sl_esm_destroy(sim->mappings[i].esm);
    free(sim->mappings[i].seconds);
  }
  free(sim->mappings);
  free(sim->shard_totals);
}

/* --- what the run asks of all of them ------------------------------------------------------------------- */

int sl__sim_mappings_event(sl_sim_t *sim, uint32_t type, uint32_t arg) {
  uint32_t m = (type - EV_MAPPING) / SL_ESM_EV_TYPES;
  return sl_esm_event(sim->mappings[m].esm, sim->now, (int)((type - EV_MAPPING) % SL_ESM_EV_TYPES), arg);
}

int sl__sim_mappings_add_readers(sl_sim_t *sim) {
  int rc = SL_OK;
  for (uint32_t i = 0; rc == SL_OK && i < sim->mapping_count; i++) rc = sl_esm_add_readers(sim->mappings[i].esm, sim->now);
  return rc;
}

void sl__sim_mappings_records_put(sl_sim_t *sim, uint64_t n) {
  for (uint32_t i = 0; i < sim->mapping_count; i++) sl_esm_records_put(sim->mappings[i].esm, n);
}

void sl__sim_mappings_stop(sl_sim_t *sim) {
  for (uint32_t i = 0; i < sim->mapping_count; i++) sl_esm_stop(sim->mappings[i].esm);
}

int sl__sim_mappings_idle(const sl_sim_t *sim) {
  for (uint32_t i = 0; i < sim->mapping_count; i++)
    if (!sl_esm_idle(sim->mappings[i].esm)) return 0;
  return 1;
}

uint32_t sl__sim_mappings_running(const sl_sim_t *sim) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < sim->mapping_count; i++) n += sl_esm_running(sim->mappings[i].esm);
  return n;
}

uint32_t sl__sim_mappings_shards(const sl_sim_t *sim) {
  uint32_t n = 0; /* a child waiting for its parents has no reader yet */
  for (uint32_t i = 0; i < sim->mapping_count; i++)
    if (sl_esm_shards(sim->mappings[i].esm) > n) n = sl_esm_shards(sim->mappings[i].esm);
  return n;
}

const sl_error_t *sl__sim_mappings_error(const sl_sim_t *sim) {
  for (uint32_t i = 0; i < sim->mapping_count; i++)
    if (sl_esm_error(sim->mappings[i].esm) != NULL) return sl_esm_error(sim->mappings[i].esm);
  return NULL;
}

/* --- the run's figures across several mappings ---------------------------------------------------------- */

int sl__sim_mappings_note_running(sl_sim_t *sim) {
  if (sim->mapping_count == 1) return SL_OK; /* the mapping counts its own */
  uint32_t running = sl__sim_mappings_running(sim);
  if (running < sim->running_total) { /* room in the account again: waiting mappings start, each first in turn */
    uint32_t n = sim->mapping_count, first = sim->wake_next++ % n;
    for (uint32_t i = 0; i < n; i++) {
      int rc = sl_esm_wake(sim->mappings[(first + i) % n].esm, sim->now);
      if (rc != SL_OK) return rc;
    }
    running = sl__sim_mappings_running(sim);
  }
  if (running == sim->running_total) return SL_OK;
  sim->running_total = running;
  sl_second_t *row = sl__sim_second_at(sim, sim->now);
  if (row != NULL && row->concurrency < running) row->concurrency = running;
  if (running > sim->summary.max_concurrency) sim->summary.max_concurrency = running;
  return SL_OK;
}

static void add_events(sl_event_counts_t *to, const sl_event_counts_t *e) {
  to->polled += e->polled;
  to->filtered_out += e->filtered_out;
  to->failed_invoke += e->failed_invoke;
  to->dropped += e->dropped;
  to->destination_delivered += e->destination_delivered;
}

/* The mapping figures of the run's summary: the mappings' together. */
static void total_summary(sl_sim_t *sim) {
  sl_summary_t *t = &sim->summary;
  t->records_delivered = t->deliveries = t->invocations = t->errors = t->timeouts = 0;
  t->records_failed = t->records_filtered = t->records_expired = t->cold_starts = t->retries = 0;
  t->duplicate_deliveries = t->windows_closed = t->read_throttles = 0;
  t->max_iterator_age_ms = 0;
  t->mean_concurrency = 0;
  memset(&t->events, 0, sizeof t->events);
  for (uint32_t i = 0; i < sim->mapping_count; i++) {
    const sl_summary_t *s = &sim->mappings[i].own;
    t->records_delivered += s->records_delivered;
    t->deliveries += s->deliveries;
    t->invocations += s->invocations;
    t->errors += s->errors;
    t->timeouts += s->timeouts;
    t->records_failed += s->records_failed;
    t->records_filtered += s->records_filtered;
    t->records_expired += s->records_expired;
    t->cold_starts += s->cold_starts;
    t->retries += s->retries;
    t->duplicate_deliveries += s->duplicate_deliveries;
    t->windows_closed += s->windows_closed;
    t->read_throttles += s->read_throttles;
    t->mean_concurrency += s->mean_concurrency; /* each is its running count over the same run length */
    if (s->max_iterator_age_ms > t->max_iterator_age_ms) t->max_iterator_age_ms = s->max_iterator_age_ms;
    add_events(&t->events, &s->events);
  }
}

/* The mapping columns of the run's seconds (concurrency is the run's own, noted as it changed). */
static void total_seconds(sl_sim_t *sim) {
  for (uint32_t k = 0; k < sim->mapping_count; k++) {
    const sl__sim_mapping_t *m = &sim->mappings[k];
    for (size_t i = 0; i < m->second_count; i++) {
      const sl_second_t *s = &m->seconds[i];
      sl_second_t *t = sl__sim_second_at(sim, (int64_t)i * SECOND);
      if (t == NULL) return; /* out of memory: the series stops short */
      t->invocations += s->invocations;
      t->records_delivered += s->records_delivered;
      t->errors += s->errors;
      t->throttles += s->throttles;
      t->read_throttles += s->read_throttles;
      if (s->iterator_age_ms > t->iterator_age_ms) t->iterator_age_ms = s->iterator_age_ms;
      add_events(&t->events, &s->events);
    }
  }
}

/* Each shard across mappings: the most keys any mapping read, the slots used in all of them. */
static void total_shards(sl_sim_t *sim) {
  uint32_t n = sl__sim_mappings_shards(sim);
  free(sim->shard_totals);
  sim->shard_total_count = 0;
  sim->shard_totals = calloc(n + 1, sizeof *sim->shard_totals);
  if (sim->shard_totals == NULL) return;
  sim->shard_total_count = n;
  for (uint32_t i = 0; i < n; i++) {
    sl_shard_summary_t *t = &sim->shard_totals[i];
    const sl_shard_t *shard = sl_stream_shard(sim->stream, i);
    t->records_in = shard->stats.records_in;
    t->bytes_in = shard->stats.bytes_in;
    for (uint32_t k = 0; k < sim->mapping_count; k++) {
      const sl_shard_summary_t *s = sl_esm_shard_summary(sim->mappings[k].esm, i);
      if (s == NULL) continue;
      if (s->distinct_keys > t->distinct_keys) t->distinct_keys = s->distinct_keys;
      t->lanes_used += s->lanes_used;
    }
  }
}

void sl__sim_mappings_total(sl_sim_t *sim, int final) {
  if (sim->mapping_count == 1) return;
  total_summary(sim);
  if (!final) return;
  total_seconds(sim);
  total_shards(sim);
}

/* --- each mapping's own --------------------------------------------------------------------------------- */

uint32_t sl_sim_mapping_count(const sl_sim_t *sim) { return sim->mapping_count; }

const sl_summary_t *sl_sim_mapping_summary(const sl_sim_t *sim, uint32_t mapping) {
  return mapping < sim->mapping_count ? sim->mappings[mapping].summary : NULL;
}

const sl_second_t *sl_sim_mapping_second(const sl_sim_t *sim, uint32_t mapping, size_t i) {
  if (mapping >= sim->mapping_count) return NULL;
  if (sim->mapping_count == 1) return sl_sim_second(sim, i);
  const sl__sim_mapping_t *m = &sim->mappings[mapping];
  static const sl_second_t none;
  return i < m->second_count ? &m->seconds[i] : i < sl_sim_seconds(sim) ? &none : NULL;
}

const sl_shard_summary_t *sl_sim_mapping_shard_summary(const sl_sim_t *sim, uint32_t mapping, uint32_t shard) {
  return mapping < sim->mapping_count ? sl_esm_shard_summary(sim->mappings[mapping].esm, shard) : NULL;
}

const sl_mapping_config_t *sl_sim_mapping_config(const sl_sim_t *sim, uint32_t mapping) {
  return mapping < sim->mapping_count ? &sim->mappings[mapping].config.mapping : NULL;
}

const sl_shard_summary_t *sl_sim_shard_summary(const sl_sim_t *sim, uint32_t shard) {
  if (sim->mapping_count == 1) return sl_esm_shard_summary(sim->mappings[0].esm, shard);
  return shard < sim->shard_total_count ? &sim->shard_totals[shard] : NULL;
}

int sl_sim_checkpoint(const sl_sim_t *sim, uint32_t mapping, uint32_t shard, uint64_t *next, uint64_t *frontier) {
  return mapping < sim->mapping_count && sl_esm_checkpoint(sim->mappings[mapping].esm, shard, next, frontier);
}
