/* stream.h - a Kinesis data stream: shards with hash key ranges, routing by MD5, puts with AWS's validation
 * and per-shard write limits, retention, iterators, and resharding (split, merge, uniform scaling).
 *
 * The stream has no clock of its own: every call that depends on time takes now_ms from the caller (the
 * virtual or the real clock), which keeps the model deterministic and testable. Not thread-safe: one owner
 * thread calls into a stream at a time. */
#ifndef SHARDLAB_STREAM_H
#define SHARDLAB_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/hashkey.h"
#include "shardlab/seqnum.h"
#include "shardlab/shard_log.h"

#define SL_STREAM_MAX_SHARDS 10000u      /* open shards a stream may have at once */
#define SL_STREAM_NAME_MAX 128u
#define SL_PARTITION_KEY_MAX_CHARS 256u  /* API PutRecord: PartitionKey length 1..256 (Unicode characters) */
#define SL_SHARD_ID_SIZE 21u             /* "shardId-" + 12 digits + NUL */
#define SL_ACCOUNT_ID_DEFAULT "123456789012"
#define SL_REGION_DEFAULT "us-east-1"
#define SL_GET_RECORDS_MAX_RECORDS 10000u     /* API GetRecords: at most 10,000 records a call */
#define SL_GET_RECORDS_MAX_BYTES (10u << 20)  /* and at most 10 MiB ("up to 10 MB of data per call") */

/* The capacity mode (API StreamModeDetails; KDG "Choose the data stream capacity mode"). An on-demand
 * stream is scaled by the service: runtime/on_demand.h holds the policy, docs/semantics.md "Capacity modes". */
typedef enum sl_stream_mode_e { SL_STREAM_PROVISIONED = 0, SL_STREAM_ON_DEMAND } sl_stream_mode_t;
#define SL_STREAM_ON_DEMAND_SHARDS 4u  /* a new on-demand stream: 4 MB/s and 4,000 records/s of writes */

typedef struct sl_stream_config_s {
  const char *name;              /* [a-zA-Z0-9_.-]{1,128} (API CreateStream: StreamName pattern) */
  uint32_t shard_count;          /* 1..SL_STREAM_MAX_SHARDS; 0 with on_demand: SL_STREAM_ON_DEMAND_SHARDS */
  sl_stream_mode_t mode;         /* provisioned (default) or on-demand */
  uint32_t on_demand_scale_delay_s;  /* on-demand: a shortfall is scaled away this long after it is seen
                                      * (default 900: KDG's "within a 15-minute duration") */
  uint32_t on_demand_peak_window_s;  /* on-demand: the previous peak is the highest second of this window
                                      * (default 30 days, KDG) */
  uint32_t retention_hours;      /* 24..8760 (default 24, API IncreaseStreamRetentionPeriod) */
  int write_limits;              /* nonzero: enforce the per-shard write limits below (default on) */
  uint32_t records_per_second;   /* per-shard write limit in records (default 1,000, KDG quotas) */
  uint32_t bytes_per_second;     /* per-shard write limit in bytes, key bytes included (default 1 MiB) */
  uint32_t max_record_size_kib;  /* largest data blob, KiB: 1024 default, up to 10240 */
  int read_limits;               /* nonzero: reads go through the per-shard read limits below (default on) */
  uint32_t reads_per_second;     /* per-shard GetRecords calls a second (default 5, KDG quotas) */
  uint32_t read_bytes_per_second; /* per-shard bytes read a second, key bytes included (default 2 MiB) */
  uint32_t update_shard_count_per_day; /* UpdateShardCount calls that may scale the stream per rolling 24 hours
                                        * (default 10, API UpdateShardCount); 0: no limit */
  const char *account_id;        /* used in ARNs and AWS's messages (default SL_ACCOUNT_ID_DEFAULT) */
  const char *region;            /* used in ARNs (default SL_REGION_DEFAULT) */
  int64_t created_ms;            /* creation time on the caller's clock, ms since the epoch */
} sl_stream_config_t;

