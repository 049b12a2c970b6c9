/* test_utf8.c - UTF-8 validation and code point counting (sl_utf8_count): valid 1- to 4-byte sequences and
 * their boundaries are counted as code points, not bytes; overlong forms, surrogates, code points above
 * U+10FFFF, truncated sequences and stray continuation bytes are refused. Then the partition key check built on
 * it (sl_partition_key_check): 1..256 Unicode characters of valid UTF-8, refusals naming PartitionKey. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/error.h"
#include "shardlab/stream.h"
#include "utf8.h"

typedef struct utf8_case_s {
  const char *what;
  const char *bytes;
  size_t len;
  size_t chars; /* expected count when valid */
} utf8_case_t;

#define CASE(what, lit, chars) {what, lit, sizeof(lit) - 1, chars}

static const utf8_case_t valid[] = {
    CASE("empty", "", 0),
    CASE("ASCII", "hello, world", 12),
    CASE("embedded NUL (U+0000 is a code point)", "a\0b", 3),
    CASE("U+007F", "\x7f", 1),
    CASE("U+0080 (smallest 2-byte)", "\xc2\x80", 1),
    CASE("e acute", "\xc3\xa9", 1),
    CASE("U+07FF (largest 2-byte)", "\xdf\xbf", 1),
    CASE("U+0800 (smallest 3-byte)", "\xe0\xa0\x80", 1),
    CASE("nihongo", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3),
    CASE("U+D7FF (just below the surrogates)", "\xed\x9f\xbf", 1),
    CASE("U+E000 (just above the surrogates)", "\xee\x80\x80", 1),
    CASE("U+FFFD", "\xef\xbf\xbd", 1),
    CASE("U+FFFF (largest 3-byte)", "\xef\xbf\xbf", 1),
    CASE("U+10000 (smallest 4-byte)", "\xf0\x90\x80\x80", 1),
    CASE("grinning face U+1F600", "\xf0\x9f\x98\x80", 1),
    CASE("U+10FFFF (largest code point)", "\xf4\x8f\xbf\xbf", 1),
    CASE("mixed a e-acute nichi emoji z", "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80z", 5),
};

static const utf8_case_t invalid[] = {
    /* overlong forms */
    CASE("overlong NUL c0 80", "\xc0\x80", 0),
    CASE("overlong c1 bf", "\xc1\xbf", 0),
    CASE("overlong '/' e0 80 af", "\xe0\x80\xaf", 0),
    CASE("overlong U+07FF e0 9f bf", "\xe0\x9f\xbf", 0),
    CASE("overlong f0 80 80 80", "\xf0\x80\x80\x80", 0),
    CASE("overlong U+FFFF f0 8f bf bf", "\xf0\x8f\xbf\xbf", 0),
    CASE("5-byte overlong f8 80 80 80 80", "\xf8\x80\x80\x80\x80", 0),
    /* surrogates */
    CASE("U+D800", "\xed\xa0\x80", 0),
    CASE("U+DBFF", "\xed\xaf\xbf", 0),
    CASE("U+DC00", "\xed\xb0\x80", 0),
    CASE("U+DFFF", "\xed\xbf\xbf", 0),
    CASE("CESU-8 surrogate pair for U+1F600", "\xed\xa0\xbd\xed\xb8\x80", 0),
    /* above U+10FFFF */
    CASE("U+110000 f4 90 80 80", "\xf4\x90\x80\x80", 0),
    CASE("f4 bf bf bf", "\xf4\xbf\xbf\xbf", 0),
    CASE("lead f5", "\xf5\x80\x80\x80", 0),
    CASE("lead f7", "\xf7\xbf\xbf\xbf", 0),
    CASE("5-byte form f8 88 80 80 80", "\xf8\x88\x80\x80\x80", 0),
    CASE("6-byte form fc 84 80 80 80 80", "\xfc\x84\x80\x80\x80\x80", 0),
    CASE("byte fe", "\xfe", 0),
    CASE("byte ff", "\xff", 0),
    /* truncated sequences */
    CASE("2-byte lead at end", "\xc3", 0),
    CASE("3-byte lead at end", "\xe6", 0),
    CASE("3-byte sequence missing one byte", "\xe6\x97", 0),
    CASE("4-byte sequence missing one byte", "\xf0\x9f\x98", 0),
    CASE("4-byte sequence missing two bytes", "\xf0\x9f", 0),
    CASE("2-byte lead then ASCII", "\xc3\x41", 0),
    CASE("3-byte lead then ASCII", "\xe6\x97\x41", 0),
    CASE("4-byte lead then a new lead", "\xf0\x9f\x98\xc3\xa9", 0),
    CASE("truncated after valid text", "ok\xe6\x97", 0),
    /* stray continuation bytes */
    CASE("lone 80", "\x80", 0),
    CASE("lone bf", "\xbf", 0),
    CASE("continuation between ASCII", "a\x80z", 0),
    CASE("extra continuation after e-acute", "\xc3\xa9\xa9", 0),
    CASE("extra continuation after 4-byte", "\xf0\x9f\x98\x80\x80", 0),
};

static void counts_code_points(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
    size_t chars = 9999;
    int rc = sl_utf8_count(valid[i].bytes, valid[i].len, &chars);
    if (rc != 0) fail_msg("valid case \"%s\": returned %d", valid[i].what, rc);
    if (chars != valid[i].chars) fail_msg("valid case \"%s\": %zu code points, want %zu", valid[i].what, chars,
                                          valid[i].chars);
  }
}

