/* sim_batching.c - batching producers (mode batching, sl_batching_config_t), modelled on the Kinesis Producer
 * Library: each record is buffered by the shard its key routes to; a shard's buffer goes out as PutRecords
 * of up to collection_max_count records and collection_max_size bytes once its oldest record has waited
 * max_buffered_time (KPL RecordMaxBufferedTime) or it fills a request, with at most max_outstanding requests
 * per shard in flight; each request is answered request_time later, when the entries the stream refused go
 * back to the front of their buffer to be sent again (KPL: failed records are retried until RecordTtl);
 * records still unsent record_ttl after they arrived are dropped. At the duration producers take no new
 * records but what is buffered is still sent. The stream applies a request's entries when it is sent. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "shardlab/kpl.h"
#include "sim/sim_internal.h"

void sl_batching_config_init(sl_batching_config_t *b) {
  /* KPL default_config.properties: RecordMaxBufferedTime 100 ms, RecordTtl 30000 ms, CollectionMaxCount
   * 500, CollectionMaxSize 5242880 (PutRecords' own limits: 500 records, 5 MiB). */
  b->max_buffered_time_us = 100000;
  b->record_ttl_us = 30000000;
  b->collection_max_count = 500;
  b->collection_max_size = 5242880;
  b->max_outstanding = 24;
  b->request_time_us = 20000;
  b->rate_limit = 150; /* KPL RateLimit: "as a percentage of the backend limits", default 150 */
  b->aggregate = 0;
  b->aggregation_max_size = SL_KPL_DEFAULT_MAX_SIZE;
  b->aggregation_max_count = SL_KPL_DEFAULT_MAX_COUNT;
  b->aggregate_first_key = 0;
}

/* Event args: the producer in the top 12 bits, a shard index or request id in the low 20. */
#define ARG(p, x) (((uint32_t)(p) << 20) | (uint32_t)(x))
#define ARG_LIMIT (UINT32_C(1) << 20)

int sl__sim_batching_create(sl_sim_t *sim, uint32_t p) {
  sl__producer_t *pr = &sim->producers[p];
  if (p >= 4096) return sl_error_set(&sim->error, SL_EINVAL, "producers[%u]: at most 4,096 batching producers", p + 1);
  pr->batcher = calloc(1, sizeof *pr->batcher);
  if (pr->batcher == NULL) return SL_ENOMEM;
  const sl_batching_config_t *c = &sim->config.producers[p].batching;
  if (!c->aggregate) return SL_OK;
  sl_kpl_options_t o = {(size_t)c->aggregation_max_size, c->aggregation_max_count, 1}; /* a lone record as itself */
  return sl_kpl_builder_new(&o, &pr->batcher->kpl, &sim->error);
}

static void entry_free(sl__entry_t *e) { free(e->bytes); }

void sl__sim_batching_free(sl__batcher_t *b) {
  if (b == NULL) return;
  for (size_t s = 0; s < b->buffer_cap; s++) {
    sl__shard_buffer_t *q = &b->buffers[s];
    for (size_t i = 0; i < q->count; i++) entry_free(&q->ring[(q->head + i) % q->cap]);
    free(q->ring);
  }
  for (size_t r = 0; r < b->used_ids; r++) {
    for (size_t i = 0; i < b->requests[r].refused_count; i++) entry_free(&b->requests[r].refused[i]);
    free(b->requests[r].refused);
  }
  free(b->buffers);
  free(b->requests);
  free(b->free_ids);
  sl_kpl_builder_free(b->kpl);
  free(b);
}

int sl_sim_batching(const sl_sim_t *sim) {
  for (uint32_t p = 0; p < sim->config.producer_count; p++)
    if (sim->config.producers[p].mode == SL_PRODUCER_BATCHING) return 1;
  return 0;
}

int sl__sim_batching_idle(const sl__batcher_t *b) { return b == NULL || (b->buffered == 0 && b->in_flight == 0); }

