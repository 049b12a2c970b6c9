/* test_shard_log.c - the in-memory record log: contiguous counters from any first counter, exact bytes back,
 * stable addresses across chunks, lookup by arrival time (first of equal times), retention and release that
 * free memory, zero-length and large payloads, oversized lengths refused, and allocation failure leaving the
 * log unchanged. */
#if defined(__linux__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/error.h"
#include "shardlab/shard_log.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <sys/resource.h>
#endif

/* Record i's partition key and data: distinct per record, data of varying length (0 to 60 bytes of text
 * followed by a varying tail) so payloads fill blocks unevenly. */
static size_t key_of(int i, char *key, size_t size) { return (size_t)snprintf(key, size, "key-%d", i); }

static size_t data_of(int i, char *data, size_t size) {
  int n = snprintf(data, size, "payload of record %d;", i);
  size_t len = (size_t)n, extra = (size_t)(i % 37);
  for (size_t k = 0; k < extra && len < size; k++) data[len++] = (char)('a' + (i + (int)k) % 26);
  return len;
}

static int64_t arrival_of(int i) { return 1000 + i; }

/* Appends records from..to-1, each at arrival_of(i); checks the counter each one gets. */
static void append_range(sl_shard_log_t *log, int from, int to) {
  for (int i = from; i < to; i++) {
    char key[32], data[128];
    size_t kl = key_of(i, key, sizeof key), dl = data_of(i, data, sizeof data);
    uint64_t expected = sl_shard_log_next(log), counter = 0;
    assert_int_equal(sl_shard_log_append(log, arrival_of(i), (sl_hashkey_t)i << 64 | (sl_hashkey_t)(i * 3), i % 2,
                                         key, kl, data, dl, &counter),
                     SL_OK);
    assert_int_equal(counter, expected);
    assert_int_equal(sl_shard_log_next(log), expected + 1);
  }
}

/* Record i stored at counter c holds exactly what append_range gave it. */
static void check_record(const sl_shard_log_t *log, uint64_t c, int i) {
  char key[32], data[128];
  size_t kl = key_of(i, key, sizeof key), dl = data_of(i, data, sizeof data);
  const sl_record_t *r = sl_shard_log_get(log, c);
  assert_non_null(r);
  assert_int_equal(r->counter, c);
  assert_int_equal(r->arrival_ms, arrival_of(i));
  assert_true(r->hash_key == ((sl_hashkey_t)i << 64 | (sl_hashkey_t)(i * 3)));
  assert_int_equal(r->explicit_hash, i % 2);
  assert_int_equal(r->key_len, kl);
  assert_int_equal(r->data_len, dl);
  assert_memory_equal(SL_RECORD_KEY(r), key, kl);
  assert_memory_equal(SL_RECORD_DATA(r), data, dl);
}

static void empty_log(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(42);
  assert_non_null(log);
  assert_int_equal(sl_shard_log_first(log), 42);
  assert_int_equal(sl_shard_log_next(log), 42);
  assert_int_equal(sl_shard_log_count(log), 0);
  assert_null(sl_shard_log_get(log, 42));
  assert_null(sl_shard_log_get(log, 41));
  assert_null(sl_shard_log_get(log, 0));
  assert_int_equal(sl_shard_log_find_time(log, INT64_MIN), 42);
  assert_int_equal(sl_shard_log_find_time(log, 0), 42);
  assert_int_equal(sl_shard_log_find_time(log, INT64_MAX), 42);
  assert_int_equal(sl_shard_log_trim(log, INT64_MAX), 0);
  assert_int_equal(sl_shard_log_release(log, UINT64_MAX), 0);
  assert_int_equal(sl_shard_log_first(log), 42);
  assert_int_equal(sl_shard_log_next(log), 42);
  assert_true(sl_shard_log_memory(log) > 0);
  sl_shard_log_destroy(log);
  sl_shard_log_destroy(NULL);
}

