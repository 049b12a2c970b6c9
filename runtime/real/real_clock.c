/* real_clock.c - the real clock's driver: a libuv loop whose timer wakes the simulations (one per mapping)
 * when their next event is due, by wall time; invocations handed to the worker pool and, when their handler
 * sleeps, parked on a timer of their own instead of a thread; a progress timer; SIGINT and SIGTERM. All
 * simulation state is touched on the loop thread only; workers see nothing but their job. */
#define _POSIX_C_SOURCE 200809L /* uv.h needs pthread_rwlock_t */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "real/worker_pool.h"
#include "shardlab/real.h"
#include "shardlab/sim.h"

struct sl_real_s {
  sl_real_options_t options;
  uv_loop_t loop;
  int loop_open;
  uv_timer_t tick;          /* the simulation's next event */
  uv_timer_t progress;      /* the progress callback */
  uv_signal_t sigint, sigterm;
  sl_worker_pool_t pool;
  sl_sim_t **sims;          /* the simulations it drives */
  uint64_t *in_flight;      /* per simulation: tasks submitted and not yet released */
  int *ended;               /* per simulation: sl_sim_end was called */
  size_t sim_count, sim_cap;
  size_t current;           /* the simulation being called into (its invoke callback submits for it) */
  int started;
  uint64_t t0_ns;           /* uv_hrtime at the start of the run */
  int failed;
  sl_error_t error;         /* the first error */
  int signals;              /* SIGINT/SIGTERM received */
  int closing;              /* handles are being closed: the run is over */
};

/* One invocation in flight: the caller's job and what the driver keeps for it. */
typedef struct task_s {
  sl_task_t base;           /* first: the pool hands back this pointer */
  sl_real_t *rt;
  size_t sim;               /* index of its simulation */
  uint32_t mapping, slot;
  void *job;
  sl_real_step_fn step;
  sl_real_release_fn release;
  int rc;                   /* the step's last answer */
  int64_t sleep_us;         /* SL_PENDING: how long the handler sleeps */
  sl_batch_outcome_t out;   /* SL_OK: how the invocation ended */
  uv_timer_t timer;         /* wakes a sleeping invocation */
} task_t;

void sl_real_options_init(sl_real_options_t *o) {
  o->workers = 0;
  o->handle_signals = 0;
  o->progress_interval_us = 250000;
  o->on_loop = NULL;
  o->on_stop = NULL;
  o->hook_ctx = NULL;
}

static int64_t elapsed_us(const sl_real_t *rt) { return (int64_t)((uv_hrtime() - rt->t0_ns) / 1000); }

static void stop_all(sl_real_t *rt) {
  for (size_t i = 0; i < rt->sim_count; i++) sl_sim_stop(rt->sims[i]);
}

static void fail(sl_real_t *rt, const sl_error_t *err) {
  if (rt->failed) return;
  rt->failed = 1;
  rt->error = *err;
  stop_all(rt); /* no new invocations; the running ones are waited for before anything is freed */
}

static uint64_t total_in_flight(const sl_real_t *rt) {
  uint64_t n = 0;
  for (size_t i = 0; i < rt->sim_count; i++) n += rt->in_flight[i];
  return n;
}

static void close_all(sl_real_t *rt);
static void on_tick(uv_timer_t *t);

/* Moves each simulation to now, handles what is due, and sets the timer for the earliest next event (and for
 * the end of a producers' duration, when a run may be done). A simulation with nothing left ends; the run ends
 * when all have. */
static void pump(sl_real_t *rt) {
  if (rt->closing) return;
  int64_t wake = -1;
  for (size_t i = 0; i < rt->sim_count && !rt->failed; i++) {
    sl_sim_t *sim = rt->sims[i];
    if (rt->ended[i]) continue;
    int64_t next;
    sl_error_t err;
    rt->current = i;
    if (sl_sim_advance(sim, elapsed_us(rt), &next, &err) != SL_OK) {
      fail(rt, &err);
      break;
    }
    int64_t now = sl_sim_now(sim), duration = sl_sim_duration_us(sim);
    int64_t due = now < duration && (next < 0 || next > duration) ? duration : next;
    if (due >= 0 && (wake < 0 || due < wake)) wake = due;
    if (rt->in_flight[i] == 0 && sl_sim_finished(sim)) {
      rt->ended[i] = 1;
      sl_sim_end(sim);
    }
  }
  uv_timer_stop(&rt->tick);
  if (wake >= 0 && !rt->failed) {
    uv_update_time(&rt->loop);
    int64_t now = elapsed_us(rt);
    int64_t ms = wake > now ? (wake - now + 999) / 1000 : 0;
    uv_timer_start(&rt->tick, on_tick, (uint64_t)ms, 0);
  }
  int all_ended = 1;
  for (size_t i = 0; i < rt->sim_count; i++) all_ended &= rt->ended[i];
  if (total_in_flight(rt) == 0 && (rt->failed || all_ended)) close_all(rt);
}

