/* shard_log.h - the in-memory, append-only record log of one shard.
 *
 * Records are addressed by their counter (the middle field of the sequence number): the log holds the
 * contiguous counters [first, next). Appends are O(1) amortised, lookup by counter is O(1), lookup by arrival
 * time is O(log n). Record headers live in fixed-size chunks, so a record's address never changes while it is
 * retained: pointers returned by sl_shard_log_get stay valid until sl_shard_log_trim drops that record or the
 * log is destroyed. Trimming frees whole chunks once all their records are gone.
 *
 * Memory per record: sizeof(sl_record_t) in the chunk, plus key_len + data_len bytes packed into the chunk's
 * payload blocks (docs/storage.md gives the figures). The log knows nothing of streams, shards or clocks. */
#ifndef SHARDLAB_SHARD_LOG_H
#define SHARDLAB_SHARD_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/hashkey.h"

typedef struct sl_record_s {
  sl_hashkey_t hash_key;  /* the hash key the record was routed by: MD5(partition key) or its explicit key */
  uint64_t counter;       /* position in the shard; the counter field of its sequence number */
  int64_t arrival_ms;     /* approximate arrival timestamp, milliseconds since the epoch (virtual or real) */
  char *bytes;            /* key_len bytes of partition key, then data_len bytes of data; owned by the log */
  uint32_t key_len : 31;  /* partition key length in bytes (UTF-8; Kinesis keys are at most 1 KiB) */
  uint32_t explicit_hash : 1; /* set when hash_key came from an ExplicitHashKey (a bit, so a header is 48 bytes) */
  uint32_t data_len;      /* data blob length in bytes */
} sl_record_t;

/* The partition key and data of a record, as pointers into its bytes (not NUL-terminated). */
#define SL_RECORD_KEY(r) ((const char *)(r)->bytes)
#define SL_RECORD_DATA(r) ((const char *)(r)->bytes + (r)->key_len)

typedef struct sl_shard_log_s sl_shard_log_t;

/* A new empty log whose first record will get counter first_counter. NULL when out of memory. */
sl_shard_log_t *sl_shard_log_create(uint64_t first_counter);

/* Frees the log and every record in it. NULL is allowed. */
void sl_shard_log_destroy(sl_shard_log_t *log);

/* Appends a record, copying key and data. arrival_ms must not be below the previous record's (the caller
 * keeps arrival times monotonic). On success stores the record's counter in *counter (may be NULL) and
 * returns SL_OK; SL_ENOMEM leaves the log unchanged. */
int sl_shard_log_append(sl_shard_log_t *log, int64_t arrival_ms, sl_hashkey_t hash_key, int explicit_hash,
                        const char *key, size_t key_len, const void *data, size_t data_len, uint64_t *counter);

/* The counter of the oldest retained record; equals sl_shard_log_next when the log is empty. */
uint64_t sl_shard_log_first(const sl_shard_log_t *log);

/* The counter the next append will get. */
uint64_t sl_shard_log_next(const sl_shard_log_t *log);

/* The record with this counter, or NULL when it was trimmed or not yet written. */
const sl_record_t *sl_shard_log_get(const sl_shard_log_t *log, uint64_t counter);

/* The counter of the first retained record whose arrival_ms >= at_ms; sl_shard_log_next when none. */
uint64_t sl_shard_log_find_time(const sl_shard_log_t *log, int64_t at_ms);

/* Drops every record that arrived before before_ms (retention). Returns how many were dropped. */
uint64_t sl_shard_log_trim(sl_shard_log_t *log, int64_t before_ms);

/* Drops every record with a counter below `counter` (records their only reader is done with). Returns how
 * many were dropped. */
uint64_t sl_shard_log_release(sl_shard_log_t *log, uint64_t counter);

/* Retained records, and the bytes the log holds for them (headers, payloads and chunk tables). */
uint64_t sl_shard_log_count(const sl_shard_log_t *log);
size_t sl_shard_log_memory(const sl_shard_log_t *log);

#endif
