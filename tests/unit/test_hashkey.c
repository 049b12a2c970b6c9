/* test_hashkey.c - hash keys: MD5 digests and 128-bit values of partition keys against vectors computed with
 * python3 hashlib, the even split of the hash space against AWS's published ranges and recorded routing
 * (shared/reference/hash-ranges.json), range properties for many shard counts, and the ExplicitHashKey
 * decimal parser and formatter (accepted and refused inputs, round trips). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/error.h"
#include "shardlab/hashkey.h"

#define MAX_DECIMAL "340282366920938463463374607431768211455" /* 2^128 - 1 */

/* Expected values computed independently, before the implementation was run, with:
 *   python3 -c 'import hashlib; k = KEY; h = hashlib.md5(k.encode("utf-8")).hexdigest(); print(h, int(h, 16))'
 * and cross-checked with `printf %s KEY | md5sum` for "a", "日本語" and the 256-character key.
 * Unicode keys are hashed as their UTF-8 bytes (the bytes are spelled out below). */
typedef struct md5_vector_s {
  const char *key;      /* UTF-8 bytes */
  size_t len;           /* bytes; (size_t)-1 for the 256 x "x" key built at run time */
  const char *md5_hex;  /* hashlib.md5(key).hexdigest() */
  const char *decimal;  /* int(md5_hex, 16) */
} md5_vector_t;

static const md5_vector_t md5_vectors[] = {
    {"a", 1, "0cc175b9c0f1b6a831c399e269772661", "16955237001963240173058271559858726497"},
    {"b", 1, "92eb5ffee6ae2fec3ad71c777531578f", "195289424170611159128911017612795795343"},
    {"e", 1, "e1671797c52e15f763380b45e841ec32", "299611584147932843547128611849858313266"},
    {"f", 1, "8fa14cdd754f91cc6554c9e71929cce7", "190917122200326810055233066464581373159"},
    {"1", 1, "c4ca4238a0b923820dcc509a6f75849b", "261578874264819908609102035485573088411"},
    {"user-42", 7, "7631bc07a1cc8fcd56e70fc6b2fb4a43", "157107139746365290205026809710278036035"},
    {"partition-key", 13, "815704732fbc84217234bb5e45533daa", "171922231538597478840392253176536055210"},
    {"The quick brown fox jumps over the lazy dog", 43, "9e107d9d372bb6826bd81d3542a419d6",
     "210103647840849757586127012022035159510"},
    /* the empty string */
    {"", 0, "d41d8cd98f00b204e9800998ecf8427e", "281949768489412648962353822266799178366"},
    /* "x" * 256 */
    {NULL, (size_t)-1, "c7a139a2b8e92164276f778917ba10b9", "265353499944959180620795534685136097465"},
    /* "é" = U+00E9 = c3 a9 */
    {"\xc3\xa9", 2, "66ddcd97cfdeabb2f6fb8a999b4bc76f", "136732923097551493579404309126273812335"},
    /* "日本語" = e6 97 a5 e6 9c ac e8 aa 9e; its digest starts with a zero byte, so the decimal has 35 digits */
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, "00110af8b4393ef3f72c50be5b332bec",
     "88491575051939950596574576699976684"},
    /* "😀" = U+1F600 = f0 9f 98 80 */
    {"\xf0\x9f\x98\x80", 4, "2a02eac39d716a70ecf37579185927b6", "55842721998748738903166261021950683062"},
};

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void hex_to_bytes(const char *hex, unsigned char out[16]) {
  assert_int_equal(strlen(hex), 32);
  for (size_t i = 0; i < 16; i++) {
    int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
    assert_true(hi >= 0 && lo >= 0);
    out[i] = (unsigned char)(hi << 4 | lo);
  }
}

/* A decimal string to a 128-bit value, independently of sl_hashkey_parse (inputs here are trusted). */
static sl_hashkey_t dec(const char *s) {
  sl_hashkey_t v = 0;
  for (; *s; s++) {
    assert_true(*s >= '0' && *s <= '9');
    v = v * 10 + (sl_hashkey_t)(*s - '0');
  }
  return v;
}

