/* test_on_demand.c - the on-demand scaling policy (runtime/on_demand.h). Expected numbers come from AWS's
 * figures (KDG, "Choose the data stream capacity mode"): a new on-demand stream writes 4 MB/s and 4,000
 * records/s, i.e. 4 shards of 1,000 records/s and 1 MiB/s; it accommodates double the previous peak of the
 * last 30 days; scaling is UpdateShardCount-style, at most double the open shards per step. */
#include "test_support.h"

#include "on_demand.h"

#define DAY_S 86400
#define S(x) (TEST_EPOCH_MS + (int64_t)(x) * 1000) /* x seconds after the epoch */

static const uint32_t per_shard_records = 1000, per_shard_bytes = 1u << 20; /* KDG quotas, per shard */

static void defaults_are_awss(void **state) {
  (void)state;
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  assert_int_equal(c.mode, SL_STREAM_PROVISIONED);
  assert_int_equal(c.on_demand_peak_window_s, 30 * DAY_S);
  assert_int_equal(c.on_demand_scale_delay_s, 15 * 60);
  c.name = "od";
  c.mode = SL_STREAM_ON_DEMAND;
  c.shard_count = 0;
  sl_stream_t *s;
  sl_error_t err;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_OK);
  assert_int_equal(sl_stream_open_count(s), 4000 / per_shard_records); /* 4,000 records/s */
  assert_int_equal(sl_stream_config(s)->shard_count, 4);
  sl_stream_destroy(s);
  c.mode = SL_STREAM_PROVISIONED; /* a provisioned stream still needs its ShardCount */
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
}

/* Capacity = max(4,000 records/s and 4 MiB/s, 2 x peak), in shards rounded up. */
static void needed_is_double_the_peak(void **state) {
  (void)state;
  sl_on_demand_t p;
  sl_on_demand_init(&p, 30 * DAY_S, 0);
  assert_int_equal(sl_on_demand_needed(&p, S(0), per_shard_records, per_shard_bytes), 4);
  sl_on_demand_feed(&p, S(1), 1500, 1000, 0); /* 2 x 1,500 = 3,000 < 4,000: the initial capacity holds */
  assert_int_equal(sl_on_demand_needed(&p, S(1), per_shard_records, per_shard_bytes), 4);
  sl_on_demand_feed(&p, S(2), 2600, 1000, 0); /* 2 x 2,600 = 5,200 records/s: 6 shards */
  assert_int_equal(sl_on_demand_needed(&p, S(2), per_shard_records, per_shard_bytes), 6);
  sl_on_demand_feed(&p, S(3), 100, 5u << 20, 0); /* 2 x 5 MiB = 10 MiB/s: 10 shards by bytes */
  assert_int_equal(sl_on_demand_needed(&p, S(3), per_shard_records, per_shard_bytes), 10);
  uint64_t records, bytes;
  sl_on_demand_peak(&p, S(3), &records, &bytes);
  assert_int_equal(records, 2600); /* the peaks of records and bytes are kept apart */
  assert_int_equal(bytes, 5u << 20);
  sl_on_demand_feed(&p, S(4), 1, 1, 500); /* refused puts are counted, not taken as demand */
  assert_int_equal(p.refused, 500);
  assert_int_equal(p.refused_seconds, 1);
  assert_int_equal(sl_on_demand_needed(&p, S(4), per_shard_records, per_shard_bytes), 10);
}

/* The peak is the highest second of the window: a 60-second window keeps it 59 s, not 60. */
static void peak_leaves_the_window(void **state) {
  (void)state;
  sl_on_demand_t p;
  sl_on_demand_init(&p, 60, 0);
  sl_on_demand_feed(&p, S(0), 3000, 0, 0);
  sl_on_demand_feed(&p, S(10), 100, 0, 0);
  uint64_t records, bytes;
  sl_on_demand_peak(&p, S(59), &records, &bytes);
  assert_int_equal(records, 3000);
  sl_on_demand_peak(&p, S(60), &records, &bytes);
  assert_int_equal(records, 100);
  /* The default 30 days, in hour buckets: a peak on day 0 still counts on day 29, not after day 30. */
  sl_on_demand_init(&p, 30 * DAY_S, 0);
  sl_on_demand_feed(&p, S(0), 3000, 0, 0);
  sl_on_demand_peak(&p, S(29 * DAY_S), &records, &bytes);
  assert_int_equal(records, 3000);
  sl_on_demand_peak(&p, S(30 * DAY_S + 3600), &records, &bytes);
  assert_int_equal(records, 0);
}

