/* test_kpl.c - the KPL aggregated record (shardlab/kpl.h): round trips of random records, the running size
 * against the bytes packed, AggregationMaxSize and AggregationMaxCount, the explicit hash key the KPL gives an
 * aggregate, a known vector made by aws-kinesis-agg (tests/data/kpl/, from tests/interop/make_fixture.js), bad
 * aggregates refused, records without the magic passed through. */
#include "test_support.h"

#include <jansson.h>
#include <stdlib.h>

#include "shardlab/base64.h"
#include "shardlab/hashkey.h"
#include "shardlab/kpl.h"

#define FIXTURE SHARDLAB_TEST_DATA_DIR "/kpl/node_aggregate"

static sl_kpl_record_t rec(const char *pk, const char *ehk, const void *data, size_t len) {
  return (sl_kpl_record_t){.partition_key = pk, .partition_key_len = strlen(pk), .explicit_hash_key = ehk,
                           .explicit_hash_key_len = ehk ? strlen(ehk) : 0, .data = data, .data_len = len};
}

static sl_kpl_builder_t *builder(size_t max_size, uint64_t max_count, int single_as_is) {
  sl_kpl_options_t o = {max_size, max_count, single_as_is};
  sl_kpl_builder_t *b = NULL;
  sl_error_t err;
  if (sl_kpl_builder_new(&o, &b, &err) != SL_OK) fail_msg("sl_kpl_builder_new: %s", err.message);
  return b;
}

static void add_ok(sl_kpl_builder_t *b, const sl_kpl_record_t *r) {
  sl_error_t err;
  size_t predicted = sl_kpl_builder_size_with(b, r);
  if (sl_kpl_builder_add(b, r, &err) != SL_OK) fail_msg("sl_kpl_builder_add: %s", err.message);
  assert_int_equal(sl_kpl_builder_size(b), predicted);
}

static void finish_ok(sl_kpl_builder_t *b, sl_kpl_aggregate_t *a) {
  sl_error_t err;
  size_t size = sl_kpl_builder_size(b);
  if (sl_kpl_builder_finish(b, a, &err) != SL_OK) fail_msg("sl_kpl_builder_finish: %s", err.message);
  if (a->aggregated) assert_int_equal(a->len, size); /* the running size is protobuf-c's, to the byte */
  assert_int_equal(sl_kpl_builder_count(b), 0);
}

static void decode_ok(const sl_kpl_aggregate_t *a, sl_kpl_records_t *out) {
  sl_kpl_record_t in = rec(a->partition_key, a->explicit_hash_key, a->data, a->len);
  sl_error_t err;
  if (sl_kpl_decode(&in, out, &err) != SL_OK) fail_msg("sl_kpl_decode: %s", err.message);
}

static void assert_record(const sl_kpl_record_t *got, const sl_kpl_record_t *want, uint64_t sub) {
  assert_int_equal(got->partition_key_len, want->partition_key_len);
  assert_memory_equal(got->partition_key, want->partition_key, want->partition_key_len);
  if (want->explicit_hash_key == NULL) {
    assert_null(got->explicit_hash_key);
  } else {
    assert_non_null(got->explicit_hash_key);
    assert_int_equal(got->explicit_hash_key_len, want->explicit_hash_key_len);
    assert_memory_equal(got->explicit_hash_key, want->explicit_hash_key, want->explicit_hash_key_len);
  }
  assert_int_equal(got->data_len, want->data_len);
  if (want->data_len > 0) assert_memory_equal(got->data, want->data, want->data_len);
  assert_int_equal(got->sub_sequence_number, sub);
}

/* Random records (keys from a small set, so the tables dedupe; explicit hash keys on some), packed and
 * decoded back in order; the aggregate's header is the magic. */
