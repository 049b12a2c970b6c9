/* stream.c - stream creation and teardown, shard bookkeeping, routing, puts with AWS's validation and write
 * limits, and retention. Resharding is in reshard.c, iterators in iterator.c. */
#include "stream_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void sl_stream_config_init(sl_stream_config_t *c) {
  memset(c, 0, sizeof *c);
  c->retention_hours = 24;         /* KDG: "24 hours by default" */
  c->write_limits = 1;
  c->records_per_second = 1000;    /* KDG quotas: 1,000 records per second per shard */
  c->bytes_per_second = 1u << 20;  /* KDG quotas: 1 MiB per second per shard */
  c->max_record_size_kib = 1024;   /* API PutRecord: data blob up to 1 MiB; large records up to 10 MiB */
  c->read_limits = 1;
  c->reads_per_second = 5;            /* KDG quotas: "up to five read transactions per second" per shard */
  c->read_bytes_per_second = 2u << 20; /* KDG quotas: "a maximum total data read rate of 2 MB per second" */
  c->update_shard_count_per_day = 10; /* API UpdateShardCount: "Scale more than ten times per rolling 24-hour
                                       * period per stream" is refused by default */
  c->mode = SL_STREAM_PROVISIONED;
  c->on_demand_scale_delay_s = 900;       /* KDG "Choose the data stream capacity mode": throttling "can occur if
                                           * your traffic grows to more than double the previous peak within a
                                           * 15-minute duration" */
  c->on_demand_peak_window_s = 30 * 86400; /* KDG: the "previous peak write throughput observed in the last 30
                                            * days" */
  c->account_id = SL_ACCOUNT_ID_DEFAULT;
  c->region = SL_REGION_DEFAULT;
}

