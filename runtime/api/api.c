/* api.c - the API's front: the operations table keyed by X-Amz-Target, the request body parsed as a JSON
 * object, responses, AWS's error bodies and validation messages ("1 validation error detected: Value null at
 * 'streamName' failed to satisfy constraint: Member must not be null"), and the registry of streams. */
#include "api/api_internal.h"
#include "api/api_general.h"
#include "shardlab/arn.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_api_config_init(sl_api_config_t *c) {
  c->account_id = SL_ACCOUNT_ID_DEFAULT;
  c->region = SL_REGION_DEFAULT;
  c->iterator_ttl_ms = 300000; /* AWS: "A shard iterator expires 5 minutes after it is returned" */
  c->write_limits = 1;
  c->read_limits = 1;
  c->data_dir = NULL;
  c->fsync = SL_FSYNC_INTERVAL;
  c->create_stream_ms = c->delete_stream_ms = c->update_stream_ms = 500; /* kinesalite's defaults */
  c->shard_limit = SL_STREAM_MAX_SHARDS;
  c->on_demand_stream_limit = 50; /* KDG quotas: 50 on-demand streams per account by default */
}

int sl_api_create(const sl_api_config_t *c, sl_api_t **out, sl_error_t *err) {
  *out = NULL;
  sl_api_t *api = calloc(1, sizeof *api);
  if (api == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  api->config = *c;
  snprintf(api->account_id, sizeof api->account_id, "%s", c->account_id ? c->account_id : SL_ACCOUNT_ID_DEFAULT);
  snprintf(api->region, sizeof api->region, "%s", c->region ? c->region : SL_REGION_DEFAULT);
  if (RAND_bytes(api->iterator_key, sizeof api->iterator_key) != 1) {
    free(api);
    return sl_error_set(err, SL_EIO, "no random bytes for the iterator key");
  }
  if (c->data_dir != NULL) {
    snprintf(api->data_dir, sizeof api->data_dir, "%s", c->data_dir);
    int rc = sl__api_store_reopen_all(api, err);
    if (rc != SL_OK) {
      sl_api_destroy(api);
      return rc;
    }
  }
  *out = api;
  return SL_OK;
}

void sl_api_destroy(sl_api_t *api) {
  if (api == NULL) return;
  for (size_t i = 0; i < api->count; i++) sl__api_store_release(api, &api->streams[i], 0);
  free(api->streams);
  sl__api_subscriptions_free(api);
  free(api);
}

sl_stream_t *sl_api_find_stream(sl_api_t *api, const char *name) {
  for (size_t i = 0; i < api->count; i++)
    if (strcmp(sl_stream_name(api->streams[i].stream), name) == 0) return api->streams[i].stream;
  return NULL;
}

int sl_api_pin_stream(sl_api_t *api, const sl_stream_config_t *want, int64_t now_ms, sl_stream_t **out,
                      sl_error_t *err) {
  api_stream_t *st = NULL;
  for (size_t i = 0; i < api->count; i++)
    if (strcmp(sl_stream_name(api->streams[i].stream), want->name) == 0) st = &api->streams[i];
  if (st != NULL && sl_stream_config(st->stream)->mode != want->mode)
    return sl_error_set(err, SL_EINVAL, "stream %s exists as an %s stream, not %s (UpdateStreamMode switches it)",
                        want->name, sl_stream_mode_name(sl_stream_config(st->stream)->mode),
                        sl_stream_mode_name(want->mode));
  if (st == NULL) {
    sl_stream_config_t c = *want;
    if (c.mode == SL_STREAM_ON_DEMAND) c.shard_count = SL_STREAM_ON_DEMAND_SHARDS; /* as CreateStream's */
    int rc = sl__api_add_stream(api, &c, now_ms, &st, err);
    if (rc != SL_OK) return rc;
  }
  if (st->deleting) /* cannot happen at the start, which is when mappings pin their streams */
    return sl_error_set(err, SL_EINVAL, "stream %s is being deleted", want->name);
  st->pinned = 1;
  st->active_ms = st->updating_ms = 0; /* usable by the mapping at once: ACTIVE */
  *out = st->stream;
  return SL_OK;
}

size_t sl__api_stream_arn(const sl_stream_t *s, char *buf, size_t size) {
  const sl_stream_config_t *c = sl_stream_config(s);
  return sl_arn_stream(buf, size, c->region, c->account_id, c->name);
}

/* --- responses -------------------------------------------------------------------------------------------- */

static void respond(api_request_t *r, int status, json_t *body) {
  char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(13)) : NULL;
  json_decref(body);
  if (text == NULL) { /* out of memory building the answer */
    r->out->status = 500;
    r->out->body = NULL;
    r->out->len = 0;
    return;
  }
  r->out->status = status;
  r->out->body = text;
  r->out->len = strlen(text);
}

