/* test_sim.c - the dispatcher on the virtual clock, checked as invariants over many seeds and random
 * configurations (shards, PF, both orderings, batch sizes, windows, limits, failures, resharding): every record
 * is delivered, per partition key first deliveries keep put order, no two running batches of a shard share a
 * key, concurrency stays within min(shards x PF, reserved) and PF per shard, runs are reproducible; and the
 * seed question's numbers (1 key -> 1, 3 keys -> at most 3, 100 keys -> what MD5 says). */
#include "test_support.h"

#include <stdlib.h>

#include "shardlab/sim.h"

enum { MAX_RECORDS = 20000, MAX_INVOCATIONS = 40000 };

typedef struct invocation_s {
  uint32_t shard, slot;
  int64_t start, end;
  sl_batch_status_t status;
  size_t ok;              /* records delivered successfully: [first, first + ok) of the batch */
  uint32_t first_rec;     /* index into batch_records */
  uint32_t count;
} invocation_t;

typedef struct world_s {
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
} world_t;

static uint64_t put_number(const sl_record_t *r) {
  char data[32];
  snprintf(data, sizeof data, "%.*s", (int)r->data_len, SL_RECORD_DATA(r));
  return strtoull(data, NULL, 10);
}

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
  snprintf(w->data, sizeof w->data, "%llu", (unsigned long long)i);
  *out = (sl_produced_t){w->key, strlen(w->key), w->data, strlen(w->data), NULL};
  if (i == w->huge) { /* "<i>" followed by spaces up to 7 MB: still parses as its put number */
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
    char key[32], data[32]; /* the log's bytes are not NUL-terminated */
    snprintf(key, sizeof key, "%.*s", (int)r->key_len, SL_RECORD_KEY(r));
    snprintf(data, sizeof data, "%.*s", (int)r->data_len, SL_RECORD_DATA(r));
    w->batch_index[w->batch_len] = strtoull(data, NULL, 10); /* data is "<put number>" */
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

typedef struct run_s {
  uint32_t shards, pf, batch_size, reserved, keys;
  sl_ordering_t ordering;
  int64_t window_us, duration_us;
  double rate;
  uint32_t reshard_to;  /* 0: none */
  int32_t max_retries;  /* maximum_retry_attempts */
  int bisect;
} run_t;

static sl_sim_t *run(world_t *w, const run_t *r, uint64_t seed) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "sim";
  c.stream.shard_count = r->shards;
  c.stream.write_limits = 0;
  sl_producer_config_t producer = {r->rate, SL_ARRIVALS_POISSON};
  c.producers = &producer;
  c.producer_count = 1;
  c.mapping.batch_size = r->batch_size;
  c.mapping.parallelization_factor = r->pf;
  c.mapping.ordering = r->ordering;
  c.mapping.reserved_concurrency = r->reserved;
  c.mapping.batching_window_us = r->window_us;
  c.mapping.retry_backoff_us = 200000;
  c.mapping.maximum_retry_attempts = r->max_retries;
  c.mapping.bisect_on_error = r->bisect;
  c.on_failure = on_failure;
  sl_action_t action = {r->duration_us / 2, r->reshard_to};
  c.actions = &action;
  c.action_count = r->reshard_to ? 1 : 0;
  c.duration_us = r->duration_us;
  c.drain_timeout_us = INT64_C(3600000000);
  c.seed = seed;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  sl_sim_t *sim;
  sl_error_t err;
  if (sl_sim_create(&c, &sim, &err) != SL_OK) fail_msg("sl_sim_create: %s", err.message);
  if (sl_sim_run(sim, &err) != SL_OK) fail_msg("sl_sim_run: %s", err.message);
  return sim;
}

static void world_init(world_t *w, uint64_t seed) {
  memset(w, 0, sizeof *w);
  w->first_failure_us = -1;
  w->rng = seed * 31 + 7;
  w->inv = malloc(MAX_INVOCATIONS * sizeof *w->inv);
  w->handler_us = 300000;
}

static void world_free(world_t *w) {
  free(w->huge_data);
  free(w->inv);
  free(w->batch_keys);
  free(w->batch_index);
}

/* A configuration for the test world: one stream, one producer (fixed arrivals) and the C callbacks. The
 * producer struct is the caller's and must live until the simulation is created. */
