/* sim_world.h - the test world of the dispatcher's property tests, shared by test_sim.c (virtual clock) and
 * test_real.c (real clock): a C producer with numbered records ({"n":N,"k":"odd"|"even"}) and keys, a C
 * handler that records every batch and fails at random or on a poison record, an on-failure destination,
 * random configurations (up to three mappings on the stream, each with its own world and perhaps a filter;
 * on the virtual clock a poison record retried until the stream's retention takes it), and the invariants
 * every run and every mapping must keep. Static functions: included by one test file each. */
#ifndef SHARDLAB_SIM_WORLD_H
#define SHARDLAB_SIM_WORLD_H

#include "test_support.h"

#include <stdlib.h>

#include "shardlab/filter.h"
#include "shardlab/sim.h"

enum { MAX_RECORDS = 20000, MAX_INVOCATIONS = 40000, MAX_MAPPINGS = 3 };

typedef struct invocation_s {
  uint32_t shard, slot;
  int64_t start, end;
  sl_batch_status_t status;
  size_t ok;              /* records delivered successfully: [first, first + ok) of the batch */
  uint32_t first_rec;     /* index into batch_records */
  uint32_t count;
} invocation_t;

typedef struct world_s {
  uint32_t mapping;            /* its mapping's index in the run */
  const struct world_s *producer; /* the world whose producer wrote the records (NULL: this one) */
  uint32_t keys;               /* producers draw keys key-0 .. key-(keys-1) */
  int random_keys;             /* at random rather than round robin */
  double fail_rate;            /* chance an invocation fails */
  double partial_rate;         /* chance it reports a partial failure */
  int64_t handler_us;          /* invocation duration */
  uint64_t rng;
  char key[32], data[32];
  invocation_t *inv;
  size_t inv_count;
  uint64_t *batch_keys;        /* record index -> key number, for every record of every invocation */
  uint64_t *batch_index;       /* record index -> put number */
  size_t batch_len, batch_cap;
  uint64_t key_of_put[MAX_RECORDS + 1];
  uint64_t poison;             /* put number of a record whose batches always fail (0: none) */
  uint64_t huge;               /* put number of a record with 7 MB of data (0: none) */
  char *huge_data;
  unsigned char failed[MAX_RECORDS + 1];  /* put numbers sent to the on-failure destination */
  size_t failures;             /* on_failure calls */
  sl_failure_t last_failure;   /* the latest one (records not kept) */
  sl_failure_t first_failure;  /* the first one (records not kept) */
  int all_age_exceeded;        /* every failure had the RecordAgeExceeded condition */
  int64_t first_failure_us;    /* when an invocation first failed (-1: never) */
  sl_filter_t *filter;         /* its mapping keeps only the even records (NULL: no filter) */
} world_t;

/* The put number of a record's data, {"n":<put number>,...} (the log's bytes are not NUL-terminated). */
static uint64_t data_number(const char *bytes, size_t len) {
  char data[32];
  snprintf(data, sizeof data, "%.*s", (int)(len < sizeof data - 1 ? len : sizeof data - 1), bytes);
  return strtoull(data + 5, NULL, 10);
}

static uint64_t put_number(const sl_record_t *r) { return data_number(SL_RECORD_DATA(r), r->data_len); }

static int on_failure(void *ctx, const sl_failure_t *f, sl_error_t *err) {
  (void)err;
  world_t *w = ctx;
  for (size_t i = 0; i < f->count; i++) {
    uint64_t put = put_number(f->records[i]);
    if (put <= MAX_RECORDS) {
      if (w->failed[put]) fail_msg("record %llu sent to the destination twice", (unsigned long long)put);
      w->failed[put] = 1;
    }
  }
  if (w->failures++ == 0) {
    w->first_failure = *f;
    w->first_failure.records = NULL;
    w->all_age_exceeded = 1;
  }
  w->all_age_exceeded &= f->condition == SL_FAILURE_RECORD_AGE_EXCEEDED;
  w->last_failure = *f;
  w->last_failure.records = NULL;
  return SL_OK;
}

