/* test_filter.c - event filtering: every operator with data that matches and data that does not, nested
 * fields, arrays in the data, partition keys, several patterns ORed, non-JSON data against data patterns, and
 * invalid patterns refused with the pattern's number and the path of the bad part. */
#include "test_support.h"

#include "shardlab/filter.h"

/* Matches data (and key "k") against one pattern. */
static int matches(const char *pattern, const char *data) {
  sl_filter_t *f;
  sl_error_t err;
  if (sl_filter_create(&pattern, 1, &f, &err) != SL_OK) fail_msg("pattern refused: %s", err.message);
  int m = sl_filter_match(f, "k", 1, data, strlen(data));
  sl_filter_destroy(f);
  return m;
}

static void exact_values(void **state) {
  (void)state;
  const char *p = "{\"data\": {\"type\": [\"order\", \"refund\"]}}";
  assert_true(matches(p, "{\"type\": \"order\"}"));
  assert_true(matches(p, "{\"type\": \"refund\", \"x\": 1}"));
  assert_false(matches(p, "{\"type\": \"Order\"}"));
  assert_false(matches(p, "{\"kind\": \"order\"}"));
  assert_true(matches("{\"data\": {\"n\": [5]}}", "{\"n\": 5.0}")); /* numbers compare as numbers */
  assert_true(matches("{\"data\": {\"ok\": [true]}}", "{\"ok\": true}"));
  assert_false(matches("{\"data\": {\"ok\": [true]}}", "{\"ok\": \"true\"}"));
  assert_true(matches("{\"data\": {\"v\": [null]}}", "{\"v\": null}"));
  assert_false(matches("{\"data\": {\"v\": [null]}}", "{}"));
}

static void prefix_suffix_anything_but(void **state) {
  (void)state;
  assert_true(matches("{\"data\": {\"region\": [{\"prefix\": \"eu-\"}]}}", "{\"region\": \"eu-west-1\"}"));
  assert_false(matches("{\"data\": {\"region\": [{\"prefix\": \"eu-\"}]}}", "{\"region\": \"us-east-1\"}"));
  assert_false(matches("{\"data\": {\"region\": [{\"prefix\": \"eu-\"}]}}", "{\"region\": 7}"));
  assert_true(matches("{\"data\": {\"file\": [{\"suffix\": \".png\"}]}}", "{\"file\": \"cat.png\"}"));
  assert_false(matches("{\"data\": {\"file\": [{\"suffix\": \".png\"}]}}", "{\"file\": \"cat.jpg\"}"));
  const char *not_test = "{\"data\": {\"env\": [{\"anything-but\": [\"test\", \"dev\"]}]}}";
  assert_true(matches(not_test, "{\"env\": \"prod\"}"));
  assert_false(matches(not_test, "{\"env\": \"dev\"}"));
  assert_false(matches(not_test, "{}")); /* anything-but needs the field */
  assert_true(matches("{\"data\": {\"env\": [{\"anything-but\": \"test\"}]}}", "{\"env\": \"prod\"}"));
  assert_false(matches("{\"data\": {\"env\": [{\"anything-but\": {\"prefix\": \"te\"}}]}}", "{\"env\": \"test\"}"));
  assert_true(matches("{\"data\": {\"env\": [{\"anything-but\": {\"prefix\": \"te\"}}]}}", "{\"env\": \"prod\"}"));
}

static void numeric_and_exists(void **state) {
  (void)state;
  const char *range = "{\"data\": {\"total\": [{\"numeric\": [\">\", 100, \"<=\", 200]}]}}";
  assert_true(matches(range, "{\"total\": 150}"));
  assert_true(matches(range, "{\"total\": 200}"));
  assert_false(matches(range, "{\"total\": 100}"));
  assert_false(matches(range, "{\"total\": 201.5}"));
  assert_false(matches(range, "{\"total\": \"150\"}"));
  assert_true(matches("{\"data\": {\"total\": [{\"numeric\": [\"=\", 3]}]}}", "{\"total\": 3}"));
  assert_true(matches("{\"data\": {\"id\": [{\"exists\": true}]}}", "{\"id\": null}"));
  assert_false(matches("{\"data\": {\"id\": [{\"exists\": true}]}}", "{\"other\": 1}"));
  assert_true(matches("{\"data\": {\"id\": [{\"exists\": false}]}}", "{\"other\": 1}"));
  assert_false(matches("{\"data\": {\"id\": [{\"exists\": false}]}}", "{\"id\": 1}"));
}