static sl_sim_config_t world_config(world_t *w, const char *name, uint32_t shards, double rate,
                                    sl_producer_config_t *producer) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = name;
  c.stream.shard_count = shards;
  *producer = (sl_producer_config_t){rate, SL_ARRIVALS_FIXED};
  c.producers = producer;
  c.producer_count = 1;
  c.produce = produce;
  c.invoke = invoke;
  c.on_failure = on_failure;
  c.ctx = w;
  return c;
}

/* Creates and runs a simulation, failing the test on any error. */
static sl_sim_t *run_config(const sl_sim_config_t *c) {
  sl_sim_t *sim;
  sl_error_t err;
  if (sl_sim_create(c, &sim, &err) != SL_OK) fail_msg("sl_sim_create: %s", err.message);
  if (sl_sim_run(sim, &err) != SL_OK) fail_msg("sl_sim_run: %s", err.message);
  return sim;
}

static int cmp_start(const void *a, const void *b) {
  const invocation_t *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

static void check_invariants(world_t *w, sl_sim_t *sim, const run_t *r, uint64_t seed) {
  const sl_summary_t *s = sl_sim_summary(sim);
  uint64_t puts = s->records_put;
  if (puts > MAX_RECORDS) fail_msg("seed %llu: too many records for the test", (unsigned long long)seed);
  /* Every record delivered successfully exactly once (the simulation removes a record once delivered), none
   * invented; per key, first deliveries in put order. */
  unsigned char *delivered = calloc(puts + 1, 1);
  assert_int_equal(s->records_delivered + s->records_failed, puts); /* nothing lost, nothing invented */
  /* Every delivery beyond a record's first is counted as a duplicate. */
  assert_int_equal(s->deliveries - s->duplicate_deliveries, puts);
  uint64_t *last_put_of_key = calloc(w->keys, sizeof *last_put_of_key);
  qsort(w->inv, w->inv_count, sizeof *w->inv, cmp_start);
  for (size_t i = 0; i < w->inv_count; i++) {
    invocation_t *v = &w->inv[i];
    for (uint32_t k = 0; k < v->ok; k++) {
      uint64_t put = w->batch_index[v->first_rec + k], key = w->batch_keys[v->first_rec + k];
      if (put < 1 || put > puts) fail_msg("seed %llu: delivered record %llu was never put", (unsigned long long)seed, (unsigned long long)put);
      if (delivered[put]) fail_msg("seed %llu: record %llu delivered successfully twice", (unsigned long long)seed, (unsigned long long)put);
      delivered[put] = 1;
      if (w->key_of_put[put] != key) fail_msg("seed %llu: record %llu has the wrong key", (unsigned long long)seed, (unsigned long long)put);
      if (put < last_put_of_key[key])
        fail_msg("seed %llu: key %llu: record %llu delivered after record %llu", (unsigned long long)seed,
                 (unsigned long long)key, (unsigned long long)put, (unsigned long long)last_put_of_key[key]);
      last_put_of_key[key] = put;
    }
  }
  for (uint64_t p = 1; p <= puts; p++) {
    if (!delivered[p] && !w->failed[p])
      fail_msg("seed %llu: record %llu of %llu neither delivered nor failed", (unsigned long long)seed, (unsigned long long)p, (unsigned long long)puts);
    if (delivered[p] && w->failed[p])
      fail_msg("seed %llu: record %llu both delivered and failed", (unsigned long long)seed, (unsigned long long)p);
  }
  /* Consumed records are freed: once everything is delivered the logs hold nothing. */
  const sl_stream_t *stream = sl_sim_stream(sim);
  for (uint32_t i = 0; i < sl_stream_shard_total(stream); i++)
    if (sl_shard_log_count(sl_stream_shard(stream, i)->log) != 0)
      fail_msg("seed %llu: shard %u still holds consumed records", (unsigned long long)seed, i);
  /* Overlapping invocations: same shard never share a key; a slot never runs two; limits hold. */
  uint32_t cap = r->reserved ? r->reserved : 1000;
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
    if (per_shard > r->pf) fail_msg("seed %llu: %u running on one shard, PF %u", (unsigned long long)seed, per_shard, r->pf);
  }
  free(delivered);
  free(last_put_of_key);
}