static int produce(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)producer;
  (void)now_us;
  (void)err;
  world_t *w = ctx;
  uint64_t k = w->random_keys ? test_rand(&w->rng) % w->keys : (i - 1) % w->keys;
  if (i <= MAX_RECORDS) w->key_of_put[i] = k;
  snprintf(w->key, sizeof w->key, "key-%llu", (unsigned long long)k);
  snprintf(w->data, sizeof w->data, "{\"n\":%llu,\"k\":\"%s\"}", (unsigned long long)i, i % 2 ? "odd" : "even");
  *out = (sl_produced_t){w->key, strlen(w->key), w->data, strlen(w->data), NULL};
  if (i == w->huge) { /* the data followed by spaces up to 7 MB: still JSON, still its put number */
    size_t n = 7u << 20;
    w->huge_data = realloc(w->huge_data, n);
    memset(w->huge_data, ' ', n);
    memcpy(w->huge_data, w->data, strlen(w->data));
    out->data = w->huge_data;
    out->data_len = n;
  }
  return SL_OK;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)err;
  world_t *w = ctx;
  if (w->inv_count == MAX_INVOCATIONS) fail_msg("too many invocations");
  if (w->batch_len + b->count > w->batch_cap) {
    w->batch_cap = (w->batch_len + b->count) * 2;
    w->batch_keys = realloc(w->batch_keys, w->batch_cap * sizeof *w->batch_keys);
    w->batch_index = realloc(w->batch_index, w->batch_cap * sizeof *w->batch_index);
  }
  invocation_t *v = &w->inv[w->inv_count++];
  v->shard = b->shard->index;
  v->slot = b->slot;
  v->start = start;
  v->end = start + w->handler_us;
  v->first_rec = (uint32_t)w->batch_len;
  v->count = (uint32_t)b->count;
  for (size_t i = 0; i < b->count; i++) {
    const sl_record_t *r = b->records[i];
    char key[32]; /* the log's bytes are not NUL-terminated */
    snprintf(key, sizeof key, "%.*s", (int)r->key_len, SL_RECORD_KEY(r));
    w->batch_index[w->batch_len] = put_number(r);
    w->batch_keys[w->batch_len++] = strtoull(key + 4, NULL, 10);   /* key is "key-<n>" */
  }
  double u = (double)(test_rand(&w->rng) >> 11) * 0x1.0p-53;
  out->duration_us = w->handler_us;
  int poisoned = 0;
  for (size_t i = 0; i < b->count && w->poison; i++) poisoned |= w->batch_index[v->first_rec + i] == w->poison;
  if (poisoned || u < w->fail_rate) {
    if (w->first_failure_us < 0) w->first_failure_us = start;
    out->status = SL_BATCH_ERROR;
    v->ok = 0;
  } else if (u < w->fail_rate + w->partial_rate && b->count > 1) {
    out->status = SL_BATCH_PARTIAL;
    out->lowest_failed = 1 + test_rand(&w->rng) % (b->count - 1);
    v->ok = out->lowest_failed;
  } else {
    out->status = SL_BATCH_OK;
    v->ok = b->count;
  }
  v->status = out->status;
  return SL_OK;
}

/* The settings of a second or third mapping on the stream (the first one's are run_t's own). */
typedef struct mapping_run_s {
  uint32_t pf, batch_size, reserved;
  sl_ordering_t ordering;
  int64_t window_us;
  int32_t max_retries;
  int bisect, efo;
} mapping_run_t;

typedef struct run_s {
  uint32_t shards, pf, batch_size, reserved, keys;
  sl_ordering_t ordering;
  int64_t window_us, duration_us;
  double rate;
  uint32_t reshard_to;  /* 0: none */
  int32_t max_retries;  /* maximum_retry_attempts */
  int bisect;
  int no_read_limits;   /* the stream's read limits off (0: on, the default) */
  int efo;              /* the mapping reads through enhanced fan-out */
  uint32_t extra_mappings;                /* more mappings on the stream, each with its own world */
  uint32_t account;                       /* their account's concurrency (0: the default 1,000) */
  mapping_run_t extra[MAX_MAPPINGS - 1];
} run_t;

/* The settings of mapping m of the run. */
static mapping_run_t mapping_run_of(const run_t *r, uint32_t m) {
  if (m > 0) return r->extra[m - 1];
  return (mapping_run_t){r->pf, r->batch_size, r->reserved, r->ordering, r->window_us, r->max_retries, r->bisect,
                         r->efo};
}