static void format_eq(sl_hashkey_t v, const char *expected) {
  char buf[SL_HASHKEY_DECIMAL_SIZE];
  memset(buf, 'Z', sizeof buf);
  size_t n = sl_hashkey_format(v, buf);
  assert_string_equal(buf, expected);
  assert_int_equal(n, strlen(expected));
}

static void md5_vectors_match_hashlib(void **state) {
  (void)state;
  char long_key[256];
  memset(long_key, 'x', sizeof long_key);
  for (size_t i = 0; i < sizeof md5_vectors / sizeof md5_vectors[0]; i++) {
    const md5_vector_t *v = &md5_vectors[i];
    const char *key = v->key ? v->key : long_key;
    size_t len = v->len == (size_t)-1 ? sizeof long_key : v->len;
    unsigned char want[16], got[16];
    hex_to_bytes(v->md5_hex, want);
    sl_md5(key, len, got);
    if (memcmp(want, got, 16) != 0) fail_msg("sl_md5 vector %zu (%s): wrong digest", i, v->md5_hex);

    sl_hashkey_t h = sl_hashkey_of(key, len);
    char buf[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(h, buf);
    if (strcmp(buf, v->decimal) != 0)
      fail_msg("sl_hashkey_of vector %zu: got %s, want %s (md5 %s)", i, buf, v->decimal, v->md5_hex);
    assert_true(h == dec(v->decimal));

    /* sl_hashkey_of is the digest read big-endian. */
    sl_hashkey_t be = 0;
    for (size_t b = 0; b < 16; b++) be = be << 8 | got[b];
    assert_true(be == h);
  }
}

static void format_edges(void **state) {
  (void)state;
  format_eq(0, "0");
  format_eq(1, "1");
  format_eq(9, "9");
  format_eq(10, "10");
  format_eq(SL_HASHKEY_MAX, MAX_DECIMAL);
  format_eq(SL_HASHKEY_MAX - 1, "340282366920938463463374607431768211454");
  format_eq((sl_hashkey_t)1 << 64, "18446744073709551616");
  format_eq(((sl_hashkey_t)1 << 64) - 1, "18446744073709551615");
  format_eq((sl_hashkey_t)1 << 127, "170141183460469231731687303715884105728");
  /* around 10^19 and 10^38, where a formatter working in 19-digit chunks changes chunk */
  sl_hashkey_t ten19 = UINT64_C(10000000000000000000);
  format_eq(ten19 - 1, "9999999999999999999");
  format_eq(ten19, "10000000000000000000");
  format_eq(ten19 + 1, "10000000000000000001");
  format_eq(ten19 * ten19 - 1, "99999999999999999999999999999999999999");
  format_eq(ten19 * ten19, "100000000000000000000000000000000000000");
  format_eq(ten19 * ten19 + 7, "100000000000000000000000000000000000007");
}

/* ---- AWS's published ranges and recorded routing ---- */

static json_t *load_reference(void) {
  const char *path = SHARDLAB_REFERENCE_DIR "/hash-ranges.json";
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL)
    fail_msg("cannot load AWS reference file %s: %s (line %d) - the reference data must be present", path,
             jerr.text, jerr.line);
  return root;
}

