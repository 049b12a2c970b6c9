/* sim_internal.h - the simulation's private layout, shared by sim.c (configuration, the event loop, the
 * steps the real clock drives), sim_producers.c (producers and their arrivals), sim_metrics.c (the series
 * and the summary) and sim_json.c (results as JSON). The mapping is a module of its own (esm.h): the
 * simulation is its host, scheduling its callbacks and giving it the metrics to write into. Included by
 * runtime/sim/ only. */
#ifndef SHARDLAB_SIM_INTERNAL_H
#define SHARDLAB_SIM_INTERNAL_H

#include "shardlab/sim.h"
#include "sim/event_queue.h"

/* The simulation's own events; then mapping m's event t (SL_ESM_EV_*) is EV_MAPPING + m * SL_ESM_EV_TYPES + t. */
enum { EV_PRODUCE, EV_ACTION, EV_CAPACITY, EV_FLUSH, EV_ANSWER, EV_MAPPING };

/* One mapping the run hosts (sim_mappings.c). With one mapping it writes into the run's summary and seconds;
 * with several, into its own, which sl__sim_mappings_total adds up into the run's. */
typedef struct sl__sim_mapping_s {
  struct sl_sim_s *sim;
  uint32_t index;
  sl_sim_mapping_t config;
  sl_esm_t *esm;
  sl_summary_t *summary;      /* where it counts: &own or the run's */
  sl_summary_t own;
  sl_second_t *seconds;       /* several mappings: its rows (one: NULL, it writes the run's) */
  size_t second_count, second_cap;
} sl__sim_mapping_t;

/* A batching producer's record waiting to be sent (sim_batching.c): key, data and explicit hash key in one
 * allocation. */
typedef struct sl__entry_s {
  char *bytes;                /* key_len bytes of key, data_len of data, then the explicit hash key and a NUL */
  size_t key_len, data_len;
  int has_ehk;
  int64_t arrived_us;
  uint64_t number;            /* the producer's record number (from 1), for errors */
} sl__entry_t;

/* A batching producer's buffer for one shard: a ring of entries, oldest first. */
typedef struct sl__shard_buffer_s {
  sl__entry_t *ring;
  size_t head, count, cap;
  uint64_t bytes;             /* keys and data of the entries */
  uint32_t in_flight;         /* its PutRecords not yet answered */
  int armed;                  /* a flush is scheduled */
  double tokens_records, tokens_bytes; /* the KPL's RateLimit: what may still be sent (refilled over time) */
  int64_t refilled_us;        /* when the tokens were last refilled (-1: never: a full bucket) */
} sl__shard_buffer_t;

/* A PutRecords in flight: the entries it had refused, to go back to the front of their buffer at the answer. */
typedef struct sl__request_s {
  uint32_t shard;
  sl__entry_t *refused;
  size_t refused_count;
} sl__request_t;

typedef struct sl__batcher_s {
  sl__shard_buffer_t *buffers;   /* by the shard index records were routed to when they arrived */
  size_t buffer_cap;
  sl__request_t *requests;       /* by request id; ids of answered ones are reused */
  size_t request_cap;
  uint32_t *free_ids;
  size_t free_count, used_ids;
  uint64_t buffered;             /* entries in its buffers */
  uint32_t in_flight;            /* its requests not yet answered */
  struct sl_kpl_builder_s *kpl;  /* aggregate = 1: packs a request's entries (kpl.h) */
} sl__batcher_t;

typedef struct sl__producer_s {
  sl_producer_config_t config;
  uint64_t next_i;            /* number of the next record (from 1) */
  int pending;                /* a throttled record waits for its retry */
  int64_t waiting_since;      /* Poisson: when the record waiting for its retry arrived (records_offered) */
  char *key, *data, *ehk;     /* its copy */
  size_t key_len, data_len;
  sl__batcher_t *batcher;     /* batching producers: buffers and requests (NULL: sync) */
  double fixed_exact;         /* fixed arrivals at a varying rate: the last one's exact time (-1: none) */
} sl__producer_t;

/* One shard's writes per second of the run. */
typedef struct sl__shard_series_s {
  sl_shard_second_t *seconds;
  size_t cap;
} sl__shard_series_t;

