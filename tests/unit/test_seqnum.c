/* test_seqnum.c - sequence numbers: AWS's published numbers (shared/reference) decode to the documented layout
 * and format back to the identical decimal; formatted numbers have 56 digits, the layout (checked here with an
 * independent decimal-to-hex conversion), and strictly increase with the counter whatever the arrival seconds
 * do; text comparison orders as integers; the parser refuses malformed input naming the field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/error.h"
#include "shardlab/seqnum.h"

/* ---- an independent big integer: decimal text -> 32-bit limbs (least significant first) -> hex ---- */

#define LIMBS 8 /* 256 bits: more than the 188 bits of the layout */

static void dec_to_limbs(const char *s, uint32_t limbs[LIMBS]) {
  memset(limbs, 0, LIMBS * sizeof limbs[0]);
  for (; *s; s++) {
    assert_true(*s >= '0' && *s <= '9');
    uint64_t carry = (uint64_t)(*s - '0');
    for (int i = 0; i < LIMBS; i++) {
      uint64_t x = (uint64_t)limbs[i] * 10 + carry;
      limbs[i] = (uint32_t)x;
      carry = x >> 32;
    }
    assert_true(carry == 0);
  }
}

static int limbs_cmp(const uint32_t a[LIMBS], const uint32_t b[LIMBS]) {
  for (int i = LIMBS - 1; i >= 0; i--)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/* Lower-case hex without leading zeros. */
static void dec_to_hex(const char *s, char *hex, size_t size) {
  uint32_t limbs[LIMBS];
  char tmp[LIMBS * 8 + 1];
  dec_to_limbs(s, limbs);
  size_t n = 0;
  for (int i = LIMBS - 1; i >= 0; i--) n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%08" PRIx32, limbs[i]);
  const char *p = tmp;
  while (*p == '0' && p[1] != '\0') p++;
  assert_true(strlen(p) < size);
  strcpy(hex, p);
}

static uint64_t hex_field(const char *hex, size_t from, size_t len) {
  char buf[20];
  assert_true(len < sizeof buf);
  memcpy(buf, hex + from, len);
  buf[len] = '\0';
  return strtoull(buf, NULL, 16);
}

/* Decodes s by the documented layout, independently of sl_seqnum_parse:
 * "2" | 9 hex creation seconds | 1 hex low nibble of index | 16 hex counter | "00" | 9 hex arrival | 8 hex index | "2" */
static void layout_of(const char *s, sl_seqnum_t *out) {
  char hex[80];
  dec_to_hex(s, hex, sizeof hex);
  if (strlen(hex) != 47) fail_msg("%s: hex form %s has %zu digits, the layout has 47", s, hex, strlen(hex));
  assert_int_equal(hex[0], '2');
  assert_int_equal(hex[46], '2');
  assert_int_equal(hex[27], '0');
  assert_int_equal(hex[28], '0');
  out->shard_created_s = hex_field(hex, 1, 9);
  out->counter = hex_field(hex, 11, 16);
  out->arrival_s = hex_field(hex, 29, 9);
  out->shard_index = (uint32_t)hex_field(hex, 38, 8);
  assert_true(hex_field(hex, 10, 1) == (out->shard_index & 15u));
}

/* ---- AWS's published numbers ---- */

/* Expected fields computed with python3 from the hex form, before the implementation was run:
 *   h = format(int(SEQ), "x"); assert len(h) == 47 and h[0] == h[-1] == "2" and h[27:29] == "00"
 *   created = int(h[1:10], 16); nibble = int(h[10], 16); counter = int(h[11:27], 16)
 *   arrival = int(h[29:38], 16); index = int(h[38:46], 16)
 * and re-encoding the fields reproduced SEQ exactly. The arrival seconds agree with the documents' own
 * timestamps (approximateArrivalTimestamp 1545084650.987; approximateArrivalOfFirstRecord 2019-11-14T00:38:04.835Z
 * = 1573691884). */
typedef struct aws_seq_s {
  const char *where;
  const char *text;
  uint64_t created_s, counter, arrival_s;
  uint32_t shard_index;
} aws_seq_t;

static const aws_seq_t aws_seqs[] = {
    {"kinesis-event.json Records[0] (shardId-000000000006)", "49590338271490256608559692538361571095921575989136588898",
     UINT64_C(1542776258), UINT64_C(1734642199), UINT64_C(1545084650), 6},
    {"on-failure-record.json startSequenceNumber (shardId-000000000001)",
     "49601189658422359378836298521827638475320189012309704722", UINT64_C(1573188322), UINT64_C(258004050),
     UINT64_C(1573691884), 1},
    {"on-failure-record.json endSequenceNumber (shardId-000000000001)",
     "49601189658422359378836298522902373528957594348623495186", UINT64_C(1573188322), UINT64_C(258004939),
     UINT64_C(1573691884), 1},
    {"hash-ranges.json real_sequence_number_example (shard 0)",
     "49600871682957036442365024926191073437251060580128653314", UINT64_C(1572297165), UINT64_C(0),
     UINT64_C(1572297165), 0},
};

static json_t *load_json(const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", SHARDLAB_REFERENCE_DIR, name);
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) fail_msg("cannot load AWS reference file %s: %s - the reference data must be present", path, jerr.text);
  return root;
}

