/* test_subscribe.c - SubscribeToShard's subscriptions without HTTP (api_subscribe.c): an ACTIVE consumer gets
 * events with the records put since the last (data, keys and sequence numbers equal to what PutRecord
 * answered), ContinuationSequenceNumber that resumes after the last record, MillisBehindLatest; the starting
 * positions; ChildShards at the end of a split shard, and then nothing; 2 MiB per second at most; an empty
 * event after 5 s of silence; the end after 5 minutes; a second subscription within 5 s refused, a later one
 * taking over; a CREATING or deregistered consumer refused or ended. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <jansson.h>
#include <stdlib.h>

#include "shardlab/api.h"
#include "shardlab/base64.h"

static json_t *call(sl_api_t *api, const char *op, const char *body, int64_t now, int *status) {
  char target[96];
  snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
  sl_api_response_t out;
  sl_api_handle(api, target, strlen(target), body, strlen(body), now, &out);
  if (status) *status = out.status;
  json_t *j = out.body ? json_loadb(out.body, out.len, 0, NULL) : json_object();
  free(out.body);
  assert_non_null(j);
  return j;
}

typedef struct fixture_s {
  sl_api_t *api;
  char consumer[800];
  int64_t now;
} fixture_t;

/* A served stream "s" of `shards` shards, and consumer "c" registered and ACTIVE. */
static void setup_stream(fixture_t *f, int shards) {
  sl_api_config_t c;
  sl_api_config_init(&c);
  c.write_limits = 0;
  assert_int_equal(sl_api_create(&c, &f->api, NULL), SL_OK);
  f->now = 1700000000000;
  char body[100];
  snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"ShardCount\":%d}", shards);
  json_decref(call(f->api, "CreateStream", body, f->now, NULL));
  f->now += c.create_stream_ms; /* ACTIVE now */
  json_t *d = call(f->api, "DescribeStreamSummary", "{\"StreamName\":\"s\"}", f->now, NULL);
  const char *arn = json_string_value(json_object_get(json_object_get(d, "StreamDescriptionSummary"), "StreamARN"));
  snprintf(body, sizeof body, "{\"StreamARN\":\"%s\",\"ConsumerName\":\"c\"}", arn);
  json_decref(d);
  json_t *reg = call(f->api, "RegisterStreamConsumer", body, f->now, NULL);
  snprintf(f->consumer, sizeof f->consumer, "%s",
           json_string_value(json_object_get(json_object_get(reg, "Consumer"), "ConsumerARN")));
  json_decref(reg);
  f->now += c.create_stream_ms; /* the consumer too */
}

/* Puts data under key; returns its sequence number (malloc'd). */
static char *put(fixture_t *f, const char *key, const char *data) {
  char enc[400], body[600];
  sl_base64_encode(data, strlen(data), enc);
  snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"PartitionKey\":\"%s\",\"Data\":\"%s\"}", key, enc);
  int status;
  json_t *j = call(f->api, "PutRecord", body, f->now, &status);
  assert_int_equal(status, 200);
  char *seq = strdup(json_string_value(json_object_get(j, "SequenceNumber")));
  json_decref(j);
  return seq;
}

static sl_api_subscription_t *subscribe(fixture_t *f, const char *shard, const char *position, int *status) {
  char body[1400];
  snprintf(body, sizeof body, "{\"ConsumerARN\":\"%s\",\"ShardId\":\"%s\",\"StartingPosition\":%s}", f->consumer, shard,
           position);
  sl_api_response_t refusal;
  sl_api_subscription_t *s = sl_api_subscribe(f->api, body, strlen(body), f->now, &refusal);
  *status = s ? 200 : refusal.status;
  free(refusal.body);
  return s;
}