static void appends_read_back_exactly_across_chunks(void **state) {
  (void)state;
  enum { EARLY = 5000, N = 20000 }; /* several chunks of headers and many payload blocks */
  sl_shard_log_t *log = sl_shard_log_create(7);
  append_range(log, 0, EARLY);
  const sl_record_t **early = malloc(EARLY * sizeof *early);
  const char **early_bytes = malloc(EARLY * sizeof *early_bytes);
  assert_non_null(early);
  assert_non_null(early_bytes);
  for (int i = 0; i < EARLY; i++) {
    early[i] = sl_shard_log_get(log, 7 + (uint64_t)i);
    assert_non_null(early[i]);
    early_bytes[i] = early[i]->bytes;
  }
  append_range(log, EARLY, N);
  assert_int_equal(sl_shard_log_first(log), 7);
  assert_int_equal(sl_shard_log_next(log), 7 + N);
  assert_int_equal(sl_shard_log_count(log), N);
  for (int i = 0; i < EARLY; i++) { /* neither headers nor payloads moved */
    assert_ptr_equal(sl_shard_log_get(log, 7 + (uint64_t)i), early[i]);
    assert_ptr_equal(early[i]->bytes, early_bytes[i]);
  }
  for (int i = 0; i < N; i++) check_record(log, 7 + (uint64_t)i, i);
  assert_null(sl_shard_log_get(log, 7 + N));
  assert_null(sl_shard_log_get(log, 6));
  assert_null(sl_shard_log_get(log, UINT64_MAX));
  free(early);
  free(early_bytes);
  sl_shard_log_destroy(log);
}

/* The log reports at least the headers and payloads it holds, and not wildly more. */
static void memory_counts_headers_and_payloads(void **state) {
  (void)state;
  enum { N = 30000 };
  sl_shard_log_t *log = sl_shard_log_create(0);
  size_t empty = sl_shard_log_memory(log), payload = 0;
  append_range(log, 0, N);
  for (int i = 0; i < N; i++) {
    const sl_record_t *r = sl_shard_log_get(log, (uint64_t)i);
    payload += (size_t)r->key_len + r->data_len;
  }
  size_t held = sl_shard_log_memory(log) - empty, exact = N * sizeof(sl_record_t) + payload;
  assert_true(held >= exact);
  assert_true(held < exact + exact / 2 + (1u << 20));
  sl_shard_log_destroy(log);
}

static void non_zero_first_counter(void **state) {
  (void)state;
  const uint64_t first = (UINT64_C(1) << 62) + 12345; /* counters far from zero and from chunk boundaries */
  enum { N = 10000 };
  sl_shard_log_t *log = sl_shard_log_create(first);
  assert_int_equal(sl_shard_log_next(log), first);
  append_range(log, 0, N);
  assert_int_equal(sl_shard_log_first(log), first);
  assert_int_equal(sl_shard_log_next(log), first + N);
  assert_null(sl_shard_log_get(log, first - 1));
  assert_null(sl_shard_log_get(log, 0));
  for (int i = 0; i < N; i++) check_record(log, first + (uint64_t)i, i);
  assert_int_equal(sl_shard_log_find_time(log, INT64_MIN), first);
  assert_int_equal(sl_shard_log_find_time(log, arrival_of(4321)), first + 4321);
  assert_int_equal(sl_shard_log_trim(log, arrival_of(5000)), 5000);
  assert_int_equal(sl_shard_log_first(log), first + 5000);
  check_record(log, first + 5000, 5000);
  assert_int_equal(sl_shard_log_release(log, first + N + 100), N - 5000); /* capped at next */
  uint64_t counter = 0;
  assert_int_equal(sl_shard_log_append(log, arrival_of(N), 0, 0, "k", 1, "d", 1, &counter), SL_OK);
  assert_int_equal(counter, first + N);
  sl_shard_log_destroy(log);
}

static void find_time_returns_first_at_or_after(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(0);
  /* Arrival times 10, 10, 10, 20, 20, 30 (ms). */
  static const int64_t times[] = {10, 10, 10, 20, 20, 30};
  for (size_t i = 0; i < 6; i++)
    assert_int_equal(sl_shard_log_append(log, times[i], 0, 0, "k", 1, "d", 1, NULL), SL_OK);
  assert_int_equal(sl_shard_log_find_time(log, INT64_MIN), 0);
  assert_int_equal(sl_shard_log_find_time(log, 0), 0);
  assert_int_equal(sl_shard_log_find_time(log, 10), 0);
  assert_int_equal(sl_shard_log_find_time(log, 11), 3);
  assert_int_equal(sl_shard_log_find_time(log, 19), 3);
  assert_int_equal(sl_shard_log_find_time(log, 20), 3);
  assert_int_equal(sl_shard_log_find_time(log, 21), 5);
  assert_int_equal(sl_shard_log_find_time(log, 30), 5);
  assert_int_equal(sl_shard_log_find_time(log, 31), 6);
  assert_int_equal(sl_shard_log_find_time(log, INT64_MAX), 6);
  sl_shard_log_destroy(log);
}

