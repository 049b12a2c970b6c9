/* api_streams.c - the stream-level operations: CreateStream, DeleteStream, DescribeStream(Summary),
 * ListStreams, ListShards (with paging), SplitShard, MergeShards, UpdateShardCount, the retention period and
 * tags. Streams are ACTIVE as soon as they are created and gone as soon as they are deleted. StreamModeDetails
 * and UpdateStreamMode are read and handled in api_capacity.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/base64.h"

static json_t *shard_json(const sl_shard_t *sh) {
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
static json_t *description(const sl_stream_t *s) {
  char arn[512];
  sl__api_stream_arn(s, arn, sizeof arn);
  const sl_stream_config_t *c = sl_stream_config(s);
  return json_pack("{s:s,s:s,s:s,s:{s:s},s:i,s:f,s:[{s:[]}],s:s}", "StreamName", c->name, "StreamARN", arn,
                   "StreamStatus", "ACTIVE", "StreamModeDetails", "StreamMode", sl_stream_mode_name(c->mode),
                   "RetentionPeriodHours",
                   (int)c->retention_hours, "StreamCreationTimestamp", (double)c->created_ms / 1000.0,
                   "EnhancedMonitoring", "ShardLevelMetrics", "EncryptionType", "NONE");
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
  if (c.shard_count > SL_STREAM_MAX_SHARDS)
    return sl_error_set(err, SL_ELIMIT, "This request would exceed the shard limit for the account %s in %s. "
                        "Current shard count for the account: 0. Limit: %u.", api->account_id, api->region,
                        SL_STREAM_MAX_SHARDS);
  if (api->count == api->cap) {
    size_t cap = api->cap ? api->cap * 2 : 8;
    api_stream_t *grown = realloc(api->streams, cap * sizeof *grown);
    if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    api->streams = grown;
    api->cap = cap;
  }
  api_stream_t *st = &api->streams[api->count];
  memset(st, 0, sizeof *st);
  int rc = api->data_dir[0] ? sl__api_store_create(api, &c, st, err) : sl_stream_create(&c, &st->stream, err);
  if (rc != SL_OK) return rc;
  st->tags = json_object();
  api->count++;
  *out = st;
  return SL_OK;
}

void sl__api_create_stream(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  long long shards = 1;
  int have = sl__api_integer(r, "ShardCount", "shardCount", 0, 1, 100000, &shards);
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
  for (size_t i = 0; i < r->api->count; i++)
    if (strcmp(sl_stream_name(r->api->streams[i].stream), name) == 0) {
      sl__api_fail(r, 400, "ResourceInUseException", "Stream %s under account %s already exists.", name, r->api->account_id);
      return;
    }
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
  sl__api_ok(r, NULL);
}

void sl__api_delete_stream(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  if (st->pinned) {
    sl__api_fail(r, 400, "ResourceInUseException", "Stream %s under account %s is consumed by a mapping of shardlab "
             "serve and cannot be deleted while it runs.", name, r->api->account_id);
    return;
  }
  sl__api_store_release(r->api, st, 1);
  size_t i = (size_t)(st - r->api->streams);
  memmove(st, st + 1, (r->api->count - i - 1) * sizeof *st);
  r->api->count--;
  sl__api_ok(r, NULL);
}

/* The index after ExclusiveStartShardId (0 without one); -1 after an error response. */
static long start_after(api_request_t *r, const sl_stream_t *s) {
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
  const char *name = sl__api_stream_name(r, 1);
  long long limit = 100;
  sl__api_integer(r, "Limit", "limit", 0, 1, 10000, &limit);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  long from = start_after(r, st->stream);
  if (from < 0) return;
  json_t *d = description(st->stream), *shards = json_array();
  uint32_t total = sl_stream_shard_total(st->stream), i = (uint32_t)from;
  for (; i < total && json_array_size(shards) < (size_t)limit; i++)
    json_array_append_new(shards, shard_json(sl_stream_shard(st->stream, i)));
  json_object_set_new(d, "Shards", shards);
  json_object_set_new(d, "HasMoreShards", json_boolean(i < total));
  sl__api_ok(r, json_pack("{s:o}", "StreamDescription", d));
}