/* Makes a configuration of one mapping (run_config_of's, with its callbacks set) one of several: the first
 * mapping is the configuration's own, the others take its settings with their own from r and their own worlds
 * (extra[i] for mapping i + 1) as contexts. maps must outlive sl_sim_create. */
static void add_mappings(sl_sim_config_t *c, const run_t *r, world_t *extra, sl_sim_mapping_t *maps) {
  if (r->extra_mappings == 0) return;
  for (uint32_t m = 0; m <= r->extra_mappings; m++) {
    mapping_run_t mr = mapping_run_of(r, m);
    sl_sim_mapping_t *s = &maps[m];
    *s = (sl_sim_mapping_t){c->mapping, c->invoke, c->on_failure, m ? &extra[m - 1] : c->ctx, NULL, NULL, 0};
    s->mapping.parallelization_factor = mr.pf;
    s->mapping.batch_size = mr.batch_size;
    s->mapping.reserved_concurrency = mr.reserved;
    s->mapping.ordering = mr.ordering;
    s->mapping.batching_window_us = mr.window_us;
    s->mapping.maximum_retry_attempts = mr.max_retries;
    s->mapping.bisect_on_error = mr.bisect;
    s->mapping.consumer = mr.efo ? SL_CONSUMER_EFO : SL_CONSUMER_STANDARD;
    s->mapping.filter = ((world_t *)s->ctx)->filter;
    if (r->account) s->mapping.account_concurrency = r->account;
  }
  c->mappings = maps;
  c->mapping_count = r->extra_mappings + 1;
}

/* The configuration of a property run. producer and action are the caller's and must outlive sl_sim_create. */
static sl_sim_config_t run_config_of(world_t *w, const run_t *r, uint64_t seed, sl_producer_config_t *producer,
                                     sl_action_t *action) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "sim";
  c.stream.shard_count = r->shards;
  c.stream.write_limits = 0;
  c.stream.read_limits = !r->no_read_limits;
  c.mapping.consumer = r->efo ? SL_CONSUMER_EFO : SL_CONSUMER_STANDARD;
  *producer = (sl_producer_config_t){.rate = r->rate, .arrivals = SL_ARRIVALS_POISSON};
  c.producers = producer;
  c.producer_count = 1;
  c.mapping.batch_size = r->batch_size;
  c.mapping.parallelization_factor = r->pf;
  c.mapping.ordering = r->ordering;
  c.mapping.reserved_concurrency = r->reserved;
  c.mapping.batching_window_us = r->window_us;
  /* A poison record retried without end waits out the 24-hour retention: a minute between its retries keeps
   * that to about 1,440 invocations. */
  c.mapping.retry_backoff_us = w->poison && r->max_retries < 0 ? INT64_C(60000000) : 200000;
  c.mapping.maximum_retry_attempts = r->max_retries;
  c.mapping.bisect_on_error = r->bisect;
  c.mapping.filter = w->filter;
  c.on_failure = on_failure;
  *action = (sl_action_t){r->duration_us / 2, r->reshard_to};
  c.actions = action;
  c.action_count = r->reshard_to ? 1 : 0;
  c.duration_us = r->duration_us;
  c.drain_timeout_us = INT64_C(30) * 3600 * 1000000; /* past the 24-hour retention a poison record waits for */
  c.seed = seed;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  return c;
}

static void world_init(world_t *w, uint64_t seed) {
  memset(w, 0, sizeof *w);
  w->first_failure_us = -1;
  w->rng = seed * 31 + 7;
  w->inv = malloc(MAX_INVOCATIONS * sizeof *w->inv);
  w->handler_us = 300000;
}

/* A filter keeping the even records only, for w's mapping. */
static void world_filter_even(world_t *w) {
  const char *pattern = "{\"data\": {\"k\": [\"even\"]}}";
  sl_error_t err;
  if (sl_filter_create(&pattern, 1, &w->filter, &err) != SL_OK) fail_msg("sl_filter_create: %s", err.message);
}

/* A world with these keys and this handler duration. */
static inline void world_with(world_t *w, uint64_t seed, uint32_t keys, int64_t handler_us) {
  world_init(w, seed);
  w->keys = keys;
  w->handler_us = handler_us;
}

