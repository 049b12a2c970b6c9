/* test_worker_pool.c - the real clock's worker threads: every submitted task runs exactly once, on a worker
 * thread, and comes back exactly once to the loop thread, which sees what the worker wrote (no lock of the
 * test's own: ThreadSanitizer checks the pool's ordering); workers run tasks at the same time (a meeting point
 * with a timeout, so a serial pool fails instead of hanging); one worker runs them in submission order; 0
 * threads means one per core; and stopping waits for the task being run, leaves queued tasks untouched and
 * closes the loop handle. CI runs this under ThreadSanitizer (label `real`). */
#define _POSIX_C_SOURCE 200809L /* uv.h needs pthread_rwlock_t */
#include "test_support.h"

#include <stdlib.h>
#include <uv.h>

#include "real/worker_pool.h"
#include "shardlab/error.h"

#define WAIT_NS (UINT64_C(10) * 1000 * 1000 * 1000) /* how long a meeting or a run waits before failing */

/* A task of the tests: what ran it and what came back, written by the worker, read on the loop thread. */
typedef struct test_task_s {
  sl_task_t base; /* first: the pool hands back &base */
  unsigned index;
  int runs;               /* times run (by a worker) */
  int dones;              /* times handed back (on the loop thread) */
  uv_thread_t ran_on;     /* the thread that ran it */
  unsigned char out[256]; /* filled by the worker, checked on the loop thread */
  struct harness_s *h;
} test_task_t;

/* The loop, the pool and what the loop thread saw; tasks' completions counted until `want`. */
typedef struct harness_s {
  uv_loop_t loop;
  uv_timer_t deadline; /* fails a run that does not finish instead of hanging */
  uv_thread_t loop_thread;
  sl_worker_pool_t pool;
  unsigned done_count, want;
  unsigned done_order[1024]; /* index of each task in the order done saw them */
  int wrong_thread;          /* done was called off the loop thread */
  int timed_out;
  /* A meeting point for tasks that must be running at the same time. */
  uv_mutex_t lock;
  uv_cond_t cond;
  unsigned meet_want; /* tasks that must be inside run at once (set before they are submitted) */
  unsigned arrived, met, missed;
  unsigned run_order[1024], run_count;
  /* A gate a task waits behind until the test opens it. */
  int gate_open, gate_started;
} harness_t;

static void on_done(sl_task_t *task, void *data) {
  harness_t *h = data;
  test_task_t *t = (test_task_t *)task;
  if (!uv_thread_equal(&h->loop_thread, &(uv_thread_t){uv_thread_self()})) h->wrong_thread = 1;
  t->dones++;
  /* What the worker wrote is visible here without a lock of ours. */
  for (size_t i = 0; i < sizeof t->out; i++)
    if (t->out[i] != (unsigned char)(t->index + i)) fail_msg("task %u: byte %zu not what the worker wrote", t->index, i);
  if (h->done_count < 1024) h->done_order[h->done_count] = t->index;
  if (++h->done_count == h->want) uv_stop(&h->loop);
}

static void on_deadline(uv_timer_t *timer) {
  harness_t *h = timer->data;
  h->timed_out = 1;
  uv_stop(&h->loop);
}

static void harness_start(harness_t *h, unsigned threads) {
  memset(h, 0, sizeof *h);
  assert_int_equal(uv_loop_init(&h->loop), 0);
  h->loop_thread = uv_thread_self();
  assert_int_equal(uv_mutex_init(&h->lock), 0);
  assert_int_equal(uv_cond_init(&h->cond), 0);
  assert_int_equal(uv_timer_init(&h->loop, &h->deadline), 0);
  h->deadline.data = h;
  assert_int_equal(sl_worker_pool_start(&h->pool, &h->loop, threads, on_done, h), SL_OK);
}

/* Runs the loop until want tasks came back (or the deadline passed). */
static void harness_wait(harness_t *h, unsigned want) {
  h->want = want;
  if (h->done_count >= want) return;
  uv_timer_start(&h->deadline, on_deadline, WAIT_NS / 1000000, 0);
  uv_run(&h->loop, UV_RUN_DEFAULT);
  uv_timer_stop(&h->deadline);
  if (h->timed_out) fail_msg("only %u of %u tasks came back within %llu s", h->done_count, want,
                             (unsigned long long)(WAIT_NS / 1000000000));
}

/* Stops the pool, closes everything, and checks that the loop was left with no open handle. */
static void harness_stop(harness_t *h) {
  sl_worker_pool_stop(&h->pool);
  uv_close((uv_handle_t *)&h->deadline, NULL);
  uv_run(&h->loop, UV_RUN_NOWAIT);              /* "run the loop once more to complete the close" */
  assert_int_equal(uv_loop_close(&h->loop), 0); /* UV_EBUSY if the pool left its handle open */
  uv_cond_destroy(&h->cond);
  uv_mutex_destroy(&h->lock);
}