/* Per-shard counters; they only grow. */
typedef struct sl_shard_stats_s {
  uint64_t records_in;         /* records accepted */
  uint64_t bytes_in;           /* key + data bytes accepted */
  uint64_t records_throttled;  /* puts refused with ProvisionedThroughputExceededException */
  uint64_t records_trimmed;    /* records dropped by retention */
  uint64_t read_throttles;     /* GetRecords calls refused by the read limits */
  uint64_t reads;              /* GetRecords calls admitted by the read limits (counted only with read_limits on) */
} sl_shard_stats_t;

/* A shard, owned by its stream and read-only to everyone else. Closed shards stay in the stream (with their
 * records, until retention trims them) so readers can finish them before they read the children. */
typedef struct sl_shard_s {
  char id[SL_SHARD_ID_SIZE];    /* shardId-000000000000 */
  uint32_t index;               /* the number in the id; also the shard's position in the stream */
  sl_hashkey_t start;           /* StartingHashKey, inclusive */
  sl_hashkey_t end;             /* EndingHashKey, inclusive */
  int32_t parent;               /* ParentShardId as an index, -1 when none */
  int32_t adjacent_parent;      /* AdjacentParentShardId (merges only), -1 when none */
  int32_t children[2];          /* indexes of the shards that replaced it, -1 when none */
  int open;                     /* nonzero until split or merged */
  int64_t created_ms;           /* creation time */
  int64_t closed_ms;            /* when it was split or merged, -1 while open */
  uint64_t end_counter;         /* once closed: every record has a counter below this */
  sl_shard_log_t *log;          /* its records */
  sl_shard_stats_t stats;       /* what was written to it */
  int64_t last_arrival_ms;      /* arrival times are kept monotonic per shard */
} sl_shard_t;

typedef struct sl_stream_s sl_stream_t;

/* The outcome of a successful put. */
typedef struct sl_put_result_s {
  uint32_t shard_index;  /* which shard took the record */
  sl_seqnum_t seq;       /* its sequence number (sl_seqnum_format gives the decimal form) */
} sl_put_result_t;

/* Fills c with the documented defaults; the caller then sets name and shard_count. */
void sl_stream_config_init(sl_stream_config_t *c);

/* Creates a stream. Errors name the field at fault (StreamName, ShardCount, RetentionPeriodHours, ...). */
int sl_stream_create(const sl_stream_config_t *c, sl_stream_t **out, sl_error_t *err);
void sl_stream_destroy(sl_stream_t *s);

const char *sl_stream_name(const sl_stream_t *s);
const sl_stream_config_t *sl_stream_config(const sl_stream_t *s);

/* Every shard ever created (open and closed), by index. */
uint32_t sl_stream_shard_total(const sl_stream_t *s);
const sl_shard_t *sl_stream_shard(const sl_stream_t *s, uint32_t index);
/* The shard with this id, or NULL. */
const sl_shard_t *sl_stream_find_shard(const sl_stream_t *s, const char *shard_id);

/* Open shards in hash key order. */
uint32_t sl_stream_open_count(const sl_stream_t *s);
const sl_shard_t *sl_stream_open_shard(const sl_stream_t *s, uint32_t rank);

/* The open shard whose range holds hash_key (the open shards always cover the whole hash space). */
const sl_shard_t *sl_stream_route(const sl_stream_t *s, sl_hashkey_t hash_key);

/* Checks a partition key: valid UTF-8, 1..256 Unicode characters. */
int sl_partition_key_check(const char *key, size_t len, sl_error_t *err);

/* Puts one record (API PutRecord). explicit_hash_key is NULL or a NUL-terminated decimal string that replaces
 * MD5(key) for routing. Refusals: SL_EINVAL for a bad key, explicit hash key or oversized data;
 * SL_ETHROTTLED with AWS's message when the shard's write limit is exhausted (nothing is stored). */
int sl_stream_put(sl_stream_t *s, int64_t now_ms, const char *key, size_t key_len, const char *explicit_hash_key,
                  const void *data, size_t data_len, sl_put_result_t *result, sl_error_t *err);

/* Changes the retention period (API Increase/DecreaseStreamRetentionPeriod: increase must not shorten it,
 * decrease must not lengthen it; 24..8760 hours), with AWS's messages. */
