/* test_cbor.c - the API in CBOR (runtime/api/api_cbor.c) on bytes written out by hand from RFC 8949 (its
 * appendix A's examples), not by libcbor: answers encode JSON's types as AWS's CBOR has them (Data as a byte
 * string, timestamps as tag 1 of integer epoch milliseconds, integers, doubles), requests decode definite and
 * indefinite items, tag-1 timestamps reach GetShardIterator as milliseconds, and every malformed body is a
 * SerializationException in CBOR. tests/cli/test_cbor.sh checks the same against cbor2 over HTTP. */
#define _GNU_SOURCE /* memmem */
#include "test_support.h"

#include <cbor.h>
#include <stdlib.h>

#include "shardlab/api.h"

static void answer_is(const char *json, const unsigned char *want, size_t want_len) {
  size_t len = 0;
  char *got = sl_api_answer_cbor(json, strlen(json), &len);
  assert_non_null(got);
  if (len != want_len || memcmp(got, want, len) != 0) {
    for (size_t i = 0; i < len; i++) fprintf(stderr, "%02x ", (unsigned char)got[i]);
    fail_msg("%s: %zu bytes, not the %zu expected (printed above)", json, len, want_len);
  }
  free(got);
}

static void answers_have_aws_types(void **state) {
  (void)state;
  static const unsigned char scalars[] = {0xa6, 0x61, 'a', 0x01, 0x61, 'b', 0x82, 0x20, 0x39, 0x03, 0xe7,
                                          0x61, 'c', 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x61, 'd', 0xf5,
                                          0x61, 'e', 0xf6, 0x61, 'f', 0x61, 'x'};
  answer_is("{\"a\":1,\"b\":[-1,-1000],\"c\":1.5,\"d\":true,\"e\":null,\"f\":\"x\"}", scalars, sizeof scalars);
  /* 1700000000.123 s = 1700000000123 ms = 0x18bcfe5687b; 1700000000 s = 0x18bcfe56800 ms */
  static const unsigned char records[] = {
      0xa2, 0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', 0x82, 0xa2, 0x64, 'D', 'a', 't', 'a', 0x43, 0x00, 0x01, 0xff,
      0x78, 27, 'A', 'p', 'p', 'r', 'o', 'x', 'i', 'm', 'a', 't', 'e', 'A', 'r', 'r', 'i', 'v', 'a', 'l', 'T',
      'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xc1, 0x1b, 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b,
      0xa1, 0x64, 'D', 'a', 't', 'a', 0x63, 'a', 'b', '=', /* no valid base64: kept as text */
      0x77, 'S', 't', 'r', 'e', 'a', 'm', 'C', 'r', 'e', 'a', 't', 'i', 'o', 'n', 'T', 'i', 'm', 'e', 's', 't', 'a',
      'm', 'p', 0xc1, 0x1b, 0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
  answer_is("{\"Records\":[{\"Data\":\"AAH/\",\"ApproximateArrivalTimestamp\":1700000000.123},{\"Data\":\"ab=\"}],"
            "\"StreamCreationTimestamp\":1700000000}",
            records, sizeof records);
  static const unsigned char empty_data[] = {0xa1, 0x64, 'D', 'a', 't', 'a', 0x40};
  answer_is("{\"Data\":\"\"}", empty_data, sizeof empty_data);
  size_t len;
  assert_null(sl_api_answer_cbor("{\"a\":", 5, &len));
}

static void content_types(void **state) {
  (void)state;
  static const char *yes[] = {"application/x-amz-cbor-1.1", "Application/X-Amz-CBOR-1.1",
                              " application/x-amz-cbor-1.1 ", "application/x-amz-cbor-1.1; charset=utf-8"};
  static const char *no[] = {"application/x-amz-json-1.1", "application/x-amz-cbor-1.10", "application/cbor", "",
                             "application/x-amz-cbor-1"};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) assert_true(sl_api_content_is_cbor(yes[i], strlen(yes[i])));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) assert_false(sl_api_content_is_cbor(no[i], strlen(no[i])));
}

/* --- requests --------------------------------------------------------------------------------------------- */

typedef struct req_s {
  unsigned char b[512];
  size_t n;
} req_t;

