/* api_internal.h - what the API's files share: the registry of streams, request helpers that validate fields
 * with AWS's messages, and error responses. Private to runtime/api/. */
#ifndef SHARDLAB_API_INTERNAL_H
#define SHARDLAB_API_INTERNAL_H

#include <jansson.h>

#include "on_demand.h"
#include "shardlab/api.h"
#include "shardlab/stream.h"

/* A consumer registered for enhanced fan-out (api_consumers.c). */
typedef struct api_consumer_s {
  char name[129];
  char arn[700];
  int64_t created_ms;
  int64_t deleted_ms;    /* when DeregisterStreamConsumer was called (0: registered) */
} api_consumer_t;

/* A stream's settings that only the API knows (api_settings.c), kept in DIR/NAME/settings.json with --data. */
typedef struct api_settings_s {
  char *key_id;              /* KMS key of StartStreamEncryption; NULL: EncryptionType NONE */
  json_t *metrics;           /* ShardLevelMetrics enabled: ["IncomingBytes", ...] */
  char *policy;              /* PutResourcePolicy's document, as given; NULL: none */
  int auto_distribution;     /* RecordDistributionStrategy AUTO (on-demand streams): records spread round-robin */
  uint64_t next_auto;        /* the next open shard AUTO puts to */
  long long warm_mibps;      /* WarmThroughputMiBps asked for; -1: never */
} api_settings_t;

typedef struct api_stream_s {
  sl_stream_t *stream;
  json_t *tags;          /* {"key": "value"} */
  int pinned;            /* a mapping consumes it: it cannot be deleted */
  sl_store_t *store;     /* with a data_dir: the store that owns the stream */
  sl_on_demand_t on_demand;  /* an on-demand stream's scaling policy (api_capacity.c; attached on first use) */
  api_consumer_t *consumers; /* registered for enhanced fan-out, in the order registered */
  size_t consumer_count, consumer_cap;
  /* Its status, computed from times (api_state.c): CREATING before active_ms, UPDATING before updating_ms,
   * DELETING from a DeleteStream until deleted_ms, when it is removed. */
  int64_t active_ms, updating_ms, deleted_ms;
  int deleting;
  api_settings_t settings;   /* encryption, monitoring, policy, ... (api_settings.c) */
} api_stream_t;

struct sl_api_s {
  sl_api_config_t config;
  char account_id[32], region[32];
  char data_dir[4096];   /* "" without one */
  api_stream_t *streams;
  size_t count, cap;
  unsigned char iterator_key[32];  /* HMAC key that makes shard iterators unforgeable */
  int64_t capacity_ms;   /* when sl_api_capacity last stepped the on-demand streams (0: never) */
  sl_api_subscription_t **subs;  /* SubscribeToShard's subscriptions (api_subscribe.c) */
  size_t sub_count, sub_cap;
  /* DescribeAccountSettings' MinimumThroughputBillingCommitment (api_account.c): 0 disabled, else since */
  int64_t commitment_ms, commitment_ended_ms;
};

/* A request being handled: its body, the time, and the validation errors found so far. */
typedef struct api_request_s {
  sl_api_t *api;
  json_t *body;
  int64_t now_ms;
  sl_api_response_t *out;
  char errors[1024];     /* "Value ... at 'field' failed to satisfy constraint: ..." joined with "; " */
  int error_count;
} api_request_t;

/* API PutRecords: "Each PutRecords request can support up to 500 records. Each record in the request can be as
 * large as 1 MiB, up to a limit of 5 MiB for the entire request, including partition keys." */
#define SL_API_PUT_RECORDS_MAX ((size_t)5 << 20)