static int check_name(const char *name, sl_error_t *err) {
  size_t len = name ? strlen(name) : 0;
  if (len == 0 || len > SL_STREAM_NAME_MAX)
    return sl_error_set(err, SL_EINVAL, "StreamName must have 1 to 128 characters, got %zu", len);
  for (size_t i = 0; i < len; i++) {
    char ch = name[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
             ch == '.' || ch == '-';
    if (!ok)
      return sl_error_set(err, SL_EINVAL,
                          "StreamName '%s' has character %zu outside [a-zA-Z0-9_.-] (API CreateStream pattern)",
                          name, i + 1);
  }
  return SL_OK;
}

static int check_config(const sl_stream_config_t *c, sl_error_t *err) {
  int rc = check_name(c->name, err);
  if (rc != SL_OK) return rc;
  if (c->mode != SL_STREAM_PROVISIONED && c->mode != SL_STREAM_ON_DEMAND)
    return sl_error_set(err, SL_EINVAL, "StreamMode %d is neither PROVISIONED nor ON_DEMAND", (int)c->mode);
  if (c->mode == SL_STREAM_ON_DEMAND && c->on_demand_peak_window_s < 1)
    return sl_error_set(err, SL_EINVAL, "on_demand_peak_window must be at least 1 second");
  if ((c->shard_count < 1 && c->mode != SL_STREAM_ON_DEMAND) || c->shard_count > SL_STREAM_MAX_SHARDS)
    return sl_error_set(err, SL_EINVAL, "ShardCount %u is out of range: it must be between 1 and %u",
                        c->shard_count, SL_STREAM_MAX_SHARDS);
  if (c->retention_hours < 24 || c->retention_hours > 8760)
    return sl_error_set(err, SL_EINVAL, "RetentionPeriodHours %u is out of range: it must be between 24 and 8760",
                        c->retention_hours);
  if (c->max_record_size_kib < 1 || c->max_record_size_kib > 10240)
    return sl_error_set(err, SL_EINVAL, "max_record_size_kib %u is out of range: it must be between 1 and 10240",
                        c->max_record_size_kib);
  if (c->write_limits && (c->records_per_second == 0 || c->bytes_per_second == 0))
    return sl_error_set(err, SL_EINVAL, "write limits must be positive (records_per_second %u, bytes_per_second %u)",
                        c->records_per_second, c->bytes_per_second);
  if (c->read_limits && (c->reads_per_second == 0 || c->read_bytes_per_second == 0))
    return sl_error_set(err, SL_EINVAL, "read limits must be positive (reads_per_second %u, read_bytes_per_second %u)",
                        c->reads_per_second, c->read_bytes_per_second);
  if (c->account_id == NULL || strlen(c->account_id) == 0 || strlen(c->account_id) >= 32)
    return sl_error_set(err, SL_EINVAL, "account_id must have 1 to 31 characters");
  if (c->region == NULL || strlen(c->region) == 0 || strlen(c->region) >= 32)
    return sl_error_set(err, SL_EINVAL, "region must have 1 to 31 characters");
  return SL_OK;
}

int sl_stream_create_empty(const sl_stream_config_t *c, sl_stream_t **out, sl_error_t *err) {
  *out = NULL;
  int rc = check_config(c, err);
  if (rc != SL_OK) return rc;
  sl_stream_t *s = calloc(1, sizeof *s);
  if (s == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory creating stream %s", c->name);
  s->config = *c;
  snprintf(s->name, sizeof s->name, "%s", c->name);
  snprintf(s->account_id, sizeof s->account_id, "%s", c->account_id);
  snprintf(s->region, sizeof s->region, "%s", c->region);
  s->config.name = s->name;
  s->config.account_id = s->account_id;
  s->config.region = s->region;
  *out = s;
  return SL_OK;
}

int sl_stream_create(const sl_stream_config_t *c, sl_stream_t **out, sl_error_t *err) {
  sl_stream_t *s;
  int rc = sl_stream_create_empty(c, &s, err);
  if (rc != SL_OK) return rc;
  if (s->config.shard_count == 0) s->config.shard_count = SL_STREAM_ON_DEMAND_SHARDS; /* on-demand's start */
  uint32_t count = s->config.shard_count;
  for (uint32_t i = 0; i < count; i++) {
    sl_hashkey_t start, end;
    sl_hashkey_even_range(count, i, &start, &end);
    if (sl__stream_add_shard(s, start, end, -1, -1, c->created_ms) == NULL) {
      sl_stream_destroy(s);
      return sl_error_set(err, SL_ENOMEM, "out of memory creating %u shards", count);
    }
  }
  if (sl__stream_reindex(s) != SL_OK) {
    sl_stream_destroy(s);
    return sl_error_set(err, SL_ENOMEM, "out of memory creating %u shards", count);
  }
  *out = s;
  return SL_OK;
}

void sl_stream_destroy(sl_stream_t *s) {
  if (s == NULL) return;
  for (uint32_t i = 0; i < s->shard_total; i++) {
    sl_shard_log_destroy(s->shards[i]->log);
    free(s->shards[i]);
  }
  free(s->shards);
  free(s->open);
  free(s->open_start);
  free(s->scalings);
  free(s->holds);
  free(s);
}

sl_shard_t *sl__stream_add_shard(sl_stream_t *s, sl_hashkey_t start, sl_hashkey_t end, int32_t parent,
                                int32_t adjacent_parent, int64_t now_ms) {
  if (s->shard_total == s->shard_cap) {
    uint32_t cap = s->shard_cap ? s->shard_cap * 2 : 16;
    sl_shard_t **grown = realloc(s->shards, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    s->shards = grown;
    s->shard_cap = cap;
  }
  sl__shard_entry_t *entry = calloc(1, sizeof *entry);
  if (entry == NULL) return NULL;
  sl_shard_t *shard = &entry->shard;
  shard->log = sl_shard_log_create(0);
  if (shard->log == NULL) {
    free(entry);
    return NULL;
  }
  shard->index = s->shard_total;
  snprintf(shard->id, sizeof shard->id, "shardId-%012u", shard->index);
  shard->start = start;
  shard->end = end;
  shard->parent = parent;
  shard->adjacent_parent = adjacent_parent;
  shard->children[0] = shard->children[1] = -1;
  shard->open = 1;
  shard->created_ms = now_ms;
  shard->closed_ms = -1;
  shard->last_arrival_ms = now_ms;
  sl__write_limit_reset(&entry->write_limit, &s->config, now_ms);
  sl__read_limit_reset(&entry->read_limit, &s->config, now_ms);
  s->shards[s->shard_total++] = shard;
  return shard;
}

void sl__stream_close_shard(sl_shard_t *shard, int64_t now_ms) {
  shard->open = 0;
  shard->closed_ms = now_ms;
  shard->end_counter = sl_shard_log_next(shard->log);
}

int sl__stream_reindex(sl_stream_t *s) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < s->shard_total; i++) count += s->shards[i]->open != 0;
  if (count > s->open_cap) {
    uint32_t *grown = realloc(s->open, count * sizeof *grown);
    if (grown == NULL) return SL_ENOMEM;
    s->open = grown;
    sl_hashkey_t *starts = realloc(s->open_start, count * sizeof *starts);
    if (starts == NULL) return SL_ENOMEM;
    s->open_start = starts;
    s->open_cap = count;
  }
  s->open_count = 0;
  for (uint32_t i = 0; i < s->shard_total; i++)
    if (s->shards[i]->open) s->open[s->open_count++] = i;
  /* Insertion sort: shards are created mostly in hash order, and resharding touches few of them. */
  for (uint32_t i = 1; i < s->open_count; i++) {
    uint32_t v = s->open[i], j = i;
    while (j > 0 && s->shards[s->open[j - 1]]->start > s->shards[v]->start) {
      s->open[j] = s->open[j - 1];
      j--;
    }
    s->open[j] = v;
  }
  for (uint32_t i = 0; i < s->open_count; i++) s->open_start[i] = s->shards[s->open[i]]->start;
  return SL_OK;
}

const char *sl_stream_name(const sl_stream_t *s) { return s->name; }
const sl_stream_config_t *sl_stream_config(const sl_stream_t *s) { return &s->config; }
uint32_t sl_stream_shard_total(const sl_stream_t *s) { return s->shard_total; }
uint32_t sl_stream_open_count(const sl_stream_t *s) { return s->open_count; }

const sl_shard_t *sl_stream_shard(const sl_stream_t *s, uint32_t index) {
  return index < s->shard_total ? s->shards[index] : NULL;
}

const sl_shard_t *sl_stream_open_shard(const sl_stream_t *s, uint32_t rank) {
  return rank < s->open_count ? s->shards[s->open[rank]] : NULL;
}

const sl_shard_t *sl_stream_find_shard(const sl_stream_t *s, const char *shard_id) {
  /* Ids are "shardId-" + the index, so the index is read back rather than searched for. */
  const char *prefix = "shardId-";
  if (shard_id == NULL || strncmp(shard_id, prefix, 8) != 0 || strlen(shard_id) != SL_SHARD_ID_SIZE - 1) return NULL;
  uint64_t index = 0;
  for (const char *p = shard_id + 8; *p; p++) {
    if (*p < '0' || *p > '9') return NULL;
    index = index * 10 + (uint64_t)(*p - '0');
  }
  return index < s->shard_total ? s->shards[index] : NULL;
}

const sl_shard_t *sl_stream_route(const sl_stream_t *s, sl_hashkey_t hash_key) {
  /* The last open shard whose start is <= hash_key; the open ranges tile the whole hash space. */
  uint32_t lo = 0, hi = s->open_count;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->open_start[mid] <= hash_key)
      lo = mid;
    else
      hi = mid;
  }
  return s->shards[s->open[lo]];
}

