/* esm.h - the event source mapping (DESIGN 4, 5): per shard a reader polls the stream (parents before
 * children), records go to concurrency slots by the ordering model, each slot runs one batch at a time
 * (closed by size, batching window or 6 MB), failed batches are retried, bisected or sent to the on-failure
 * destination, tumbling windows carry state, and a checkpoint per shard follows what is done.
 *
 * The mapping has no clock and no event loop of its own: its host (the simulation, sim.h) calls it back at
 * the times it asks for through sl_esm_host_t, on the virtual or the real clock alike, and gives it the run's
 * metrics to write into. Invoking the handler and sending failed batches away are callbacks (the Lua layer's
 * environments and destination.h in a run; C functions in tests). */
#ifndef SHARDLAB_ESM_H
#define SHARDLAB_ESM_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/event.h"
#include "shardlab/filter.h"
#include "shardlab/lanes.h"
#include "shardlab/metrics.h"
#include "shardlab/stream.h"

/* --- batches and the handler ---------------------------------------------------------------------------- */

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
  char request_id[40];    /* the invocation's RequestId ("" when unknown): the on-failure record's requestId */
  int timed_out;          /* the invocation ended with Sandbox.Timedout (counted in the summary's timeouts) */
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
  const char *request_id;             /* RequestId of the batch's last invocation; NULL when none (never invoked) */
} sl_failure_t;

/* Sends a failed batch to the on-failure destination (optional: without one the records are dropped, and
 * counted either way). An error stops the run. */
typedef int (*sl_on_failure_fn)(void *ctx, const sl_failure_t *failure, sl_error_t *err);

/* --- configuration -------------------------------------------------------------------------------------- */

/* How the mapping reads the stream. Standard: GetRecords polling, sharing each shard's read limits with every
 * other standard reader. Enhanced fan-out (AWS: a registered stream consumer): records pushed over the
 * mapping's own connection, with a dedicated 2 MiB a second per shard and no call limit. */
typedef enum sl_consumer_e { SL_CONSUMER_STANDARD, SL_CONSUMER_EFO } sl_consumer_t;

/* AWS ("Developing enhanced fan-out consumers"): each consumer gets "up to 2 MB/second of data throughput per
 * shard", with "an average of 70 ms" from a record's arrival to the consumer. */
#define SL_EFO_BYTES_PER_SECOND (2u << 20)
#define SL_EFO_PROPAGATION_US INT64_C(70000)

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
  sl_consumer_t consumer;           /* standard (default) or enhanced fan-out */
} sl_mapping_config_t;

void sl_mapping_config_init(sl_mapping_config_t *m);
/* SL_OK, or SL_EINVAL naming the field out of AWS's range ("mapping.batch_size 0 is out of range ..."). */
int sl_mapping_config_check(const sl_mapping_config_t *m, sl_error_t *err);

/* --- the mapping ---------------------------------------------------------------------------------------- */

/* The callbacks the mapping schedules through its host: the host calls sl_esm_event with the same type and
 * arg at the time asked for. */
enum { SL_ESM_EV_POLL, SL_ESM_EV_DONE, SL_ESM_EV_WINDOW, SL_ESM_EV_RETRY, SL_ESM_EV_TYPES };

/* What the mapping needs from whoever drives it. */
typedef struct sl_esm_host_s {
  void *ctx;
  /* Calls sl_esm_event(esm, at_us, type, arg) back at at_us (not before). SL_OK or SL_ENOMEM. */
  int (*schedule)(void *ctx, int64_t at_us, int type, uint32_t arg);
  /* The run's row of the second that holds at_us; NULL when out of memory. */
  sl_second_t *(*second)(void *ctx, int64_t at_us);
  sl_summary_t *summary;   /* the run's summary: the mapping counts its invocations and records here */
  /* Optional: the mapping's checkpoint in shard moved to next (every record below it is done), so a host whose
   * mappings are the stream's only readers can free what all of them have passed (sl_stream_release). */
  void (*passed)(void *ctx, uint32_t shard, uint64_t next);
  /* Optional: nonzero when the account has room for one more invocation of this mapping (several mappings
   * share one account's concurrency); a batch that finds none waits as at the mapping's own limit, until the
   * host calls sl_esm_wake. */
  int (*account_room)(void *ctx);
} sl_esm_host_t;