static void invariants_over_many_seeds(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 60; seed++) {
    uint64_t rng = seed * 977;
    run_t r = {0};
    r.shards = 1 + (uint32_t)(test_rand(&rng) % 4);
    r.pf = 1 + (uint32_t)(test_rand(&rng) % 10);
    r.batch_size = 1 + (uint32_t)(test_rand(&rng) % 50);
    r.reserved = test_rand(&rng) % 3 == 0 ? 1 + (uint32_t)(test_rand(&rng) % 6) : 0;
    r.ordering = test_rand(&rng) % 2 ? SL_ORDERING_KEYS : SL_ORDERING_LANES;
    r.window_us = test_rand(&rng) % 3 == 0 ? (int64_t)(test_rand(&rng) % 2000000) : 0;
    r.duration_us = 20000000;
    r.rate = 20 + (double)(test_rand(&rng) % 200);
    r.reshard_to = test_rand(&rng) % 3 == 0 ? r.shards * 2 : 0;
    r.max_retries = test_rand(&rng) % 2 ? (int32_t)(test_rand(&rng) % 3) : -1;
    r.bisect = (int)(test_rand(&rng) % 2);
    world_t w;
    world_init(&w, seed);
    w.keys = 1 + (uint32_t)(test_rand(&rng) % 40);
    w.random_keys = (int)(test_rand(&rng) % 2);
    w.fail_rate = test_rand(&rng) % 2 ? 0.1 : 0;
    w.partial_rate = test_rand(&rng) % 2 ? 0.1 : 0;
    w.handler_us = 10000 + (int64_t)(test_rand(&rng) % 500000);
    sl_sim_t *sim = run(&w, &r, seed);
    check_invariants(&w, sim, &r, seed);
    sl_sim_destroy(sim);
    world_free(&w);
  }
}

static void same_seed_same_run(void **state) {
  (void)state;
  run_t r = {4, 10, 100, 0, 0, SL_ORDERING_LANES, 0, 10000000, 300, 8, -1, 0};
  sl_summary_t first;
  size_t seconds = 0;
  sl_second_t series[64];
  for (int i = 0; i < 2; i++) {
    world_t w;
    world_init(&w, 5);
    w.keys = 20;
    w.random_keys = 1;
    w.fail_rate = 0.05;
    sl_sim_t *sim = run(&w, &r, 5);
    if (i == 0) {
      first = *sl_sim_summary(sim);
      seconds = sl_sim_seconds(sim);
      assert_true(seconds <= 64);
      for (size_t k = 0; k < seconds; k++) series[k] = *sl_sim_second(sim, k);
    } else {
      assert_memory_equal(&first, sl_sim_summary(sim), sizeof first);
      assert_int_equal(seconds, sl_sim_seconds(sim));
      for (size_t k = 0; k < seconds; k++) assert_memory_equal(&series[k], sl_sim_second(sim, k), sizeof series[k]);
    }
    sl_sim_destroy(sim);
    world_free(&w);
  }
}

/* The number of distinct (shard, lane) pairs that n keys "server-1".."server-n" occupy on 4 shards with PF
 * 10 under the lanes model, computed from MD5 directly: shard = hash / 2^126, lane = hash mod 10. */
static uint32_t lanes_bound(uint32_t n) {
  int used[4][10] = {{0}};
  uint32_t pairs = 0;
  for (uint32_t k = 1; k <= n; k++) {
    char key[32];
    snprintf(key, sizeof key, "server-%u", k);
    sl_hashkey_t h = sl_hashkey_of(key, strlen(key));
    int shard = (int)(h >> 126), lane = (int)(h % 10);
    if (!used[shard][lane]++) pairs++;
  }
  return pairs;
}

static int produce_servers(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out,
                           sl_error_t *err) {
  (void)producer;
  (void)now_us;
  (void)err;
  world_t *w = ctx;
  snprintf(w->key, sizeof w->key, "server-%llu", (unsigned long long)((i - 1) % w->keys + 1));
  snprintf(w->data, sizeof w->data, "%llu", (unsigned long long)i);
  *out = (sl_produced_t){w->key, strlen(w->key), w->data, strlen(w->data), NULL};
  return SL_OK;
}