static void fill(test_task_t *t) {
  t->runs++;
  t->ran_on = uv_thread_self();
  for (size_t i = 0; i < sizeof t->out; i++) t->out[i] = (unsigned char)(t->index + i);
}

static void run_fill(sl_task_t *task) { fill((test_task_t *)task); }

static test_task_t *make_tasks(harness_t *h, unsigned n, void (*run)(sl_task_t *)) {
  test_task_t *tasks = calloc(n, sizeof *tasks);
  assert_non_null(tasks);
  for (unsigned i = 0; i < n; i++) {
    tasks[i].base.run = run;
    tasks[i].index = i;
    tasks[i].h = h;
  }
  return tasks;
}

static void every_task_runs_once_and_comes_back_once(void **state) {
  (void)state;
  enum { N = 1000 };
  harness_t *h = malloc(sizeof *h);
  harness_start(h, 4);
  assert_int_equal(h->pool.count, 4);
  test_task_t *tasks = make_tasks(h, N, run_fill);
  /* Half before the loop runs, half from inside it while the first come back. */
  for (unsigned i = 0; i < N / 2; i++) sl_worker_pool_submit(&h->pool, &tasks[i].base);
  harness_wait(h, N / 4);
  for (unsigned i = N / 2; i < N; i++) sl_worker_pool_submit(&h->pool, &tasks[i].base);
  harness_wait(h, N);
  harness_stop(h);
  assert_false(h->wrong_thread);
  assert_int_equal(h->done_count, N);
  for (unsigned i = 0; i < N; i++) {
    if (tasks[i].runs != 1 || tasks[i].dones != 1)
      fail_msg("task %u ran %d times and came back %d times", i, tasks[i].runs, tasks[i].dones);
    if (uv_thread_equal(&tasks[i].ran_on, &h->loop_thread)) fail_msg("task %u ran on the loop thread", i);
  }
  free(tasks);
  free(h);
}

/* Each task waits (bounded) until meet_want tasks are inside run at once. */
static void run_meet(sl_task_t *task) {
  test_task_t *t = (test_task_t *)task;
  harness_t *h = t->h;
  uv_mutex_lock(&h->lock);
  h->arrived++;
  uv_cond_broadcast(&h->cond);
  while (h->arrived < h->meet_want && uv_cond_timedwait(&h->cond, &h->lock, WAIT_NS) == 0) {
  }
  if (h->arrived >= h->meet_want)
    h->met++;
  else
    h->missed++;
  uv_mutex_unlock(&h->lock);
  fill(t);
}

static void meet(unsigned workers) {
  harness_t *h = malloc(sizeof *h);
  harness_start(h, workers);
  test_task_t *tasks = make_tasks(h, workers, run_meet);
  h->meet_want = workers;
  for (unsigned i = 0; i < workers; i++) sl_worker_pool_submit(&h->pool, &tasks[i].base);
  harness_wait(h, workers);
  harness_stop(h);
  if (h->met != workers)
    fail_msg("%u workers: only %u tasks found all %u running at once (%u gave up waiting)", workers, h->met,
             workers, h->missed);
  for (unsigned i = 0; i < workers; i++)
    for (unsigned j = i + 1; j < workers; j++)
      if (uv_thread_equal(&tasks[i].ran_on, &tasks[j].ran_on)) fail_msg("tasks %u and %u ran on one thread", i, j);
  free(tasks);
  free(h);
}

static void two_workers_run_two_tasks_at_once(void **state) {
  (void)state;
  meet(2);
}

static void eight_workers_run_eight_tasks_at_once(void **state) {
  (void)state;
  meet(8);
}

static void run_record_order(sl_task_t *task) {
  test_task_t *t = (test_task_t *)task;
  uv_mutex_lock(&t->h->lock);
  t->h->run_order[t->h->run_count++] = t->index;
  uv_mutex_unlock(&t->h->lock);
  fill(t);
}

