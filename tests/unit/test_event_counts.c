/* test_event_counts.c - the mapping's event counts (AWS's MetricsConfig "EventCount": PolledEventCount,
 * FilteredOutEventCount, FailedInvokeEventCount, DroppedEventCount, OnFailureDestinationDeliveredEventCount)
 * on small runs whose expected counts follow from AWS's definitions and the run's settings, computed here:
 * N records, batches of B, a handler that fails in a known way, retries R. */
#include "test_sim_support.h"

#include <stdlib.h>

#include "shardlab/filter.h"
#include "shardlab/sim.h"

#define RATE 10.0     /* records per second, fixed arrivals */
#define SECONDS 10    /* duration: RATE * SECONDS records */
#define RECORDS 100

typedef enum mode_e { HANDLER_OK, HANDLER_FAILS, HANDLER_PARTIAL } mode_t_;

typedef struct run_s {
  mode_t_ mode;
  size_t partial_at;    /* HANDLER_PARTIAL: the lowest failed item of every batch */
  char data[64];
  uint64_t sent;        /* records the destination received */
  uint64_t failed;      /* records the handler's answers failed, counted as the handler gives them */
} run_ctx;

static int produce(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)p, (void)now_us, (void)err;
  run_ctx *r = ctx;
  /* Odd records are {"kind":"odd"}, even ones {"kind":"even"}: a filter on data.kind keeps half. */
  snprintf(r->data, sizeof r->data, "{\"kind\":\"%s\",\"n\":%llu}", i % 2 ? "odd" : "even", (unsigned long long)i);
  *out = (sl_produced_t){"key", 3, r->data, strlen(r->data), NULL};
  return SL_OK;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)start_us, (void)err;
  run_ctx *r = ctx;
  out->duration_us = 1000;
  out->status = r->mode == HANDLER_FAILS ? SL_BATCH_ERROR : SL_BATCH_OK;
  if (r->mode == HANDLER_FAILS) r->failed += b->count;
  if (r->mode == HANDLER_PARTIAL && b->count > r->partial_at) { /* items partial_at.. are reported failed */
    out->status = SL_BATCH_PARTIAL;
    out->lowest_failed = r->partial_at;
    r->failed += b->count - r->partial_at;
  }
  return SL_OK;
}

static int destination(void *ctx, const sl_failure_t *f, sl_error_t *err) {
  (void)err;
  ((run_ctx *)ctx)->sent += f->count;
  return SL_OK;
}

static sl_sim_t *run(run_ctx *r, uint32_t batch_size, int32_t retries, sl_on_failure_fn on_failure,
                     const sl_filter_t *filter) {
  static sl_producer_config_t producer = {.rate = RATE, .arrivals = SL_ARRIVALS_FIXED};
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "counts";
  c.stream.shard_count = 1;
  c.stream.write_limits = 0;
  c.producers = &producer;
  c.producer_count = 1;
  c.duration_us = SECONDS * INT64_C(1000000);
  c.mapping.batch_size = batch_size;
  c.mapping.maximum_retry_attempts = retries;
  c.mapping.filter = filter;
  c.produce = produce;
  c.invoke = invoke;
  c.on_failure = on_failure;
  c.ctx = r;
  return test_sim_run(&c);
}

/* The per-second counts add up to the summary's. */
static void assert_series_sums(const sl_sim_t *sim) {
  sl_event_counts_t sum = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < sl_sim_seconds(sim); i++) {
    const sl_event_counts_t *e = &sl_sim_second(sim, i)->events;
    sum.polled += e->polled;
    sum.filtered_out += e->filtered_out;
    sum.failed_invoke += e->failed_invoke;
    sum.dropped += e->dropped;
    sum.destination_delivered += e->destination_delivered;
  }
  assert_memory_equal(&sum, &sl_sim_summary(sim)->events, sizeof sum);
}

static void every_record_polled_none_failed(void **state) {
  (void)state;
  run_ctx r = {HANDLER_OK, 0, "", 0, 0};
  sl_sim_t *sim = run(&r, 10, -1, NULL, NULL);
  const sl_event_counts_t *e = &sl_sim_summary(sim)->events;
  assert_int_equal(sl_sim_summary(sim)->records_put, RECORDS);
  assert_int_equal(e->polled, RECORDS);
  assert_int_equal(e->filtered_out, 0);
  assert_int_equal(e->failed_invoke, 0);
  assert_int_equal(e->dropped, 0);
  assert_int_equal(e->destination_delivered, 0);
  assert_series_sums(sim);
  sl_sim_destroy(sim);
}

