/* esm_internal.h - the event source mapping's private layout (sl_esm_t, its readers and slots) and the calls
 * its files make into each other: esm.c (entry points, concurrency), reader.c (polling, starting positions,
 * parents before children), slots.c (each slot's queue of pending records), batcher.c (forming and starting
 * batches), retry.c (what a failed invocation leads to), window.c (tumbling windows), destination.c is
 * public (destination.h). Included by runtime/esm/ only. */
#ifndef SHARDLAB_ESM_INTERNAL_H
#define SHARDLAB_ESM_INTERNAL_H

#include <stddef.h>

#include "shardlab/checkpoint.h"
#include "shardlab/esm.h"

/* One concurrency slot of a shard: its queue of pending records and the batch it runs. */
typedef struct sl__slot_s {
  const sl_record_t **queue;  /* pending records in sequence order; [0, batch_count) are the batch in flight */
  size_t head;                /* first live entry of queue */
  size_t count;               /* live entries */
  size_t cap;                 /* entries allocated */
  size_t batch_count;         /* records in the running or retrying batch (0: none) */
  uint32_t attempt;           /* attempt number of that batch */
  int running;                /* an invocation is in flight */
  int retry_wait;             /* the batch failed and waits for its retry */
  int waiting;                /* ready, but held back by a concurrency limit */
  int window_armed;           /* a batching-window callback is scheduled */
  int64_t window_deadline;    /* when the batching window of the queued records closes */
  int used;                   /* ran at least one batch */
  sl_batch_outcome_t outcome; /* what the running invocation will have done when it ends */
  size_t splits[40];          /* bisect_on_error: sizes of the halves still to run, the next on top */
  int split_depth;            /* entries in splits */
  size_t invoked;             /* records at the head of the queue that some invocation already carried */
  int final_pending;          /* tumbling windows: the window's final invocation is due (no records) */
} sl__slot_t;

/* The mapping's reader of one shard. */
typedef struct sl__reader_s {
  sl_shard_iterator_t it;     /* where it reads */
  int started;                /* iterator positioned (children start when their parents are done) */
  int64_t skip_before_ms;     /* AT_TIMESTAMP: records that arrived earlier are passed over (0: none) */
  int exhausted;              /* closed shard read to its end */
  uint64_t outstanding;       /* records read and not yet done */
  sl_checkpoint_t checkpoint; /* contiguous prefix of done records */
  sl_lanes_t *lanes;          /* which slot each record goes to */
  sl__slot_t *slots;          /* parallelization_factor of them */
  sl_hashkey_t *keys;         /* distinct partition keys seen (open addressing, 0 = empty) */
  size_t key_cap, key_count;
  int poll_armed;             /* a poll is scheduled */
  int behind;                 /* read limits: the last call left records to read (read again soon) */
  int64_t efo_bytes;          /* enhanced fan-out: the mapping's own bytes bucket for the shard, thousandths */
  int64_t efo_refilled_ms;    /* when it was last refilled (-1: never, the bucket starts full) */
  uint64_t frontier;          /* every record below it was invoked at least once (checkpoint persistence) */
  uint64_t resume_frontier;   /* records below it were invoked by an earlier run (0: none) */
  int64_t window;             /* tumbling windows: index of the open window (arrival ms / size), -1 when none */
  char *window_state;         /* its state as JSON (owned) */
  int window_early;           /* it is being closed because the shard ended */
  int window_overflow;        /* a state returned in it passed SL_WINDOW_STATE_LIMIT: it ends early (window.c) */
} sl__reader_t;

