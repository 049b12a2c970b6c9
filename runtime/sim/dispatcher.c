/* dispatcher.c - the event source mapping on the virtual clock (DESIGN 4): one reader per shard, records
 * assigned to slots by the ordering model, a batch per slot at a time (closed by size, window or 6 MB), the
 * concurrency limits, retries, checkpoints, and children read only after their parents are done. */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

/* AWS: "Lambda ... invokes your function when ... the payload reaches 6 MB". Estimated as the event's JSON:
 * base64 data, key, sequence number and the fixed fields of a record. */
#define PAYLOAD_LIMIT 6000000u
#define RECORD_OVERHEAD 400u

static reader_t *reader_of(sl_sim_t *sim, uint32_t slot, uint32_t *lane) {
  uint32_t pf = sim->config.mapping.parallelization_factor;
  *lane = slot % pf;
  return &sim->readers[slot / pf];
}

static int fail_oom(sl_sim_t *sim) {
  sim->failed = 1;
  return sl_error_set(&sim->error, SL_ENOMEM, "out of memory in the simulation");
}

/* --- readers --------------------------------------------------------------------------------------------- */

int sl_sim_add_readers(sl_sim_t *sim) {
  uint32_t total = sl_stream_shard_total(sim->stream), pf = sim->config.mapping.parallelization_factor;
  if (total <= sim->reader_count) return SL_OK;
  reader_t *grown = realloc(sim->readers, total * sizeof *grown);
  sl_shard_summary_t *sums = realloc(sim->shard_summaries, total * sizeof *sums);
  if (grown == NULL || sums == NULL) {
    if (grown) sim->readers = grown;
    if (sums) sim->shard_summaries = sums;
    return fail_oom(sim);
  }
  sim->readers = grown;
  sim->shard_summaries = sums;
  for (uint32_t i = sim->reader_count; i < total; i++) {
    reader_t *r = &sim->readers[i];
    memset(r, 0, sizeof *r);
    memset(&sums[i], 0, sizeof sums[i]);
    r->it.shard = sl_stream_shard(sim->stream, i);
    sl_checkpoint_init(&r->checkpoint, 0);
    r->window = -1;
    r->slots = calloc(pf, sizeof *r->slots);
    if (r->slots == NULL || sl_lanes_create(pf, sim->config.mapping.ordering, &r->lanes, NULL) != SL_OK) {
      sim->reader_count = i + 1;
      return fail_oom(sim);
    }
    sim->reader_count = i + 1;
    if (sl_event_queue_push(&sim->events, sim->now, EV_POLL, i) != SL_OK) return fail_oom(sim);
    r->poll_armed = 1;
  }
  return SL_OK;
}

void sl_sim_free_readers(sl_sim_t *sim) {
  uint32_t pf = sim->config.mapping.parallelization_factor;
  for (uint32_t i = 0; i < sim->reader_count; i++) {
    reader_t *r = &sim->readers[i];
    if (r->slots != NULL)
      for (uint32_t l = 0; l < pf; l++) free(r->slots[l].queue);
    free(r->slots);
    free(r->keys);
    free(r->seconds);
    free(r->window_state);
    sl_lanes_destroy(r->lanes);
    sl_checkpoint_free(&r->checkpoint);
  }
  free(sim->readers);
  sim->readers = NULL;
  sim->reader_count = 0;
}

/* A parent is done when it was read to its end and every record it had is done. */
static int parent_done(sl_sim_t *sim, int32_t parent) {
  if (parent < 0) return 1;
  reader_t *p = &sim->readers[parent];
  return p->exhausted && p->outstanding == 0;
}

