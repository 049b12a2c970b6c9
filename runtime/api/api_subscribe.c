/* api_subscribe.c - SubscribeToShard's subscriptions (API SubscribeToShard, SubscribeToShardEvent): a registered,
 * ACTIVE consumer reads one shard from a starting position, the server polls the subscription and sends what
 * it yields as event-stream messages. Each event carries the records since the last (at most 2 MiB per second
 * per consumer and shard, enhanced fan-out's dedicated throughput, on no shard's read limits),
 * ContinuationSequenceNumber and MillisBehindLatest, and, at the end of a closed shard, ChildShards, after
 * which the subscription ends; an idle subscription gets an empty event every 5 s (docs/api.md). A
 * subscription lasts 5 minutes; a second SubscribeToShard for the same consumer and shard within 5 seconds of
 * the first is refused with ResourceInUseException, a later one takes over and the first ends with that
 * exception; so does a subscription whose consumer was deregistered or whose stream was deleted. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/seqnum.h"

enum {
  LIFETIME_MS = 5 * 60 * 1000,       /* "for up to 5 minutes" */
  TAKEOVER_MS = 5000,                /* "within 5 seconds of a successful call, you'll get a ResourceInUseException" */
  IDLE_EVENT_MS = 5000,              /* an empty event when nothing was sent for this long */
  RATE_BYTES = 2 * 1024 * 1024,      /* "up to 2 MiB per second for every shard you subscribe to" */
  EVENT_RECORDS = 10000,
};

struct sl_api_subscription_s {
  char consumer_arn[700];
  char stream[129];
  uint32_t shard;
  uint64_t next;                 /* the counter of the next record to send */
  int64_t started_ms, last_event_ms;
  double budget;                 /* bytes it may send now (refilled at RATE_BYTES a second, at most one second's) */
  int64_t budget_ms;
  int taken_over;                /* a later SubscribeToShard took it over */
  int ended;
};

static int add_subscription(sl_api_t *api, sl_api_subscription_t *s) {
  if (api->sub_count == api->sub_cap) {
    size_t cap = api->sub_cap ? api->sub_cap * 2 : 8;
    sl_api_subscription_t **grown = realloc(api->subs, cap * sizeof *grown);
    if (grown == NULL) return SL_ENOMEM;
    api->subs = grown;
    api->sub_cap = cap;
  }
  api->subs[api->sub_count++] = s;
  return SL_OK;
}

/* The live subscription of consumer on shard (NULL: none). */
static sl_api_subscription_t *current(sl_api_t *api, const char *consumer_arn, uint32_t shard) {
  for (size_t i = 0; i < api->sub_count; i++) {
    sl_api_subscription_t *s = api->subs[i];
    if (!s->ended && !s->taken_over && s->shard == shard && strcmp(s->consumer_arn, consumer_arn) == 0) return s;
  }
  return NULL;
}

/* The request's consumer (ACTIVE), stream and shard, and the starting position; NULL after an error answer. */
static sl_api_subscription_t *resolve(api_request_t *r) {
  const char *arn = sl__api_string(r, "ConsumerARN", "consumerARN", 1, 1, 2048);
  const char *shard_id = sl__api_string(r, "ShardId", "shardId", 1, 1, 128);
  json_t *pos = json_object_get(r->body, "StartingPosition");
  if (!json_is_object(pos)) sl__api_add_error(r, "Value null at 'startingPosition' failed to satisfy constraint: "
                                                 "Member must not be null");
  if (sl__api_validation_failed(r)) return NULL;
  api_stream_t *st = NULL;
  api_consumer_t *c = sl__api_consumer_by_arn(r->api, arn, &st, r->now_ms);
  if (c == NULL || strcmp(sl__api_consumer_status(r->api, c, r->now_ms), "ACTIVE") != 0) {
    sl__api_fail(r, 400, c ? "ResourceInUseException" : "ResourceNotFoundException", "Consumer %s %s.", arn,
                 c ? "is not ACTIVE" : "not found");
    return NULL;
  }
  const sl_shard_t *sh = sl_stream_find_shard(st->stream, shard_id);
  if (sh == NULL) {
    sl__api_fail(r, 400, "ResourceNotFoundException", "Shard %s in stream %s under account %s does not exist", shard_id,
                 sl_stream_name(st->stream), r->api->account_id);
    return NULL;
  }
  json_t *type = json_object_get(pos, "Type"), *seq = json_object_get(pos, "SequenceNumber"),
         *ts = json_object_get(pos, "Timestamp");
  sl_iterator_type_t t;
  sl_error_t err;
  sl_shard_iterator_t it;
  if (!json_is_string(type) || sl_iterator_type_parse(json_string_value(type), &t, &err) != SL_OK ||
      sl_shard_iterator_init(&it, sh, t, json_is_string(seq) ? json_string_value(seq) : NULL,
                             json_is_number(ts) ? (int64_t)(json_number_value(ts) * 1000.0) : 0, &err) != SL_OK) {
    sl__api_fail(r, 400, "InvalidArgumentException", "StartingPosition: %s",
                 json_is_string(type) ? err.message : "Type is required");
    return NULL;
  }
  sl_api_subscription_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    sl__api_fail(r, 500, "InternalFailure", "out of memory");
    return NULL;
  }
  snprintf(s->consumer_arn, sizeof s->consumer_arn, "%s", arn);
  snprintf(s->stream, sizeof s->stream, "%s", sl_stream_name(st->stream));
  s->shard = sh->index;
  s->next = it.next;
  return s;
}