int sl_stream_set_retention(sl_stream_t *s, uint32_t hours, int increase, sl_error_t *err);

/* Changes the largest data blob a put takes (API UpdateMaxRecordSize: 1024..10240 KiB). */
int sl_stream_set_max_record_size(sl_stream_t *s, uint32_t kib, sl_error_t *err);

/* Switches the capacity mode (API UpdateStreamMode); the shards stay as they are. SL_ELIMIT after two switches
 * in the last 24 hours (KDG); the same mode again is no switch. Parses "PROVISIONED" and "ON_DEMAND"
 * (SL_EINVAL otherwise). */
int sl_stream_set_mode(sl_stream_t *s, sl_stream_mode_t mode, int64_t now_ms, sl_error_t *err);
int sl_stream_mode_parse(const char *text, sl_stream_mode_t *out);
const char *sl_stream_mode_name(sl_stream_mode_t mode); /* "PROVISIONED", "ON_DEMAND" */

/* Drops records older than the retention period, except those a hold (below) still uses. Returns how many
 * were dropped (also counted per shard). */
uint64_t sl_stream_trim(sl_stream_t *s, int64_t now_ms);

/* A reader that keeps pointers to a stream's records between calls (a mapping of `shardlab serve --mapping`):
 * retention never drops a record at or after the first one it holds in a shard, so its pointers stay valid;
 * the reader expires what it holds itself. first_held: the lowest counter it still uses in that shard,
 * UINT64_MAX for none. The hold is the caller's, and must stay valid until removed. */
typedef struct sl_stream_hold_s {
  uint64_t (*first_held)(void *ctx, uint32_t shard_index);
  void *ctx;
} sl_stream_hold_t;

/* GetRecords under the per-shard read limits (read_limits; the budget is shared by every caller, as a shard's
 * is by its standard consumers): 1 when a call on the shard may be made at now_ms (it is counted), 0 when it
 * must be refused with ProvisionedThroughputExceededException (counted in the shard's read_throttles). Always
 * 1 without read limits. After an admitted call, charge what it returned (key and data bytes). */
int sl_stream_read_take(sl_stream_t *s, uint32_t shard_index, int64_t now_ms);
void sl_stream_read_charge(sl_stream_t *s, uint32_t shard_index, size_t bytes);

int sl_stream_add_hold(sl_stream_t *s, const sl_stream_hold_t *hold, sl_error_t *err); /* SL_ENOMEM */
void sl_stream_remove_hold(sl_stream_t *s, const sl_stream_hold_t *hold);

/* Frees a shard's records below `counter` when the caller is the stream's only reader and is done with them
 * (the simulation does this behind its checkpoint, so memory follows the unconsumed records). They are not
 * counted as trimmed: nothing was lost. */
uint64_t sl_stream_release(sl_stream_t *s, uint32_t shard_index, uint64_t counter);

/* Resharding (API SplitShard, MergeShards, UpdateShardCount with UNIFORM_SCALING). Parents close and keep their
 * records; children get fresh ids. Refusals carry AWS's messages. */
int sl_stream_split(sl_stream_t *s, const char *shard_id, const char *new_starting_hash_key, int64_t now_ms,
                    sl_error_t *err);
int sl_stream_merge(sl_stream_t *s, const char *shard_id, const char *adjacent_shard_id, int64_t now_ms,
                    sl_error_t *err);
int sl_stream_update_shard_count(sl_stream_t *s, uint32_t target, int64_t now_ms, sl_error_t *err);

/* --- a durable backend's hooks (runtime/storage/) --------------------------------------------------------- */

/* Told about every record before the stream accepts it, and about every change of the shard map. An error
 * from append refuses the put (the record is not stored); from changed, fails the resharding call after
 * the fact (the stream has changed; the caller reports the error). */
typedef struct sl_stream_observer_s {
  int (*append)(void *ctx, const sl_shard_t *shard, uint64_t counter, int64_t arrival_ms, sl_hashkey_t hash_key,
                int explicit_hash, const char *key, size_t key_len, const void *data, size_t data_len,
                sl_error_t *err);
  int (*changed)(void *ctx, const sl_stream_t *s, sl_error_t *err);
  void *ctx;
} sl_stream_observer_t;

