/* reshard.c - SplitShard, MergeShards and UpdateShardCount (UNIFORM_SCALING) with AWS's refusals.
 *
 * A parent closes and keeps its records; readers finish it before reading its children (KDG, "Data routing,
 * data persistence, and shard state after a reshard"). Messages are AWS's, as recorded by kinesalite. */
#include "stream_internal.h"

#include <stdlib.h>
#include <string.h>

static int find_open(sl_stream_t *s, const char *shard_id, sl_shard_t **out, sl_error_t *err) {
  sl_shard_t *shard = (sl_shard_t *)sl_stream_find_shard(s, shard_id);
  if (shard == NULL)
    return sl_error_set(err, SL_ENOTFOUND, "Could not find shard %s in stream %s under account %s.",
                        shard_id ? shard_id : "(null)", s->name, s->account_id);
  if (!shard->open)
    return sl_error_set(err, SL_EINVAL,
                        "Shard %s in stream %s under account %s has already been merged or split, and thus is not "
                        "eligible for merging or splitting.",
                        shard->id, s->name, s->account_id);
  *out = shard;
  return SL_OK;
}

static int refuse_limit(sl_stream_t *s, uint32_t wanted, sl_error_t *err) {
  return sl_error_set(err, SL_ELIMIT,
                      "Stream %s under account %s would have %u open shards: at most %u are allowed", s->name,
                      s->account_id, wanted, SL_STREAM_MAX_SHARDS);
}

/* Splits an open shard at new_start (start < new_start <= end), without AWS's user-facing margin. The shard
 * pointer may be stale afterwards only in the sense that it is closed; it stays valid. */
static int split_at(sl_stream_t *s, sl_shard_t *shard, sl_hashkey_t new_start, int64_t now_ms) {
  int32_t parent = (int32_t)shard->index;
  sl_shard_t *low = sl__stream_add_shard(s, shard->start, new_start - 1, parent, -1, now_ms);
  sl_shard_t *high = low ? sl__stream_add_shard(s, new_start, shard->end, parent, -1, now_ms) : NULL;
  if (high == NULL) {
    if (low != NULL) sl__stream_close_shard(low, now_ms); /* never indexed as open, so never routed to */
    return SL_ENOMEM;
  }
  sl__stream_close_shard(shard, now_ms);
  shard->children[0] = (int32_t)low->index;
  shard->children[1] = (int32_t)high->index;
  return sl__stream_reindex(s);
}

static int merge_pair(sl_stream_t *s, sl_shard_t *low, sl_shard_t *high, int64_t now_ms) {
  sl_shard_t *child = sl__stream_add_shard(s, low->start, high->end, (int32_t)low->index, (int32_t)high->index,
                                          now_ms);
  if (child == NULL) return SL_ENOMEM;
  sl__stream_close_shard(low, now_ms);
  sl__stream_close_shard(high, now_ms);
  low->children[0] = high->children[0] = (int32_t)child->index;
  return sl__stream_reindex(s);
}

