/* replay.h - recorded traffic as a producer (sl.replay{...}, docs/experiments.md "Replay"): a capture read at
 * load (replay_file.c: `aws kinesis get-records` output or JSONL of its records; replay_csv.c: CSV
 * timestamp,partition_key,bytes), its arrival times turned into the simulation's schedule, and each record put
 * again, re-keyed by a Lua function when the experiment asks (replay_producer.c). Private to the Lua layer. */
#ifndef SHARDLAB_REPLAY_H
#define SHARDLAB_REPLAY_H

#include <jansson.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/sim.h"

typedef enum sl_replay_format_e { SL_REPLAY_GET_RECORDS, SL_REPLAY_JSONL, SL_REPLAY_CSV } sl_replay_format_t;

/* One recorded record. key, data and explicit_hash_key share one allocation (at key). */
typedef struct sl_replay_record_s {
  char *key;
  size_t key_len;
  unsigned char *data;
  size_t data_len;
  char *explicit_hash_key;   /* NULL or decimal text */
  int64_t arrival_us;        /* ApproximateArrivalTimestamp (or the CSV's timestamp), us since the epoch */
  uint32_t where;            /* its line (jsonl, csv) or its index in Records from 1 (get-records) */
} sl_replay_record_t;

/* A capture as read. */
typedef struct sl_replay_s {
  char *file;                /* as the experiment gives it (errors, results) */
  char *path;                /* resolved against the experiment file's folder */
  sl_replay_format_t format;
  double speed;              /* inter-arrival times are divided by it */
  sl_replay_record_t *records;
  size_t count, cap;
  int64_t *schedule;         /* record i's time, us from the start: (arrival - first arrival) / speed */
  int rekey_ref;             /* registry reference of rekey, or LUA_NOREF */
} sl_replay_t;

/* replay_file.c: reads rp->path in rp->format into rp->records (refusing records out of time order) and fills
 * rp->schedule. Errors name the file, the line or record and the field ("data/c.jsonl line 3:
 * ApproximateArrivalTimestamp ..."). */
int sl_replay_load(sl_replay_t *rp, sl_error_t *err);
/* Appends a record (copying key, data and explicit hash key; data NULL: data_len filler bytes 'x'); SL_ENOMEM. */
int sl_replay_add(sl_replay_t *rp, const char *key, size_t key_len, const void *data, size_t data_len,
                  const char *explicit_hash_key, int64_t arrival_us, uint32_t where);
/* Frees the records, the schedule, the names and rp itself (not the rekey reference). NULL is ignored. */
void sl_replay_free(sl_replay_t *rp);

/* replay_csv.c: rp->path as CSV with the header timestamp,partition_key,bytes. */
int sl_replay_load_csv(sl_replay_t *rp, sl_error_t *err);

/* replay_producer.c. The producers entry at idx made by sl.replay{...} (scripts/shardlab/replay.lua): the file
 * read (relative to dir), the producer's schedule set. Errors start with path ("producers[2]"). */
int sl_replay_read(lua_State *L, int idx, const char *dir, const char *path, sl_replay_t **out,
                   sl_producer_config_t *pc, sl_error_t *err);
/* Record i (from 1) of the replay, re-keyed when rekey is given; pointers valid until the next call (the re-keyed
 * key is kept in *buf, grown as needed). p names the producer in errors (from 0). */
int sl_replay_produce(lua_State *L, const sl_replay_t *rp, uint32_t p, uint64_t i, sl_produced_t *out, char **buf,
                      size_t *buf_cap, sl_error_t *err);
/* The span of the schedule, us (the last record's time). */
int64_t sl_replay_span_us(const sl_replay_t *rp);
/* What the results' config.producer_rates says of it: {"kind": "replay", "file", "format", "speed",
 * "records", "span", "mean"} (mean: records due within duration_us, per second of it). A new reference. */
json_t *sl_replay_json(const sl_replay_t *rp, int64_t duration_us);
/* Unreferences rekey and frees rp. */
void sl_replay_destroy(lua_State *L, sl_replay_t *rp);

#endif
