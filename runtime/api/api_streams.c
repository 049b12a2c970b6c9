/* api_streams.c - the stream-level operations: CreateStream, DeleteStream, DescribeStream(Summary),
 * SplitShard, MergeShards, UpdateShardCount, the retention period and tags. Each names its stream by
 * StreamName or StreamARN (api_resolve.c); a new stream is CREATING, a deleted one DELETING and a resharded
 * one UPDATING for a while (api_state.c). StreamModeDetails and UpdateStreamMode are read and handled in
 * api_capacity.c, ListStreams and ListShards in api_paging.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/base64.h"

json_t *sl__api_shard_json(const sl_shard_t *sh) {
  char start[SL_HASHKEY_DECIMAL_SIZE], end[SL_HASHKEY_DECIMAL_SIZE], first[SL_SEQNUM_DECIMAL_SIZE];
  sl_hashkey_format(sh->start, start);
  sl_hashkey_format(sh->end, end);
  sl_seqnum_t seq;
  sl_shard_seqnum(sh, sl_shard_log_first(sh->log), sh->created_ms, &seq);
  sl_seqnum_format(&seq, first);
  json_t *range = json_pack("{s:s}", "StartingSequenceNumber", first);
  if (!sh->open) {
    char last[SL_SEQNUM_DECIMAL_SIZE];
    sl_shard_seqnum(sh, sh->end_counter, sh->closed_ms, &seq);
    sl_seqnum_format(&seq, last);
    json_object_set_new(range, "EndingSequenceNumber", json_string(last));
  }
  json_t *j = json_pack("{s:s,s:{s:s,s:s},s:o}", "ShardId", sh->id, "HashKeyRange", "StartingHashKey", start,
                        "EndingHashKey", end, "SequenceNumberRange", range);
  if (sh->parent >= 0) json_object_set_new(j, "ParentShardId", json_sprintf("shardId-%012d", sh->parent));
  if (sh->adjacent_parent >= 0)
    json_object_set_new(j, "AdjacentParentShardId", json_sprintf("shardId-%012d", sh->adjacent_parent));
  return j;
}

/* Fields shared by DescribeStream and DescribeStreamSummary. */
static json_t *description(api_request_t *r, const api_stream_t *st, int summary) {
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  const sl_stream_config_t *c = sl_stream_config(st->stream);
  json_t *d = json_pack("{s:s,s:s,s:s,s:{s:s},s:i,s:f}", "StreamName", c->name, "StreamARN", arn, "StreamStatus",
                        sl__api_status_name(sl__api_status(st, r->now_ms)), "StreamModeDetails", "StreamMode",
                        sl_stream_mode_name(c->mode), "RetentionPeriodHours", (int)c->retention_hours,
                        "StreamCreationTimestamp", (double)c->created_ms / 1000.0);
  sl__api_settings_describe(st, d, summary);
  return d;
}

/* The account's limits (DescribeLimits) against a stream of shards more, on_demand: 1 when it is one. */
static int account_limits(sl_api_t *api, uint32_t shards, int on_demand, sl_error_t *err) {
  uint32_t open = 0, demand = 0;
  for (size_t i = 0; i < api->count; i++) {
    open += sl_stream_open_count(api->streams[i].stream);
    demand += sl_stream_config(api->streams[i].stream)->mode == SL_STREAM_ON_DEMAND;
  }
  uint32_t limit = api->config.shard_limit < SL_STREAM_MAX_SHARDS ? api->config.shard_limit : SL_STREAM_MAX_SHARDS;
  if ((uint64_t)open + shards > limit) /* kinesalite, recorded from AWS */
    return sl_error_set(err, SL_ELIMIT, "This request would exceed the shard limit for the account %s in %s. "
                        "Current shard count for the account: %u. Limit: %u. Number of additional shards that would "
                        "have resulted from this request: %u. Refer to the AWS Service Limits page "
                        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits "
                        "and how to request higher limits.", api->account_id, api->region, open, limit, shards);
  if (on_demand && demand + 1 > api->config.on_demand_stream_limit)
    return sl_error_set(err, SL_ELIMIT, "This request would exceed the limit of %u ON_DEMAND streams for the "
                        "account %s in %s.", api->config.on_demand_stream_limit, api->account_id, api->region);
  return SL_OK;
}