int sl_partition_key_check(const char *key, size_t len, sl_error_t *err) {
  size_t chars = len;
  if (!sl_utf8_is_ascii(key, len) && sl_utf8_count(key, len, &chars) != 0)
    return sl_error_set(err, SL_EINVAL, "PartitionKey is not valid UTF-8");
  if (chars < 1 || chars > SL_PARTITION_KEY_MAX_CHARS)
    return sl_error_set(err, SL_EINVAL,
                        "PartitionKey has %zu characters: it must have 1 to %u Unicode characters", chars,
                        SL_PARTITION_KEY_MAX_CHARS);
  return SL_OK;
}

void sl_shard_seqnum(const sl_shard_t *shard, uint64_t counter, int64_t arrival_ms, sl_seqnum_t *out) {
  out->shard_created_s = (uint64_t)(shard->created_ms / 1000);
  out->shard_index = shard->index;
  out->counter = counter;
  out->arrival_s = (uint64_t)(arrival_ms / 1000);
}

int sl_stream_put(sl_stream_t *s, int64_t now_ms, const char *key, size_t key_len, const char *explicit_hash_key,
                  const void *data, size_t data_len, sl_put_result_t *result, sl_error_t *err) {
  int rc = sl_partition_key_check(key, key_len, err);
  if (rc != SL_OK) return rc;
  size_t max_data = (size_t)s->config.max_record_size_kib * 1024;
  if (data_len > max_data)
    return sl_error_set(err, SL_EINVAL, "Data has %zu bytes: records in stream %s may have at most %zu bytes",
                        data_len, s->name, max_data);
  sl_hashkey_t hash_key;
  int explicit_hash = explicit_hash_key != NULL;
  if (explicit_hash) {
    rc = sl_hashkey_parse(explicit_hash_key, strlen(explicit_hash_key), "ExplicitHashKey", &hash_key, err);
    if (rc != SL_OK) return rc;
  } else {
    hash_key = sl_hashkey_of(key, key_len);
  }
  sl_shard_t *shard = (sl_shard_t *)sl_stream_route(s, hash_key);
  sl__write_limit_t *limit = &((sl__shard_entry_t *)shard)->write_limit;
  if (s->config.write_limits && !sl__write_limit_take(limit, &s->config, now_ms, key_len + data_len)) {
    shard->stats.records_throttled++;
    /* The message AWS returns (API PutRecords, "ErrorMessage" example). */
    return sl_error_set(err, SL_ETHROTTLED, "Rate exceeded for shard %s in stream %s under account %s.", shard->id,
                        s->name, s->account_id);
  }
  int64_t arrival = now_ms > shard->last_arrival_ms ? now_ms : shard->last_arrival_ms;
  uint64_t counter = sl_shard_log_next(shard->log);
  if (s->observer != NULL) { /* durable first: a record the backend could not keep is not accepted */
    rc = s->observer->append(s->observer->ctx, shard, counter, arrival, hash_key, explicit_hash, key, key_len, data,
                             data_len, err);
    if (rc != SL_OK) return rc;
  }
  rc = sl_shard_log_append(shard->log, arrival, hash_key, explicit_hash, key, key_len, data, data_len, &counter);
  if (rc != SL_OK) return sl_error_set(err, rc, "could not store a record in %s: %s", shard->id, sl_strerror(rc));
  shard->last_arrival_ms = arrival;
  shard->stats.records_in++;
  shard->stats.bytes_in += key_len + data_len;
  if (result != NULL) {
    result->shard_index = shard->index;
    sl_shard_seqnum(shard, counter, arrival, &result->seq);
  }
  return SL_OK;
}