static void one_worker_runs_in_submission_order(void **state) {
  (void)state;
  enum { N = 500 };
  harness_t *h = malloc(sizeof *h);
  harness_start(h, 1);
  test_task_t *tasks = make_tasks(h, N, run_record_order);
  /* Submitted in a shuffled order of indexes: the order to keep is that of submission, not of the index. */
  unsigned order[N];
  for (unsigned i = 0; i < N; i++) order[i] = i;
  uint64_t rng = 7;
  for (unsigned i = N - 1; i > 0; i--) {
    unsigned j = (unsigned)(test_rand(&rng) % (i + 1)), x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  for (unsigned i = 0; i < N; i++) sl_worker_pool_submit(&h->pool, &tasks[order[i]].base);
  harness_wait(h, N);
  harness_stop(h);
  assert_int_equal(h->run_count, N);
  for (unsigned i = 0; i < N; i++) {
    if (h->run_order[i] != order[i]) fail_msg("run %u: task %u, submitted %u-th was %u", i, h->run_order[i], i, order[i]);
    if (h->done_order[i] != order[i]) fail_msg("done %u: task %u, want %u", i, h->done_order[i], order[i]);
  }
  free(tasks);
  free(h);
}

static void zero_threads_means_one_per_core(void **state) {
  (void)state;
  harness_t *h = malloc(sizeof *h);
  harness_start(h, 0);
  assert_int_equal(h->pool.count, uv_available_parallelism());
  test_task_t *tasks = make_tasks(h, 3, run_fill);
  for (unsigned i = 0; i < 3; i++) sl_worker_pool_submit(&h->pool, &tasks[i].base);
  harness_wait(h, 3);
  harness_stop(h);
  for (unsigned i = 0; i < 3; i++) assert_int_equal(tasks[i].runs, 1);
  free(tasks);
  free(h);
}

static void stop_without_tasks(void **state) {
  (void)state;
  harness_t *h = malloc(sizeof *h);
  harness_start(h, 3);
  harness_stop(h); /* joins idle workers; the loop closes with no handle left open */
  free(h);
}

/* Waits until the test opens the gate, then sleeps a little more, then fills: stop must wait for all of it. */
static void run_behind_gate(sl_task_t *task) {
  test_task_t *t = (test_task_t *)task;
  harness_t *h = t->h;
  uv_mutex_lock(&h->lock);
  h->gate_started = 1;
  uv_cond_broadcast(&h->cond);
  while (!h->gate_open && uv_cond_timedwait(&h->cond, &h->lock, WAIT_NS) == 0) {
  }
  uv_mutex_unlock(&h->lock);
  uv_sleep(50);
  fill(t);
}

/* Opens the gate once the pool is stopping (read under the pool's own lock), so the order is certain. */
static void opener(void *arg) {
  harness_t *h = arg;
  for (int i = 0; i < 10000; i++) {
    uv_mutex_lock(&h->pool.lock);
    int stopping = h->pool.stopping;
    uv_mutex_unlock(&h->pool.lock);
    if (stopping) break;
    uv_sleep(1);
  }
  uv_mutex_lock(&h->lock);
  h->gate_open = 1;
  uv_cond_broadcast(&h->cond);
  uv_mutex_unlock(&h->lock);
}

static void stop_waits_for_the_running_task_and_leaves_the_queued(void **state) {
  (void)state;
  enum { N = 10 };
  harness_t *h = malloc(sizeof *h);
  harness_start(h, 1);
  test_task_t *tasks = make_tasks(h, N, run_fill);
  tasks[0].base.run = run_behind_gate;
  for (unsigned i = 0; i < N; i++) sl_worker_pool_submit(&h->pool, &tasks[i].base);
  uv_mutex_lock(&h->lock);
  while (!h->gate_started && uv_cond_timedwait(&h->cond, &h->lock, WAIT_NS) == 0) {
  }
  int started = h->gate_started;
  uv_mutex_unlock(&h->lock);
  assert_true(started);
  uv_thread_t t;
  assert_int_equal(uv_thread_create(&t, opener, h), 0);
  sl_worker_pool_stop(&h->pool);
  /* Returned: the worker was joined, so the task it ran has finished (TSan checks this read too). */
  assert_int_equal(tasks[0].runs, 1);
  assert_int_equal(tasks[0].out[sizeof tasks[0].out - 1], (unsigned char)(sizeof tasks[0].out - 1));
  /* It finished after the loop last ran, so stop handed it back (once), not the loop that will not run it. */
  assert_int_equal(tasks[0].dones, 1);
  assert_int_equal(uv_thread_join(&t), 0);
  /* The queued tasks never ran, and are the owner's again: free to reuse or free. */
  for (unsigned i = 1; i < N; i++) assert_int_equal(tasks[i].runs, 0);
  uv_close((uv_handle_t *)&h->deadline, NULL);
  uv_run(&h->loop, UV_RUN_NOWAIT);
  assert_int_equal(uv_loop_close(&h->loop), 0);
  for (unsigned i = 1; i < N; i++) assert_int_equal(tasks[i].dones, 0);
  uv_cond_destroy(&h->cond);
  uv_mutex_destroy(&h->lock);
  free(tasks);
  free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(every_task_runs_once_and_comes_back_once),
                                     cmocka_unit_test(two_workers_run_two_tasks_at_once),
                                     cmocka_unit_test(eight_workers_run_eight_tasks_at_once),
                                     cmocka_unit_test(one_worker_runs_in_submission_order),
                                     cmocka_unit_test(zero_threads_means_one_per_core),
                                     cmocka_unit_test(stop_without_tasks),
                                     cmocka_unit_test(stop_waits_for_the_running_task_and_leaves_the_queued)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