static void refuses_invalid(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    size_t chars = 0;
    int rc = sl_utf8_count(invalid[i].bytes, invalid[i].len, &chars);
    if (rc != -1) fail_msg("invalid case \"%s\": returned %d (count %zu), want -1", invalid[i].what, rc, chars);
  }
}

static void respects_len(void **state) {
  (void)state;
  size_t chars = 0;
  /* len cuts a valid sequence: truncated */
  assert_int_equal(sl_utf8_count("\xc3\xa9x", 1, &chars), -1);
  assert_int_equal(sl_utf8_count("\xf0\x9f\x98\x80", 3, &chars), -1);
  /* bytes past len are not read, valid or not */
  assert_int_equal(sl_utf8_count("ab\xff", 2, &chars), 0);
  assert_int_equal(chars, 2);
  assert_int_equal(sl_utf8_count("\xc3\xa9\x80", 2, &chars), 0);
  assert_int_equal(chars, 1);
  /* a large buffer of 4-byte characters, heap-allocated so ASan sees any overread */
  size_t n = 10000;
  char *buf = malloc(n * 4);
  assert_non_null(buf);
  for (size_t i = 0; i < n; i++) memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
  int rc_whole = sl_utf8_count(buf, n * 4, &chars);
  size_t chars_whole = chars;
  int rc_cut = sl_utf8_count(buf, n * 4 - 1, &chars);
  free(buf); /* before any assertion can fail */
  assert_int_equal(rc_whole, 0);
  assert_int_equal(chars_whole, n);
  assert_int_equal(rc_cut, -1);
}

/* ---- sl_partition_key_check ---- */

/* Keys are checked from a heap copy of exactly len bytes (so ASan sees any read past the key), and freed
 * before any assertion fails, so a failing test reports its failure and no leak. */
static int check_key(const char *key, size_t len, sl_error_t *err, int *rc_no_err) {
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, key, len);
  memset(err, 0, sizeof *err);
  int rc = sl_partition_key_check(copy, len, err);
  *rc_no_err = sl_partition_key_check(copy, len, NULL); /* a NULL message sink is allowed */
  free(copy);
  return rc;
}

static void expect_key_accepted(const char *key, size_t len, const char *what) {
  sl_error_t err;
  int rc2;
  int rc = check_key(key, len, &err, &rc2);
  if (rc != SL_OK) fail_msg("partition key %s refused (%d): %s", what, rc, err.message);
  assert_int_equal(rc2, SL_OK);
}

static void expect_key_refused(const char *key, size_t len, const char *what) {
  sl_error_t err;
  int rc2;
  int rc = check_key(key, len, &err, &rc2);
  if (rc != SL_EINVAL) fail_msg("partition key %s: returned %d, want SL_EINVAL", what, rc);
  assert_int_equal(err.code, SL_EINVAL);
  if (strstr(err.message, "PartitionKey") == NULL)
    fail_msg("partition key %s: message \"%s\" does not mention PartitionKey", what, err.message);
  assert_int_equal(rc2, SL_EINVAL);
}

/* unit repeated times, into buf (big enough for 1000 x 4 bytes); returns the length. */
static size_t repeat(char *buf, const char *unit, size_t times) {
  size_t u = strlen(unit);
  assert_true(u * times <= 4000);
  for (size_t i = 0; i < times; i++) memcpy(buf + i * u, unit, u);
  return u * times;
}

static void key_accepted(const char *unit, size_t times) {
  static char buf[4000];
  char what[64];
  size_t len = repeat(buf, unit, times);
  snprintf(what, sizeof what, "%zu x \"%s\" (%zu bytes)", times, unit, len);
  expect_key_accepted(buf, len, what);
}

static void key_refused(const char *unit, size_t times) {
  static char buf[4000];
  char what[64];
  size_t len = repeat(buf, unit, times);
  snprintf(what, sizeof what, "%zu x \"%s\" (%zu bytes)", times, unit, len);
  expect_key_refused(buf, len, what);
}

static void partition_key_lengths(void **state) {
  (void)state;
  key_accepted("a", 1);
  key_accepted("\xe6\x97\xa5", 1);
  key_accepted("a", 255);
  key_accepted("a", 256);
  key_accepted("\xe6\x97\xa5", 256);       /* 256 x U+65E5, 768 bytes: the limit is in characters */
  key_accepted("\xf0\x9f\x98\x80", 256);   /* 1024 bytes */
  key_accepted("\xc3\xa9", 256);
  key_refused("a", 257);
  key_refused("\xe6\x97\xa5", 257);
  key_refused("\xf0\x9f\x98\x80", 257);
  key_refused("a", 1000);
  expect_key_refused("", 0, "empty");
}

static void partition_key_must_be_utf8(void **state) {
  (void)state;
  expect_key_refused("\xc3", 1, "truncated 2-byte");
  expect_key_refused("key\xff", 4, "byte ff");
  expect_key_refused("\xed\xa0\x80", 3, "surrogate U+D800");
  expect_key_refused("\xc0\xaf", 2, "overlong '/'");
  expect_key_refused("\xf4\x90\x80\x80", 4, "above U+10FFFF");
  expect_key_refused("a\x80", 2, "stray continuation");
  /* 256 characters, but the last one broken */
  static char buf[4000];
  size_t len = repeat(buf, "\xe6\x97\xa5", 256);
  expect_key_refused(buf, len - 1, "256 x nichi with the last byte cut");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counts_code_points),
      cmocka_unit_test(refuses_invalid),
      cmocka_unit_test(respects_len),
      cmocka_unit_test(partition_key_lengths),
      cmocka_unit_test(partition_key_must_be_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