static void raw(req_t *r, const void *p, size_t n) {
  memcpy(r->b + r->n, p, n);
  r->n += n;
}
static void byte(req_t *r, unsigned char c) { raw(r, &c, 1); }
static void text(req_t *r, const char *s) { /* a head of one byte, or 0x78 and one, or 0x79 and two */
  size_t n = strlen(s);
  if (n < 24) byte(r, (unsigned char)(0x60 + n));
  else if (n < 256) byte(r, 0x78), byte(r, (unsigned char)n);
  else byte(r, 0x79), byte(r, (unsigned char)(n >> 8)), byte(r, (unsigned char)n);
  raw(r, s, n);
}
static void millis(req_t *r, int64_t ms) { /* tag 1, then an 8-byte unsigned integer */
  byte(r, 0xc1);
  byte(r, 0x1b);
  for (int i = 7; i >= 0; i--) byte(r, (unsigned char)((uint64_t)ms >> (8 * i)));
}

static cbor_item_t *call(sl_api_t *api, const char *op, const req_t *r, int64_t now, int status) {
  char target[96];
  snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
  sl_api_response_t out;
  sl_api_handle_cbor(api, target, strlen(target), (const char *)r->b, r->n, now, &out);
  struct cbor_load_result res;
  cbor_item_t *answer = cbor_load((const unsigned char *)out.body, out.len, &res);
  if (out.status != status || answer == NULL || !cbor_isa_map(answer))
    fail_msg("%s: status %d, not %d (%zu bytes)", op, out.status, status, out.len);
  free(out.body);
  return answer;
}

/* The text value of key in a decoded answer map, copied into buf. */
static const char *member(cbor_item_t *map, const char *key, char *buf, size_t size) {
  struct cbor_pair *pairs = cbor_map_handle(map);
  for (size_t i = 0; i < cbor_map_size(map); i++) {
    cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
    if (cbor_string_length(k) != strlen(key) || memcmp(cbor_string_handle(k), key, strlen(key)) != 0) continue;
    assert_true(cbor_isa_string(v) && cbor_string_length(v) < size);
    memcpy(buf, cbor_string_handle(v), cbor_string_length(v));
    buf[cbor_string_length(v)] = '\0';
    return buf;
  }
  fail_msg("no %s in the answer", key);
  return NULL;
}

static sl_api_t *new_api(void) {
  sl_api_config_t c;
  sl_api_config_init(&c);
  sl_api_t *api;
  assert_int_equal(sl_api_create(&c, &api, NULL), SL_OK);
  return api;
}

static void put(sl_api_t *api, const char *data, size_t len, int64_t now) {
  req_t r = {{0}, 0};
  byte(&r, 0xa3), text(&r, "StreamName"), text(&r, "s"), text(&r, "PartitionKey"), text(&r, "k");
  text(&r, "Data"), byte(&r, (unsigned char)(0x40 + len)), raw(&r, data, len);
  cbor_decref((cbor_item_t *[]){call(api, "PutRecord", &r, now, 200)});
}

/* The data of the records GetRecords returns from an AT_TIMESTAMP iterator at ms (given as tag 1). */
static size_t read_at(sl_api_t *api, int64_t ms, int64_t now, char *first, size_t size) {
  req_t r = {{0}, 0};
  byte(&r, 0xa4), text(&r, "StreamName"), text(&r, "s"), text(&r, "ShardId"), text(&r, "shardId-000000000000");
  text(&r, "ShardIteratorType"), text(&r, "AT_TIMESTAMP"), text(&r, "Timestamp"), millis(&r, ms);
  cbor_item_t *it = call(api, "GetShardIterator", &r, now, 200);
  char iterator[600];
  r.n = 0;
  byte(&r, 0xa1), text(&r, "ShardIterator"), text(&r, member(it, "ShardIterator", iterator, sizeof iterator));
  cbor_decref(&it);
  cbor_item_t *got = call(api, "GetRecords", &r, now, 200);
  cbor_item_t *records = cbor_map_handle(got)[0].value; /* Records comes first */
  size_t n = cbor_array_size(records);
  if (n > 0) {
    cbor_item_t *data = cbor_map_handle(cbor_array_handle(records)[0])[2].value; /* SequenceNumber, ..., Data */
    assert_true(cbor_isa_bytestring(data) && cbor_bytestring_length(data) < size);
    memcpy(first, cbor_bytestring_handle(data), cbor_bytestring_length(data));
    first[cbor_bytestring_length(data)] = '\0'; /* for assert_string_equal; binary data is compared by length */
  }
  cbor_decref(&got);
  return n;
}