/* The run's records in buffers changed by delta: the second's row keeps the most. */
static int note_buffered(sl_sim_t *sim, sl__batcher_t *b, int64_t delta) {
  b->buffered = (uint64_t)((int64_t)b->buffered + delta);
  sim->producer_buffered = (uint64_t)((int64_t)sim->producer_buffered + delta);
  sl_second_t *sec = sl__sim_second_at(sim, sim->now);
  if (sec == NULL) return SL_ENOMEM;
  if (sec->producer_buffered < sim->producer_buffered) sec->producer_buffered = sim->producer_buffered;
  return SL_OK;
}

static sl__entry_t *ring_at(sl__shard_buffer_t *q, size_t i) { return &q->ring[(q->head + i) % q->cap]; }

/* Room for one more entry at either end. */
static int ring_room(sl__shard_buffer_t *q) {
  if (q->count < q->cap) return SL_OK;
  size_t cap = q->cap ? q->cap * 2 : 16;
  sl__entry_t *ring = malloc(cap * sizeof *ring);
  if (ring == NULL) return SL_ENOMEM;
  for (size_t i = 0; i < q->count; i++) ring[i] = *ring_at(q, i);
  free(q->ring);
  q->ring = ring;
  q->cap = cap;
  q->head = 0;
  return SL_OK;
}

static int push(sl__shard_buffer_t *q, const sl__entry_t *e, int front) {
  if (ring_room(q) != SL_OK) return SL_ENOMEM;
  if (front) q->head = (q->head + q->cap - 1) % q->cap;
  *ring_at(q, front ? 0 : q->count) = *e;
  q->count++;
  q->bytes += e->key_len + e->data_len;
  return SL_OK;
}

static sl__entry_t pop_front(sl__shard_buffer_t *q) {
  sl__entry_t e = *ring_at(q, 0);
  q->head = (q->head + 1) % q->cap;
  q->count--;
  q->bytes -= e.key_len + e.data_len;
  return e;
}

static sl__shard_buffer_t *buffer_of(sl__batcher_t *b, uint32_t shard) {
  if (shard >= b->buffer_cap) {
    size_t cap = b->buffer_cap, old = b->buffer_cap;
    sl__shard_buffer_t *grown = sl_grow_zeroed(b->buffers, &cap, shard, sizeof *grown, 8);
    if (grown == NULL) return NULL;
    for (size_t i = old; i < cap; i++) grown[i].refilled_us = -1;
    b->buffers = grown;
    b->buffer_cap = cap;
  }
  return &b->buffers[shard];
}

/* The KPL's RateLimit on a stream with write limits: a token bucket per shard holding a second of rate_limit
 * percent of the shard's records and bytes. Refills q's tokens to now; 0 when producer p has no limit. */
static int rate_limited(const sl_sim_t *sim, uint32_t p, sl__shard_buffer_t *q, double *records_per_s,
                        double *bytes_per_s) {
  const sl_stream_config_t *sc = sl_stream_config(sim->stream);
  uint32_t percent = sim->config.producers[p].batching.rate_limit;
  if (percent == 0 || !sc->write_limits) return 0;
  *records_per_s = sc->records_per_second * percent / 100.0;
  *bytes_per_s = sc->bytes_per_second * percent / 100.0;
  double dt = q->refilled_us < 0 ? 1e9 : (double)(sim->now - q->refilled_us) / 1e6;
  q->tokens_records = q->tokens_records + dt * *records_per_s;
  q->tokens_bytes = q->tokens_bytes + dt * *bytes_per_s;
  if (q->tokens_records > *records_per_s) q->tokens_records = *records_per_s;
  if (q->tokens_bytes > *bytes_per_s) q->tokens_bytes = *bytes_per_s;
  q->refilled_us = sim->now;
  return 1;
}

static sl_produced_t produced_of(const sl__entry_t *e) {
  return (sl_produced_t){e->bytes, e->key_len, e->bytes + e->key_len, e->data_len,
                         e->has_ehk ? e->bytes + e->key_len + e->data_len : NULL};
}