/* The constants above are the numbers in the reference files, not copies that could drift. */
static void reference_files_hold_these_numbers(void **state) {
  (void)state;
  json_t *ev = load_json("kinesis-event.json");
  json_t *rec = json_array_get(json_object_get(ev, "Records"), 0);
  assert_non_null(rec);
  const char *seq = json_string_value(json_object_get(json_object_get(rec, "kinesis"), "sequenceNumber"));
  const char *event_id = json_string_value(json_object_get(rec, "eventID"));
  assert_non_null(seq);
  assert_non_null(event_id);
  assert_string_equal(seq, aws_seqs[0].text);
  assert_true(strncmp(event_id, "shardId-000000000006:", 21) == 0);
  assert_string_equal(event_id + 21, aws_seqs[0].text);
  json_decref(ev);

  json_t *of = load_json("on-failure-record.json");
  json_t *batch = json_object_get(of, "KinesisBatchInfo");
  assert_string_equal(json_string_value(json_object_get(batch, "shardId")), "shardId-000000000001");
  assert_string_equal(json_string_value(json_object_get(batch, "startSequenceNumber")), aws_seqs[1].text);
  assert_string_equal(json_string_value(json_object_get(batch, "endSequenceNumber")), aws_seqs[2].text);
  json_decref(of);

  json_t *hr = load_json("hash-ranges.json");
  assert_string_equal(json_string_value(json_object_get(hr, "real_sequence_number_example")), aws_seqs[3].text);
  json_decref(hr);
}

static void aws_numbers_parse_and_format_back(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof aws_seqs / sizeof aws_seqs[0]; i++) {
    const aws_seq_t *a = &aws_seqs[i];
    sl_seqnum_t s, lay;
    sl_error_t err;
    memset(&s, 0xff, sizeof s);
    int rc = sl_seqnum_parse(a->text, strlen(a->text), "SequenceNumber", &s, &err);
    if (rc != SL_OK) fail_msg("%s: parse refused %s: %s", a->where, a->text, err.message);
    if (s.shard_index != a->shard_index)
      fail_msg("%s: shard_index %" PRIu32 ", want %" PRIu32, a->where, s.shard_index, a->shard_index);
    if (s.shard_created_s != a->created_s || s.counter != a->counter || s.arrival_s != a->arrival_s)
      fail_msg("%s: got created %" PRIu64 " counter %" PRIu64 " arrival %" PRIu64 ", want %" PRIu64 " %" PRIu64
               " %" PRIu64,
               a->where, s.shard_created_s, s.counter, s.arrival_s, a->created_s, a->counter, a->arrival_s);
    /* the independent decoder agrees with the python constants */
    layout_of(a->text, &lay);
    assert_true(lay.shard_index == a->shard_index && lay.counter == a->counter);
    assert_true(lay.shard_created_s == a->created_s && lay.arrival_s == a->arrival_s);

    char buf[SL_SEQNUM_DECIMAL_SIZE];
    size_t n = sl_seqnum_format(&s, buf);
    if (strcmp(buf, a->text) != 0) fail_msg("%s: formats back as %s, want %s", a->where, buf, a->text);
    assert_int_equal(n, strlen(a->text));
    /* and from fields set by hand */
    sl_seqnum_t f = {a->created_s, a->shard_index, a->counter, a->arrival_s};
    sl_seqnum_format(&f, buf);
    assert_string_equal(buf, a->text);
  }
  /* AWS's end number of the batch is above its start number. */
  assert_true(sl_seqnum_compare_text(aws_seqs[1].text, aws_seqs[2].text) < 0);
}

/* ---- formatting ---- */