static void world_free(world_t *w) {
  sl_filter_destroy(w->filter);
  free(w->huge_data);
  free(w->inv);
  free(w->batch_keys);
  free(w->batch_index);
}

static int cmp_start(const void *a, const void *b) {
  const invocation_t *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

/* Consumed records are freed: once every mapping has everything, the logs hold nothing. */
static void check_logs_empty(sl_sim_t *sim, uint64_t seed) {
  const sl_stream_t *stream = sl_sim_stream(sim);
  for (uint32_t i = 0; i < sl_stream_shard_total(stream); i++)
    if (sl_shard_log_count(sl_stream_shard(stream, i)->log) != 0)
      fail_msg("seed %llu: shard %u still holds %zu consumed records", (unsigned long long)seed, i,
               (size_t)sl_shard_log_count(sl_stream_shard(stream, i)->log));
}

/* The invariants of one mapping of a run, with its own world: its summary's and its invocations'. */
static void check_invariants(world_t *w, sl_sim_t *sim, const run_t *r, uint64_t seed) {
  const sl_summary_t *s = sl_sim_mapping_summary(sim, w->mapping);
  const world_t *producer = w->producer ? w->producer : w;
  mapping_run_t mr = mapping_run_of(r, w->mapping);
  uint64_t puts = sl_sim_summary(sim)->records_put; /* the stream's: a mapping's summary has its own figures */
  if (puts > MAX_RECORDS) fail_msg("seed %llu: too many records for the test", (unsigned long long)seed);
  /* Every record delivered successfully exactly once (the simulation removes a record once delivered), none
   * invented; per key, first deliveries in put order. */
  unsigned char *delivered = calloc(puts + 1, 1);
  /* Nothing lost, nothing invented: each record delivered, sent away, filtered out or expired. */
  assert_int_equal(s->records_delivered + s->records_failed + s->records_filtered + s->records_expired, puts);
  /* Every delivery beyond a record's first is counted as a duplicate; filtered records are never delivered,
   * expired ones perhaps not (they may wait behind a poison record until the retention takes them). */
  if (s->records_expired == 0) assert_int_equal(s->deliveries - s->duplicate_deliveries, puts - s->records_filtered);
  else assert_true(s->deliveries - s->duplicate_deliveries <= puts - s->records_filtered);
  uint64_t per_second = 0; /* the seconds' records delivered add up to the summary's */
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) per_second += sl_sim_mapping_second(sim, w->mapping, i)->records_delivered;
  assert_int_equal(per_second, s->records_delivered);
  uint64_t *last_put_of_key = calloc(w->keys, sizeof *last_put_of_key);
  qsort(w->inv, w->inv_count, sizeof *w->inv, cmp_start);
  for (size_t i = 0; i < w->inv_count; i++) {
    invocation_t *v = &w->inv[i];
    for (uint32_t k = 0; k < v->ok; k++) {
      uint64_t put = w->batch_index[v->first_rec + k], key = w->batch_keys[v->first_rec + k];
      if (put < 1 || put > puts) fail_msg("seed %llu: delivered record %llu was never put", (unsigned long long)seed, (unsigned long long)put);
      if (delivered[put]) fail_msg("seed %llu: record %llu delivered successfully twice", (unsigned long long)seed, (unsigned long long)put);
      delivered[put] = 1;
      if (producer->key_of_put[put] != key) fail_msg("seed %llu: record %llu has the wrong key", (unsigned long long)seed, (unsigned long long)put);
      if (put < last_put_of_key[key])
        fail_msg("seed %llu: key %llu: record %llu delivered after record %llu", (unsigned long long)seed,
                 (unsigned long long)key, (unsigned long long)put, (unsigned long long)last_put_of_key[key]);
      last_put_of_key[key] = put;
    }
  }
  /* What is neither delivered nor sent away was filtered out (odd records under a filter) or expired. */
  uint64_t filtered = 0, expired = 0;
  for (uint64_t p = 1; p <= puts; p++) {
    int odd_filtered = w->filter != NULL && p % 2 == 1;
    if ((delivered[p] || w->failed[p]) && odd_filtered)
      fail_msg("seed %llu: record %llu passed the filter", (unsigned long long)seed, (unsigned long long)p);
    if (!delivered[p] && !w->failed[p]) {
      if (odd_filtered) filtered++;
      else expired++;
    }
    if (delivered[p] && w->failed[p])
      fail_msg("seed %llu: record %llu both delivered and failed", (unsigned long long)seed, (unsigned long long)p);
  }
  if (filtered != s->records_filtered || expired != s->records_expired)
    fail_msg("seed %llu: %llu records filtered and %llu expired, the summary says %llu and %llu", (unsigned long long)seed,
             (unsigned long long)filtered, (unsigned long long)expired, (unsigned long long)s->records_filtered,
             (unsigned long long)s->records_expired);
  /* Records expire only behind a poison record retried without end, and that one always does. */
  if (expired > 0 && !(w->poison && mr.max_retries < 0))
    fail_msg("seed %llu: %llu records expired with nothing stalled", (unsigned long long)seed, (unsigned long long)expired);
  if (w->poison && mr.max_retries < 0 && w->poison <= puts && (delivered[w->poison] || w->failed[w->poison]))
    fail_msg("seed %llu: the poison record %llu did not expire", (unsigned long long)seed, (unsigned long long)w->poison);
  /* Overlapping invocations: same shard never share a key; a slot never runs two; limits hold. */
  uint32_t cap = mr.reserved ? mr.reserved : r->account ? r->account : 1000;
  for (size_t i = 0; i < w->inv_count; i++) {
    uint32_t running = 1, per_shard = 1;
    for (size_t j = 0; j < w->inv_count; j++) {
      if (j == i || w->inv[j].start > w->inv[i].start || w->inv[j].end <= w->inv[i].start) continue;
      running++;
      if (w->inv[j].shard != w->inv[i].shard) continue;
      per_shard++;
      if (w->inv[j].slot == w->inv[i].slot) fail_msg("seed %llu: slot %u ran two batches at once", (unsigned long long)seed, w->inv[i].slot);
      for (uint32_t a = 0; a < w->inv[i].count; a++)
        for (uint32_t b = 0; b < w->inv[j].count; b++)
          if (w->batch_keys[w->inv[i].first_rec + a] == w->batch_keys[w->inv[j].first_rec + b])
            fail_msg("seed %llu: key %llu in two running batches of shard %u", (unsigned long long)seed,
                     (unsigned long long)w->batch_keys[w->inv[i].first_rec + a], w->inv[i].shard);
    }
    if (running > cap) fail_msg("seed %llu: %u running, limit %u", (unsigned long long)seed, running, cap);
    if (per_shard > mr.pf) fail_msg("seed %llu: %u running on one shard, PF %u", (unsigned long long)seed, per_shard, mr.pf);
  }
  free(delivered);
  free(last_put_of_key);
  if (sl_sim_mapping_count(sim) == 1) check_logs_empty(sim, seed);
}

