/* stream_internal.h - the stream's private layout, shared by stream.c, iterator.c and reshard.c only. */
#ifndef SHARDLAB_STREAM_INTERNAL_H
#define SHARDLAB_STREAM_INTERNAL_H

#include "shardlab/stream.h"
#include "read_limit.h"
#include "write_limit.h"

/* A shard as the stream allocates it: the public part first (a pointer to it is a pointer to this), then
 * the state no one else sees. */
typedef struct sl__shard_entry_s {
  sl_shard_t shard;
  sl__write_limit_t write_limit;  /* its write-limit buckets */
  sl__read_limit_t read_limit;    /* its read-limit buckets */
} sl__shard_entry_t;

struct sl_stream_s {
  sl_stream_config_t config;          /* a copy; its strings point at the buffers below */
  char name[SL_STREAM_NAME_MAX + 1];  /* owned copy of config.name */
  char account_id[32];                /* owned copy of config.account_id */
  char region[32];                    /* owned copy of config.region */
  sl_shard_t **shards;                /* every shard by index; separately allocated so pointers stay valid */
  uint32_t shard_total;               /* entries used in shards */
  uint32_t shard_cap;                 /* entries allocated in shards */
  uint32_t *open;                     /* indexes of the open shards, ordered by starting hash key */
  sl_hashkey_t *open_start;           /* their starting hash keys, side by side for a cache-friendly search */
  uint32_t open_count;                /* entries used in open */
  uint32_t open_cap;                  /* entries allocated in open */
  const sl_stream_observer_t *observer; /* a durable backend, or NULL */
  int64_t *scalings;                  /* when UpdateShardCount scaled the stream in the last 24 h (reshard.c) */
  uint32_t scaling_count, scaling_cap;
  int64_t mode_switched_ms[2];        /* the last two capacity-mode switches, older first (0: none; stream_mode.c) */
  const sl_stream_hold_t **holds;     /* readers whose records retention must keep (sl_stream_add_hold) */
  size_t hold_count, hold_cap;
};

/* Tells the observer the shard map changed (after a resharding call). */
int sl__stream_changed(sl_stream_t *s, sl_error_t *err);

/* Appends a new open shard covering [start, end] with the given parents (-1 for none). NULL when out of
 * memory. The open-shard index is not updated: call sl__stream_reindex after a set of changes. */
sl_shard_t *sl__stream_add_shard(sl_stream_t *s, sl_hashkey_t start, sl_hashkey_t end, int32_t parent,
                                int32_t adjacent_parent, int64_t now_ms);

/* Closes a shard: no more writes; every record it holds stays readable. */
void sl__stream_close_shard(sl_shard_t *shard, int64_t now_ms);

/* Rebuilds the hash-ordered index of open shards. SL_ENOMEM leaves the previous index. */
int sl__stream_reindex(sl_stream_t *s);

/* Uniform scaling by the service itself (on_demand.c): UpdateShardCount's target rules without its rolling
 * 24-hour limit (reshard.c). */
int sl__stream_scale_on_demand(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err);

#endif