int sl_stream_split(sl_stream_t *s, const char *shard_id, const char *new_starting_hash_key, int64_t now_ms,
                    sl_error_t *err) {
  sl_shard_t *shard;
  int rc = find_open(s, shard_id, &shard, err);
  if (rc != SL_OK) return rc;
  sl_hashkey_t new_start;
  const char *text = new_starting_hash_key ? new_starting_hash_key : "";
  rc = sl_hashkey_parse(text, strlen(text), "NewStartingHashKey", &new_start, err);
  if (rc != SL_OK) return rc;
  if (new_start <= shard->start + 1 || new_start >= shard->end) {
    char lo[SL_HASHKEY_DECIMAL_SIZE], hi[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(shard->start, lo);
    sl_hashkey_format(shard->end, hi);
    return sl_error_set(err, SL_EINVAL,
                        "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is "
                        "not both greater than one plus the shard's StartingHashKey %s and less than the shard's "
                        "EndingHashKey %s.",
                        text, shard->id, s->name, s->account_id, lo, hi);
  }
  if (s->open_count + 1 > SL_STREAM_MAX_SHARDS) return refuse_limit(s, s->open_count + 1, err);
  rc = split_at(s, shard, new_start, now_ms);
  return rc == SL_OK ? sl__stream_changed(s, err) : sl_error_set(err, rc, "out of memory splitting %s", shard->id);
}

int sl_stream_merge(sl_stream_t *s, const char *shard_id, const char *adjacent_shard_id, int64_t now_ms,
                    sl_error_t *err) {
  sl_shard_t *a, *b;
  int rc = find_open(s, shard_id, &a, err);
  if (rc == SL_OK) rc = find_open(s, adjacent_shard_id, &b, err);
  if (rc != SL_OK) return rc;
  /* kinesalite, recorded from AWS: ShardToMerge must be the lower of the two ("adjacency is inverted" fails). */
  if (a == b || a->end + 1 != b->start || a->end == SL_HASHKEY_MAX)
    return sl_error_set(err, SL_EINVAL,
                        "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible "
                        "for merging",
                        a->id, b->id, s->name, s->account_id);
  rc = merge_pair(s, a, b, now_ms);
  return rc == SL_OK ? sl__stream_changed(s, err) : sl_error_set(err, rc, "out of memory merging %s and %s", a->id, b->id);
}

/* The open shard holding hash_key (mutable: reshard.c is the stream's own code). */
static sl_shard_t *holder(sl_stream_t *s, sl_hashkey_t hash_key) {
  return (sl_shard_t *)sl_stream_route(s, hash_key);
}

#define DAY_MS INT64_C(86400000)

/* UpdateShardCount calls that scaled the stream in the rolling 24 hours before now_ms; older ones are
 * forgotten. A call at t counts until t + 24 h, on the caller's clock. */
static uint32_t scalings_in_day(sl_stream_t *s, int64_t now_ms) {
  uint32_t kept = 0;
  for (uint32_t i = 0; i < s->scaling_count; i++)
    if (now_ms - s->scalings[i] < DAY_MS) s->scalings[kept++] = s->scalings[i];
  s->scaling_count = kept;
  return kept;
}

/* AWS's refusals of a target shard count (messages AWS's, as recorded by kinesalite). */
static int check_target(const sl_stream_t *s, uint32_t target, sl_error_t *err) {
  uint32_t current = s->open_count;
  if (target < 1)
    return sl_error_set(err, SL_EINVAL, "TargetShardCount %u is out of range: it must be at least 1", target);
  /* API UpdateShardCount: by default you cannot "Scale up to more than 10000 shards in a stream", "Scale up to
   * more than double your current shard count for a stream" nor "Scale down below half your current shard
   * count for a stream". */
  if (target > SL_STREAM_MAX_SHARDS)
    return sl_error_set(err, SL_ELIMIT, "Target shard count or number of open shards cannot be greater than %u. "
                        "Current open shard count: %u, Target shard count: %u", SL_STREAM_MAX_SHARDS, current, target);
  if (target > 2 * current)
    return sl_error_set(err, SL_ELIMIT, "UpdateShardCount cannot scale up over double your current open shard "
                        "count. Current open shard count: %u, Target shard count: %u", current, target);
  if (2 * (uint64_t)target < current)
    return sl_error_set(err, SL_ELIMIT, "UpdateShardCount cannot scale down below half your current open shard "
                        "count. Current open shard count: %u, Target shard count: %u", current, target);
  return SL_OK;
}

/* AWS's refusals for UpdateShardCount, and room to remember one more scaling. AWS's text for the rolling
 * 24-hour limit is not recorded anywhere shardlab could find, so that message is shardlab's own. */
static int check_scaling(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err) {
  uint32_t limit = s->config.update_shard_count_per_day;
  int rc = check_target(s, target, err);
  if (rc != SL_OK || limit == 0) return rc;
  /* API UpdateShardCount: by default you cannot "Scale more than ten times per rolling 24-hour period per
   * stream" (update_shard_count_per_day). */
  if (scalings_in_day(s, now_ms) >= limit)
    return sl_error_set(err, SL_ELIMIT, "UpdateShardCount cannot scale stream %s under account %s more than %u "
                        "times per rolling 24-hour period. Scaling operations in the last 24 hours: %u",
                        s->name, s->account_id, limit, s->scaling_count);
  if (s->scaling_count == s->scaling_cap) {
    uint32_t cap = s->scaling_cap ? s->scaling_cap * 2 : 4;
    int64_t *grown = realloc(s->scalings, cap * sizeof *grown);
    if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory scaling stream %s", s->name);
    s->scalings = grown;
    s->scaling_cap = cap;
  }
  return SL_OK;
}

/* Uniform scaling to target (checked). */
static int scale_uniform(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err) {
  /* Uniform scaling: split wherever a target boundary falls inside a shard, then merge the pieces of each
   * target range. AWS does the same with splits and merges and notes that "this can cause short-lived shards
   * to be created, in addition to the final shards". */
  for (uint32_t j = 1; j < target; j++) {
    sl_hashkey_t start, end;
    sl_hashkey_even_range(target, j, &start, &end);
    sl_shard_t *shard = holder(s, start);
    if (shard->start != start && split_at(s, shard, start, now_ms) != SL_OK)
      return sl_error_set(err, SL_ENOMEM, "out of memory scaling stream %s", s->name);
  }
  for (uint32_t j = 0; j < target; j++) {
    sl_hashkey_t start, end;
    sl_hashkey_even_range(target, j, &start, &end);
    for (sl_shard_t *low = holder(s, start); low->end != end;) {
      sl_shard_t *high = holder(s, low->end + 1);
      if (merge_pair(s, low, high, now_ms) != SL_OK)
        return sl_error_set(err, SL_ENOMEM, "out of memory scaling stream %s", s->name);
      low = holder(s, start);
    }
  }
  return sl__stream_changed(s, err);
}

int sl_stream_update_shard_count(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err) {
  int rc = check_scaling(s, target, now_ms, err);
  if (rc != SL_OK) return rc;
  if (s->config.update_shard_count_per_day > 0) s->scalings[s->scaling_count++] = now_ms; /* room made above */
  return scale_uniform(s, target, now_ms, err);
}

/* The service's own scaling of an on-demand stream: UpdateShardCount's target rules (at most double, at
 * least half), not its per-day limit, which is a quota on the caller's calls; not counted in it either. */
int sl__stream_scale_on_demand(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err) {
  int rc = check_target(s, target, err);
  return rc != SL_OK ? rc : scale_uniform(s, target, now_ms, err);
}