static void on_tick(uv_timer_t *t) { pump(t->data); }

static void run_task(sl_task_t *base) {
  task_t *t = (task_t *)base;
  t->rc = t->step(t->job, &t->out, &t->sleep_us);
}

static void free_task(uv_handle_t *h) { free(h->data); }

static void wake_task(uv_timer_t *timer) {
  task_t *t = timer->data;
  sl_worker_pool_submit(&t->rt->pool, &t->base);
}

/* A worker finished a step: park a sleeping invocation on its timer, or give the ended one back. */
static void task_done(sl_task_t *base, void *data) {
  sl_real_t *rt = data;
  task_t *t = (task_t *)base;
  if (t->rc == SL_PENDING) {
    uv_timer_start(&t->timer, wake_task, (uint64_t)((t->sleep_us + 999) / 1000), 0);
    return;
  }
  sl_batch_outcome_t out = t->out;
  size_t sim = t->sim;
  t->release(t->job, &out);
  rt->in_flight[sim]--;
  uv_close((uv_handle_t *)&t->timer, free_task);
  if (rt->closing) { /* handed back by the pool's stop: the run is over, its outcome goes nowhere */
    free(out.state_json);
    return;
  }
  if (rt->failed) {
    free(out.state_json);
  } else {
    sl_error_t err;
    rt->current = sim;
    if (sl_sim_complete(rt->sims[sim], t->mapping, t->slot, &out, elapsed_us(rt), &err) != SL_OK) fail(rt, &err);
  }
  pump(rt);
}

int sl_real_submit(sl_real_t *rt, uint32_t mapping, uint32_t slot, void *job, sl_real_step_fn step,
                   sl_real_release_fn release) {
  task_t *t = calloc(1, sizeof *t);
  if (t == NULL) {
    sl_batch_outcome_t none = {0};
    release(job, &none);
    return SL_ENOMEM;
  }
  *t = (task_t){.rt = rt, .sim = rt->current, .mapping = mapping, .slot = slot, .job = job, .step = step, .release = release};
  t->base.run = run_task;
  uv_timer_init(&rt->loop, &t->timer);
  t->timer.data = t;
  rt->in_flight[rt->current]++;
  sl_worker_pool_submit(&rt->pool, &t->base);
  return SL_PENDING;
}

void sl_real_stop(sl_real_t *rt) {
  stop_all(rt);
  if (rt->options.on_stop != NULL) rt->options.on_stop(rt->options.hook_ctx);
}

static void on_progress(uv_timer_t *timer) {
  sl_real_t *rt = timer->data;
  pump(rt);
  for (size_t i = 0; i < rt->sim_count && !rt->closing; i++) {
    sl_sim_t *sim = rt->sims[i];
    if (rt->ended[i]) continue;
    sl_sim_tick(sim); /* progress; checkpoints about once a second, when the second has changed */
  }
}

static void on_signal(uv_signal_t *h, int signum) {
  sl_real_t *rt = h->data;
  if (++rt->signals >= 2) { /* the second: at once, whatever runs */
    fprintf(stderr, "\nshardlab: aborted by signal %d\n", signum);
    fflush(stdout);
    fflush(stderr);
    _exit(130);
  }
  uint32_t running = 0;
  for (size_t i = 0; i < rt->sim_count; i++) running += sl_sim_running(rt->sims[i]);
  fprintf(stderr, "\nshardlab: stopping: producers stopped, %u running invocations finishing (again to abort)\n",
          running);
  sl_real_stop(rt);
  pump(rt);
}

static void close_all(sl_real_t *rt) {
  rt->closing = 1;
  if (rt->options.on_stop != NULL) rt->options.on_stop(rt->options.hook_ctx); /* e.g. the HTTP server */
  uv_close((uv_handle_t *)&rt->tick, NULL);
  uv_close((uv_handle_t *)&rt->progress, NULL);
  if (rt->options.handle_signals) {
    uv_close((uv_handle_t *)&rt->sigint, NULL);
    uv_close((uv_handle_t *)&rt->sigterm, NULL);
  }
  sl_worker_pool_stop(&rt->pool);
}

