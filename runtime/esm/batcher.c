/* batcher.c - forming a slot's next batch and starting its invocation (DESIGN 4): a batch closes when it
 * holds batch_size records, when its batching window has passed, or at the 6 MB invocation payload; never
 * across tumbling windows; the other half of a bisected batch runs next on its own. Starting it counts the
 * invocation, the deliveries (duplicates too) and the iterator age. */
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"

/* AWS: "Lambda ... invokes your function when ... the payload reaches 6 MB". Estimated as the event's JSON:
 * base64 data, key, sequence number and the fixed fields of a record. */
#define PAYLOAD_LIMIT 6000000u
#define RECORD_OVERHEAD 400u

size_t sl__batch_payload(const sl_record_t *rec) {
  return (rec->data_len + 2) / 3 * 4 + rec->key_len + RECORD_OVERHEAD;
}

/* Records that fit one batch from the head of the queue: batch_size, the 6 MB payload, one tumbling window.
 * *full: nothing more could join it. */
static size_t batch_fit(const sl_esm_t *esm, const sl__slot_t *s, int *full) {
  size_t n = 0, bytes = 0, max = esm->config.mapping.batch_size;
  int windows = esm->config.mapping.tumbling_window_us > 0;
  *full = 0;
  while (n < s->count && n < max) {
    const sl_record_t *rec = s->queue[s->head + n];
    if (windows && n > 0 && sl__window_of(esm, rec) != sl__window_of(esm, s->queue[s->head])) {
      *full = 1;
      break;
    }
    size_t size = sl__batch_payload(rec);
    if (n > 0 && bytes + size > PAYLOAD_LIMIT) {
      *full = 1;
      break;
    }
    bytes += size;
    n++;
  }
  if (n == max) *full = 1;
  return n;
}

/* The slot's next batch when it has none: the other half of a bisection, or records from the head of the
 * queue once the batching window allows. *wait: the window is still open (no batch yet). */
static int next_batch(sl_esm_t *esm, sl__slot_t *s, uint32_t slot, int *wait) {
  *wait = 0;
  size_t n;
  if (s->split_depth > 0) {
    n = s->splits[--s->split_depth];
  } else {
    int full;
    n = batch_fit(esm, s, &full);
    int64_t window = esm->config.mapping.batching_window_us;
    if (window > 0 && !full) {
      if (!s->window_armed) {
        s->window_deadline = esm->now + window;
        s->window_armed = 1;
        if (sl__esm_schedule(esm, s->window_deadline, SL_ESM_EV_WINDOW, slot) != SL_OK) return SL_ENOMEM;
      }
      if (esm->now < s->window_deadline) {
        *wait = 1;
        return SL_OK;
      }
    }
    s->window_armed = 0;
  }
  s->batch_count = n;
  s->attempt = 1;
  return SL_OK;
}

/* Counts an invocation that starts now: per second, the summary, duplicates, the iterator age (how far behind
 * the newest record of the batch is when its invocation starts) and the frontier of invoked records.
 * The iterator age is AWS Lambda's IteratorAge ("Types of metrics for Lambda functions": "the age of the last
 * record in the event ... the time between when a stream receives the record and when the event source
 * mapping sends the event to the function"): the batch is in sequence order, so its last record is the
 * newest, and now is when the event is sent. CloudWatch gives it per minute (Maximum, Average); shardlab
 * keeps the maximum per second and over the run. */
static int count_start(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s) {
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  sl_summary_t *sum = esm->host.summary;
  sec->invocations++;
  if (sec->concurrency < esm->running) sec->concurrency = esm->running;
  if (s->batch_count > 0) {
    const sl_record_t *last = s->queue[s->head + s->batch_count - 1];
    int64_t age = sl__esm_now_ms(esm) - last->arrival_ms;
    if (age > sec->iterator_age_ms) sec->iterator_age_ms = age;
    if (age > sum->max_iterator_age_ms) sum->max_iterator_age_ms = age;
  }
  sum->invocations++;
  sum->deliveries += s->batch_count;
  /* Batches are taken from the head of the queue, so the records invoked before are a prefix of it. */
  sum->duplicate_deliveries += s->batch_count < s->invoked ? s->batch_count : s->invoked;
  for (size_t k = s->invoked; k < s->batch_count && r->resume_frontier > 0; k++) /* an earlier run invoked them */
    sum->duplicate_deliveries += s->queue[s->head + k]->counter < r->resume_frontier;
  if (s->batch_count > s->invoked) s->invoked = s->batch_count;
  if (s->batch_count > 0) {
    uint64_t last = s->queue[s->head + s->batch_count - 1]->counter + 1;
    if (last > r->frontier) r->frontier = last;
  }
  return SL_OK;
}