/* Long runs of equal times that straddle chunk boundaries, checked against a scan, before and after a trim
 * that leaves the first retained record in the middle of a run. */
static void find_time_with_long_runs_of_equal_times(void **state) {
  (void)state;
  enum { N = 30000, RUN = 1500 };
  const uint64_t first = 3;
  sl_shard_log_t *log = sl_shard_log_create(first);
  for (int i = 0; i < N; i++) {
    int64_t t = 100 + (int64_t)(i / RUN) * 10; /* 1,500 records per time, times 10 ms apart */
    assert_int_equal(sl_shard_log_append(log, t, 0, 0, "k", 1, &i, sizeof i, NULL), SL_OK);
  }
  for (int run = 0; run < N / RUN; run++) {
    int64_t t = 100 + (int64_t)run * 10;
    uint64_t start = first + (uint64_t)run * RUN;
    assert_int_equal(sl_shard_log_find_time(log, t), start);     /* the first record at t */
    assert_int_equal(sl_shard_log_find_time(log, t - 9), start); /* between times: the next time's first */
    assert_int_equal(sl_shard_log_find_time(log, t + 1), start + RUN);
  }
  assert_int_equal(sl_shard_log_find_time(log, 99), first);
  assert_int_equal(sl_shard_log_find_time(log, 100 + (N / RUN) * 10), first + N);

  /* Keep half of the run at 150 ms (records 7500..8999): release into its middle. */
  uint64_t cut = first + 5 * RUN + RUN / 2;
  assert_int_equal(sl_shard_log_release(log, cut), cut - first);
  assert_int_equal(sl_shard_log_find_time(log, INT64_MIN), cut);
  assert_int_equal(sl_shard_log_find_time(log, 150), cut);
  assert_int_equal(sl_shard_log_find_time(log, 151), first + 6 * RUN);
  /* A trim at that same time drops nothing more; one just past it drops the rest of the run. */
  assert_int_equal(sl_shard_log_trim(log, 150), 0);
  assert_int_equal(sl_shard_log_trim(log, 151), RUN / 2);
  assert_int_equal(sl_shard_log_first(log), first + 6 * RUN);
  sl_shard_log_destroy(log);
}

static void trim_drops_exactly_and_frees_memory(void **state) {
  (void)state;
  enum { N = 50000, CUT = 30000 };
  sl_shard_log_t *log = sl_shard_log_create(0);
  append_range(log, 0, N); /* record i arrives at 1000 + i */
  size_t before = sl_shard_log_memory(log);
  assert_int_equal(sl_shard_log_trim(log, arrival_of(0)), 0); /* nothing arrived before the first record */
  assert_int_equal(sl_shard_log_trim(log, arrival_of(CUT)), CUT);
  assert_int_equal(sl_shard_log_first(log), CUT);
  assert_int_equal(sl_shard_log_next(log), N);
  assert_int_equal(sl_shard_log_count(log), N - CUT);
  assert_null(sl_shard_log_get(log, 0));
  assert_null(sl_shard_log_get(log, CUT - 1));
  for (int i = CUT; i < N; i++) check_record(log, (uint64_t)i, i); /* the rest untouched */
  assert_int_equal(sl_shard_log_find_time(log, 0), CUT);
  /* Several chunks of the 30,000 dropped records are gone: memory fell by well over a third. */
  size_t after = sl_shard_log_memory(log);
  assert_true(after < before - before / 3);
  assert_int_equal(sl_shard_log_trim(log, arrival_of(CUT)), 0); /* idempotent */
  assert_int_equal(sl_shard_log_memory(log), after);
  /* Trim everything, then appends continue the counters. */
  assert_int_equal(sl_shard_log_trim(log, INT64_MAX), N - CUT);
  assert_int_equal(sl_shard_log_count(log), 0);
  assert_int_equal(sl_shard_log_first(log), N);
  assert_int_equal(sl_shard_log_next(log), N);
  assert_null(sl_shard_log_get(log, N - 1));
  assert_true(sl_shard_log_memory(log) < before / 10);
  append_range(log, N, N + 1);
  check_record(log, N, N);
  /* Keep appending and trimming: memory stays bounded by what is retained. */
  for (int round = 0; round < 40; round++) {
    int from = N + 1 + round * 5000;
    append_range(log, from, from + 5000);
    assert_int_equal(sl_shard_log_trim(log, arrival_of(from + 4000)), (round == 0 ? 1 : 1000) + 4000);
    check_record(log, (uint64_t)(from + 4000), from + 4000);
  }
  assert_int_equal(sl_shard_log_count(log), 1000);
  assert_true(sl_shard_log_memory(log) < before / 4); /* 1,000 records retained, not the 200,000 appended */
  sl_shard_log_destroy(log);
}