static uint32_t seed_question(uint32_t keys, sl_ordering_t ordering) {
  world_t w;
  world_init(&w, 1);
  w.keys = keys;
  w.handler_us = 2000000; /* 2 s per batch: slower than the arrivals */
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "seed";
  c.stream.shard_count = 4;
  sl_producer_config_t producer = {400, SL_ARRIVALS_FIXED};
  c.producers = &producer;
  c.producer_count = 1;
  c.mapping.parallelization_factor = 10;
  c.mapping.ordering = ordering;
  c.mapping.batch_size = 10;
  c.duration_us = 30000000;
  c.produce = produce_servers;
  c.invoke = invoke;
  c.ctx = &w;
  sl_sim_t *sim = run_config(&c);
  uint32_t max = sl_sim_summary(sim)->max_concurrency;
  sl_sim_destroy(sim);
  world_free(&w);
  return max;
}

static void the_seed_question(void **state) {
  (void)state;
  assert_int_equal(seed_question(1, SL_ORDERING_LANES), 1);
  assert_int_equal(seed_question(1, SL_ORDERING_KEYS), 1);
  assert_true(seed_question(3, SL_ORDERING_LANES) <= 3);
  assert_int_equal(seed_question(3, SL_ORDERING_KEYS), 3);
  assert_int_equal(seed_question(100, SL_ORDERING_LANES), lanes_bound(100));
  assert_true(lanes_bound(100) < 40); /* keys that share a lane cost concurrency */
  assert_int_equal(seed_question(100, SL_ORDERING_KEYS), 40);
}

/* Records put before the mapping's AT_TIMESTAMP are never delivered; on a fresh stream TRIM_HORIZON and
 * LATEST both see everything (the mapping starts before the first put). */
static void starting_positions(void **state) {
  (void)state;
  static const sl_iterator_type_t positions[] = {SL_ITER_TRIM_HORIZON, SL_ITER_LATEST, SL_ITER_AT_TIMESTAMP};
  for (size_t p = 0; p < 3; p++) {
    world_t w;
    world_init(&w, 3);
    w.keys = 5;
    w.handler_us = 1000;
    sl_sim_config_t c;
    sl_sim_config_init(&c);
    c.stream.name = "start";
    c.stream.shard_count = 2;
    sl_producer_config_t producer = {100, SL_ARRIVALS_FIXED}; /* record i arrives at (i - 1) * 10 ms */
    c.producers = &producer;
    c.producer_count = 1;
    c.mapping.starting_position = positions[p];
    c.mapping.starting_timestamp_ms = c.start_ms + 5000; /* AT_TIMESTAMP: from the 5th second on */
    c.duration_us = 10000000;
    c.produce = produce;
    c.invoke = invoke;
    c.ctx = &w;
    sl_sim_t *sim = run_config(&c);
    const sl_summary_t *sum = sl_sim_summary(sim);
    assert_int_equal(sum->records_put, 1000);
    uint64_t lowest = UINT64_MAX;
    for (size_t i = 0; i < w.batch_len; i++)
      if (w.batch_index[i] < lowest) lowest = w.batch_index[i];
    if (positions[p] == SL_ITER_AT_TIMESTAMP) {
      assert_int_equal(sum->records_delivered, 500); /* records 501..1000 arrive at 5 s or later */
      assert_int_equal(lowest, 501);
    } else {
      assert_int_equal(sum->records_delivered, 1000);
      assert_int_equal(lowest, 1);
    }
    sl_sim_destroy(sim);
    world_free(&w);
  }
}

/* One shard, PF 1, batches of 10, record 25 poisoned. */
static sl_sim_t *poison_run(world_t *w, int32_t max_retries, int bisect, uint32_t batch_size, int64_t max_age_us) {
  world_init(w, 11);
  w->keys = 3;
  w->poison = 25;
  w->handler_us = 100000;
  sl_producer_config_t producer;
  sl_sim_config_t c = world_config(w, "poison", 1, 200, &producer);
  c.mapping.batch_size = batch_size;
  c.mapping.maximum_retry_attempts = max_retries;
  c.mapping.bisect_on_error = bisect;
  c.mapping.maximum_record_age_us = max_age_us;
  c.duration_us = 5000000;
  c.drain_timeout_us = 300000000;
  sl_sim_t *sim = run_config(&c);
  return sim;
}

static size_t invocations_with(const world_t *w, uint64_t put) {
  size_t n = 0;
  for (size_t i = 0; i < w->inv_count; i++)
    for (uint32_t k = 0; k < w->inv[i].count; k++) n += w->batch_index[w->inv[i].first_rec + k] == put;
  return n;
}