/* A new stream with want's name, shards, mode and on-demand settings; the account, region, limits and creation
 * time are the server's. */
int sl__api_add_stream(sl_api_t *api, const sl_stream_config_t *want, int64_t now_ms, api_stream_t **out,
                       sl_error_t *err) {
  sl_stream_config_t c = *want;
  c.account_id = api->account_id;
  c.region = api->region;
  c.write_limits = api->config.write_limits;
  c.read_limits = api->config.read_limits;
  c.created_ms = now_ms;
  int rc = account_limits(api, c.shard_count, c.mode == SL_STREAM_ON_DEMAND, err);
  if (rc != SL_OK) return rc;
  if (api->count == api->cap) {
    size_t cap = api->cap ? api->cap * 2 : 8;
    api_stream_t *grown = realloc(api->streams, cap * sizeof *grown);
    if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    api->streams = grown;
    api->cap = cap;
  }
  api_stream_t *st = &api->streams[api->count];
  memset(st, 0, sizeof *st);
  rc = api->data_dir[0] ? sl__api_store_create(api, &c, st, err) : sl_stream_create(&c, &st->stream, err);
  if (rc != SL_OK) return rc;
  st->tags = json_object();
  sl__api_settings_init(&st->settings);
  api->count++;
  *out = st;
  return SL_OK;
}

/* CreateStream's optional fields beside the name, shards and mode: 0, or -1 after an error response. */
typedef struct create_extras_s {
  json_t *tags;
  long long kib, warm;
} create_extras_t;

static int create_extras(api_request_t *r, create_extras_t *x) {
  x->kib = 1024;
  x->warm = -1;
  sl__api_integer(r, "MaxRecordSizeInKiB", "maxRecordSizeInKiB", 0, 1024, 10240, &x->kib);
  sl__api_integer(r, "WarmThroughputMiBps", "warmThroughputMiBps", 0, 0, 1LL << 31, &x->warm);
  x->tags = json_object_get(r->body, "Tags");
  if (x->tags != NULL && !json_is_null(x->tags) &&
      (!json_is_object(x->tags) || json_object_size(x->tags) < 1 || json_object_size(x->tags) > 200))
    sl__api_add_error(r, "Value at 'tags' failed to satisfy constraint: Member must have length between 1 and 200");
  if (json_is_null(x->tags)) x->tags = NULL;
  return 0;
}

/* The new stream st gets what CreateStream asked beside its shards, and starts CREATING. */
static void created(api_request_t *r, api_stream_t *st, const create_extras_t *x) {
  if (x->tags != NULL) json_object_update(st->tags, x->tags);
  if (x->kib != 1024) sl_stream_set_max_record_size(st->stream, (uint32_t)x->kib, NULL);
  if (sl_stream_config(st->stream)->mode == SL_STREAM_ON_DEMAND) st->settings.warm_mibps = x->warm;
  sl__api_settings_save(r->api, st);
  sl__api_state_created(r->api, st, r->now_ms);
}