static void release_by_counter(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(10);
  append_range(log, 0, 10000);
  size_t before = sl_shard_log_memory(log);
  assert_int_equal(sl_shard_log_release(log, 5), 0); /* below the first counter: nothing */
  assert_int_equal(sl_shard_log_release(log, 10), 0);
  assert_int_equal(sl_shard_log_release(log, 9010), 9000);
  assert_int_equal(sl_shard_log_first(log), 9010);
  assert_null(sl_shard_log_get(log, 9009));
  check_record(log, 9010, 9000);
  check_record(log, 10009, 9999);
  assert_true(sl_shard_log_memory(log) < before / 2);
  assert_int_equal(sl_shard_log_release(log, UINT64_MAX), 1000); /* capped at the end */
  assert_int_equal(sl_shard_log_count(log), 0);
  assert_int_equal(sl_shard_log_next(log), 10010);
  sl_shard_log_destroy(log);
}

/* Cuts on and next to every chunk boundary a chunk size of 1,024, 2,048 or 4,096 records would have: the
 * records kept are intact, also after more appends have reused whatever memory the cut freed, and a cut
 * exactly at a multiple of 4,096 frees the chunk it completes (less memory than a cut one record earlier). */
static void release_at_chunk_boundaries(void **state) {
  (void)state;
  static const int cuts[] = {1,    1023, 1024, 1025, 2047, 2048, 2049, 4095,
                             4096, 4097, 8191, 8192, 8193, 12287, 12288, 12299};
  enum { N = 12300, MORE = 9000 };
  const uint64_t first = 1000;
  size_t memory[sizeof cuts / sizeof cuts[0]];
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    sl_shard_log_t *log = sl_shard_log_create(first);
    append_range(log, 0, N);
    assert_int_equal(sl_shard_log_release(log, first + (uint64_t)cuts[k]), cuts[k]);
    memory[k] = sl_shard_log_memory(log);
    assert_int_equal(sl_shard_log_first(log), first + (uint64_t)cuts[k]);
    assert_null(sl_shard_log_get(log, first + (uint64_t)cuts[k] - 1));
    append_range(log, N, N + MORE);
    for (int i = cuts[k]; i < N + MORE; i++) check_record(log, first + (uint64_t)i, i);
    assert_int_equal(sl_shard_log_find_time(log, INT64_MIN), first + (uint64_t)cuts[k]);
    sl_shard_log_destroy(log);
  }
  for (size_t k = 1; k < sizeof cuts / sizeof cuts[0]; k++)
    if (cuts[k] % 4096 == 0) {
      assert_int_equal(cuts[k - 1], cuts[k] - 1);
      assert_true(memory[k] < memory[k - 1]);
    }
}

