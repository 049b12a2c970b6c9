/* store.h - the durable backend of a stream (DESIGN 3): segment files of records per shard, each record with
 * its length and CRC-32C, an index per segment to seek by sequence number, and the stream's metadata (shards,
 * ranges, lineage, retention) beside them. The stream stays the in-memory model everyone reads; the store
 * writes every record before the stream accepts it and rebuilds the stream when opened again.
 *
 *   DIR/stream.json                      name, settings and every shard (replaced atomically on each change)
 *   DIR/shardId-000000000000/<counter>.seg  records from that counter on; a new segment past segment_bytes
 *   DIR/shardId-000000000000/<counter>.idx  (counter, offset) of every 64th record of the segment
 *   DIR/checkpoints/<mapping>.json        a mapping's checkpoints (sl_store_save_checkpoints)
 *
 * docs/storage.md has the byte layout and what each fsync policy guarantees. */
#ifndef SHARDLAB_STORE_H
#define SHARDLAB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/stream.h"

typedef enum sl_fsync_e {
  SL_FSYNC_ALWAYS,    /* every put is on disk (fdatasync) before it is acknowledged */
  SL_FSYNC_INTERVAL,  /* group commit: puts are written and synced together, at most interval_ms apart */
  SL_FSYNC_NEVER      /* written when the buffer fills; the operating system decides when it reaches disk */
} sl_fsync_t;

/* "always", "interval", "never" -> the policy; SL_EINVAL (naming the word) otherwise. */
int sl_fsync_parse(const char *text, sl_fsync_t *out, sl_error_t *err);

typedef struct sl_store_config_s {
  const char *dir;          /* created if absent (its parent must exist) */
  sl_fsync_t fsync;         /* default SL_FSYNC_INTERVAL */
  int64_t interval_ms;      /* group commit interval (default 1000) */
  uint64_t segment_bytes;   /* a shard starts a new segment past this size (default 64 MiB) */
  /* The owner answers nobody before calling sl_store_flush (a server, once per loop iteration, before its
   * answers): appends only buffer, and the policy is applied at each flush. 0 (default): each append applies
   * the policy itself. */
  int deferred;
} sl_store_config_t;

void sl_store_config_init(sl_store_config_t *c);

/* Creates the folder dir (its parent must exist) so that it survives a power loss: the parent is synced after
 * it, or its new name could be lost with everything in it. SL_OK when it exists already. */
int sl_store_make_dir(const char *dir, sl_error_t *err);

/* What opening found. */
typedef struct sl_store_recovery_s {
  int existed;              /* the folder held a stream, which was reopened */
  uint64_t records;         /* records read back */
  uint32_t segments;        /* segment files read */
  int torn;                 /* a torn tail was cut off the last segment of a shard */
  char torn_file[4400];     /* which file */
  uint64_t torn_offset;     /* where it was cut */
  uint64_t torn_bytes;      /* how many bytes were dropped */
  char torn_why[96];        /* what was wrong with the first dropped frame */
} sl_store_recovery_t;

typedef struct sl_store_s sl_store_t;

/* Opens the store in c->dir: reopens the stream there (stream_config is then ignored but for nothing: the
 * stored settings win) or creates one from stream_config. A torn tail is cut off and reported in *recovery;
 * a bad frame anywhere else fails with SL_EIO naming the file and the byte offset. */
int sl_store_open(const sl_store_config_t *c, const sl_stream_config_t *stream_config, sl_store_t **out,
                  sl_store_recovery_t *recovery, sl_error_t *err);

/* The stream (owned by the store): put, read, reshard through it as usual; every change reaches the disk. */
sl_stream_t *sl_store_stream(sl_store_t *st);

/* Writes and syncs everything put so far (policy never included). */
int sl_store_sync(sl_store_t *st, sl_error_t *err);

/* Before answering what was put since the last call: everything buffered is written to the kernel (write(2)),
 * so a crash of the process loses nothing answered, and synced as the policy says (always: now; interval: if
 * the interval has passed; never: not). */
int sl_store_flush(sl_store_t *st, sl_error_t *err);

/* Retention: deletes every whole segment whose newest record is older than the stream's retention at now_ms
 * (a shard's segment being written is kept), and trims the in-memory records the same way. Returns the
 * segments deleted. */
uint32_t sl_store_trim(sl_store_t *st, int64_t now_ms, sl_error_t *err);

/* Reads up to max records of shard_index from the disk, from counter on (seeking with the indexes): visit gets
 * each; a nonzero return stops. */
typedef int (*sl_store_visit_fn)(void *ctx, uint64_t counter, int64_t arrival_ms, const char *key, size_t key_len,
                                 const void *data, size_t data_len);
int sl_store_read(sl_store_t *st, uint32_t shard_index, uint64_t counter, size_t max, sl_store_visit_fn visit,
                  void *ctx, sl_error_t *err);

/* Syncs (as sl_store_sync), closes the files and frees the store and its stream. */
int sl_store_close(sl_store_t *st, sl_error_t *err);

/* A mapping's checkpoints, one JSON document replaced atomically: name is the mapping's name. */
int sl_store_save_checkpoints(sl_store_t *st, const char *name, const char *json, sl_error_t *err);
/* Its last saved document (malloc'd), or NULL with SL_ENOTFOUND when none was saved. */
char *sl_store_load_checkpoints(sl_store_t *st, const char *name, sl_error_t *err);

/* The settings its owner keeps beside the stream (the API's tags, encryption, monitoring, policy: DIR/
 * settings.json), one JSON document replaced atomically; loading: malloc'd, or NULL with SL_ENOTFOUND. */
int sl_store_save_settings(sl_store_t *st, const char *json, sl_error_t *err);
char *sl_store_load_settings(sl_store_t *st, sl_error_t *err);

#endif