/* A free request id, or ARG_LIMIT when out of memory or ids. */
static uint32_t request_id(sl__batcher_t *b) {
  if (b->free_count > 0) return b->free_ids[--b->free_count];
  if (b->used_ids + 1 >= ARG_LIMIT) return ARG_LIMIT;
  sl__request_t *grown = sl_grow_zeroed(b->requests, &b->request_cap, b->used_ids, sizeof *grown, 16);
  if (grown == NULL) return ARG_LIMIT;
  b->requests = grown;
  uint32_t *ids = realloc(b->free_ids, b->request_cap * sizeof *ids);
  if (ids == NULL) return ARG_LIMIT;
  b->free_ids = ids;
  return (uint32_t)b->used_ids++;
}

static sl_kpl_record_t kpl_record_of(const sl__entry_t *e) {
  sl_produced_t r = produced_of(e);
  return (sl_kpl_record_t){r.key, r.key_len, r.explicit_hash_key,
                           r.explicit_hash_key ? strlen(r.explicit_hash_key) : 0, r.data, r.data_len, 0};
}

/* Room on req for every entry of q to be refused. */
static int refused_room(sl__request_t *req, const sl__shard_buffer_t *q) {
  if (q->count == 0) return SL_OK;
  sl__entry_t *refused = realloc(req->refused, q->count * sizeof *refused);
  if (refused == NULL) return SL_ENOMEM;
  req->refused = refused;
  return SL_OK;
}

/* The n entries at the front of q, just sent as one Kinesis record: kept on req for its answer when the stream
 * refused it, else done with. */
static int settle_front(sl_sim_t *sim, sl__batcher_t *b, sl__shard_buffer_t *q, sl__request_t *req, size_t n,
                        int refused) {
  for (size_t i = 0; i < n; i++) {
    sl__entry_t e = pop_front(q);
    if (refused) {
      req->refused[req->refused_count++] = e;
      continue;
    }
    entry_free(&e);
    if (note_buffered(sim, b, -1) != SL_OK) return SL_ENOMEM;
  }
  return SL_OK;
}

/* The entries of an aggregated PutRecords: from the front of q, consecutive entries packed into aggregates
 * (each taking as many as fit), up to the request's count and size and the rate limit's tokens, every one put
 * into the stream now; the entries of a refused aggregate kept on the request for its answer. */
static int send_aggregates(sl_sim_t *sim, uint32_t p, sl__shard_buffer_t *q, int limited, sl__request_t *req) {
  const sl_batching_config_t *c = &sim->config.producers[p].batching;
  sl__batcher_t *b = sim->producers[p].batcher;
  if (refused_room(req, q) != SL_OK) return SL_ENOMEM;
  size_t records = 0;
  uint64_t bytes = 0;
  while (q->count > 0 && records < c->collection_max_count && (!limited || records + 1 <= q->tokens_records)) {
    size_t taken = 0;
    sl_kpl_builder_reset(b->kpl);
    for (; taken < q->count; taken++) {
      sl_kpl_record_t kr = kpl_record_of(ring_at(q, taken));
      if (!sl_kpl_builder_fits(b->kpl, &kr)) break;
      sl_error_t why;
      int rc = sl_kpl_builder_add(b->kpl, &kr, &why);
      if (rc != SL_OK) { /* a key the KPL cannot take: named */
        sim->failed = 1;
        return sl_error_set(&sim->error, rc, "producers[%u] record %llu: %s", p + 1,
                            (unsigned long long)ring_at(q, taken)->number, why.message);
      }
    }
    size_t size = sl_kpl_builder_size(b->kpl);
    if (records > 0 && (bytes + size > c->collection_max_size || (limited && bytes + size > q->tokens_bytes))) break;
    sl_kpl_aggregate_t agg;
    if (sl_kpl_builder_finish(b->kpl, &agg, &sim->error) != SL_OK) return SL_ENOMEM;
    sl_produced_t rec = produced_of(ring_at(q, 0)); /* a lone record goes as itself */
    if (agg.aggregated)
      rec = (sl_produced_t){c->aggregate_first_key ? agg.partition_key : SL_KPL_PARTITION_KEY,
                            c->aggregate_first_key ? agg.partition_key_len : strlen(SL_KPL_PARTITION_KEY), agg.data,
                            agg.len, agg.explicit_hash_key};
    int rc = sl__sim_put(sim, p, ring_at(q, 0)->number, &rec, taken);
    records++;
    bytes += rec.key_len + rec.data_len;
    sl_kpl_aggregate_free(&agg);
    if (settle_front(sim, b, q, req, taken, rc == SL_ETHROTTLED) != SL_OK) return SL_ENOMEM;
    if (rc != SL_OK && rc != SL_ETHROTTLED) return rc;
  }
  if (limited) {
    q->tokens_records -= (double)records;
    q->tokens_bytes -= (double)bytes;
  }
  return SL_OK;
}