typedef struct sl_esm_config_s {
  sl_mapping_config_t mapping;
  sl_invoke_fn invoke;
  sl_on_failure_fn on_failure;  /* optional */
  void *ctx;                    /* passed to invoke and on_failure */
  int64_t start_ms;             /* wall time the run's 0 stands for (ms since the epoch) */
  /* Optional, resuming: by shard index, read from resume_next (records below it are done) instead of the
   * starting position, and count deliveries of records below resume_frontier as duplicates. UINT64_MAX:
   * nothing for that shard. */
  const uint64_t *resume_next, *resume_frontier;
  uint32_t resume_count;
  /* Records are put by clients the host does not see (a served stream): every record read is one more for
   * the mapping to finish, rather than the ones the host reports with sl_esm_records_put. */
  int count_reads;
  /* The mapping is the stream's only reader: it holds nothing against the stream's retention (the host frees
   * what it has passed, host.passed). Off for a served stream, which clients read too, and beside other
   * mappings. */
  int only_reader;
} sl_esm_config_t;

typedef struct sl_esm_s sl_esm_t;

/* A mapping on stream (which must outlive it). Records the stream holds already (a durable stream's earlier
 * runs) are the mapping's to deliver too. */
int sl_esm_create(const sl_esm_config_t *c, const sl_esm_host_t *host, sl_stream_t *stream, sl_esm_t **out,
                  sl_error_t *err);
void sl_esm_destroy(sl_esm_t *esm);

/* Each entry point takes the host's time (never moving back). An error (out of memory, a callback's) stops
 * the mapping: sl_esm_error then tells what happened. */
/* Readers for the shards that have none yet (at the start, after a resharding). */
int sl_esm_add_readers(sl_esm_t *esm, int64_t now_us);
/* A callback the mapping scheduled. */
int sl_esm_event(sl_esm_t *esm, int64_t now_us, int type, uint32_t arg);
/* The end of an invocation whose invoke callback returned SL_PENDING. SL_EINVAL (in *err, the mapping goes on)
 * when slot has no invocation running. */
int sl_esm_complete(sl_esm_t *esm, int64_t now_us, uint32_t slot, const sl_batch_outcome_t *out, sl_error_t *err);
/* Batches waiting for room start if there is room now (another mapping of the account finished one). */
int sl_esm_wake(sl_esm_t *esm, int64_t now_us);
/* The host's producers put n records into the stream. */
void sl_esm_records_put(sl_esm_t *esm, uint64_t n);
/* No new batches from now on (running invocations still complete). */
void sl_esm_stop(sl_esm_t *esm);
/* Closes the metrics at now_us: mean concurrency, the figures per shard. */
void sl_esm_finish(sl_esm_t *esm, int64_t now_us);

/* Nothing left: every record put is done, no invocation runs, no tumbling window is open. */
int sl_esm_idle(const sl_esm_t *esm);
uint32_t sl_esm_running(const sl_esm_t *esm);
/* The first error that stopped the mapping, NULL when none. */
const sl_error_t *sl_esm_error(const sl_esm_t *esm);
/* Shards that have a reader (every shard of the stream once polled), and the figures of one of them. */
uint32_t sl_esm_shards(const sl_esm_t *esm);
const sl_shard_summary_t *sl_esm_shard_summary(const sl_esm_t *esm, uint32_t shard);
/* The mapping's position in shard i: every record below *next is done, records below *frontier were invoked.
 * 0 when its reader has not started (a child whose parents are not done). */
int sl_esm_checkpoint(const sl_esm_t *esm, uint32_t shard, uint64_t *next, uint64_t *frontier);

#endif
