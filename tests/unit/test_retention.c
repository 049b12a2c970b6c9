/* test_retention.c - retention in experiments: with the default maximum_retry_attempts (-1, "until the record
 * expires") a batch that always fails holds its shard until its records are older than the stream's
 * retention, then they expire (counted, not sent to the destination, not dropped) and the shard moves on. The
 * expected times come from the settings: retention hours x 3600 s after each record's arrival. */
#include "test_sim_support.h"

#include <stdlib.h>

#include "shardlab/sim.h"

#define HOUR INT64_C(3600000000)
#define SECOND INT64_C(1000000)

typedef struct world_s {
  uint64_t poison;        /* records with this key fail (0: none) */
  uint64_t invocations;
  int64_t last_start_us;  /* when the last invocation started */
  uint64_t sent;          /* records sent to the destination */
  char data[32];
} world_t;

static int produce(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)p, (void)now_us, (void)err;
  world_t *w = ctx;
  snprintf(w->data, sizeof w->data, "%llu", (unsigned long long)i);
  *out = (sl_produced_t){"one-key", 7, w->data, strlen(w->data), NULL};
  return SL_OK;
}

/* Fails every batch holding record number w->poison (data is the record's number). */
static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)err;
  world_t *w = ctx;
  w->invocations++;
  w->last_start_us = start_us;
  out->duration_us = 10000;
  out->status = SL_BATCH_OK;
  for (size_t i = 0; i < b->count; i++) {
    char number[32];
    snprintf(number, sizeof number, "%.*s", (int)b->records[i]->data_len, SL_RECORD_DATA(b->records[i]));
    if (strtoull(number, NULL, 10) == w->poison) out->status = SL_BATCH_ERROR;
  }
  return SL_OK;
}

static int destination(void *ctx, const sl_failure_t *f, sl_error_t *err) {
  (void)err;
  ((world_t *)ctx)->sent += f->count;
  return SL_OK;
}

static sl_sim_t *run(world_t *w, uint32_t retention_hours, int64_t drain_us, uint32_t batch_size) {
  static sl_producer_config_t producer = {.rate = 1.0, .arrivals = SL_ARRIVALS_FIXED}; /* records at 0 s, 1 s, ... */
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "retention";
  c.stream.shard_count = 1;
  c.stream.retention_hours = retention_hours;
  c.producers = &producer;
  c.producer_count = 1;
  c.duration_us = 10 * SECOND; /* 10 records */
  c.drain_timeout_us = drain_us;
  c.mapping.batch_size = batch_size;
  c.produce = produce;
  c.invoke = invoke;
  c.on_failure = destination;
  c.ctx = w;
  return test_sim_run(&c);
}

/* A poison record (the first) with default retries and a drain longer than the retention: the stall ends when
 * the records expire 24 h after they arrived; every record of the stalled shard expires behind it (one key:
 * one lane, one batch at a time), none reaches the destination. */
static void a_stall_ends_at_the_retention(void **state) {
  (void)state;
  world_t w = {1, 0, 0, 0, ""};
  sl_sim_t *sim = run(&w, 24, 26 * HOUR, 1);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_put, 10);
  assert_int_equal(s->records_expired, 1);    /* the poison record; the batch of 1 held the lane */
  assert_int_equal(s->records_delivered, 9);  /* the others come after it, once it expired */
  assert_int_equal(s->records_failed, 0);
  assert_int_equal(w.sent, 0);
  assert_int_equal(s->events.dropped, 0);     /* AWS: DroppedEventCount excludes records lost to retention */
  /* The poison record arrived at 0 s; it is retried until it is older than 24 h, not longer. */
  assert_true(w.last_start_us >= 24 * HOUR);
  assert_true(s->ended_us >= 24 * HOUR && s->ended_us < 24 * HOUR + 20 * SECOND);
  /* The records behind it waited the whole stall: the iterator age reached the retention. */
  assert_true(s->max_iterator_age_ms >= 24 * 3600 * 1000 - 10 * 1000);
  assert_true(s->retries >= 80000); /* about one a second (the backoff) for 24 h */
  sl_sim_destroy(sim);
}

/* With a batch of 10, the poison record takes its whole batch down with it at the retention. */
static void the_stalled_batch_loses_its_expired_records(void **state) {
  (void)state;
  world_t w = {3, 0, 0, 0, ""};
  sl_sim_t *sim = run(&w, 24, 26 * HOUR, 10);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_true(s->records_expired > 0);
  assert_int_equal(s->records_expired + s->records_delivered, 10);
  assert_int_equal(s->records_failed, 0);
  assert_true(s->ended_us >= 24 * HOUR && s->ended_us < 24 * HOUR + 20 * SECOND);
  sl_sim_destroy(sim);
}

/* A longer retention holds the shard longer: at 48 h the same stall is still going at 26 h (the drain timeout
 * ends the run with the records neither delivered nor expired). */
static void a_longer_retention_stalls_longer(void **state) {
  (void)state;
  world_t w = {1, 0, 0, 0, ""};
  sl_sim_t *sim = run(&w, 48, 26 * HOUR, 1);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_expired, 0);
  assert_int_equal(s->records_delivered, 0);
  assert_int_equal(s->ended_us, 10 * SECOND + 26 * HOUR);
  sl_sim_destroy(sim);
}

/* Records that are delivered in time never expire. */
static void healthy_runs_expire_nothing(void **state) {
  (void)state;
  world_t w = {0, 0, 0, 0, ""};
  sl_sim_t *sim = run(&w, 24, 26 * HOUR, 1);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->records_expired, 0);
  assert_int_equal(s->records_delivered, 10);
  sl_sim_destroy(sim);
}

/* A mapping on a shared stream (a served one) holds what it has not finished: the stream's retention keeps
 * those records while the mapping exists, and trims them once it is gone. */
static void a_mapping_on_a_shared_stream_holds_its_records(void **state) {
  (void)state;
  sl_stream_t *stream = test_stream(1, 0);
  for (int i = 0; i < 10; i++) test_put(stream, TEST_EPOCH_MS + i, "one-key");
  world_t w = {0, 0, 0, 0, ""}; /* poison 0: test_put's data "d" reads as record 0, so every batch fails */
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.existing_stream = stream;
  c.stream_shared = 1;
  c.start_ms = TEST_EPOCH_MS;
  c.duration_us = SECOND;
  c.drain_timeout_us = 0; /* stop at once: the records are read, none delivered */
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = &w;
  sl_sim_t *sim = test_sim_run(&c);
  uint64_t next = 0, frontier = 0;
  assert_true(sl_sim_checkpoint(sim, 0, 0, &next, &frontier));
  uint64_t held_from = next; /* the mapping's first record not done: nothing was delivered */
  assert_int_equal(held_from, 0);
  assert_int_equal(sl_stream_trim(stream, TEST_EPOCH_MS + 25 * 3600 * 1000), held_from);
  sl_sim_destroy(sim); /* the hold goes with the mapping */
  assert_int_equal(sl_stream_trim(stream, TEST_EPOCH_MS + 25 * 3600 * 1000), 10 - held_from);
  assert_int_equal(sl_stream_shard(stream, 0)->stats.records_trimmed, 10);
  sl_stream_destroy(stream);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_mapping_on_a_shared_stream_holds_its_records),
      cmocka_unit_test(a_stall_ends_at_the_retention),
      cmocka_unit_test(the_stalled_batch_loses_its_expired_records),
      cmocka_unit_test(a_longer_retention_stalls_longer),
      cmocka_unit_test(healthy_runs_expire_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