void sl__api_describe_stream_summary(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  json_t *d = description(st->stream);
  json_object_set_new(d, "OpenShardCount", json_integer(sl_stream_open_count(st->stream)));
  json_object_set_new(d, "ConsumerCount", json_integer(0));
  sl__api_ok(r, json_pack("{s:o}", "StreamDescriptionSummary", d));
}

static int by_name(const void *a, const void *b) {
  return strcmp(sl_stream_name(((const api_stream_t *)a)->stream), sl_stream_name(((const api_stream_t *)b)->stream));
}

void sl__api_list_streams(api_request_t *r) {
  long long limit = 100;
  sl__api_integer(r, "Limit", "limit", 0, 1, 10000, &limit);
  const char *after = sl__api_string(r, "ExclusiveStartStreamName", "exclusiveStartStreamName", 0, 1, 128);
  if (sl__api_validation_failed(r)) return;
  if (r->api->count > 1) qsort(r->api->streams, r->api->count, sizeof *r->api->streams, by_name); /* none: streams is NULL */
  json_t *names = json_array(), *summaries = json_array();
  size_t i = 0;
  while (after != NULL && i < r->api->count && strcmp(sl_stream_name(r->api->streams[i].stream), after) <= 0) i++;
  for (; i < r->api->count && json_array_size(names) < (size_t)limit; i++) {
    const sl_stream_t *s = r->api->streams[i].stream;
    char arn[512];
    sl__api_stream_arn(s, arn, sizeof arn);
    json_array_append_new(names, json_string(sl_stream_name(s)));
    json_array_append_new(summaries, json_pack("{s:s,s:s,s:s,s:{s:s},s:f}", "StreamName", sl_stream_name(s),
                                               "StreamARN", arn, "StreamStatus", "ACTIVE", "StreamModeDetails",
                                               "StreamMode", sl_stream_mode_name(sl_stream_config(s)->mode),
                                               "StreamCreationTimestamp",
                                               (double)sl_stream_config(s)->created_ms / 1000.0));
  }
  sl__api_ok(r, json_pack("{s:o,s:b,s:o}", "StreamNames", names, "HasMoreStreams", i < r->api->count,
                      "StreamSummaries", summaries));
}

/* ListShards' NextToken: base64 of "stream name\n next index". */
static json_t *next_token(const char *stream, uint32_t index) {
  char plain[256], encoded[SL_BASE64_ENCODED_LEN(256) + 1];
  int n = snprintf(plain, sizeof plain, "%s\n%u", stream, index);
  sl_base64_encode(plain, (size_t)n, encoded);
  return json_string(encoded);
}

void sl__api_list_shards(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 0);
  const char *token = sl__api_string(r, "NextToken", "nextToken", 0, 1, 1048576);
  long long limit = 1000;
  sl__api_integer(r, "MaxResults", "maxResults", 0, 1, 10000, &limit);
  if (sl__api_validation_failed(r)) return;
  if ((name == NULL) == (token == NULL)) {
    sl__api_fail(r, 400, "InvalidArgumentException", name ? "NextToken and StreamName cannot be provided together."
                                                      : "Either NextToken or StreamName should be provided.");
    return;
  }
  long from = 0;
  char stream[256];
  if (token != NULL) { /* the stream and position come from the token */
    unsigned char plain[1024];
    size_t len;
    sl_error_t err;
    char *nl;
    if (strlen(token) > 1000 || sl_base64_decode(token, strlen(token), "NextToken", plain, &len, &err) != SL_OK ||
        len >= sizeof stream || (plain[len] = '\0', nl = strchr((char *)plain, '\n')) == NULL) {
      sl__api_fail(r, 400, "InvalidArgumentException", "Invalid NextToken.");
      return;
    }
    *nl = '\0';
    memcpy(stream, plain, (size_t)(nl - (char *)plain) + 1); /* fits: len < sizeof stream */
    from = strtol(nl + 1, NULL, 10);
    name = stream;
  }
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  if (token == NULL && (from = start_after(r, st->stream)) < 0) return;
  json_t *shards = json_array();
  uint32_t total = sl_stream_shard_total(st->stream), i = (uint32_t)(from > 0 ? from : 0);
  for (; i < total && json_array_size(shards) < (size_t)limit; i++)
    json_array_append_new(shards, shard_json(sl_stream_shard(st->stream, i)));
  json_t *body = json_pack("{s:o}", "Shards", shards);
  if (i < total) json_object_set_new(body, "NextToken", next_token(name, i));
  sl__api_ok(r, body);
}