sl_api_subscription_t *sl_api_subscribe(sl_api_t *api, const char *body, size_t len, int64_t now_ms,
                                        sl_api_response_t *refusal) {
  memset(refusal, 0, sizeof *refusal);
  api_request_t r = {.api = api, .now_ms = now_ms, .out = refusal};
  json_error_t jerr;
  r.body = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  sl_api_subscription_t *s = NULL;
  if (!json_is_object(r.body))
    sl__api_fail(&r, 400, "SerializationException", "the request body is not a JSON object");
  else
    s = resolve(&r);
  json_decref(r.body);
  if (s == NULL) return NULL;
  sl_api_subscription_t *old = current(api, s->consumer_arn, s->shard);
  if (old != NULL && now_ms - old->started_ms < TAKEOVER_MS) {
    sl__api_fail(&r, 400, "ResourceInUseException", "Another active subscription exists for consumer %s on shard "
                 "shardId-%012u; it started less than 5 seconds ago.", s->consumer_arn, s->shard);
    free(s);
    return NULL;
  }
  if (add_subscription(api, s) != SL_OK) {
    sl__api_fail(&r, 500, "InternalFailure", "out of memory");
    free(s);
    return NULL;
  }
  if (old != NULL) old->taken_over = 1;
  s->started_ms = s->last_event_ms = s->budget_ms = now_ms;
  s->budget = RATE_BYTES;
  return s;
}

/* An exception message ends the subscription. */
static int exception(sl_api_subscription_t *s, sl_api_event_t *ev, const char *type, const char *message) {
  s->ended = 1;
  ev->type = type;
  ev->exception = 1;
  ev->last = 1;
  json_t *body = json_pack("{s:s}", "message", message);
  ev->json = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (ev->json == NULL) return 0;
  ev->len = strlen(ev->json);
  return 1;
}

/* What ends a subscription before its records do: its stream, its consumer, a takeover. */
static int gone(sl_api_t *api, sl_api_subscription_t *s, int64_t now_ms, api_stream_t **st, sl_api_event_t *ev) {
  api_consumer_t *c = sl__api_consumer_by_arn(api, s->consumer_arn, st, now_ms);
  if (s->taken_over)
    return exception(s, ev, "ResourceInUseException", "Another SubscribeToShard call took over this subscription.");
  if (c == NULL || c->deleted_ms || strcmp(sl_stream_name((*st)->stream), s->stream) != 0)
    return exception(s, ev, "ResourceNotFoundException", "The consumer or its stream no longer exists.");
  return -1;
}

/* Up to the budget's worth of records from s->next, into a JSON array; *bytes what they weigh. */
static json_t *take_records(sl_api_subscription_t *s, const sl_shard_t *sh, size_t *bytes) {
  json_t *records = json_array();
  uint64_t end = sl_shard_log_next(sh->log);
  *bytes = 0;
  while (s->next < end && json_array_size(records) < EVENT_RECORDS) {
    const sl_record_t *rec = sl_shard_log_get(sh->log, s->next);
    size_t weight = rec->key_len + rec->data_len;
    if ((double)(*bytes + weight) > s->budget) break; /* a record is at most 1 MiB: a full budget takes it */
    json_t *one = sl__api_record_json(sh, rec);
    if (one == NULL) break;
    json_array_append_new(records, one);
    *bytes += weight;
    s->next++;
  }
  return records;
}

