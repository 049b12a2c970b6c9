/* real_clock.c - the real clock's driver: a libuv loop whose timer wakes the simulation when its next event
 * is due, by wall time; invocations handed to the worker pool and, when their handler sleeps, parked on a timer
 * of their own instead of a thread; a progress timer; SIGINT and SIGTERM. All simulation state is touched on
 * the loop thread only; workers see nothing but their job. */
#define _POSIX_C_SOURCE 200809L /* uv.h needs pthread_rwlock_t */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "real/worker_pool.h"
#include "shardlab/real.h"
#include "sim/sim_internal.h"

struct sl_real_s {
  sl_real_options_t options;
  uv_loop_t loop;
  int loop_open;
  uv_timer_t tick;          /* the simulation's next event */
  uv_timer_t progress;      /* the progress callback */
  uv_signal_t sigint, sigterm;
  sl_worker_pool_t pool;
  sl_sim_t *sim;
  uint64_t t0_ns;           /* uv_hrtime at the start of the run */
  uint64_t in_flight;       /* tasks submitted and not yet released */
  int failed;
  sl_error_t error;         /* the first error */
  int signals;              /* SIGINT/SIGTERM received */
  int closing;              /* handles are being closed: the run is over */
};

/* One invocation in flight: the caller's job and what the driver keeps for it. */
typedef struct task_s {
  sl_task_t base;           /* first: the pool hands back this pointer */
  sl_real_t *rt;
  uint32_t slot;
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
}

static int64_t elapsed_us(const sl_real_t *rt) { return (int64_t)((uv_hrtime() - rt->t0_ns) / 1000); }

static void fail(sl_real_t *rt, const sl_error_t *err) {
  if (rt->failed) return;
  rt->failed = 1;
  rt->error = *err;
  sl_sim_stop(rt->sim); /* no new invocations; the running ones are waited for before anything is freed */
}

static void close_all(sl_real_t *rt);
static void on_tick(uv_timer_t *t);

/* Moves the simulation to now, handles what is due, and sets the timer for the next event (and for the end
 * of the producers' duration, when the run may be done). Ends the run when there is nothing left. */
static void pump(sl_real_t *rt) {
  if (rt->closing) return;
  if (!rt->failed) {
    int64_t next;
    sl_error_t err;
    if (sl_sim_advance(rt->sim, elapsed_us(rt), &next, &err) != SL_OK) {
      fail(rt, &err);
    } else {
      int64_t now = sl_sim_now(rt->sim), duration = rt->sim->config.duration_us;
      int64_t wake = now < duration && (next < 0 || next > duration) ? duration : next;
      uv_timer_stop(&rt->tick);
      if (wake >= 0) {
        uv_update_time(&rt->loop);
        int64_t ms = wake > now ? (wake - now + 999) / 1000 : 0;
        uv_timer_start(&rt->tick, on_tick, (uint64_t)ms, 0);
      }
    }
  }
  if (rt->in_flight == 0 && (rt->failed || sl_sim_finished(rt->sim))) close_all(rt);
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
  t->release(t->job, &out);
  rt->in_flight--;
  uv_close((uv_handle_t *)&t->timer, free_task);
  if (rt->failed) {
    free(out.state_json);
  } else {
    sl_error_t err;
    if (sl_sim_complete(rt->sim, t->slot, &out, elapsed_us(rt), &err) != SL_OK) fail(rt, &err);
  }
  pump(rt);
}

int sl_real_submit(sl_real_t *rt, uint32_t slot, void *job, sl_real_step_fn step, sl_real_release_fn release) {
  task_t *t = calloc(1, sizeof *t);
  if (t == NULL) {
    sl_batch_outcome_t none = {0};
    release(job, &none);
    return SL_ENOMEM;
  }
  *t = (task_t){.rt = rt, .slot = slot, .job = job, .step = step, .release = release};
  t->base.run = run_task;
  uv_timer_init(&rt->loop, &t->timer);
  t->timer.data = t;
  rt->in_flight++;
  sl_worker_pool_submit(&rt->pool, &t->base);
  return SL_PENDING;
}

void sl_real_stop(sl_real_t *rt) {
  if (rt->sim != NULL) sl_sim_stop(rt->sim);
}

static void on_progress(uv_timer_t *timer) {
  sl_real_t *rt = timer->data;
  pump(rt);
  if (rt->closing) return;
  if (rt->sim->config.progress != NULL) rt->sim->config.progress(rt->sim->config.progress_ctx, rt->sim);
  sl_sim_persist_checkpoints(rt->sim); /* about once a second: when the second has changed */
}

static void on_signal(uv_signal_t *h, int signum) {
  sl_real_t *rt = h->data;
  if (++rt->signals >= 2) { /* the second: at once, whatever runs */
    fprintf(stderr, "\nshardlab: aborted by signal %d\n", signum);
    fflush(stdout);
    fflush(stderr);
    _exit(130);
  }
  fprintf(stderr, "\nshardlab: stopping: producers stopped, %u running invocations finishing (again to abort)\n",
          sl_sim_running(rt->sim));
  sl_sim_stop(rt->sim);
  pump(rt);
}

static void close_all(sl_real_t *rt) {
  rt->closing = 1;
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
  free(rt);
}

int sl_real_run(sl_real_t *rt, sl_sim_t *sim, sl_error_t *err) {
  if (rt->sim != NULL) return sl_error_set(err, SL_EINVAL, "a real-clock driver runs one simulation");
  rt->sim = sim;
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
  rt->t0_ns = uv_hrtime();
  sl_error_t e;
  if (sl_sim_begin(sim, &e) != SL_OK) fail(rt, &e);
  pump(rt);
  uv_run(&rt->loop, UV_RUN_DEFAULT);
  if (rt->failed) {
    if (err != NULL) *err = rt->error;
    return rt->error.code ? rt->error.code : SL_EINVAL;
  }
  sl_sim_end(sim);
  return SL_OK;
}
