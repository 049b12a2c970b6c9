/* sim.h - an experiment run: producers put records into a stream, scripted resharding happens on time, and
 * the event source mapping (esm.h) consumes the stream, all on one discrete-event clock in microseconds whose
 * ties are broken by the order events were scheduled (deterministic). The virtual clock runs it to the end
 * (sl_sim_run); the real clock (real.h) drives it step by step by wall time. Metrics are kept per second
 * (metrics.h). Producing a record is a callback, which the Lua layer provides (scripts' record functions)
 * and tests replace with C. */
#ifndef SHARDLAB_SIM_H
#define SHARDLAB_SIM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "shardlab/error.h"
#include "shardlab/esm.h"
#include "shardlab/metrics.h"
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

/* --- configuration -------------------------------------------------------------------------------------- */

typedef enum sl_arrivals_e { SL_ARRIVALS_POISSON, SL_ARRIVALS_FIXED } sl_arrivals_t;

/* How a producer sends (DESIGN 7). sync: one PutRecord at a time, waiting while it is refused. batching: as
 * the Kinesis Producer Library does, records buffered per shard and sent as PutRecords (sl_batching_config_t). */
typedef enum sl_producer_mode_e { SL_PRODUCER_SYNC = 0, SL_PRODUCER_BATCHING } sl_producer_mode_t;

/* A batching producer's settings, named after the KPL's (its default_config.properties, "KPL Configuration"
 * in the Kinesis Data Streams developer guide) where it has them. sl_batching_config_init gives the KPL's
 * defaults. */
typedef struct sl_batching_config_s {
  int64_t max_buffered_time_us;   /* RecordMaxBufferedTime: the most a record waits in the buffer (100 ms) */
  int64_t record_ttl_us;          /* RecordTtl: a record still unsent this long after it arrived is dropped
                                   * (30 s) */
  uint32_t collection_max_count;  /* CollectionMaxCount: records in one PutRecords (500, the API's most) */
  uint64_t collection_max_size;   /* CollectionMaxSize: bytes in one PutRecords (5 MiB, the API's most) */
  uint32_t max_outstanding;       /* PutRecords in flight per shard at once (shardlab's; KPL's MaxConnections
                                   * default, 24, is per process) */
  int64_t request_time_us;        /* how long a PutRecords takes to answer (shardlab's: 20 ms); > 0 */
  uint32_t rate_limit;            /* RateLimit: a shard's sends held to this percent of its write limits
                                   * (150; 0: none; only on a stream with write limits) */
  /* KPL aggregation (AggregationEnabled, off here unless asked): each PutRecords entry is a KPL aggregate of
   * consecutive records of the shard's buffer (kpl.h), up to aggregation_max_size bytes (AggregationMaxSize,
   * 51200) and aggregation_max_count records (AggregationMaxCount); a lone record goes as itself. */
  int aggregate;
  uint64_t aggregation_max_size;
  uint64_t aggregation_max_count;
  /* The partition key of an aggregate of several records: 0, the KPL's own single byte "a" (so Lambda sees one
   * key per shard); 1, the first record's key (as aws-kinesis-agg's aggregator gives it). Either way it routes
   * by the first record's hash key (its explicit hash key). */
  int aggregate_first_key;
} sl_batching_config_t;

void sl_batching_config_init(sl_batching_config_t *b);

/* A rate that varies in time: records per second at t_us (at least 0). SL_OK, or an error with a message. */
typedef int (*sl_rate_fn)(void *ctx, uint32_t producer, int64_t t_us, double *rate, sl_error_t *err);

typedef struct sl_producer_config_s {
  double rate;               /* records per second (> 0); with rate_at, the most it gives (arrivals are drawn
                              * under it: a rate_at above it counts as it) */
  sl_arrivals_t arrivals;    /* poisson (default) or fixed spacing */
  sl_rate_fn rate_at;        /* optional: the rate in time (called with the configuration's ctx) */
  /* Optional, recorded traffic: record i arrives at schedule[i - 1] (us from the start, never decreasing),
   * schedule_count records in all; rate, arrivals and rate_at are then unused. The caller's: it must outlive
   * the simulation. */
  const int64_t *schedule;
  uint64_t schedule_count;
  sl_producer_mode_t mode;          /* sync (default) or batching */
  sl_batching_config_t batching;    /* batching: its settings (sl_batching_config_init) */
} sl_producer_config_t;

/* A scripted resharding at a given time. */
typedef struct sl_action_s {
  int64_t at_us;               /* when, from the start of the run */
  uint32_t update_shard_count; /* uniform scaling to this count (0: none) */
} sl_action_t;

struct sl_sim_s;

/* One of several mappings on the run's stream (DESIGN 4: `mappings = {...}`): its settings, its callbacks and,
 * resuming, its checkpoints (as the single mapping's fields of sl_sim_config_t). Standard mappings share each
 * shard's read limits; each has its own concurrency, metrics and results. */
