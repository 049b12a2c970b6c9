/* sim.h - an experiment on the virtual clock: producers put records into a stream, the event source mapping
 * reads each shard, forms batches per concurrency slot and invokes the handler, and metrics are kept per
 * second. Core code: producing a record and invoking a batch are callbacks, which the Lua layer provides
 * (scripts' record functions, handler environments) and tests replace with C. Deterministic: time is a
 * discrete-event clock in microseconds and ties are broken by the order events were scheduled. */
#ifndef SHARDLAB_SIM_H
#define SHARDLAB_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/event.h"
#include "shardlab/filter.h"
#include "shardlab/lanes.h"
#include "shardlab/stream.h"

/* --- callbacks ------------------------------------------------------------------------------------------ */

/* One record from a producer: pointers stay valid until the next call to the same producer. */
typedef struct sl_produced_s {
  const char *key;
  size_t key_len;
  const void *data;
  size_t data_len;
  const char *explicit_hash_key;  /* NULL or decimal text */
} sl_produced_t;

/* Asks producer `producer` for record number i (from 1) at time now_us. SL_OK, or an error with a message
 * (which stops the run). */
typedef int (*sl_produce_fn)(void *ctx, uint32_t producer, uint64_t i, int64_t now_us, sl_produced_t *out,
                             sl_error_t *err);

/* A batch handed to the handler. */
typedef struct sl_batch_s {
  const sl_shard_t *shard;         /* where the records come from */
  uint32_t lane;                   /* slot within the shard (0..PF-1) */
  uint32_t slot;                   /* concurrency slot across the mapping: shard index * PF + lane */
  const sl_record_t *const *records; /* in sequence order */
  size_t count;
  uint32_t attempt;                /* 1 for the first invocation of these records */
  const sl_event_window_t *window; /* tumbling windows: the window, its state and flags (NULL: none) */
} sl_batch_t;

typedef enum sl_batch_status_e { SL_BATCH_OK, SL_BATCH_PARTIAL, SL_BATCH_ERROR } sl_batch_status_t;

typedef struct sl_batch_outcome_s {
  sl_batch_status_t status;
  size_t lowest_failed;   /* PARTIAL: records from this index on are retried */
  int64_t duration_us;    /* how long the invocation took on the virtual clock (> 0) */
  int cold_start;         /* the invocation initialized its environment */
  int64_t init_us;        /* its init duration (cold starts) */
  char *state_json;       /* tumbling windows: the state returned, malloc'd by the invoker, freed by the simulation */
} sl_batch_outcome_t;

/* Invokes the handler with batch starting at start_us. SL_OK with *out filled (handler errors are outcomes,
 * not failures of the call); an error stops the run. On the real clock it may instead return SL_PENDING: the
 * invocation runs elsewhere (batch and its records stay valid until it ends) and its outcome comes back through
 * sl_sim_complete. */
typedef int (*sl_invoke_fn)(void *ctx, const sl_batch_t *batch, int64_t start_us, sl_batch_outcome_t *out,
                            sl_error_t *err);

/* Why records left the mapping without a successful delivery (AWS's on-failure record "condition"). */
typedef enum sl_failure_condition_e {
  SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED, /* "RetryAttemptsExhausted" */
  SL_FAILURE_RECORD_AGE_EXCEEDED       /* "RecordAgeExceeded" */
} sl_failure_condition_t;

typedef struct sl_failure_s {
  const sl_shard_t *shard;
  const sl_record_t *const *records;  /* the failed batch, in sequence order */
  size_t count;
  sl_failure_condition_t condition;
  uint32_t invoke_count;              /* invocations of this batch (approximateInvokeCount) */
  int64_t at_us;                      /* when it failed, from the start of the run */
} sl_failure_t;

/* Sends a failed batch to the on-failure destination (optional: without one the records are dropped, and
 * counted either way). An error stops the run. */
typedef int (*sl_on_failure_fn)(void *ctx, const sl_failure_t *failure, sl_error_t *err);

/* --- configuration -------------------------------------------------------------------------------------- */

typedef enum sl_arrivals_e { SL_ARRIVALS_POISSON, SL_ARRIVALS_FIXED } sl_arrivals_t;

typedef struct sl_producer_config_s {
  double rate;               /* records per second (> 0) */
  sl_arrivals_t arrivals;    /* poisson (default) or fixed spacing */
} sl_producer_config_t;

