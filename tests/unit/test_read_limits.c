/* test_read_limits.c - the mapping reads through Kinesis's per-shard read limits (KDG quotas: 5 GetRecords
 * calls and 2 MB per second per shard, at most 10,000 records and 10 MB per call; API GetRecords: after a
 * 10 MB call the next ones are throttled for about 5 s). The expected times are computed here from those
 * limits: a backlog of B bytes needs at least (B - 2 MiB - 10 MiB) / (2 MiB/s), since a full bucket and one
 * call's overdraft are all that can come ahead of the rate; a backlog of N small records needs
 * ceil(N / 10,000) calls, 200 ms apart. An enhanced fan-out mapping has 2 MiB a second of its own and gets
 * records within AWS's 70 ms. */
#include "test_sim_support.h"

#include <stdlib.h>

#include "shardlab/sim.h"

#define MIB 1048576.0
#define SECOND INT64_C(1000000)

typedef struct world_s {
  int64_t last_first_delivery_us;  /* when the newest record was first invoked */
  uint64_t delivered;
  int64_t start_ms;                /* the run's start, to turn invocation times into wall time */
  int64_t max_wait_ms;             /* the longest a record waited from its arrival to its first invocation */
} world_t;

static int produce(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)ctx, (void)p, (void)i, (void)now_us, (void)out;
  return sl_error_set(err, SL_EINVAL, "no producers here");
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)err;
  world_t *w = ctx;
  w->delivered += b->count;
  w->last_first_delivery_us = start_us;
  for (size_t i = 0; i < b->count; i++) {
    int64_t wait = w->start_ms + start_us / 1000 - b->records[i]->arrival_ms;
    if (b->attempt == 1 && wait > w->max_wait_ms) w->max_wait_ms = wait;
  }
  out->duration_us = 1000;
  out->status = SL_BATCH_OK;
  return SL_OK;
}

/* A stream holding n records of size bytes each on one shard, put before the run (a backlog). */
static sl_stream_t *backlog(size_t n, size_t size, int read_limits) {
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = "backlog";
  c.shard_count = 1;
  c.write_limits = 0;
  c.read_limits = read_limits;
  c.created_ms = TEST_EPOCH_MS;
  sl_stream_t *s;
  sl_error_t err;
  if (sl_stream_create(&c, &s, &err) != SL_OK) fail_msg("%s", err.message);
  char *data = malloc(size);
  memset(data, 'x', size);
  for (size_t i = 0; i < n; i++)
    if (sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, data, size, NULL, &err) != SL_OK) fail_msg("%s", err.message);
  free(data);
  return s;
}

static sl_sim_t *consume_as(sl_stream_t *stream, world_t *w, sl_consumer_t consumer) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.mapping.consumer = consumer;
  c.existing_stream = stream;
  c.start_ms = TEST_EPOCH_MS + 1000; /* the shard's buckets are full: a second has passed since its creation */
  w->start_ms = c.start_ms;
  c.duration_us = SECOND;
  c.drain_timeout_us = 120 * SECOND;
  c.mapping.batch_size = 10000;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  return test_sim_run(&c);
}

static sl_sim_t *consume(sl_stream_t *stream, world_t *w) { return consume_as(stream, w, SL_CONSUMER_STANDARD); }

/* 60 MB on one shard (600 records of 100,000 bytes) drains at the read rate, not at once. */
static void a_60_mb_backlog_drains_at_2_mb_per_second(void **state) {
  (void)state;
  const size_t n = 600, size = 100000;
  double bytes = (double)n * (double)(size + 1); /* data and key */
  double floor_s = (bytes - 2 * MIB - 10 * MIB) / (2 * MIB), rate_s = bytes / (2 * MIB);
  world_t w = {0, 0, 0, 0};
  sl_stream_t *stream = backlog(n, size, 1);
  sl_sim_t *sim = consume(stream, &w);
  assert_int_equal(w.delivered, n);
  double took = (double)w.last_first_delivery_us / 1e6;
  assert_true(took >= floor_s);       /* the limits allow no faster */
  assert_true(took <= rate_s + 1.0);  /* and the reader keeps up with what they allow */
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_true(s->read_throttles > 0); /* calls during the debt of a 10 MB call are refused */
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) assert_true(sl_sim_second(sim, i)->read_throttles <= 5);
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);

  /* Without read limits the same backlog reaches the handler at once. */
  w = (world_t){0, 0, 0, 0};
  stream = backlog(n, size, 0);
  sim = consume(stream, &w);
  assert_int_equal(w.delivered, n);
  assert_true(w.last_first_delivery_us < SECOND);
  assert_int_equal(sl_sim_summary(sim)->read_throttles, 0);
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);
}