/* A shortfall first seen at t is scaled at t + delay, and never past double the open shards per step. */
static void delay_then_at_most_double(void **state) {
  (void)state;
  sl_on_demand_t p;
  sl_on_demand_init(&p, 30 * DAY_S, 10);
  assert_int_equal(sl_on_demand_decide(&p, S(100), 4, 4), 0);  /* enough */
  assert_int_equal(sl_on_demand_decide(&p, S(100), 4, 20), 0); /* seen: due at 110 s */
  assert_int_equal(sl_on_demand_decide(&p, S(109), 4, 20), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(110), 4, 20), 8);  /* 2 x 4, not 20 */
  assert_int_equal(sl_on_demand_decide(&p, S(111), 8, 20), 0);  /* the rest waits a delay of its own */
  assert_int_equal(sl_on_demand_decide(&p, S(120), 8, 20), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(121), 8, 20), 16);
  assert_int_equal(sl_on_demand_decide(&p, S(121), 16, 20), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(131), 16, 20), 20); /* the last step: what is needed */
  /* A shortfall that goes away before its time is forgotten: a new one waits the whole delay. */
  assert_int_equal(sl_on_demand_decide(&p, S(200), 20, 30), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(205), 20, 20), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(206), 20, 30), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(215), 20, 30), 0);
  assert_int_equal(sl_on_demand_decide(&p, S(216), 20, 30), 30);
  /* Never down. */
  assert_int_equal(sl_on_demand_decide(&p, S(300), 30, 4), 0);
}

/* Puts n records with distinct keys at now_ms; returns how many were accepted. */
static uint32_t put_many(sl_stream_t *s, int64_t now_ms, uint32_t n, uint32_t salt) {
  uint32_t ok = 0;
  for (uint32_t i = 0; i < n; i++) {
    char key[32];
    int len = snprintf(key, sizeof key, "key-%u-%u", salt, i);
    sl_error_t err;
    if (sl_stream_put(s, now_ms, key, (size_t)len, NULL, "x", 1, NULL, &err) == SL_OK) ok++;
  }
  return ok;
}

/* On a stream: 3,000 records in a second ask for 2 x 3,000 = 6,000 records/s, 6 shards; the service's scaling
 * closes the 4 parents and is not counted against UpdateShardCount's per-day limit. */
static void step_scales_the_stream(void **state) {
  (void)state;
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = "od";
  c.mode = SL_STREAM_ON_DEMAND;
  c.created_ms = S(0);
  c.on_demand_scale_delay_s = 0;
  c.update_shard_count_per_day = 1;
  sl_stream_t *s;
  sl_error_t err;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_OK);
  sl_on_demand_t p;
  sl_on_demand_attach(&p, s);
  assert_int_equal(put_many(s, S(0), 3000, 0), 3000); /* 3,000 < 4 x 1,000: none refused */
  uint32_t to;
  assert_int_equal(sl_on_demand_step(&p, s, S(1), &to, &err), SL_OK);
  assert_int_equal(to, 6);
  assert_int_equal(sl_stream_open_count(s), 6);
  for (uint32_t i = 0; i < 4; i++) assert_false(sl_stream_shard(s, i)->open);
  assert_int_equal(sl_stream_update_shard_count(s, 7, S(2), &err), SL_OK); /* the caller's one a day is left */
  assert_int_equal(sl_on_demand_step(&p, s, S(3), &to, &err), SL_OK); /* nothing written: 2 x 3,000 holds */
  assert_int_equal(to, 0);
  /* A provisioned stream is fed but never scaled. */
  assert_int_equal(sl_stream_set_mode(s, SL_STREAM_PROVISIONED, S(4), &err), SL_OK);
  assert_int_equal(put_many(s, S(4), 6000, 1) > 5000, 1);
  assert_int_equal(sl_on_demand_step(&p, s, S(5), &to, &err), SL_OK);
  assert_int_equal(to, 0);
  assert_int_equal(sl_stream_open_count(s), 7);
  sl_stream_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(defaults_are_awss),
      cmocka_unit_test(needed_is_double_the_peak),
      cmocka_unit_test(peak_leaves_the_window),
      cmocka_unit_test(delay_then_at_most_double),
      cmocka_unit_test(step_scales_the_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