static int start_reader(sl_sim_t *sim, reader_t *r) {
  const sl_shard_t *shard = r->it.shard;
  if (!parent_done(sim, shard->parent) || !parent_done(sim, shard->adjacent_parent)) return 0;
  const sl_mapping_config_t *m = &sim->config.mapping;
  /* Shards present at the start honour the starting position; children are read from their beginning. */
  sl_iterator_type_t type = shard->parent < 0 ? m->starting_position : SL_ITER_TRIM_HORIZON;
  uint32_t i = shard->index;
  int resumed = i < sim->config.resume_count && sim->config.resume_next[i] != UINT64_MAX;
  if (resumed) type = SL_ITER_TRIM_HORIZON; /* then moved to the checkpoint */
  sl_shard_iterator_init(&r->it, shard, type, NULL, m->starting_timestamp_ms, NULL);
  if (resumed) {
    uint64_t next = sim->config.resume_next[i], end = sl_shard_log_next(shard->log);
    if (next > r->it.next) r->it.next = next < end ? next : end;
    r->resume_frontier = sim->config.resume_frontier[i];
  } else if (type == SL_ITER_AT_TIMESTAMP) {
    r->skip_before_ms = m->starting_timestamp_ms;
  }
  sl_checkpoint_init(&r->checkpoint, r->it.next);
  r->frontier = r->it.next;
  /* Records an earlier run left in a durable stream are the mapping's to deliver too. */
  if (i < sim->initial_count && sim->initial_next[i] > r->it.next) sim->outstanding += sim->initial_next[i] - r->it.next;
  r->started = 1;
  return 1;
}