/* The entries of a plain PutRecords: from the front of q, up to the request's count and size and the rate
 * limit's tokens, every one put into the stream now, those refused kept on the request for its answer. */
static int send_entries(sl_sim_t *sim, uint32_t p, sl__shard_buffer_t *q, int limited, sl__request_t *req) {
  const sl_batching_config_t *c = &sim->config.producers[p].batching;
  sl__batcher_t *b = sim->producers[p].batcher;
  size_t n = 0;
  uint64_t bytes = 0;
  while (n < q->count && n < c->collection_max_count &&
         (n == 0 || bytes + ring_at(q, n)->key_len + ring_at(q, n)->data_len <= c->collection_max_size) &&
         (!limited || (n + 1 <= q->tokens_records &&
                       (n == 0 || bytes + ring_at(q, n)->key_len + ring_at(q, n)->data_len <= q->tokens_bytes)))) {
    bytes += ring_at(q, n)->key_len + ring_at(q, n)->data_len;
    n++;
  }
  if (limited) {
    q->tokens_records -= (double)n;
    q->tokens_bytes -= (double)bytes;
  }
  if (refused_room(req, q) != SL_OK) return SL_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    sl_produced_t rec = produced_of(ring_at(q, 0));
    int rc = sl__sim_put(sim, p, ring_at(q, 0)->number, &rec, 1);
    if (settle_front(sim, b, q, req, 1, rc == SL_ETHROTTLED) != SL_OK) return SL_ENOMEM;
    if (rc != SL_OK && rc != SL_ETHROTTLED) return rc;
  }
  return SL_OK;
}

/* One PutRecords from the front of shard's buffer, answered request_time later. */
static int send_request(sl_sim_t *sim, uint32_t p, uint32_t shard, sl__shard_buffer_t *q, int limited) {
  const sl_batching_config_t *c = &sim->config.producers[p].batching;
  sl__batcher_t *b = sim->producers[p].batcher;
  uint32_t id = request_id(b);
  if (id == ARG_LIMIT) return SL_ENOMEM;
  sl__request_t *req = &b->requests[id];
  req->shard = shard;
  req->refused_count = 0;
  int rc = c->aggregate ? send_aggregates(sim, p, q, limited, req) : send_entries(sim, p, q, limited, req);
  if (rc != SL_OK) return rc;
  sim->summary.producer_requests++;
  q->in_flight++;
  b->in_flight++;
  return sl_event_queue_push(&sim->events, sim->now + c->request_time_us, EV_ANSWER, ARG(p, id));
}

/* What shard's buffer does now: drops what outlived record_ttl, sends requests while its oldest record is due
 * or a request is full and fewer than max_outstanding are in flight, and otherwise arms a flush for when
 * the oldest falls due. A stopped run sends nothing more: the buffered records are not put. */