static int invoke(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t lane, uint32_t slot) {
  sl_batch_t batch = {r->it.shard, lane, slot, s->queue + s->head, s->batch_count, s->attempt, NULL};
  int64_t size_ms = esm->config.mapping.tumbling_window_us / 1000;
  sl_event_window_t window;
  if (size_ms > 0 && r->window >= 0) {
    window = (sl_event_window_t){r->window * size_ms, (r->window + 1) * size_ms, r->window_state, s->final_pending,
                                 s->final_pending && r->window_early};
    batch.window = &window;
  }
  sl_batch_outcome_t *out = &s->outcome;
  memset(out, 0, sizeof *out);
  int rc = esm->config.invoke(esm->config.ctx, &batch, esm->now, out, &esm->error);
  if (rc != SL_OK && rc != SL_PENDING) return sl__esm_callback_failed(esm);
  if (rc == SL_OK && out->duration_us < 1) out->duration_us = 1;
  s->running = 1;
  s->used = 1;
  sl__esm_running_changed(esm, +1);
  if (count_start(esm, r, s) != SL_OK) return SL_ENOMEM;
  if (rc == SL_PENDING) return SL_OK; /* the real clock reports the end through sl_esm_complete */
  return sl__esm_schedule(esm, esm->now + out->duration_us, SL_ESM_EV_DONE, slot);
}

/* Settles the slot's batch before it may run: records that can never be invoked (over the payload limit,
 * past maximum_record_age) leave first. *ready: there is a batch (or a window's final invocation) to run. */
static int settle_batch(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot, int *ready) {
  *ready = 0;
  for (;;) {
    if (s->running || s->retry_wait || esm->stopping) return SL_OK;
    sl__window_check_close(esm, r, s);
    if (s->final_pending) break; /* the final invocation carries no records */
    if (s->count == 0) return SL_OK;
    if (s->batch_count == 0) {
      int wait;
      if (next_batch(esm, s, slot, &wait) != SL_OK) return SL_ENOMEM;
      if (wait) return SL_OK;
    }
    /* A record larger than the 6 MB invocation payload can never be delivered: it goes to the destination. */
    if (s->batch_count == 1 && s->attempt == 1 && sl__batch_payload(s->queue[s->head]) > PAYLOAD_LIMIT) {
      s->attempt = 0; /* never invoked */
      if (sl__retry_fail(esm, r, s, 1, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED) != SL_OK) return SL_ENOMEM;
      continue;
    }
    /* Records past the stream's retention are gone from the stream: the batch loses them (AWS Lambda guide,
     * "Using Lambda with Kinesis": failed records are retried "until the record expires"). */
    int expired;
    if (sl__retry_expire(esm, r, s, &expired) != SL_OK) return SL_ENOMEM;
    if (expired) continue;
    /* AWS: records older than MaximumRecordAgeInSeconds are discarded (to the destination) rather than invoked. */
    size_t old = sl__retry_too_old(esm, s);
    if (old == 0) {
      if (sl__window_open(esm, r, s, slot) != SL_OK) return SL_ENOMEM;
      break;
    }
    if (sl__retry_fail(esm, r, s, old, SL_FAILURE_RECORD_AGE_EXCEEDED) != SL_OK) return SL_ENOMEM;
  }
  *ready = 1;
  return SL_OK;
}

int sl__batch_try_start(sl_esm_t *esm, uint32_t slot) {
  uint32_t lane;
  sl__reader_t *r = sl__esm_reader_of(esm, slot, &lane);
  sl__slot_t *s = &r->slots[lane];
  int ready;
  if (settle_batch(esm, r, s, slot, &ready) != SL_OK) return SL_ENOMEM;
  if (!ready || sl__retry_blocked(esm, r, s)) return SL_OK;
  if (!sl__esm_may_start(esm)) return sl__slot_wait(esm, s, slot);
  s->waiting = 0;
  return invoke(esm, r, s, lane, slot);
}