typedef struct edge_s {
  int64_t at;
  int step; /* +1 a start, -1 an end */
} edge_t;

static int cmp_edge(const void *a, const void *b) {
  const edge_t *x = a, *y = b;
  if (x->at != y->at) return (x->at > y->at) - (x->at < y->at);
  return x->step - y->step; /* ends before starts at the same time */
}

/* Several mappings share their account's concurrency: at no time do more run than the account allows, nor
 * more of the mappings without reserved concurrency than it has left after what the others reserve. */
static void check_account(world_t *first, world_t *extra, const run_t *r, uint64_t seed) {
  uint32_t account = r->account ? r->account : 1000, reserved = 0;
  size_t n = 0;
  for (uint32_t m = 0; m <= r->extra_mappings; m++) {
    reserved += mapping_run_of(r, m).reserved;
    n += 2 * (m ? extra[m - 1].inv_count : first->inv_count);
  }
  edge_t *all = calloc(n ? n : 1, sizeof *all), *unreserved = calloc(n ? n : 1, sizeof *unreserved);
  size_t a = 0, u = 0;
  for (uint32_t m = 0; m <= r->extra_mappings; m++) {
    const world_t *w = m ? &extra[m - 1] : first;
    int shared = mapping_run_of(r, m).reserved == 0;
    for (size_t i = 0; i < w->inv_count; i++) {
      all[a++] = (edge_t){w->inv[i].start, 1};
      all[a++] = (edge_t){w->inv[i].end, -1};
      if (!shared) continue;
      unreserved[u++] = (edge_t){w->inv[i].start, 1};
      unreserved[u++] = (edge_t){w->inv[i].end, -1};
    }
  }
  qsort(all, a, sizeof *all, cmp_edge);
  qsort(unreserved, u, sizeof *unreserved, cmp_edge);
  int running = 0, most = 0;
  for (size_t i = 0; i < a; i++) most = (running += all[i].step) > most ? running : most;
  if ((uint32_t)most > account) fail_msg("seed %llu: %d running in an account of %u", (unsigned long long)seed, most, account);
  running = most = 0;
  for (size_t i = 0; i < u; i++) most = (running += unreserved[i].step) > most ? running : most;
  if ((uint32_t)most > account - reserved)
    fail_msg("seed %llu: %d unreserved running, the account leaves %u", (unsigned long long)seed, most, account - reserved);
  free(all);
  free(unreserved);
}