static void retries_exhausted_go_to_the_destination(void **state) {
  (void)state;
  world_t w;
  sl_sim_t *sim = poison_run(&w, 2, 0, 10, -1);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* MaximumRetryAttempts = 2: the first invocation and two retries, then the whole batch to the destination. */
  assert_int_equal(invocations_with(&w, 25), 3);
  assert_int_equal(w.failures, 1);
  assert_int_equal(w.last_failure.condition, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED);
  assert_int_equal(w.last_failure.invoke_count, 3);
  assert_int_equal(w.last_failure.count, 10);
  assert_int_equal(s->records_failed, 10);
  assert_int_equal(s->retries, 2);
  assert_int_equal(s->records_delivered + s->records_failed, s->records_put);
  assert_true(w.failed[25]);
  sl_sim_destroy(sim);
  world_free(&w);
}

static void bisect_isolates_the_poison_record(void **state) {
  (void)state;
  world_t w;
  sl_sim_t *sim = poison_run(&w, 0, 1, 100, -1);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* Retries 0 and bisection: halves down to the single poison record, which alone is sent away. */
  assert_int_equal(s->records_failed, 1);
  assert_int_equal(w.failures, 1);
  assert_int_equal(w.last_failure.count, 1);
  assert_true(w.failed[25]);
  assert_int_equal(s->records_delivered, s->records_put - 1);
  assert_int_equal(s->retries, 0); /* splits are not retries */
  sl_sim_destroy(sim);
  world_free(&w);
}

static void default_retries_stall_the_lane(void **state) {
  (void)state;
  world_t w;
  sl_sim_t *sim = poison_run(&w, -1, 0, 10, -1);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* Retried until the records expire (beyond this run): nothing behind the poison record gets through. */
  assert_int_equal(s->records_failed, 0);
  assert_int_equal(s->records_delivered, 20); /* the two batches before the poisoned one */
  assert_true(s->retries > 100);
  assert_true(s->max_iterator_age_ms > 250000);
  sl_sim_destroy(sim);
  world_free(&w);
}

static void record_age_sends_old_records_away(void **state) {
  (void)state;
  world_t w;
  sl_sim_t *sim = poison_run(&w, -1, 0, 10, 60000000);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* The poisoned batch (records 21..30) is retried until its oldest record is older than 60 s, then sent away.
   * By then the backlog behind it is as old: it follows, also as RecordAgeExceeded. Nothing is lost. */
  assert_int_equal(w.first_failure.condition, SL_FAILURE_RECORD_AGE_EXCEEDED);
  assert_int_equal(w.first_failure.count, 10);
  assert_true(w.first_failure.at_us >= 60000000 + 100000); /* record 21 arrived at 0.1 s */
  assert_true(w.first_failure.at_us < 62000000);
  assert_true(w.failed[25]);
  assert_true(w.all_age_exceeded);
  assert_int_equal(s->records_delivered + s->records_failed, s->records_put);
  assert_true(s->records_delivered > 20); /* the lane moved on: younger records got through */
  sl_sim_destroy(sim);
  world_free(&w);
}

static void retry_blocks_the_shard_when_asked(void **state) {
  (void)state;
  for (int scope = 0; scope < 2; scope++) {
    world_t w;
    world_init(&w, 13);
    w.keys = 4; /* four keys, balanced over four slots of one shard */
    w.poison = 2;
    w.handler_us = 50000;
    sl_producer_config_t producer;
    sl_sim_config_t c = world_config(&w, "scope", 1, 40, &producer);
    c.mapping.parallelization_factor = 4;
    c.mapping.ordering = SL_ORDERING_KEYS;
    c.mapping.maximum_retry_attempts = 3;
    c.mapping.retry_blocks_shard = scope;
    c.duration_us = 20000000;
    sl_sim_t *sim = run_config(&c);
    /* Between the first failure and the exhaustion, did batches without the poison record start? */
    size_t others = 0;
    for (size_t i = 0; i < w.inv_count; i++) {
      /* The first failure is known when its invocation ends. */
      if (w.inv[i].start <= w.first_failure_us + w.handler_us || w.inv[i].start >= w.last_failure.at_us) continue;
      int has_poison = 0;
      for (uint32_t k = 0; k < w.inv[i].count; k++) has_poison |= w.batch_index[w.inv[i].first_rec + k] == 2;
      others += !has_poison;
    }
    if (scope) assert_int_equal(others, 0);
    else assert_true(others > 0);
    assert_int_equal(w.last_failure.condition, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED);
    sl_sim_destroy(sim);
    world_free(&w);
  }
}

