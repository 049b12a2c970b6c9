/* test_stream.c - stream creation, routing by MD5 against AWS's recorded routing, put validation with AWS's
 * limits (partition key characters, explicit hash keys, record size), and sequence numbers under load. */
#include "test_support.h"

#include <stdlib.h>

static void create_validates_config(void **state) {
  (void)state;
  sl_stream_config_t c;
  sl_stream_t *s;
  sl_error_t err;
  sl_stream_config_init(&c);
  c.name = "ok";
  c.shard_count = 0;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "ShardCount"));
  c.shard_count = SL_STREAM_MAX_SHARDS + 1;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  c.shard_count = 1;
  c.name = "bad name";
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "StreamName"));
  c.name = "";
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  c.name = "ok";
  c.retention_hours = 23;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "RetentionPeriodHours"));
  c.retention_hours = 8761;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  c.retention_hours = 8760;
  c.max_record_size_kib = 10241;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_EINVAL);
  c.max_record_size_kib = 10240;
  c.shard_count = SL_STREAM_MAX_SHARDS;
  assert_int_equal(sl_stream_create(&c, &s, &err), SL_OK);
  assert_int_equal(sl_stream_open_count(s), SL_STREAM_MAX_SHARDS);
  assert_string_equal(sl_stream_shard(s, 9999)->id, "shardId-000000009999");
  sl_stream_destroy(s);
}

static void shards_have_ids_and_even_ranges(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(3, 0);
  char buf[SL_HASHKEY_DECIMAL_SIZE];
  assert_int_equal(sl_stream_shard_total(s), 3);
  assert_string_equal(sl_stream_shard(s, 0)->id, "shardId-000000000000");
  assert_string_equal(sl_stream_shard(s, 2)->id, "shardId-000000000002");
  /* AWS's describe-stream output for a new 3-shard stream (shared/reference/hash-ranges.json). */
  sl_hashkey_format(sl_stream_shard(s, 1)->start, buf);
  assert_string_equal(buf, "113427455640312821154458202477256070485");
  sl_hashkey_format(sl_stream_shard(s, 1)->end, buf);
  assert_string_equal(buf, "226854911280625642308916404954512140969");
  assert_ptr_equal(sl_stream_find_shard(s, "shardId-000000000002"), sl_stream_shard(s, 2));
  assert_null(sl_stream_find_shard(s, "shardId-000000000003"));
  assert_null(sl_stream_find_shard(s, "shardId-00000000000x"));
  assert_null(sl_stream_find_shard(s, "shard-0"));
  sl_stream_destroy(s);
  /* A power of two divides 2^128 exactly: 4 shards start at multiples of 2^126 (AWS's 2-shard output starts
   * its second shard at 2^127 the same way). */
  s = test_stream(4, 0);
  for (uint32_t i = 0; i < 4; i++) assert_true(sl_stream_shard(s, i)->start == (sl_hashkey_t)i << 126);
  assert_true(sl_stream_shard(s, 2)->end == ((sl_hashkey_t)3 << 126) - 1);
  sl_stream_destroy(s);
}

static void routes_like_aws(void **state) {
  (void)state;
  /* Recorded against real AWS by kinesalite (shared/reference/hash-ranges.json): on 3 shards. */
  static const struct { const char *key; uint32_t shard; } recorded[] = {{"a", 0}, {"b", 1}, {"e", 2}, {"f", 1}};
  sl_stream_t *s = test_stream(3, 0);
  for (size_t i = 0; i < sizeof recorded / sizeof recorded[0]; i++) {
    sl_put_result_t r = test_put(s, TEST_EPOCH_MS, recorded[i].key);
    assert_int_equal(r.shard_index, recorded[i].shard);
    assert_int_equal(sl_stream_route(s, sl_hashkey_of(recorded[i].key, 1))->index, recorded[i].shard);
  }
  /* The boundaries themselves. */
  assert_int_equal(sl_stream_route(s, 0)->index, 0);
  assert_int_equal(sl_stream_route(s, sl_stream_shard(s, 0)->end)->index, 0);
  assert_int_equal(sl_stream_route(s, sl_stream_shard(s, 1)->start)->index, 1);
  assert_int_equal(sl_stream_route(s, SL_HASHKEY_MAX)->index, 2);
  sl_stream_destroy(s);
}

