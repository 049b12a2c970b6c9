/* on_demand.h - the on-demand capacity mode's scaling policy (docs/semantics.md, "Capacity modes").
 *
 * AWS documents the figures, not the algorithm (KDG, "Choose the data stream capacity mode"): a new on-demand
 * stream takes 4 MB/s and 4,000 records per second of writes; it "can accommodate up to double its previous
 * peak write throughput observed in the last 30 days"; throttling "can occur if your traffic grows to more
 * than double the previous peak within a 15-minute duration"; the service manages the shards itself. The
 * policy here: fed each second's writes, it keeps the peak second of the window, wants capacity for
 * max(4 MB/s and 4,000 records/s, 2 x peak), and when the open shards fall short for the scaling delay it
 * scales uniformly towards it, at most doubling per step (UpdateShardCount's rule). It never scales down.
 * The caller's clock throughout (virtual or wall). Private to libshardlab: the simulation and the API use it. */
#ifndef SHARDLAB_ON_DEMAND_H
#define SHARDLAB_ON_DEMAND_H

#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/stream.h"

#define SL_ON_DEMAND_RECORDS_PER_SECOND 4000u     /* a new on-demand stream's write capacity (KDG) */
#define SL_ON_DEMAND_BYTES_PER_SECOND (4u << 20)  /* 4 MB/s, as MiB like the per-shard 1 MB/s */
#define SL_ON_DEMAND_BUCKETS 720u                 /* the window's resolution: 1 hour of 30 days */

typedef struct sl_on_demand_s {
  uint32_t window_s, delay_s;   /* the settings (stream config on_demand_peak_window_s, _scale_delay_s) */
  uint32_t bucket_s, buckets;   /* the window as `buckets` buckets of bucket_s seconds */
  uint64_t peak_records[SL_ON_DEMAND_BUCKETS], peak_bytes[SL_ON_DEMAND_BUCKETS]; /* highest second of each */
  int64_t bucket_of[SL_ON_DEMAND_BUCKETS];  /* which bucket (seconds / bucket_s) a slot holds, -1: none */
  int64_t due_ms;               /* a shortfall was seen: scale at this time; -1 when none waits */
  int attached;                 /* sl_on_demand_attach has run (totals below are the stream's) */
  uint64_t seen_records, seen_bytes, seen_refused; /* the stream's totals at the last step */
  int64_t seen_ms;              /* when that step was, -1 before the first */
  uint64_t refused, refused_seconds;  /* puts refused, and seconds with refusals, while fed */
  uint32_t steps;               /* scalings applied */
} sl_on_demand_t;

/* A policy with these settings and no history (the unit tests' entry). */
void sl_on_demand_init(sl_on_demand_t *p, uint32_t window_s, uint32_t delay_s);
/* One second's writes (accepted records and bytes, refused puts), the second ending at now_ms. Refused puts
 * are counted, not taken as demand: a refused record is put again (a producer's retry) and would be counted
 * once per try; a throttled stream's accepted rate is its capacity, whose double is already more. */
void sl_on_demand_feed(sl_on_demand_t *p, int64_t now_ms, uint64_t records, uint64_t bytes, uint64_t refused);
/* The peak second of the window ending at now_ms. */
void sl_on_demand_peak(const sl_on_demand_t *p, int64_t now_ms, uint64_t *records, uint64_t *bytes);
/* Shards the policy wants at now_ms for these per-shard write limits: max(initial, 2 x peak) / limit,
 * rounded up, at most SL_STREAM_MAX_SHARDS. */
uint32_t sl_on_demand_needed(const sl_on_demand_t *p, int64_t now_ms, uint32_t records_per_shard,
                             uint32_t bytes_per_shard);
/* The decision at now_ms with `open` open shards: a target shard count to scale to now, or 0. A shortfall
 * first seen at t is scaled at t + delay, to min(needed, 2 x open); a further shortfall waits again. */
uint32_t sl_on_demand_decide(sl_on_demand_t *p, int64_t now_ms, uint32_t open, uint32_t needed);

/* --- on a stream ------------------------------------------------------------------------------------------ */

/* Starts watching stream s: its settings, and its write totals so far (not one second's writes). */
void sl_on_demand_attach(sl_on_demand_t *p, const sl_stream_t *s);
/* Once a second at now_ms: feeds the writes since the last step (the shards' stats; a step more than a second
 * after the last feeds their average per second), decides, and scales s
 * when the decision says so (*scaled_to: the new open shard count, 0 when unchanged). Nothing is scaled
 * while s is provisioned (it is still fed). Errors are the stream's (out of memory, a durable backend's). */
int sl_on_demand_step(sl_on_demand_t *p, sl_stream_t *s, int64_t now_ms, uint32_t *scaled_to, sl_error_t *err);

#endif
