/* write_limit.h - the per-shard write limits of Kinesis as two token buckets (private to the runtime).
 *
 * KDG quotas: "Each shard can support writes up to 1,000 records per second, up to a maximum data write total
 * of 1 MiB per second" (partition key bytes count toward the data). A bucket holds one second's worth and
 * refills continuously with the caller's clock. Tokens are kept in thousandths so that refills of rate/1000
 * per millisecond stay exact integers, and results never depend on floating point. */
#ifndef SHARDLAB_WRITE_LIMIT_H
#define SHARDLAB_WRITE_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/stream.h"

/* A shard's two buckets; the stream keeps one beside each shard (stream_internal.h). */
typedef struct sl__write_limit_s {
  int64_t refilled_ms;  /* when the buckets were last refilled */
  int64_t records;      /* tokens in thousandths of a record */
  int64_t bytes;        /* tokens in thousandths of a byte */
} sl__write_limit_t;

/* Fills both buckets as of now_ms (a new shard starts with a full second of capacity). */
void sl__write_limit_reset(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms);

/* Refills to now_ms, then takes one record of `bytes` (key + data) when both buckets hold enough. A full bytes
 * bucket admits one record larger than its capacity (it goes into debt), so that records up to the maximum
 * record size can always be written eventually. Returns 1 when taken, 0 when the write must be refused. */
int sl__write_limit_take(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms, size_t bytes);

#endif
