/* test_api.c - the API without HTTP: PutRecords' fast path (api_put_fast.c) answers exactly as the general
 * path does (same sequence numbers, shards and errors) on random requests, and gives way to it whenever the
 * request is not in its shape; validation messages in AWS's form; iterators that were altered are refused;
 * retention trims served streams except what a mapping holds. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "test_support.h"

#include <jansson.h>
#include <stdlib.h>

#include "api/api_general.h"
#include "shardlab/base64.h"

static sl_api_t *new_api(int write_limits) {
  sl_api_config_t c;
  sl_api_config_init(&c);
  c.write_limits = write_limits;
  c.create_stream_ms = c.delete_stream_ms = c.update_stream_ms = 0; /* instant: the transitions have their test */
  sl_api_t *api;
  assert_int_equal(sl_api_create(&c, &api, NULL), SL_OK);
  return api;
}

static json_t *call(sl_api_t *api, const char *op, const char *body, int64_t now, int *status) {
  char target[96];
  snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
  sl_api_response_t out;
  sl_api_handle(api, target, strlen(target), body, strlen(body), now, &out);
  *status = out.status;
  json_t *j = json_loadb(out.body, out.len, 0, NULL);
  free(out.body);
  assert_non_null(j);
  return j;
}

/* The general path for the same request: the handler called on a parsed body, bypassing the fast path. */
static json_t *general(sl_api_t *api, const char *body, int64_t now, int *status) {
  static const char target[] = "Kinesis_20131202.PutRecords";
  sl_api_response_t out;
  sl__api_handle_general(api, target, sizeof target - 1, body, strlen(body), now, &out);
  *status = out.status;
  json_t *j = json_loadb(out.body, out.len, 0, NULL);
  free(out.body);
  return j;
}

