/* test_reshard.c - SplitShard, MergeShards and UpdateShardCount: AWS's refusals and messages (as recorded by
 * kinesalite against AWS), lineage, and a property test over many seeds that after random resharding the open
 * shards tile 0..2^128-1 exactly and every record stays readable from the shard it went to. */
#include "test_support.h"

#include <stdlib.h>

#define ACCOUNT " under account 123456789012"

static void split_refusals(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(3, 0);
  sl_error_t err;
  /* kinesalite splitShard tests, recorded from AWS: "hash too small" and "hash too big" on shard 0 of 3. */
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "1", TEST_EPOCH_MS, &err), SL_EINVAL);
  assert_string_equal(err.message,
                      "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream test-stream"
                      ACCOUNT " is not both greater than one plus the shard's StartingHashKey 0 and less than the "
                      "shard's EndingHashKey 113427455640312821154458202477256070484.");
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "113427455640312821154458202477256070484",
                                   TEST_EPOCH_MS, &err),
                   SL_EINVAL);
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "abc", TEST_EPOCH_MS, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "NewStartingHashKey"));
  assert_int_equal(sl_stream_split(s, "shardId-000000000009", "5", TEST_EPOCH_MS, &err), SL_ENOTFOUND);
  assert_string_equal(sl_error_name(err.code), "ResourceNotFoundException");
  assert_string_equal(err.message, "Could not find shard shardId-000000000009 in stream test-stream" ACCOUNT ".");
  /* The smallest allowed split point: two more than the start. */
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "2", TEST_EPOCH_MS, &err), SL_OK);
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "5", TEST_EPOCH_MS, &err), SL_EINVAL);
  assert_string_equal(err.message, "Shard shardId-000000000000 in stream test-stream" ACCOUNT
                                   " has already been merged or split, and thus is not eligible for merging or "
                                   "splitting.");
  assert_int_equal(sl_stream_merge(s, "shardId-000000000000", "shardId-000000000001", TEST_EPOCH_MS, &err),
                   SL_EINVAL);
  assert_non_null(strstr(err.message, "already been merged or split"));
  sl_stream_destroy(s);
}

static void split_lineage(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(2, 0);
  sl_error_t err;
  const char *mid = "85070591730234615865843651857942052864"; /* 2^126 */
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", mid, TEST_EPOCH_MS + 10, &err), SL_OK);
  assert_int_equal(sl_stream_shard_total(s), 4);
  assert_int_equal(sl_stream_open_count(s), 3);
  const sl_shard_t *parent = sl_stream_shard(s, 0), *low = sl_stream_shard(s, 2), *high = sl_stream_shard(s, 3);
  assert_false(parent->open);
  assert_int_equal(parent->closed_ms, TEST_EPOCH_MS + 10);
  assert_int_equal(low->parent, 0);
  assert_int_equal(high->parent, 0);
  assert_int_equal(low->adjacent_parent, -1);
  assert_true(low->start == 0);
  assert_true(low->end == ((sl_hashkey_t)1 << 126) - 1);
  assert_true(high->start == ((sl_hashkey_t)1 << 126));
  assert_true(high->end == parent->end);
  /* The open shards in hash order: low, high, then the untouched shard 1. */
  assert_ptr_equal(sl_stream_open_shard(s, 0), low);
  assert_ptr_equal(sl_stream_open_shard(s, 1), high);
  assert_ptr_equal(sl_stream_open_shard(s, 2), sl_stream_shard(s, 1));
  sl_stream_destroy(s);
}

static void merge_rules(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(3, 0);
  sl_error_t err;
  /* kinesalite mergeShards tests, recorded from AWS: not adjacent, and adjacency inverted. */
  assert_int_equal(sl_stream_merge(s, "shardId-000000000000", "shardId-000000000002", TEST_EPOCH_MS, &err),
                   SL_EINVAL);
  assert_string_equal(err.message, "Shards shardId-000000000000 and shardId-000000000002 in stream test-stream"
                                   ACCOUNT " are not an adjacent pair of shards eligible for merging");
  assert_int_equal(sl_stream_merge(s, "shardId-000000000001", "shardId-000000000000", TEST_EPOCH_MS, &err),
                   SL_EINVAL);
  assert_int_equal(sl_stream_merge(s, "shardId-000000000001", "shardId-000000000001", TEST_EPOCH_MS, &err),
                   SL_EINVAL);
  assert_int_equal(sl_stream_merge(s, "shardId-000000000001", "shardId-000000000002", TEST_EPOCH_MS, &err), SL_OK);
  const sl_shard_t *child = sl_stream_shard(s, 3);
  assert_int_equal(child->parent, 1);
  assert_int_equal(child->adjacent_parent, 2);
  assert_true(child->start == sl_stream_shard(s, 1)->start);
  assert_true(child->end == SL_HASHKEY_MAX);
  assert_int_equal(sl_stream_shard(s, 1)->children[0], 3);
  assert_int_equal(sl_stream_shard(s, 2)->children[0], 3);
  assert_int_equal(sl_stream_open_count(s), 2);
  sl_stream_destroy(s);
}