typedef struct sl_mapping_config_s {
  uint32_t batch_size;              /* 1..10000 (default 100) */
  int64_t batching_window_us;       /* 0..300 s (default 0) */
  uint32_t parallelization_factor;  /* 1..10 (default 1) */
  sl_ordering_t ordering;           /* lanes (default) or keys */
  uint32_t reserved_concurrency;    /* 0: none */
  uint32_t account_concurrency;     /* default 1,000 (AWS's default account limit) */
  sl_iterator_type_t starting_position; /* TRIM_HORIZON (default), LATEST or AT_TIMESTAMP */
  int64_t starting_timestamp_ms;    /* for AT_TIMESTAMP */
  int64_t poll_interval_us;         /* an idle shard is polled this often (default 1 s) */
  int64_t retry_backoff_us;         /* wait before retrying a failed batch (default 1 s) */
  int32_t maximum_retry_attempts;   /* -1 (default): until the records expire; else 0..10000 */
  int64_t maximum_record_age_us;    /* -1 (default): none; else 60..604800 s */
  int bisect_on_error;              /* split a failed batch in two and retry each half, first half first */
  int retry_blocks_shard;           /* a retrying batch holds back its whole shard, not only its lane */
  const sl_filter_t *filter;        /* records matching none of its patterns are filtered out (NULL: none) */
  int64_t tumbling_window_us;       /* 0 (default): none; else 1..900 s windows of arrival time per shard */
} sl_mapping_config_t;

/* A scripted resharding at a given time. */
typedef struct sl_action_s {
  int64_t at_us;               /* when, from the start of the run */
  uint32_t update_shard_count; /* uniform scaling to this count (0: none) */
} sl_action_t;

struct sl_summary_s; /* below */
struct sl_sim_s;

typedef struct sl_sim_config_s {
  sl_stream_config_t stream;        /* created at start_ms */
  const sl_producer_config_t *producers;
  uint32_t producer_count;
  sl_mapping_config_t mapping;
  const sl_action_t *actions;
  uint32_t action_count;
  int64_t start_ms;                 /* wall time the run pretends to start at (ms since the epoch) */
  int64_t duration_us;              /* producers stop after this */
  int64_t drain_timeout_us;         /* then the mapping drains for at most this long (default 600 s) */
  int64_t producer_backoff_us;      /* a throttled put is retried after this (default 100 ms) */
  uint64_t seed;                    /* arrivals */
  sl_produce_fn produce;
  sl_invoke_fn invoke;
  sl_on_failure_fn on_failure;      /* optional */
  void *ctx;                        /* passed to the callbacks */
  /* Optional: called whenever the simulated second changes (virtual clock) or a few times a second (real
   * clock), to show how the run goes (sl_sim_summary, sl_sim_now, sl_sim_running, sl_sim_iterator_age_ms). */
  void (*progress)(void *progress_ctx, const struct sl_sim_s *sim);
  void *progress_ctx;
  /* Optional: run on this stream instead of creating one from `stream` (a durable store's, which may hold
   * records of earlier runs: the mapping reads them too). The simulation does not destroy it. */
  sl_stream_t *existing_stream;
  /* Optional, resuming a mapping: by shard index (resume_count entries), read the shard from resume_next
   * (records below it are done) rather than from the starting position, and count deliveries of records
   * below resume_frontier (an earlier run had invoked them) as duplicates. UINT64_MAX: nothing for it. */
  const uint64_t *resume_next, *resume_frontier;
  uint32_t resume_count;
  /* Optional: called about once a second of the run's clock and at the end (final), to persist checkpoints
   * (sl_sim_checkpoint). */
  void (*checkpoint)(void *checkpoint_ctx, const struct sl_sim_s *sim, int final);
  void *checkpoint_ctx;
} sl_sim_config_t;

void sl_mapping_config_init(sl_mapping_config_t *m);
/* Defaults for everything but the callbacks, producers and stream name/shards. */
void sl_sim_config_init(sl_sim_config_t *c);

/* --- results -------------------------------------------------------------------------------------------- */