static void round_trip(void **state) {
  (void)state;
  uint64_t seed = 16;
  char keys[20][16], ehks[5][SL_HASHKEY_DECIMAL_SIZE];
  unsigned char data[300][64];
  sl_kpl_record_t in[300];
  for (int i = 0; i < 20; i++) snprintf(keys[i], sizeof keys[i], "key-%d", i);
  for (int i = 0; i < 5; i++) sl_hashkey_format(test_rand_hashkey(&seed), ehks[i]);
  sl_kpl_builder_t *b = builder(0, 0, 0);
  for (int i = 0; i < 300; i++) {
    size_t len = test_rand(&seed) % 64;
    for (size_t j = 0; j < len; j++) data[i][j] = (unsigned char)test_rand(&seed);
    const char *ehk = test_rand(&seed) % 3 == 0 ? ehks[test_rand(&seed) % 5] : NULL;
    in[i] = rec(keys[test_rand(&seed) % 20], ehk, data[i], len);
    assert_true(sl_kpl_builder_fits(b, &in[i]));
    add_ok(b, &in[i]);
  }
  sl_kpl_aggregate_t a;
  finish_ok(b, &a);
  assert_int_equal(a.count, 300);
  assert_true(a.aggregated);
  assert_true(sl_kpl_has_magic(a.data, a.len));
  assert_memory_equal(a.data, "\xF3\x89\x9A\xC2", 4);
  sl_kpl_records_t out;
  decode_ok(&a, &out);
  assert_true(out.aggregated);
  assert_int_equal(out.count, 300);
  for (int i = 0; i < 300; i++) assert_record(&out.records[i], &in[i], (uint64_t)i);
  sl_kpl_records_free(&out);
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
}

/* The aggregate's partition key is its first record's; its explicit hash key the first record's hash key in
 * decimal: the explicit one when given, else MD5 of the partition key (computed here by OpenSSL's MD5 read as
 * a big-endian integer, independently of sl_hashkey_of). */
static void routes_as_the_kpl(void **state) {
  (void)state;
  sl_kpl_builder_t *b = builder(0, 0, 0);
  sl_kpl_record_t r1 = rec("first", NULL, "x", 1), r2 = rec("second", "12345", "y", 1);
  add_ok(b, &r1);
  add_ok(b, &r2);
  sl_kpl_aggregate_t a;
  finish_ok(b, &a);
  assert_string_equal(a.partition_key, "first");
  unsigned char d[16];
  sl_md5("first", 5, d);
  sl_hashkey_t v = 0;
  for (int i = 0; i < 16; i++) v = v * 256 + d[i];
  char want[SL_HASHKEY_DECIMAL_SIZE];
  sl_hashkey_format(v, want);
  assert_string_equal(a.explicit_hash_key, want);
  assert_int_equal(a.explicit_hash_key_len, strlen(want));
  sl_kpl_aggregate_free(&a);
  add_ok(b, &r2);
  add_ok(b, &r1);
  finish_ok(b, &a);
  assert_string_equal(a.partition_key, "second");
  assert_string_equal(a.explicit_hash_key, "12345");
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
}

/* Adds records of `len` bytes under distinct keys until one does not fit; returns how many went in. */
static size_t fill(sl_kpl_builder_t *b, size_t len, sl_kpl_record_t *next) {
  static unsigned char data[4096];
  static char keys[2][32];
  for (size_t i = 0;; i++) {
    snprintf(keys[i % 2], sizeof keys[i % 2], "k%zu", i);
    *next = rec(keys[i % 2], NULL, data, len);
    if (!sl_kpl_builder_fits(b, next)) return i;
    add_ok(b, next);
  }
}

/* AggregationMaxSize (default 51200 bytes, the whole record) and AggregationMaxCount: the builder takes records
 * while the aggregate stays within them, refuses the next one with SL_ELIMIT, and finish gives exactly the
 * bytes counted. */
static void size_and_count_limits(void **state) {
  (void)state;
  size_t sizes[] = {0, 64, 200, 1000};
  for (size_t s = 0; s < 4; s++) {
    size_t max = sizes[s] ? sizes[s] : SL_KPL_DEFAULT_MAX_SIZE;
    sl_kpl_builder_t *b = builder(sizes[s], 0, 0);
    sl_kpl_record_t next;
    size_t n = fill(b, 10, &next);
    assert_true(n >= 1);
    assert_true(sl_kpl_builder_size(b) <= max);
    assert_true(sl_kpl_builder_size_with(b, &next) > max);
    sl_error_t err;
    assert_int_equal(sl_kpl_builder_add(b, &next, &err), SL_ELIMIT);
    assert_int_equal(sl_kpl_builder_count(b), n);
    sl_kpl_aggregate_t a;
    finish_ok(b, &a);
    assert_true(a.len <= max);
    assert_int_equal(a.count, n);
    sl_kpl_aggregate_free(&a);
    sl_kpl_builder_free(b);
  }
  /* AggregationMaxCount 3: a fourth record does not fit, however small. */
  sl_kpl_builder_t *b = builder(0, 3, 0);
  sl_kpl_record_t next;
  assert_int_equal(fill(b, 1, &next), 3);
  sl_kpl_builder_free(b);
}