/* Responses. */
void sl__api_ok(api_request_t *r, json_t *body);  /* steals body */
void sl__api_fail(api_request_t *r, int status, const char *type, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An error code of the core as the AWS exception (ResourceNotFound, InvalidArgument, LimitExceeded, ...). */
void sl__api_fail_code(api_request_t *r, const sl_error_t *err);
/* Adds a validation error ("Value ... at 'field' failed to satisfy constraint: ..."). */
void sl__api_add_error(api_request_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends the collected validation errors; nonzero when there were any. */
int sl__api_validation_failed(api_request_t *r);

/* Field readers: absent optional fields leave *out; a problem is added as a validation error. */
const char *sl__api_string(api_request_t *r, const char *field, const char *member, int required, size_t min, size_t max);
const char *sl__api_stream_name(api_request_t *r, int required);
/* A name of 1..128 characters of [a-zA-Z0-9_.-] (streams, consumers), AWS's messages otherwise. */
const char *sl__api_name(api_request_t *r, const char *field, const char *member, int required);
int sl__api_integer(api_request_t *r, const char *field, const char *member, int required, long long lo, long long hi,
                long long *out);

size_t sl__api_stream_arn(const sl_stream_t *s, char *buf, size_t size);

/* Records as GetRecords answers them (api_records.c): one record; a closed shard's ChildShards. */
json_t *sl__api_record_json(const sl_shard_t *sh, const sl_record_t *rec);
json_t *sl__api_child_shards(const sl_stream_t *stream, const sl_shard_t *sh);

/* Consumers (api_consumers.c): the one an ARN names (and its stream), NULL when none; its status at now_ms. */
api_consumer_t *sl__api_consumer_by_arn(sl_api_t *api, const char *arn, api_stream_t **stream, int64_t now_ms);
const char *sl__api_consumer_status(const sl_api_t *api, const api_consumer_t *c, int64_t now_ms);
/* Frees the subscriptions left (sl_api_destroy). */
void sl__api_subscriptions_free(sl_api_t *api);

/* Durable streams (api_store.c): a new stream's store in DIR/NAME, reopening them all, removing one. */
/* A new stream with want's name, shards, mode and on-demand settings (api_streams.c); the account, region,
 * limits and creation time are the server's. SL_ELIMIT over the account's shards (AWS's message). */
int sl__api_add_stream(sl_api_t *api, const sl_stream_config_t *want, int64_t now_ms, api_stream_t **out,
                       sl_error_t *err);
int sl__api_store_create(sl_api_t *api, const sl_stream_config_t *c, api_stream_t *st, sl_error_t *err);
int sl__api_store_reopen_all(sl_api_t *api, sl_error_t *err);
void sl__api_store_release(sl_api_t *api, api_stream_t *st, int remove_files);

/* StreamModeDetails of the request (api_capacity.c): 1 and *out when given, 0 when absent (required: a
 * validation error), -1 after an error response (not an object, an unknown StreamMode). */
int sl__api_stream_mode(api_request_t *r, int required, sl_stream_mode_t *out);

/* --- addressing (api_resolve.c) --- */
/* An ARN split: arn:PARTITION:kinesis:REGION:ACCOUNT:RESOURCE (resource "stream/NAME" or
 * "stream/NAME/consumer/CONSUMER:TIME"). */
typedef struct api_arn_s {
  char partition[32], region[64], account[16], stream[SL_STREAM_NAME_MAX + 1];
  const char *consumer;      /* within the ARN given, after "/consumer/"; NULL for a stream */
} api_arn_t;
/* Splits arn; 0 when it is no Kinesis stream or consumer ARN. */
int sl__api_arn_parse(const char *arn, api_arn_t *out);

/* How a request names its stream: StreamName and/or StreamARN, read by sl__api_stream_ref (validation errors
 * added for a malformed one) and found by sl__api_resolve after the validation errors were sent. */
typedef struct api_ref_s {
  const char *name, *arn;
} api_ref_t;
/* Whether the ARN must be given (the operations that take no StreamName), the name alone is enough, or
 * either. */
typedef enum { API_BY_EITHER, API_BY_ARN, API_BY_OPTIONAL /* neither is an error either */ } api_by_t;
void sl__api_stream_ref(api_request_t *r, api_by_t by, api_ref_t *ref);
/* What the operation needs of the stream's status (AWS's answer when it is not so). */
typedef enum {
  API_ANY,       /* any status: describe, tags, delete */
  API_ACTIVE,    /* ACTIVE, else ResourceInUseException: resharding, mode, encryption, retention, ... */
  API_LISTABLE,  /* ACTIVE or UPDATING, else ResourceInUseException: ListShards */
  API_DATA,      /* ACTIVE or UPDATING, else ResourceNotFoundException: puts, iterators, reads */
} api_need_t;
/* The stream ref names, in a status need allows, or an error response and NULL. */
api_stream_t *sl__api_resolve(api_request_t *r, const api_ref_t *ref, api_need_t need);
/* The stream a ResourceARN names (tags and policies); a consumer's is not found (tags on consumers: not yet). */
api_stream_t *sl__api_resource(api_request_t *r, const char *arn);
/* The ResourceARN of the request, NULL after a validation error (one is added, or sent for a bad pattern). */
const char *sl__api_resource_arn(api_request_t *r);

/* --- status (api_state.c) --- */
typedef enum { API_CREATING, API_ACTIVE_STATUS, API_UPDATING, API_DELETING } api_status_t;
api_status_t sl__api_status(const api_stream_t *st, int64_t now_ms);
const char *sl__api_status_name(api_status_t status);
/* A stream just created (CREATING for create_stream_ms), changed by the caller (UPDATING for
 * update_stream_ms), deleted (DELETING for delete_stream_ms; at once with 0). */
void sl__api_state_created(sl_api_t *api, api_stream_t *st, int64_t now_ms);
void sl__api_state_updating(sl_api_t *api, api_stream_t *st, int64_t now_ms);
void sl__api_state_delete(sl_api_t *api, api_stream_t *st, int64_t now_ms);
/* Removes the streams whose DELETING time has passed (their folders too). */
void sl__api_state_expire(sl_api_t *api, int64_t now_ms);
/* The stream of this name, whatever its status, or NULL. */
api_stream_t *sl__api_find(sl_api_t *api, const char *name);

/* --- settings (api_settings.c) --- */
void sl__api_settings_init(api_settings_t *s);
void sl__api_settings_free(api_settings_t *s);
/* Adds EncryptionType, KeyId, EnhancedMonitoring (and for on-demand streams WarmThroughput and
 * RecordDistributionStrategy) to a description. */
void sl__api_settings_describe(const api_stream_t *st, json_t *d, int summary);
const char *sl__api_encryption(const api_stream_t *st);  /* "NONE" or "KMS" */
/* With --data: writes settings.json of the stream (errors on stderr: the answer stands). */
void sl__api_settings_save(sl_api_t *api, api_stream_t *st);
void sl__api_settings_load(sl_api_t *api, api_stream_t *st);
/* AUTO distribution: the explicit hash key of the open shard the next record goes to (buf of
 * SL_HASHKEY_DECIMAL_SIZE), or NULL for the producer's own key. */
const char *sl__api_auto_hash_key(api_stream_t *st, char *buf);
/* ListStreams' and ListShards' NextToken: base64 of KIND "\n" fields "\n" issued time (api_paging.c). */
json_t *sl__api_token(const char *kind, const char *fields, int64_t now_ms);
/* The fields of a token of KIND into buf; -1 when it is not one, else its age in ms. */
long long sl__api_token_read(const char *token, const char *kind, int64_t now_ms, char *buf, size_t size);

/* Shared by DescribeStream and ListShards (api_streams.c): a shard as AWS describes it, and the index after
 * ExclusiveStartShardId (0 without one; -1 after an error response). */
json_t *sl__api_shard_json(const sl_shard_t *sh);
long sl__api_start_after(api_request_t *r, const sl_stream_t *s);

/* The operations, by file. */
void sl__api_create_stream(api_request_t *r);
void sl__api_delete_stream(api_request_t *r);
void sl__api_describe_stream(api_request_t *r);
void sl__api_describe_stream_summary(api_request_t *r);
void sl__api_list_streams(api_request_t *r);
void sl__api_list_shards(api_request_t *r);
void sl__api_split_shard(api_request_t *r);
void sl__api_merge_shards(api_request_t *r);
void sl__api_update_shard_count(api_request_t *r);
void sl__api_update_stream_mode(api_request_t *r);  /* api_capacity.c */
void sl__api_increase_retention(api_request_t *r);
void sl__api_decrease_retention(api_request_t *r);
void sl__api_add_tags(api_request_t *r);
void sl__api_list_tags(api_request_t *r);
void sl__api_remove_tags(api_request_t *r);
void sl__api_put_record(api_request_t *r);
void sl__api_put_records(api_request_t *r);
void sl__api_get_shard_iterator(api_request_t *r);
void sl__api_get_records(api_request_t *r);
void sl__api_register_stream_consumer(api_request_t *r);
void sl__api_describe_stream_consumer(api_request_t *r);
void sl__api_list_stream_consumers(api_request_t *r);
void sl__api_deregister_stream_consumer(api_request_t *r);
/* api_settings.c */
void sl__api_start_encryption(api_request_t *r);
void sl__api_stop_encryption(api_request_t *r);
void sl__api_enable_monitoring(api_request_t *r);
void sl__api_disable_monitoring(api_request_t *r);
void sl__api_update_max_record_size(api_request_t *r);
void sl__api_update_warm_throughput(api_request_t *r);
void sl__api_update_distribution(api_request_t *r);
/* api_resources.c: by ResourceARN, and what has no meaning here */
void sl__api_tag_resource(api_request_t *r);
void sl__api_untag_resource(api_request_t *r);
void sl__api_list_tags_for_resource(api_request_t *r);
void sl__api_put_policy(api_request_t *r);
void sl__api_get_policy(api_request_t *r);
void sl__api_delete_policy(api_request_t *r);
void sl__api_channel(api_request_t *r);
void sl__api_list_channels(api_request_t *r);
/* api_account.c */
void sl__api_describe_limits(api_request_t *r);
void sl__api_describe_account(api_request_t *r);
void sl__api_update_account(api_request_t *r);
/* Adds tags to a stream (AddTagsToStream, TagResource, CreateStream's Tags): 0, or an error response. */
int sl__api_tags_add(api_request_t *r, api_stream_t *st, json_t *tags, size_t max);
/* Removes the keys from st's tags and answers (nothing when st is NULL: the error was sent). */
void sl__api_tags_remove(api_request_t *r, api_stream_t *st, json_t *keys);
/* Whether tags may be added to a stream that has current (NULL: none) with at most max: 0, or an error response. */
int sl__api_tags_check(api_request_t *r, const json_t *current, json_t *tags, size_t max, const char *stream);
/* PutRecords in the common shape, without a JSON tree (api_put_fast.c): 1 when it answered, 0 to leave the
 * request to the general path. */
int sl__api_put_records_fast(sl_api_t *api, const char *body, size_t len, int64_t now_ms, sl_api_response_t *out);

#endif
