/* slots.c - the mapping's concurrency slots (DESIGN 4): each shard has parallelization_factor of them, each
 * with its queue of pending records in sequence order, of which the head is the batch it runs; records done
 * leave the queue, their slot (lanes.h: the ordering model) and enter the checkpoint; a slot that is ready
 * while the mapping is at its concurrency limit (or its account is, beside other mappings) waits in a FIFO and is
 * counted as a throttle. */
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"

int sl__slot_push(sl__slot_t *s, const sl_record_t *rec) {
  if (s->head + s->count == s->cap) {
    if (s->head > 0) {
      memmove(s->queue, s->queue + s->head, s->count * sizeof *s->queue);
      s->head = 0;
    } else {
      size_t cap = s->cap ? s->cap * 2 : 64;
      const sl_record_t **grown = realloc(s->queue, cap * sizeof *grown);
      if (grown == NULL) return SL_ENOMEM;
      s->queue = grown;
      s->cap = cap;
    }
  }
  s->queue[s->head + s->count++] = rec;
  return SL_OK;
}

int sl__slot_finish(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const sl_record_t *rec = s->queue[s->head + i];
    sl_lanes_release(r->lanes, sl_record_key_hash(rec), (uint32_t)(s - r->slots));
    if (sl_checkpoint_done(&r->checkpoint, rec->counter) != SL_OK) return sl__esm_oom(esm);
  }
  s->head += n;
  s->count -= n;
  s->batch_count -= n;
  s->invoked = s->invoked > n ? s->invoked - n : 0;
  r->outstanding -= n;
  esm->outstanding -= n;
  sl__esm_passed(esm, r);
  return SL_OK;
}

int sl__slot_wait(sl_esm_t *esm, sl__slot_t *s, uint32_t slot) {
  if (s->waiting) return SL_OK;
  s->waiting = 1;
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  sec->throttles++;
  if (esm->waiting_head + esm->waiting_count == esm->waiting_cap) {
    if (esm->waiting_head > 0) {
      memmove(esm->waiting, esm->waiting + esm->waiting_head, esm->waiting_count * sizeof *esm->waiting);
      esm->waiting_head = 0;
    } else {
      size_t cap = esm->waiting_cap ? esm->waiting_cap * 2 : 64;
      uint32_t *grown = realloc(esm->waiting, cap * sizeof *grown);
      if (grown == NULL) return sl__esm_oom(esm);
      esm->waiting = grown;
      esm->waiting_cap = cap;
    }
  }
  esm->waiting[esm->waiting_head + esm->waiting_count++] = slot;
  return SL_OK;
}

int sl__slots_wake(sl_esm_t *esm) {
  while (esm->waiting_count > 0 && sl__esm_may_start(esm)) {
    uint32_t next = esm->waiting[esm->waiting_head++], lane;
    esm->waiting_count--;
    sl__esm_reader_of(esm, next, &lane)->slots[lane].waiting = 0;
    if (sl__batch_try_start(esm, next) != SL_OK) return SL_ENOMEM;
  }
  return SL_OK;
}
