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

typedef struct api_stream_s {
  sl_stream_t *stream;
  json_t *tags;          /* {"key": "value"} */
  int pinned;            /* a mapping consumes it: it cannot be deleted */
  sl_store_t *store;     /* with a data_dir: the store that owns the stream */
  sl_on_demand_t on_demand;  /* an on-demand stream's scaling policy (api_capacity.c; attached on first use) */
  api_consumer_t *consumers; /* registered for enhanced fan-out, in the order registered */
  size_t consumer_count, consumer_cap;
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
/* Sends the collected validation errors; nonzero when there were any. */
int sl__api_validation_failed(api_request_t *r);

/* Field readers: absent optional fields leave *out; a problem is added as a validation error. */
const char *sl__api_string(api_request_t *r, const char *field, const char *member, int required, size_t min, size_t max);
const char *sl__api_stream_name(api_request_t *r, int required);
int sl__api_integer(api_request_t *r, const char *field, const char *member, int required, long long lo, long long hi,
                long long *out);

/* Adds a validation error ("Value ... at 'member' failed to satisfy constraint: ..."). */
void sl__api_add_error(api_request_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The stream named in the request, or an error response (ResourceNotFoundException) and NULL. */
api_stream_t *sl__api_stream(api_request_t *r, const char *name);
size_t sl__api_stream_arn(const sl_stream_t *s, char *buf, size_t size);
/* The stream a StreamARN names (of this server's region and account), or an error response and NULL. */
api_stream_t *sl__api_stream_of_arn(api_request_t *r, const char *arn);

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
/* PutRecords in the common shape, without a JSON tree (api_put_fast.c): 1 when it answered, 0 to leave the
 * request to the general path. */
int sl__api_put_records_fast(sl_api_t *api, const char *body, size_t len, int64_t now_ms, sl_api_response_t *out);

#endif