void sl__api_create_stream(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  long long shards = 1;
  int have = sl__api_integer(r, "ShardCount", "shardCount", 0, 1, 100000, &shards);
  create_extras_t x;
  create_extras(r, &x);
  if (sl__api_validation_failed(r)) return;
  sl_stream_mode_t mode = SL_STREAM_PROVISIONED;
  if (sl__api_stream_mode(r, 0, &mode) < 0) return;
  /* API CreateStream: ShardCount is required for provisioned streams only; an on-demand stream manages its
   * shards (4 to start: KDG's 4 MB/s and 4,000 records/s). The message is shardlab's own. */
  if (mode == SL_STREAM_ON_DEMAND && have) {
    sl__api_fail(r, 400, "InvalidArgumentException", "ShardCount cannot be given for stream %s: an ON_DEMAND stream "
                 "manages its own shards.", name);
    return;
  }
  if (mode == SL_STREAM_ON_DEMAND) shards = SL_STREAM_ON_DEMAND_SHARDS;
  if (sl__api_find(r->api, name) != NULL) { /* a DELETING one too, until it is gone */
    sl__api_fail(r, 400, "ResourceInUseException", "Stream %s under account %s already exists.", name, r->api->account_id);
    return;
  }
  if (x.tags != NULL && sl__api_tags_check(r, NULL, x.tags, 50, name) != 0) return;
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = name;
  c.shard_count = (uint32_t)shards;
  c.mode = mode;
  sl_error_t err;
  api_stream_t *st;
  if (sl__api_add_stream(r->api, &c, r->now_ms, &st, &err) != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  created(r, st, &x);
  sl__api_ok(r, NULL);
}

void sl__api_delete_stream(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  if (st == NULL) return;
  if (st->pinned) {
    sl__api_fail(r, 400, "ResourceInUseException", "Stream %s under account %s is consumed by a mapping of shardlab "
             "serve and cannot be deleted while it runs.", sl_stream_name(st->stream), r->api->account_id);
    return;
  }
  sl__api_state_delete(r->api, st, r->now_ms);
  sl__api_ok(r, NULL);
}

/* The index after ExclusiveStartShardId (0 without one); -1 after an error response. */
long sl__api_start_after(api_request_t *r, const sl_stream_t *s) {
  const char *after = sl__api_string(r, "ExclusiveStartShardId", "exclusiveStartShardId", 0, 1, 128);
  if (sl__api_validation_failed(r)) return -1;
  if (after == NULL) return 0;
  const sl_shard_t *sh = sl_stream_find_shard(s, after);
  if (sh != NULL) return (long)sh->index + 1;
  /* AWS lists from the shard that would follow the id: ids are ordered, so parse its number. */
  const char *digits = strrchr(after, '-');
  unsigned long long n = digits ? strtoull(digits + 1, NULL, 10) : 0;
  return digits == NULL ? 0 : n >= UINT32_MAX ? (long)UINT32_MAX : (long)n + 1; /* no overflow, whatever the id */
}

void sl__api_describe_stream(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  long long limit = 100;
  sl__api_integer(r, "Limit", "limit", 0, 1, 10000, &limit);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  if (st == NULL) return;
  long from = sl__api_start_after(r, st->stream);
  if (from < 0) return;
  json_t *d = description(r, st, 0), *shards = json_array();
  /* A CREATING stream has no shards yet (kinesalite, recorded from AWS). */
  uint32_t total = sl__api_status(st, r->now_ms) == API_CREATING ? 0 : sl_stream_shard_total(st->stream);
  uint32_t i = (uint32_t)from;
  for (; i < total && json_array_size(shards) < (size_t)limit; i++)
    json_array_append_new(shards, sl__api_shard_json(sl_stream_shard(st->stream, i)));
  json_object_set_new(d, "Shards", shards);
  json_object_set_new(d, "HasMoreShards", json_boolean(i < total));
  sl__api_ok(r, json_pack("{s:o}", "StreamDescription", d));
}

void sl__api_describe_stream_summary(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  if (st == NULL) return;
  json_t *d = description(r, st, 1);
  int creating = sl__api_status(st, r->now_ms) == API_CREATING;
  json_object_set_new(d, "OpenShardCount", json_integer(creating ? 0 : sl_stream_open_count(st->stream)));
  json_object_set_new(d, "ConsumerCount", json_integer((json_int_t)st->consumer_count)); /* DELETING ones too */
  sl__api_ok(r, json_pack("{s:o}", "StreamDescriptionSummary", d));
}

/* The result of a resharding call on st: UPDATING from now, or the error. */
static void resharded(api_request_t *r, api_stream_t *st, int rc, const sl_error_t *err) {
  if (rc != SL_OK) {
    sl__api_fail_code(r, err);
    return;
  }
  sl__api_state_updating(r->api, st, r->now_ms);
  sl__api_ok(r, NULL);
}

void sl__api_split_shard(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  const char *shard = sl__api_string(r, "ShardToSplit", "shardToSplit", 1, 1, 128);
  const char *start = sl__api_string(r, "NewStartingHashKey", "newStartingHashKey", 1, 1, 128);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  sl_error_t err;
  if (st != NULL) resharded(r, st, sl_stream_split(st->stream, shard, start, r->now_ms, &err), &err);
}

void sl__api_merge_shards(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  const char *a = sl__api_string(r, "ShardToMerge", "shardToMerge", 1, 1, 128);
  const char *b = sl__api_string(r, "AdjacentShardToMerge", "adjacentShardToMerge", 1, 1, 128);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  sl_error_t err;
  if (st != NULL) resharded(r, st, sl_stream_merge(st->stream, a, b, r->now_ms, &err), &err);
}

void sl__api_update_shard_count(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  long long target = 0;
  sl__api_integer(r, "TargetShardCount", "targetShardCount", 1, 1, 100000, &target);
  const char *type = sl__api_string(r, "ScalingType", "scalingType", 1, 1, 64);
  if (type != NULL && strcmp(type, "UNIFORM_SCALING") != 0)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value '%s' at 'scalingType' failed to "
             "satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]", type);
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  sl_error_t err;
  if (st == NULL) return;
  uint32_t current = sl_stream_open_count(st->stream);
  if (sl_stream_update_shard_count(st->stream, (uint32_t)target, r->now_ms, &err) != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  sl__api_state_updating(r->api, st, r->now_ms);
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  sl__api_ok(r, json_pack("{s:s,s:i,s:i,s:s}", "StreamName", sl_stream_name(st->stream), "CurrentShardCount",
                          (int)current, "TargetShardCount", (int)target, "StreamARN", arn));
}

static void retention(api_request_t *r, int increase) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  long long hours = 0;
  sl__api_integer(r, "RetentionPeriodHours", "retentionPeriodHours", 1, 1, 100000, &hours);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  sl_error_t err;
  if (st == NULL) return;
  if (sl_stream_set_retention(st->stream, (uint32_t)hours, increase, &err) != SL_OK)
    sl__api_fail_code(r, &err);
  else
    sl__api_ok(r, NULL);
}