static void check_published_ranges(json_t *root, uint32_t n) {
  char name[4];
  snprintf(name, sizeof name, "%u", n);
  json_t *ranges = json_object_get(root, name);
  if (!json_is_array(ranges)) fail_msg("hash-ranges.json: no array \"%s\"", name);
  assert_int_equal(json_array_size(ranges), n);
  for (uint32_t i = 0; i < n; i++) {
    json_t *pair = json_array_get(ranges, i);
    assert_true(json_is_array(pair) && json_array_size(pair) == 2);
    const char *want_start = json_string_value(json_array_get(pair, 0));
    const char *want_end = json_string_value(json_array_get(pair, 1));
    assert_non_null(want_start);
    assert_non_null(want_end);
    sl_hashkey_t start = 0, end = 0;
    sl_hashkey_even_range(n, i, &start, &end);
    char got_start[SL_HASHKEY_DECIMAL_SIZE], got_end[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(start, got_start);
    sl_hashkey_format(end, got_end);
    if (strcmp(got_start, want_start) != 0 || strcmp(got_end, want_end) != 0)
      fail_msg("even_range(%u, %u) = [%s, %s], AWS gives [%s, %s]", n, i, got_start, got_end, want_start,
               want_end);
  }
}

static void even_ranges_match_aws(void **state) {
  (void)state;
  json_t *root = load_reference();
  check_published_ranges(root, 2);
  check_published_ranges(root, 3);
  json_decref(root);
}

static void recorded_routing_matches_aws(void **state) {
  (void)state;
  json_t *root = load_reference();
  json_t *routing = json_object_get(root, "recorded_routing_3_shards");
  if (!json_is_object(routing)) fail_msg("hash-ranges.json: no object recorded_routing_3_shards");
  assert_true(json_object_size(routing) >= 4);
  const char *key;
  json_t *value;
  json_object_foreach(routing, key, value) {
    const char *shard_id = json_string_value(value);
    assert_non_null(shard_id);
    sl_hashkey_t h = sl_hashkey_of(key, strlen(key));
    int found = -1;
    for (uint32_t i = 0; i < 3; i++) {
      sl_hashkey_t start, end;
      sl_hashkey_even_range(3, i, &start, &end);
      if (h >= start && h <= end) {
        assert_int_equal(found, -1); /* exactly one range holds it */
        found = (int)i;
      }
    }
    char want_id[32];
    snprintf(want_id, sizeof want_id, "shardId-%012d", found);
    if (found < 0 || strcmp(want_id, shard_id) != 0)
      fail_msg("key \"%s\" lands in range %d on 3 shards; AWS recorded %s", key, found, shard_id);
  }
  json_decref(root);
}

/* ---- even_range properties ---- */

static void check_even_split(uint32_t n) {
  sl_hashkey_t prev_end = 0;
  sl_hashkey_t q = 0;
  for (uint32_t i = 0; i < n; i++) {
    sl_hashkey_t start = 1, end = 0;
    sl_hashkey_even_range(n, i, &start, &end);
    if (i == 0) {
      assert_true(start == 0);
      q = end + 1; /* width of every shard but the last */
    } else {
      if (prev_end + 1 != start) fail_msg("n=%u: shard %u does not start right after shard %u", n, i, i - 1);
      if (i < n - 1 && end - start + 1 != q) fail_msg("n=%u: shard %u has a different width", n, i);
    }
    assert_true(start <= end);
    prev_end = end;
  }
  assert_true(prev_end == SL_HASHKEY_MAX);
}

static void even_range_properties(void **state) {
  (void)state;
  sl_hashkey_t start = 1, end = 0;
  sl_hashkey_even_range(1, 0, &start, &end);
  assert_true(start == 0);
  assert_true(end == SL_HASHKEY_MAX);

  check_even_split(1);
  check_even_split(2);
  check_even_split(3);
  check_even_split(7);
  check_even_split(10000);

  /* q = 2^128 // n, computed with python3: 2**128 // 7 - 1 and 2**128 // 10000 - 1 (end of shard 0), and
   * (n - 1) * (2**128 // n) (start of the last shard). */
  sl_hashkey_even_range(7, 0, &start, &end);
  format_eq(end, "48611766702991209066196372490252601635");
  sl_hashkey_even_range(7, 6, &start, &end);
  format_eq(start, "291670600217947254397178234941515609816");
  format_eq(end, MAX_DECIMAL);
  sl_hashkey_even_range(10000, 0, &start, &end);
  format_eq(end, "34028236692093846346337460743176820");
  sl_hashkey_even_range(10000, 9999, &start, &end);
  format_eq(start, "340248338684246369617028269971025033179");
  format_eq(end, MAX_DECIMAL);
}

/* ---- sl_hashkey_parse ---- */

static void parse_accepts(void **state) {
  (void)state;
  sl_error_t err;
  sl_hashkey_t v = 12345;
  assert_int_equal(sl_hashkey_parse("0", 1, "ExplicitHashKey", &v, &err), SL_OK);
  assert_true(v == 0);
  assert_int_equal(sl_hashkey_parse("1", 1, "ExplicitHashKey", &v, &err), SL_OK);
  assert_true(v == 1);
  assert_int_equal(sl_hashkey_parse(MAX_DECIMAL, strlen(MAX_DECIMAL), "ExplicitHashKey", &v, &err), SL_OK);
  assert_true(v == SL_HASHKEY_MAX);
  /* len bounds the text: the digits after it are not read. */
  assert_int_equal(sl_hashkey_parse("123999", 3, "ExplicitHashKey", &v, &err), SL_OK);
  assert_true(v == 123);
  /* NULL err is allowed. */
  assert_int_equal(sl_hashkey_parse("42", 2, "ExplicitHashKey", &v, NULL), SL_OK);
  assert_true(v == 42);
}

static void expect_refused(const char *text, size_t len, const char *field) {
  sl_error_t err;
  memset(&err, 0, sizeof err);
  sl_hashkey_t v = 0;
  int rc = sl_hashkey_parse(text, len, field, &v, &err);
  if (rc != SL_EINVAL) fail_msg("sl_hashkey_parse(\"%.*s\") returned %d, want SL_EINVAL", (int)len, text, rc);
  assert_int_equal(err.code, SL_EINVAL);
  if (err.message[0] == '\0') fail_msg("sl_hashkey_parse(\"%.*s\"): empty message", (int)len, text);
  if (strstr(err.message, field) == NULL)
    fail_msg("sl_hashkey_parse(\"%.*s\"): message \"%s\" does not name %s", (int)len, text, err.message, field);
  /* Refusal without a message sink must not crash either. */
  assert_int_equal(sl_hashkey_parse(text, len, field, &v, NULL), SL_EINVAL);
}

static void parse_refuses(void **state) {
  (void)state;
  static const char *const bad[] = {
      "340282366920938463463374607431768211456",  /* 2^128 */
      "999999999999999999999999999999999999999",  /* 39 digits, above 2^128 - 1 */
      "1000000000000000000000000000000000000000", /* 40 digits */
      "-1", "01", "00", "", "12a", " 1", "1 ", "+1", "0x10", "1.0", "a",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_refused(bad[i], strlen(bad[i]), "ExplicitHashKey");
  /* An embedded NUL inside len is not a digit. */
  expect_refused("1\0002", 3, "ExplicitHashKey");
  /* The field name is the caller's, whatever it is. */
  expect_refused("x", 1, "NewStartingHashKey");
}

static void round_trips(void **state) {
  (void)state;
  static const char *const values[] = {
      "0", "1", "9", "10", "18446744073709551616", "18446744073709551615", "100000000000000000000000000000000000000",
      "170141183460469231731687303715884105727", "170141183460469231731687303715884105728",
      "113427455640312821154458202477256070485", MAX_DECIMAL, "16955237001963240173058271559858726497",
  };
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    sl_error_t err;
    sl_hashkey_t v;
    assert_int_equal(sl_hashkey_parse(values[i], strlen(values[i]), "ExplicitHashKey", &v, &err), SL_OK);
    assert_true(v == dec(values[i]));
    format_eq(v, values[i]);
  }
  /* And numerically: 2^64, 2^64 - 1, 10^38 parse to the values built arithmetically. */
  sl_hashkey_t v, ten38 = 1;
  for (int i = 0; i < 38; i++) ten38 *= 10;
  assert_int_equal(sl_hashkey_parse("18446744073709551616", 20, "ExplicitHashKey", &v, NULL), SL_OK);
  assert_true(v == (sl_hashkey_t)1 << 64);
  assert_int_equal(sl_hashkey_parse("18446744073709551615", 20, "ExplicitHashKey", &v, NULL), SL_OK);
  assert_true(v == ((sl_hashkey_t)1 << 64) - 1);
  assert_int_equal(sl_hashkey_parse("100000000000000000000000000000000000000", 39, "ExplicitHashKey", &v, NULL),
                   SL_OK);
  assert_true(v == ten38);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(md5_vectors_match_hashlib),
      cmocka_unit_test(format_edges),
      cmocka_unit_test(even_ranges_match_aws),
      cmocka_unit_test(recorded_routing_matches_aws),
      cmocka_unit_test(even_range_properties),
      cmocka_unit_test(parse_accepts),
      cmocka_unit_test(parse_refuses),
      cmocka_unit_test(round_trips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
