/* store_meta.h - a stream's settings and shard map as DIR/stream.json (store_meta.c). Private to storage. */
#ifndef SHARDLAB_STORE_META_H
#define SHARDLAB_STORE_META_H

#include "shardlab/error.h"
#include "shardlab/stream.h"

/* Writes the stream's metadata to path, atomically. */
int sl_store_meta_save(const sl_stream_t *s, const char *path, sl_error_t *err);

/* What path says: the settings (strings owned by *meta) and the shards, by index. */
typedef struct sl_store_meta_s {
  sl_stream_config_t config;
  char name[SL_STREAM_NAME_MAX + 1], account_id[32], region[32];
  sl_shard_t *shards;   /* metadata only: no logs, no stats */
  uint32_t shard_count;
  int64_t *scalings;    /* the stream's history (sl_stream_history_t), owned */
  uint32_t scaling_count;
  int64_t mode_switched_ms[2];
} sl_store_meta_t;

int sl_store_meta_load(const char *path, sl_store_meta_t *meta, sl_error_t *err);
void sl_store_meta_free(sl_store_meta_t *meta);

#endif
