/* test_lua_event.c - checks sl_event_push field by field against AWS's sample Kinesis event (the parsed
 * tests/reference/kinesis-event.json is walked next to the Lua table: every JSON key exists in Lua with the same
 * type and value, and the Lua table has no key the JSON lacks); that data of any bytes (0..255, empty, larger
 * than the stack buffer) arrives base64 and decodes back; that records keep their order; the eventID format;
 * that exactly one value is pushed; and the exact strings of the ARN helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_event.h"
#include "shardlab/base64.h"

static const sl_event_source_t aws_source = {"shardId-000000000006", "us-east-2",
                                             "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
                                             "arn:aws:iam::123456789012:role/lambda-role"};

#define AWS_SEQ "49590338271490256608559692538361571095921575989136588898"

static lua_State *new_lua(void) {
  lua_State *L = luaL_newstate();
  assert_non_null(L);
  luaL_openlibs(L);
  return L;
}

/* --- walking the reference JSON next to the Lua value ---------------------------------------------------- */

static void expect_equal(lua_State *L, int idx, const json_t *want, const char *path);

static void expect_object(lua_State *L, int idx, const json_t *want, const char *path) {
  if (lua_type(L, idx) != LUA_TTABLE) fail_msg("%s: a %s in Lua, an object in AWS's event", path, luaL_typename(L, idx));
  const char *key;
  const json_t *value;
  json_object_foreach((json_t *)want, key, value) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    lua_pushstring(L, key);
    if (lua_rawget(L, idx) == LUA_TNIL) fail_msg("%s: missing from the Lua event", sub);
    expect_equal(L, lua_gettop(L), value, sub);
    lua_pop(L, 1);
  }
  /* No key the reference lacks. */
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) fail_msg("%s: extra non-string key (a %s) in the Lua event", path, luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    if (json_object_get(want, k) == NULL) fail_msg("%s.%s: extra key in the Lua event, not in AWS's", path, k);
  }
}

static void expect_array(lua_State *L, int idx, const json_t *want, const char *path) {
  if (lua_type(L, idx) != LUA_TTABLE) fail_msg("%s: a %s in Lua, an array in AWS's event", path, luaL_typename(L, idx));
  size_t n = json_array_size(want), keys = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || (size_t)lua_tointeger(L, -1) > n)
      fail_msg("%s: key %s is not an index 1..%zu", path, luaL_tolstring(L, -1, NULL), n);
    keys++;
  }
  if (keys != n) fail_msg("%s: %zu entries in Lua, %zu in AWS's event", path, keys, n);
  for (size_t i = 0; i < n; i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s[%zu]", path, i + 1);
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    expect_equal(L, lua_gettop(L), json_array_get(want, i), sub);
    lua_pop(L, 1);
  }
}

static void expect_equal(lua_State *L, int idx, const json_t *want, const char *path) {
  int top = lua_gettop(L);
  switch (json_typeof(want)) {
  case JSON_OBJECT: expect_object(L, idx, want, path); break;
  case JSON_ARRAY: expect_array(L, idx, want, path); break;
  case JSON_STRING: {
    if (lua_type(L, idx) != LUA_TSTRING) fail_msg("%s: a %s in Lua, a string in AWS's event", path, luaL_typename(L, idx));
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (len != json_string_length(want) || memcmp(s, json_string_value(want), len) != 0)
      fail_msg("%s: '%s' in Lua, '%s' in AWS's event", path, s, json_string_value(want));
    break;
  }
  case JSON_REAL: /* AWS's timestamps are seconds with a fraction: a Lua float, equal */
    if (lua_type(L, idx) != LUA_TNUMBER || lua_isinteger(L, idx))
      fail_msg("%s: not a float in Lua (%s)", path, luaL_typename(L, idx));
    if (lua_tonumber(L, idx) != json_real_value(want))
      fail_msg("%s: %.17g in Lua, %.17g in AWS's event", path, lua_tonumber(L, idx), json_real_value(want));
    break;
  case JSON_INTEGER:
    if (lua_type(L, idx) != LUA_TNUMBER || lua_tonumber(L, idx) != (lua_Number)json_integer_value(want))
      fail_msg("%s: not the number %lld in Lua", path, (long long)json_integer_value(want));
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    if (lua_type(L, idx) != LUA_TBOOLEAN || lua_toboolean(L, idx) != json_is_true(want))
      fail_msg("%s: not the boolean of AWS's event", path);
    break;
  case JSON_NULL: fail_msg("%s: a null in AWS's event (not expected in a Kinesis event)", path); break;
  }
  lua_settop(L, top);
}

/* --- reading the built event --------------------------------------------------------------------------- */