/* The next event's JSON (NULL when none is due); *last set from the event. */
static json_t *next_event(fixture_t *f, sl_api_subscription_t *s, int *last, const char **type) {
  sl_api_event_t ev;
  if (!sl_api_subscription_poll(f->api, s, f->now, &ev)) return NULL;
  json_t *j = json_loadb(ev.json, ev.len, 0, NULL);
  free(ev.json);
  assert_non_null(j);
  if (last) *last = ev.last;
  if (type) *type = ev.type;
  return j;
}

static void records_as_put(void **state) {
  (void)state;
  fixture_t f;
  setup_stream(&f, 1);
  int status, last;
  sl_api_subscription_t *s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}", &status);
  assert_non_null(s);
  assert_null(next_event(&f, s, NULL, NULL)); /* nothing yet */
  char *a = put(&f, "k1", "first"), *b = put(&f, "k2", "second");
  f.now += 10;
  json_t *e = next_event(&f, s, &last, NULL);
  assert_non_null(e);
  json_t *recs = json_object_get(e, "Records");
  assert_int_equal(json_array_size(recs), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(recs, 0), "SequenceNumber")), a);
  assert_string_equal(json_string_value(json_object_get(json_array_get(recs, 1), "PartitionKey")), "k2");
  assert_string_equal(json_string_value(json_object_get(json_array_get(recs, 1), "Data")), "c2Vjb25k"); /* "second" */
  assert_string_equal(json_string_value(json_object_get(e, "ContinuationSequenceNumber")), b);
  assert_int_equal(json_integer_value(json_object_get(e, "MillisBehindLatest")), 0);
  assert_false(last);
  json_decref(e);
  assert_null(next_event(&f, s, NULL, NULL)); /* all sent */
  f.now += 5000; /* silence: an empty event, continuing where it was */
  e = next_event(&f, s, &last, NULL);
  assert_int_equal(json_array_size(json_object_get(e, "Records")), 0);
  assert_string_equal(json_string_value(json_object_get(e, "ContinuationSequenceNumber")), b);
  json_decref(e);
  sl_api_subscription_end(f.api, s);
  /* Resuming after the continuation gives what came next; AT_SEQUENCE_NUMBER, LATEST as GetShardIterator. */
  f.now += 5000;
  char pos[300];
  snprintf(pos, sizeof pos, "{\"Type\":\"AFTER_SEQUENCE_NUMBER\",\"SequenceNumber\":\"%s\"}", a);
  s = subscribe(&f, "shardId-000000000000", pos, &status);
  e = next_event(&f, s, NULL, NULL);
  assert_int_equal(json_array_size(json_object_get(e, "Records")), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(e, "Records"), 0),
                                                        "SequenceNumber")), b);
  json_decref(e);
  sl_api_subscription_end(f.api, s);
  f.now += 5000;
  s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status);
  assert_null(next_event(&f, s, NULL, NULL));
  sl_api_subscription_end(f.api, s);
  free(a);
  free(b);
  sl_api_destroy(f.api);
}

static void child_shards_end_it(void **state) {
  (void)state;
  fixture_t f;
  setup_stream(&f, 1);
  int status, last;
  free(put(&f, "k", "before"));
  sl_api_subscription_t *s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}", &status);
  json_decref(call(f.api, "SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\","
                   "\"NewStartingHashKey\":\"170141183460469231731687303715884105728\"}", f.now, &status));
  assert_int_equal(status, 200);
  f.now += 10;
  json_t *e = next_event(&f, s, &last, NULL);
  assert_int_equal(json_array_size(json_object_get(e, "Records")), 1);
  json_t *children = json_object_get(e, "ChildShards");
  assert_int_equal(json_array_size(children), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(children, 0), "ShardId")), "shardId-000000000001");
  assert_true(last);
  assert_true(sl_api_subscription_ended(s));
  json_decref(e);
  assert_null(next_event(&f, s, NULL, NULL));
  sl_api_subscription_end(f.api, s);
  sl_api_destroy(f.api);
}