static void assert_uniform(const sl_stream_t *s, uint32_t n) {
  assert_int_equal(sl_stream_open_count(s), n);
  for (uint32_t i = 0; i < n; i++) {
    sl_hashkey_t start, end;
    sl_hashkey_even_range(n, i, &start, &end);
    assert_true(sl_stream_open_shard(s, i)->start == start);
    assert_true(sl_stream_open_shard(s, i)->end == end);
  }
}

static void update_shard_count_uniform(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(4, 0);
  sl_error_t err;
  assert_int_equal(sl_stream_update_shard_count(s, 8, TEST_EPOCH_MS, &err), SL_OK);
  assert_uniform(s, 8);
  assert_int_equal(sl_stream_shard_total(s), 12); /* doubling is one split per shard: no short-lived shards */
  assert_int_equal(sl_stream_update_shard_count(s, 5, TEST_EPOCH_MS, &err), SL_OK);
  assert_uniform(s, 5);
  assert_int_equal(sl_stream_update_shard_count(s, 3, TEST_EPOCH_MS, &err), SL_OK);
  assert_uniform(s, 3);
  assert_int_equal(sl_stream_update_shard_count(s, 7, TEST_EPOCH_MS, &err), SL_ELIMIT);
  assert_string_equal(sl_error_name(err.code), "LimitExceededException");
  assert_int_equal(sl_stream_update_shard_count(s, 1, TEST_EPOCH_MS, &err), SL_ELIMIT);
  assert_int_equal(sl_stream_update_shard_count(s, 0, TEST_EPOCH_MS, &err), SL_EINVAL);
  assert_uniform(s, 3); /* refusals change nothing */
  sl_stream_destroy(s);
}

/* A stream like test_stream's (no write limits) that may scale `per_day` times per rolling 24 hours. */
static sl_stream_t *scaling_stream(uint32_t shards, uint32_t per_day) {
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = "test-stream";
  c.shard_count = shards;
  c.write_limits = 0;
  c.created_ms = TEST_EPOCH_MS;
  c.update_shard_count_per_day = per_day;
  sl_stream_t *s = NULL;
  sl_error_t err;
  if (sl_stream_create(&c, &s, &err) != SL_OK) fail_msg("sl_stream_create: %s", err.message);
  return s;
}

static void update_shard_count_messages(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(3, 0);
  sl_error_t err;
  /* kinesalite updateShardCount, recorded from AWS. */
  assert_int_equal(sl_stream_update_shard_count(s, 7, TEST_EPOCH_MS, &err), SL_ELIMIT);
  assert_string_equal(err.message, "UpdateShardCount cannot scale up over double your current open shard count. "
                                   "Current open shard count: 3, Target shard count: 7");
  assert_int_equal(sl_stream_update_shard_count(s, 1, TEST_EPOCH_MS, &err), SL_ELIMIT);
  assert_string_equal(err.message, "UpdateShardCount cannot scale down below half your current open shard count. "
                                   "Current open shard count: 3, Target shard count: 1");
  assert_int_equal(sl_stream_update_shard_count(s, 10001, TEST_EPOCH_MS, &err), SL_ELIMIT);
  assert_string_equal(err.message, "Target shard count or number of open shards cannot be greater than 10000. "
                                   "Current open shard count: 3, Target shard count: 10001");
  sl_stream_destroy(s);
}

