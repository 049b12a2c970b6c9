/* experiment_ctx.h - what a running experiment keeps (the experiment's Lua state, the handler environments,
 * destinations, the real clock's driver), shared by experiment_run.c (both clocks) and experiment_real.c
 * (invocations on worker threads). Private to the Lua layer. */
#ifndef SHARDLAB_EXPERIMENT_CTX_H
#define SHARDLAB_EXPERIMENT_CTX_H

#include <pthread.h>
#include <stdio.h>

#include "lua/experiment.h"
#include "shardlab/destination.h"
#include "shardlab/real.h"
#include "shardlab/seqnum.h"

typedef struct run_ctx_s {
  lua_State *L;                /* the experiment file's state */
  sl_experiment_t *e;
  sl_env_pool_t *pool;
  sl_real_t *rt;               /* the real clock's driver (NULL on the virtual clock) */
  int owns_rt;                 /* it is this run's own (not shardlab serve's, shared by its mappings) */
  sl_sim_t *sim;
  char stream_arn[256];
  char role_arn[128];
  sl_destination_t *destination; /* mapping.on_failure: a JSONL file or a stream, or NULL */
  FILE *logs;                  /* mapping.logs: the handlers' Lambda-form log lines, or NULL */
  pthread_mutex_t log_lock;    /* the real clock's workers write logs at once: one line at a time */
  char function_arn[256];
  char *buf;                   /* the last produced record's key, data and explicit hash key */
  size_t buf_cap;
  sl_event_record_t *records;  /* the batch being invoked */
  char (*seqs)[SL_SEQNUM_DECIMAL_SIZE];
  size_t records_cap;
  sl_store_t *store;           /* stream.data_dir: the durable stream's store, or NULL */
  sl_store_recovery_t recovery;
  uint64_t *resume_next, *resume_frontier; /* the checkpoints a earlier run saved, by shard index */
  uint32_t resumed_shards;
  char checkpoint_name[160];   /* the mapping's checkpoint file: the experiment's name, made a file name */
  int64_t checkpoint_saved_ns; /* monotonic time of the last save */
  json_t *errors;              /* the summary's errors_by_type: type -> {count, first_message, where}; only the
                                * thread that runs the simulation (the loop thread on the real clock) touches it */
  unsigned char *timeouts_in_row; /* by slot: invocations in a row that timed out (255: warned); that thread's too */
  size_t timeouts_cap;
} run_ctx_t;

/* Durable streams (experiment_store.c): opens the store and reads the saved checkpoints into c and the
 * experiment's simulation settings; saves checkpoints; closes. */
int sl_run_store_open(run_ctx_t *c, sl_error_t *err);
void sl_run_store_checkpoint(void *ctx, const sl_sim_t *sim, int final);
json_t *sl_run_store_summary(const run_ctx_t *c);
int sl_run_store_close(run_ctx_t *c, sl_error_t *err);

/* The batch's records as the event builder wants them; seqs receives their sequence numbers. */
void sl_run_event_records(const sl_batch_t *b, sl_event_record_t *records, char (*seqs)[SL_SEQNUM_DECIMAL_SIZE]);

/* An invocation's result as the simulation's outcome (the window state moves from res to out). */
void sl_run_outcome(sl_invoke_result_t *res, sl_batch_outcome_t *out);

/* Counts a function error of an invocation in c->errors (nothing for a success or a partial response). */
void sl_run_note_error(run_ctx_t *c, const sl_invoke_result_t *res);

/* Follows the timeouts of slot (shard_id, lane): the third Sandbox.Timedout in a row warns on stderr, once per
 * slot, with the handler's file:line where the timeout stopped it. */
void sl_run_note_timeout(run_ctx_t *c, uint32_t slot, const char *shard_id, uint32_t lane,
                         const sl_invoke_result_t *res);

/* The invoke callback of the real clock: copies the batch into a job for a worker thread (experiment_real.c). */
int sl_run_invoke_real(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err);

#endif
