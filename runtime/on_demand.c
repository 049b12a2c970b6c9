/* on_demand.c - the on-demand capacity mode's scaling policy (see on_demand.h): the peak second of a window
 * kept in buckets, the shards that peak needs, the scaling delay, and the scaling itself (uniform, by the
 * service: reshard.c's internal entry, outside UpdateShardCount's per-day limit). */
#include "on_demand.h"

#include <string.h>

#include "stream_internal.h"

void sl_on_demand_init(sl_on_demand_t *p, uint32_t window_s, uint32_t delay_s) {
  memset(p, 0, sizeof *p);
  p->window_s = window_s > 0 ? window_s : 1;
  p->delay_s = delay_s;
  p->buckets = p->window_s < SL_ON_DEMAND_BUCKETS ? p->window_s : SL_ON_DEMAND_BUCKETS;
  p->bucket_s = (p->window_s + p->buckets - 1) / p->buckets; /* buckets x bucket_s covers the window */
  for (uint32_t i = 0; i < SL_ON_DEMAND_BUCKETS; i++) p->bucket_of[i] = -1;
  p->due_ms = -1;
}

static int64_t bucket_at(const sl_on_demand_t *p, int64_t now_ms) {
  int64_t second = now_ms > 0 ? now_ms / 1000 : 0;
  return second / p->bucket_s;
}

void sl_on_demand_feed(sl_on_demand_t *p, int64_t now_ms, uint64_t records, uint64_t bytes, uint64_t refused) {
  int64_t bucket = bucket_at(p, now_ms);
  uint32_t slot = (uint32_t)(bucket % p->buckets);
  if (p->bucket_of[slot] != bucket) { /* a new bucket replaces the one a window ago */
    p->bucket_of[slot] = bucket;
    p->peak_records[slot] = 0;
    p->peak_bytes[slot] = 0;
  }
  if (records > p->peak_records[slot]) p->peak_records[slot] = records;
  if (bytes > p->peak_bytes[slot]) p->peak_bytes[slot] = bytes;
  p->refused += refused;
  if (refused > 0) p->refused_seconds++;
}

void sl_on_demand_peak(const sl_on_demand_t *p, int64_t now_ms, uint64_t *records, uint64_t *bytes) {
  int64_t now = bucket_at(p, now_ms);
  *records = *bytes = 0;
  for (uint32_t i = 0; i < p->buckets; i++) {
    int64_t b = p->bucket_of[i];
    if (b < 0 || b > now || now - b >= (int64_t)p->buckets) continue; /* empty, or out of the window */
    if (p->peak_records[i] > *records) *records = p->peak_records[i];
    if (p->peak_bytes[i] > *bytes) *bytes = p->peak_bytes[i];
  }
}

static uint64_t shards_for(uint64_t capacity, uint32_t per_shard) {
  return per_shard > 0 ? (capacity + per_shard - 1) / per_shard : 0;
}

uint32_t sl_on_demand_needed(const sl_on_demand_t *p, int64_t now_ms, uint32_t records_per_shard,
                             uint32_t bytes_per_shard) {
  uint64_t records, bytes;
  sl_on_demand_peak(p, now_ms, &records, &bytes);
  uint64_t want_records = 2 * records > SL_ON_DEMAND_RECORDS_PER_SECOND ? 2 * records : SL_ON_DEMAND_RECORDS_PER_SECOND;
  uint64_t want_bytes = 2 * bytes > SL_ON_DEMAND_BYTES_PER_SECOND ? 2 * bytes : SL_ON_DEMAND_BYTES_PER_SECOND;
  uint64_t a = shards_for(want_records, records_per_shard), b = shards_for(want_bytes, bytes_per_shard);
  uint64_t n = a > b ? a : b;
  return n > SL_STREAM_MAX_SHARDS ? SL_STREAM_MAX_SHARDS : (uint32_t)n;
}

uint32_t sl_on_demand_decide(sl_on_demand_t *p, int64_t now_ms, uint32_t open, uint32_t needed) {
  if (needed <= open) { /* enough: nothing waits (never down) */
    p->due_ms = -1;
    return 0;
  }
  if (p->due_ms < 0) p->due_ms = now_ms + (int64_t)p->delay_s * 1000;
  if (now_ms < p->due_ms) return 0;
  p->due_ms = -1; /* this step; a shortfall left after it waits a delay of its own */
  uint64_t most = 2 * (uint64_t)open; /* UpdateShardCount: at most double the open shards per call */
  if (most > SL_STREAM_MAX_SHARDS) most = SL_STREAM_MAX_SHARDS;
  return needed < most ? needed : (uint32_t)most;
}

static void totals(const sl_stream_t *s, uint64_t *records, uint64_t *bytes, uint64_t *refused) {
  *records = *bytes = *refused = 0;
  for (uint32_t i = 0; i < s->shard_total; i++) {
    *records += s->shards[i]->stats.records_in;
    *bytes += s->shards[i]->stats.bytes_in;
    *refused += s->shards[i]->stats.records_throttled;
  }
}

void sl_on_demand_attach(sl_on_demand_t *p, const sl_stream_t *s) {
  sl_on_demand_init(p, s->config.on_demand_peak_window_s, s->config.on_demand_scale_delay_s);
  totals(s, &p->seen_records, &p->seen_bytes, &p->seen_refused);
  p->seen_ms = -1;
  p->attached = 1;
}

int sl_on_demand_step(sl_on_demand_t *p, sl_stream_t *s, int64_t now_ms, uint32_t *scaled_to, sl_error_t *err) {
  *scaled_to = 0;
  if (!p->attached) sl_on_demand_attach(p, s);
  uint64_t records, bytes, refused;
  totals(s, &records, &bytes, &refused);
  uint64_t ms = p->seen_ms >= 0 && now_ms - p->seen_ms > 1000 ? (uint64_t)(now_ms - p->seen_ms) : 1000;
  sl_on_demand_feed(p, now_ms, (records - p->seen_records) * 1000 / ms, (bytes - p->seen_bytes) * 1000 / ms,
                    refused - p->seen_refused);
  p->seen_ms = now_ms;
  p->seen_records = records;
  p->seen_bytes = bytes;
  p->seen_refused = refused;
  if (s->config.mode != SL_STREAM_ON_DEMAND) return SL_OK;
  uint32_t needed = sl_on_demand_needed(p, now_ms, s->config.records_per_second, s->config.bytes_per_second);
  uint32_t target = sl_on_demand_decide(p, now_ms, s->open_count, needed);
  if (target == 0) return SL_OK;
  int rc = sl__stream_scale_on_demand(s, target, now_ms, err);
  if (rc != SL_OK) return rc;
  p->steps++;
  *scaled_to = target;
  return SL_OK;
}