/* API UpdateShardCount: by default no more than ten scalings per rolling 24-hour period per stream. */
static void update_shard_count_per_day(void **state) {
  (void)state;
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  assert_int_equal(c.update_shard_count_per_day, 10);
  sl_stream_t *s = test_stream(2, 0);
  sl_error_t err;
  const int64_t hour = 3600000, day = 24 * hour;
  for (int i = 0; i < 10; i++) /* 2, 4, 2, 4, ...: each a scaling, an hour apart */
    assert_int_equal(sl_stream_update_shard_count(s, i % 2 ? 2 : 4, TEST_EPOCH_MS + i * hour, &err), SL_OK);
  assert_uniform(s, 2);
  assert_int_equal(sl_stream_update_shard_count(s, 4, TEST_EPOCH_MS + 10 * hour, &err), SL_ELIMIT);
  assert_string_equal(sl_error_name(err.code), "LimitExceededException");
  assert_string_equal(err.message, "UpdateShardCount cannot scale stream test-stream" ACCOUNT " more than 10 times "
                                   "per rolling 24-hour period. Scaling operations in the last 24 hours: 10");
  assert_uniform(s, 2); /* refused: nothing changed, and the refusal does not count */
  /* The first scaling leaves the window 24 hours after it, on the caller's clock: one more is allowed then. */
  assert_int_equal(sl_stream_update_shard_count(s, 4, TEST_EPOCH_MS + day - 1, &err), SL_ELIMIT);
  assert_int_equal(sl_stream_update_shard_count(s, 4, TEST_EPOCH_MS + day, &err), SL_OK);
  assert_uniform(s, 4);
  assert_int_equal(sl_stream_update_shard_count(s, 2, TEST_EPOCH_MS + day, &err), SL_ELIMIT);
  assert_int_equal(sl_stream_update_shard_count(s, 2, TEST_EPOCH_MS + day + hour, &err), SL_OK);
  sl_stream_destroy(s);
  /* A limit of 1, and 0 for none. */
  s = scaling_stream(2, 1);
  assert_int_equal(sl_stream_update_shard_count(s, 3, TEST_EPOCH_MS, &err), SL_OK);
  assert_int_equal(sl_stream_update_shard_count(s, 2, TEST_EPOCH_MS + day - 1, &err), SL_ELIMIT);
  assert_non_null(strstr(err.message, "more than 1 times"));
  sl_stream_destroy(s);
  s = scaling_stream(2, 0);
  for (int i = 0; i < 50; i++)
    assert_int_equal(sl_stream_update_shard_count(s, i % 2 ? 2 : 4, TEST_EPOCH_MS, &err), SL_OK);
  sl_stream_destroy(s);
}

/* --- property test ----------------------------------------------------------------------------------- */

typedef struct put_log_s {
  uint32_t shard;    /* the shard the put reported */
  uint64_t counter;  /* and the counter it got */
  char key[24];      /* the partition key, to compare with what is read back */
} put_log_t;

static void check_tiling(const sl_stream_t *s, uint64_t seed, int step) {
  uint32_t n = sl_stream_open_count(s);
  if (n == 0 || sl_stream_open_shard(s, 0)->start != 0 || sl_stream_open_shard(s, n - 1)->end != SL_HASHKEY_MAX)
    fail_msg("seed %llu step %d: open shards do not reach both ends of the hash space", (unsigned long long)seed,
             step);
  for (uint32_t i = 0; i + 1 < n; i++) {
    const sl_shard_t *a = sl_stream_open_shard(s, i), *b = sl_stream_open_shard(s, i + 1);
    if (!a->open || a->end >= b->start || a->end + 1 != b->start)
      fail_msg("seed %llu step %d: gap or overlap between %s and %s", (unsigned long long)seed, step, a->id, b->id);
  }
}

static void check_lineage(const sl_stream_t *s, uint64_t seed) {
  for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) {
    const sl_shard_t *sh = sl_stream_shard(s, i);
    if (sh->open) continue;
    /* A closed shard's range is covered exactly by its children (a split), or it is half of a merge child. */
    const sl_shard_t *c0 = sl_stream_shard(s, (uint32_t)sh->children[0]);
    if (sh->children[1] >= 0) {
      const sl_shard_t *c1 = sl_stream_shard(s, (uint32_t)sh->children[1]);
      if (c0->start != sh->start || c0->end + 1 != c1->start || c1->end != sh->end)
        fail_msg("seed %llu: split children of %s do not cover it", (unsigned long long)seed, sh->id);
    } else if (c0 == NULL || (c0->parent != (int32_t)i && c0->adjacent_parent != (int32_t)i) ||
               sh->start < c0->start || sh->end > c0->end) {
      fail_msg("seed %llu: merge child of %s does not contain it", (unsigned long long)seed, sh->id);
    }
  }
}