/* 30,001 small records: a call returns at most 10,000, so 4 calls, 200 ms apart (5 calls a second). */
static void a_call_returns_at_most_10000_records(void **state) {
  (void)state;
  world_t w = {0, 0, 0, 0};
  sl_stream_t *stream = backlog(30001, 10, 1);
  sl_sim_t *sim = consume(stream, &w);
  assert_int_equal(w.delivered, 30001);
  assert_true(w.last_first_delivery_us >= 3 * SECOND / 5);    /* the 4th call, at 600 ms at the earliest */
  assert_true(w.last_first_delivery_us < 3 * SECOND / 5 + SECOND / 10);
  assert_int_equal(sl_sim_summary(sim)->read_throttles, 0);   /* 30 KB: far below 2 MB/s */
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);
}

/* Enhanced fan-out: the mapping's own 2 MiB a second per shard, so the same 60 MB drains at that rate too, but
 * without touching the shard's shared budget: a standard reader still has all its 5 calls afterwards. */
static void fan_out_has_its_own_throughput(void **state) {
  (void)state;
  const size_t n = 600, size = 100000;
  double bytes = (double)n * (double)(size + 1);
  world_t w = {0, 0, 0, 0};
  sl_stream_t *stream = backlog(n, size, 1);
  sl_sim_t *sim = consume_as(stream, &w, SL_CONSUMER_EFO);
  assert_int_equal(w.delivered, n);
  double took = (double)w.last_first_delivery_us / 1e6;
  assert_true(took >= (bytes - 2 * MIB) / (2 * MIB) - 0.2); /* a full bucket ahead, then the rate */
  assert_true(took <= bytes / (2 * MIB) + 1.0);
  assert_int_equal(sl_sim_summary(sim)->read_throttles, 0);
  assert_int_equal(sl_stream_shard(stream, 0)->stats.read_throttles, 0);
  int64_t after_ms = TEST_EPOCH_MS + 1000 + sl_sim_now(sim) / 1000;
  for (int i = 0; i < 5; i++) assert_true(sl_stream_read_take(stream, 0, after_ms)); /* untouched */
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);
}

/* Records a producer puts while the mapping reads: pushed within AWS's 70 ms (enhanced fan-out), polled
 * once a second (standard), so a record waits up to about a second before its first invocation. */
static int produce_small(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)ctx, (void)p, (void)i, (void)now_us, (void)err;
  *out = (sl_produced_t){"k", 1, "d", 1, NULL};
  return SL_OK;
}

static int64_t longest_wait(sl_consumer_t consumer) {
  static sl_producer_config_t producer = {.rate = 50.0, .arrivals = SL_ARRIVALS_FIXED};
  world_t w = {0, 0, 0, 0};
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "live";
  c.stream.shard_count = 1;
  c.producers = &producer;
  c.producer_count = 1;
  c.duration_us = 10 * SECOND;
  c.mapping.consumer = consumer;
  c.produce = produce_small;
  c.invoke = invoke;
  c.ctx = &w;
  w.start_ms = c.start_ms;
  sl_sim_t *sim = test_sim_run(&c);
  assert_int_equal(w.delivered, 500);
  sl_sim_destroy(sim);
  return w.max_wait_ms;
}

static void fan_out_pushes_within_70_ms(void **state) {
  (void)state;
  int64_t efo = longest_wait(SL_CONSUMER_EFO), standard = longest_wait(SL_CONSUMER_STANDARD);
  assert_true(efo <= SL_EFO_PROPAGATION_US / 1000);
  assert_true(standard > 900 && standard <= 1000);
}

/* Two standard mappings on one shard share its 5 calls a second: by any time t of the run at most 5 + 5 t
 * calls were admitted between them (a full bucket, then the rate), so 100,001 records, 11 calls of 10,000 for
 * each mapping, need (22 - 5) / 5 = 3.4 s where one mapping alone takes its 11 calls 200 ms apart (2 s). An
 * enhanced fan-out mapping beside a standard one takes none of the shard's calls. */
typedef struct shared_s {
  const sl_stream_t *stream;
  int64_t start_ms;
  int over;                        /* a second in which more calls had been admitted than the limits allow */
} shared_t;

