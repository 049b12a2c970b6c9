/* lanes.h - which concurrency slot of a shard a record goes to (DESIGN 4, parallelization_factor).
 *
 * Lambda "still ensures in-order processing at the partition-key level" with a ParallelizationFactor above 1
 * (AWS Lambda guide, "Polling and batching streams"), but does not document how keys map to its concurrent
 * batches. shardlab offers two models, each keeping every key in one slot while any of its records is pending:
 *  - SL_ORDERING_LANES (default): PF virtual shards ("allocates multiple virtual shards", SAM spec); a record
 *    goes to lane MD5(partition key) mod PF. Distinct keys can share a lane, costing concurrency.
 *  - SL_ORDERING_KEYS: balanced assignment, the upper bound of smarter scheduling: a key with nothing pending
 *    goes to the slot with the fewest pending records (ties: the lowest index) and stays there while it has
 *    records pending.
 * A record is pending from sl_lanes_assign until sl_lanes_release (delivered, filtered, expired or failed).
 * Core code: no Lua, no clock. */
#ifndef SHARDLAB_LANES_H
#define SHARDLAB_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/hashkey.h"
#include "shardlab/shard_log.h"

#define SL_PF_MAX 10u  /* AWS: ParallelizationFactor 1..10 */

typedef enum sl_ordering_e { SL_ORDERING_LANES, SL_ORDERING_KEYS } sl_ordering_t;

typedef struct sl_lanes_s sl_lanes_t;

/* Slots of one shard. parallelization_factor 1..10. NULL when out of memory. */
int sl_lanes_create(uint32_t parallelization_factor, sl_ordering_t ordering, sl_lanes_t **out, sl_error_t *err);
void sl_lanes_destroy(sl_lanes_t *lanes);

/* Parses "lanes" or "keys". */
int sl_ordering_parse(const char *text, sl_ordering_t *out, sl_error_t *err);

/* The key's identity for ordering: MD5 of the partition key, whatever hash key routed the record. */
sl_hashkey_t sl_record_key_hash(const sl_record_t *record);

/* Assigns a record (its key's hash from sl_record_key_hash) to a slot and counts it pending there. Returns
 * the slot, or SL_ENOMEM. */
int sl_lanes_assign(sl_lanes_t *lanes, sl_hashkey_t key_hash);

/* The record of this key in slot is no longer pending. */
void sl_lanes_release(sl_lanes_t *lanes, sl_hashkey_t key_hash, uint32_t slot);

/* Records pending in a slot, and keys that currently hold a slot (keys ordering; 0 for lanes). */
uint64_t sl_lanes_pending(const sl_lanes_t *lanes, uint32_t slot);
size_t sl_lanes_active_keys(const sl_lanes_t *lanes);

#endif
