/* test_sim.c - the dispatcher on the virtual clock, checked as invariants over many seeds and random
 * configurations (shards, PF, both orderings, batch sizes, windows, limits, failures, resharding, read limits
 * and fan-out, filters, several mappings, records expiring behind a poison record): every record is delivered,
 * filtered, sent away or expired exactly once, per partition key first deliveries keep put order, no two running
 * batches of a shard share a key, concurrency stays within min(shards x PF, reserved) and PF per shard, runs are
 * reproducible; and the seed question's numbers (1 key -> 1, 3 keys -> at most 3, 100 keys -> what MD5 says). */
#include "sim_world.h"

static sl_sim_t *run_mappings(world_t *w, world_t *extra, const run_t *r, uint64_t seed) {
  sl_producer_config_t producer;
  sl_action_t action;
  sl_sim_mapping_t maps[MAX_MAPPINGS];
  sl_sim_config_t c = run_config_of(w, r, seed, &producer, &action);
  add_mappings(&c, r, extra, maps);
  sl_sim_t *sim;
  sl_error_t err;
  if (sl_sim_create(&c, &sim, &err) != SL_OK) fail_msg("sl_sim_create: %s", err.message);
  if (sl_sim_run(sim, &err) != SL_OK) fail_msg("sl_sim_run: %s", err.message);
  return sim;
}

static sl_sim_t *run(world_t *w, const run_t *r, uint64_t seed) { return run_mappings(w, NULL, r, seed); }

/* A configuration for the test world: one stream, one producer (fixed arrivals) and the C callbacks. The
 * producer struct is the caller's and must live until the simulation is created. */
static sl_sim_config_t world_config(world_t *w, const char *name, uint32_t shards, double rate,
                                    sl_producer_config_t *producer) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = name;
  c.stream.shard_count = shards;
  *producer = (sl_producer_config_t){.rate = rate, .arrivals = SL_ARRIVALS_FIXED};
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

static void invariants_over_many_seeds(void **state) {
  (void)state;
  int several = 0, expired = 0, filtered = 0; /* runs with more than one mapping, with records expired, filtered */
  for (uint64_t seed = 1; seed <= 60; seed++) {
    world_t w, extra[MAX_MAPPINGS - 1];
    world_init(&w, seed);
    run_t r = random_run(&w, seed, 1.0);
    uint32_t n = random_mappings(&r, &w, extra, seed, 1.0);
    several += n > 0;
    sl_sim_t *sim = run_mappings(&w, extra, &r, seed);
    check_run_invariants(&w, extra, sim, &r, seed);
    expired += sl_sim_summary(sim)->records_expired > 0;
    filtered += sl_sim_summary(sim)->records_filtered > 0;
    sl_sim_destroy(sim);
    world_free(&w);
    for (uint32_t m = 0; m < n; m++) world_free(&extra[m]);
  }
  printf("%d of 60 runs with several mappings, %d with records expired, %d with records filtered\n", several, expired,
         filtered);
  assert_true(several >= 10 && expired >= 3 && filtered >= 10);
}

/* Two mappings in an account of 10 (AWS Lambda guide, "Configuring reserved concurrency for a function": "When
 * a function has reserved concurrency, no other function can use that concurrency"): one reserves 4, so the
 * other has 6; both have work for 40 (4 shards x PF 10, 100 keys, a second a batch). */
