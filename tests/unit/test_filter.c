/* test_filter.c - event filtering: every operator with data that matches and data that does not (AWS's own
 * examples where its pages give them: the comparison operator tables of the AWS Lambda guide, "Control which
 * events Lambda sends to your function", and of the EventBridge user guide, "Comparison operators for use in
 * event patterns in Amazon EventBridge"), nested fields, arrays in the data, $or, several patterns ORed, non-JSON
 * data, patterns on anything but data refused (AWS Lambda guide, "Using event filtering with a Kinesis event
 * source"), and invalid patterns refused with the pattern's number and the path of the bad part. */
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

/* matches() with ' for " in both texts, so AWS's examples read as on its pages. */
static int m(const char *pattern, const char *data) {
  char p[512], d[512];
  snprintf(p, sizeof p, "%s", pattern);
  snprintf(d, sizeof d, "%s", data);
  for (char *c = p; *c; c++) if (*c == '\'') *c = '"';
  for (char *c = d; *c; c++) if (*c == '\'') *c = '"';
  return matches(p, d);
}

/* The Lambda guide's table ("Control which events Lambda sends to your function"), row by row, on data. */
static void lambda_table(void **state) {
  (void)state;
  assert_true(m("{'data': {'UserID': [null]}}", "{'UserID': null}"));             /* Null */
  assert_false(m("{'data': {'UserID': [null]}}", "{'UserID': 'u1'}"));
  assert_true(m("{'data': {'LastName': ['']}}", "{'LastName': ''}"));              /* Empty */
  assert_false(m("{'data': {'LastName': ['']}}", "{'LastName': 'Doe'}"));
  assert_true(m("{'data': {'Name': ['Alice']}}", "{'Name': 'Alice'}"));            /* Equals */
  assert_false(m("{'data': {'Name': ['Alice']}}", "{'Name': 'alice'}"));
  const char *ic = "{'data': {'Name': [{'equals-ignore-case': 'alice'}]}}";        /* Equals (ignore case) */
  assert_true(m(ic, "{'Name': 'Alice'}"));
  assert_true(m(ic, "{'Name': 'ALICE'}"));
  assert_false(m(ic, "{'Name': 'Alicia'}"));
  assert_false(m(ic, "{'Name': 'alic'}"));
  assert_false(m(ic, "{'Name': 5}"));
  const char *and = "{'data': {'Location': ['New York'], 'Day': ['Monday']}}";       /* And */
  assert_true(m(and, "{'Location': 'New York', 'Day': 'Monday'}"));
  assert_false(m(and, "{'Location': 'New York', 'Day': 'Tuesday'}"));
  const char *or = "{'data': {'PaymentType': ['Credit', 'Debit']}}";                /* Or */
  assert_true(m(or, "{'PaymentType': 'Debit'}"));
  assert_false(m(or, "{'PaymentType': 'Cash'}"));
  const char *not = "{'data': {'Weather': [{'anything-but': ['Raining']}]}}";       /* Not */
  assert_true(m(not, "{'Weather': 'Sunny'}"));
  assert_false(m(not, "{'Weather': 'Raining'}"));
  assert_true(m("{'data': {'Price': [{'numeric': ['=', 100]}]}}", "{'Price': 100}")); /* Numeric (equals) */
  assert_false(m("{'data': {'Price': [{'numeric': ['=', 100]}]}}", "{'Price': 101}"));
  const char *range = "{'data': {'Price': [{'numeric': ['>', 10, '<=', 20]}]}}";  /* Numeric (range) */
  assert_true(m(range, "{'Price': 20}"));
  assert_false(m(range, "{'Price': 10}"));
  assert_true(m("{'data': {'ProductName': [{'exists': true}]}}", "{'ProductName': 'x'}")); /* Exists */
  assert_false(m("{'data': {'ProductName': [{'exists': false}]}}", "{'ProductName': 'x'}")); /* Does not exist */
  assert_true(m("{'data': {'Region': [{'prefix': 'us-'}]}}", "{'Region': 'us-east-1'}")); /* Begins with */
  assert_false(m("{'data': {'Region': [{'prefix': 'us-'}]}}", "{'Region': 'eu-west-1'}"));
  assert_true(m("{'data': {'FileName': [{'suffix': '.png'}]}}", "{'FileName': 'a.png'}")); /* Ends with */
  assert_false(m("{'data': {'FileName': [{'suffix': '.png'}]}}", "{'FileName': 'a.PNG'}"));
}