/* Pushes event.Records[i].<field> (field "kinesis.x" reaches into kinesis) with raw access. */
static int push_field(lua_State *L, int event, lua_Integer i, const char *field) {
  lua_pushliteral(L, "Records");
  lua_rawget(L, event);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  lua_rawgeti(L, -1, i);
  lua_remove(L, -2);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  if (strncmp(field, "kinesis.", 8) == 0) {
    lua_pushliteral(L, "kinesis");
    lua_rawget(L, -2);
    lua_remove(L, -2);
    assert_int_equal(lua_type(L, -1), LUA_TTABLE);
    field += 8;
  }
  lua_pushstring(L, field);
  int type = lua_rawget(L, -2);
  lua_remove(L, -2);
  return type;
}

static void expect_string_field(lua_State *L, int event, lua_Integer i, const char *field, const char *want,
                                size_t want_len) {
  if (push_field(L, event, i, field) != LUA_TSTRING) fail_msg("Records[%lld].%s is not a string", (long long)i, field);
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  if (len != want_len || memcmp(s, want, len) != 0)
    fail_msg("Records[%lld].%s is '%s', expected '%.*s'", (long long)i, field, s, (int)want_len, want);
  lua_pop(L, 1);
}

static lua_Integer records_length(lua_State *L, int event) {
  lua_pushliteral(L, "Records");
  assert_int_equal(lua_rawget(L, event), LUA_TTABLE);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1), keys = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    assert_true(lua_isinteger(L, -1));
    keys++;
  }
  lua_pop(L, 1);
  assert_int_equal(keys, n); /* a sequence: keys exactly 1..n */
  return n;
}

/* Decodes Records[i].kinesis.data and compares it with the record's bytes. */
static void expect_data(lua_State *L, int event, lua_Integer i, const void *bytes, size_t len) {
  assert_int_equal(push_field(L, event, i, "kinesis.data"), LUA_TSTRING);
  size_t text_len;
  const char *text = lua_tolstring(L, -1, &text_len);
  assert_int_equal(text_len, SL_BASE64_ENCODED_LEN(len));
  unsigned char *out = malloc(text_len / 4 * 3 + 1);
  assert_non_null(out);
  size_t out_len = 0;
  sl_error_t err;
  int rc = sl_base64_decode(text, text_len, "data", out, &out_len, &err);
  if (rc != SL_OK) fail_msg("Records[%lld].kinesis.data: %s", (long long)i, err.message);
  assert_int_equal(out_len, len);
  if (len > 0) assert_memory_equal(out, bytes, len);
  free(out);
  lua_pop(L, 1);
}

/* --- tests --------------------------------------------------------------------------------------------- */

static void equals_aws_sample_field_by_field(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *reference = json_load_file(SHARDLAB_REFERENCE_DIR "/kinesis-event.json", 0, &jerr);
  if (reference == NULL) fail_msg("cannot load AWS's sample event: %s (line %d)", jerr.text, jerr.line);
  static const char data[] = "Hello, this is a test.";
  sl_event_record_t rec = {"1", 1, data, sizeof data - 1, AWS_SEQ, INT64_C(1545084650987)};
  lua_State *L = new_lua();
  lua_pushliteral(L, "below"); /* something of the caller's under the event */
  int top = lua_gettop(L);
  sl_event_push(L, &aws_source, &rec, 1);
  assert_int_equal(lua_gettop(L), top + 1); /* exactly the event */
  expect_equal(L, top + 1, reference, "$");
  assert_int_equal(lua_gettop(L), top + 1);
  assert_string_equal(lua_tostring(L, top), "below");
  /* The same state builds a second event just as well (the per-state cached parts are reused). */
  sl_event_push(L, &aws_source, &rec, 1);
  expect_equal(L, top + 2, reference, "$");
  lua_close(L);
  json_decref(reference);
}

static void data_of_every_byte_decodes_back(void **state) {
  (void)state;
  unsigned char bytes[256];
  for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
  sl_event_record_t recs[4] = {{"k", 1, bytes, 256, "1", 0},
                               {"k", 1, bytes, 255, "2", 0},
                               {"k", 1, bytes + 1, 254, "3", 0},
                               {"k", 1, bytes + 7, 1, "4", 0}};
  lua_State *L = new_lua();
  sl_event_push(L, &aws_source, recs, 4);
  int event = lua_gettop(L);
  for (lua_Integer i = 1; i <= 4; i++) expect_data(L, event, i, recs[i - 1].data, recs[i - 1].data_len);
  lua_close(L);
}