static void several_mappings_share_one_account(void **state) {
  (void)state;
  run_t r = {.shards = 4, .pf = 10, .batch_size = 1, .ordering = SL_ORDERING_KEYS, .duration_us = 10000000,
             .rate = 400, .max_retries = -1, .extra_mappings = 1, .account = 10};
  r.extra[0] = (mapping_run_t){.pf = 10, .batch_size = 1, .reserved = 4, .ordering = SL_ORDERING_KEYS,
                               .max_retries = -1};
  world_t w, extra;
  world_init(&w, 9);
  w.keys = 100;
  w.handler_us = 1000000;
  world_init(&extra, 10);
  extra.mapping = 1;
  extra.producer = &w;
  extra.keys = 100;
  extra.handler_us = 1000000;
  sl_sim_t *sim = run_mappings(&w, &extra, &r, 9);
  check_run_invariants(&w, &extra, sim, &r, 9);
  const sl_summary_t *shared = sl_sim_mapping_summary(sim, 0), *reserved = sl_sim_mapping_summary(sim, 1);
  assert_int_equal(reserved->max_concurrency, 4);
  assert_int_equal(shared->max_concurrency, 10 - 4);
  assert_int_equal(sl_sim_summary(sim)->max_concurrency, 10);
  uint64_t throttles[2] = {0, 0}; /* batches that waited for room, per second */
  for (uint32_t m = 0; m < 2; m++)
    for (size_t i = 0; i < sl_sim_seconds(sim); i++) throttles[m] += sl_sim_mapping_second(sim, m, i)->throttles;
  assert_true(throttles[0] > 0 && throttles[1] > 0);
  sl_sim_destroy(sim);
  /* What they reserve must leave the other some of the account, and the account is one. */
  sl_producer_config_t producer;
  sl_action_t action;
  sl_sim_mapping_t maps[MAX_MAPPINGS];
  sl_error_t err;
  r.extra[0].reserved = 10;
  sl_sim_config_t c = run_config_of(&w, &r, 9, &producer, &action);
  add_mappings(&c, &r, &extra, maps);
  assert_int_equal(sl_sim_create(&c, &sim, &err), SL_EINVAL);
  assert_string_equal(err.message, "mappings: reserved_concurrency adds up to 10 of account_concurrency 10, which "
                                   "leaves nothing for the mappings without it");
  maps[1].mapping.reserved_concurrency = 4;
  maps[1].mapping.account_concurrency = 20;
  assert_int_equal(sl_sim_create(&c, &sim, &err), SL_EINVAL);
  assert_string_equal(err.message, "mappings[2]: account_concurrency 20 differs from mappings[1]'s 10: the mappings "
                                   "share one account");
  world_free(&w);
  world_free(&extra);
}

static void same_seed_same_run(void **state) {
  (void)state;
  run_t r = {.shards = 4, .pf = 10, .batch_size = 100, .ordering = SL_ORDERING_LANES, .duration_us = 10000000,
             .rate = 300, .reshard_to = 8, .max_retries = -1};
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
  sl_producer_config_t producer = {.rate = 400, .arrivals = SL_ARRIVALS_FIXED};
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
    sl_producer_config_t producer = {.rate = 100, .arrivals = SL_ARRIVALS_FIXED}; /* record i arrives at (i - 1) * 10 ms */
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
  sl_producer_config_t producer = {.rate = 50, .arrivals = SL_ARRIVALS_POISSON};
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
  sl_producer_config_t producer = {.rate = 20, .arrivals = SL_ARRIVALS_FIXED};
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

/* Window state over 1 MB (AWS: "If it exceeds that size, Lambda terminates the window early"). The invoker
 * logs what each invocation got; the second invocation of the first window returns 1 MiB + 1 byte of state,
 * the second of the next window exactly 1 MiB. */
enum { BIG_LIMIT = 1024 * 1024, BIG_LOG = 400 };

typedef struct big_call_s {
  int64_t start_ms;
  int final, early;
  size_t count, in_len, out_len;
} big_call_t;

typedef struct big_world_s {
  big_call_t log[BIG_LOG];
  size_t calls;
  int64_t starts[2];  /* the first two windows seen */
  size_t seen;        /* entries of starts */
  size_t nth;         /* non-final invocations since the last final */
  int big_done[2];    /* the big state of window 0 / 1 was returned */
} big_world_t;

static char *big_state(size_t len) { /* {"p":"xx...x"}, len bytes of JSON */
  char *st = malloc(len + 1);
  memcpy(st, "{\"p\":\"", 6);
  memset(st + 6, 'x', len - 8);
  memcpy(st + len - 2, "\"}", 3);
  return st;
}

static int big_invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)start;
  (void)err;
  big_world_t *bw = ctx;
  const sl_event_window_t *w = b->window;
  out->duration_us = 1000;
  out->status = SL_BATCH_OK;
  if (w == NULL || bw->calls >= BIG_LOG) return SL_OK;
  big_call_t *call = &bw->log[bw->calls++];
  *call = (big_call_t){w->start_ms, w->final, w->terminated_early, b->count, strlen(w->state_json), 0};
  if (bw->seen < 2 && (bw->seen == 0 || bw->starts[bw->seen - 1] != w->start_ms)) bw->starts[bw->seen++] = w->start_ms;
  int order = w->start_ms == bw->starts[0] ? 0 : bw->seen > 1 && w->start_ms == bw->starts[1] ? 1 : 2;
  if (w->final) {
    bw->nth = 0;
    out->state_json = big_state(8);
  } else if (++bw->nth == 2 && order < 2 && !bw->big_done[order]) {
    bw->big_done[order] = 1;
    out->state_json = big_state(order == 0 ? BIG_LIMIT + 1 : BIG_LIMIT);
  } else {
    out->state_json = malloc(32);
    snprintf(out->state_json, 32, "{\"n\":%zu}", bw->nth);
  }
  call->out_len = strlen(out->state_json);
  return SL_OK;
}