/* The invariants of a run of several mappings: each mapping's own (check_invariants with its world; worlds[0]
 * is the first mapping's and the producer's), the run's figures the mappings' together, and the standard
 * mappings' reads of a shard within its 5 a second between them (KDS quotas: GetRecords, 5 per shard per
 * second, https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html). */
static void check_run_invariants(world_t *first, world_t *extra, sl_sim_t *sim, const run_t *r, uint64_t seed) {
  uint32_t n = sl_sim_mapping_count(sim);
  assert_int_equal(n, r->extra_mappings + 1);
  const sl_summary_t *total = sl_sim_summary(sim);
  uint64_t invocations = 0, delivered = 0, max_concurrency = 0;
  for (uint32_t m = 0; m < n; m++) {
    world_t *w = m ? &extra[m - 1] : first;
    check_invariants(w, sim, r, seed);
    const sl_summary_t *s = sl_sim_mapping_summary(sim, m);
    invocations += s->invocations;
    delivered += s->records_delivered;
    max_concurrency += s->max_concurrency;
    if (total->max_concurrency < s->max_concurrency) fail_msg("seed %llu: run's max concurrency below a mapping's", (unsigned long long)seed);
  }
  check_logs_empty(sim, seed);
  check_account(first, extra, r, seed);
  assert_int_equal(total->invocations, invocations);
  assert_int_equal(total->records_delivered, delivered);
  if (total->max_concurrency > max_concurrency) fail_msg("seed %llu: run's max concurrency above the mappings' sum", (unsigned long long)seed);
  if (r->no_read_limits) return;
  const sl_stream_t *stream = sl_sim_stream(sim);
  for (uint32_t i = 0; i < sl_stream_shard_total(stream); i++)
    if ((double)sl_stream_shard(stream, i)->stats.reads > 5 + 5 * (double)sl_sim_now(sim) / 1e6)
      fail_msg("seed %llu: shard %u admitted %llu reads in %.1f s", (unsigned long long)seed, i,
               (unsigned long long)sl_stream_shard(stream, i)->stats.reads, (double)sl_sim_now(sim) / 1e6);
}


/* A random configuration for seed (shards, PF, ordering, batching, limits, failures, resharding) with the
 * world's keys and failure rates; time_scale shortens every duration (the real clock runs in wall time). */
