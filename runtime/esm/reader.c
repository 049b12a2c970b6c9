/* reader.c - the mapping's reader of each shard (DESIGN 4): where it starts (the starting position, a saved
 * checkpoint, or the beginning for children), parents read to their end and done before their children
 * start (KDG: "read the parent until it is exhausted"), polling (once per poll_interval when idle, at once
 * while busy), the filter, and each record handed to its slot by the ordering model. */
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"
#include "token_bucket.h"

void sl__readers_free(sl_esm_t *esm) {
  uint32_t pf = esm->config.mapping.parallelization_factor;
  for (uint32_t i = 0; i < esm->reader_count; i++) {
    sl__reader_t *r = &esm->readers[i];
    if (r->slots != NULL)
      for (uint32_t l = 0; l < pf; l++) free(r->slots[l].queue);
    free(r->slots);
    free(r->keys);
    free(r->window_state);
    sl_lanes_destroy(r->lanes);
    sl_checkpoint_free(&r->checkpoint);
  }
  free(esm->readers);
  esm->readers = NULL;
  esm->reader_count = 0;
}

/* A parent is done when it was read to its end and every record it had is done. */
static int parent_done(const sl_esm_t *esm, int32_t parent) {
  if (parent < 0) return 1;
  const sl__reader_t *p = &esm->readers[parent];
  return p->exhausted && p->outstanding == 0;
}

/* Positions the reader once its parents are done; 0 while they are not. */
static int start_reader(sl_esm_t *esm, sl__reader_t *r) {
  const sl_shard_t *shard = r->it.shard;
  if (!parent_done(esm, shard->parent) || !parent_done(esm, shard->adjacent_parent)) return 0;
  const sl_mapping_config_t *m = &esm->config.mapping;
  /* Shards present at the start honour the starting position; children are read from their beginning. */
  sl_iterator_type_t type = shard->parent < 0 ? m->starting_position : SL_ITER_TRIM_HORIZON;
  uint32_t i = shard->index;
  int resumed = i < esm->config.resume_count && esm->config.resume_next[i] != UINT64_MAX;
  if (resumed) type = SL_ITER_TRIM_HORIZON; /* then moved to the checkpoint */
  sl_shard_iterator_init(&r->it, shard, type, NULL, m->starting_timestamp_ms, NULL);
  if (resumed) {
    uint64_t next = esm->config.resume_next[i], end = sl_shard_log_next(shard->log);
    if (next > r->it.next) r->it.next = next < end ? next : end;
    r->resume_frontier = esm->config.resume_frontier[i];
  } else if (type == SL_ITER_AT_TIMESTAMP) {
    r->skip_before_ms = m->starting_timestamp_ms;
  }
  sl_checkpoint_init(&r->checkpoint, r->it.next);
  r->frontier = r->it.next;
  /* Records an earlier run left in a durable stream are the mapping's to deliver too. */
  if (i < esm->initial_count && esm->initial_next[i] > r->it.next) esm->outstanding += esm->initial_next[i] - r->it.next;
  r->started = 1;
  return 1;
}

/* Counts the distinct partition keys of the shard (by hash: open addressing, 0 marks an empty entry). */
static int note_key(const sl_esm_t *esm, sl__reader_t *r, sl_hashkey_t key, sl_shard_summary_t *sum) {
  sl_hashkey_t h = key != 0 ? key : 1; /* an MD5 of 0 is not a concern */
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
    const sl_mapping_config_t *m = &esm->config.mapping;
    if (m->ordering == SL_ORDERING_LANES) sum->lane_keys[key % m->parallelization_factor]++; /* as lanes.c assigns */
  }
  return SL_OK;
}

/* A record the mapping does not invoke: filtered out, or before its starting timestamp. It is done. */
static int pass_over(sl_esm_t *esm, sl__reader_t *r, const sl_record_t *rec) {
  if (sl_checkpoint_done(&r->checkpoint, rec->counter) != SL_OK) return sl__esm_oom(esm);
  esm->outstanding--;
  sl__esm_passed(esm, r);
  return SL_OK;
}

