/* test_event_queue.c - the virtual clock's agenda: events come out by time, and events of the same time in
 * the order they were scheduled (the determinism of every virtual run rests on it); peek shows what pop takes
 * and leaves it; extreme times compare without overflow; the heap grows to a hundred thousand events; and
 * random interleavings of pushes and pops match a reference model (the smallest (time, insertion number) by
 * a linear scan) over fixed seeds. */
#include "test_support.h"

#include <stdlib.h>

#include "sim/event_queue.h"

static void push_ok(sl_event_queue_t *q, int64_t at_us, uint32_t type, uint32_t arg) {
  if (sl_event_queue_push(q, at_us, type, arg) != SL_OK) fail_msg("push at %lld failed", (long long)at_us);
}

static sl_event_t pop_ok(sl_event_queue_t *q) {
  sl_event_t e;
  memset(&e, 0xa5, sizeof e);
  if (sl_event_queue_pop(q, &e) != 1) fail_msg("pop from a queue that should hold events returned 0");
  return e;
}

static void empty_queue(void **state) {
  (void)state;
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  assert_null(sl_event_queue_peek(&q));
  sl_event_t e;
  assert_int_equal(sl_event_queue_pop(&q, &e), 0);
  push_ok(&q, 5, 1, 2);
  assert_non_null(sl_event_queue_peek(&q));
  e = pop_ok(&q);
  assert_int_equal(e.at_us, 5);
  assert_int_equal(e.type, 1);
  assert_int_equal(e.arg, 2);
  /* Drained: empty again, and pop says so however often it is asked. */
  assert_null(sl_event_queue_peek(&q));
  assert_int_equal(sl_event_queue_pop(&q, &e), 0);
  assert_int_equal(sl_event_queue_pop(&q, &e), 0);
  sl_event_queue_free(&q);
}

static void earliest_first(void **state) {
  (void)state;
  const int64_t times[] = {50, 10, 40, 30, 20, 0, 60, -5, 35, 15};
  const int64_t sorted[] = {-5, 0, 10, 15, 20, 30, 35, 40, 50, 60};
  enum { N = sizeof times / sizeof times[0] };
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  for (uint32_t i = 0; i < N; i++) push_ok(&q, times[i], 100 + i, (uint32_t)times[i] * 3u);
  for (int i = 0; i < N; i++) {
    const sl_event_t *top = sl_event_queue_peek(&q);
    assert_non_null(top);
    assert_int_equal(top->at_us, sorted[i]);
    sl_event_t e = pop_ok(&q);
    assert_int_equal(e.at_us, sorted[i]);
    /* type and arg travel with their event */
    uint32_t pushed_at = 0;
    while (times[pushed_at] != sorted[i]) pushed_at++;
    assert_int_equal(e.type, 100 + pushed_at);
    assert_int_equal(e.arg, (uint32_t)sorted[i] * 3u);
  }
  assert_null(sl_event_queue_peek(&q));
  sl_event_queue_free(&q);
}

/* Many events of one time (a heap that ignored the scheduling order would reshuffle them), among others. */
static void ties_in_scheduling_order(void **state) {
  (void)state;
  enum { N = 3000 };
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  for (uint32_t i = 0; i < N; i++) push_ok(&q, i % 3 == 0 ? 7 : (i % 3 == 1 ? 3 : 11), 0, i);
  const int64_t order[] = {3, 7, 11};
  uint64_t last_seq = 0;
  for (int t = 0; t < 3; t++) {
    uint32_t expect = t == 0 ? 1 : (t == 1 ? 0 : 2); /* 3 was pushed for i % 3 == 1, 7 for 0, 11 for 2 */
    for (uint32_t k = 0; k < N / 3; k++, expect += 3) {
      sl_event_t e = pop_ok(&q);
      assert_int_equal(e.at_us, order[t]);
      if (e.arg != expect) fail_msg("time %lld: event %u came out where %u was due", (long long)e.at_us, e.arg, expect);
      if (k > 0 && e.seq <= last_seq) fail_msg("ties out of scheduling order: seq %llu after %llu",
                                               (unsigned long long)e.seq, (unsigned long long)last_seq);
      last_seq = e.seq;
    }
  }
  assert_null(sl_event_queue_peek(&q));
  sl_event_queue_free(&q);
}

