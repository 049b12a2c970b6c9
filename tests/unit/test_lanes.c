/* test_lanes.c - slot assignment for parallelization_factor: lanes are MD5(partition key) mod PF (expected
 * lanes computed with python3 hashlib), explicit hash keys do not change a key's lane, and the keys model
 * checked against a reference model over many random seeds: a key is never in two slots at once, a key with
 * nothing pending goes to the least loaded slot (lowest index on ties), and its entry goes when it is done. */
#include "test_support.h"

#include <stdlib.h>

#include "shardlab/lanes.h"

static sl_hashkey_t h(const char *key) { return sl_hashkey_of(key, strlen(key)); }

static void lanes_are_md5_mod_pf(void **state) {
  (void)state;
  /* python3 -c 'import hashlib; print(int(hashlib.md5(b"server-1").hexdigest(), 16) % 10)' and so on */
  static const struct { const char *key; int lane10, lane4; } cases[] = {
      {"server-1", 3, 1}, {"server-2", 5, 3}, {"server-3", 8, 2}, {"a", 7, 1}, {"user-42", 5, 3}};
  sl_lanes_t *ten, *four;
  assert_int_equal(sl_lanes_create(10, SL_ORDERING_LANES, &ten, NULL), SL_OK);
  assert_int_equal(sl_lanes_create(4, SL_ORDERING_LANES, &four, NULL), SL_OK);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(sl_lanes_assign(ten, h(cases[i].key)), cases[i].lane10);
    assert_int_equal(sl_lanes_assign(four, h(cases[i].key)), cases[i].lane4);
  }
  assert_int_equal(sl_lanes_pending(ten, 5), 2); /* server-2 and user-42 share lane 5 */
  sl_lanes_release(ten, h("server-2"), 5);
  assert_int_equal(sl_lanes_pending(ten, 5), 1);
  assert_int_equal(sl_lanes_active_keys(ten), 0);
  sl_lanes_destroy(ten);
  sl_lanes_destroy(four);
}

static void explicit_hash_keys_keep_the_key_lane(void **state) {
  (void)state;
  sl_stream_t *s = test_stream(1, 0);
  sl_put_result_t a, b;
  sl_error_t err;
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "server-1", 8, NULL, "x", 1, &a, &err), SL_OK);
  assert_int_equal(sl_stream_put(s, TEST_EPOCH_MS, "server-1", 8, "12345", "x", 1, &b, &err), SL_OK);
  const sl_shard_log_t *log = sl_stream_shard(s, 0)->log;
  /* Ordering is per partition key: the explicit hash key routes, but the key's identity stays MD5(key). */
  assert_true(sl_record_key_hash(sl_shard_log_get(log, a.seq.counter)) == h("server-1"));
  assert_true(sl_record_key_hash(sl_shard_log_get(log, b.seq.counter)) == h("server-1"));
  sl_stream_destroy(s);
}

static void refusals(void **state) {
  (void)state;
  sl_lanes_t *l;
  sl_error_t err;
  sl_ordering_t o;
  assert_int_equal(sl_lanes_create(0, SL_ORDERING_LANES, &l, &err), SL_EINVAL);
  assert_int_equal(sl_lanes_create(11, SL_ORDERING_KEYS, &l, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "parallelization_factor 11"));
  assert_int_equal(sl_ordering_parse("keys", &o, &err), SL_OK);
  assert_int_equal(o, SL_ORDERING_KEYS);
  assert_int_equal(sl_ordering_parse("lane", &o, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "ordering 'lane'"));
}