void sl__api_ok(api_request_t *r, json_t *body) { respond(r, 200, body ? body : json_object()); }

void sl__api_fail(api_request_t *r, int status, const char *type, const char *fmt, ...) {
  char message[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  respond(r, status, json_pack("{s:s,s:s}", "__type", type, "message", message));
}

void sl__api_fail_code(api_request_t *r, const sl_error_t *err) {
  const char *type = sl_error_name(err->code);
  if (err->code == SL_ENOSPACE) /* Kinesis's common errors: "ServiceUnavailable ... a temporary failure", 503 */
    sl__api_fail(r, 503, "ServiceUnavailable", "%s", err->message);
  else if (err->code == SL_ENOMEM || err->code == SL_EIO || type == NULL)
    sl__api_fail(r, 500, "InternalFailure", "%s", err->message);
  else
    sl__api_fail(r, 400, type, "%s", err->message);
}

void sl__api_add_error(api_request_t *r, const char *fmt, ...) {
  size_t used = strlen(r->errors);
  if (r->error_count++ > 0 && used + 2 < sizeof r->errors) {
    strcat(r->errors, "; ");
    used += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->errors + used, sizeof r->errors - used, fmt, ap);
  va_end(ap);
}

int sl__api_validation_failed(api_request_t *r) {
  if (r->error_count == 0) return 0;
  sl__api_fail(r, 400, "ValidationException", "%d validation error%s detected: %s", r->error_count,
           r->error_count == 1 ? "" : "s", r->errors);
  return 1;
}

/* --- fields ----------------------------------------------------------------------------------------------- */

const char *sl__api_string(api_request_t *r, const char *field, const char *member, int required, size_t min, size_t max) {
  json_t *v = json_object_get(r->body, field);
  if (v == NULL || json_is_null(v)) {
    if (required) sl__api_add_error(r, "Value null at '%s' failed to satisfy constraint: Member must not be null", member);
    return NULL;
  }
  if (!json_is_string(v)) {
    sl__api_add_error(r, "Value at '%s' failed to satisfy constraint: Member must be a string", member);
    return NULL;
  }
  const char *s = json_string_value(v);
  size_t len = json_string_length(v);
  if (len < min || len > max) {
    sl__api_add_error(r, "Value '%.200s' at '%s' failed to satisfy constraint: Member must have length %s %zu", s, member,
              len < min ? "greater than or equal to" : "less than or equal to", len < min ? min : max);
    return NULL;
  }
  return s;
}

const char *sl__api_name(api_request_t *r, const char *field, const char *member, int required) {
  const char *name = sl__api_string(r, field, member, required, 1, 128);
  if (name != NULL && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name)) {
    sl__api_add_error(r, "Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression "
              "pattern: [a-zA-Z0-9_.-]+", name, member);
    return NULL;
  }
  return name;
}

const char *sl__api_stream_name(api_request_t *r, int required) {
  return sl__api_name(r, "StreamName", "streamName", required);
}

int sl__api_integer(api_request_t *r, const char *field, const char *member, int required, long long lo, long long hi,
                long long *out) {
  json_t *v = json_object_get(r->body, field);
  if (v == NULL || json_is_null(v)) {
    if (required) sl__api_add_error(r, "Value null at '%s' failed to satisfy constraint: Member must not be null", member);
    return 0;
  }
  if (!json_is_integer(v)) {
    sl__api_add_error(r, "Value at '%s' failed to satisfy constraint: Member must be an integer", member);
    return 0;
  }
  long long n = json_integer_value(v);
  if (n < lo || n > hi) {
    sl__api_add_error(r, "Value '%lld' at '%s' failed to satisfy constraint: Member must have value %s %lld", n, member,
              n < lo ? "greater than or equal to" : "less than or equal to", n < lo ? lo : hi);
    return 0;
  }
  *out = n;
  return 1;
}

/* --- dispatch --------------------------------------------------------------------------------------------- */