/* Scheduling at the head's own time while popping, as a dispatcher scheduling "now" does: the new event
 * goes after the 49 already due then, never before them. */
static void same_time_pushed_while_popping(void **state) {
  (void)state;
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  uint32_t next_arg = 0, want = 0;
  for (; next_arg < 50; next_arg++) push_ok(&q, 100, 0, next_arg);
  for (uint32_t i = 0; i < 10; i++) push_ok(&q, 200, 1, 100000 + i);
  for (int step = 0; step < 500; step++) {
    sl_event_t e = pop_ok(&q);
    assert_int_equal(e.at_us, 100);
    if (e.arg != want) fail_msg("step %d: event %u came out where %u was due", step, e.arg, want);
    want++;
    push_ok(&q, 100, 0, next_arg++);
  }
  sl_event_queue_free(&q);
}

static void peek_is_what_pop_takes(void **state) {
  (void)state;
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  uint64_t rng = 99;
  for (uint32_t i = 0; i < 200; i++) push_ok(&q, (int64_t)(test_rand(&rng) % 50), i % 7, i);
  for (int i = 0; i < 200; i++) {
    const sl_event_t *p = sl_event_queue_peek(&q);
    assert_non_null(p);
    sl_event_t seen = *p;
    const sl_event_t *again = sl_event_queue_peek(&q); /* peeking twice takes nothing */
    assert_memory_equal(again, &seen, sizeof seen);
    sl_event_t e = pop_ok(&q);
    assert_int_equal(e.at_us, seen.at_us);
    assert_int_equal(e.seq, seen.seq);
    assert_int_equal(e.type, seen.type);
    assert_int_equal(e.arg, seen.arg);
  }
  assert_null(sl_event_queue_peek(&q));
  sl_event_queue_free(&q);
}

/* The whole range of int64_t: an ordering written as a subtraction would overflow here. */
static void extreme_times(void **state) {
  (void)state;
  const int64_t times[] = {INT64_MAX, 0, INT64_MIN, -1, 1, INT64_MAX - 1, INT64_MIN + 1, INT64_MAX, INT64_MIN};
  const int64_t sorted[] = {INT64_MIN, INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX, INT64_MAX};
  const uint32_t args[] = {2, 8, 6, 3, 1, 4, 5, 0, 7}; /* ties: the one pushed first comes first */
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  for (uint32_t i = 0; i < 9; i++) push_ok(&q, times[i], 0, i);
  for (int i = 0; i < 9; i++) {
    sl_event_t e = pop_ok(&q);
    assert_true(e.at_us == sorted[i]);
    assert_int_equal(e.arg, args[i]);
  }
  sl_event_queue_free(&q);
}

typedef struct ref_event_s {
  int64_t at_us;
  uint64_t n; /* insertion number */
  uint32_t type, arg;
} ref_event_t;

/* The reference: an unordered array, pop takes the smallest (time, insertion number) by a linear scan. */
typedef struct ref_queue_s {
  ref_event_t *e;
  size_t count;
  uint64_t inserted;
} ref_queue_t;

static void ref_push(ref_queue_t *r, int64_t at_us, uint32_t type, uint32_t arg) {
  r->e[r->count++] = (ref_event_t){at_us, r->inserted++, type, arg};
}

static ref_event_t ref_pop(ref_queue_t *r) {
  size_t best = 0;
  for (size_t i = 1; i < r->count; i++)
    if (r->e[i].at_us < r->e[best].at_us || (r->e[i].at_us == r->e[best].at_us && r->e[i].n < r->e[best].n))
      best = i;
  ref_event_t out = r->e[best];
  r->e[best] = r->e[--r->count];
  return out;
}

