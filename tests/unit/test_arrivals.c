/* test_arrivals.c - when producers' records arrive on the virtual clock (sim_arrivals.c): a rate that varies
 * in time, for Poisson arrivals (counts per phase within 5 standard deviations of the rate's integral, the
 * bounds computed here) and fixed ones (the gap of the rate in force); recorded traffic at exactly its times;
 * records_offered under throttling; a rate function's error and a negative rate stop the run, named. */
#include "test_sim_support.h"

#include <math.h>

enum { MAX_SEEN = 20000 };

typedef struct world_s {
  int64_t at[MAX_SEEN];  /* when each record was asked for */
  uint64_t seen;
  int fail_at_us;        /* the rate function fails from this time (0: never) */
  double negative;       /* a rate the function gives after 1 s (0: none) */
} world_t;

static int produce(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)producer;
  (void)i;
  (void)err;
  world_t *w = ctx;
  if (w->seen < MAX_SEEN) w->at[w->seen] = now_us;
  w->seen++;
  static char key[24];
  snprintf(key, sizeof key, "k%llu", (unsigned long long)(w->seen % 97));
  *out = (sl_produced_t){key, strlen(key), "x", 1, NULL};
  return SL_OK;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)ctx;
  (void)b;
  (void)start;
  (void)err;
  out->status = SL_BATCH_OK;
  out->duration_us = 1000;
  return SL_OK;
}

/* 50 records/s for the first 10 s, 400/s for the next 10 (a step, as sl.workload.step gives). */
static int step_rate(void *ctx, uint32_t producer, int64_t t_us, double *rate, sl_error_t *err) {
  (void)producer;
  world_t *w = ctx;
  if (w->fail_at_us && t_us >= w->fail_at_us) return sl_error_set(err, SL_EINVAL, "the rate function failed");
  *rate = w->negative != 0 && t_us >= 1000000 ? w->negative : t_us < 10000000 ? 50 : 400;
  return SL_OK;
}

static sl_sim_config_t config(world_t *w, sl_producer_config_t *producer, int write_limits) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "arrivals";
  c.stream.shard_count = 1;
  c.stream.write_limits = write_limits;
  c.producers = producer;
  c.producer_count = 1;
  c.duration_us = 20000000;
  c.mapping.batch_size = 1000;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  c.seed = 7;
  return c;
}

static uint64_t count_between(const world_t *w, int64_t from, int64_t to) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < w->seen && i < MAX_SEEN; i++) n += w->at[i] >= from && w->at[i] < to;
  return n;
}

/* Poisson arrivals thinned under a rate in time: each phase's count is Poisson with mean rate x 10 s. */
static void poisson_follows_a_rate_in_time(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    static world_t w;
    memset(&w, 0, sizeof w);
    sl_producer_config_t p = {.rate = 400, .arrivals = SL_ARRIVALS_POISSON, .rate_at = step_rate};
    sl_sim_config_t c = config(&w, &p, 0);
    c.seed = seed;
    sl_sim_t *sim = test_sim_run(&c);
    double low = 50 * 10.0, high = 400 * 10.0;
    double n_low = (double)count_between(&w, 0, 10000000), n_high = (double)count_between(&w, 10000000, 20000000);
    if (fabs(n_low - low) > 5 * sqrt(low) || fabs(n_high - high) > 5 * sqrt(high))
      fail_msg("seed %llu: %.0f records in the 50/s phase, %.0f in the 400/s one", (unsigned long long)seed, n_low,
               n_high);
    const sl_summary_t *s = sl_sim_summary(sim);
    assert_int_equal(s->records_put, w.seen);
    assert_int_equal(s->records_offered, w.seen); /* nothing refused: every arrival was put */
    sl_sim_destroy(sim);
  }
}

/* Fixed arrivals take the gap of the rate in force: 20 ms apart, then 2.5 ms. */
static void fixed_arrivals_follow_a_rate_in_time(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p = {.rate = 400, .arrivals = SL_ARRIVALS_FIXED, .rate_at = step_rate};
  sl_sim_config_t c = config(&w, &p, 0);
  sl_sim_t *sim = test_sim_run(&c);
  assert_int_equal(w.at[0], 0);
  assert_int_equal(w.at[1], 20000);
  assert_int_equal(count_between(&w, 0, 10000000), 500);   /* 0, 20 ms, ... 9.98 s */
  assert_int_equal(count_between(&w, 10000000, 20000000), 4000);
  sl_sim_destroy(sim);
}

