/* test_real.c - the dispatcher on the real clock: the same invariants as test_sim.c over random
 * configurations, with every duration shortened, handlers on worker threads (each parks itself for its
 * duration, as a sleeping Lua handler does), and the order of starts and ends taken from the loop thread;
 * plus the worker pool's own contract: more sleeping invocations than threads, and stop. Run under
 * ThreadSanitizer in CI. */
#define _POSIX_C_SOURCE 200809L
#include "sim_world.h"

#include "shardlab/real.h"

static sl_real_t *driver;  /* the running test's driver: the invoke callback submits to it */
static uint64_t ticks;     /* logical time of the loop thread: orders starts and ends exactly */

typedef struct job_s {
  world_t *w;
  size_t inv;               /* the invocation's entry in the world */
  sl_batch_outcome_t out;   /* decided on the loop thread by the world's handler */
  int parked;               /* the worker has parked it once */
  volatile uint64_t work;   /* a little CPU on the worker, so threads overlap for real */
} job_t;

static int step(void *p, sl_batch_outcome_t *out, int64_t *sleep_us) {
  job_t *j = p;
  for (int i = 0; i < 2000; i++) j->work += (uint64_t)i;
  if (!j->parked) { /* first run: sleep for the handler's duration */
    j->parked = 1;
    *sleep_us = j->out.duration_us;
    return SL_PENDING;
  }
  *out = j->out;
  return SL_OK;
}

static void release(void *p, const sl_batch_outcome_t *out) {
  job_t *j = p;
  assert_int_equal(out->status, j->out.status);
  j->w->inv[j->inv].end = (int64_t)++ticks;
  free(j);
}

static int real_invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  world_t *w = ctx;
  int rc = invoke(ctx, b, start, out, err);
  if (rc != SL_OK) return rc;
  job_t *j = calloc(1, sizeof *j);
  assert_non_null(j);
  j->w = w;
  j->inv = w->inv_count - 1;
  j->out = *out;
  w->inv[j->inv].start = (int64_t)++ticks;
  w->inv[j->inv].end = INT64_MAX; /* running until released */
  return sl_real_submit(driver, w->mapping, b->slot, j, step, release);
}

/* Runs configuration c on the real clock with this many workers (0: one per core). */
static sl_sim_t *drive(const sl_sim_config_t *c, unsigned workers) {
  sl_real_options_t o;
  sl_real_options_init(&o);
  o.workers = workers;
  sl_sim_t *sim;
  sl_error_t err;
  if (sl_real_create(&o, &driver, &err) != SL_OK) fail_msg("sl_real_create: %s", err.message);
  if (sl_sim_create(c, &sim, &err) != SL_OK) fail_msg("sl_sim_create: %s", err.message);
  if (sl_real_run(driver, sim, &err) != SL_OK) fail_msg("sl_real_run: %s", err.message);
  sl_real_destroy(driver);
  driver = NULL;
  return sim;
}

/* Runs the world on the real clock with the given invoke callback (real_invoke or a variant of it). */
static sl_sim_t *run_real_mappings(world_t *w, world_t *extra, const run_t *r, uint64_t seed, unsigned workers,
                                   sl_invoke_fn invoker) {
  sl_producer_config_t producer;
  sl_action_t action;
  sl_sim_mapping_t maps[MAX_MAPPINGS];
  sl_sim_config_t c = run_config_of(w, r, seed, &producer, &action);
  c.invoke = invoker;
  c.mapping.retry_backoff_us = 20000;
  c.mapping.poll_interval_us = 20000;
  c.drain_timeout_us = 30000000;
  add_mappings(&c, r, extra, maps);
  return drive(&c, workers);
}

static sl_sim_t *run_real(world_t *w, const run_t *r, uint64_t seed, unsigned workers, sl_invoke_fn invoker) {
  return run_real_mappings(w, NULL, r, seed, workers, invoker);
}

/* The dispatcher's and failure handling's invariants hold on the real clock too. */
static void invariants_on_the_real_clock(void **state) {
  (void)state;
  int several = 0; /* runs with more than one mapping */
  for (uint64_t seed = 1; seed <= 8; seed++) {
    world_t w, extra[MAX_MAPPINGS - 1];
    world_init(&w, seed);
    run_t r = random_run(&w, seed, 0.05); /* 1 s runs, handlers of 0.5 to 25 ms */
    uint32_t n = random_mappings(&r, &w, extra, seed, 0.05);
    several += n > 0;
    sl_sim_t *sim = run_real_mappings(&w, extra, &r, seed, 2, real_invoke);
    const sl_summary_t *s = sl_sim_summary(sim);
    assert_false(s->interrupted);
    assert_true(s->records_put > 0);
    check_run_invariants(&w, extra, sim, &r, seed);
    sl_sim_destroy(sim);
    world_free(&w);
    for (uint32_t m = 0; m < n; m++) world_free(&extra[m]);
  }
  assert_true(several >= 2);
}