struct sl_sim_s {
  sl_sim_config_t config;
  sl_producer_config_t *producer_configs; /* owned copies */
  sl_action_t *actions;
  sl_stream_t *stream;
  sl__sim_mapping_t *mappings; /* the mappings it hosts (at least one) */
  uint32_t mapping_count;
  uint32_t running_total;     /* several mappings: invocations running across them (the run's concurrency) */
  uint32_t wake_next;         /* several mappings: which one the account's freed room goes to first next */
  uint32_t unreserved_pool;   /* several mappings: the account's concurrency less what mappings reserve */
  sl_shard_summary_t *shard_totals; /* several mappings: the shards' figures across mappings (at the end) */
  uint32_t shard_total_count;
  sl__producer_t *producers;
  sl__shard_series_t *shard_series; /* by shard index */
  size_t shard_series_cap;
  sl_event_queue_t events;
  int64_t now;                /* current time, us from the start */
  uint64_t rng;               /* arrivals */
  sl_summary_t summary;
  sl_second_t *seconds;
  size_t second_count, second_cap;
  sl_error_t error;           /* the first callback error */
  int failed;
  int stopping;               /* sl_sim_stop: no new records, no new batches */
  int64_t checkpoint_second;  /* the second the checkpoint callback last ran in */
  uint64_t producer_buffered; /* batching producers: records in their buffers now */
  struct sl_on_demand_s *on_demand; /* an on-demand stream the run owns: its scaling policy (sim_capacity.c) */
};

/* sim_mappings.c: the mappings' host */
int sl__sim_mappings_create(sl_sim_t *sim, sl_error_t *err);
void sl__sim_mappings_free(sl_sim_t *sim);
int sl__sim_mappings_event(sl_sim_t *sim, uint32_t type, uint32_t arg);   /* a mapping's event */
int sl__sim_mappings_add_readers(sl_sim_t *sim);                          /* after a resharding */
void sl__sim_mappings_records_put(sl_sim_t *sim, uint64_t n);
void sl__sim_mappings_stop(sl_sim_t *sim);
int sl__sim_mappings_idle(const sl_sim_t *sim);
uint32_t sl__sim_mappings_running(const sl_sim_t *sim);
uint32_t sl__sim_mappings_shards(const sl_sim_t *sim);                   /* shards some mapping reads */
const sl_error_t *sl__sim_mappings_error(const sl_sim_t *sim);           /* the first mapping's error, or NULL */
int sl__sim_mappings_note_running(sl_sim_t *sim); /* several: the run's concurrency, waking mappings (SL_ENOMEM) */
void sl__sim_mappings_total(sl_sim_t *sim, int final);                   /* several: the run's figures */

/* sim_producers.c */
/* sim_arrivals.c: when producer p's record i arrives, the previous one's time (or a wait's end) being after;
 * and records_offered for a new arrival (fresh) or the end of a wait. SL_OK or a rate function's error. */
int sl__sim_next_arrival(sl_sim_t *sim, uint32_t p, uint64_t i, int64_t after, int64_t *at);
int sl__sim_count_offered(sl_sim_t *sim, uint32_t p, int fresh, int wait_ended);
int sl__sim_produce(sl_sim_t *sim, uint32_t p, int64_t due_us);      /* EV_PRODUCE due at due_us */
/* sim_producers.c: one Kinesis record put into the stream as a producer puts it, holding user_records of the
 * producer's records (more than 1: a KPL aggregate), counted (SL_ETHROTTLED: refused by the write limits,
 * counted as throttled; another error stops the run, naming producer p's record i). */
int sl__sim_put(sl_sim_t *sim, uint32_t p, uint64_t i, const sl_produced_t *rec, uint64_t user_records);
/* sim_batching.c: batching producers (sl_batching_config_t) */
int sl__sim_batching_create(sl_sim_t *sim, uint32_t p);
void sl__sim_batching_free(sl__batcher_t *b);
int sl__sim_batching_arrive(sl_sim_t *sim, uint32_t p, const sl_produced_t *rec); /* record next_i arrived */
int sl__sim_batching_event(sl_sim_t *sim, uint32_t type, uint32_t arg);          /* EV_FLUSH, EV_ANSWER */
int sl__sim_batching_idle(const sl__batcher_t *b);
int sl__sim_producers_idle(const sl_sim_t *sim);                     /* no record waits for its retry */
void sl__sim_producers_free(sl_sim_t *sim);

/* sim_capacity.c: an on-demand stream's scaling, fed every second of the run (EV_CAPACITY) */
int sl__sim_capacity_begin(sl_sim_t *sim);                           /* SL_ENOMEM */
int sl__sim_capacity(sl_sim_t *sim);                                 /* EV_CAPACITY */
void sl__sim_capacity_free(sl_sim_t *sim);

/* sim_metrics.c */
sl_second_t *sl__sim_second_at(sl_sim_t *sim, int64_t at_us);        /* NULL when out of memory */
int sl__sim_count_shard_write(sl_sim_t *sim, uint32_t shard, size_t bytes); /* SL_ENOMEM */
void sl__sim_finish_metrics(sl_sim_t *sim);

#endif
