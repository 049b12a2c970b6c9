/* api_consumers.c - enhanced fan-out's registered consumers (API RegisterStreamConsumer,
 * DescribeStreamConsumer, ListStreamConsumers, DeregisterStreamConsumer): at most 20 per stream and 5 CREATING
 * at once, each CREATING for a while after it is registered and DELETING for a while after it is deregistered
 * (the server's create_stream_ms and delete_stream_ms), named by an ARN that carries its creation time in seconds, as AWS's do
 * (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME/consumer/CONSUMER:SECONDS). SubscribeToShard reads through them
 * (api_subscribe.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/base64.h"

/* API RegisterStreamConsumer: "You can register up to 20 consumers per stream", "you cannot have more than 5
 * consumers in a CREATING status at the same time". */
#define MAX_CONSUMERS 20
#define MAX_CREATING 5

const char *sl__api_consumer_status(const sl_api_t *api, const api_consumer_t *c, int64_t now_ms) {
  if (c->deleted_ms) return "DELETING";
  return now_ms < c->created_ms + api->config.create_stream_ms ? "CREATING" : "ACTIVE";
}

/* Drops the consumers whose DELETING time has passed. */
static void forget_deleted(const sl_api_t *api, api_stream_t *st, int64_t now_ms) {
  size_t kept = 0;
  for (size_t i = 0; i < st->consumer_count; i++)
    if (!st->consumers[i].deleted_ms || now_ms < st->consumers[i].deleted_ms + api->config.delete_stream_ms)
      st->consumers[kept++] = st->consumers[i];
  st->consumer_count = kept;
}

api_consumer_t *sl__api_consumer_by_arn(sl_api_t *api, const char *arn, api_stream_t **stream, int64_t now_ms) {
  for (size_t i = 0; i < api->count; i++) {
    api_stream_t *st = &api->streams[i];
    forget_deleted(api, st, now_ms);
    for (size_t k = 0; k < st->consumer_count; k++)
      if (strcmp(st->consumers[k].arn, arn) == 0) {
        if (stream) *stream = st;
        return &st->consumers[k];
      }
  }
  return NULL;
}

static api_consumer_t *by_name(api_stream_t *st, const char *name) {
  for (size_t k = 0; k < st->consumer_count; k++)
    if (strcmp(st->consumers[k].name, name) == 0) return &st->consumers[k];
  return NULL;
}

/* The stream its StreamARN (required) names, in a status need allows; NULL after an error answer. */
static api_stream_t *stream_of(api_request_t *r, api_need_t need) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_ARN, &ref);
  return sl__api_validation_failed(r) ? NULL : sl__api_resolve(r, &ref, need);
}

static const char *consumer_name(api_request_t *r, int required) {
  return sl__api_name(r, "ConsumerName", "consumerName", required);
}

static json_t *summary(api_request_t *r, const api_consumer_t *c) {
  return json_pack("{s:s,s:s,s:s,s:f}", "ConsumerName", c->name, "ConsumerARN", c->arn, "ConsumerStatus",
                   sl__api_consumer_status(r->api, c, r->now_ms), "ConsumerCreationTimestamp",
                   (double)(c->created_ms / 1000));
}

static int creating(api_request_t *r, const api_stream_t *st) {
  int n = 0;
  for (size_t k = 0; k < st->consumer_count; k++)
    n += strcmp(sl__api_consumer_status(r->api, &st->consumers[k], r->now_ms), "CREATING") == 0;
  return n;
}

void sl__api_register_stream_consumer(api_request_t *r) {
  const char *name = consumer_name(r, 1);
  api_stream_t *st = stream_of(r, API_LISTABLE);
  if (st == NULL) return;
  forget_deleted(r->api, st, r->now_ms);
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  const char *stream = sl_stream_name(st->stream);
  if (by_name(st, name) != NULL) {
    sl__api_fail(r, 400, "ResourceInUseException", "Consumer %s under stream %s already exists for account %s.", name,
                 stream, r->api->account_id);
  } else if (st->consumer_count >= MAX_CONSUMERS) {
    sl__api_fail(r, 400, "LimitExceededException", "Stream %s under account %s has %d registered consumers, the most a "
                 "stream can have.", stream, r->api->account_id, MAX_CONSUMERS);
  } else if (creating(r, st) >= MAX_CREATING) {
    sl__api_fail(r, 400, "LimitExceededException", "Stream %s under account %s has %d consumers in CREATING status, "
                 "the most at once.", stream, r->api->account_id, MAX_CREATING);
  } else if (st->consumer_count == st->consumer_cap &&
             (st->consumers = realloc(st->consumers, (st->consumer_cap = st->consumer_cap * 2 + 4) *
                                                         sizeof *st->consumers)) == NULL) {
    st->consumer_count = st->consumer_cap = 0;
    sl__api_fail(r, 500, "InternalFailure", "out of memory");
  } else {
    api_consumer_t *c = &st->consumers[st->consumer_count++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->created_ms = r->now_ms;
    snprintf(c->arn, sizeof c->arn, "%s/consumer/%s:%lld", arn, name, (long long)(r->now_ms / 1000));
    sl__api_ok(r, json_pack("{s:o}", "Consumer", summary(r, c)));
  }
}

/* The consumer a request names: ConsumerARN, or StreamARN and ConsumerName (API DescribeStreamConsumer,
 * DeregisterStreamConsumer). NULL after an error answer. */
static api_consumer_t *named(api_request_t *r, api_stream_t **st) {
  const char *arn = sl__api_string(r, "ConsumerARN", "consumerARN", 0, 1, 2048);
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_OPTIONAL, &ref);
  const char *name = consumer_name(r, 0);
  if (sl__api_validation_failed(r)) return NULL;
  api_consumer_t *c = NULL;
  if (arn != NULL) {
    c = sl__api_consumer_by_arn(r->api, arn, st, r->now_ms);
    if (c == NULL) sl__api_fail(r, 400, "ResourceNotFoundException", "Consumer %s not found.", arn);
    return c;
  }
  if (ref.arn == NULL || name == NULL) {
    sl__api_fail(r, 400, "InvalidArgumentException", "ConsumerARN, or both StreamARN and ConsumerName, must be given.");
    return NULL;
  }
  if ((*st = sl__api_resolve(r, &ref, API_ANY)) == NULL) return NULL;
  forget_deleted(r->api, *st, r->now_ms);
  if ((c = by_name(*st, name)) == NULL)
    sl__api_fail(r, 400, "ResourceNotFoundException", "Consumer %s under stream %s not found.", name,
                 sl_stream_name((*st)->stream));
  return c;
}