/* One second of the run (DESIGN 9). */
typedef struct sl_second_s {
  uint32_t concurrency;        /* most invocations running at once */
  uint32_t invocations;        /* invocations started */
  uint32_t errors;             /* invocations that failed */
  uint32_t throttles;          /* batches ready but held back by a concurrency limit */
  int64_t iterator_age_ms;     /* max age of the last record of batches started this second */
  uint64_t records_in;         /* records accepted by the stream */
  uint64_t records_throttled;  /* puts refused by write limits */
} sl_second_t;

/* One shard's writes in one second. */
typedef struct sl_shard_second_s {
  uint64_t records_in;
  uint64_t bytes_in;
} sl_shard_second_t;

typedef struct sl_shard_summary_s {
  uint64_t records_in;
  uint64_t bytes_in;
  uint64_t distinct_keys;  /* partition keys seen */
  uint32_t lanes_used;     /* slots that ran at least one batch */
} sl_shard_summary_t;

typedef struct sl_summary_s {
  uint64_t records_put, records_throttled, records_delivered, deliveries, invocations, errors;
  uint32_t max_concurrency;
  double mean_concurrency;     /* time-weighted mean of running invocations while records flowed */
  int64_t max_iterator_age_ms;
  uint64_t records_failed, records_filtered, records_expired, cold_starts;
  uint64_t retries;            /* invocations that repeated records already invoked (bisected halves excluded) */
  uint64_t duplicate_deliveries; /* record deliveries beyond each record's first: at-least-once made visible */
  uint64_t windows_closed;     /* tumbling windows that had their final invocation */
  int64_t ended_us;            /* when the run ended (all delivered, or drain timeout) */
  int interrupted;             /* stopped by sl_sim_stop (Ctrl-C on the real clock) before it was done */
} sl_summary_t;

typedef struct sl_sim_s sl_sim_t;

int sl_sim_create(const sl_sim_config_t *c, sl_sim_t **out, sl_error_t *err);
void sl_sim_destroy(sl_sim_t *sim);

/* Runs to the end. SL_OK, or the first callback error. */
int sl_sim_run(sl_sim_t *sim, sl_error_t *err);

/* --- a run driven step by step (the real clock: runtime/real/) -------------------------------------------
 * sl_sim_begin schedules the producers, readers and actions; sl_sim_advance moves the clock to now_us (never
 * back) and handles every event due by then; sl_sim_complete reports the end of an invocation that returned
 * SL_PENDING; sl_sim_stop stops producers and new batches (running invocations still complete); once
 * sl_sim_finished, sl_sim_end closes the metrics. Errors stop the run as in sl_sim_run. */
int sl_sim_begin(sl_sim_t *sim, sl_error_t *err);
/* *next_us: when the next event is due (-1: none). */
int sl_sim_advance(sl_sim_t *sim, int64_t now_us, int64_t *next_us, sl_error_t *err);
int sl_sim_complete(sl_sim_t *sim, uint32_t slot, const sl_batch_outcome_t *out, int64_t now_us, sl_error_t *err);
void sl_sim_stop(sl_sim_t *sim);
int sl_sim_finished(const sl_sim_t *sim);
void sl_sim_end(sl_sim_t *sim);

/* The mapping's position in shard i: every record below *next is done, records below *frontier were invoked.
 * 0 when its reader has not started (a child whose parents are not done). */
int sl_sim_checkpoint(const sl_sim_t *sim, uint32_t shard, uint64_t *next, uint64_t *frontier);

int64_t sl_sim_now(const sl_sim_t *sim);               /* us from the start of the run */
uint32_t sl_sim_running(const sl_sim_t *sim);          /* invocations in flight */
int64_t sl_sim_iterator_age_ms(const sl_sim_t *sim);   /* the iterator age of the current (or last) second */

const sl_summary_t *sl_sim_summary(const sl_sim_t *sim);
size_t sl_sim_seconds(const sl_sim_t *sim);
const sl_second_t *sl_sim_second(const sl_sim_t *sim, size_t i);
/* Per shard (every shard ever created, by index) of the run's stream. */
const sl_stream_t *sl_sim_stream(const sl_sim_t *sim);
const sl_shard_summary_t *sl_sim_shard_summary(const sl_sim_t *sim, uint32_t shard);
/* What shard took in second i (zeros when nothing, or when the shard did not exist yet). */
sl_shard_second_t sl_sim_shard_second(const sl_sim_t *sim, uint32_t shard, size_t i);

#endif
