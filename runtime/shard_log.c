/* shard_log.c - the in-memory record log of one shard (see shard_log.h).
 *
 * Layout: a table of chunk pointers; each chunk holds CHUNK_RECORDS record headers and the byte blocks that
 * hold those records' keys and data. Appending copies the payload into the chunk's current block (a new block
 * when it is full; a payload larger than a block gets a block of its own), so there is no allocation per
 * record and a record never moves. Retention moves `first` forward record by record and frees a chunk,
 * headers and bytes together, once all its records are gone. */
#include "shardlab/shard_log.h"

#include <stdlib.h>
#include <string.h>

enum {
  CHUNK_RECORDS = 4096,      /* record headers per chunk */
  BLOCK_BYTES = 64 * 1024    /* default payload block; larger records get a block of their own size */
};

typedef struct block_s {
  struct block_s *next;  /* the block filled before this one, in the same chunk */
  size_t cap;            /* bytes usable in data */
  size_t used;           /* bytes handed out */
  char data[];           /* payloads, back to back */
} block_t;

typedef struct chunk_s {
  block_t *blocks;                       /* payload blocks, newest first; freed with the chunk */
  sl_record_t records[CHUNK_RECORDS];    /* headers of counters base + k*CHUNK_RECORDS ... */
} chunk_t;

struct sl_shard_log_s {
  chunk_t **chunks;     /* chunk table; entries [head, count) are live */
  size_t head;          /* first live entry of chunks */
  size_t count;         /* entries used in chunks */
  size_t cap;           /* entries allocated in chunks */
  uint64_t base;        /* counter of records[0] of chunks[head] */
  uint64_t first;       /* oldest retained counter */
  uint64_t next;        /* counter of the next append */
  size_t memory;        /* bytes allocated for chunks and blocks */
};

sl_shard_log_t *sl_shard_log_create(uint64_t first_counter) {
  sl_shard_log_t *log = calloc(1, sizeof *log);
  if (log != NULL) log->base = log->first = log->next = first_counter;
  return log;
}

static void chunk_free(sl_shard_log_t *log, chunk_t *c) {
  for (block_t *b = c->blocks, *next; b != NULL; b = next) {
    next = b->next;
    log->memory -= sizeof *b + b->cap;
    free(b);
  }
  log->memory -= sizeof *c;
  free(c);
}

void sl_shard_log_destroy(sl_shard_log_t *log) {
  if (log == NULL) return;
  for (size_t i = log->head; i < log->count; i++) chunk_free(log, log->chunks[i]);
  free(log->chunks);
  free(log);
}

/* Makes room for one more chunk pointer. Dead entries (those before head) are dropped instead of growing
 * when they are at least as many as the live ones, so each move of k live entries frees k or more slots:
 * amortised O(1) per chunk, and the table stays within a small factor of the live chunk count. */
static int table_reserve(sl_shard_log_t *log) {
  if (log->count < log->cap) return SL_OK;
  if (log->head > 0 && log->head >= log->count - log->head) {
    memmove(log->chunks, log->chunks + log->head, (log->count - log->head) * sizeof *log->chunks);
    log->count -= log->head;
    log->head = 0;
    return SL_OK;
  }
  size_t cap = log->cap ? log->cap * 2 : 8;
  chunk_t **grown = realloc(log->chunks, cap * sizeof *grown);
  if (grown == NULL) return SL_ENOMEM;
  log->memory += (cap - log->cap) * sizeof *grown;
  log->chunks = grown;
  log->cap = cap;
  return SL_OK;
}

/* Space for len payload bytes in chunk c, or NULL when out of memory. */
static char *chunk_bytes(sl_shard_log_t *log, chunk_t *c, size_t len) {
  block_t *b = c->blocks;
  if (b == NULL || b->cap - b->used < len) {
    size_t cap = len > BLOCK_BYTES ? len : BLOCK_BYTES;
    block_t *fresh = malloc(sizeof *fresh + cap);
    if (fresh == NULL) return NULL;
    fresh->cap = cap;
    fresh->used = 0;
    log->memory += sizeof *fresh + cap;
    if (len > BLOCK_BYTES && b != NULL) { /* a block of its own: keep filling the current one after it */
      fresh->next = b->next;
      b->next = fresh;
    } else {
      fresh->next = b;
      c->blocks = fresh;
    }
    b = fresh;
  }
  char *p = b->data + b->used;
  b->used += len;
  return p;
}

