/* real.h - an experiment on the real clock (DESIGN 8). A libuv loop moves the simulation's clock with wall
 * time, so producers, shard polls, batching windows, retries and resharding actions happen when they are due;
 * invocations run on a pool of worker threads, truly in parallel; SIGINT or SIGTERM stop a run cleanly
 * (producers stop, running invocations finish, the summary is made) and a second one aborts it (status 130).
 *
 * The simulation's invoke callback hands each batch to sl_real_submit as a job and returns its SL_PENDING.
 * The job's step function runs on a worker thread; when the handler sleeps, the step returns SL_PENDING with
 * the time to sleep, the worker is freed, and the step runs again after that time (on any worker, never on two
 * at once), so a sleeping invocation keeps its concurrency slot but no thread. */
#ifndef SHARDLAB_REAL_H
#define SHARDLAB_REAL_H

#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/sim.h"

/* On a worker thread: runs (or continues) the job. SL_OK when the invocation ended, *out filled; SL_PENDING
 * when it sleeps for *sleep_us. */
typedef int (*sl_real_step_fn)(void *job, sl_batch_outcome_t *out, int64_t *sleep_us);
/* On the loop thread, once the job ended: frees it (and may look at its outcome). */
typedef void (*sl_real_release_fn)(void *job, const sl_batch_outcome_t *out);

struct uv_loop_s;

typedef struct sl_real_options_s {
  unsigned workers;              /* worker threads (0, the default: one per core) */
  int handle_signals;            /* SIGINT/SIGTERM: the first stops the run, the second exits with status 130 */
  int64_t progress_interval_us;  /* how often the simulation's progress callback runs (default 250 ms) */
  /* Optional hooks: on_loop when the loop is ready, before the first event (an HTTP server can listen on it);
   * on_stop when the run is stopped or ends (it closes what on_loop opened). */
  void (*on_loop)(void *hook_ctx, struct uv_loop_s *loop);
  void (*on_stop)(void *hook_ctx);
  void *hook_ctx;
} sl_real_options_t;

void sl_real_options_init(sl_real_options_t *o);

typedef struct sl_real_s sl_real_t;

int sl_real_create(const sl_real_options_t *o, sl_real_t **out, sl_error_t *err);
void sl_real_destroy(sl_real_t *rt);

/* From the simulation's invoke callback: runs job for slot of the run's mapping (its index in the run, 0 for a
 * run's only mapping) on the workers. Returns SL_PENDING (the invoke callback's answer) or SL_ENOMEM (release
 * has then been called). */
int sl_real_submit(sl_real_t *rt, uint32_t mapping, uint32_t slot, void *job, sl_real_step_fn step,
                   sl_real_release_fn release);

/* Runs sim on the real clock until it is done, stopped by a signal, or failed. SL_OK, or the first error. */
int sl_real_run(sl_real_t *rt, sl_sim_t *sim, sl_error_t *err);

/* Several simulations on one loop and one pool (`shardlab serve --mapping`): add each, then run them all until
 * every one is done or stopped. Each ends with sl_sim_end when it is done. */
int sl_real_add(sl_real_t *rt, sl_sim_t *sim, sl_error_t *err);
int sl_real_run_all(sl_real_t *rt, sl_error_t *err);

/* Stops the running simulations as the first SIGINT does (for tests and embedders; call it from the loop
 * thread, e.g. from the progress callback). */
void sl_real_stop(sl_real_t *rt);

#endif