static void refill(sl_api_subscription_t *s, int64_t now_ms) {
  s->budget += (double)(now_ms - s->budget_ms) * RATE_BYTES / 1000.0;
  if (s->budget > RATE_BYTES) s->budget = RATE_BYTES;
  s->budget_ms = now_ms;
}

/* The SubscribeToShardEvent of what the shard holds for s now (0 when nothing is due yet). */
static int records_event(sl_api_subscription_t *s, const sl_stream_t *stream, int64_t now_ms, sl_api_event_t *ev) {
  const sl_shard_t *sh = sl_stream_shard(stream, s->shard);
  uint64_t end = sl_shard_log_next(sh->log);
  int at_end = !sh->open && s->next >= sh->end_counter;
  refill(s, now_ms);
  if (s->next < sl_shard_log_first(sh->log)) s->next = sl_shard_log_first(sh->log); /* trimmed meanwhile */
  const sl_record_t *due = s->next < end ? sl_shard_log_get(sh->log, s->next) : NULL;
  int fits = due != NULL && (double)(due->key_len + due->data_len) <= s->budget;
  if (!at_end && !fits && now_ms - s->last_event_ms < IDLE_EVENT_MS) return 0;
  size_t bytes = 0;
  json_t *records = take_records(s, sh, &bytes);
  s->budget -= (double)bytes;
  at_end = !sh->open && s->next >= sh->end_counter;
  uint64_t last = s->next > 0 ? s->next - 1 : 0; /* the last record sent (counter 0 itself before any) */
  const sl_record_t *last_rec = s->next > sl_shard_log_first(sh->log) ? sl_shard_log_get(sh->log, last) : NULL;
  sl_seqnum_t seq;
  sl_shard_seqnum(sh, last, last_rec ? last_rec->arrival_ms : sh->created_ms, &seq);
  char continuation[SL_SEQNUM_DECIMAL_SIZE];
  sl_seqnum_format(&seq, continuation);
  int64_t behind = s->next < end ? now_ms - sl_shard_log_get(sh->log, s->next)->arrival_ms : 0;
  json_t *body = json_pack("{s:o,s:s,s:I}", "Records", records, "ContinuationSequenceNumber", continuation,
                           "MillisBehindLatest", (json_int_t)(behind > 0 ? behind : 0));
  if (at_end) json_object_set_new(body, "ChildShards", sl__api_child_shards(stream, sh));
  ev->type = "SubscribeToShardEvent";
  ev->exception = 0;
  ev->last = at_end;
  s->ended = at_end;
  s->last_event_ms = now_ms;
  ev->json = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(13));
  json_decref(body);
  if (ev->json == NULL) return exception(s, ev, "InternalFailure", "out of memory");
  ev->len = strlen(ev->json);
  return 1;
}

int sl_api_subscription_poll(sl_api_t *api, sl_api_subscription_t *s, int64_t now_ms, sl_api_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  if (s->ended) return 0;
  api_stream_t *st = NULL;
  int rc = gone(api, s, now_ms, &st, ev);
  if (rc >= 0) return rc;
  if (now_ms - s->started_ms >= LIFETIME_MS) { /* the last event, then the stream of events ends */
    s->ended = 1;
    return 0;
  }
  return records_event(s, st->stream, now_ms, ev);
}

int sl_api_subscription_ended(const sl_api_subscription_t *s) { return s->ended; }

void sl_api_subscription_end(sl_api_t *api, sl_api_subscription_t *s) {
  for (size_t i = 0; i < api->sub_count; i++)
    if (api->subs[i] == s) {
      api->subs[i] = api->subs[--api->sub_count];
      break;
    }
  free(s);
}

void sl__api_subscriptions_free(sl_api_t *api) {
  for (size_t i = 0; i < api->sub_count; i++) free(api->subs[i]);
  free(api->subs);
  api->subs = NULL;
  api->sub_count = api->sub_cap = 0;
}