/* The EventBridge table's rows that the Lambda table leaves out ("Comparison operators for use in event
 * patterns in Amazon EventBridge"). */
static void eventbridge_table(void **state) {
  (void)state;
  const char *pre = "{'data': {'service': [{'prefix': {'equals-ignore-case': 'eventb'}}]}}"; /* Begins with (ignore case) */
  assert_true(m(pre, "{'service': 'EventBridge'}"));
  assert_true(m(pre, "{'service': 'EVENTBUS'}"));
  assert_false(m(pre, "{'service': 'lambda'}"));
  assert_false(m(pre, "{'service': 'Event'}"));
  const char *suf = "{'data': {'service': [{'suffix': {'equals-ignore-case': 'tbridge'}}]}}"; /* Ends with (ignore case) */
  assert_true(m(suf, "{'service': 'EvenTBRIDGE'}"));
  assert_false(m(suf, "{'service': 'bridge'}"));
  const char *abp = "{'data': {'Region': [{'anything-but': {'prefix': 'us-'}}]}}";  /* Anything-but (begins with) */
  assert_true(m(abp, "{'Region': 'eu-west-1'}"));
  assert_false(m(abp, "{'Region': 'us-east-1'}"));
  const char *abs = "{'data': {'FileName': [{'anything-but': {'suffix': '.png'}}]}}"; /* Anything-but (ends with) */
  assert_true(m(abs, "{'FileName': 'a.jpg'}"));
  assert_false(m(abs, "{'FileName': 'a.png'}"));
  const char *abi = "{'data': {'state': [{'anything-but': {'equals-ignore-case': 'initializing'}}]}}"; /* (ignore case) */
  assert_true(m(abi, "{'state': 'running'}"));
  assert_false(m(abi, "{'state': 'INITIALIZING'}"));
  assert_false(m(abi, "{'state': 'initializing'}"));
  const char *abil = "{'data': {'state': [{'anything-but': {'equals-ignore-case': ['a', 'B']}}]}}";
  assert_true(m(abil, "{'state': 'c'}"));
  assert_false(m(abil, "{'state': 'b'}"));
  const char *abw = "{'data': {'FilePath': [{'anything-but': {'wildcard': '*/lib/*'}}]}}"; /* using a wildcard */
  assert_true(m(abw, "{'FilePath': '/usr/bin/ls'}"));
  assert_false(m(abw, "{'FilePath': '/usr/lib/libc.so'}"));
  const char *abwl = "{'data': {'FilePath': [{'anything-but': {'wildcard': ['*/lib/*', '*.tmp']}}]}}";
  assert_true(m(abwl, "{'FilePath': '/usr/bin/ls'}"));
  assert_false(m(abwl, "{'FilePath': '/home/x.tmp'}"));
  const char *w = "{'data': {'FileName': [{'wildcard': 'dir/*.png'}]}}";            /* Wildcard */
  assert_true(m(w, "{'FileName': 'dir/cat.png'}"));
  assert_true(m(w, "{'FileName': 'dir/.png'}"));   /* * matches zero characters too */
  assert_true(m(w, "{'FileName': 'dir/a/b.png'}")); /* and any characters, / included */
  assert_false(m(w, "{'FileName': 'dir/cat.png.txt'}"));
  assert_false(m(w, "{'FileName': 'other/cat.png'}"));
  assert_false(m(w, "{'FileName': 7}"));
  assert_true(m("{'data': {'a': [{'wildcard': '*a*b*'}]}}", "{'a': 'xxaxxbxx'}"));
  assert_false(m("{'data': {'a': [{'wildcard': '*a*b*'}]}}", "{'a': 'xxbxxaxx'}"));
  assert_true(m("{'data': {'a': [{'wildcard': 'no star'}]}}", "{'a': 'no star'}"));
  assert_false(m("{'data': {'a': [{'wildcard': 'no star'}]}}", "{'a': 'no stars'}"));
}