static const struct {
  const char *name;
  void (*handle)(api_request_t *r);
} operations[] = {
    {"CreateStream", sl__api_create_stream},
    {"DeleteStream", sl__api_delete_stream},
    {"DescribeStream", sl__api_describe_stream},
    {"DescribeStreamSummary", sl__api_describe_stream_summary},
    {"ListStreams", sl__api_list_streams},
    {"ListShards", sl__api_list_shards},
    {"SplitShard", sl__api_split_shard},
    {"MergeShards", sl__api_merge_shards},
    {"UpdateShardCount", sl__api_update_shard_count},
    {"UpdateStreamMode", sl__api_update_stream_mode},
    {"IncreaseStreamRetentionPeriod", sl__api_increase_retention},
    {"DecreaseStreamRetentionPeriod", sl__api_decrease_retention},
    {"AddTagsToStream", sl__api_add_tags},
    {"ListTagsForStream", sl__api_list_tags},
    {"RemoveTagsFromStream", sl__api_remove_tags},
    {"PutRecord", sl__api_put_record},
    {"PutRecords", sl__api_put_records},
    {"GetShardIterator", sl__api_get_shard_iterator},
    {"GetRecords", sl__api_get_records},
    {"RegisterStreamConsumer", sl__api_register_stream_consumer},
    {"DescribeStreamConsumer", sl__api_describe_stream_consumer},
    {"ListStreamConsumers", sl__api_list_stream_consumers},
    {"DeregisterStreamConsumer", sl__api_deregister_stream_consumer},
    {"StartStreamEncryption", sl__api_start_encryption},
    {"StopStreamEncryption", sl__api_stop_encryption},
    {"EnableEnhancedMonitoring", sl__api_enable_monitoring},
    {"DisableEnhancedMonitoring", sl__api_disable_monitoring},
    {"UpdateMaxRecordSize", sl__api_update_max_record_size},
    {"UpdateStreamWarmThroughput", sl__api_update_warm_throughput},
    {"UpdateStreamRecordDistributionStrategy", sl__api_update_distribution},
    {"TagResource", sl__api_tag_resource},
    {"UntagResource", sl__api_untag_resource},
    {"ListTagsForResource", sl__api_list_tags_for_resource},
    {"PutResourcePolicy", sl__api_put_policy},
    {"GetResourcePolicy", sl__api_get_policy},
    {"DeleteResourcePolicy", sl__api_delete_policy},
    {"DescribeLimits", sl__api_describe_limits},
    {"DescribeAccountSettings", sl__api_describe_account},
    {"UpdateAccountSettings", sl__api_update_account},
    {"CreateChannel", sl__api_channel},
    {"DescribeChannel", sl__api_channel},
    {"UpdateChannel", sl__api_channel},
    {"DeleteChannel", sl__api_channel},
    {"ListChannels", sl__api_list_channels},
};

void sl_api_handle(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                   int64_t now_ms, sl_api_response_t *out) {
  static const char put_records[] = "Kinesis_20131202.PutRecords", put_record[] = "Kinesis_20131202.PutRecord";
  memset(out, 0, sizeof *out);
  sl__api_state_expire(api, now_ms); /* streams whose DELETING time passed are gone before anything is looked up */
  int puts_records = target != NULL && target_len == sizeof put_records - 1 && memcmp(target, put_records, target_len) == 0;
  int puts_record = target != NULL && target_len == sizeof put_record - 1 && memcmp(target, put_record, target_len) == 0;
  if (!puts_records || !sl__api_put_records_fast(api, body, body_len, now_ms, out))
    sl__api_handle_general(api, target, target_len, body, body_len, now_ms, out);
  out->needs_flush = (puts_records || puts_record) && out->status == 200;
}

void sl__api_handle_general(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                            int64_t now_ms, sl_api_response_t *out) {
  api_request_t r;
  memset(&r, 0, sizeof r);
  memset(out, 0, sizeof *out);
  r.api = api;
  r.now_ms = now_ms;
  r.out = out;
  sl__api_state_expire(api, now_ms);
  static const char prefix[] = "Kinesis_20131202.";
  size_t plen = sizeof prefix - 1;
  if (target == NULL || target_len <= plen || memcmp(target, prefix, plen) != 0) {
    sl__api_fail(&r, 400, "UnknownOperationException", "Unknown operation: X-Amz-Target must be Kinesis_20131202.<Operation>");
    return;
  }
  const char *op = target + plen;
  size_t op_len = target_len - plen;
  for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++) {
    if (strlen(operations[i].name) != op_len || memcmp(operations[i].name, op, op_len) != 0) continue;
    json_error_t jerr;
    r.body = body_len > 0 ? json_loadb(body, body_len, JSON_REJECT_DUPLICATES, &jerr) : json_object();
    if (r.body == NULL || !json_is_object(r.body)) {
      sl__api_fail(&r, 400, "SerializationException", "the request body is not a JSON object%s%s", r.body ? "" : ": ",
               r.body ? "" : jerr.text);
    } else {
      operations[i].handle(&r);
    }
    json_decref(r.body);
    return;
  }
  sl__api_fail(&r, 400, "UnknownOperationException", "Unknown operation %.*s", (int)(op_len > 100 ? 100 : op_len), op);
}