static int slot_push(slot_t *s, const sl_record_t *rec) {
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

static int note_key(reader_t *r, sl_hashkey_t h, sl_shard_summary_t *sum) {
  if (h == 0) h = 1; /* 0 marks an empty entry; an MD5 of 0 is not a concern */
  if ((r->key_count + 1) * 2 > r->key_cap) {
    size_t cap = r->key_cap ? r->key_cap * 2 : 64;
    sl_hashkey_t *keys = calloc(cap, sizeof *keys);
    if (keys == NULL) return SL_ENOMEM;
    for (size_t i = 0; i < r->key_cap; i++) {
      if (r->keys[i] == 0) continue;
      size_t j = (size_t)r->keys[i] & (cap - 1);
      while (keys[j] != 0) j = (j + 1) & (cap - 1);
      keys[j] = r->keys[i];
    }
    free(r->keys);
    r->keys = keys;
    r->key_cap = cap;
  }
  size_t j = (size_t)h & (r->key_cap - 1);
  while (r->keys[j] != 0 && r->keys[j] != h) j = (j + 1) & (r->key_cap - 1);
  if (r->keys[j] == 0) {
    r->keys[j] = h;
    r->key_count++;
    sum->distinct_keys++;
  }
  return SL_OK;
}

/* Reads what the shard has, assigning records to slots. */
static int read_shard(sl_sim_t *sim, uint32_t shard) {
  reader_t *r = &sim->readers[shard];
  if (!r->started && !start_reader(sim, r)) return SL_OK;
  const sl_record_t *recs[256];
  int n;
  uint64_t expired = 0;
  while ((n = sl_shard_iterator_read(&r->it, recs, 256, &expired)) > 0) {
    for (int i = 0; i < n; i++) {
      const sl_filter_t *filter = sim->config.mapping.filter;
      if (filter != NULL && !sl_filter_match(filter, SL_RECORD_KEY(recs[i]), recs[i]->key_len, SL_RECORD_DATA(recs[i]),
                                             recs[i]->data_len)) { /* filtered out: checkpointed and counted */
        if (sl_checkpoint_done(&r->checkpoint, recs[i]->counter) != SL_OK) return fail_oom(sim);
        sim->outstanding--;
        sim->summary.records_filtered++;
        continue;
      }
      if (recs[i]->arrival_ms < r->skip_before_ms) { /* before the mapping's starting timestamp: not for it */
        if (sl_checkpoint_done(&r->checkpoint, recs[i]->counter) != SL_OK) return fail_oom(sim);
        sim->outstanding--;
        continue;
      }
      sl_hashkey_t key = sl_record_key_hash(recs[i]);
      int lane = sl_lanes_assign(r->lanes, key);
      if (lane < 0 || slot_push(&r->slots[lane], recs[i]) != SL_OK ||
          note_key(r, key, &sim->shard_summaries[shard]) != SL_OK)
        return fail_oom(sim);
      r->outstanding++;
      /* Records clients put into a served stream (no producers here) are the mapping's to deliver. */
      if (sim->config.producer_count == 0 && (shard >= sim->initial_count || recs[i]->counter >= sim->initial_next[shard]))
        sim->outstanding++;
    }
  }
  sim->summary.records_expired += expired;
  if (n == SL_ECLOSED) r->exhausted = 1;
  return SL_OK;
}

/* Reads the shard and starts what can start; keeps one poll scheduled while the shard is not read to its end
 * (an idle shard is polled every poll_interval). */
static int poll_shard(sl_sim_t *sim, uint32_t shard) {
  reader_t *r = &sim->readers[shard];
  if (read_shard(sim, shard) != SL_OK) return SL_ENOMEM;
  uint32_t pf = sim->config.mapping.parallelization_factor;
  for (uint32_t l = 0; l < pf; l++)
    if (sl_sim_try_start(sim, shard * pf + l) != SL_OK) return SL_ENOMEM;
  if (!r->exhausted && !r->poll_armed) {
    if (sl_event_queue_push(&sim->events, sim->now + sim->config.mapping.poll_interval_us, EV_POLL, shard) != SL_OK)
      return fail_oom(sim);
    r->poll_armed = 1;
  }
  return SL_OK;
}

int sl_sim_poll(sl_sim_t *sim, uint32_t shard) {
  sim->readers[shard].poll_armed = 0; /* this was the scheduled poll */
  /* Shards made by someone else (a client resharding a served stream) get readers when a poll notices them. */
  if (sl_stream_shard_total(sim->stream) > sim->reader_count && sl_sim_add_readers(sim) != SL_OK) return SL_ENOMEM;
  return poll_shard(sim, shard);
}

/* --- batches -------------------------------------------------------------------------------------------- */

/* Records that fit one batch from the head of the queue: batch_size, and the 6 MB payload limit. */
/* A record's share of the invocation payload. */
static size_t payload_of(const sl_record_t *rec) { return (rec->data_len + 2) / 3 * 4 + rec->key_len + RECORD_OVERHEAD; }

/* The tumbling window a record belongs to (by arrival time). */
static int64_t window_of(const sl_sim_t *sim, const sl_record_t *rec) {
  return rec->arrival_ms / (sim->config.mapping.tumbling_window_us / 1000);
}

static size_t batch_fit(const sl_sim_t *sim, const slot_t *s, int *full) {
  size_t n = 0, bytes = 0, max = sim->config.mapping.batch_size;
  int windows = sim->config.mapping.tumbling_window_us > 0;
  *full = 0;
  while (n < s->count && n < max) {
    const sl_record_t *rec = s->queue[s->head + n];
    if (windows && n > 0 && window_of(sim, rec) != window_of(sim, s->queue[s->head])) { /* never across windows */
      *full = 1;
      break;
    }
    size_t size = payload_of(rec);
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

static int wait_for_concurrency(sl_sim_t *sim, slot_t *s, uint32_t slot) {
  if (s->waiting) return SL_OK;
  s->waiting = 1;
  sl_second_t *sec = sl_sim_second_at(sim, sim->now);
  if (sec == NULL) return fail_oom(sim);
  sec->throttles++;
  if (sim->waiting_head + sim->waiting_count == sim->waiting_cap) {
    if (sim->waiting_head > 0) {
      memmove(sim->waiting, sim->waiting + sim->waiting_head, sim->waiting_count * sizeof *sim->waiting);
      sim->waiting_head = 0;
    } else {
      size_t cap = sim->waiting_cap ? sim->waiting_cap * 2 : 64;
      uint32_t *grown = realloc(sim->waiting, cap * sizeof *grown);
      if (grown == NULL) return fail_oom(sim);
      sim->waiting = grown;
      sim->waiting_cap = cap;
    }
  }
  sim->waiting[sim->waiting_head + sim->waiting_count++] = slot;
  return SL_OK;
}

static int invoke(sl_sim_t *sim, reader_t *r, slot_t *s, uint32_t lane, uint32_t slot) {
  sl_batch_t batch = {r->it.shard, lane, slot, s->queue + s->head, s->batch_count, s->attempt, NULL};
  int64_t size_ms = sim->config.mapping.tumbling_window_us / 1000;
  sl_event_window_t window;
  if (size_ms > 0 && r->window >= 0) {
    window = (sl_event_window_t){r->window * size_ms, (r->window + 1) * size_ms, r->window_state, s->final_pending,
                                 s->final_pending && r->window_early};
    batch.window = &window;
  }
  sl_batch_outcome_t *out = &s->outcome;
  memset(out, 0, sizeof *out);
  int rc = sim->config.invoke(sim->config.ctx, &batch, sim->now, out, &sim->error);
  if (rc != SL_OK && rc != SL_PENDING) {
    sim->failed = 1;
    return sim->error.code ? sim->error.code : SL_EINVAL;
  }
  if (rc == SL_OK && out->duration_us < 1) out->duration_us = 1;
  s->running = 1;
  s->used = 1;
  sl_sim_running_changed(sim, +1);
  sl_second_t *sec = sl_sim_second_at(sim, sim->now);
  if (sec == NULL) return fail_oom(sim);
  sec->invocations++;
  if (sec->concurrency < sim->running) sec->concurrency = sim->running;
  /* Iterator age: how far behind the newest record of the batch is when its invocation starts. */
  if (s->batch_count > 0) {
    const sl_record_t *last = s->queue[s->head + s->batch_count - 1];
    int64_t age = sim->config.start_ms + sim->now / 1000 - last->arrival_ms;
    if (age > sec->iterator_age_ms) sec->iterator_age_ms = age;
    if (age > sim->summary.max_iterator_age_ms) sim->summary.max_iterator_age_ms = age;
  }
  sim->summary.invocations++;
  sim->summary.deliveries += s->batch_count;
  /* Batches are taken from the head of the queue, so the records invoked before are a prefix of it. */
  sim->summary.duplicate_deliveries += s->batch_count < s->invoked ? s->batch_count : s->invoked;
  for (size_t k = s->invoked; k < s->batch_count && r->resume_frontier > 0; k++) /* an earlier run invoked them */
    sim->summary.duplicate_deliveries += s->queue[s->head + k]->counter < r->resume_frontier;
  if (s->batch_count > s->invoked) s->invoked = s->batch_count;
  if (s->batch_count > 0) {
    uint64_t last = s->queue[s->head + s->batch_count - 1]->counter + 1;
    if (last > r->frontier) r->frontier = last;
  }
  if (rc == SL_PENDING) return SL_OK; /* the real clock reports the end through sl_sim_complete */
  if (sl_event_queue_push(&sim->events, sim->now + out->duration_us, EV_DONE, slot) != SL_OK) return fail_oom(sim);
  return SL_OK;
}

static int fail_records(sl_sim_t *sim, reader_t *r, slot_t *s, size_t n, sl_failure_condition_t condition);

/* With retry_blocks = "shard", a batch being retried holds back every other slot of its shard. */
static int shard_blocked(const sl_sim_t *sim, const reader_t *r, const slot_t *s) {
  if (!sim->config.mapping.retry_blocks_shard) return 0;
  for (uint32_t l = 0; l < sim->config.mapping.parallelization_factor; l++) {
    const slot_t *o = &r->slots[l];
    if (o != s && o->batch_count > 0 && (o->retry_wait || o->attempt > 1)) return 1;
  }
  return 0;
}

/* Records at the head of the batch older than maximum_record_age: they are not invoked again. */
static size_t too_old(const sl_sim_t *sim, const slot_t *s) {
  int64_t max_age = sim->config.mapping.maximum_record_age_us;
  if (max_age < 0) return 0;
  int64_t now_ms = sim->config.start_ms + sim->now / 1000, n = 0;
  while ((size_t)n < s->batch_count && now_ms - s->queue[s->head + n]->arrival_ms > max_age / 1000) n++;
  return (size_t)n;
}

int sl_sim_try_start(sl_sim_t *sim, uint32_t slot) {
  uint32_t lane;
  reader_t *r = reader_of(sim, slot, &lane);
  slot_t *s = &r->slots[lane];
  int64_t window_us = sim->config.mapping.tumbling_window_us;
  for (;;) {
    if (s->running || s->retry_wait || sim->stopping) return SL_OK;
    if (window_us > 0 && r->window >= 0 && s->batch_count == 0 && !s->final_pending) {
      /* The open window closes when the next record belongs to a later one, when the shard has ended (early),
       * or when its end has passed and a poll found nothing more for it. */
      int64_t end_us = ((r->window + 1) * (window_us / 1000) - sim->config.start_ms) * 1000;
      if (s->count > 0 ? window_of(sim, s->queue[s->head]) != r->window
                       : r->exhausted || sim->now >= end_us + sim->config.mapping.poll_interval_us) {
        s->final_pending = 1;
        r->window_early = s->count == 0 && r->exhausted && sim->now < end_us;
      }
    }
    if (s->final_pending) break; /* the final invocation carries no records */
    if (s->count == 0) return SL_OK;
    if (s->batch_count == 0) {
      size_t n;
      if (s->split_depth > 0) { /* the other half of a bisected batch runs next, on its own */
        n = s->splits[--s->split_depth];
      } else { /* a new batch: apply the batching window */
        int full;
        n = batch_fit(sim, s, &full);
        int64_t window = sim->config.mapping.batching_window_us;
        if (window > 0 && !full) {
          if (!s->window_armed) {
            s->window_deadline = sim->now + window;
            s->window_armed = 1;
            if (sl_event_queue_push(&sim->events, s->window_deadline, EV_WINDOW, slot) != SL_OK) return fail_oom(sim);
          }
          if (sim->now < s->window_deadline) return SL_OK;
        }
        s->window_armed = 0;
      }
      s->batch_count = n;
      s->attempt = 1;
    }
    /* A record larger than the 6 MB invocation payload can never be delivered: it goes to the destination. */
    if (s->batch_count == 1 && s->attempt == 1 && payload_of(s->queue[s->head]) > PAYLOAD_LIMIT) {
      s->attempt = 0; /* never invoked */
      if (fail_records(sim, r, s, 1, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED) != SL_OK) return SL_ENOMEM;
      continue;
    }
    /* AWS: records older than MaximumRecordAgeInSeconds are discarded (to the destination) rather than invoked. */
    size_t old = too_old(sim, s);
    if (old == 0) {
      if (window_us > 0 && r->window < 0) { /* the first batch of a window opens it with a fresh state */
        r->window = window_of(sim, s->queue[s->head]);
        free(r->window_state);
        r->window_state = malloc(3);
        if (r->window_state == NULL) return fail_oom(sim);
        memcpy(r->window_state, "{}", 3);
        int64_t end_us = ((r->window + 1) * (window_us / 1000) - sim->config.start_ms) * 1000;
        if (sl_event_queue_push(&sim->events, end_us + sim->config.mapping.poll_interval_us, EV_WINDOW, slot) != SL_OK)
          return fail_oom(sim);
      }
      break;
    }
    if (fail_records(sim, r, s, old, SL_FAILURE_RECORD_AGE_EXCEEDED) != SL_OK) return SL_ENOMEM;
  }
  if (shard_blocked(sim, r, s)) return SL_OK;
  if (sim->running >= sim->limit) return wait_for_concurrency(sim, s, slot);
  s->waiting = 0;
  return invoke(sim, r, s, lane, slot);
}

/* Records [0, n) of the batch are done: out of the queue, out of their slot, into the checkpoint. */
static int finish_records(sl_sim_t *sim, reader_t *r, slot_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const sl_record_t *rec = s->queue[s->head + i];
    sl_lanes_release(r->lanes, sl_record_key_hash(rec), (uint32_t)(s - r->slots));
    if (sl_checkpoint_done(&r->checkpoint, rec->counter) != SL_OK) return fail_oom(sim);
  }
  s->head += n;
  s->count -= n;
  s->batch_count -= n;
  s->invoked = s->invoked > n ? s->invoked - n : 0;
  r->outstanding -= n;
  sim->outstanding -= n;
  /* The mapping is the stream's only reader: what its checkpoint has passed can go. */
  sl_stream_release(sim->stream, r->it.shard->index, sl_checkpoint_next(&r->checkpoint));
  return SL_OK;
}

/* Records [0, n) of the batch leave without a successful delivery: to the on-failure destination when there is
 * one (dropped otherwise), counted either way, and done for the checkpoint so the lane moves on. */
static int fail_records(sl_sim_t *sim, reader_t *r, slot_t *s, size_t n, sl_failure_condition_t condition) {
  if (sim->config.on_failure != NULL) {
    uint32_t invoked = condition == SL_FAILURE_RECORD_AGE_EXCEEDED ? s->attempt - 1 : s->attempt;
    sl_failure_t f = {r->it.shard, s->queue + s->head, n, condition, invoked, sim->now};
    if (sim->config.on_failure(sim->config.ctx, &f, &sim->error) != SL_OK) {
      sim->failed = 1;
      return sim->error.code ? sim->error.code : SL_EINVAL;
    }
  }
  sim->summary.records_failed += n;
  return finish_records(sim, r, s, n);
}

int sl_sim_batch_done(sl_sim_t *sim, uint32_t slot) {
  uint32_t lane;
  reader_t *r = reader_of(sim, slot, &lane);
  slot_t *s = &r->slots[lane];
  s->running = 0;
  sl_sim_running_changed(sim, -1);
  sl_batch_outcome_t *out = &s->outcome;
  if (out->cold_start) sim->summary.cold_starts++;
  if (out->state_json != NULL) { /* tumbling windows: the state goes on to the window's next invocation */
    if (out->status != SL_BATCH_ERROR) {
      free(r->window_state);
      r->window_state = out->state_json;
    } else {
      free(out->state_json);
    }
    out->state_json = NULL;
  }
  if (s->final_pending) {
    if (out->status == SL_BATCH_ERROR) { /* AWS: a failing final invocation holds the shard until it succeeds */
      sim->summary.errors++;
      sim->summary.retries++;
      s->retry_wait = 1;
      if (sl_event_queue_push(&sim->events, sim->now + sim->config.mapping.retry_backoff_us, EV_RETRY, slot) != SL_OK)
        return fail_oom(sim);
    } else {
      s->final_pending = 0;
      r->window = -1;
      r->window_early = 0;
      sim->summary.windows_closed++;
    }
  }
  size_t ok = out->status == SL_BATCH_OK ? s->batch_count : out->status == SL_BATCH_PARTIAL ? out->lowest_failed : 0;
  if (ok > s->batch_count) ok = s->batch_count;
  sim->summary.records_delivered += ok;
  if (finish_records(sim, r, s, ok) != SL_OK) return SL_ENOMEM;
  if (s->batch_count > 0) { /* failed, wholly or from lowest_failed on */
    const sl_mapping_config_t *m = &sim->config.mapping;
    sl_second_t *sec = sl_sim_second_at(sim, sim->now);
    if (sec == NULL) return fail_oom(sim);
    if (out->status == SL_BATCH_ERROR) {
      sec->errors++;
      sim->summary.errors++;
    }
    int64_t retry_at = sim->now + m->retry_backoff_us;
    if (m->bisect_on_error && out->status == SL_BATCH_ERROR && s->batch_count > 1 &&
        s->split_depth < (int)(sizeof s->splits / sizeof s->splits[0])) {
      /* Bisect: the first half now, the second after it; splits are not retries. */
      s->splits[s->split_depth++] = s->batch_count - s->batch_count / 2;
      s->batch_count /= 2;
      s->attempt = 1;
      retry_at = sim->now;
    } else if (m->maximum_retry_attempts >= 0 && s->attempt > (uint32_t)m->maximum_retry_attempts) {
      /* attempt invocations were made, attempt - 1 of them retries: the quota is spent. */
      if (fail_records(sim, r, s, s->batch_count, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED) != SL_OK) return SL_ENOMEM;
      retry_at = -1;
    } else {
      s->attempt++;
      sim->summary.retries++;
    }
    if (retry_at >= 0) {
      s->retry_wait = 1;
      if (sl_event_queue_push(&sim->events, retry_at, EV_RETRY, slot) != SL_OK) return fail_oom(sim);
    }
  }
  /* Busy shard: read again right away rather than at the next idle poll, then start what can start. */
  uint32_t shard = slot / sim->config.mapping.parallelization_factor;
  if (read_shard(sim, shard) != SL_OK) return SL_ENOMEM;
  if (sl_sim_try_start(sim, slot) != SL_OK) return SL_ENOMEM;
  if (sim->config.mapping.retry_blocks_shard) /* the others may have waited for this slot's retries */
    for (uint32_t l = 0; l < sim->config.mapping.parallelization_factor; l++)
      if (sl_sim_try_start(sim, shard * sim->config.mapping.parallelization_factor + l) != SL_OK) return SL_ENOMEM;
  while (sim->waiting_count > 0 && sim->running < sim->limit) {
    uint32_t next = sim->waiting[sim->waiting_head++];
    sim->waiting_count--;
    uint32_t l;
    reader_of(sim, next, &l)->slots[l].waiting = 0;
    if (sl_sim_try_start(sim, next) != SL_OK) return SL_ENOMEM;
  }
  /* A parent that just finished lets its children start at once. */
  if (r->exhausted && r->outstanding == 0) {
    const sl_shard_t *sh = r->it.shard;
    for (int c = 0; c < 2; c++)
      if (sh->children[c] >= 0 && !sim->readers[sh->children[c]].started)
        if (poll_shard(sim, (uint32_t)sh->children[c]) != SL_OK) return SL_ENOMEM;
  }
  return SL_OK;
}
