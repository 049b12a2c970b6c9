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

struct run_ctx_s;

/* One mapping of a running experiment (experiment_mapping.c): its handler environments, destination, logs,
 * checkpoints and errors. The invoke and on-failure callbacks get it as their ctx. */
typedef struct run_mapping_s {
  struct run_ctx_s *c;
  sl_experiment_mapping_t *m;
  uint32_t index;              /* in the run, from 0 */
  sl_env_pool_t *pool;
  sl_destination_t *destination; /* on_failure: a JSONL file, a stream or an S3 folder, or NULL */
  FILE *logs;                  /* logs: the handlers' Lambda-form log lines, or NULL */
  pthread_mutex_t log_lock;    /* the real clock's workers write logs at once: one line at a time */
  int lock_ready;
  char function_arn[256];
  sl_event_record_t *records;  /* the batch being invoked */
  char (*seqs)[SL_SEQNUM_DECIMAL_SIZE];
  size_t records_cap;
  uint64_t *resume_next, *resume_frontier; /* the checkpoints an earlier run saved, by shard index */
  uint32_t resume_count;       /* entries of them (the stream's shards when they were read) */
  uint32_t resumed_shards;     /* shards a checkpoint was found for */
  char checkpoint_name[300];   /* its checkpoint file: the experiment's name (and the mapping's), made a file name */
  json_t *errors;              /* its errors_by_type: type -> {count, first_message, where}; only the thread that
                                * runs the simulation (the loop thread on the real clock) touches it */
  unsigned char *timeouts_in_row; /* by slot: invocations in a row that timed out (255: warned); that thread's too */
  size_t timeouts_cap;
} run_mapping_t;

typedef struct run_ctx_s {
  lua_State *L;                /* the experiment file's state */
  sl_experiment_t *e;
  sl_real_t *rt;               /* the real clock's driver (NULL on the virtual clock) */
  int owns_rt;                 /* it is this run's own (not shardlab serve's, shared by its mappings) */
  sl_sim_t *sim;
  char stream_arn[256];
  char role_arn[128];
  char *buf;                   /* the last produced record's key, data and explicit hash key */
  size_t buf_cap;
  run_mapping_t *maps;         /* one per mapping of the experiment */
  sl_sim_mapping_t *sim_maps;  /* the simulation's view of them */
  uint32_t map_count;
  sl_store_t *store;           /* stream.data_dir: the durable stream's store, or NULL */
  sl_store_recovery_t recovery;
  int64_t checkpoint_saved_ns; /* monotonic time of the last save */
} run_ctx_t;

/* Durable streams (experiment_store.c): opens the store and reads each mapping's saved checkpoints into its
 * run_mapping_t and the simulation's settings; saves checkpoints; closes. */
int sl_run_store_open(run_ctx_t *c, sl_error_t *err);
void sl_run_store_checkpoint(void *ctx, const sl_sim_t *sim, int final);
json_t *sl_run_store_summary(const run_ctx_t *c);
int sl_run_store_close(run_ctx_t *c, sl_error_t *err);

/* The batch's records as the event builder wants them; seqs receives their sequence numbers. */
void sl_run_event_records(const sl_batch_t *b, sl_event_record_t *records, char (*seqs)[SL_SEQNUM_DECIMAL_SIZE]);

/* An invocation's result as the simulation's outcome (the window state moves from res to out). */
void sl_run_outcome(sl_invoke_result_t *res, sl_batch_outcome_t *out);

/* Counts a function error of an invocation in the mapping's errors (nothing for a success or a partial
 * response). */
void sl_run_note_error(run_mapping_t *rm, const sl_invoke_result_t *res);

/* Follows the timeouts of slot (shard_id, lane): the third Sandbox.Timedout in a row warns on stderr, once per
 * slot, with the handler's file:line where the timeout stopped it. */
void sl_run_note_timeout(run_mapping_t *rm, uint32_t slot, const char *shard_id, uint32_t lane,
                         const sl_invoke_result_t *res);

/* The mappings of a run (experiment_mapping.c): created (one per mapping of the experiment), then prepared
 * (pools, destinations, logs, the simulation's view) once the stream's ARN and the checkpoints are known; each one's results ({name, config, summary, timeseries}, several mappings);
 * the errors of all of them together; freed (the first error of closing their files in rc and *err). */
int sl_run_mappings_create(run_ctx_t *c, sl_error_t *err);
int sl_run_mappings_start(run_ctx_t *c, sl_error_t *err);
json_t *sl_run_mapping_result(const run_ctx_t *c, uint32_t i);
json_t *sl_run_dead_letters_json(const run_mapping_t *rm); /* on_failure = {stream}: {name, records_in}, or NULL */
json_t *sl_run_mapping_config_json(const sl_experiment_mapping_t *m);
json_t *sl_run_errors_json(const run_ctx_t *c);
int sl_run_mappings_free(run_ctx_t *c, int rc, sl_error_t *err);

/* The invoke callback of the real clock: copies the batch into a job for a worker thread (experiment_real.c). */
int sl_run_invoke_real(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err);

#endif
