/* test_shard_log.c - the in-memory record log: contiguous counters, exact bytes back, stable addresses across
 * chunks, lookup by arrival time, retention that frees memory, and zero-length payloads. */
#include "test_support.h"

#include <stdlib.h>

static void append_n(sl_shard_log_t *log, int from, int to, int64_t arrival_step) {
  for (int i = from; i < to; i++) {
    char key[32], data[64];
    int kl = snprintf(key, sizeof key, "key-%d", i);
    int dl = snprintf(data, sizeof data, "payload of record %d", i);
    uint64_t counter;
    assert_int_equal(sl_shard_log_append(log, 1000 + (int64_t)i * arrival_step, (sl_hashkey_t)i, i % 2, key,
                                         (size_t)kl, data, (size_t)dl, &counter),
                     SL_OK);
  }
}

static void empty_log(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(42);
  assert_int_equal(sl_shard_log_first(log), 42);
  assert_int_equal(sl_shard_log_next(log), 42);
  assert_int_equal(sl_shard_log_count(log), 0);
  assert_null(sl_shard_log_get(log, 42));
  assert_int_equal(sl_shard_log_find_time(log, 0), 42);
  assert_int_equal(sl_shard_log_trim(log, INT64_MAX), 0);
  sl_shard_log_destroy(log);
  sl_shard_log_destroy(NULL);
}

static void appends_read_back_exactly_across_chunks(void **state) {
  (void)state;
  enum { N = 20000 }; /* several chunks */
  sl_shard_log_t *log = sl_shard_log_create(7);
  append_n(log, 0, 10, 1);
  const sl_record_t *early[10];
  for (int i = 0; i < 10; i++) early[i] = sl_shard_log_get(log, 7 + (uint64_t)i);
  append_n(log, 10, N, 1);
  assert_int_equal(sl_shard_log_next(log), 7 + N);
  for (int i = 0; i < 10; i++) assert_ptr_equal(sl_shard_log_get(log, 7 + (uint64_t)i), early[i]); /* never moved */
  for (int i = 0; i < N; i++) {
    const sl_record_t *r = sl_shard_log_get(log, 7 + (uint64_t)i);
    char key[32], data[64];
    int kl = snprintf(key, sizeof key, "key-%d", i);
    int dl = snprintf(data, sizeof data, "payload of record %d", i);
    assert_non_null(r);
    assert_int_equal(r->counter, 7 + (uint64_t)i);
    assert_int_equal(r->arrival_ms, 1000 + i);
    assert_true(r->hash_key == (sl_hashkey_t)i);
    assert_int_equal(r->explicit_hash, i % 2);
    assert_int_equal(r->key_len, kl);
    assert_int_equal(r->data_len, dl);
    assert_memory_equal(SL_RECORD_KEY(r), key, (size_t)kl);
    assert_memory_equal(SL_RECORD_DATA(r), data, (size_t)dl);
  }
  assert_null(sl_shard_log_get(log, 7 + N));
  assert_null(sl_shard_log_get(log, 6));
  sl_shard_log_destroy(log);
}

static void large_and_empty_payloads(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(0);
  size_t big = 3u << 20; /* larger than a payload block */
  char *data = malloc(big);
  for (size_t i = 0; i < big; i++) data[i] = (char)(i * 7);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "k", 1, "", 0, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "big", 3, data, big, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "k2", 2, "x", 1, NULL), SL_OK);
  assert_int_equal(sl_shard_log_get(log, 0)->data_len, 0);
  assert_memory_equal(SL_RECORD_DATA(sl_shard_log_get(log, 1)), data, big);
  assert_memory_equal(SL_RECORD_KEY(sl_shard_log_get(log, 2)), "k2", 2);
  assert_true(sl_shard_log_memory(log) >= big);
  free(data);
  sl_shard_log_destroy(log);
}