/* \* is a literal star, \\ a literal backslash (EventBridge's wildcard escaping). */
static void wildcard_escapes(void **state) {
  (void)state;
  const char *star = "{\"data\": {\"a\": [{\"wildcard\": \"x\\\\*y\"}]}}";   /* x\*y */
  assert_true(matches(star, "{\"a\": \"x*y\"}"));
  assert_false(matches(star, "{\"a\": \"xzy\"}"));
  const char *slash = "{\"data\": {\"a\": [{\"wildcard\": \"x\\\\\\\\*\"}]}}"; /* x\\* */
  assert_true(matches(slash, "{\"a\": \"x\\\\anything\"}"));
  assert_false(matches(slash, "{\"a\": \"xanything\"}"));
}

/* $or (EventBridge: "Location is New York, or Day is Monday"), inside data and around whole patterns. */
static void or_operator(void **state) {
  (void)state;
  const char *or = "{'data': {'$or': [{'Location': ['New York']}, {'Day': ['Monday']}]}}";
  assert_true(m(or, "{'Location': 'New York', 'Day': 'Sunday'}"));
  assert_true(m(or, "{'Location': 'Boston', 'Day': 'Monday'}"));
  assert_false(m(or, "{'Location': 'Boston', 'Day': 'Sunday'}"));
  const char *and_or = "{'data': {'kind': ['a'], '$or': [{'n': [{'numeric': ['>', 5]}]}, {'tag': ['x']}]}}";
  assert_true(m(and_or, "{'kind': 'a', 'n': 9}"));
  assert_false(m(and_or, "{'kind': 'b', 'n': 9}"));
  assert_false(m(and_or, "{'kind': 'a', 'n': 1, 'tag': 'y'}"));
  const char *nested = "{'data': {'o': {'$or': [{'a': [1]}, {'b': {'c': [2]}}]}}}";
  assert_true(m(nested, "{'o': {'b': {'c': 2}}}"));
  assert_false(m(nested, "{'b': {'c': 2}}"));
  const char *top = "{'$or': [{'data': {'a': [1]}}, {'data': {'b': [2]}}]}";
  assert_true(m(top, "{'b': 2}"));
  assert_false(m(top, "{'a': 2, 'b': 1}"));
}