static void fast_path_equals_general_path(void **state) {
  (void)state;
  uint64_t rng = 99;
  sl_api_t *fast = new_api(1), *slow = new_api(1); /* limits on: throttled entries must agree too */
  int status;
  json_decref(call(fast, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}", 0, &status));
  json_decref(call(slow, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}", 0, &status));
  json_int_t throttled = 0;
  for (int round = 0; round < 40; round++) {
    int n = 1 + (int)(test_rand(&rng) % 500);
    json_t *records = json_array();
    for (int i = 0; i < n; i++) {
      char key[40], data[64], enc[100], ehk[48];
      snprintf(key, sizeof key, "key-%llu", (unsigned long long)(test_rand(&rng) % 1000));
      size_t len = test_rand(&rng) % 40;
      for (size_t k = 0; k < len; k++) data[k] = (char)test_rand(&rng);
      sl_base64_encode(data, len, enc);
      json_t *e = json_pack("{s:s,s:s}", "PartitionKey", key, "Data", enc);
      if (test_rand(&rng) % 5 == 0) {
        snprintf(ehk, sizeof ehk, "%llu", (unsigned long long)test_rand(&rng));
        json_object_set_new(e, "ExplicitHashKey", json_string(ehk));
      }
      json_array_append_new(records, e);
    }
    json_t *req = json_pack("{s:s,s:o}", "StreamName", "s", "Records", records);
    char *body = json_dumps(req, round % 2 ? JSON_INDENT(1) : JSON_COMPACT); /* with and without whitespace */
    int64_t now = 1700000000000 + round; /* a millisecond apart: the write limits refuse many */
    int s1, s2;
    json_t *a = call(fast, "PutRecords", body, now, &s1), *b = general(slow, body, now, &s2);
    assert_int_equal(s1, 200);
    assert_int_equal(s2, 200);
    if (!json_equal(a, b)) fail_msg("round %d: the fast path and the general path differ", round);
    throttled += json_integer_value(json_object_get(a, "FailedRecordCount"));
    free(body);
    json_decref(req);
    json_decref(a);
    json_decref(b);
  }
  /* Some throttling happened (1,000 records/s per shard), so the error entries were compared too. */
  assert_true(throttled > 100);
  sl_api_destroy(fast);
  sl_api_destroy(slow);
}

static void unusual_requests_get_the_general_answer(void **state) {
  (void)state;
  sl_api_t *api = new_api(0);
  int status;
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"s\"}", 0, &status));
  struct { const char *body, *type; int status; } cases[] = {
      /* an escaped key: a valid request the fast path leaves to the general one */
      {"{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"a\\u0042\",\"Data\":\"eA==\"}]}", NULL, 200},
      {"{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"not base64!\"}]}", "SerializationException", 400},
      {"{\"StreamName\":\"nope\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"eA==\"}]}", "ResourceNotFoundException", 400},
      {"{\"StreamName\":\"s\",\"Records\":[]}", "ValidationException", 400},
      {"{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"\",\"Data\":\"eA==\"}]}", "ValidationException", 400},
      {"{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"eA==\",\"Extra\":1}]}", NULL, 200},
      {"[1,2]", "SerializationException", 400},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *j = call(api, "PutRecords", cases[i].body, 0, &status);
    if (status != cases[i].status) fail_msg("case %zu: status %d", i, status);
    if (cases[i].type && strcmp(json_string_value(json_object_get(j, "__type")), cases[i].type) != 0)
      fail_msg("case %zu: %s", i, json_string_value(json_object_get(j, "__type")));
    json_decref(j);
  }
  /* Nothing from the refused requests was put: only the two valid ones. */
  json_t *it = call(api, "GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\","
                                             "\"ShardIteratorType\":\"TRIM_HORIZON\"}", 0, &status);
  char body[600];
  snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\"}", json_string_value(json_object_get(it, "ShardIterator")));
  json_t *got = call(api, "GetRecords", body, 0, &status);
  assert_int_equal(json_array_size(json_object_get(got, "Records")), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(got, "Records"), 0),
                                                         "PartitionKey")), "aB");
  /* An altered iterator is refused. */
  char *tampered = strdup(json_string_value(json_object_get(it, "ShardIterator")));
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\"}", tampered);
  json_t *bad = call(api, "GetRecords", body, 0, &status);
  assert_int_equal(status, 400);
  assert_string_equal(json_string_value(json_object_get(bad, "message")), "Invalid ShardIterator.");
  /* Over a shard's write limit (1,000 records/s): AWS's exception and message for PutRecord. */
  sl_api_t *limited = new_api(1);
  json_decref(call(limited, "CreateStream", "{\"StreamName\":\"s\"}", 0, &status));
  json_t *refused = NULL;
  for (int i = 0; i < 1100 && refused == NULL; i++) {
    json_t *j = call(limited, "PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"eA==\"}", 5, &status);
    if (status != 200) refused = j; else json_decref(j);
  }
  assert_non_null(refused);
  assert_int_equal(status, 400);
  assert_string_equal(json_string_value(json_object_get(refused, "__type")), "ProvisionedThroughputExceededException");
  assert_string_equal(json_string_value(json_object_get(refused, "message")),
                      "Rate exceeded for shard shardId-000000000000 in stream s under account 123456789012.");
  json_decref(refused);
  sl_api_destroy(limited);
  /* AWS's validation form. */
  json_t *v = call(api, "DescribeStreamSummary", "{}", 0, &status);
  assert_string_equal(json_string_value(json_object_get(v, "message")),
                      "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member "
                      "must not be null");
  free(tampered);
  json_decref(v);
  json_decref(bad);
  json_decref(got);
  json_decref(it);
  sl_api_destroy(api);
}

/* Records of a served stream from TRIM_HORIZON, as a client reads them. */
static size_t records_from_trim_horizon(sl_api_t *api, int64_t now) {
  int status;
  json_t *it = call(api, "GetShardIterator",
                    "{\"StreamName\":\"r\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
                    now, &status);
  assert_int_equal(status, 200);
  char body[1024];
  snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\"}", json_string_value(json_object_get(it, "ShardIterator")));
  json_t *got = call(api, "GetRecords", body, now, &status);
  assert_int_equal(status, 200);
  size_t n = json_array_size(json_object_get(got, "Records"));
  json_decref(got);
  json_decref(it);
  return n;
}

/* A PutRecords body of 5 entries with key "k" and `bytes` zero bytes of data each (base64 "AAAA" for three). */
static char *five_records(size_t bytes) {
  size_t quads = bytes / 3, rest = bytes % 3, n = 0, cap = 5 * (quads * 4 + 64) + 64;
  char *body = malloc(cap);
  assert_non_null(body);
  n += (size_t)sprintf(body, "{\"StreamName\":\"r\",\"Records\":[");
  for (int i = 0; i < 5; i++) {
    n += (size_t)sprintf(body + n, "%s{\"PartitionKey\":\"k\",\"Data\":\"", i ? "," : "");
    for (size_t q = 0; q < quads; q++) memcpy(body + n + 4 * q, "AAAA", 4);
    n += 4 * quads;
    n += (size_t)sprintf(body + n, "%s\"}", rest == 1 ? "AA==" : rest == 2 ? "AAA=" : "");
  }
  sprintf(body + n, "]}");
  return body;
}