/* Records asked for per producer (producers_keep_their_rate). */
static uint64_t asked[2];

static int counting_produce(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out,
                            sl_error_t *err) {
  asked[producer]++;
  return produce(ctx, producer, i, now_us, out, err);
}

/* On the real clock both kinds of arrivals reach their rate: over 10 s, Poisson at 1,000 records/s and fixed
 * at 200/s put within 5% of 10,000 and 2,000 (the Poisson count's standard deviation is 100, so 5% is five of
 * them). Counting each gap from when an arrival was handled, not when it was due, lost the loop's lateness
 * at every record: 14% short at 200/s, 40% at 1,000/s. */
static void producers_keep_their_rate(void **state) {
  (void)state;
  world_t w;
  world_with(&w, 6, 50, 1000);
  run_t r = {.shards = 4, .pf = 10, .batch_size = 100, .ordering = SL_ORDERING_KEYS, .duration_us = 10000000,
             .rate = 1000, .max_retries = -1, .no_read_limits = 1};
  sl_producer_config_t producers[2] = {{.rate = 1000, .arrivals = SL_ARRIVALS_POISSON},
                                       {.rate = 200, .arrivals = SL_ARRIVALS_FIXED}};
  sl_action_t action;
  sl_sim_config_t c = run_config_of(&w, &r, 6, &producers[0], &action);
  producers[0] = (sl_producer_config_t){.rate = 1000, .arrivals = SL_ARRIVALS_POISSON};
  c.producers = producers;
  c.producer_count = 2;
  c.produce = counting_produce;
  c.invoke = real_invoke;
  c.drain_timeout_us = 30000000;
  asked[0] = asked[1] = 0;
  sl_sim_t *sim = drive(&c, 0);
  printf("Poisson at 1,000/s: %llu in 10 s; fixed at 200/s: %llu\n", (unsigned long long)asked[0],
         (unsigned long long)asked[1]);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__) /* a sanitizer's loop may not keep up */
  assert_true(asked[0] >= 9500 && asked[0] <= 10500);
  assert_true(asked[1] >= 1900 && asked[1] <= 2100);
#endif
  assert_int_equal(sl_sim_summary(sim)->records_put, asked[0] + asked[1]);
  sl_sim_destroy(sim);
  world_free(&w);
}

/* Sleeping invocations hold their slots, not threads: 10 of them overlap on one worker thread. */
static void sleepers_do_not_hold_threads(void **state) {
  (void)state;
  world_t w;
  world_with(&w, 3, 10, 300000);
  run_t r = {.shards = 1, .pf = 10, .batch_size = 1, .ordering = SL_ORDERING_KEYS, .duration_us = 100000,
             .rate = 400, .max_retries = -1};
  sl_sim_t *sim = run_real(&w, &r, 3, 1, real_invoke);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_delivered, s->records_put);
  assert_int_equal(s->max_concurrency, 10); /* 10 keys, one shard with PF 10 */
  check_invariants(&w, sim, &r, 3);
  sl_sim_destroy(sim);
  world_free(&w);
}

/* sl_real_stop: producers stop, no new batch starts, running ones finish, and the summary says so. */
static int stop_after_first(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out,
                            sl_error_t *err) {
  int rc = real_invoke(ctx, b, start, out, err);
  sl_real_stop(driver);
  return rc;
}

static void stop_lets_running_invocations_finish(void **state) {
  (void)state;
  world_t w;
  world_with(&w, 4, 5, 100000);
  run_t r = {.shards = 1, .pf = 1, .batch_size = 10, .ordering = SL_ORDERING_LANES, .duration_us = 2000000,
             .rate = 200, .max_retries = -1};
  sl_sim_t *sim = run_real(&w, &r, 4, 0, stop_after_first);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_true(s->interrupted);
  assert_int_equal(s->invocations, 1);
  assert_int_equal(w.inv_count, 1);
  assert_true(w.inv[0].end != INT64_MAX); /* it finished */
  assert_true(s->records_put < 400);      /* producers stopped long before 2 s */
  assert_int_equal(s->records_delivered, w.inv[0].ok);
  sl_sim_destroy(sim);
  world_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(invariants_on_the_real_clock),
                                     cmocka_unit_test(sleepers_do_not_hold_threads),
                                     cmocka_unit_test(producers_keep_their_rate),
                                     cmocka_unit_test(stop_lets_running_invocations_finish)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