static int service(sl_sim_t *sim, uint32_t p, uint32_t shard) {
  const sl_batching_config_t *c = &sim->config.producers[p].batching;
  sl__batcher_t *b = sim->producers[p].batcher;
  sl__shard_buffer_t *q = &b->buffers[shard];
  while (q->count > 0 && (sim->stopping || ring_at(q, 0)->arrived_us + c->record_ttl_us <= sim->now)) {
    sl__entry_t e = pop_front(q);
    entry_free(&e);
    if (!sim->stopping) sim->summary.producer_dropped++;
    if (note_buffered(sim, b, -1) != SL_OK) return SL_ENOMEM;
  }
  int64_t at = -1; /* when to look again, if no answer will */
  while (q->count > 0 && q->in_flight < c->max_outstanding &&
         (ring_at(q, 0)->arrived_us + c->max_buffered_time_us <= sim->now || q->count >= c->collection_max_count ||
          q->bytes >= c->collection_max_size)) {
    double records_per_s, bytes_per_s;
    int limited = rate_limited(sim, p, q, &records_per_s, &bytes_per_s);
    double front_bytes = (double)(ring_at(q, 0)->key_len + ring_at(q, 0)->data_len);
    if (limited && (q->tokens_records < 1 || q->tokens_bytes < front_bytes)) {
      /* Held back by the rate limit: again when a record's tokens are there (or the bucket is full). */
      double need = q->tokens_records < 1 ? (1 - q->tokens_records) / records_per_s : 0;
      double need_bytes = front_bytes - q->tokens_bytes;
      if (need_bytes > 0 && need_bytes / bytes_per_s > need) need = need_bytes / bytes_per_s;
      if (need > 1) need = 1;
      at = sim->now + (int64_t)(need * 1e6) + 1;
      break;
    }
    int rc = send_request(sim, p, shard, q, limited);
    if (rc != SL_OK) return rc;
  }
  if (q->count == 0 || q->armed || (at < 0 && q->in_flight >= c->max_outstanding))
    return SL_OK; /* nothing waits, a flush is due, or an answer serves it */
  if (at < 0) at = ring_at(q, 0)->arrived_us + c->max_buffered_time_us;
  q->armed = 1;
  return sl_event_queue_push(&sim->events, at, EV_FLUSH, ARG(p, shard));
}

int sl__sim_batching_arrive(sl_sim_t *sim, uint32_t p, const sl_produced_t *rec) {
  sl__batcher_t *b = sim->producers[p].batcher;
  size_t ehk_len = rec->explicit_hash_key ? strlen(rec->explicit_hash_key) : 0;
  sl__entry_t e = {malloc(rec->key_len + rec->data_len + ehk_len + 1), rec->key_len, rec->data_len,
                   rec->explicit_hash_key != NULL, sim->now, sim->producers[p].next_i};
  if (e.bytes == NULL) return SL_ENOMEM;
  memcpy(e.bytes, rec->key, rec->key_len);
  if (rec->data_len) memcpy(e.bytes + rec->key_len, rec->data, rec->data_len);
  if (ehk_len) memcpy(e.bytes + rec->key_len + rec->data_len, rec->explicit_hash_key, ehk_len);
  e.bytes[rec->key_len + rec->data_len + ehk_len] = '\0';
  /* Buffered by the shard the record routes to now (the KPL keeps a shard map to do the same). */
  sl_hashkey_t hash = sl_hashkey_of(rec->key, rec->key_len);
  sl_error_t ignored; /* a bad explicit hash key is refused, named, when the stream is given it */
  if (rec->explicit_hash_key != NULL)
    sl_hashkey_parse(rec->explicit_hash_key, ehk_len, "ExplicitHashKey", &hash, &ignored);
  uint32_t shard = sl_stream_route(sim->stream, hash)->index;
  sl__shard_buffer_t *q = shard < ARG_LIMIT ? buffer_of(b, shard) : NULL;
  if (q == NULL || push(q, &e, 0) != SL_OK) {
    entry_free(&e);
    return SL_ENOMEM;
  }
  if (note_buffered(sim, b, 1) != SL_OK) return SL_ENOMEM;
  return service(sim, p, shard);
}

int sl__sim_batching_event(sl_sim_t *sim, uint32_t type, uint32_t arg) {
  uint32_t p = arg >> 20, x = arg & (ARG_LIMIT - 1);
  sl__batcher_t *b = sim->producers[p].batcher;
  if (type == EV_FLUSH) {
    b->buffers[x].armed = 0;
    return service(sim, p, x);
  }
  /* EV_ANSWER: the refused entries go back to the front of their buffer, oldest first. */
  sl__request_t *req = &b->requests[x];
  sl__shard_buffer_t *q = &b->buffers[req->shard];
  q->in_flight--;
  b->in_flight--;
  for (; req->refused_count > 0; req->refused_count--) {
    if (push(q, &req->refused[req->refused_count - 1], 1) != SL_OK) return SL_ENOMEM;
    sim->summary.producer_retries++;
  }
  b->free_ids[b->free_count++] = x;
  return service(sim, p, req->shard);
}