static run_t random_run(world_t *w, uint64_t seed, double time_scale) {
  uint64_t rng = seed * 977;
  run_t r = {0};
  r.shards = 1 + (uint32_t)(test_rand(&rng) % 4);
  r.pf = 1 + (uint32_t)(test_rand(&rng) % 10);
  r.batch_size = 1 + (uint32_t)(test_rand(&rng) % 50);
  r.reserved = test_rand(&rng) % 3 == 0 ? 1 + (uint32_t)(test_rand(&rng) % 6) : 0;
  r.ordering = test_rand(&rng) % 2 ? SL_ORDERING_KEYS : SL_ORDERING_LANES;
  r.window_us = test_rand(&rng) % 3 == 0 ? (int64_t)((double)(test_rand(&rng) % 2000000) * time_scale) : 0;
  r.duration_us = (int64_t)(20000000 * time_scale);
  r.rate = 20 + (double)(test_rand(&rng) % 200);
  r.reshard_to = test_rand(&rng) % 3 == 0 ? r.shards * 2 : 0;
  r.max_retries = test_rand(&rng) % 2 ? (int32_t)(test_rand(&rng) % 3) : -1;
  r.bisect = (int)(test_rand(&rng) % 2);
  w->keys = 1 + (uint32_t)(test_rand(&rng) % 40);
  w->random_keys = (int)(test_rand(&rng) % 2);
  w->fail_rate = test_rand(&rng) % 2 ? 0.1 : 0;
  w->partial_rate = test_rand(&rng) % 2 ? 0.1 : 0;
  w->handler_us = (int64_t)((double)(10000 + (int64_t)(test_rand(&rng) % 500000)) * time_scale);
  if (w->handler_us < 1) w->handler_us = 1;
  r.no_read_limits = test_rand(&rng) % 3 == 0; /* how the mapping reads: polled under limits, all, or pushed */
  r.efo = !r.no_read_limits && test_rand(&rng) % 2;
  if (test_rand(&rng) % 4 == 0) world_filter_even(w);
  /* On the virtual clock, a poison record: sent away after its retries, or retried until the stream's 24-hour
   * retention takes it and the records behind it (Lambda: "until the records expire"). */
  if (time_scale == 1.0 && test_rand(&rng) % 6 == 0) w->poison = 1 + test_rand(&rng) % 20;
  return r;
}

/* For a third of the seeds, one or two more mappings on the run's stream (DESIGN 4: `mappings`), each with
 * its own settings and its own world (extra[i], initialised here; world_free them), reading first's records.
 * Drawn from their own generator, so the first mapping's configuration is random_run's for every seed.
 * Returns how many worlds it initialised. */
static uint32_t random_mappings(run_t *r, world_t *first, world_t *extra, uint64_t seed, double time_scale) {
  uint64_t rng = seed * 7919 + 3;
  r->extra_mappings = test_rand(&rng) % 3 == 0 ? 1 + (uint32_t)(test_rand(&rng) % 2) : 0;
  for (uint32_t m = 1; m <= r->extra_mappings; m++) {
    mapping_run_t *mr = &r->extra[m - 1];
    mr->pf = 1 + (uint32_t)(test_rand(&rng) % 10);
    mr->batch_size = 1 + (uint32_t)(test_rand(&rng) % 50);
    mr->reserved = test_rand(&rng) % 3 == 0 ? 1 + (uint32_t)(test_rand(&rng) % 6) : 0;
    mr->ordering = test_rand(&rng) % 2 ? SL_ORDERING_KEYS : SL_ORDERING_LANES;
    mr->window_us = test_rand(&rng) % 3 == 0 ? (int64_t)((double)(test_rand(&rng) % 2000000) * time_scale) : 0;
    mr->max_retries = test_rand(&rng) % 2 ? (int32_t)(test_rand(&rng) % 3) : -1;
    mr->bisect = (int)(test_rand(&rng) % 2);
    mr->efo = !r->no_read_limits && test_rand(&rng) % 2;
    world_t *w = &extra[m - 1];
    world_init(w, seed * 101 + m);
    w->mapping = m;
    w->producer = first;
    w->keys = first->keys;
    w->fail_rate = test_rand(&rng) % 2 ? 0.1 : 0;
    w->partial_rate = test_rand(&rng) % 2 ? 0.1 : 0;
    w->handler_us = (int64_t)((double)(10000 + (int64_t)(test_rand(&rng) % 500000)) * time_scale);
    if (w->handler_us < 1) w->handler_us = 1;
    if (test_rand(&rng) % 3 == 0) world_filter_even(w);
  }
  /* Half of them in a small account, whose concurrency the mappings share (what they reserve set aside). */
  if (r->extra_mappings > 0 && test_rand(&rng) % 2) {
    uint32_t reserved = 0;
    for (uint32_t m = 0; m <= r->extra_mappings; m++) reserved += mapping_run_of(r, m).reserved;
    r->account = reserved + 2 + (uint32_t)(test_rand(&rng) % 8);
  }
  return r->extra_mappings;
}

#endif