static void check_pop(sl_event_queue_t *q, ref_queue_t *r, uint64_t seed, int step) {
  ref_event_t want = ref_pop(r);
  sl_event_t e = pop_ok(q);
  if (e.at_us != want.at_us || e.type != want.type || e.arg != want.arg)
    fail_msg("seed %llu step %d: popped (t=%lld, arg=%u), the reference says (t=%lld, arg=%u)",
             (unsigned long long)seed, step, (long long)e.at_us, e.arg, (long long)want.at_us, want.arg);
}

static void random_interleaving_matches_reference(void **state) {
  (void)state;
  enum { OPS = 20000 };
  ref_queue_t r;
  r.e = malloc(OPS * sizeof *r.e);
  for (uint64_t seed = 1; seed <= 30; seed++) {
    uint64_t rng = seed * 1000003u + 17;
    /* Few distinct times for some seeds (ties everywhere), a wide range for others. */
    uint64_t span = seed % 3 == 0 ? 4 : (seed % 3 == 1 ? 100 : UINT64_C(1) << 40);
    int push_bias = seed % 2 ? 60 : 50; /* percent: a queue that grows, or one that hovers */
    sl_event_queue_t q;
    sl_event_queue_init(&q);
    r.count = 0;
    r.inserted = 0;
    int64_t now = 0;
    for (int step = 0; step < OPS; step++) {
      if (r.count == 0 || (int)(test_rand(&rng) % 100) < push_bias) {
        /* Mostly at or after the last popped time, as a simulation schedules; sometimes before it. */
        int64_t at = now + (int64_t)(test_rand(&rng) % span) - (test_rand(&rng) % 10 == 0 ? (int64_t)(span / 2) : 0);
        uint32_t type = (uint32_t)(test_rand(&rng) % 5), arg = (uint32_t)step;
        push_ok(&q, at, type, arg);
        ref_push(&r, at, type, arg);
      } else {
        const sl_event_t *top = sl_event_queue_peek(&q);
        assert_non_null(top);
        now = top->at_us;
        check_pop(&q, &r, seed, step);
      }
    }
    while (r.count > 0) check_pop(&q, &r, seed, OPS);
    assert_null(sl_event_queue_peek(&q));
    sl_event_queue_free(&q);
  }
  free(r.e);
}

/* Growth well past the first allocation, in random order, then a full drain in (time, order). */
static void grows_to_many_events(void **state) {
  (void)state;
  enum { N = 100000 };
  sl_event_queue_t q;
  sl_event_queue_init(&q);
  uint64_t rng = 4242;
  for (uint32_t i = 0; i < N; i++) push_ok(&q, (int64_t)(test_rand(&rng) % 5000), i & 0xff, i);
  int64_t last_at = INT64_MIN;
  uint32_t last_arg = 0, popped = 0;
  int seen[256] = {0};
  sl_event_t e;
  while (sl_event_queue_pop(&q, &e) == 1) {
    if (e.at_us < last_at || (e.at_us == last_at && e.arg <= last_arg))
      fail_msg("event %u at %lld came out after event %u at %lld", e.arg, (long long)e.at_us, last_arg,
               (long long)last_at);
    assert_int_equal(e.type, e.arg & 0xff);
    seen[e.type]++;
    last_at = e.at_us;
    last_arg = e.arg;
    popped++;
  }
  assert_int_equal(popped, N);
  for (int t = 0; t < 256; t++) assert_int_equal(seen[t], N / 256 + (t < N % 256));
  /* Freeing a queue that still holds events (checked for leaks under ASan). */
  for (uint32_t i = 0; i < 1000; i++) push_ok(&q, i, 0, i);
  sl_event_queue_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(empty_queue),
                                     cmocka_unit_test(earliest_first),
                                     cmocka_unit_test(ties_in_scheduling_order),
                                     cmocka_unit_test(same_time_pushed_while_popping),
                                     cmocka_unit_test(peek_is_what_pop_takes),
                                     cmocka_unit_test(extreme_times),
                                     cmocka_unit_test(random_interleaving_matches_reference),
                                     cmocka_unit_test(grows_to_many_events)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