static void nested_arrays_and_keys(void **state) {
  (void)state;
  const char *nested = "{\"data\": {\"order\": {\"customer\": {\"tier\": [\"gold\"]}}}}";
  assert_true(matches(nested, "{\"order\": {\"customer\": {\"tier\": \"gold\", \"id\": 3}}}"));
  assert_false(matches(nested, "{\"order\": {\"customer\": {\"tier\": \"silver\"}}}"));
  assert_false(matches(nested, "{\"order\": {\"tier\": \"gold\"}}"));
  /* An array in the data matches when any element does. */
  assert_true(matches("{\"data\": {\"tags\": [\"urgent\"]}}", "{\"tags\": [\"a\", \"urgent\"]}"));
  assert_false(matches("{\"data\": {\"tags\": [\"urgent\"]}}", "{\"tags\": [\"a\", \"b\"]}"));
  /* Fields of one pattern AND together. */
  const char *both = "{\"data\": {\"a\": [1], \"b\": [2]}}";
  assert_true(matches(both, "{\"a\": 1, \"b\": 2}"));
  assert_false(matches(both, "{\"a\": 1, \"b\": 3}"));
  /* The partition key. */
  sl_filter_t *f;
  const char *p = "{\"partitionKey\": [{\"prefix\": \"eu-\"}]}";
  assert_int_equal(sl_filter_create(&p, 1, &f, NULL), SL_OK);
  assert_true(sl_filter_match(f, "eu-1", 4, "not json", 8));
  assert_false(sl_filter_match(f, "us-1", 4, "{}", 2));
  sl_filter_destroy(f);
}

static void patterns_or_and_non_json(void **state) {
  (void)state;
  const char *two[] = {"{\"data\": {\"type\": [\"a\"]}}", "{\"data\": {\"type\": [\"b\"]}}"};
  sl_filter_t *f;
  assert_int_equal(sl_filter_create(two, 2, &f, NULL), SL_OK);
  assert_true(sl_filter_match(f, "k", 1, "{\"type\": \"b\"}", 13));
  assert_false(sl_filter_match(f, "k", 1, "{\"type\": \"c\"}", 13));
  sl_filter_destroy(f);
  /* Data that is not JSON never matches a data pattern, not even exists: false. */
  assert_false(matches("{\"data\": {\"type\": [\"a\"]}}", "type=a"));
  assert_false(matches("{\"data\": {\"id\": [{\"exists\": false}]}}", "plain text"));
}

static void invalid_patterns(void **state) {
  (void)state;
  static const struct { const char *pattern, *message; } bad[] = {
      {"[1]", "filters[1]: a pattern is an object"},
      {"{\"data\": ", "filters[1]: not JSON"},
      {"{\"body\": {\"a\": [1]}}", "'body' cannot be filtered on"},
      {"{\"data\": {\"a\": 1}}", "data.a: a field's pattern is a non-empty list"},
      {"{\"data\": {\"a\": []}}", "data.a: a field's pattern is a non-empty list"},
      {"{\"data\": {\"a\": [{\"numeric\": [\">\"]}]}}", "data.a: numeric expects"},
      {"{\"data\": {\"a\": [{\"numeric\": [\"~\", 1]}]}}", "numeric expects operators"},
      {"{\"data\": {\"a\": [{\"prefix\": 1}]}}", "prefix and suffix take a string"},
      {"{\"data\": {\"a\": [{\"exists\": \"yes\"}]}}", "exists takes true or false"},
      {"{\"data\": {\"a\": [{\"wildcard\": \"*\"}]}}", "unknown operator 'wildcard'"},
      {"{\"data\": {\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}}", "exactly one operator"},
      {"{\"data\": {\"b\": {}}}", "data.b: an empty object matches nothing"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sl_filter_t *f = NULL;
    sl_error_t err;
    const char *p = bad[i].pattern;
    assert_int_equal(sl_filter_create(&p, 1, &f, &err), SL_EINVAL);
    if (strstr(err.message, bad[i].message) == NULL) fail_msg("%s: '%s' lacks '%s'", p, err.message, bad[i].message);
    assert_null(f);
  }
  const char *six[6] = {"{}", "{}", "{}", "{}", "{}", "{}"};
  sl_filter_t *f;
  sl_error_t err;
  assert_int_equal(sl_filter_create(six, 6, &f, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "at most 5"));
  const char *second[] = {"{\"data\": {\"a\": [1]}}", "{\"data\": {\"z\": {\"y\": [{\"numeric\": 5}]}}}"};
  assert_int_equal(sl_filter_create(second, 2, &f, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "filters[2]: data.z.y: numeric expects"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exact_values),           cmocka_unit_test(prefix_suffix_anything_but),
      cmocka_unit_test(numeric_and_exists),     cmocka_unit_test(nested_arrays_and_keys),
      cmocka_unit_test(patterns_or_and_non_json), cmocka_unit_test(invalid_patterns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