static void format_has_56_digits_and_the_layout(void **state) {
  (void)state;
  /* python3: str(int("2" + format(1700000000, "09x") + "0" + "0" * 16 + "00" + format(1700000100, "09x") +
   *                  "0" * 8 + "2", 16)) */
  sl_seqnum_t s = {UINT64_C(1700000000), 0, 0, UINT64_C(1700000100)};
  char buf[SL_SEQNUM_DECIMAL_SIZE];
  assert_int_equal(sl_seqnum_format(&s, buf), 56);
  assert_string_equal(buf, "49646437577108476416916876405825929425585436548222943234");

  static const uint32_t indexes[] = {0, 1, 15, 16, 17, 255, 9999, 123456789, UINT32_MAX};
  static const uint64_t counters[] = {0, 1, 1000000, UINT64_C(0xffffffff), UINT64_C(0x100000000),
                                      UINT64_MAX};
  for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
    for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
      sl_seqnum_t f = {UINT64_C(1700000000), indexes[i], counters[c], UINT64_C(1700000100) + c}, lay, back;
      size_t n = sl_seqnum_format(&f, buf);
      assert_int_equal(n, 56);
      assert_int_equal(strlen(buf), 56);
      layout_of(buf, &lay);
      assert_true(lay.shard_created_s == f.shard_created_s && lay.shard_index == f.shard_index);
      assert_true(lay.counter == f.counter && lay.arrival_s == f.arrival_s);
      assert_int_equal(sl_seqnum_parse(buf, n, "SequenceNumber", &back, NULL), SL_OK);
      assert_true(back.shard_created_s == f.shard_created_s && back.shard_index == f.shard_index);
      assert_true(back.counter == f.counter && back.arrival_s == f.arrival_s);
    }
  }
  /* The largest values of every field still fit the buffer (36-bit seconds). */
  sl_seqnum_t big = {UINT64_C(0xfffffffff), UINT32_MAX, UINT64_MAX, UINT64_C(0xfffffffff)};
  size_t n = sl_seqnum_format(&big, buf);
  assert_true(n < SL_SEQNUM_DECIMAL_SIZE);
  assert_int_equal(strlen(buf), n);
}

static void check_increasing(const char *prev, const char *cur, uint64_t counter) {
  if (sl_seqnum_compare_text(prev, cur) >= 0) fail_msg("counter %" PRIu64 ": %s !< %s (compare_text)", counter, prev, cur);
  if (sl_seqnum_compare_text(cur, prev) <= 0) fail_msg("counter %" PRIu64 ": compare_text not antisymmetric", counter);
  uint32_t a[LIMBS], b[LIMBS];
  dec_to_limbs(prev, a);
  dec_to_limbs(cur, b);
  if (limbs_cmp(a, b) >= 0) fail_msg("counter %" PRIu64 ": %s !< %s (as integers)", counter, prev, cur);
}

static void increases_with_counter_same_second(void **state) {
  (void)state;
  char prev[SL_SEQNUM_DECIMAL_SIZE], cur[SL_SEQNUM_DECIMAL_SIZE];
  sl_seqnum_t s = {UINT64_C(1700000000), 3, 0, UINT64_C(1700000100)};
  sl_seqnum_format(&s, prev);
  for (uint64_t c = 1; c <= 100000; c++) {
    s.counter = c;
    assert_int_equal(sl_seqnum_format(&s, cur), 56);
    check_increasing(prev, cur, c);
    memcpy(prev, cur, sizeof cur);
  }
}

static void counter_dominates_arrival(void **state) {
  (void)state;
  char prev[SL_SEQNUM_DECIMAL_SIZE], cur[SL_SEQNUM_DECIMAL_SIZE];
  uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
  sl_seqnum_t s = {UINT64_C(1700000000), 5, 0, UINT64_C(1700000100)};
  sl_seqnum_format(&s, prev);
  for (uint64_t c = 1; c <= 20000; c++) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    s.counter = c;
    /* arrival jumps back and forth by up to a day, and sometimes to the extremes of its 36 bits */
    s.arrival_s = c % 97 == 0 ? (c % 2 ? UINT64_C(0xfffffffff) : 0) : UINT64_C(1700000000) + rng % 86400;
    sl_seqnum_format(&s, cur);
    check_increasing(prev, cur, c);
    memcpy(prev, cur, sizeof cur);
  }
}

/* ---- comparison ---- */