static void large_data_uses_the_heap_and_decodes_back(void **state) {
  (void)state;
  /* 1 MiB, the largest Kinesis record, beside small ones: the heap buffer grows and is freed (ASan). */
  size_t big = 1024 * 1024;
  unsigned char *bytes = malloc(big);
  assert_non_null(bytes);
  uint64_t x = 88172645463325252u;
  for (size_t i = 0; i < big; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes[i] = (unsigned char)x;
  }
  sl_event_record_t recs[4] = {{"a", 1, bytes, 10, "1", 1000},
                               {"b", 1, bytes, 5000, "2", 2000},
                               {"c", 1, bytes, big, "3", 3000},
                               {"d", 1, bytes + 3, 766, "4", 4000}};
  lua_State *L = new_lua();
  int top = lua_gettop(L);
  sl_event_push(L, &aws_source, recs, 4);
  assert_int_equal(lua_gettop(L), top + 1);
  int event = lua_gettop(L);
  assert_int_equal(records_length(L, event), 4);
  for (lua_Integer i = 1; i <= 4; i++) {
    expect_data(L, event, i, recs[i - 1].data, recs[i - 1].data_len);
    expect_string_field(L, event, i, "kinesis.partitionKey", recs[i - 1].partition_key, 1);
  }
  lua_close(L);
  free(bytes);
}

/* Batches of every size around the builder's internal grouping of records (16 a call) keep their order. */
static void records_keep_their_order(void **state) {
  (void)state;
  enum { N = 50 };
  char keys[N][16], seqs[N][64], datas[N][16];
  sl_event_record_t recs[N];
  for (int i = 0; i < N; i++) {
    snprintf(keys[i], sizeof keys[i], "key-%d", (i * 37) % N);
    snprintf(seqs[i], sizeof seqs[i], "4959033827149025660855969253836157109592157598913658%04d", i);
    snprintf(datas[i], sizeof datas[i], "payload %d", i);
    recs[i] = (sl_event_record_t){keys[i], strlen(keys[i]), datas[i], strlen(datas[i]), seqs[i],
                                  INT64_C(1700000000000) + i};
  }
  static const int counts[] = {1, 2, 15, 16, 17, 31, 32, 33, N};
  lua_State *L = new_lua();
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    int n = counts[c];
    sl_event_push(L, &aws_source, recs, (size_t)n);
    int event = lua_gettop(L);
    assert_int_equal(records_length(L, event), n);
    for (int i = 0; i < n; i++) {
      expect_string_field(L, event, i + 1, "kinesis.partitionKey", keys[i], strlen(keys[i]));
      expect_string_field(L, event, i + 1, "kinesis.sequenceNumber", seqs[i], strlen(seqs[i]));
      expect_data(L, event, i + 1, datas[i], strlen(datas[i]));
      assert_int_equal(push_field(L, event, i + 1, "kinesis.approximateArrivalTimestamp"), LUA_TNUMBER);
      assert_false(lua_isinteger(L, -1));
      assert_true(lua_tonumber(L, -1) == (double)(INT64_C(1700000000000) + i) / 1000.0);
      lua_pop(L, 1);
    }
    if (n >= 2) { /* records hold their own tables, not shared ones */
      push_field(L, event, 1, "kinesis");
      push_field(L, event, 2, "kinesis");
      assert_true(lua_topointer(L, -1) != lua_topointer(L, -2));
    }
    lua_settop(L, 0);
  }
  lua_close(L);
}

static void event_id_and_shared_fields(void **state) {
  (void)state;
  sl_event_source_t src = {"shardId-000000000042", "eu-west-1", "arn:aws:kinesis:eu-west-1:000000000000:stream/s",
                           "arn:aws:iam::000000000000:role/r"};
  sl_event_record_t recs[2] = {{"pk", 2, "x", 1, "111", INT64_C(1545084650000)},
                               {"pk", 2, "y", 1, "222", INT64_C(1)}};
  lua_State *L = new_lua();
  sl_event_push(L, &src, recs, 2);
  int event = lua_gettop(L);
  static const char id1[] = "shardId-000000000042:111", id2[] = "shardId-000000000042:222";
  expect_string_field(L, event, 1, "eventID", id1, sizeof id1 - 1);
  expect_string_field(L, event, 2, "eventID", id2, sizeof id2 - 1);
  for (lua_Integer i = 1; i <= 2; i++) {
    expect_string_field(L, event, i, "eventSource", "aws:kinesis", 11);
    expect_string_field(L, event, i, "eventVersion", "1.0", 3);
    expect_string_field(L, event, i, "eventName", "aws:kinesis:record", 18);
    expect_string_field(L, event, i, "kinesis.kinesisSchemaVersion", "1.0", 3);
    expect_string_field(L, event, i, "awsRegion", src.region, strlen(src.region));
    expect_string_field(L, event, i, "eventSourceARN", src.event_source_arn, strlen(src.event_source_arn));
    expect_string_field(L, event, i, "invokeIdentityArn", src.invoke_identity_arn, strlen(src.invoke_identity_arn));
  }
  /* A whole second is still a float, as in JSON it is 1545084650.0 seconds, and milliseconds divide exactly. */
  assert_int_equal(push_field(L, event, 1, "kinesis.approximateArrivalTimestamp"), LUA_TNUMBER);
  assert_false(lua_isinteger(L, -1));
  assert_true(lua_tonumber(L, -1) == 1545084650.0);
  lua_pop(L, 1);
  assert_int_equal(push_field(L, event, 2, "kinesis.approximateArrivalTimestamp"), LUA_TNUMBER);
  assert_true(lua_tonumber(L, -1) == 0.001);
  lua_pop(L, 1);
  lua_close(L);
}

