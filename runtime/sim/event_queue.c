/* event_queue.c - a binary min-heap of events keyed by (time, scheduling order). */
#include "sim/event_queue.h"

#include <stdlib.h>

#include "shardlab/error.h"

void sl_event_queue_init(sl_event_queue_t *q) {
  q->heap = NULL;
  q->count = q->cap = 0;
  q->next_seq = 0;
}

void sl_event_queue_free(sl_event_queue_t *q) {
  free(q->heap);
  sl_event_queue_init(q);
}

static int before(const sl_event_t *a, const sl_event_t *b) {
  return a->at_us < b->at_us || (a->at_us == b->at_us && a->seq < b->seq);
}

int sl_event_queue_push(sl_event_queue_t *q, int64_t at_us, uint32_t type, uint32_t arg) {
  if (q->count == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    sl_event_t *grown = realloc(q->heap, cap * sizeof *grown);
    if (grown == NULL) return SL_ENOMEM;
    q->heap = grown;
    q->cap = cap;
  }
  sl_event_t e = {at_us, q->next_seq++, type, arg};
  size_t i = q->count++;
  while (i > 0 && before(&e, &q->heap[(i - 1) / 2])) {
    q->heap[i] = q->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->heap[i] = e;
  return SL_OK;
}

const sl_event_t *sl_event_queue_peek(const sl_event_queue_t *q) { return q->count ? &q->heap[0] : NULL; }

int sl_event_queue_pop(sl_event_queue_t *q, sl_event_t *out) {
  if (q->count == 0) return 0;
  *out = q->heap[0];
  sl_event_t last = q->heap[--q->count];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->count) break;
    if (c + 1 < q->count && before(&q->heap[c + 1], &q->heap[c])) c++;
    if (!before(&q->heap[c], &last)) break;
    q->heap[i] = q->heap[c];
    i = c;
  }
  if (q->count > 0) q->heap[i] = last;
  return 1;
}