/* One record read from the shard: filtered, passed over, or queued on its slot. */
static int take_record(sl_esm_t *esm, uint32_t shard, const sl_record_t *rec) {
  sl__reader_t *r = &esm->readers[shard];
  if (rec->arrival_ms < r->skip_before_ms) return pass_over(esm, r, rec); /* before the starting timestamp */
  if (sl__esm_count_events(esm, SL__EVENTS(polled), 1) != SL_OK) return SL_ENOMEM;
  sl_hashkey_t key = sl_record_key_hash(rec);
  /* The shard's keys are those of every record read, filtered out or not. */
  if (note_key(esm, r, key, &esm->shard_summaries[shard]) != SL_OK) return sl__esm_oom(esm);
  const sl_filter_t *filter = esm->config.mapping.filter;
  if (filter != NULL &&
      !sl_filter_match(filter, SL_RECORD_KEY(rec), rec->key_len, SL_RECORD_DATA(rec), rec->data_len)) {
    esm->host.summary->records_filtered++; /* filtered out: checkpointed and counted */
    if (sl__esm_count_events(esm, SL__EVENTS(filtered_out), 1) != SL_OK) return SL_ENOMEM;
    return pass_over(esm, r, rec);
  }
  int lane = sl_lanes_assign(r->lanes, key);
  if (lane < 0 || sl__slot_push(&r->slots[lane], rec) != SL_OK) return sl__esm_oom(esm);
  r->outstanding++;
  /* Records clients put into a served stream (the host has no producers) are the mapping's to deliver. */
  if (esm->config.count_reads && (shard >= esm->initial_count || rec->counter >= esm->initial_next[shard]))
    esm->outstanding++;
  return SL_OK;
}

/* Without read limits: everything the shard has, at once. */
static int read_all(sl_esm_t *esm, uint32_t shard) {
  sl__reader_t *r = &esm->readers[shard];
  const sl_record_t *recs[256];
  int n;
  uint64_t expired = 0;
  while ((n = sl_shard_iterator_read(&r->it, recs, 256, &expired)) > 0)
    for (int i = 0; i < n; i++)
      if (take_record(esm, shard, recs[i]) != SL_OK) return SL_ENOMEM;
  esm->host.summary->records_expired += expired;
  if (n == SL_ECLOSED) r->exhausted = 1;
  return SL_OK;
}

static int count_read_throttle(sl_esm_t *esm) {
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  sec->read_throttles++;
  esm->host.summary->read_throttles++;
  return SL_OK;
}

/* One GetRecords call under the shard's read limits (read_limit.h), whose budget the stream's other readers
 * share: at most SL_GET_RECORDS_MAX_RECORDS records and SL_GET_RECORDS_MAX_BYTES (at least one record), its
 * bytes charged afterwards; a refused call is a read throttle. r->behind: records are left to read. */
static int read_call(sl_esm_t *esm, uint32_t shard) {
  sl__reader_t *r = &esm->readers[shard];
  r->behind = 1;
  if (!sl_stream_read_take(esm->stream, shard, sl__esm_now_ms(esm))) return count_read_throttle(esm);
  const sl_record_t *recs[256];
  size_t taken = 0, bytes = 0;
  uint64_t expired = 0;
  int n = 0, full = 0;
  while (!full && taken < SL_GET_RECORDS_MAX_RECORDS) {
    size_t want = SL_GET_RECORDS_MAX_RECORDS - taken < 256 ? SL_GET_RECORDS_MAX_RECORDS - taken : 256;
    if ((n = sl_shard_iterator_read(&r->it, recs, want, &expired)) <= 0) break;
    for (int i = 0; i < n && !full; i++) {
      size_t size = recs[i]->key_len + recs[i]->data_len;
      if (taken > 0 && bytes + size > SL_GET_RECORDS_MAX_BYTES) { /* the rest is for the next call */
        r->it.next = recs[i]->counter;
        full = 1;
      } else {
        bytes += size;
        taken++;
        if (take_record(esm, shard, recs[i]) != SL_OK) return SL_ENOMEM;
      }
    }
  }
  sl_stream_read_charge(esm->stream, shard, bytes);
  esm->host.summary->records_expired += expired;
  if (n == SL_ECLOSED) r->exhausted = 1;
  r->behind = !r->exhausted && r->it.next < sl_shard_log_next(r->it.shard->log);
  return SL_OK;
}

/* Enhanced fan-out: what arrived by now is pushed over the mapping's own connection while its bytes bucket
 * (SL_EFO_BYTES_PER_SECOND for this shard, refilled continuously; the last record may take it into debt)
 * lasts. The shard's shared read limits are not touched. r->behind: records are left. */