/* API PutRecords: "up to a limit of 5 MiB for the entire request, including partition keys". 5 records of
 * 1 MiB - 1 byte and a 1-byte key make exactly 5 MiB, accepted; 1 byte more each is refused as AWS refuses it
 * (InvalidArgumentException "Records size exceeds 5 MB limit", as clients report it) and nothing is stored. */
static void put_records_holds_5_mib(void **state) {
  (void)state;
  sl_api_t *api = new_api(0);
  int status;
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}", 0, &status));
  assert_int_equal(status, 200);
  char *over = five_records((size_t)1 << 20), *exact = five_records(((size_t)1 << 20) - 1);
  json_t *j = call(api, "PutRecords", over, 0, &status);
  assert_int_equal(status, 400);
  assert_string_equal(json_string_value(json_object_get(j, "__type")), "InvalidArgumentException");
  assert_string_equal(json_string_value(json_object_get(j, "message")), "Records size exceeds 5 MB limit");
  json_decref(j);
  assert_int_equal(records_from_trim_horizon(api, 0), 0);
  j = call(api, "PutRecords", exact, 0, &status);
  assert_int_equal(status, 200);
  assert_int_equal(json_integer_value(json_object_get(j, "FailedRecordCount")), 0);
  json_decref(j);
  assert_int_equal(records_from_trim_horizon(api, 0), 5);
  free(over);
  free(exact);
  sl_api_destroy(api);
}


static uint64_t hold_first(void *ctx, uint32_t shard) {
  (void)shard;
  return *(uint64_t *)ctx;
}

/* Retention in serve: records older than the stream's 24 h are trimmed when the server's timer calls
 * sl_api_trim, and GetRecords no longer returns them; a hold (a mapping's) keeps what it still uses. */
static void retention_trims_served_streams(void **state) {
  (void)state;
  const int64_t t0 = INT64_C(1700000000000), hour = INT64_C(3600000);
  sl_api_t *api = new_api(0);
  int status;
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}", t0, &status));
  assert_int_equal(status, 200);
  const char *put = "{\"StreamName\":\"r\",\"PartitionKey\":\"k\",\"Data\":\"ZA==\"}";
  for (int i = 0; i < 3; i++) json_decref(call(api, "PutRecord", put, t0, &status));          /* counters 0-2 */
  for (int i = 0; i < 2; i++) json_decref(call(api, "PutRecord", put, t0 + 2 * hour, &status)); /* 3-4 */
  uint64_t trimmed;
  assert_int_equal(sl_api_trim(api, t0 + 24 * hour, &trimmed, NULL), SL_OK); /* exactly at the limit: kept */
  assert_int_equal(trimmed, 0);
  assert_int_equal(records_from_trim_horizon(api, t0 + 24 * hour), 5);
  /* A hold at counter 1 (a mapping still uses records 1 and up) keeps them past their retention. */
  uint64_t held = 1;
  sl_stream_hold_t hold = {hold_first, &held};
  sl_stream_t *stream = sl_api_find_stream(api, "r");
  assert_int_equal(sl_stream_add_hold(stream, &hold, NULL), SL_OK);
  assert_int_equal(sl_api_trim(api, t0 + 25 * hour, &trimmed, NULL), SL_OK);
  assert_int_equal(trimmed, 1);
  assert_int_equal(records_from_trim_horizon(api, t0 + 25 * hour), 4);
  sl_stream_remove_hold(stream, &hold);
  assert_int_equal(sl_api_trim(api, t0 + 25 * hour, &trimmed, NULL), SL_OK);
  assert_int_equal(trimmed, 2); /* the rest of the first hour's records */
  assert_int_equal(records_from_trim_horizon(api, t0 + 25 * hour), 2);
  assert_int_equal(sl_api_trim(api, t0 + 27 * hour, &trimmed, NULL), SL_OK);
  assert_int_equal(trimmed, 2);
  assert_int_equal(records_from_trim_horizon(api, t0 + 27 * hour), 0);
  assert_int_equal(sl_stream_shard(stream, 0)->stats.records_trimmed, 5);
  sl_api_destroy(api);
}

/* GetRecords under the per-shard read limits (KDG quotas: 5 calls a second a shard): the sixth call in one
 * instant is refused with ProvisionedThroughputExceededException, and a fifth of a second later one more is
 * allowed. */
