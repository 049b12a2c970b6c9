/* experiment_real.c - invocations on the real clock: the loop thread copies a batch (records, sequence
 * numbers, shard, window state) into a job and takes the slot's environment from the pool; a worker thread runs
 * the handler on that environment, parking it while it sleeps; the loop thread frees the job. Nothing here is
 * shared between jobs, and a slot has one job at a time, so an environment is never used by two threads. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <stdlib.h>
#include <string.h>

#include "lua/experiment_ctx.h"

typedef struct job_s {
  run_mapping_t *rm;           /* the mapping the batch is of */
  sl_env_t *env;               /* the slot's environment, this job's alone while it runs */
  sl_invocation_t inv;
  sl_event_source_t src;
  char shard_id[SL_SHARD_ID_SIZE];
  uint32_t slot, lane;         /* the batch's, for the timeout warning */
  sl_event_record_t *records;
  char (*seqs)[SL_SEQNUM_DECIMAL_SIZE];
  char *bytes;                 /* the records' keys and data, copied out of the shard log */
  sl_event_window_t window;
  sl_invoke_result_t res;
  int started;
} job_t;

static void free_job(job_t *j) {
  sl_invoke_result_clear(&j->res);
  free((char *)j->window.state_json);
  free(j->records);
  free(j->seqs);
  free(j->bytes);
  free(j);
}

/* Worker thread. */
static int step(void *job, sl_batch_outcome_t *out, int64_t *sleep_us) {
  job_t *j = job;
  sl_error_t err;
  int rc = j->started ? sl_env_invoke_resume(j->env, &j->res, sleep_us, &err)
                      : sl_env_invoke_begin(j->env, &j->inv, &j->res, sleep_us, &err);
  j->started = 1;
  if (rc == SL_PENDING) return SL_PENDING;
  if (rc != SL_OK) { /* only a host failure (out of memory) gets here: the batch fails like a crash */
    memset(out, 0, sizeof *out);
    out->status = SL_BATCH_ERROR;
    out->duration_us = 1;
    return SL_OK;
  }
  sl_run_outcome(&j->res, out);
  return SL_OK;
}

/* Loop thread. */
static void release(void *job, const sl_batch_outcome_t *out) {
  (void)out;
  job_t *j = job;
  sl_env_pool_note(j->rm->pool, &j->res);
  sl_run_note_error(j->rm, &j->res); /* here, on the loop thread: the mapping's errors are the loop's alone */
  sl_run_note_timeout(j->rm, j->slot, j->shard_id, j->lane, &j->res);
  free_job(j);
}

/* Copies the batch: the worker must not read the shard log or the simulation while the loop changes them. */
static job_t *copy_batch(const sl_batch_t *b) {
  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) return NULL;
  size_t n = b->count ? b->count : 1, bytes = 1;
  for (size_t i = 0; i < b->count; i++) bytes += b->records[i]->key_len + b->records[i]->data_len;
  j->records = malloc(n * sizeof *j->records);
  j->seqs = malloc(n * sizeof *j->seqs);
  j->bytes = malloc(bytes);
  if (j->records == NULL || j->seqs == NULL || j->bytes == NULL) {
    free_job(j);
    return NULL;
  }
  sl_run_event_records(b, j->records, j->seqs);
  char *p = j->bytes;
  for (size_t i = 0; i < b->count; i++) {
    sl_event_record_t *r = &j->records[i];
    memcpy(p, r->partition_key, r->key_len);
    r->partition_key = p;
    p += r->key_len;
    if (r->data_len) memcpy(p, r->data, r->data_len);
    r->data = p;
    p += r->data_len;
  }
  if (b->window != NULL) {
    j->window = *b->window;
    j->window.state_json = b->window->state_json ? strdup(b->window->state_json) : NULL;
    if (b->window->state_json && !j->window.state_json) {
      free_job(j);
      return NULL;
    }
  }
  memcpy(j->shard_id, b->shard->id, sizeof j->shard_id);
  j->slot = b->slot;
  j->lane = b->lane;
  return j;
}

int sl_run_invoke_real(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)out; /* comes back through the driver */
  run_mapping_t *rm = ctx;
  run_ctx_t *c = rm->c;
  job_t *j = copy_batch(b);
  if (j == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory handing a batch to a worker");
  j->rm = rm;
  j->src = (sl_event_source_t){j->shard_id, c->e->sim.stream.region, c->stream_arn, c->role_arn};
  int64_t now_us = c->e->sim.start_ms * 1000 + start_us;
  j->inv = (sl_invocation_t){&j->src, j->records, b->count, NULL, rm->m->report_batch_item_failures, now_us,
                             b->window ? &j->window : NULL};
  int rc = sl_env_pool_acquire(rm->pool, b->slot, now_us, &j->env, err);
  if (rc != SL_OK) {
    free_job(j);
    return rc;
  }
  rc = sl_real_submit(c->rt, rm->index, b->slot, j, step, release);
  return rc == SL_PENDING ? SL_PENDING : sl_error_set(err, rc, "out of memory handing a batch to a worker");
}
