/* read_limit.h - the per-shard read limits of Kinesis as two token buckets (private to the runtime).
 *
 * KDG quotas: "Each shard can support up to five read transactions per second. Each read transaction can
 * provide up to 10,000 records with an upper quota of 10 MB per transaction", "up to a maximum total data read
 * rate of 2 MB per second", shared by every consumer of the shard that is not an enhanced fan-out one; API
 * GetRecords: "If a call returns 10 MB, subsequent calls made within the next 5 seconds throw
 * ProvisionedThroughputExceededException". So a call needs a call token and a bytes bucket that is not in
 * debt; what it returns is charged afterwards and may take the bucket into debt. */
#ifndef SHARDLAB_READ_LIMIT_H
#define SHARDLAB_READ_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/stream.h"

typedef struct sl__read_limit_s {
  int64_t refilled_ms;  /* when the buckets were last refilled */
  int64_t calls;        /* GetRecords calls, in thousandths */
  int64_t bytes;        /* bytes, in thousandths; negative: in debt after a large read */
} sl__read_limit_t;

/* Fills both buckets as of now_ms (a new shard starts with a full second of capacity). */
void sl__read_limit_reset(sl__read_limit_t *r, const sl_stream_config_t *c, int64_t now_ms);

/* Refills to now_ms, then takes one call when there is one and the bytes are not in debt: 1, or 0 when the
 * call must be refused. */
int sl__read_limit_take(sl__read_limit_t *r, const sl_stream_config_t *c, int64_t now_ms);

/* Charges what an admitted call returned (key and data bytes). */
void sl__read_limit_charge(sl__read_limit_t *r, size_t bytes);

#endif