static void two_mib_a_second(void **state) {
  (void)state;
  fixture_t f;
  setup_stream(&f, 1);
  int status;
  static char big[300001];
  memset(big, 'x', sizeof big - 1);
  for (int i = 0; i < 10; i++) { /* 10 records of ~300 KB (before base64: 220 KB each) */
    char body[sizeof big + 200];
    snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"%s\"}", big);
    json_decref(call(f.api, "PutRecord", body, f.now, &status));
    assert_int_equal(status, 200);
  }
  sl_api_subscription_t *s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}", &status);
  json_t *e = next_event(&f, s, NULL, NULL);
  size_t first = json_array_size(json_object_get(e, "Records"));
  json_decref(e);
  assert_int_equal(first, 9); /* 2 MiB (2,097,152 bytes) holds nine records of 225,001 bytes, not ten */
  assert_null(next_event(&f, s, NULL, NULL)); /* the budget is spent until time passes */
  f.now += 1000;
  e = next_event(&f, s, NULL, NULL);
  assert_int_equal(json_array_size(json_object_get(e, "Records")), 1);
  json_decref(e);
  sl_api_subscription_end(f.api, s);
  sl_api_destroy(f.api);
}

static void lifetime_and_takeover(void **state) {
  (void)state;
  fixture_t f;
  setup_stream(&f, 1);
  int status, last;
  const char *type;
  sl_api_subscription_t *s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status);
  f.now += 4000;
  assert_null(subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status));
  assert_int_equal(status, 400);
  f.now += 1000;
  sl_api_subscription_t *t = subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status);
  assert_non_null(t);
  json_t *e = next_event(&f, s, &last, &type); /* the first ends with ResourceInUseException */
  assert_string_equal(type, "ResourceInUseException");
  assert_true(last);
  json_decref(e);
  sl_api_subscription_end(f.api, s);
  f.now += 5 * 60 * 1000;
  assert_null(next_event(&f, t, NULL, NULL));
  assert_true(sl_api_subscription_ended(t)); /* 5 minutes */
  sl_api_subscription_end(f.api, t);
  sl_api_destroy(f.api);
}

static void consumer_states(void **state) {
  (void)state;
  fixture_t f;
  setup_stream(&f, 1);
  int status, last;
  const char *type;
  sl_api_subscription_t *s = subscribe(&f, "shardId-000000000009", "{\"Type\":\"LATEST\"}", &status);
  assert_null(s);
  assert_int_equal(status, 400);
  s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"SOMEWHERE\"}", &status);
  assert_null(s);
  s = subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status);
  char body[900];
  snprintf(body, sizeof body, "{\"ConsumerARN\":\"%s\"}", f.consumer);
  json_decref(call(f.api, "DeregisterStreamConsumer", body, f.now, &status));
  json_t *e = next_event(&f, s, &last, &type);
  assert_string_equal(type, "ResourceNotFoundException");
  assert_true(last);
  json_decref(e);
  sl_api_subscription_end(f.api, s);
  /* A consumer still CREATING cannot subscribe. */
  json_t *d = call(f.api, "DescribeStreamSummary", "{\"StreamName\":\"s\"}", f.now, NULL);
  snprintf(body, sizeof body, "{\"StreamARN\":\"%s\",\"ConsumerName\":\"d\"}",
           json_string_value(json_object_get(json_object_get(d, "StreamDescriptionSummary"), "StreamARN")));
  json_decref(d);
  json_t *reg = call(f.api, "RegisterStreamConsumer", body, f.now, NULL);
  snprintf(f.consumer, sizeof f.consumer, "%s",
           json_string_value(json_object_get(json_object_get(reg, "Consumer"), "ConsumerARN")));
  json_decref(reg);
  assert_null(subscribe(&f, "shardId-000000000000", "{\"Type\":\"LATEST\"}", &status));
  sl_api_destroy(f.api); /* frees what is left */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(records_as_put), cmocka_unit_test(child_shards_end_it),
                                     cmocka_unit_test(two_mib_a_second), cmocka_unit_test(lifetime_and_takeover),
                                     cmocka_unit_test(consumer_states)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
