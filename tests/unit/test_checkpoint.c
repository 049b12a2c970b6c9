/* test_checkpoint.c - the contiguous-prefix checkpoint against a reference (the first counter not done, found
 * by scanning) over random completion orders, far-ahead completions that grow the window, and repeats. */
#include "test_support.h"

#include <stdlib.h>

#include "shardlab/checkpoint.h"

static void in_order_and_repeats(void **state) {
  (void)state;
  sl_checkpoint_t cp;
  sl_checkpoint_init(&cp, 100);
  assert_int_equal(sl_checkpoint_next(&cp), 100);
  assert_int_equal(sl_checkpoint_done(&cp, 101), SL_OK);
  assert_int_equal(sl_checkpoint_next(&cp), 100); /* 100 is not done: no progress */
  assert_int_equal(sl_checkpoint_done(&cp, 100), SL_OK);
  assert_int_equal(sl_checkpoint_next(&cp), 102);
  assert_int_equal(sl_checkpoint_done(&cp, 100), SL_OK); /* a repeat (redelivery) changes nothing */
  assert_int_equal(sl_checkpoint_done(&cp, 50), SL_OK);
  assert_int_equal(sl_checkpoint_next(&cp), 102);
  for (uint64_t c = 102; c < 1000; c++) assert_int_equal(sl_checkpoint_done(&cp, c), SL_OK);
  assert_int_equal(sl_checkpoint_next(&cp), 1000);
  sl_checkpoint_free(&cp);
}

static void random_orders_match_reference(void **state) {
  (void)state;
  enum { N = 5000 };
  uint64_t *order = malloc(N * sizeof *order);
  unsigned char *done = malloc(N);
  for (uint64_t seed = 1; seed <= 40; seed++) {
    uint64_t rng = seed * 7919 + 3, first = test_rand(&rng) % 1000;
    for (int i = 0; i < N; i++) order[i] = first + (uint64_t)i;
    /* Shuffle locally (completions within a window, as slots finish out of order) or globally. */
    int window = seed % 2 ? 64 : N;
    for (int i = 0; i < N; i++) {
      int j = i + (int)(test_rand(&rng) % (uint64_t)(window < N - i ? window : N - i));
      uint64_t t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    memset(done, 0, N);
    sl_checkpoint_t cp;
    sl_checkpoint_init(&cp, first);
    uint64_t want = first;
    for (int i = 0; i < N; i++) {
      assert_int_equal(sl_checkpoint_done(&cp, order[i]), SL_OK);
      done[order[i] - first] = 1;
      while (want < first + N && done[want - first]) want++;
      if (sl_checkpoint_next(&cp) != want)
        fail_msg("seed %llu step %d: checkpoint %llu, want %llu", (unsigned long long)seed, i,
                 (unsigned long long)sl_checkpoint_next(&cp), (unsigned long long)want);
    }
    assert_int_equal(sl_checkpoint_next(&cp), first + N);
    sl_checkpoint_free(&cp);
  }
  free(order);
  free(done);
}

static void far_ahead_completion(void **state) {
  (void)state;
  sl_checkpoint_t cp;
  sl_checkpoint_init(&cp, 0);
  assert_int_equal(sl_checkpoint_done(&cp, 1000000), SL_OK);
  assert_int_equal(sl_checkpoint_next(&cp), 0);
  for (uint64_t c = 0; c < 1000000; c++) sl_checkpoint_done(&cp, c);
  assert_int_equal(sl_checkpoint_next(&cp), 1000001);
  sl_checkpoint_free(&cp);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(in_order_and_repeats),
                                     cmocka_unit_test(random_orders_match_reference),
                                     cmocka_unit_test(far_ahead_completion)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