/* A record over max_size by itself still goes into an empty builder (the KPL sends it alone); single_as_is
 * sends a lone record as itself, with its key and the hash key it routes by. */
static void oversize_and_single(void **state) {
  (void)state;
  static unsigned char big[500];
  sl_kpl_builder_t *b = builder(64, 0, 1);
  sl_kpl_record_t r = rec("alone", NULL, big, sizeof big);
  assert_true(sl_kpl_builder_fits(b, &r));
  add_ok(b, &r);
  assert_false(sl_kpl_builder_fits(b, &r));
  sl_kpl_aggregate_t a;
  finish_ok(b, &a);
  assert_false(a.aggregated);
  assert_int_equal(a.len, sizeof big);
  assert_memory_equal(a.data, big, sizeof big);
  assert_string_equal(a.partition_key, "alone");
  char want[SL_HASHKEY_DECIMAL_SIZE];
  sl_hashkey_format(sl_hashkey_of("alone", 5), want);
  assert_string_equal(a.explicit_hash_key, want);
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
  b = builder(0, 0, 0); /* without single_as_is, one record is still an aggregate */
  add_ok(b, &r);
  finish_ok(b, &a);
  assert_true(a.aggregated);
  assert_int_equal(a.len, sl_kpl_builder_size_with(b, &r));
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
}

static void bad_input(void **state) {
  (void)state;
  sl_error_t err;
  sl_kpl_builder_t *b = NULL;
  sl_kpl_options_t o = {63, 0, 0};
  assert_int_equal(sl_kpl_builder_new(&o, &b, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "64 to 10485760"));
  o.max_size = SL_KPL_MAX_MAX_SIZE + 1;
  assert_int_equal(sl_kpl_builder_new(&o, &b, &err), SL_EINVAL);
  b = builder(0, 0, 0);
  sl_kpl_aggregate_t a;
  assert_int_equal(sl_kpl_builder_finish(b, &a, &err), SL_EINVAL);
  char long_key[300];
  memset(long_key, 'k', sizeof long_key - 1);
  long_key[sizeof long_key - 1] = '\0';
  sl_kpl_record_t bad[] = {rec("", NULL, "d", 1), rec("k", "01", "d", 1), rec("k", "x", "d", 1),
                           rec("\xff", NULL, "d", 1), rec(long_key, NULL, "d", 1),
                           rec("k", "340282366920938463463374607431768211456", "d", 1)};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(sl_kpl_builder_add(b, &bad[i], &err), SL_EINVAL);
    assert_int_equal(sl_kpl_builder_count(b), 0);
  }
  sl_kpl_record_t nul = rec("k", NULL, "d", 1);
  nul.partition_key = "a\0b";
  nul.partition_key_len = 3;
  assert_int_equal(sl_kpl_builder_add(b, &nul, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "NUL"));
  sl_kpl_builder_free(b);
}

/* Reads the whole file at path; fails the test when it cannot. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail_msg("cannot open %s", path);
  unsigned char *buf = malloc(1 << 16);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

static char *b64_decode(const char *text, size_t *len) {
  char *out = malloc(strlen(text) / 4 * 3 + 1);
  if (sl_base64_decode(text, strlen(text), "data", (unsigned char *)out, len, NULL) != SL_OK) fail_msg("base64");
  return out;
}

/* aws-kinesis-agg's bytes decode to the records it was given, in order, and our builder given the same records
 * makes the same bytes (both store keys in first-seen order and write fields in number order). */