typedef struct sl_sim_mapping_s {
  sl_mapping_config_t mapping;
  sl_invoke_fn invoke;
  sl_on_failure_fn on_failure;      /* optional */
  void *ctx;                        /* passed to its invoke and on_failure */
  const uint64_t *resume_next, *resume_frontier;
  uint32_t resume_count;
} sl_sim_mapping_t;

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
  int stream_shared;                /* others read that stream too (a served one): the mapping frees nothing */
  /* Optional, resuming a mapping: by shard index (resume_count entries), read the shard from resume_next
   * (records below it are done) rather than from the starting position, and count deliveries of records
   * below resume_frontier (an earlier run had invoked them) as duplicates. UINT64_MAX: nothing for it. */
  const uint64_t *resume_next, *resume_frontier;
  uint32_t resume_count;
  /* Optional: called about once a second of the run's clock and at the end (final), to persist checkpoints
   * (sl_sim_checkpoint). */
  void (*checkpoint)(void *checkpoint_ctx, const struct sl_sim_s *sim, int final);
  void *checkpoint_ctx;
  /* Optional (the virtual clock): when *stop becomes non-zero (a signal handler sets it), sl_sim_run stops the
   * run at its next event as sl_sim_stop does, lets the running invocations end, and ends the run with the
   * summary's interrupted set. */
  volatile sig_atomic_t *stop;
  /* Optional, several mappings on the stream: mapping_count of them (copied), which replace the single mapping
   * of `mapping`, invoke, on_failure, ctx and resume_* above (those are then unused). 0: the single one. */
  const sl_sim_mapping_t *mappings;
  uint32_t mapping_count;
} sl_sim_config_t;

/* Defaults for everything but the callbacks, producers and stream name/shards. */
void sl_sim_config_init(sl_sim_config_t *c);

/* --- results -------------------------------------------------------------------------------------------- */

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
int sl_sim_complete(sl_sim_t *sim, uint32_t mapping, uint32_t slot, const sl_batch_outcome_t *out, int64_t now_us,
                    sl_error_t *err);
void sl_sim_stop(sl_sim_t *sim);
int sl_sim_finished(const sl_sim_t *sim);
void sl_sim_end(sl_sim_t *sim);
/* The real clock's periodic call (a few times a second): the progress callback, and the checkpoint callback
 * when the run's second has changed since it last ran. */
void sl_sim_tick(sl_sim_t *sim);
/* How long the producers run (the configuration's duration_us). */
int64_t sl_sim_duration_us(const sl_sim_t *sim);

/* Mapping m's position in shard i (m from 0, in the order of the configuration): every record below *next is
 * done, records below *frontier were invoked. 0 when its reader has not started (a child whose parents are not
 * done). */
int sl_sim_checkpoint(const sl_sim_t *sim, uint32_t mapping, uint32_t shard, uint64_t *next, uint64_t *frontier);

int64_t sl_sim_now(const sl_sim_t *sim);               /* us from the start of the run */
uint32_t sl_sim_running(const sl_sim_t *sim);          /* invocations in flight */
int64_t sl_sim_iterator_age_ms(const sl_sim_t *sim);   /* the iterator age of the current (or last) second */

/* The run's summary and series. With several mappings their mapping figures are the mappings' together:
 * counts added up, max_iterator_age_ms the largest, concurrency what ran across mappings at once (per second
 * and max_concurrency; mean_concurrency the sum of the mappings' means). Each mapping's own are below. */
const sl_summary_t *sl_sim_summary(const sl_sim_t *sim);
size_t sl_sim_seconds(const sl_sim_t *sim);
const sl_second_t *sl_sim_second(const sl_sim_t *sim, size_t i);
/* Per shard (every shard ever created, by index) of the run's stream. With several mappings, distinct_keys is
 * the most any mapping read and lanes_used the slots used in all of them (lane_keys: zeros). */
const sl_stream_t *sl_sim_stream(const sl_sim_t *sim);
const sl_shard_summary_t *sl_sim_shard_summary(const sl_sim_t *sim, uint32_t shard);

/* The mappings (1 when the configuration has none of `mappings`), and each one's own figures: its summary
 * (its mapping figures; the producers' are the run's), its seconds and its shards. With one mapping they are
 * the run's. */
uint32_t sl_sim_mapping_count(const sl_sim_t *sim);
/* Nonzero when some producer of the run batches (mode batching). */
int sl_sim_batching(const sl_sim_t *sim);
const sl_summary_t *sl_sim_mapping_summary(const sl_sim_t *sim, uint32_t mapping);
const sl_second_t *sl_sim_mapping_second(const sl_sim_t *sim, uint32_t mapping, size_t i);
const sl_shard_summary_t *sl_sim_mapping_shard_summary(const sl_sim_t *sim, uint32_t mapping, uint32_t shard);
const sl_mapping_config_t *sl_sim_mapping_config(const sl_sim_t *sim, uint32_t mapping);
/* The run's results as JSON (DESIGN 9): the summary object (with "shards") and the per-second series. New
 * references, NULL when out of memory. */
json_t *sl_sim_summary_json(const sl_sim_t *sim);
json_t *sl_sim_series_json(const sl_sim_t *sim);
/* One mapping's own results: its summary (the mapping figures, and its shards) and its series (the mapping's
 * columns of each second). New references, NULL when out of memory. */
json_t *sl_sim_mapping_summary_json(const sl_sim_t *sim, uint32_t mapping);
json_t *sl_sim_mapping_series_json(const sl_sim_t *sim, uint32_t mapping);
/* What shard took in second i (zeros when nothing, or when the shard did not exist yet). */
sl_shard_second_t sl_sim_shard_second(const sl_sim_t *sim, uint32_t shard, size_t i);

#endif