void sl__api_increase_retention(api_request_t *r) { retention(r, 1); }
void sl__api_decrease_retention(api_request_t *r) { retention(r, 0); }

void sl__api_add_tags(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  json_t *tags = json_object_get(r->body, "Tags");
  if (!json_is_object(tags) || json_object_size(tags) < 1 || json_object_size(tags) > 50)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy "
             "constraint: Member must have between 1 and 50 entries, each a string");
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  if (st != NULL && sl__api_tags_add(r, st, tags, 50) == 0) sl__api_ok(r, NULL);
}

void sl__api_list_tags(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  if (st == NULL) return;
  json_t *list = json_array();
  const char *key;
  json_t *value;
  json_object_foreach(st->tags, key, value) json_array_append_new(list, json_pack("{s:s,s:O}", "Key", key, "Value", value));
  sl__api_ok(r, json_pack("{s:o,s:b}", "Tags", list, "HasMoreTags", 0));
}

void sl__api_remove_tags(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  json_t *keys = json_object_get(r->body, "TagKeys");
  if (!json_is_array(keys) || json_array_size(keys) < 1 || json_array_size(keys) > 50)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at 'tagKeys' failed to satisfy "
             "constraint: Member must have between 1 and 50 entries");
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  sl__api_tags_remove(r, sl__api_resolve(r, &ref, API_ANY), keys);
}