static void find_time_returns_first_at_or_after(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(0);
  /* Arrival times 10, 10, 10, 20, 20, 30 (ms). */
  static const int64_t times[] = {10, 10, 10, 20, 20, 30};
  for (size_t i = 0; i < 6; i++) assert_int_equal(sl_shard_log_append(log, times[i], 0, 0, "k", 1, "d", 1, NULL), SL_OK);
  assert_int_equal(sl_shard_log_find_time(log, 0), 0);
  assert_int_equal(sl_shard_log_find_time(log, 10), 0);
  assert_int_equal(sl_shard_log_find_time(log, 11), 3);
  assert_int_equal(sl_shard_log_find_time(log, 20), 3);
  assert_int_equal(sl_shard_log_find_time(log, 30), 5);
  assert_int_equal(sl_shard_log_find_time(log, 31), 6);
  sl_shard_log_destroy(log);
}

static void trim_drops_exactly_and_frees_memory(void **state) {
  (void)state;
  enum { N = 50000 };
  sl_shard_log_t *log = sl_shard_log_create(0);
  append_n(log, 0, N, 1); /* record i arrives at 1000 + i */
  size_t before = sl_shard_log_memory(log);
  assert_int_equal(sl_shard_log_trim(log, 1000 + 30000), 30000);
  assert_int_equal(sl_shard_log_first(log), 30000);
  assert_int_equal(sl_shard_log_count(log), N - 30000);
  assert_null(sl_shard_log_get(log, 29999));
  const sl_record_t *r = sl_shard_log_get(log, 30000);
  assert_non_null(r);
  assert_memory_equal(SL_RECORD_KEY(r), "key-30000", 9);
  assert_true(sl_shard_log_memory(log) < before / 2 + before / 4); /* most of 30,000 records' chunks are gone */
  assert_int_equal(sl_shard_log_trim(log, 1000 + 30000), 0);         /* idempotent */
  /* Trim everything, then appends continue the counters. */
  assert_int_equal(sl_shard_log_trim(log, INT64_MAX), N - 30000);
  assert_int_equal(sl_shard_log_count(log), 0);
  assert_true(sl_shard_log_memory(log) < before / 10);
  uint64_t counter;
  assert_int_equal(sl_shard_log_append(log, 999999, 0, 0, "after", 5, "d", 1, &counter), SL_OK);
  assert_int_equal(counter, N);
  assert_memory_equal(SL_RECORD_KEY(sl_shard_log_get(log, N)), "after", 5);
  /* Keep appending and trimming: memory stays bounded by what is retained. */
  for (int round = 0; round < 20; round++) {
    append_n(log, N + 1 + round * 5000, N + 1 + (round + 1) * 5000, 1);
    sl_shard_log_trim(log, INT64_MAX);
  }
  assert_true(sl_shard_log_memory(log) < before / 10);
  sl_shard_log_destroy(log);
}

static void release_by_counter(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(10);
  append_n(log, 0, 10000, 1);
  size_t before = sl_shard_log_memory(log);
  assert_int_equal(sl_shard_log_release(log, 5), 0);     /* below the first counter: nothing */
  assert_int_equal(sl_shard_log_release(log, 9010), 9000);
  assert_int_equal(sl_shard_log_first(log), 9010);
  assert_null(sl_shard_log_get(log, 9009));
  assert_memory_equal(SL_RECORD_KEY(sl_shard_log_get(log, 9010)), "key-9000", 8);
  assert_true(sl_shard_log_memory(log) < before / 2);
  assert_int_equal(sl_shard_log_release(log, UINT64_MAX), 1000); /* capped at the end */
  assert_int_equal(sl_shard_log_count(log), 0);
  sl_shard_log_destroy(log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_log),
      cmocka_unit_test(appends_read_back_exactly_across_chunks),
      cmocka_unit_test(large_and_empty_payloads),
      cmocka_unit_test(find_time_returns_first_at_or_after),
      cmocka_unit_test(trim_drops_exactly_and_frees_memory),
      cmocka_unit_test(release_by_counter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