static void random_resharding_keeps_tiling_and_records(void **state) {
  (void)state;
  enum { SEEDS = 300, STEPS = 40, PUTS_PER_STEP = 25 };
  put_log_t *puts = malloc(sizeof *puts * STEPS * PUTS_PER_STEP);
  assert_non_null(puts);
  for (uint64_t seed = 1; seed <= SEEDS; seed++) {
    uint64_t rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    sl_stream_t *s = scaling_stream(1 + (uint32_t)(test_rand(&rng) % 8), 0); /* scales more than 10 times a day */
    size_t nputs = 0;
    sl_error_t err;
    for (int step = 0; step < STEPS; step++) {
      int64_t now = TEST_EPOCH_MS + step * 1000;
      for (int p = 0; p < PUTS_PER_STEP; p++) {
        put_log_t *pl = &puts[nputs++];
        snprintf(pl->key, sizeof pl->key, "key-%llu", (unsigned long long)(test_rand(&rng) % 100000));
        sl_put_result_t r = test_put(s, now, pl->key);
        pl->shard = r.shard_index;
        pl->counter = r.seq.counter;
        const sl_shard_t *sh = sl_stream_shard(s, r.shard_index);
        sl_hashkey_t h = sl_hashkey_of(pl->key, strlen(pl->key));
        if (!sh->open || h < sh->start || h > sh->end)
          fail_msg("seed %llu step %d: %s went to %s, which does not hold its hash", (unsigned long long)seed, step,
                   pl->key, sh->id);
      }
      uint32_t open = sl_stream_open_count(s);
      int rc = SL_OK;
      switch (test_rand(&rng) % 3) {
      case 0: { /* split a random open shard at a random allowed point */
        const sl_shard_t *sh = sl_stream_open_shard(s, (uint32_t)(test_rand(&rng) % open));
        sl_hashkey_t width = sh->end - sh->start;
        if (width < 4 || open >= 64) break;
        sl_hashkey_t at = sh->start + 2 + test_rand_hashkey(&rng) % (width - 2);
        char text[SL_HASHKEY_DECIMAL_SIZE];
        sl_hashkey_format(at, text);
        rc = sl_stream_split(s, sh->id, text, now, &err);
        break;
      }
      case 1: { /* merge a random adjacent pair */
        if (open < 2) break;
        uint32_t i = (uint32_t)(test_rand(&rng) % (open - 1));
        rc = sl_stream_merge(s, sl_stream_open_shard(s, i)->id, sl_stream_open_shard(s, i + 1)->id, now, &err);
        break;
      }
      default: { /* uniform scaling to a random allowed count */
        uint32_t lo = (open + 1) / 2, hi = open * 2 > 48 ? 48 : open * 2;
        if (hi < lo) hi = lo;
        uint32_t target = lo + (uint32_t)(test_rand(&rng) % (hi - lo + 1));
        rc = sl_stream_update_shard_count(s, target, now, &err);
        if (rc == SL_OK) assert_uniform(s, target);
        break;
      }
      }
      if (rc != SL_OK) fail_msg("seed %llu step %d: resharding refused: %s", (unsigned long long)seed, step, err.message);
      check_tiling(s, seed, step);
    }
    check_lineage(s, seed);
    /* Every record is still where the put said, byte for byte. */
    for (size_t i = 0; i < nputs; i++) {
      const sl_record_t *rec = sl_shard_log_get(sl_stream_shard(s, puts[i].shard)->log, puts[i].counter);
      if (rec == NULL || rec->key_len != strlen(puts[i].key) || memcmp(SL_RECORD_KEY(rec), puts[i].key, rec->key_len))
        fail_msg("seed %llu: record %zu (%s) is not readable from shardId-%012u", (unsigned long long)seed, i,
                 puts[i].key, puts[i].shard);
    }
    sl_stream_destroy(s);
  }
  free(puts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(split_refusals),
      cmocka_unit_test(split_lineage),
      cmocka_unit_test(merge_rules),
      cmocka_unit_test(update_shard_count_uniform),
      cmocka_unit_test(update_shard_count_messages),
      cmocka_unit_test(update_shard_count_per_day),
      cmocka_unit_test(random_resharding_keeps_tiling_and_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