void sl_stream_observe(sl_stream_t *s, const sl_stream_observer_t *observer) { s->observer = observer; }

int sl__stream_changed(sl_stream_t *s, sl_error_t *err) {
  return s->observer != NULL && s->observer->changed != NULL ? s->observer->changed(s->observer->ctx, s, err) : SL_OK;
}

int sl_stream_restore_shard(sl_stream_t *s, const sl_shard_t *meta, uint64_t first_counter, sl_error_t *err) {
  if (meta->index != s->shard_total)
    return sl_error_set(err, SL_EINVAL, "shard %s is restored out of order (expected index %u)", meta->id,
                        s->shard_total);
  sl_shard_t *shard = sl__stream_add_shard(s, meta->start, meta->end, meta->parent, meta->adjacent_parent,
                                          meta->created_ms);
  if (shard == NULL || (first_counter > 0 && (sl_shard_log_destroy(shard->log),
                                              shard->log = sl_shard_log_create(first_counter)) == NULL))
    return sl_error_set(err, SL_ENOMEM, "out of memory restoring shard %s", meta->id);
  shard->children[0] = meta->children[0];
  shard->children[1] = meta->children[1];
  shard->open = meta->open;
  shard->closed_ms = meta->closed_ms;
  shard->end_counter = meta->end_counter;
  return SL_OK;
}

int sl_stream_restore_record(sl_stream_t *s, uint32_t shard_index, uint64_t counter, int64_t arrival_ms,
                             sl_hashkey_t hash_key, int explicit_hash, const char *key, size_t key_len,
                             const void *data, size_t data_len, sl_error_t *err) {
  if (shard_index >= s->shard_total) return sl_error_set(err, SL_EINVAL, "no shard with index %u", shard_index);
  sl_shard_t *shard = s->shards[shard_index];
  if (counter != sl_shard_log_next(shard->log))
    return sl_error_set(err, SL_EINVAL, "%s: record %llu follows record %llu", shard->id, (unsigned long long)counter,
                        (unsigned long long)sl_shard_log_next(shard->log) - 1);
  if (arrival_ms < shard->last_arrival_ms) arrival_ms = shard->last_arrival_ms;
  int rc = sl_shard_log_append(shard->log, arrival_ms, hash_key, explicit_hash, key, key_len, data, data_len, NULL);
  if (rc != SL_OK) return sl_error_set(err, rc, "out of memory restoring %s", shard->id);
  shard->last_arrival_ms = arrival_ms;
  shard->stats.records_in++;
  shard->stats.bytes_in += key_len + data_len;
  return SL_OK;
}

int sl_stream_restore_done(sl_stream_t *s, sl_error_t *err) {
  if (s->shard_total == 0) return sl_error_set(err, SL_EINVAL, "stream %s has no shards", s->name);
  return sl__stream_reindex(s) == SL_OK ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
}