static void zero_length_data_and_odd_keys(void **state) {
  (void)state;
  static const char key_with_nul[] = {'a', '\0', 'b'};
  sl_event_record_t recs[3] = {{"k", 1, NULL, 0, "1", 0},
                               {key_with_nul, 3, "", 0, "2", 0},
                               {"abcdef", 3, "z", 1, "3", 0}}; /* the key is not NUL-terminated at key_len */
  lua_State *L = new_lua();
  sl_event_push(L, &aws_source, recs, 3);
  int event = lua_gettop(L);
  expect_string_field(L, event, 1, "kinesis.data", "", 0);
  expect_string_field(L, event, 2, "kinesis.data", "", 0);
  expect_string_field(L, event, 2, "kinesis.partitionKey", key_with_nul, 3);
  expect_string_field(L, event, 3, "kinesis.partitionKey", "abc", 3);
  expect_string_field(L, event, 3, "kinesis.data", "eg==", 4);
  lua_close(L);
}

static void empty_batch_has_empty_records(void **state) {
  (void)state;
  lua_State *L = new_lua();
  int top = lua_gettop(L);
  sl_event_push(L, &aws_source, NULL, 0);
  assert_int_equal(lua_gettop(L), top + 1);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  assert_int_equal(records_length(L, lua_gettop(L)), 0);
  lua_close(L);
}

static void handlers_see_the_event_in_lua(void **state) {
  (void)state;
  sl_event_record_t rec = {"1", 1, "Hello, this is a test.", 22, AWS_SEQ, INT64_C(1545084650987)};
  lua_State *L = new_lua();
  sl_event_push(L, &aws_source, &rec, 1);
  lua_setglobal(L, "event");
  if (luaL_dostring(L, "local r = event.Records[1]\n"
                       "assert(#event.Records == 1)\n"
                       "assert(math.type(r.kinesis.approximateArrivalTimestamp) == 'float')\n"
                       "assert(r.kinesis.approximateArrivalTimestamp == 1545084650.987)\n"
                       "assert(r.kinesis.data == 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==')\n"
                       "assert(r.eventID == r.kinesis.sequenceNumber:gsub('^', 'shardId-000000000006:'))\n"
                       "r.kinesis.data = 'changed'  -- tables belong to the handler\n") != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  sl_event_push(L, &aws_source, &rec, 1); /* a later event is not affected */
  lua_setglobal(L, "event");
  if (luaL_dostring(L, "assert(event.Records[1].kinesis.data == 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==')") != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  lua_close(L);
}

static void arn_helpers(void **state) {
  (void)state;
  char buf[128];
  static const char stream[] = "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream";
  static const char function[] = "arn:aws:lambda:us-east-2:123456789012:function:my-function";
  assert_int_equal(sl_arn_stream(buf, sizeof buf, "us-east-2", "123456789012", "lambda-stream"), sizeof stream - 1);
  assert_string_equal(buf, stream);
  assert_int_equal(sl_arn_function(buf, sizeof buf, "us-east-2", "123456789012", "my-function"), sizeof function - 1);
  assert_string_equal(buf, function);
  /* A short buffer gets a NUL-terminated prefix, never an overrun. */
  char small[12];
  sl_arn_stream(small, sizeof small, "us-east-2", "123456789012", "lambda-stream");
  assert_string_equal(small, "arn:aws:kin");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(equals_aws_sample_field_by_field),
      cmocka_unit_test(data_of_every_byte_decodes_back),
      cmocka_unit_test(large_data_uses_the_heap_and_decodes_back),
      cmocka_unit_test(records_keep_their_order),
      cmocka_unit_test(event_id_and_shared_fields),
      cmocka_unit_test(zero_length_data_and_odd_keys),
      cmocka_unit_test(empty_batch_has_empty_records),
      cmocka_unit_test(handlers_see_the_event_in_lua),
      cmocka_unit_test(arn_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
