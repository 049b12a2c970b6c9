/* test_batching.c - batching producers (sim_batching.c), checked against their settings: requests of at most
 * collection_max_count records, none sent before its oldest record waited max_buffered_time unless it is full,
 * at most max_outstanding in flight per shard, refused entries sent again, records past record_ttl dropped,
 * sends held to the RateLimit, what is buffered at the duration still sent; the counts recomputed here from the arrivals and settings. */
#include "test_sim_support.h"

#include <math.h>

enum { MAX = 60000 };

typedef struct world_s {
  int64_t put_at_ms[MAX + 1];  /* record number -> when the stream took it (from the invocations) */
  uint64_t delivered;
  char key[16], data[16];
  uint32_t keys;
} world_t;

static int produce(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)producer;
  (void)now_us;
  (void)err;
  world_t *w = ctx;
  snprintf(w->key, sizeof w->key, "k%llu", (unsigned long long)(i % w->keys));
  snprintf(w->data, sizeof w->data, "%llu", (unsigned long long)i);
  *out = (sl_produced_t){w->key, strlen(w->key), w->data, strlen(w->data), NULL};
  return SL_OK;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)start;
  (void)err;
  world_t *w = ctx;
  for (size_t i = 0; i < b->count; i++) {
    char data[16];
    snprintf(data, sizeof data, "%.*s", (int)b->records[i]->data_len, SL_RECORD_DATA(b->records[i]));
    uint64_t n = strtoull(data, NULL, 10);
    if (n >= 1 && n <= MAX) w->put_at_ms[n] = b->records[i]->arrival_ms - TEST_EPOCH_MS;
    w->delivered++;
  }
  out->status = SL_BATCH_OK;
  out->duration_us = 1000;
  return SL_OK;
}

/* Fixed arrivals at `rate` (record i at (i - 1) / rate), one shard, the KPL's defaults but for what c sets. */
static sl_sim_config_t config(world_t *w, sl_producer_config_t *p, double rate, int64_t duration_us) {
  *p = (sl_producer_config_t){.rate = rate, .arrivals = SL_ARRIVALS_FIXED, .mode = SL_PRODUCER_BATCHING};
  sl_batching_config_init(&p->batching);
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "batching";
  c.stream.shard_count = 1;
  c.stream.write_limits = 0;
  c.start_ms = TEST_EPOCH_MS;
  c.producers = p;
  c.producer_count = 1;
  c.duration_us = duration_us;
  c.mapping.batch_size = 10000;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  w->keys = 50;
  return c;
}

/* The requests, as the groups of records the stream took at one millisecond (one request in flight at a time
 * in these runs, so a group is a request). Checks each against the settings; returns how many. */
static uint64_t check_requests(const world_t *w, uint64_t n, double rate, const sl_batching_config_t *b) {
  uint64_t requests = 0;
  for (uint64_t first = 1; first <= n;) {
    uint64_t last = first;
    while (last + 1 <= n && w->put_at_ms[last + 1] == w->put_at_ms[first]) last++;
    uint64_t size = last - first + 1;
    int64_t arrived_ms = (int64_t)llround((double)(first - 1) * 1000 / rate), waited = w->put_at_ms[first] - arrived_ms;
    if (size > b->collection_max_count) fail_msg("request of %llu records", (unsigned long long)size);
    if (size < b->collection_max_count && waited < b->max_buffered_time_us / 1000)
      fail_msg("records %llu..%llu sent after %lld ms, neither full nor due", (unsigned long long)first,
               (unsigned long long)last, (long long)waited);
    requests++;
    first = last + 1;
  }
  return requests;
}

/* 1,000 records/s for 10 s: a request every 100 ms (KPL RecordMaxBufferedTime), about 100 records each. */
static void records_wait_for_the_buffered_time(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 1000, 10000000);
  sl_sim_t *sim = test_sim_run(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_put, 10000);
  assert_int_equal(w.delivered, 10000);
  uint64_t requests = check_requests(&w, 10000, 1000, &p.batching);
  assert_int_equal(s->producer_requests, requests);
  /* Each request takes the 100 ms from its oldest record on: 10 s / 100 ms of them, give or take the edges. */
  assert_true(requests >= 99 && requests <= 101);
  assert_int_equal(s->producer_retries, 0);
  assert_int_equal(s->producer_dropped, 0);
  sl_sim_destroy(sim);
}

/* 20,000 records/s: a request fills its 500 records (KPL CollectionMaxCount) in 25 ms, before it is due. */
static void full_requests_go_at_once(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 20000, 2000000);
  c.stream.write_limits = 0;
  sl_sim_t *sim = test_sim_run(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_put, 40000);
  assert_int_equal(s->producer_requests, 40000 / 500);
  assert_int_equal(check_requests(&w, 40000, 20000, &p.batching), 40000 / 500);
  sl_sim_destroy(sim);
}

/* One request in flight per shard, each answered 50 ms later: at 1,000 records/s and a 10 ms buffered time,
 * requests go every 50 ms, not every 10. */