int sl_real_create(const sl_real_options_t *o, sl_real_t **out, sl_error_t *err) {
  *out = NULL;
  if (o->progress_interval_us < 1000)
    return sl_error_set(err, SL_EINVAL, "the progress interval must be at least 1 ms");
  if (o->workers > 1024) return sl_error_set(err, SL_EINVAL, "workers %u is out of range: at most 1024", o->workers);
  sl_real_t *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  rt->options = *o;
  if (uv_loop_init(&rt->loop) != 0) {
    free(rt);
    return sl_error_set(err, SL_ENOMEM, "cannot create an event loop");
  }
  rt->loop_open = 1;
  *out = rt;
  return SL_OK;
}

void sl_real_destroy(sl_real_t *rt) {
  if (rt == NULL) return;
  if (rt->loop_open) {
    uv_run(&rt->loop, UV_RUN_NOWAIT); /* completes closes still pending */
    uv_loop_close(&rt->loop);
  }
  free(rt->sims);
  free(rt->in_flight);
  free(rt->ended);
  free(rt);
}

int sl_real_add(sl_real_t *rt, sl_sim_t *sim, sl_error_t *err) {
  if (rt->started) return sl_error_set(err, SL_EINVAL, "simulations are added before the driver runs");
  if (rt->sim_count == rt->sim_cap) {
    size_t cap = rt->sim_cap ? rt->sim_cap * 2 : 4;
    sl_sim_t **sims = realloc(rt->sims, cap * sizeof *sims);
    if (sims != NULL) rt->sims = sims;
    uint64_t *in_flight = realloc(rt->in_flight, cap * sizeof *in_flight);
    if (in_flight != NULL) rt->in_flight = in_flight;
    int *ended = realloc(rt->ended, cap * sizeof *ended);
    if (ended != NULL) rt->ended = ended;
    if (sims == NULL || in_flight == NULL || ended == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    rt->sim_cap = cap;
  }
  rt->in_flight[rt->sim_count] = 0;
  rt->ended[rt->sim_count] = 0;
  rt->sims[rt->sim_count++] = sim;
  return SL_OK;
}

int sl_real_run_all(sl_real_t *rt, sl_error_t *err) {
  if (rt->started) return sl_error_set(err, SL_EINVAL, "a real-clock driver runs once");
  rt->started = 1;
  /* jansson seeds its hash function on first use; its documentation asks threaded programs to do it first. */
  json_object_seed(0);
  if (sl_worker_pool_start(&rt->pool, &rt->loop, rt->options.workers, task_done, rt) != SL_OK)
    return sl_error_set(err, SL_ENOMEM, "cannot start the worker threads");
  uv_timer_init(&rt->loop, &rt->tick);
  rt->tick.data = rt;
  uv_timer_init(&rt->loop, &rt->progress);
  rt->progress.data = rt;
  uint64_t every_ms = (uint64_t)(rt->options.progress_interval_us / 1000);
  uv_timer_start(&rt->progress, on_progress, every_ms, every_ms);
  if (rt->options.handle_signals) {
    uv_signal_init(&rt->loop, &rt->sigint);
    uv_signal_init(&rt->loop, &rt->sigterm);
    rt->sigint.data = rt->sigterm.data = rt;
    uv_signal_start(&rt->sigint, on_signal, SIGINT);
    uv_signal_start(&rt->sigterm, on_signal, SIGTERM);
  }
  if (rt->options.on_loop != NULL) rt->options.on_loop(rt->options.hook_ctx, &rt->loop);
  rt->t0_ns = uv_hrtime();
  for (size_t i = 0; i < rt->sim_count && !rt->failed; i++) {
    sl_error_t e;
    rt->current = i;
    if (sl_sim_begin(rt->sims[i], &e) != SL_OK) fail(rt, &e);
  }
  pump(rt);
  uv_run(&rt->loop, UV_RUN_DEFAULT);
  if (rt->failed) {
    if (err != NULL) *err = rt->error;
    return rt->error.code ? rt->error.code : SL_EINVAL;
  }
  return SL_OK;
}

int sl_real_run(sl_real_t *rt, sl_sim_t *sim, sl_error_t *err) {
  int rc = sl_real_add(rt, sim, err);
  return rc == SL_OK ? sl_real_run_all(rt, err) : rc;
}