static void partition_key_limits(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(2, 0);
  sl_error_t err;
  char ascii[258];
  memset(ascii, 'k', sizeof ascii);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, ascii, 256, NULL, "x", 1, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, ascii, 257, NULL, "x", 1, NULL, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "PartitionKey"));
  assert_non_null(strstr(err.message, "257"));
  /* 256 three-byte characters (768 bytes) are 256 characters: accepted; one more is refused. */
  char wide[257 * 3];
  for (int i = 0; i < 257; i++) memcpy(wide + 3 * i, "\xe6\x97\xa5", 3); /* U+65E5 */
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, wide, 256 * 3, NULL, "x", 1, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, wide, 257 * 3, NULL, "x", 1, NULL, &err), SL_EINVAL);
  /* Four-byte characters count once too. */
  char emoji[256 * 4];
  for (int i = 0; i < 256; i++) memcpy(emoji + 4 * i, "\xf0\x9f\x98\x80", 4); /* U+1F600 */
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, emoji, sizeof emoji, NULL, "x", 1, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "", 0, NULL, "x", 1, NULL, &err), SL_EINVAL);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "\xff", 1, NULL, "x", 1, NULL, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "UTF-8"));
  uint64_t stored = 0;
  for (uint32_t i = 0; i < 2; i++) stored += sl_stream_shard(s, i)->stats.records_in;
  assert_int_equal(stored, 3); /* refused puts store nothing */
  sl_stream_destroy(s);
}

static void explicit_hash_keys(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(4, 0);
  sl_error_t err;
  sl_put_result_t r;
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, "0", "x", 1, &r, &err), SL_OK);
  assert_int_equal(r.shard_index, 0);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, "340282366920938463463374607431768211455", "x", 1, &r,
                                 &err),
                   SL_OK);
  assert_int_equal(r.shard_index, 3);
  /* The record keeps its explicit hash key and its partition key. */
  const sl_record_t *rec = sl_shard_log_get(sl_stream_shard(s, 3)->log, r.seq.counter);
  assert_non_null(rec);
  assert_true(rec->explicit_hash);
  assert_true(rec->hash_key == SL_HASHKEY_MAX);
  assert_memory_equal(SL_RECORD_KEY(rec), "k", 1);
  static const char *const refused[] = {"340282366920938463463374607431768211456", "-1", "007", "12a", "", " 1"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    err.message[0] = '\0';
    assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, refused[i], "x", 1, &r, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "ExplicitHashKey"));
  }
  sl_stream_destroy(s);
}

static void record_size_limit(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 0);
  sl_error_t err;
  size_t mib = 1024 * 1024;
  char *big = calloc(1, mib + 1);
  assert_non_null(big);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, big, mib, NULL, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, big, mib + 1, NULL, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "1048577"));
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "k", 1, NULL, big, 0, NULL, &err), SL_OK);
  free(big);
  sl_stream_destroy(s);
}

static void sequence_numbers_unique_within_a_millisecond(void **state) {
  (void)state;
  /* 100,000 appends in one millisecond: strictly increasing, unique, real 56-digit shape. */
  sl_stream_t *s = test_stream(1, 0);
  char prev[SL_SEQNUM_DECIMAL_SIZE] = "0", cur[SL_SEQNUM_DECIMAL_SIZE];
  for (int i = 0; i < 100000; i++) {
    sl_put_result_t r = test_put(s, TEST_EPOCH_MS + 5, "same-key");
    assert_int_equal(sl_seqnum_format(&r.seq, cur), 56);
    if (sl_seqnum_compare_text(prev, cur) >= 0) fail_msg("sequence %d: %s is not above %s", i, cur, prev);
    memcpy(prev, cur, sizeof cur);
  }
  sl_stream_destroy(s);
}

static void arrival_times_never_go_back(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 0);
  sl_put_result_t a = test_put(s, TEST_EPOCH_MS + 2000, "k");
  sl_put_result_t b = test_put(s, TEST_EPOCH_MS + 1000, "k"); /* a caller's clock stepping back */
  const sl_shard_log_t *log = sl_stream_shard(s, 0)->log;
  assert_true(sl_shard_log_get(log, b.seq.counter)->arrival_ms >= sl_shard_log_get(log, a.seq.counter)->arrival_ms);
  sl_stream_destroy(s);
}

static void retention_trims_and_counts(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 0);
  int64_t hour = 3600 * 1000;
  test_put(s, TEST_EPOCH_MS, "old");
  test_put(s, TEST_EPOCH_MS + 2 * hour, "new");
  assert_int_equal(sl_stream_trim(s, TEST_EPOCH_MS + 24 * hour), 0);     /* exactly 24 h old: kept */
  assert_int_equal(sl_stream_trim(s, TEST_EPOCH_MS + 24 * hour + 1), 1); /* older: dropped */
  assert_int_equal(sl_stream_shard(s, 0)->stats.records_trimmed, 1);
  assert_int_equal(sl_shard_log_count(sl_stream_shard(s, 0)->log), 1);
  sl_stream_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(create_validates_config),
      cmocka_unit_test(shards_have_ids_and_even_ranges),
      cmocka_unit_test(routes_like_aws),
      cmocka_unit_test(partition_key_limits),
      cmocka_unit_test(explicit_hash_keys),
      cmocka_unit_test(record_size_limit),
      cmocka_unit_test(sequence_numbers_unique_within_a_millisecond),
      cmocka_unit_test(arrival_times_never_go_back),
      cmocka_unit_test(retention_trims_and_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