static int read_efo(sl_esm_t *esm, uint32_t shard) {
  sl__reader_t *r = &esm->readers[shard];
  int64_t now_ms = sl__esm_now_ms(esm);
  if (r->efo_refilled_ms < 0) r->efo_bytes = (int64_t)SL_EFO_BYTES_PER_SECOND * 1000;
  else sl__bucket_refill(&r->efo_bytes, SL_EFO_BYTES_PER_SECOND, now_ms - r->efo_refilled_ms);
  r->efo_refilled_ms = now_ms;
  const sl_record_t *recs[256];
  uint64_t expired = 0;
  int n = 0, stop = 0;
  while (!stop && r->efo_bytes > 0 && (n = sl_shard_iterator_read(&r->it, recs, 256, &expired)) > 0) {
    for (int i = 0; i < n && !stop; i++) {
      if (r->efo_bytes <= 0 || recs[i]->arrival_ms > now_ms) { /* the rest is pushed later */
        r->it.next = recs[i]->counter;
        stop = 1;
      } else {
        r->efo_bytes -= (int64_t)(recs[i]->key_len + recs[i]->data_len) * 1000;
        if (take_record(esm, shard, recs[i]) != SL_OK) return SL_ENOMEM;
      }
    }
  }
  esm->host.summary->records_expired += expired;
  if (n == SL_ECLOSED) r->exhausted = 1;
  r->behind = !r->exhausted && r->it.next < sl_shard_log_next(r->it.shard->log);
  return SL_OK;
}

/* Reads what the shard has (every call's worth of it), one call under read limits, or what is pushed. */
static int read_shard(sl_esm_t *esm, uint32_t shard) {
  sl__reader_t *r = &esm->readers[shard];
  if (!r->started && !start_reader(esm, r)) return SL_OK;
  if (esm->config.mapping.consumer == SL_CONSUMER_EFO) return read_efo(esm, shard);
  return sl_stream_config(esm->stream)->read_limits ? read_call(esm, shard) : read_all(esm, shard);
}

int sl__reader_read(sl_esm_t *esm, uint32_t shard) {
  /* Under read limits the shard is read at its polls only (Lambda polls a shard once a second, and reads on
   * while records wait), not after every invocation. */
  if (sl_stream_config(esm->stream)->read_limits || esm->config.mapping.consumer == SL_CONSUMER_EFO) return SL_OK;
  return read_shard(esm, shard);
}

int sl__reader_poll(sl_esm_t *esm, uint32_t shard) {
  sl__reader_t *r = &esm->readers[shard];
  if (read_shard(esm, shard) != SL_OK) return SL_ENOMEM;
  uint32_t pf = esm->config.mapping.parallelization_factor;
  for (uint32_t l = 0; l < pf; l++)
    if (sl__batch_try_start(esm, shard * pf + l) != SL_OK) return SL_ENOMEM;
  if (!r->exhausted && !r->poll_armed) {
    /* An idle shard is polled every poll_interval; a shard with records left, as often as its read limit
     * allows calls (reads_per_second). */
    const sl_stream_config_t *c = sl_stream_config(esm->stream);
    int64_t gap = r->behind && c->read_limits ? INT64_C(1000000) / c->reads_per_second
                                              : esm->config.mapping.poll_interval_us;
    if (esm->config.mapping.consumer == SL_CONSUMER_EFO) gap = SL_EFO_PROPAGATION_US; /* records are pushed */
    if (sl__esm_schedule(esm, esm->now + gap, SL_ESM_EV_POLL, shard) != SL_OK) return SL_ENOMEM;
    r->poll_armed = 1;
  }
  return SL_OK;
}

int sl__reader_start_children(sl_esm_t *esm, uint32_t shard) {
  const sl__reader_t *r = &esm->readers[shard];
  if (!r->exhausted || r->outstanding != 0) return SL_OK;
  const sl_shard_t *sh = r->it.shard;
  for (int c = 0; c < 2; c++)
    if (sh->children[c] >= 0 && !esm->readers[sh->children[c]].started)
      if (sl__reader_poll(esm, (uint32_t)sh->children[c]) != SL_OK) return SL_ENOMEM;
  return SL_OK;
}