static void zero_length_payloads(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(100);
  /* The very first record is empty, so it lands before any payload block exists; NULL is fine for length 0. */
  assert_int_equal(sl_shard_log_append(log, 1, 5, 1, NULL, 0, NULL, 0, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 6, 0, "", 0, "data", 4, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 2, 7, 0, "key", 3, "", 0, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 2, 8, 0, "k2", 2, "xy", 2, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 3, 9, 0, "", 0, NULL, 0, NULL), SL_OK);

  static const struct {
    const char *key, *data;
    uint32_t key_len, data_len;
  } want[] = {{"", "", 0, 0}, {"", "data", 0, 4}, {"key", "", 3, 0}, {"k2", "xy", 2, 2}, {"", "", 0, 0}};
  for (uint64_t i = 0; i < 5; i++) {
    const sl_record_t *r = sl_shard_log_get(log, 100 + i);
    assert_non_null(r);
    assert_int_equal(r->counter, 100 + i);
    assert_true(r->hash_key == (sl_hashkey_t)(5 + i));
    assert_int_equal(r->key_len, want[i].key_len);
    assert_int_equal(r->data_len, want[i].data_len);
    /* The macros stay usable at length 0: compare (and copy) zero bytes through them. */
    char copy[8];
    memcpy(copy, SL_RECORD_KEY(r), r->key_len);
    memcpy(copy, SL_RECORD_DATA(r), r->data_len);
    assert_int_equal(memcmp(SL_RECORD_KEY(r), want[i].key, r->key_len), 0);
    assert_int_equal(memcmp(SL_RECORD_DATA(r), want[i].data, r->data_len), 0);
  }
  assert_int_equal(sl_shard_log_get(log, 100)->explicit_hash, 1);
  /* Many empty records cross chunk boundaries like any others. */
  for (int i = 0; i < 10000; i++) assert_int_equal(sl_shard_log_append(log, 4, 0, 0, NULL, 0, NULL, 0, NULL), SL_OK);
  assert_int_equal(sl_shard_log_next(log), 10105);
  assert_int_equal(sl_shard_log_get(log, 10104)->data_len, 0);
  assert_int_equal(sl_shard_log_trim(log, 4), 5);
  assert_int_equal(sl_shard_log_count(log), 10000);
  sl_shard_log_destroy(log);
}

static void large_payloads(void **state) {
  (void)state;
  sl_shard_log_t *log = sl_shard_log_create(0);
  size_t big = 3u << 20; /* larger than a payload block */
  char *data = malloc(big);
  assert_non_null(data);
  for (size_t i = 0; i < big; i++) data[i] = (char)(i * 7);
  size_t before = sl_shard_log_memory(log);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "k", 1, "", 0, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "big", 3, data, big, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "k2", 2, "x", 1, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "big2", 4, data + 1, big - 1, NULL), SL_OK);
  assert_int_equal(sl_shard_log_append(log, 1, 0, 0, "k3", 2, "yz", 2, NULL), SL_OK);
  assert_int_equal(sl_shard_log_get(log, 0)->data_len, 0);
  assert_memory_equal(SL_RECORD_KEY(sl_shard_log_get(log, 1)), "big", 3);
  assert_int_equal(sl_shard_log_get(log, 1)->data_len, big);
  assert_memory_equal(SL_RECORD_DATA(sl_shard_log_get(log, 1)), data, big);
  assert_memory_equal(SL_RECORD_KEY(sl_shard_log_get(log, 2)), "k2", 2);
  assert_memory_equal(SL_RECORD_DATA(sl_shard_log_get(log, 2)), "x", 1);
  assert_memory_equal(SL_RECORD_DATA(sl_shard_log_get(log, 3)), data + 1, big - 1);
  assert_memory_equal(SL_RECORD_DATA(sl_shard_log_get(log, 4)), "yz", 2);
  /* Both big payloads are counted, and little beyond them. */
  size_t held = sl_shard_log_memory(log) - before;
  assert_true(held >= 2 * big);
  assert_true(held < 2 * big + (512u << 10));
  free(data);
  sl_shard_log_destroy(log);
}

static void oversized_lengths_refused(void **state) {
  (void)state;
#if SIZE_MAX > UINT32_MAX
  sl_shard_log_t *log = sl_shard_log_create(9);
  append_range(log, 0, 3);
  size_t memory = sl_shard_log_memory(log);
  const size_t too_long = (size_t)UINT32_MAX + 1;
  /* Refused before anything is read from the (small) buffers. */
  assert_int_equal(sl_shard_log_append(log, 5000, 0, 0, "k", too_long, "d", 1, NULL), SL_EINVAL);
  assert_int_equal(sl_shard_log_append(log, 5000, 0, 0, "k", 1, "d", too_long, NULL), SL_EINVAL);
  assert_int_equal(sl_shard_log_append(log, 5000, 0, 0, "k", SIZE_MAX, "d", SIZE_MAX, NULL), SL_EINVAL);
  assert_int_equal(sl_shard_log_next(log), 12);
  assert_int_equal(sl_shard_log_count(log), 3);
  assert_int_equal(sl_shard_log_memory(log), memory);
  assert_null(sl_shard_log_get(log, 12));
  append_range(log, 3, 4);
  check_record(log, 12, 3);
  sl_shard_log_destroy(log);
#else
  skip();
#endif
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TEST_SANITIZED_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED_ALLOCATOR 1
#endif

#if defined(__linux__) && SIZE_MAX > UINT32_MAX && !defined(TEST_SANITIZED_ALLOCATOR)
/* The process's address-space size in bytes, from /proc/self/statm; 0 when unknown. */
static size_t address_space_used(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f == NULL) return 0;
  if (fscanf(f, "%lu", &pages) != 1) pages = 0;
  fclose(f);
  return (size_t)pages * 4096u;
}
#endif