uint64_t sl_stream_release(sl_stream_t *s, uint32_t shard_index, uint64_t counter) {
  return shard_index < s->shard_total ? sl_shard_log_release(s->shards[shard_index]->log, counter) : 0;
}

int sl_stream_set_retention(sl_stream_t *s, uint32_t hours, int increase, sl_error_t *err) {
  uint32_t current = s->config.retention_hours;
  /* kinesalite, recorded from AWS. */
  if (hours < 24)
    return sl_error_set(err, SL_EINVAL, "Minimum allowed retention period is 24 hours. Requested retention period (%u "
                        "hours) is too short.", hours);
  if (hours > 8760)
    return sl_error_set(err, SL_EINVAL, "Maximum allowed retention period is 8760 hours. Requested retention period "
                        "(%u hours) is too long.", hours);
  if (increase && hours < current)
    return sl_error_set(err, SL_EINVAL, "Requested retention period (%u hours) for stream %s can not be shorter than "
                        "existing retention period (%u hours). Use DecreaseRetentionPeriod API.", hours, s->name,
                        current);
  if (!increase && hours > current)
    return sl_error_set(err, SL_EINVAL, "Requested retention period (%u hours) for stream %s can not be longer than "
                        "existing retention period (%u hours). Use IncreaseRetentionPeriod API.", hours, s->name,
                        current);
  s->config.retention_hours = hours;
  return sl__stream_changed(s, err);
}

int sl_stream_set_max_record_size(sl_stream_t *s, uint32_t kib, sl_error_t *err) {
  if (kib < 1 || kib > 10240)
    return sl_error_set(err, SL_EINVAL, "MaxRecordSizeInKiB %u is out of range: it must be between 1024 and 10240",
                        kib);
  s->config.max_record_size_kib = kib;
  return sl__stream_changed(s, err);
}


int sl_stream_read_take(sl_stream_t *s, uint32_t shard_index, int64_t now_ms) {
  if (!s->config.read_limits || shard_index >= s->shard_total) return 1;
  sl__shard_entry_t *entry = (sl__shard_entry_t *)s->shards[shard_index];
  if (sl__read_limit_take(&entry->read_limit, &s->config, now_ms)) {
    entry->shard.stats.reads++;
    return 1;
  }
  entry->shard.stats.read_throttles++;
  return 0;
}

void sl_stream_read_charge(sl_stream_t *s, uint32_t shard_index, size_t bytes) {
  if (s->config.read_limits && shard_index < s->shard_total)
    sl__read_limit_charge(&((sl__shard_entry_t *)s->shards[shard_index])->read_limit, bytes);
}

int sl_stream_add_hold(sl_stream_t *s, const sl_stream_hold_t *hold, sl_error_t *err) {
  if (s->hold_count == s->hold_cap) {
    size_t cap = s->hold_cap ? s->hold_cap * 2 : 4;
    const sl_stream_hold_t **grown = realloc(s->holds, cap * sizeof *grown);
    if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    s->holds = grown;
    s->hold_cap = cap;
  }
  s->holds[s->hold_count++] = hold;
  return SL_OK;
}

void sl_stream_remove_hold(sl_stream_t *s, const sl_stream_hold_t *hold) {
  for (size_t i = 0; i < s->hold_count; i++)
    if (s->holds[i] == hold) {
      s->holds[i] = s->holds[--s->hold_count];
      return;
    }
}

/* Where retention may cut shard i: before the first record at or after the horizon, and before any record a
 * hold still uses. */
static uint64_t trim_point(const sl_stream_t *s, uint32_t i, int64_t horizon) {
  uint64_t cut = sl_shard_log_find_time(s->shards[i]->log, horizon);
  for (size_t h = 0; h < s->hold_count; h++) {
    uint64_t held = s->holds[h]->first_held(s->holds[h]->ctx, i);
    if (held < cut) cut = held;
  }
  return cut;
}

uint64_t sl_stream_trim(sl_stream_t *s, int64_t now_ms) {
  int64_t horizon = now_ms - (int64_t)s->config.retention_hours * 3600 * 1000;
  uint64_t dropped = 0;
  for (uint32_t i = 0; i < s->shard_total; i++) {
    uint64_t n = sl_shard_log_release(s->shards[i]->log, trim_point(s, i, horizon));
    s->shards[i]->stats.records_trimmed += n;
    dropped += n;
  }
  return dropped;
}