static void window_state_over_1_mb_ends_the_window_early(void **state) {
  (void)state;
  static big_world_t bw;
  memset(&bw, 0, sizeof bw);
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "big-state";
  c.stream.shard_count = 1;
  sl_producer_config_t producer = {.rate = 10, .arrivals = SL_ARRIVALS_FIXED};
  c.producers = &producer;
  c.producer_count = 1;
  c.mapping.batch_size = 5;
  c.mapping.tumbling_window_us = 10000000;
  c.duration_us = 30000000;
  c.produce = produce_one_key;
  c.invoke = big_invoke;
  c.ctx = &bw;
  sl_sim_t *sim = run_config(&c);
  const sl_summary_t *sum = sl_sim_summary(sim);
  assert_true(bw.calls > 10 && bw.calls < BIG_LOG);
  size_t finals = 0, early = 0, over = BIG_LOG, at = BIG_LOG;
  for (size_t i = 0; i < bw.calls; i++) {
    finals += (size_t)bw.log[i].final;
    early += (size_t)bw.log[i].early;
    if (bw.log[i].out_len == BIG_LIMIT + 1) over = i;
    if (bw.log[i].out_len == BIG_LIMIT) at = i;
  }
  assert_true(over + 2 < bw.calls && at + 1 < bw.calls);
  /* Over the limit: the window's final invocation follows at once, flagged, with the last state kept... */
  const big_call_t *fin = &bw.log[over + 1];
  assert_true(fin->final && fin->early);
  assert_int_equal(fin->start_ms, bw.log[over].start_ms);
  assert_int_equal(fin->count, 0);
  assert_int_equal(fin->in_len, strlen("{\"n\":1}"));
  /* ...and the window's later records continue it with a fresh state. */
  assert_int_equal(bw.log[over + 2].start_ms, bw.log[over].start_ms);
  assert_false(bw.log[over + 2].final);
  assert_int_equal(bw.log[over + 2].in_len, 2); /* {} */
  /* At the limit the state is carried on: the next invocation of the window gets all of it. */
  assert_false(bw.log[at + 1].final);
  assert_int_equal(bw.log[at + 1].start_ms, bw.log[at].start_ms);
  assert_int_equal(bw.log[at + 1].in_len, BIG_LIMIT);
  assert_int_equal(early, 1); /* only the overflow ended a window early */
  assert_int_equal(sum->windows_closed, finals);
  assert_int_equal(sum->errors, 0); /* the batch that returned the big state did not fail */
  assert_int_equal(sum->records_delivered, sum->records_put);
  sl_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(invariants_over_many_seeds),
                                     cmocka_unit_test(several_mappings_share_one_account),
                                     cmocka_unit_test(same_seed_same_run),
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
                                     cmocka_unit_test(window_state_over_1_mb_ends_the_window_early),
                                     cmocka_unit_test(the_seed_question)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