int sl_shard_log_append(sl_shard_log_t *log, int64_t arrival_ms, sl_hashkey_t hash_key, int explicit_hash,
                        const char *key, size_t key_len, const void *data, size_t data_len, uint64_t *counter) {
  if (key_len > INT32_MAX || data_len > UINT32_MAX || key_len > SIZE_MAX / 2 || data_len > SIZE_MAX / 2 - key_len)
    return SL_EINVAL;
  uint64_t offset = log->next - log->base;
  size_t slot = (size_t)(offset % CHUNK_RECORDS);
  size_t index = log->head + (size_t)(offset / CHUNK_RECORDS);
  int fresh = 0;
  if (index == log->count) { /* the last chunk is full (or there is none): start one */
    if (table_reserve(log) != SL_OK) return SL_ENOMEM;
    index = log->head + (size_t)(offset / CHUNK_RECORDS);
    chunk_t *c = malloc(sizeof *c);
    if (c == NULL) return SL_ENOMEM;
    c->blocks = NULL;
    log->memory += sizeof *c;
    log->chunks[log->count++] = c;
    fresh = 1;
  }
  chunk_t *c = log->chunks[index];
  char *bytes = chunk_bytes(log, c, key_len + data_len);
  if (bytes == NULL) {
    if (fresh) { /* leave the log as it was */
      log->count--;
      chunk_free(log, c);
    }
    return SL_ENOMEM;
  }
  if (key_len) memcpy(bytes, key, key_len);
  if (data_len) memcpy(bytes + key_len, data, data_len);
  sl_record_t *r = &c->records[slot];
  r->hash_key = hash_key;
  r->counter = log->next;
  r->arrival_ms = arrival_ms;
  r->bytes = bytes;
  r->key_len = (uint32_t)key_len;
  r->data_len = (uint32_t)data_len;
  r->explicit_hash = explicit_hash != 0;
  if (counter != NULL) *counter = log->next;
  log->next++;
  return SL_OK;
}

uint64_t sl_shard_log_first(const sl_shard_log_t *log) { return log->first; }
uint64_t sl_shard_log_next(const sl_shard_log_t *log) { return log->next; }
uint64_t sl_shard_log_count(const sl_shard_log_t *log) { return log->next - log->first; }
size_t sl_shard_log_memory(const sl_shard_log_t *log) { return log->memory + sizeof *log; }

const sl_record_t *sl_shard_log_get(const sl_shard_log_t *log, uint64_t counter) {
  if (counter < log->first || counter >= log->next) return NULL;
  uint64_t offset = counter - log->base;
  return &log->chunks[log->head + (size_t)(offset / CHUNK_RECORDS)]->records[offset % CHUNK_RECORDS];
}

uint64_t sl_shard_log_find_time(const sl_shard_log_t *log, int64_t at_ms) {
  uint64_t lo = log->first, hi = log->next; /* the answer is in [lo, hi] */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (sl_shard_log_get(log, mid)->arrival_ms < at_ms)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

uint64_t sl_shard_log_release(sl_shard_log_t *log, uint64_t counter) {
  if (counter > log->next) counter = log->next;
  if (counter <= log->first) return 0;
  uint64_t dropped = counter - log->first;
  log->first = counter;
  /* Free every chunk whose records all lie before the cut (such a chunk is full, since first <= next). */
  while (log->head < log->count && log->base + CHUNK_RECORDS <= log->first) {
    chunk_free(log, log->chunks[log->head]);
    log->head++;
    log->base += CHUNK_RECORDS;
  }
  return dropped;
}

uint64_t sl_shard_log_trim(sl_shard_log_t *log, int64_t before_ms) {
  return sl_shard_log_release(log, sl_shard_log_find_time(log, before_ms));
}