/* Kinesis mappings filter on data only: any other top-level key is refused, with AWS's sentence. */
static void data_key_only(void **state) {
  (void)state;
  static const char *const other[] = {"{\"partitionKey\": [\"1\"]}",
                                      "{\"partitionKey\": [\"1\"], \"data\": {\"Location\": [\"Los Angeles\"]}}",
                                      "{\"data\": {\"a\": [1]}, \"sequenceNumber\": [{\"exists\": true}]}"};
  static const char *const named[] = {"partitionKey", "partitionKey", "sequenceNumber"};
  for (size_t i = 0; i < 3; i++) {
    sl_filter_t *f = NULL;
    sl_error_t err;
    char want[200];
    snprintf(want, sizeof want, "filters[1]: Kinesis event source mappings only support filtering on the data key "
             "(AWS Lambda guide, event filtering with Kinesis); \"%s\" is not allowed", named[i]);
    assert_int_equal(sl_filter_create(&other[i], 1, &f, &err), SL_EINVAL);
    if (strcmp(err.message, want) != 0) fail_msg("'%s' is not '%s'", err.message, want);
    assert_null(f);
  }
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
  /* The partition key is never looked at: only data patterns exist (the key "eu-1" changes nothing). */
  sl_filter_t *f;
  const char *p = "{\"data\": {\"region\": [{\"prefix\": \"eu-\"}]}}";
  assert_int_equal(sl_filter_create(&p, 1, &f, NULL), SL_OK);
  const char *us = "{\"region\": \"us-1\"}", *eu = "{\"region\": \"eu-1\"}";
  assert_false(sl_filter_match(f, "eu-1", 4, us, strlen(us)));
  assert_true(sl_filter_match(f, "us-1", 4, eu, strlen(eu)));
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
      {"{\"body\": {\"a\": [1]}}", "only support filtering on the data key"},
      {"{\"data\": {\"a\": 1}}", "data.a: a field's pattern is a non-empty list"},
      {"{\"data\": {\"a\": []}}", "data.a: a field's pattern is a non-empty list"},
      {"{\"data\": {\"a\": [{\"numeric\": [\">\"]}]}}", "data.a: numeric expects"},
      {"{\"data\": {\"a\": [{\"numeric\": [\"~\", 1]}]}}", "numeric expects operators"},
      {"{\"data\": {\"a\": [{\"prefix\": 1}]}}", "prefix and suffix take a string"},
      {"{\"data\": {\"a\": [{\"exists\": \"yes\"}]}}", "exists takes true or false"},
      {"{\"data\": {\"a\": [{\"contains\": \"x\"}]}}", "unknown operator 'contains'"},
      {"{\"data\": {\"a\": [{\"wildcard\": \"a**b\"}]}}", "data.a: wildcard: consecutive wildcard characters"},
      {"{\"data\": {\"a\": [{\"wildcard\": \"a\\\\b\"}]}}", "a backslash escapes only * or a backslash"},
      {"{\"data\": {\"a\": [{\"wildcard\": 3}]}}", "wildcard takes a string"},
      {"{\"data\": {\"a\": [{\"equals-ignore-case\": 3}]}}", "equals-ignore-case takes a string"},
      {"{\"data\": {\"a\": [{\"prefix\": {\"wildcard\": \"x\"}}]}}", "prefix and suffix take a string or"},
      {"{\"data\": {\"a\": [{\"anything-but\": {\"numeric\": [\">\", 1]}}]}}", "anything-but takes a value"},
      {"{\"data\": {\"a\": [{\"anything-but\": {\"wildcard\": \"**\"}}]}}", "consecutive wildcard"},
      {"{\"data\": {\"a\": [{\"anything-but\": {\"prefix\": [\"x\"]}}]}}", "anything-but: prefix and suffix take a string"},
      {"{\"data\": {\"$or\": [{\"a\": [1]}]}}", "data.$or: $or takes a list of at least two patterns"},
      {"{\"data\": {\"$or\": [{\"a\": [1]}, {\"b\": 2}]}}", "data.$or[2].b: a field's pattern"},
      {"{\"$or\": [{\"data\": {\"a\": [1]}}, {\"partitionKey\": [\"k\"]}]}", "$or[2]: Kinesis event source mappings only"},
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
  const char *eleven[11] = {"{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}", "{}"};
  sl_filter_t *f;
  sl_error_t err;
  assert_int_equal(sl_filter_create(eleven, 11, &f, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "at most 10"));
  const char *ten[10];
  for (size_t i = 0; i < 10; i++) ten[i] = "{\"data\": {\"a\": [1]}}";
  assert_int_equal(sl_filter_create(ten, 10, &f, NULL), SL_OK); /* the raised quota's 10 compile */
  sl_filter_destroy(f);
  const char *second[] = {"{\"data\": {\"a\": [1]}}", "{\"data\": {\"z\": {\"y\": [{\"numeric\": 5}]}}}"};
  assert_int_equal(sl_filter_create(second, 2, &f, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "filters[2]: data.z.y: numeric expects"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exact_values),           cmocka_unit_test(prefix_suffix_anything_but),
      cmocka_unit_test(numeric_and_exists),     cmocka_unit_test(nested_arrays_and_keys),
      cmocka_unit_test(patterns_or_and_non_json), cmocka_unit_test(invalid_patterns),
      cmocka_unit_test(lambda_table),           cmocka_unit_test(eventbridge_table),
      cmocka_unit_test(wildcard_escapes),       cmocka_unit_test(or_operator),
      cmocka_unit_test(data_key_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