static void get_records_obeys_the_read_limits(void **state) {
  (void)state;
  const int64_t t0 = INT64_C(1700000000000);
  sl_api_t *api = new_api(0);
  int status;
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}", t0, &status));
  json_t *it = call(api, "GetShardIterator",
                    "{\"StreamName\":\"r\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
                    t0 + 1000, &status);
  char body[1024];
  snprintf(body, sizeof body, "{\"ShardIterator\":\"%s\"}", json_string_value(json_object_get(it, "ShardIterator")));
  for (int i = 0; i < 5; i++) { /* the bucket holds one second: 5 calls */
    json_decref(call(api, "GetRecords", body, t0 + 1000, &status));
    assert_int_equal(status, 200);
  }
  json_t *refused = call(api, "GetRecords", body, t0 + 1000, &status);
  assert_int_equal(status, 400);
  assert_string_equal(json_string_value(json_object_get(refused, "__type")), "ProvisionedThroughputExceededException");
  assert_string_equal(json_string_value(json_object_get(refused, "message")),
                      "Rate exceeded for Shard - 123456789012/r/shardId-000000000000");
  json_decref(call(api, "GetRecords", body, t0 + 1199, &status));
  assert_int_equal(status, 400); /* 199 ms: not yet a whole call back */
  json_decref(call(api, "GetRecords", body, t0 + 1200, &status));
  assert_int_equal(status, 200);
  assert_int_equal(sl_stream_shard(sl_api_find_stream(api, "r"), 0)->stats.read_throttles, 2);
  json_decref(refused);
  json_decref(it);
  sl_api_destroy(api);
}

/* Status from times alone: the same calls at other times of the request's clock see CREATING, UPDATING,
 * DELETING and then nothing; the fast path of PutRecords refuses a CREATING stream as the general one does. */
static void status_follows_the_request_clock(void **state) {
  (void)state;
  sl_api_config_t c;
  sl_api_config_init(&c); /* 500 ms each, kinesalite's */
  sl_api_t *api;
  assert_int_equal(sl_api_create(&c, &api, NULL), SL_OK);
  int status;
  const int64_t t = TEST_EPOCH_MS;
  const char *summary = "{\"StreamName\":\"s\"}", *put = "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"eA==\","
                                                            "\"PartitionKey\":\"k\"}]}";
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}", t, &status));
  struct { int64_t at; const char *status; } seen[] = {{t, "CREATING"}, {t + 499, "CREATING"}, {t + 500, "ACTIVE"}};
  for (size_t i = 0; i < 3; i++) {
    json_t *j = call(api, "DescribeStreamSummary", summary, seen[i].at, &status);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "StreamDescriptionSummary"),
                                                          "StreamStatus")), seen[i].status);
    json_decref(j);
  }
  json_t *j = call(api, "PutRecords", put, t + 1, &status);
  assert_int_equal(status, 400);
  assert_string_equal(json_string_value(json_object_get(j, "__type")), "ResourceNotFoundException");
  json_decref(j);
  json_decref(call(api, "UpdateShardCount", "{\"StreamName\":\"s\",\"TargetShardCount\":4,\"ScalingType\":"
                   "\"UNIFORM_SCALING\"}", t + 600, &status));
  assert_int_equal(status, 200);
  j = call(api, "MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-000000000002\","
           "\"AdjacentShardToMerge\":\"shardId-000000000003\"}", t + 1099, &status);
  assert_string_equal(json_string_value(json_object_get(j, "__type")), "ResourceInUseException");
  json_decref(j);
  json_decref(call(api, "PutRecords", put, t + 1099, &status));
  assert_int_equal(status, 200); /* UPDATING takes records */
  json_decref(call(api, "DeleteStream", summary, t + 2000, &status));
  json_decref(call(api, "DescribeStreamSummary", summary, t + 2499, &status));
  assert_int_equal(status, 200);
  j = call(api, "DescribeStreamSummary", summary, t + 2500, &status);
  assert_string_equal(json_string_value(json_object_get(j, "__type")), "ResourceNotFoundException");
  json_decref(j);
  sl_api_destroy(api);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(fast_path_equals_general_path),
                                     cmocka_unit_test(get_records_obeys_the_read_limits),
                                     cmocka_unit_test(unusual_requests_get_the_general_answer),
                                     cmocka_unit_test(retention_trims_served_streams),
                                     cmocka_unit_test(put_records_holds_5_mib),
                                     cmocka_unit_test(status_follows_the_request_clock)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