static void oversized_record_goes_to_the_destination(void **state) {
  (void)state;
  world_t w;
  world_init(&w, 17);
  w.keys = 2;
  w.huge = 5;
  w.handler_us = 10000;
  sl_producer_config_t producer;
  sl_sim_config_t c = world_config(&w, "huge", 1, 20, &producer);
  c.stream.write_limits = 0;
  c.stream.max_record_size_kib = 10240;
  c.duration_us = 2000000;
  sl_sim_t *sim = run_config(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* 7 MB of data is 9.3 MB of base64: more than an invocation's 6 MB. It is never invoked; the rest flows. */
  assert_int_equal(invocations_with(&w, 5), 0);
  assert_int_equal(w.failures, 1);
  assert_int_equal(w.last_failure.count, 1);
  assert_int_equal(w.last_failure.invoke_count, 0);
  assert_true(w.failed[5]);
  assert_int_equal(s->records_failed, 1);
  assert_int_equal(s->records_delivered, s->records_put - 1);
  sl_sim_destroy(sim);
  world_free(&w);
}

/* A window-aware invoker: checks each batch against its window and carries {"n": records so far}. */
typedef struct window_world_s {
  world_t base;
  int64_t size_ms;
  int64_t open_start;      /* window of the previous invocation, -1 after a final */
  long expect_n;           /* the state the next invocation must receive */
  long finals, final_total;
  int bad;                 /* a check failed (message in why) */
  char why[160];
} window_world_t;

static int window_invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  window_world_t *ww = ctx;
  (void)start;
  (void)err;
  const sl_event_window_t *w = b->window;
  out->duration_us = 20000;
  if (w == NULL || w->end_ms - w->start_ms != ww->size_ms) {
    snprintf(ww->why, sizeof ww->why, "a batch without its window");
    ww->bad = 1;
    return SL_OK;
  }
  long n = -1;
  if (sscanf(w->state_json, "{\"n\":%ld}", &n) != 1) n = strcmp(w->state_json, "{}") == 0 ? 0 : -1;
  if (w->start_ms != ww->open_start && n != 0) {
    snprintf(ww->why, sizeof ww->why, "window %lld began with state %s", (long long)w->start_ms, w->state_json);
    ww->bad = 1;
  }
  if (w->start_ms == ww->open_start && n != ww->expect_n) {
    snprintf(ww->why, sizeof ww->why, "state %ld, expected %ld", n, ww->expect_n);
    ww->bad = 1;
  }
  for (size_t i = 0; i < b->count; i++)
    if (b->records[i]->arrival_ms < w->start_ms || b->records[i]->arrival_ms >= w->end_ms) {
      snprintf(ww->why, sizeof ww->why, "a record outside its batch's window");
      ww->bad = 1;
    }
  if (w->final) {
    if (b->count != 0) ww->bad = 1;
    ww->finals++;
    ww->final_total += n;
    ww->open_start = -1;
  } else {
    ww->open_start = w->start_ms;
    ww->expect_n = n + (long)b->count;
  }
  char state[48];
  snprintf(state, sizeof state, "{\"n\":%ld}", w->final ? 0 : n + (long)b->count);
  out->state_json = malloc(strlen(state) + 1);
  strcpy(out->state_json, state);
  out->status = SL_BATCH_OK;
  return SL_OK;
}

static void tumbling_windows_carry_state(void **state) {
  (void)state;
  window_world_t ww;
  memset(&ww, 0, sizeof ww);
  world_init(&ww.base, 19);
  ww.base.keys = 3;
  ww.size_ms = 10000;
  ww.open_start = -1;
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "windows";
  c.stream.shard_count = 1;
  sl_producer_config_t producer = {50, SL_ARRIVALS_POISSON};
  c.producers = &producer;
  c.producer_count = 1;
  c.mapping.batch_size = 7;
  c.mapping.tumbling_window_us = 10000000;
  c.duration_us = 45000000;
  c.produce = produce;
  c.invoke = window_invoke;
  c.ctx = &ww;
  sl_sim_t *sim = run_config(&c);
  if (ww.bad) fail_msg("%s", ww.why);
  const sl_summary_t *s = sl_sim_summary(sim);
  /* 45 s of records in 10 s windows: 5 windows, each closed by a final invocation whose state holds its count. */
  assert_int_equal(ww.finals, 5);
  assert_int_equal(s->windows_closed, 5);
  assert_int_equal(ww.final_total, (long)s->records_delivered);
  assert_int_equal(s->records_delivered, s->records_put);
  sl_sim_destroy(sim);
  world_free(&ww.base);
  /* Windows need PF 1: their state belongs to the shard. */
  c.mapping.parallelization_factor = 2;
  sl_error_t err;
  assert_int_equal(sl_sim_create(&c, &sim, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "tumbling_window needs parallelization_factor 1"));
}