static void outstanding_requests_are_bounded(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 1000, 5000000);
  p.batching.max_outstanding = 1;
  p.batching.request_time_us = 50000;
  p.batching.max_buffered_time_us = 10000;
  sl_sim_t *sim = test_sim_run(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_put, 5000);
  uint64_t requests = check_requests(&w, 5000, 1000, &p.batching);
  assert_int_equal(s->producer_requests, requests);
  assert_true(requests >= 99 && requests <= 101); /* 5 s / 50 ms */
  for (uint64_t i = 2; i <= 5000; i++)
    if (w.put_at_ms[i] != w.put_at_ms[i - 1] && w.put_at_ms[i] - w.put_at_ms[i - 1] < 50)
      fail_msg("requests at %lld and %lld ms: two in flight", (long long)w.put_at_ms[i - 1], (long long)w.put_at_ms[i]);
  sl_sim_destroy(sim);
}

/* Twice a shard's 1,000 records/s (KDS quotas) for 5 s with a 1 s record_ttl: refused entries are sent again,
 * the backlog outlives its TTL and is dropped, and every record offered is put or dropped. */
static void refused_entries_retry_until_their_ttl(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 2000, 5000000);
  c.stream.write_limits = 1;
  p.batching.record_ttl_us = 1000000;
  sl_sim_t *sim = test_sim_run(&c);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_offered, 10000);
  assert_int_equal(s->records_put + s->producer_dropped, s->records_offered);
  assert_true(s->producer_retries > 0 && s->producer_dropped > 0);
  /* The shard takes at most 1,000 a second, plus what its bucket holds at the start. */
  assert_true((double)s->records_put <= 1000.0 * (double)s->ended_us / 1e6 + 1000);
  assert_int_equal(w.delivered, s->records_put);
  for (uint64_t i = 1; i <= 10000; i++) /* nothing put past its TTL */
    if (w.put_at_ms[i] != 0 && w.put_at_ms[i] - (int64_t)(i - 1) / 2 > 1000)
      fail_msg("record %llu put %lld ms after it arrived", (unsigned long long)i,
               (long long)(w.put_at_ms[i] - (int64_t)(i - 1) / 2));
  sl_sim_destroy(sim);
}

/* The KPL's RateLimit at 100% holds each shard's sends to its 1,000 records/s: nothing is refused, the
 * backlog waits in the buffer (and outlives its TTL); at the default 150% some sends are refused. */
static void the_rate_limit_spares_refusals(void **state) {
  (void)state;
  static world_t w;
  uint64_t throttled[2];
  for (int i = 0; i < 2; i++) {
    memset(&w, 0, sizeof w);
    sl_producer_config_t p;
    sl_sim_config_t c = config(&w, &p, 2000, 5000000);
    c.stream.write_limits = 1;
    p.batching.record_ttl_us = 1000000;
    p.batching.rate_limit = i == 0 ? 100 : 150;
    sl_sim_t *sim = test_sim_run(&c);
    const sl_summary_t *s = sl_sim_summary(sim);
    throttled[i] = s->records_throttled;
    assert_int_equal(s->records_put + s->producer_dropped, s->records_offered);
    assert_true((double)s->records_put <= 1000.0 * (double)s->ended_us / 1e6 + 1000);
    assert_true(s->producer_dropped > 0);
    sl_sim_destroy(sim);
  }
  assert_int_equal(throttled[0], 0);
  assert_true(throttled[1] > 0);
}

/* Records buffered at the duration are still sent: the last ones arrive 1 ms before it. */
static void the_buffer_drains_after_the_duration(void **state) {
  (void)state;
  static world_t w;
  memset(&w, 0, sizeof w);
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 1000, 1000000);
  sl_sim_t *sim = test_sim_run(&c);
  assert_int_equal(sl_sim_summary(sim)->records_put, 1000);
  assert_true(w.put_at_ms[1000] >= 1000 + 0 && w.put_at_ms[1000] <= 1100); /* due 100 ms after record 1000 */
  sl_sim_destroy(sim);
}

static void bad_settings_are_refused(void **state) {
  (void)state;
  static world_t w;
  sl_producer_config_t p;
  sl_sim_config_t c = config(&w, &p, 10, 1000000);
  p.batching.collection_max_count = 501; /* PutRecords takes at most 500 */
  sl_sim_t *sim;
  sl_error_t err;
  assert_int_equal(sl_sim_create(&c, &sim, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "producers[1]: a batching producer needs"));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(records_wait_for_the_buffered_time),
                                     cmocka_unit_test(full_requests_go_at_once),
                                     cmocka_unit_test(outstanding_requests_are_bounded),
                                     cmocka_unit_test(refused_entries_retry_until_their_ttl),
                                     cmocka_unit_test(the_rate_limit_spares_refusals),
                                     cmocka_unit_test(the_buffer_drains_after_the_duration),
                                     cmocka_unit_test(bad_settings_are_refused)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