void sl__api_split_shard(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  const char *shard = sl__api_string(r, "ShardToSplit", "shardToSplit", 1, 1, 128);
  const char *start = sl__api_string(r, "NewStartingHashKey", "newStartingHashKey", 1, 1, 128);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  sl_error_t err;
  if (st == NULL) return;
  if (sl_stream_split(st->stream, shard, start, r->now_ms, &err) != SL_OK)
    sl__api_fail_code(r, &err);
  else
    sl__api_ok(r, NULL);
}

void sl__api_merge_shards(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  const char *a = sl__api_string(r, "ShardToMerge", "shardToMerge", 1, 1, 128);
  const char *b = sl__api_string(r, "AdjacentShardToMerge", "adjacentShardToMerge", 1, 1, 128);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  sl_error_t err;
  if (st == NULL) return;
  if (sl_stream_merge(st->stream, a, b, r->now_ms, &err) != SL_OK)
    sl__api_fail_code(r, &err);
  else
    sl__api_ok(r, NULL);
}

void sl__api_update_shard_count(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  long long target = 0;
  sl__api_integer(r, "TargetShardCount", "targetShardCount", 1, 1, 100000, &target);
  const char *type = sl__api_string(r, "ScalingType", "scalingType", 1, 1, 64);
  if (type != NULL && strcmp(type, "UNIFORM_SCALING") != 0)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value '%s' at 'scalingType' failed to "
             "satisfy constraint: Member must satisfy enum value set: [UNIFORM_SCALING]", type);
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  sl_error_t err;
  if (st == NULL) return;
  uint32_t current = sl_stream_open_count(st->stream);
  if (sl_stream_update_shard_count(st->stream, (uint32_t)target, r->now_ms, &err) != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  sl__api_ok(r, json_pack("{s:s,s:i,s:i,s:s}", "StreamName", name, "CurrentShardCount", (int)current, "TargetShardCount",
                      (int)target, "StreamARN", arn));
}

static void retention(api_request_t *r, int increase) {
  const char *name = sl__api_stream_name(r, 1);
  long long hours = 0;
  sl__api_integer(r, "RetentionPeriodHours", "retentionPeriodHours", 1, 1, 100000, &hours);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
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
  const char *name = sl__api_stream_name(r, 1);
  json_t *tags = json_object_get(r->body, "Tags");
  if (!json_is_object(tags) || json_object_size(tags) < 1 || json_object_size(tags) > 50)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy "
             "constraint: Member must have between 1 and 50 entries, each a string");
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  const char *key;
  json_t *value;
  json_object_foreach(tags, key, value) {
    if (!json_is_string(value) || strlen(key) < 1 || strlen(key) > 128 || json_string_length(value) > 256) {
      sl__api_fail(r, 400, "InvalidArgumentException", "Tag %.128s: keys have 1 to 128 characters, values are strings of "
               "at most 256", key);
      return;
    }
  }
  if (json_object_size(st->tags) + json_object_size(tags) > 50) {
    sl__api_fail(r, 400, "LimitExceededException", "Failed to add tags to stream %s under account %s because a given "
             "stream cannot have more than 50 tags.", name, r->api->account_id);
    return;
  }
  json_object_update(st->tags, tags);
  sl__api_ok(r, NULL);
}

void sl__api_list_tags(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  json_t *list = json_array();
  const char *key;
  json_t *value;
  json_object_foreach(st->tags, key, value) json_array_append_new(list, json_pack("{s:s,s:O}", "Key", key, "Value", value));
  sl__api_ok(r, json_pack("{s:o,s:b}", "Tags", list, "HasMoreTags", 0));
}

void sl__api_remove_tags(api_request_t *r) {
  const char *name = sl__api_stream_name(r, 1);
  json_t *keys = json_object_get(r->body, "TagKeys");
  if (!json_is_array(keys) || json_array_size(keys) < 1 || json_array_size(keys) > 50)
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at 'tagKeys' failed to satisfy "
             "constraint: Member must have between 1 and 50 entries");
  if (r->out->body != NULL || sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_stream(r, name);
  if (st == NULL) return;
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) if (json_is_string(k)) json_object_del(st->tags, json_string_value(k));
  sl__api_ok(r, NULL);
}