/* With the address space capped, a 4 GiB payload cannot be allocated: SL_ENOMEM, and the log is as it was,
 * both when the append would start a new chunk and when it lands in an existing one. Linux only (RLIMIT_AS);
 * skipped under sanitizers, whose allocators abort instead of returning NULL. */
static void out_of_memory_leaves_log_unchanged(void **state) {
  (void)state;
#if defined(__linux__) && SIZE_MAX > UINT32_MAX && !defined(TEST_SANITIZED_ALLOCATOR)
  enum { CHUNK_GUESS = 4096 }; /* a multiple of the chunk size, so the next append starts a chunk */
  const size_t huge = UINT32_MAX;
  /* A readable source as large as the payload, so that a malloc that wrongly succeeds cannot crash the copy. */
  void *source = mmap(NULL, huge, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (source == MAP_FAILED) skip();
  sl_shard_log_t *log = sl_shard_log_create(0);
  append_range(log, 0, CHUNK_GUESS * 2);
  const sl_record_t *last = sl_shard_log_get(log, CHUNK_GUESS * 2 - 1);

  struct rlimit saved;
  if (getrlimit(RLIMIT_AS, &saved) != 0 || address_space_used() == 0) {
    munmap(source, huge);
    sl_shard_log_destroy(log);
    skip();
  }
  struct rlimit capped = saved;
  capped.rlim_cur = address_space_used() + (64u << 20); /* room for a chunk, not for 4 GiB */
  if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < capped.rlim_cur) capped.rlim_cur = saved.rlim_cur;
  assert_int_equal(setrlimit(RLIMIT_AS, &capped), 0);

  for (int pass = 0; pass < 2; pass++) { /* pass 0 would start a chunk; pass 1 lands mid-chunk */
    uint64_t first = sl_shard_log_first(log), next = sl_shard_log_next(log), counter = 12345;
    size_t memory = sl_shard_log_memory(log);
    int rc = sl_shard_log_append(log, 1 << 30, 0, 0, "k", 1, source, huge, &counter);
    assert_int_equal(rc, SL_ENOMEM);
    assert_int_equal(counter, 12345);
    assert_int_equal(sl_shard_log_first(log), first);
    assert_int_equal(sl_shard_log_next(log), next);
    /* Nothing kept of the failed record: no chunk, no block (the chunk table may have grown a little). */
    assert_true(sl_shard_log_memory(log) >= memory && sl_shard_log_memory(log) - memory < 4096);
    assert_null(sl_shard_log_get(log, next));
    assert_int_equal(sl_shard_log_find_time(log, 1 << 30), next);
    /* Small appends still work under the cap and take the counter the failed one did not. */
    append_range(log, (int)next, (int)next + 1);
    check_record(log, next, (int)next);
  }
  assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
  assert_ptr_equal(sl_shard_log_get(log, CHUNK_GUESS * 2 - 1), last);
  for (int i = 0; i < CHUNK_GUESS * 2 + 2; i++) check_record(log, (uint64_t)i, i);
  munmap(source, huge);
  sl_shard_log_destroy(log);
#else
  skip();
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_log),
      cmocka_unit_test(appends_read_back_exactly_across_chunks),
      cmocka_unit_test(memory_counts_headers_and_payloads),
      cmocka_unit_test(non_zero_first_counter),
      cmocka_unit_test(find_time_returns_first_at_or_after),
      cmocka_unit_test(find_time_with_long_runs_of_equal_times),
      cmocka_unit_test(trim_drops_exactly_and_frees_memory),
      cmocka_unit_test(release_by_counter),
      cmocka_unit_test(release_at_chunk_boundaries),
      cmocka_unit_test(zero_length_payloads),
      cmocka_unit_test(large_payloads),
      cmocka_unit_test(oversized_lengths_refused),
      cmocka_unit_test(out_of_memory_leaves_log_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