static void check_reads(void *ctx, const sl_sim_t *sim) {
  shared_t *s = ctx;
  double t = (double)sl_sim_now(sim) / 1e6;
  if ((double)sl_stream_shard(s->stream, 0)->stats.reads > 5 + 5 * t + 1e-9) s->over = 1;
}

static sl_sim_t *consume_twice(sl_stream_t *stream, world_t w[2], sl_consumer_t second, shared_t *shared) {
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.existing_stream = stream;
  c.start_ms = TEST_EPOCH_MS + 1000;
  c.duration_us = SECOND;
  c.drain_timeout_us = 120 * SECOND;
  c.produce = produce;
  sl_sim_mapping_t m[2];
  for (int i = 0; i < 2; i++) {
    w[i] = (world_t){0, 0, c.start_ms, 0};
    m[i] = (sl_sim_mapping_t){.invoke = invoke, .ctx = &w[i]};
    sl_mapping_config_init(&m[i].mapping);
    m[i].mapping.batch_size = 10000;
  }
  m[1].mapping.consumer = second;
  c.mappings = m;
  c.mapping_count = 2;
  *shared = (shared_t){stream, c.start_ms, 0};
  c.progress = check_reads;
  c.progress_ctx = shared;
  return test_sim_run(&c);
}

static void two_standard_mappings_share_5_reads_a_second(void **state) {
  (void)state;
  const size_t n = 100001;
  double calls = 2.0 * (double)((n + 9999) / 10000), floor_s = (calls - 5) / 5;
  world_t w[2];
  shared_t shared;
  sl_stream_t *stream = backlog(n, 10, 1);
  sl_sim_t *sim = consume_twice(stream, w, SL_CONSUMER_STANDARD, &shared);
  assert_int_equal(w[0].delivered, n);
  assert_int_equal(w[1].delivered, n);
  int64_t last = w[0].last_first_delivery_us > w[1].last_first_delivery_us ? w[0].last_first_delivery_us
                                                                          : w[1].last_first_delivery_us;
  assert_true((double)last / 1e6 >= floor_s - 1e-9);   /* the shared limit allows no faster */
  assert_true((double)last / 1e6 <= floor_s + 1.0);    /* and the readers keep up with it */
  assert_false(shared.over);
  /* Every call the records need, and perhaps a poll of a caught-up mapping while the other still reads. */
  assert_true(sl_stream_shard(stream, 0)->stats.reads >= (uint64_t)calls);
  assert_true((double)sl_stream_shard(stream, 0)->stats.reads <= 5 + 5 * (double)sl_sim_now(sim) / 1e6);
  assert_int_equal(sl_sim_mapping_count(sim), 2);
  const sl_summary_t *a = sl_sim_mapping_summary(sim, 0), *b = sl_sim_mapping_summary(sim, 1);
  assert_int_equal(a->records_delivered, n);
  assert_int_equal(b->records_delivered, n);
  assert_true(a->read_throttles + b->read_throttles > 0);  /* the two ask for 10 calls a second */
  const sl_summary_t *s = sl_sim_summary(sim);               /* the run's: the two together */
  assert_int_equal(s->records_delivered, 2 * n);
  assert_int_equal(s->read_throttles, a->read_throttles + b->read_throttles);
  assert_int_equal(s->invocations, a->invocations + b->invocations);
  assert_int_equal(sl_stream_shard(stream, 0)->stats.read_throttles, s->read_throttles);
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);

  /* One standard mapping and one enhanced fan-out: the standard one has the calls to itself. */
  stream = backlog(n, 10, 1);
  sim = consume_twice(stream, w, SL_CONSUMER_EFO, &shared);
  assert_int_equal(w[0].delivered, n);
  assert_int_equal(w[1].delivered, n);
  assert_true(w[0].last_first_delivery_us <= 2 * SECOND + SECOND / 10); /* 11 calls, 200 ms apart */
  assert_true(sl_stream_shard(stream, 0)->stats.reads >= (n + 9999) / 10000);
  assert_int_equal(sl_sim_summary(sim)->read_throttles, 0);
  sl_sim_destroy(sim);
  sl_stream_destroy(stream);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_60_mb_backlog_drains_at_2_mb_per_second),
      cmocka_unit_test(a_call_returns_at_most_10000_records),
      cmocka_unit_test(fan_out_has_its_own_throughput),
      cmocka_unit_test(fan_out_pushes_within_70_ms),
      cmocka_unit_test(two_standard_mappings_share_5_reads_a_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
