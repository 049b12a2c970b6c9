/* sim_internal.h - the simulation's private layout, shared by sim.c (the run loop, producers, actions),
 * dispatcher.c (readers, slots, batches) and sim_metrics.c. */
#ifndef SHARDLAB_SIM_INTERNAL_H
#define SHARDLAB_SIM_INTERNAL_H

#include "shardlab/checkpoint.h"
#include "shardlab/sim.h"
#include "sim/event_queue.h"

enum { EV_PRODUCE, EV_POLL, EV_DONE, EV_WINDOW, EV_RETRY, EV_ACTION };

/* One concurrency slot of a shard: its queue of pending records and the batch it runs. */
typedef struct slot_s {
  const sl_record_t **queue;  /* pending records in sequence order; [0, batch_count) are the batch in flight */
  size_t head;                /* first live entry of queue */
  size_t count;               /* live entries */
  size_t cap;                 /* entries allocated */
  size_t batch_count;         /* records in the running or retrying batch (0: none) */
  uint32_t attempt;           /* attempt number of that batch */
  int running;                /* an invocation is in flight */
  int retry_wait;             /* the batch failed and waits for its retry */
  int waiting;                /* ready, but held back by a concurrency limit */
  int window_armed;           /* an EV_WINDOW is scheduled */
  int64_t window_deadline;    /* when the batching window of the queued records closes */
  int used;                   /* ran at least one batch */
  sl_batch_outcome_t outcome; /* what the running invocation will have done when it ends */
  size_t splits[40];          /* bisect_on_error: sizes of the halves still to run, the next on top */
  int split_depth;            /* entries in splits */
  size_t invoked;             /* records at the head of the queue that some invocation already carried */
  int final_pending;          /* tumbling windows: the window's final invocation is due (no records) */
} slot_t;

/* The mapping's reader of one shard. */
typedef struct reader_s {
  sl_shard_iterator_t it;     /* where it reads */
  int started;                /* iterator positioned (children start when their parents are done) */
  int64_t skip_before_ms;     /* AT_TIMESTAMP: records that arrived earlier are passed over (0: none) */
  int exhausted;              /* closed shard read to its end */
  uint64_t outstanding;       /* records read and not yet done */
  sl_checkpoint_t checkpoint; /* contiguous prefix of done records */
  sl_lanes_t *lanes;          /* which slot each record goes to */
  slot_t *slots;              /* parallelization_factor of them */
  sl_hashkey_t *keys;         /* distinct partition keys seen (open addressing, 0 = empty) */
  size_t key_cap, key_count;
  int poll_armed;             /* an EV_POLL is scheduled */
  uint64_t frontier;          /* every record below it was invoked at least once (checkpoint persistence) */
  uint64_t resume_frontier;   /* records below it were invoked by an earlier run (0: none) */
  int64_t window;             /* tumbling windows: index of the open window (arrival ms / size), -1 when none */
  char *window_state;         /* its state as JSON (owned) */
  int window_early;           /* it is being closed because the shard ended */
  sl_shard_second_t *seconds; /* writes per second, by second of the run */
  size_t second_cap;
} reader_t;

typedef struct producer_s {
  sl_producer_config_t config;
  uint64_t next_i;            /* number of the next record (from 1) */
  int pending;                /* a throttled record waits for its retry */
  char *key, *data, *ehk;     /* its copy */
  size_t key_len, data_len;
} producer_t;

struct sl_sim_s {
  sl_sim_config_t config;
  sl_producer_config_t *producer_configs; /* owned copies */
  sl_action_t *actions;
  sl_stream_t *stream;
  producer_t *producers;
  reader_t *readers;          /* by shard index */
  uint32_t reader_count;
  sl_event_queue_t events;
  int64_t now;                /* current time, us from the start */
  uint64_t rng;               /* arrivals */
  uint32_t running;           /* invocations in flight */
  uint32_t limit;             /* concurrency limit of the mapping */
  uint64_t outstanding;       /* records put and not yet done */
  uint32_t *waiting;          /* slots held back by the limit, FIFO */
  size_t waiting_head, waiting_count, waiting_cap;
  sl_summary_t summary;
  sl_second_t *seconds;
  size_t second_count, second_cap;
  sl_shard_summary_t *shard_summaries;
  int64_t concurrency_since;  /* for the time-weighted mean */
  double concurrency_area;    /* integral of running over time, us */
  sl_error_t error;           /* the first callback error */
  int failed;
  int stopping;               /* sl_sim_stop: no new records, no new batches */
  uint64_t *initial_next;     /* by shard index: records the stream held before the run (an earlier run's) */
  uint32_t initial_count;
  int64_t checkpoint_second;  /* the second the checkpoint callback last ran in */
};

/* dispatcher.c */
int sl_sim_add_readers(sl_sim_t *sim);                /* readers for shards that have none yet */
int sl_sim_poll(sl_sim_t *sim, uint32_t shard);       /* EV_POLL */
int sl_sim_batch_done(sl_sim_t *sim, uint32_t slot);  /* EV_DONE, or sl_sim_complete */
int sl_sim_try_start(sl_sim_t *sim, uint32_t slot);   /* EV_WINDOW, EV_RETRY, freed concurrency */
void sl_sim_free_readers(sl_sim_t *sim);

/* sim.c: calls the checkpoint callback when the run's second changed since its last call, or when final. */
void sl_sim_persist_checkpoints(sl_sim_t *sim, int final);

/* sim_metrics.c */
sl_second_t *sl_sim_second_at(sl_sim_t *sim, int64_t at_us); /* NULL when out of memory */
void sl_sim_running_changed(sl_sim_t *sim, int delta);
void sl_sim_finish_metrics(sl_sim_t *sim);

#endif
