/* test_write_limit.c - per-shard write limits: 1,000 records/s and 1 MiB/s (key bytes included), AWS's
 * exception and message, refill over time, independence of shards, and the switch that turns them off. */
#include "test_support.h"

#include <stdlib.h>

/* Puts on shard 0 of a 1-shard stream until refused; returns how many were accepted. */
static int put_until_refused(sl_stream_t *s, int64_t now_ms, const char *data, size_t len, sl_error_t *err) {
  int accepted = 0;
  while (sl_stream_put(s, now_ms, "k", 1, NULL, data, len, NULL, err) == SL_OK) {
    accepted++;
    if (accepted > 100000) fail_msg("never throttled");
  }
  return accepted;
}

static void record_rate_burst_refused_then_refilled(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 1);
  sl_error_t err;
  int accepted = put_until_refused(s, TEST_EPOCH_MS, "x", 1, &err);
  assert_int_equal(accepted, 1000);
  assert_int_equal(err.code, SL_ETHROTTLED);
  assert_string_equal(sl_error_name(err.code), "ProvisionedThroughputExceededException");
  assert_string_equal(err.message,
                      "Rate exceeded for shard shardId-000000000000 in stream test-stream under account "
                      "123456789012.");
  assert_int_equal(sl_stream_shard(s, 0)->stats.records_throttled, 1);
  assert_int_equal(sl_stream_shard(s, 0)->stats.records_in, 1000);
  /* Half a second later half the bucket is back; a full second later all of it. */
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS + 500, "x", 1, &err), 500);
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS + 1500, "x", 1, &err), 1000);
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS + 9500, "x", 1, &err), 1000); /* never more than 1 s */
  assert_int_equal(sl_stream_shard(s, 0)->stats.records_throttled, 4);
  sl_stream_destroy(s);
}

static void byte_rate_counts_key_bytes(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 1);
  sl_error_t err;
  /* 1 MiB/s = 1,048,576 bytes. Records of 1 key byte + 4095 data bytes = 4096 bytes: exactly 256 fit. */
  char *data = calloc(1, 4095);
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS, data, 4095, &err), 256);
  assert_int_equal(err.code, SL_ETHROTTLED);
  /* One millisecond refills 1048.576 bytes: not enough for another 4096-byte record, four are. */
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS + 1, data, 4095, &err), 0);
  assert_int_equal(put_until_refused(s, TEST_EPOCH_MS + 4, data, 4095, &err), 1);
  free(data);
  sl_stream_destroy(s);
}

static void shards_have_their_own_buckets(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(2, 1);
  sl_error_t err;
  /* "a" routes to shard 0 and "b" to shard 1 of a 2-shard stream (MD5 'a' < 2^127 < MD5 'b'). */
  for (int i = 0; i < 1000; i++) assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "a", 1, NULL, "", 0, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "a", 1, NULL, "", 0, NULL, &err), SL_ETHROTTLED);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "b", 1, NULL, "", 0, NULL, &err), SL_OK);
  sl_stream_destroy(s);
}

static void limits_can_be_switched_off(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 0);
  sl_error_t err;
  for (int i = 0; i < 5000; i++) assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, "x", 1, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_shard(s, 0)->stats.records_throttled, 0);
  sl_stream_destroy(s);
}

static void large_record_admitted_by_a_full_bucket(void **state) {
  (void)state;
  /* A 2 MiB record on a stream allowing 10 MiB records: larger than a second of capacity, so a full bucket
   * admits it and the shard then waits off the debt. */
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = "large";
  c.shard_count = 1;
  c.max_record_size_kib = 10240;
  c.created_ms = TEST_EPOCH_MS;
  sl_stream_t *s;
  sl_error_t err;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_OK);
  size_t len = 2u << 20;
  char *data = calloc(1, len);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, data, len, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS + 1000, "k", 1, NULL, "x", 1, NULL, &err), SL_ETHROTTLED);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS + 2100, "k", 1, NULL, "x", 1, NULL, &err), SL_OK);
  free(data);
  sl_stream_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(record_rate_burst_refused_then_refilled),
      cmocka_unit_test(byte_rate_counts_key_bytes),
      cmocka_unit_test(shards_have_their_own_buckets),
      cmocka_unit_test(limits_can_be_switched_off),
      cmocka_unit_test(large_record_admitted_by_a_full_bucket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