static void node_vector(void **state) {
  (void)state;
  size_t len;
  unsigned char *bin = read_file(FIXTURE ".bin", &len);
  json_error_t jerr;
  json_t *doc = json_load_file(FIXTURE ".json", 0, &jerr);
  if (doc == NULL) fail_msg("%s: %s", FIXTURE ".json", jerr.text);
  json_t *records = json_object_get(doc, "records");
  size_t n = json_array_size(records);
  assert_int_equal(n, 6);
  sl_kpl_record_t in = rec("device-1", NULL, bin, len), want[6];
  char *data[6];
  sl_kpl_records_t out;
  sl_error_t err;
  if (sl_kpl_decode(&in, &out, &err) != SL_OK) fail_msg("decode: %s", err.message);
  assert_true(out.aggregated);
  assert_int_equal(out.count, n);
  sl_kpl_builder_t *b = builder(0, 0, 0);
  for (size_t i = 0; i < n; i++) {
    json_t *r = json_array_get(records, i);
    size_t dlen;
    data[i] = b64_decode(json_string_value(json_object_get(r, "data")), &dlen);
    want[i] = rec(json_string_value(json_object_get(r, "partitionKey")),
                  json_string_value(json_object_get(r, "explicitHashKey")), data[i], dlen);
    assert_record(&out.records[i], &want[i], i);
    add_ok(b, &want[i]);
  }
  sl_kpl_aggregate_t a;
  finish_ok(b, &a);
  assert_int_equal(a.len, len);
  assert_memory_equal(a.data, bin, len);
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
  sl_kpl_records_free(&out);
  for (size_t i = 0; i < n; i++) free(data[i]);
  json_decref(doc);
  free(bin);
}

/* A wrong MD5, a record too short for one, a protobuf that does not parse and an index past its table are
 * errors, as aws-kinesis-agg makes them; data without the magic is the record itself. */
static void bad_aggregates_and_plain_records(void **state) {
  (void)state;
  sl_kpl_builder_t *b = builder(0, 0, 0);
  sl_kpl_record_t r = rec("k", NULL, "data", 4);
  add_ok(b, &r);
  sl_kpl_aggregate_t a;
  finish_ok(b, &a);
  sl_kpl_records_t out;
  sl_error_t err;
  a.data[a.len - 1] ^= 1;
  sl_kpl_record_t in = rec("k", NULL, a.data, a.len);
  assert_int_equal(sl_kpl_decode(&in, &out, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "MD5"));
  assert_int_equal(out.count, 0);
  sl_kpl_records_free(&out);
  in.data_len = 19;
  assert_int_equal(sl_kpl_decode(&in, &out, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "too short"));
  /* Magic, a truncated field (tag 0x0a, length 5, 1 byte), and its correct MD5: MD5 fine, protobuf not. */
  unsigned char junk[4 + 3 + 16] = {0xF3, 0x89, 0x9A, 0xC2, 0x0a, 0x05, 'x'};
  sl_md5(junk + 4, 3, junk + 7);
  in = rec("k", NULL, junk, sizeof junk);
  assert_int_equal(sl_kpl_decode(&in, &out, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "does not parse"));
  /* A record (field 3) with partition_key_index 1 (08 01) and empty data (1a 00), and no key table. */
  unsigned char orphan[4 + 6 + 16] = {0xF3, 0x89, 0x9A, 0xC2, 0x1a, 0x04, 0x08, 0x01, 0x1a, 0x00};
  sl_md5(orphan + 4, 6, orphan + 10);
  in = rec("k", NULL, orphan, sizeof orphan);
  assert_int_equal(sl_kpl_decode(&in, &out, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "partition key index 1 of 0"));
  /* Not an aggregate: the record itself, whatever its length. */
  const char *texts[] = {"", "x", "\xF3\x89\x9A", "plain data"};
  for (int i = 0; i < 4; i++) {
    in = rec("pk", i == 1 ? "42" : NULL, texts[i], strlen(texts[i]));
    assert_int_equal(sl_kpl_decode(&in, &out, &err), SL_OK);
    assert_false(out.aggregated);
    assert_int_equal(out.count, 1);
    assert_record(&out.records[0], &in, 0);
    assert_ptr_equal(out.records[0].data, texts[i]);
    sl_kpl_records_free(&out);
  }
  sl_kpl_aggregate_free(&a);
  sl_kpl_builder_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),       cmocka_unit_test(routes_as_the_kpl),
      cmocka_unit_test(size_and_count_limits), cmocka_unit_test(oversize_and_single),
      cmocka_unit_test(bad_input),        cmocka_unit_test(node_vector),
      cmocka_unit_test(bad_aggregates_and_plain_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