static void keys_model_matches_reference(void **state) {
  (void)state;
  enum { KEYS = 300, STEPS = 4000, MAXP = 4096 };
  static sl_hashkey_t key_hash[KEYS];
  for (int k = 0; k < KEYS; k++) {
    char name[16];
    snprintf(name, sizeof name, "key-%d", k);
    key_hash[k] = h(name);
  }
  for (uint64_t seed = 1; seed <= 60; seed++) {
    uint64_t rng = seed * UINT64_C(0x9E3779B97F4A7C15);
    uint32_t pf = 1 + (uint32_t)(test_rand(&rng) % 10);
    sl_lanes_t *l;
    assert_int_equal(sl_lanes_create(pf, SL_ORDERING_KEYS, &l, NULL), SL_OK);
    /* Reference model. */
    int ref_slot[KEYS];
    uint64_t ref_key_pending[KEYS] = {0}, ref_slot_pending[SL_PF_MAX] = {0};
    static struct { int key, slot; } pending[MAXP];
    int npending = 0;
    int keys_in_play = 1 + (int)(test_rand(&rng) % KEYS);
    for (int step = 0; step < STEPS; step++) {
      if (npending < MAXP && (npending == 0 || test_rand(&rng) % 100 < 55)) {
        int k = (int)(test_rand(&rng) % (uint64_t)keys_in_play);
        int want;
        if (ref_key_pending[k] > 0) {
          want = ref_slot[k];
        } else {
          want = 0;
          for (uint32_t s = 1; s < pf; s++)
            if (ref_slot_pending[s] < ref_slot_pending[want]) want = (int)s;
          ref_slot[k] = want;
        }
        int got = sl_lanes_assign(l, key_hash[k]);
        if (got != want) fail_msg("seed %llu step %d: key %d went to slot %d, want %d", (unsigned long long)seed, step, k, got, want);
        ref_key_pending[k]++;
        ref_slot_pending[want]++;
        pending[npending].key = k;
        pending[npending++].slot = want;
      } else {
        int i = (int)(test_rand(&rng) % (uint64_t)npending);
        sl_lanes_release(l, key_hash[pending[i].key], (uint32_t)pending[i].slot);
        ref_key_pending[pending[i].key]--;
        ref_slot_pending[pending[i].slot]--;
        pending[i] = pending[--npending];
      }
      size_t active = 0;
      for (int k = 0; k < keys_in_play; k++) active += ref_key_pending[k] > 0;
      if (sl_lanes_active_keys(l) != active)
        fail_msg("seed %llu step %d: %zu active keys, want %zu", (unsigned long long)seed, step, sl_lanes_active_keys(l), active);
      for (uint32_t s = 0; s < pf; s++)
        if (sl_lanes_pending(l, s) != ref_slot_pending[s]) fail_msg("seed %llu: slot %u pending differs", (unsigned long long)seed, s);
    }
    sl_lanes_destroy(l);
  }
}

static void hundred_keys_fill_every_slot_with_keys_ordering(void **state) {
  (void)state;
  sl_lanes_t *keys, *lanes;
  assert_int_equal(sl_lanes_create(10, SL_ORDERING_KEYS, &keys, NULL), SL_OK);
  assert_int_equal(sl_lanes_create(10, SL_ORDERING_LANES, &lanes, NULL), SL_OK);
  int used_keys[10] = {0}, used_lanes[10] = {0};
  for (int k = 1; k <= 100; k++) {
    char name[16];
    snprintf(name, sizeof name, "server-%d", k);
    used_keys[sl_lanes_assign(keys, h(name))]++;
    used_lanes[sl_lanes_assign(lanes, h(name))]++;
  }
  for (int s = 0; s < 10; s++) assert_int_equal(used_keys[s], 10); /* balanced exactly */
  int total = 0;
  for (int s = 0; s < 10; s++) total += used_lanes[s];
  assert_int_equal(total, 100);
  sl_lanes_destroy(keys);
  sl_lanes_destroy(lanes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lanes_are_md5_mod_pf), cmocka_unit_test(explicit_hash_keys_keep_the_key_lane),
      cmocka_unit_test(refusals), cmocka_unit_test(keys_model_matches_reference),
      cmocka_unit_test(hundred_keys_fill_every_slot_with_keys_ordering),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