struct sl_esm_s {
  sl_esm_config_t config;
  sl_esm_host_t host;
  sl_stream_t *stream;
  int64_t now;                /* the host's time at the current entry point, us from the start of the run */
  sl__reader_t *readers;      /* by shard index */
  sl_shard_summary_t *shard_summaries; /* by shard index, beside readers */
  uint32_t reader_count;
  uint32_t running;           /* invocations in flight */
  uint32_t limit;             /* concurrency limit of the mapping */
  uint64_t outstanding;       /* records put and not yet done */
  uint32_t *waiting;          /* slots held back by the limit, FIFO */
  size_t waiting_head, waiting_count, waiting_cap;
  int64_t concurrency_since;  /* for the time-weighted mean */
  double concurrency_area;    /* integral of running over time, us */
  uint64_t *initial_next;     /* by shard index: records the stream held before the run (an earlier run's) */
  uint32_t initial_count;
  sl_stream_hold_t hold;      /* a shared stream's retention keeps what the mapping holds (!only_reader) */
  int holding;                /* hold is registered with the stream */
  int stopping;               /* sl_esm_stop: no new batches */
  int failed;
  sl_error_t error;           /* the first error */
};

/* esm.c */
int sl__esm_oom(sl_esm_t *esm);                           /* records "out of memory", returns SL_ENOMEM */
/* Room for one more invocation: under the mapping's limit and, with a shared account, the account's. */
int sl__esm_may_start(const sl_esm_t *esm);
/* The reader's checkpoint moved: tells the host (host.passed), which may free what every reader has passed. */
void sl__esm_passed(sl_esm_t *esm, const sl__reader_t *r);
int sl__esm_callback_failed(sl_esm_t *esm);               /* a callback filled esm->error: stop, return its code */
sl__reader_t *sl__esm_reader_of(sl_esm_t *esm, uint32_t slot, uint32_t *lane);
int sl__esm_schedule(sl_esm_t *esm, int64_t at_us, int type, uint32_t arg);
sl_second_t *sl__esm_second(sl_esm_t *esm);               /* the host's row of the current second */
void sl__esm_running_changed(sl_esm_t *esm, int delta);
int64_t sl__esm_now_ms(const sl_esm_t *esm);              /* wall time of now */
/* Adds n to one of the event counts (field: offsetof(sl_event_counts_t, ...)) of this second and the run. */
int sl__esm_count_events(sl_esm_t *esm, size_t field, uint64_t n);
#define SL__EVENTS(field) offsetof(sl_event_counts_t, field)

/* reader.c */
int sl__reader_read(sl_esm_t *esm, uint32_t shard);       /* reads what the shard has into its slots */
int sl__reader_poll(sl_esm_t *esm, uint32_t shard);       /* reads, starts what can start, keeps a poll armed */
int sl__reader_start_children(sl_esm_t *esm, uint32_t shard); /* a finished parent lets its children start */
void sl__readers_free(sl_esm_t *esm);

/* slots.c */
int sl__slot_push(sl__slot_t *s, const sl_record_t *rec);
/* Records [0, n) of the batch are done: out of the queue, out of their slot, into the checkpoint. */
int sl__slot_finish(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, size_t n);
int sl__slot_wait(sl_esm_t *esm, sl__slot_t *s, uint32_t slot); /* held back by the concurrency limit */
int sl__slots_wake(sl_esm_t *esm);                        /* starts waiting slots while concurrency allows */

/* batcher.c */
size_t sl__batch_payload(const sl_record_t *rec);         /* a record's share of the invocation payload */
int sl__batch_try_start(sl_esm_t *esm, uint32_t slot);    /* forms the slot's next batch and invokes it */

/* retry.c */
/* Records [0, n) of the batch leave without a successful delivery (to the destination, or dropped). */
int sl__retry_fail(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, size_t n, sl_failure_condition_t condition);
size_t sl__retry_too_old(const sl_esm_t *esm, const sl__slot_t *s); /* head records past maximum_record_age */
/* Head records of the batch older than the stream's retention leave, counted as expired; *expired: some did. */
int sl__retry_expire(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, int *expired);
int sl__retry_after(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot); /* the failed part of a batch */
int sl__retry_blocked(const sl_esm_t *esm, const sl__reader_t *r, const sl__slot_t *s); /* retry_blocks=shard */

/* window.c */
int64_t sl__window_of(const sl_esm_t *esm, const sl_record_t *rec); /* a record's tumbling window */
void sl__window_check_close(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s); /* is the final invocation due? */
int sl__window_open(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot);
int sl__window_outcome(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot);

#endif