/* Sets (or with NULL removes) the observer; the pointer must outlive its use. */
void sl_stream_observe(sl_stream_t *s, const sl_stream_observer_t *observer);

/* Rebuilding a stream from storage: a shard as it was (index = its position; parents, children, ranges, open
 * or closed, times and end counter as given; its log starting at first_counter), then its records in counter
 * order, bypassing validation, write limits and the observer. */
int sl_stream_restore_shard(sl_stream_t *s, const sl_shard_t *meta, uint64_t first_counter, sl_error_t *err);
int sl_stream_restore_record(sl_stream_t *s, uint32_t shard_index, uint64_t counter, int64_t arrival_ms,
                             sl_hashkey_t hash_key, int explicit_hash, const char *key, size_t key_len,
                             const void *data, size_t data_len, sl_error_t *err);
/* An empty stream (no shards) to restore into; sl_stream_restore_done rebuilds the open-shard index. */
int sl_stream_create_empty(const sl_stream_config_t *c, sl_stream_t **out, sl_error_t *err);
int sl_stream_restore_done(sl_stream_t *s, sl_error_t *err);

/* What the stream remembers of its callers' capacity changes, for AWS's limits on them: a durable store
 * saves it and restores it (copied), so a restart does not reset the limits. */
typedef struct sl_stream_history_s {
  const int64_t *scalings;        /* when UpdateShardCount scaled it in the last 24 hours (ms) */
  uint32_t scaling_count;
  int64_t mode_switched_ms[2];    /* the last two capacity-mode switches, older first (0: none) */
} sl_stream_history_t;
void sl_stream_history(const sl_stream_t *s, sl_stream_history_t *out);
int sl_stream_restore_history(sl_stream_t *s, const sl_stream_history_t *h, sl_error_t *err); /* SL_ENOMEM */

/* Sequence number of a shard's record with this counter and arrival time. */
void sl_shard_seqnum(const sl_shard_t *shard, uint64_t counter, int64_t arrival_ms, sl_seqnum_t *out);

/* Iterators (API GetShardIterator). Caller-owned; valid while the stream lives. */
typedef enum sl_iterator_type_e {
  SL_ITER_TRIM_HORIZON,
  SL_ITER_LATEST,
  SL_ITER_AT_SEQUENCE_NUMBER,
  SL_ITER_AFTER_SEQUENCE_NUMBER,
  SL_ITER_AT_TIMESTAMP
} sl_iterator_type_t;

typedef struct sl_shard_iterator_s {
  const sl_shard_t *shard;  /* the shard being read */
  uint64_t next;            /* counter of the next record to return */
} sl_shard_iterator_t;

/* Parses "TRIM_HORIZON", "LATEST", ...; SL_EINVAL for anything else. */
int sl_iterator_type_parse(const char *text, sl_iterator_type_t *out, sl_error_t *err);

/* Positions it on shard. sequence_number is used by AT_/AFTER_SEQUENCE_NUMBER (decimal text; it must belong to
 * this shard), timestamp_ms by AT_TIMESTAMP. */
int sl_shard_iterator_init(sl_shard_iterator_t *it, const sl_shard_t *shard, sl_iterator_type_t type,
                           const char *sequence_number, int64_t timestamp_ms, sl_error_t *err);

/* Reads up to max records into out (pointers valid until retention trims them). Records the iterator had not
 * reached before retention trimmed them are skipped and their number added to *expired (may be NULL): they
 * are counted, never silently lost. Returns the number of records read, or SL_ECLOSED when the shard is closed
 * and every record has been read: the reader moves on to the children (sl_shard_t.children). */
int sl_shard_iterator_read(sl_shard_iterator_t *it, const sl_record_t **out, size_t max, uint64_t *expired);

/* Nonzero when the shard is closed and the iterator has read all of it: its children may start. */
int sl_shard_iterator_exhausted(const sl_shard_iterator_t *it);

#endif