/* Filtered records are polled, then filtered out; they are never invoked. */
static void filtered_records_are_polled_and_counted(void **state) {
  (void)state;
  const char *pattern = "{\"data\": {\"kind\": [\"odd\"]}}";
  sl_filter_t *filter;
  sl_error_t err;
  if (sl_filter_create(&pattern, 1, &filter, &err) != SL_OK) fail_msg("filter: %s", err.message);
  run_ctx r = {HANDLER_OK, 0, "", 0, 0};
  sl_sim_t *sim = run(&r, 10, -1, NULL, filter);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->events.polled, RECORDS);
  assert_int_equal(s->events.filtered_out, RECORDS / 2);
  assert_int_equal(s->records_filtered, RECORDS / 2);
  assert_int_equal(s->records_delivered, RECORDS / 2);
  assert_series_sums(sim);
  sl_sim_destroy(sim);
  sl_filter_destroy(filter);
}

/* A handler that always fails, R retries, no destination: each record is in R + 1 failed invocations, then
 * dropped (retry exhaustion); nothing reaches a destination. */
static void retry_exhaustion_without_destination_drops(void **state) {
  (void)state;
  const int32_t retries = 2;
  run_ctx r = {HANDLER_FAILS, 0, "", 0, 0};
  sl_sim_t *sim = run(&r, 10, retries, NULL, NULL);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->events.polled, RECORDS);
  assert_int_equal(s->events.failed_invoke, (uint64_t)RECORDS * (uint64_t)(retries + 1));
  assert_int_equal(s->events.failed_invoke, r.failed);
  assert_int_equal(s->events.dropped, RECORDS);
  assert_int_equal(s->events.destination_delivered, 0);
  assert_int_equal(s->records_failed, s->events.dropped + s->events.destination_delivered);
  assert_series_sums(sim);
  sl_sim_destroy(sim);
}

/* The same with a destination: the records go there and are not counted as dropped. */
static void retry_exhaustion_with_destination_delivers(void **state) {
  (void)state;
  const int32_t retries = 1;
  run_ctx r = {HANDLER_FAILS, 0, "", 0, 0};
  sl_sim_t *sim = run(&r, 10, retries, destination, NULL);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(s->events.failed_invoke, (uint64_t)RECORDS * (uint64_t)(retries + 1));
  assert_int_equal(s->events.dropped, 0);
  assert_int_equal(s->events.destination_delivered, RECORDS);
  assert_int_equal(r.sent, RECORDS);
  assert_series_sums(sim);
  sl_sim_destroy(sim);
}

/* Partial batch responses: an answer whose lowest failed item is k fails the batch's items from k on (the
 * handler counts them as it answers). With no retries they are dropped at once; the rest is delivered. */
static void partial_responses_count_the_failed_items(void **state) {
  (void)state;
  for (size_t k = 0; k < 6; k += 3) {
    run_ctx r = {HANDLER_PARTIAL, k, "", 0, 0};
    sl_sim_t *sim = run(&r, 10, 0, NULL, NULL);
    const sl_summary_t *s = sl_sim_summary(sim);
    assert_int_equal(s->errors, 0); /* partial responses are not function errors */
    assert_true(r.failed > 0);
    assert_int_equal(s->events.failed_invoke, r.failed);
    assert_int_equal(s->events.dropped, r.failed);
    assert_int_equal(s->records_delivered, RECORDS - r.failed);
    if (k == 0) assert_int_equal(r.failed, RECORDS); /* every item of every batch failed */
    assert_series_sums(sim);
    sl_sim_destroy(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_record_polled_none_failed),
      cmocka_unit_test(filtered_records_are_polled_and_counted),
      cmocka_unit_test(retry_exhaustion_without_destination_drops),
      cmocka_unit_test(retry_exhaustion_with_destination_delivers),
      cmocka_unit_test(partial_responses_count_the_failed_items),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