void sl__api_describe_stream_consumer(api_request_t *r) {
  api_stream_t *st = NULL;
  api_consumer_t *c = named(r, &st);
  if (c == NULL) return;
  json_t *d = summary(r, c);
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  json_object_set_new(d, "StreamARN", json_string(arn));
  sl__api_ok(r, json_pack("{s:o}", "ConsumerDescription", d));
}

void sl__api_deregister_stream_consumer(api_request_t *r) {
  api_stream_t *st = NULL;
  api_consumer_t *c = named(r, &st);
  if (c == NULL) return;
  if (!c->deleted_ms) c->deleted_ms = r->now_ms;
  sl__api_ok(r, NULL);
}

/* ListStreamConsumers' NextToken: the position in the stream's list, base64 of "consumers:STREAM:INDEX". */
static json_t *next_token(const char *stream, size_t index) {
  char plain[200], token[300];
  int n = snprintf(plain, sizeof plain, "consumers:%s:%zu", stream, index);
  sl_base64_encode(plain, (size_t)n, token);
  return json_string(token);
}

static long token_index(const char *token, const char *stream) {
  unsigned char plain[300];
  size_t len;
  char want[160];
  int n = snprintf(want, sizeof want, "consumers:%s:", stream);
  if (strlen(token) > 280 || sl_base64_decode(token, strlen(token), "NextToken", plain, &len, NULL) != SL_OK ||
      len <= (size_t)n || memcmp(plain, want, (size_t)n) != 0)
    return -1;
  plain[len] = '\0';
  return strtol((const char *)plain + n, NULL, 10);
}

void sl__api_list_stream_consumers(api_request_t *r) {
  const char *token = sl__api_string(r, "NextToken", "nextToken", 0, 1, 1048576);
  long long max = 100;
  sl__api_integer(r, "MaxResults", "maxResults", 0, 1, 10000, &max);
  api_stream_t *st = stream_of(r, API_ANY);
  if (st == NULL) return;
  forget_deleted(r->api, st, r->now_ms);
  long from = token ? token_index(token, sl_stream_name(st->stream)) : 0;
  if (from < 0) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid NextToken.");
    return;
  }
  if (max > 100) max = 100; /* "If you specify a value greater than 100, at most 100 results are returned." */
  json_t *list = json_array();
  size_t k = (size_t)from;
  for (; k < st->consumer_count && json_array_size(list) < (size_t)max; k++)
    json_array_append_new(list, summary(r, &st->consumers[k]));
  json_t *body = json_pack("{s:o}", "Consumers", list);
  if (k < st->consumer_count) json_object_set_new(body, "NextToken", next_token(sl_stream_name(st->stream), k));
  sl__api_ok(r, body);
}

int sl_api_register_consumer(sl_api_t *api, const char *stream, const char *consumer, int64_t now_ms, sl_error_t *err) {
  api_stream_t *st = NULL;
  for (size_t i = 0; i < api->count && st == NULL; i++)
    if (strcmp(sl_stream_name(api->streams[i].stream), stream) == 0) st = &api->streams[i];
  if (st == NULL) return sl_error_set(err, SL_ENOTFOUND, "stream %s is not served", stream);
  if (by_name(st, consumer) != NULL) return SL_OK;
  static const char target[] = "Kinesis_20131202.RegisterStreamConsumer";
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  json_t *req = json_pack("{s:s,s:s}", "StreamARN", arn, "ConsumerName", consumer);
  char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
  json_decref(req);
  if (body == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  sl_api_response_t out;
  sl_api_handle(api, target, sizeof target - 1, body, strlen(body), now_ms, &out);
  free(body);
  int rc = out.status == 200 ? SL_OK : sl_error_set(err, SL_EINVAL, "consumer %s of stream %s: %.*s", consumer, stream,
                                                     (int)(out.len > 300 ? 300 : out.len), out.body ? out.body : "");
  free(out.body);
  api_consumer_t *c = rc == SL_OK ? by_name(st, consumer) : NULL;
  if (c != NULL) c->created_ms -= api->config.create_stream_ms; /* ACTIVE from the start: the mapping reads now */
  return rc;
}
