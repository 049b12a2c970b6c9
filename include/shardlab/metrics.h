/* metrics.h - what a run measures (DESIGN 9): a row per second of the run, a summary, and figures per shard.
 * The simulation owns them; the producers write the records-in side, the event source mapping (esm.h) the
 * invocation side. */
#ifndef SHARDLAB_METRICS_H
#define SHARDLAB_METRICS_H

#include <stdint.h>

/* The event source mapping's event counts, as AWS's MetricsConfig "EventCount" defines them (AWS Lambda
 * guide, "Event source mapping metrics"; records are events here). */
typedef struct sl_event_counts_s {
  /* PolledEventCount: "the number of events that Lambda reads successfully from the event source". */
  uint64_t polled;
  /* FilteredOutEventCount: "the number of events filtered out by that filter criteria". */
  uint64_t filtered_out;
  /* FailedInvokeEventCount: events of invocations that failed, "including any event with a non-empty
   * BatchItemFailures in the response": here the records a failed invocation leaves to be retried (the whole
   * batch on a function error, from the lowest failed item on with a partial batch response). */
  uint64_t failed_invoke;
  /* DroppedEventCount: "events that Lambda dropped due to expiry or retry exhaustion ... that exceed your
   * configured values for MaximumRecordAgeInSeconds or MaximumRetryAttempts"; not records expired by the
   * stream's retention, not records sent to an on-failure destination. */
  uint64_t dropped;
  /* OnFailureDestinationDeliveredEventCount: events sent to the on-failure destination. */
  uint64_t destination_delivered;
} sl_event_counts_t;

/* One second of the run (DESIGN 9). */
typedef struct sl_second_s {
  uint32_t concurrency;        /* most invocations running at once */
  uint32_t invocations;        /* invocations started */
  uint32_t errors;             /* invocations that failed */
  uint32_t throttles;          /* batches ready but held back by a concurrency limit */
  int64_t iterator_age_ms;     /* max age of the last record of batches started this second */
  uint64_t records_in;         /* records accepted by the stream */
  uint64_t records_throttled;  /* puts refused by write limits */
  uint64_t records_delivered;  /* records of invocations that ended this second, delivered successfully */
  uint64_t read_throttles;     /* the mapping's GetRecords calls refused by the shards' read limits */
  sl_event_counts_t events;    /* the mapping's event counts, AWS's EventCount metrics */
  uint64_t producer_buffered;  /* batching producers: the most records waiting in their buffers at once */
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
  /* Ordering lanes: the distinct keys of each lane (a key's lane is MD5(key) mod PF, lanes.h), the picture of
   * why a few keys leave lanes empty or crowded. Zeros with ordering keys, whose slots change hands. */
  uint32_t lane_keys[10];
} sl_shard_summary_t;

typedef struct sl_summary_s {
  uint64_t records_put, records_throttled, records_delivered, deliveries, invocations, errors;
  /* What the producers' rates asked for over the duration: fixed arrivals, every arrival time in [0, duration)
   * of each producer (counted when the run starts); Poisson, every arrival the process generated before
   * duration, those that fell due while the producer waited on a refused put included (drawn from a stream
   * of the run's seed of their own; an expected count above 100,000 in one wait). */
  uint64_t records_offered;
  uint64_t records_not_sent;   /* records_offered - records_put: never put (the producer waited, or stopped) */
  /* Batching producers: PutRecords calls made, entries sent again after a refusal, records dropped past
   * their record_ttl (records_put counts user records either way). */
  uint64_t producer_requests, producer_retries, producer_dropped;
  /* Kinesis records the stream took: records_put unless producers aggregate (KPL aggregates hold several user
   * records each; records_put counts user records, and the mappings deliver Kinesis records). */
  uint64_t kinesis_records_put;
  uint64_t timeouts;           /* invocations that ended with Sandbox.Timedout */
  uint32_t max_concurrency;
  double mean_concurrency;     /* time-weighted mean of running invocations while records flowed */
  int64_t max_iterator_age_ms;
  uint64_t records_failed, records_filtered, records_expired, cold_starts;
  uint64_t retries;            /* invocations that repeated records already invoked (bisected halves excluded) */
  uint64_t duplicate_deliveries; /* record deliveries beyond each record's first: at-least-once made visible */
  uint64_t windows_closed;     /* tumbling windows that had their final invocation */
  uint64_t read_throttles;     /* GetRecords calls of the mapping refused by the shards' read limits */
  sl_event_counts_t events;    /* AWS's EventCount metrics over the run; records_failed = dropped +
                                * destination_delivered, records_filtered = filtered_out */
  int64_t ended_us;            /* when the run ended (all delivered, or drain timeout) */
  int interrupted;             /* stopped by sl_sim_stop or the stop flag (Ctrl-C, either clock) before it was done */
} sl_summary_t;

#endif