/* Batches held back by reserved concurrency are throttles, never retries. */
static void throttles_are_not_retries(void **state) {
  (void)state;
  world_t w;
  world_init(&w, 23);
  w.keys = 8;
  w.handler_us = 400000;
  sl_producer_config_t producer;
  sl_sim_config_t c = world_config(&w, "throttled", 2, 100, &producer);
  c.mapping.parallelization_factor = 4;
  c.mapping.ordering = SL_ORDERING_KEYS;
  c.mapping.reserved_concurrency = 2;
  c.duration_us = 10000000;
  sl_sim_t *sim = run_config(&c);
  uint64_t throttles = 0;
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) throttles += sl_sim_second(sim, i)->throttles;
  assert_true(throttles > 0);
  assert_int_equal(sl_sim_summary(sim)->retries, 0);
  assert_int_equal(sl_sim_summary(sim)->max_concurrency, 2);
  assert_int_equal(sl_sim_summary(sim)->records_delivered, sl_sim_summary(sim)->records_put);
  sl_sim_destroy(sim);
  world_free(&w);
}

/* A window open when its shard is split closes early: its final invocation says isWindowTerminatedEarly. */
static int early_invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)start;
  (void)err;
  long *early = ctx; /* [0]: early finals of shard 0, [1]: finals of shard 0, [2]: early finals elsewhere */
  out->duration_us = 1000;
  out->status = SL_BATCH_OK;
  if (b->window != NULL && b->window->final) {
    if (b->shard->index == 0) {
      early[1]++;
      early[0] += b->window->terminated_early;
    } else {
      early[2] += b->window->terminated_early;
    }
  }
  out->state_json = malloc(3);
  memcpy(out->state_json, "{}", 3);
  return SL_OK;
}

static int produce_one_key(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)ctx;
  (void)producer;
  (void)i;
  (void)now_us;
  (void)err;
  *out = (sl_produced_t){"k", 1, "d", 1, NULL};
  return SL_OK;
}

static void window_closes_early_when_the_shard_ends(void **state) {
  (void)state;
  long early[3] = {0, 0, 0};
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "early";
  c.stream.shard_count = 1;
  sl_producer_config_t producer = {20, SL_ARRIVALS_FIXED};
  c.producers = &producer;
  c.producer_count = 1;
  c.mapping.tumbling_window_us = 10000000;
  sl_action_t split = {15000000, 2}; /* in the middle of the window [10 s, 20 s) */
  c.actions = &split;
  c.action_count = 1;
  c.duration_us = 30000000;
  c.produce = produce_one_key;
  c.invoke = early_invoke;
  c.ctx = early;
  sl_sim_t *sim = run_config(&c);
  assert_int_equal(early[1], 2); /* windows [0, 10) and [10, 20) of the parent */
  assert_int_equal(early[0], 1); /* the second one ended with the shard, before its time */
  assert_int_equal(early[2], 0); /* the children's windows end normally */
  sl_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(invariants_over_many_seeds), cmocka_unit_test(same_seed_same_run),
                                     cmocka_unit_test(starting_positions),
                                     cmocka_unit_test(retries_exhausted_go_to_the_destination),
                                     cmocka_unit_test(bisect_isolates_the_poison_record),
                                     cmocka_unit_test(default_retries_stall_the_lane),
                                     cmocka_unit_test(record_age_sends_old_records_away),
                                     cmocka_unit_test(retry_blocks_the_shard_when_asked),
                                     cmocka_unit_test(oversized_record_goes_to_the_destination),
                                     cmocka_unit_test(tumbling_windows_carry_state),
                                     cmocka_unit_test(throttles_are_not_retries),
                                     cmocka_unit_test(window_closes_early_when_the_shard_ends),
                                     cmocka_unit_test(the_seed_question)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
