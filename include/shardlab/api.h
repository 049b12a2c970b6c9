/* api.h - the Kinesis Data Streams JSON API (protocol awsJson1_1) over shardlab's streams: one request in
 * (the X-Amz-Target operation name and the JSON body), one response out (HTTP status and JSON body, errors as
 * AWS sends them: {"__type": "...", "message": "..."}). No I/O here: `shardlab serve` carries requests over
 * HTTP (runtime/server/), and the fuzz target calls this directly. docs/api.md lists the operations and the
 * differences from AWS. */
#ifndef SHARDLAB_API_H
#define SHARDLAB_API_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/store.h"

typedef struct sl_api_s sl_api_t;
struct sl_stream_s;

typedef struct sl_api_config_s {
  const char *account_id;         /* default SL_ACCOUNT_ID_DEFAULT */
  const char *region;             /* default SL_REGION_DEFAULT */
  int64_t iterator_ttl_ms;        /* shard iterators expire after this (AWS: 5 minutes) */
  int write_limits;               /* enforce the per-shard write limits (default on) */
  int read_limits;                /* enforce the per-shard read limits on GetRecords (default on) */
  const char *data_dir;           /* NULL (default): streams in memory; else each stream durable in DIR/NAME */
  sl_fsync_t fsync;               /* with data_dir: the fsync policy (default interval) */
  /* Stream status transitions (docs/api.md): a new stream is CREATING for create_stream_ms, a deleted one
   * DELETING for delete_stream_ms (then gone), a resharded one (or one whose mode or encryption changes)
   * UPDATING for update_stream_ms. Defaults 500, as kinesalite's; 0: at once. A registered consumer is
   * CREATING for create_stream_ms, a deregistered one DELETING for delete_stream_ms. */
  int64_t create_stream_ms, delete_stream_ms, update_stream_ms;
  uint32_t shard_limit;           /* the account's open shards (DescribeLimits ShardLimit; default 10000) */
  uint32_t on_demand_stream_limit; /* on-demand streams of the account (default 50, AWS's default quota) */
} sl_api_config_t;

void sl_api_config_init(sl_api_config_t *c);
/* With a data_dir, reopens every stream stored there (a torn tail is cut off and reported on stderr). */
int sl_api_create(const sl_api_config_t *c, sl_api_t **out, sl_error_t *err);
/* With a data_dir: writes and syncs every stream's buffered records (a group commit for idle streams). */
int sl_api_sync(sl_api_t *api, sl_error_t *err);
/* With a data_dir, before answering what was put since the last call: every stream's buffered records go to
 * the kernel, and to the disk as the fsync policy says (sl_store_flush). Durable streams only buffer until
 * then: whoever answers requests must call it first. */
int sl_api_flush(sl_api_t *api, sl_error_t *err);
/* Retention: drops every served stream's records older than its retention period at now_ms (durable ones:
 * whole segments on disk too), except what a mapping still holds. *trimmed: records dropped. An error means a
 * segment file could not be deleted (the records are gone from memory anyway). */
int sl_api_trim(sl_api_t *api, int64_t now_ms, uint64_t *trimmed, sl_error_t *err);
/* On-demand streams (docs/semantics.md, "Capacity modes"): once a second at now_ms, feeds each on-demand
 * stream's scaling policy the writes since the last call and applies its decisions (uniform scaling by the
 * service). An error names the stream whose scaling failed; the others are still handled. */
int sl_api_capacity(sl_api_t *api, int64_t now_ms, sl_error_t *err);
void sl_api_destroy(sl_api_t *api);

typedef struct sl_api_response_s {
  int status;     /* HTTP status: 200, or 400/500 with an error body */
  char *body;     /* JSON (CBOR from sl_api_handle_cbor), malloc'd */
  size_t len;
  int needs_flush; /* records were put: the answer holds only once sl_api_flush succeeds (else a 5xx is due) */
} sl_api_response_t;

/* SubscribeToShard (enhanced fan-out; runtime/api/api_subscribe.c). The server starts a subscription from the
 * request's JSON body, then polls it and sends each event it yields as an event-stream message, until one is
 * marked last or the subscription has ended (5 minutes). Subscriptions belong to the API: end each with
 * sl_api_subscription_end (sl_api_destroy frees those left). */
typedef struct sl_api_subscription_s sl_api_subscription_t;

typedef struct sl_api_event_s {
  const char *type;  /* "SubscribeToShardEvent", or an exception's type */
  int exception;     /* an exception message (then last) */
  int last;          /* the subscription ends after it (ChildShards were sent, or an exception) */
  char *json;        /* the payload, malloc'd */
  size_t len;
} sl_api_event_t;

/* A new subscription, or NULL with the error answer in *refusal (free refusal->body). */
sl_api_subscription_t *sl_api_subscribe(sl_api_t *api, const char *body, size_t len, int64_t now_ms,
                                        sl_api_response_t *refusal);
/* 1 with *ev (free ev->json) when a message is due at now_ms, 0 when none is. */
int sl_api_subscription_poll(sl_api_t *api, sl_api_subscription_t *s, int64_t now_ms, sl_api_event_t *ev);
/* Nonzero once nothing more will come: its last event was sent, or its 5 minutes are over. */
int sl_api_subscription_ended(const sl_api_subscription_t *s);
void sl_api_subscription_end(sl_api_t *api, sl_api_subscription_t *s);

/* Handles one request at now_ms. target is the X-Amz-Target header ("Kinesis_20131202.PutRecord"); never
 * fails: every problem is an error response. Free out->body. */
void sl_api_handle(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                   int64_t now_ms, sl_api_response_t *out);

/* CBOR (docs/api.md, "CBOR"): requests of Content-Type application/x-amz-cbor-1.1, the default of AWS's Java
 * SDKs, the KCL and the KPL, are answered in CBOR. Whether a Content-Type value (parameters after ';' aside,
 * case ignored) is that one. */
int sl_api_content_is_cbor(const char *content_type, size_t len);
/* As sl_api_handle, for a CBOR body (runtime/api/api_cbor.c): decoded to the JSON the API takes, the answer
 * (errors included) encoded as CBOR in out->body; malformed CBOR is a SerializationException. */
void sl_api_handle_cbor(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                        int64_t now_ms, sl_api_response_t *out);
/* A JSON answer body as the CBOR one AWS sends (Data as a byte string, timestamps as tag 1 of epoch
 * milliseconds), for answers made outside the API (a server's own errors) to a CBOR request. malloc'd, its
 * length in *out_len; NULL when out of memory or json is not JSON. */
char *sl_api_answer_cbor(const char *json, size_t len, size_t *out_len);

/* Creates a stream as CreateStream does, with want's name, shards, capacity mode and on-demand settings (or
 * finds the one of that name: SL_EINVAL if its mode is not want's), and pins it: DeleteStream refuses it
 * (ResourceInUseException) because a mapping consumes it (`shardlab serve --mapping`). */
int sl_api_pin_stream(sl_api_t *api, const struct sl_stream_config_s *want, int64_t now_ms, struct sl_stream_s **out,
                      sl_error_t *err);

/* Registers consumer on the stream, ACTIVE at once, as RegisterStreamConsumer would (its limits and name
 * pattern apply): a mapping of `shardlab serve --mapping` with consumer = "efo" reads through it. SL_OK when
 * it is registered already. */
int sl_api_register_consumer(sl_api_t *api, const char *stream, const char *consumer, int64_t now_ms, sl_error_t *err);

/* The streams it serves (by name), e.g. for a mapping to consume. NULL when there is none of that name. */
struct sl_stream_s *sl_api_find_stream(sl_api_t *api, const char *name);

#endif