/* 300 records/s through a rate function for 5 s, fixed arrivals: 1,500 exactly, though 1e6 / 300 is not a
 * whole number of microseconds (rounding each gap used to give 1,501). */
static int rate_300(void *ctx, uint32_t producer, int64_t t_us, double *rate, sl_error_t *err) {
  (void)ctx;
  (void)producer;
  (void)t_us;
  (void)err;
  *rate = 300;
  return SL_OK;
}

static void fixed_arrivals_do_not_drift(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p = {.rate = 300, .arrivals = SL_ARRIVALS_FIXED, .rate_at = rate_300};
  sl_sim_config_t c = config(&w, &p, 0);
  c.duration_us = 5000000;
  sl_sim_t *sim = test_sim_run(&c);
  assert_int_equal(w.seen, 1500);
  assert_int_equal(w.at[1499], 4996667); /* 1499 x 3333.33 us, rounded */
  sl_sim_destroy(sim);
}

/* Recorded traffic arrives at its times, each record once, none after the last. */
static void a_schedule_gives_its_times(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  static const int64_t times[] = {0, 1500, 1500, 250000, 3000000, 19999999, 25000000};
  sl_producer_config_t p = {.schedule = times, .schedule_count = 7};
  sl_sim_config_t c = config(&w, &p, 0);
  sl_sim_t *sim = test_sim_run(&c);
  assert_int_equal(w.seen, 6); /* the one at 25 s is after the 20 s duration */
  for (int i = 0; i < 6; i++) assert_int_equal(w.at[i], times[i]);
  assert_int_equal(sl_sim_summary(sim)->records_offered, 6);
  assert_int_equal(sl_sim_summary(sim)->records_put, 6);
  sl_sim_destroy(sim);
}

/* A varying rate over a shard's 1,000 records/s (KDS quotas): the waiting producer's missed arrivals are
 * offered but not sent, and offered = put + not sent. */
static void throttled_varying_rate_counts_what_was_not_sent(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p = {.rate = 4000, .arrivals = SL_ARRIVALS_POISSON, .rate_at = step_rate};
  sl_sim_config_t c = config(&w, &p, 1);
  sl_sim_t *sim = test_sim_run(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_offered, s->records_put + s->records_not_sent);
  /* About 50 x 10 + 400 x 10 offered (the function's rates, not the bound's 4,000/s). */
  double expected = 4500;
  if (fabs((double)s->records_offered - expected) > 5 * sqrt(expected))
    fail_msg("%llu offered, about %.0f expected", (unsigned long long)s->records_offered, expected);
  sl_sim_destroy(sim);
}

static void rate_errors_stop_the_run(void **state) {
  (void)state;
  static world_t w;
  sl_error_t err;
  sl_sim_t *sim;
  for (int i = 0; i < 2; i++) {
    memset(&w, 0, sizeof w);
    if (i == 0) w.fail_at_us = 2000000;
    else w.negative = -3;
    sl_producer_config_t p = {.rate = 400, .arrivals = SL_ARRIVALS_FIXED, .rate_at = step_rate};
    sl_sim_config_t c = config(&w, &p, 0);
    assert_int_equal(sl_sim_create(&c, &sim, &err), SL_OK);
    assert_int_equal(sl_sim_run(sim, &err), SL_EINVAL);
    if (i == 0) assert_string_equal(err.message, "the rate function failed");
    else assert_non_null(strstr(err.message, "producers[1].rate at 1.000 s is -3"));
    sl_sim_destroy(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(poisson_follows_a_rate_in_time),
                                     cmocka_unit_test(fixed_arrivals_follow_a_rate_in_time),
                                     cmocka_unit_test(fixed_arrivals_do_not_drift),
                                     cmocka_unit_test(a_schedule_gives_its_times),
                                     cmocka_unit_test(throttled_varying_rate_counts_what_was_not_sent),
                                     cmocka_unit_test(rate_errors_stop_the_run)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
