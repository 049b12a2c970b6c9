/* event_queue.h - the virtual clock's agenda: events ordered by time, ties by the order they were
 * scheduled, so a run is the same on every machine. A binary heap. Private to the simulation. */
#ifndef SHARDLAB_EVENT_QUEUE_H
#define SHARDLAB_EVENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_event_s {
  int64_t at_us;   /* when */
  uint64_t seq;    /* scheduling order, breaks ties */
  uint32_t type;   /* what (the simulation's own numbering) */
  uint32_t arg;    /* which producer, shard or slot */
} sl_event_t;

typedef struct sl_event_queue_s {
  sl_event_t *heap;
  size_t count;
  size_t cap;
  uint64_t next_seq;
} sl_event_queue_t;

void sl_event_queue_init(sl_event_queue_t *q);
void sl_event_queue_free(sl_event_queue_t *q);
/* SL_OK or SL_ENOMEM. */
int sl_event_queue_push(sl_event_queue_t *q, int64_t at_us, uint32_t type, uint32_t arg);
/* The earliest event, left in place; NULL when the queue is empty. */
const sl_event_t *sl_event_queue_peek(const sl_event_queue_t *q);
/* Removes the earliest event into *out; 0 when the queue is empty. */
int sl_event_queue_pop(sl_event_queue_t *q, sl_event_t *out);

#endif