static void requests_decode_and_timestamps_are_milliseconds(void **state) {
  (void)state;
  sl_api_t *api = new_api();
  req_t r = {{0}, 0}; /* {_ "StreamName": (_ "s"), "ShardCount": 1} in indefinite-length items */
  byte(&r, 0xbf), text(&r, "StreamName"), byte(&r, 0x7f), text(&r, "s"), byte(&r, 0xff), text(&r, "ShardCount");
  byte(&r, 0x01), byte(&r, 0xff);
  cbor_decref((cbor_item_t *[]){call(api, "CreateStream", &r, TEST_EPOCH_MS, 200)});
  put(api, "\xff\x00old", 5, TEST_EPOCH_MS + 1000);
  put(api, "new", 3, TEST_EPOCH_MS + 5000);
  char first[64];
  assert_int_equal(read_at(api, TEST_EPOCH_MS + 3000, TEST_EPOCH_MS + 6000, first, sizeof first), 1);
  assert_string_equal(first, "new");
  assert_int_equal(read_at(api, TEST_EPOCH_MS, TEST_EPOCH_MS + 6000, first, sizeof first), 2);
  assert_memory_equal(first, "\xff\x00old", 5);
  sl_api_destroy(api);
}

static void malformed_bodies_are_serialization_errors(void **state) {
  (void)state;
  sl_api_t *api = new_api();
  static const struct {
    const char *bytes;
    size_t len;
  } bad[] = {
      {"\xa1", 1},                                  /* ends inside the map */
      {"\xa1\x61" "a", 3},                          /* a key without its value */
      {"\x1c", 1},                                  /* a reserved additional information */
      {"\xa1\x01\x02", 3},                          /* a key that is no text */
      {"\x80", 1},                                  /* an array, not a map */
      {"\xa0\x00", 2},                              /* bytes after the map */
      {"\xa1\x61" "a\x62\xc3\x28", 6},              /* a text string that is no UTF-8 */
      {"\xa2\x61" "a\x01\x61" "a\x02", 7},          /* the same key twice */
      {"\xa1\x61" "a\x1b\xff\xff\xff\xff\xff\xff\xff\xff", 12}, /* 2^64-1 */
      {"\xa1\x61" "a\x3b\x80\x00\x00\x00\x00\x00\x00\x00", 12}, /* -2^63-1 */
      {"\xa1\x61" "a\xf9\x7e\x00", 6},              /* NaN */
      {"\xa1\x61" "a\xc1\x61" "x", 6},              /* tag 1 on a text string */
      {"\xa1\x61" "a\xc1\xa0", 5},                  /* tag 1 on a map */
      {"\xff", 1},                                  /* a break outside an indefinite item */
      {"\xbf\x61" "a\xff", 4},                      /* an indefinite map ends after a key */
      {"\xa1\x61" "a\x5f\x61" "x\xff", 7},          /* a text chunk in an indefinite byte string */
      {"\xa1\x61" "a\x7f\x7f\xff\xff", 7},          /* an indefinite string inside another */
      {"\xa1\x61" "a\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 12}, /* 2^64-1 items */
      {"\xa1\x61" "a\x5a\xff\xff\xff\xff", 8},      /* a byte string past the end */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    sl_api_response_t out;
    sl_api_handle_cbor(api, "Kinesis_20131202.ListStreams", 28, bad[i].bytes, bad[i].len, TEST_EPOCH_MS, &out);
    if (out.status != 400 || out.len < 2 || (unsigned char)out.body[0] != 0xa2 ||
        memmem(out.body, out.len, "\x76SerializationException", 23) == NULL)
      fail_msg("bad body %zu: status %d, %zu bytes", i, out.status, out.len);
    free(out.body);
  }
  /* 32 arrays deep is within the bound, 33 beyond it: {"a": [[[...]]]} */
  for (int depth = 31; depth <= 32; depth++) {
    req_t r = {{0}, 0};
    byte(&r, 0xa1), text(&r, "a");
    for (int i = 0; i < depth; i++) byte(&r, 0x81);
    byte(&r, 0x00);
    sl_api_response_t out;
    sl_api_handle_cbor(api, "Kinesis_20131202.ListStreams", 28, (const char *)r.b, r.n, TEST_EPOCH_MS, &out);
    int serialization = memmem(out.body, out.len, "SerializationException", 22) != NULL;
    assert_int_equal(serialization, depth == 32);
    free(out.body);
  }
  sl_api_response_t out; /* an empty body is an empty request, as in JSON */
  sl_api_handle_cbor(api, "Kinesis_20131202.ListStreams", 28, "", 0, TEST_EPOCH_MS, &out);
  assert_int_equal(out.status, 200);
  free(out.body);
  sl_api_destroy(api);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(answers_have_aws_types), cmocka_unit_test(content_types),
                                     cmocka_unit_test(requests_decode_and_timestamps_are_milliseconds),
                                     cmocka_unit_test(malformed_bodies_are_serialization_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