static void compare_text_orders_as_integers(void **state) {
  (void)state;
  assert_true(sl_seqnum_compare_text("9", "10") < 0);
  assert_true(sl_seqnum_compare_text("10", "9") > 0);
  assert_int_equal(sl_seqnum_compare_text("0", "0"), 0);
  assert_int_equal(sl_seqnum_compare_text("123", "123"), 0);
  assert_true(sl_seqnum_compare_text("123", "124") < 0);
  assert_true(sl_seqnum_compare_text("124", "123") > 0);
  assert_true(sl_seqnum_compare_text("99999", "100000") < 0);
  assert_true(sl_seqnum_compare_text("0", "1") < 0);
  assert_int_equal(sl_seqnum_compare_text(aws_seqs[0].text, aws_seqs[0].text), 0);
  assert_true(sl_seqnum_compare_text(aws_seqs[0].text, aws_seqs[1].text) < 0); /* 4959... < 4960... */
  assert_true(sl_seqnum_compare_text(aws_seqs[3].text, aws_seqs[1].text) < 0); /* 496008... < 496011... */
  assert_true(sl_seqnum_compare_text(aws_seqs[0].text, "9") > 0);
}

/* ---- refusals ---- */

static void expect_refused(const char *text, size_t len, const char *why) {
  sl_error_t err;
  sl_seqnum_t s;
  memset(&err, 0, sizeof err);
  int rc = sl_seqnum_parse(text, len, "StartingSequenceNumber", &s, &err);
  if (rc != SL_EINVAL) fail_msg("sl_seqnum_parse(\"%.*s\") [%s] returned %d, want SL_EINVAL", (int)len, text, why, rc);
  assert_int_equal(err.code, SL_EINVAL);
  if (strstr(err.message, "StartingSequenceNumber") == NULL)
    fail_msg("sl_seqnum_parse(\"%.*s\") [%s]: message \"%s\" does not name the field", (int)len, text, why,
             err.message);
  assert_int_equal(sl_seqnum_parse(text, len, "StartingSequenceNumber", &s, NULL), SL_EINVAL);
}

static void parse_refuses_malformed(void **state) {
  (void)state;
  expect_refused("", 0, "empty");
  expect_refused("abc", 3, "not digits");
  expect_refused("4959033827149025660855969253836157109592157598913658889x", 56, "trailing letter");
  expect_refused("-49590338271490256608559692538361571095921575989136588898", 57, "sign");
  expect_refused(" 49590338271490256608559692538361571095921575989136588898", 57, "leading space");
  expect_refused("049590338271490256608559692538361571095921575989136588898", 57, "leading zero");
  expect_refused("0", 1, "zero");
  expect_refused("12345", 5, "wrong layout (too short)");
  expect_refused("4959033827149025660855969253836157109592157598913658889849590338271490256608", 76,
                 "far too long");
  expect_refused("100000000000000000000000000000000000000000000000000000000000", 60, "60 digits, hex too long");
  /* 10^55: 56 digits but its hex form does not start with the version digit 2 */
  expect_refused("10000000000000000000000000000000000000000000000000000000", 56, "wrong layout (10^55)");
}

/* Numbers of the right length whose hex form breaks a fixed part of the layout. Computed with python3 from
 * the kinesis-event.json number n = 49590338271490256608559692538361571095921575989136588898:
 *   n + 1            -> hex ends in "3" instead of "2"
 *   n + (1 << 72)    -> the "00" field becomes "01"
 *   n + (1 << 144)   -> the index nibble becomes 7 while the index field still says 6
 *   n + (1 << 188)   -> 57 digits: a valid layout with an extra hex digit 1 in front (48 hex digits) */
static void parse_refuses_broken_layout(void **state) {
  (void)state;
  expect_refused("49590338271490256608559692538361571095921575989136588899", 56, "last hex digit is not 2");
  expect_refused("49590338271490256608559692538361575818288058858781802594", 56, "00 field is 01");
  expect_refused("49590338271512557353758223161503106814194224350642569314", 56, "index nibble 7, index 6");
  expect_refused("441909196733157804348296531488840722102318791268138745954", 57, "48 hex digits");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reference_files_hold_these_numbers),
      cmocka_unit_test(aws_numbers_parse_and_format_back),
      cmocka_unit_test(format_has_56_digits_and_the_layout),
      cmocka_unit_test(increases_with_counter_same_second),
      cmocka_unit_test(counter_dominates_arrival),
      cmocka_unit_test(compare_text_orders_as_integers),
      cmocka_unit_test(parse_refuses_malformed),
      cmocka_unit_test(parse_refuses_broken_layout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
