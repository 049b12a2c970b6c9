/* test_json.c - sl.json: round trips of nested tables, arrays, unicode and numbers; exact encoded text;
 * json.null and empty arrays; AWS's sample event decoded; errors with line and column or the path to the bad
 * value; depth limits that fail cleanly; sl_json_from_lua never raising. */
#include "test_lua_support.h"

static void round_trips(void **state) {
  (void)state;
  lua_State *L = test_lua();
  test_run(L,
           "local v = { a = { 1, 2, { c = true, d = false } }, s = 'caf\\u{e9} \\u{65e5}\\u{672c} \\u{1F600}',\n"
           "            big = math.maxinteger, small = math.mininteger, f = 0.1, huge = 1e300, neg = -2.5,\n"
           "            nested = { { { { 'deep' } } } } }\n"
           "local back = json.decode(json.encode(v))\n"
           "assert(back.a[3].c == true and back.a[3].d == false and #back.a == 3)\n"
           "assert(back.s == v.s, back.s)\n"
           "assert(math.type(back.big) == 'integer' and back.big == math.maxinteger)\n"
           "assert(back.small == math.mininteger and back.f == 0.1 and back.huge == 1e300 and back.neg == -2.5)\n"
           "assert(back.nested[1][1][1][1] == 'deep')\n"
           "assert(json.decode('\"\\\\u00e9\"') == '\\u{e9}')\n"
           "assert(json.decode('9007199254740993') == 9007199254740993)\n");
  lua_close(L);
}

static void exact_text(void **state) {
  (void)state;
  lua_State *L = test_lua();
  test_run(L, "return json.encode({ b = 1, a = { 1, 2, { c = true } } })");
  assert_string_equal(lua_tostring(L, -1), "{\"a\":[1,2,{\"c\":true}],\"b\":1}");
  test_run(L, "return json.encode({})");
  assert_string_equal(lua_tostring(L, -1), "{}");
  test_run(L, "return json.encode(setmetatable({}, json.array_mt))");
  assert_string_equal(lua_tostring(L, -1), "[]");
  test_run(L, "return json.encode({ 1, json.null, 3 })");
  assert_string_equal(lua_tostring(L, -1), "[1,null,3]");
  test_run(L, "return json.encode({ [1] = 'a', [3] = 'c' })"); /* not a sequence: integer keys as strings */
  assert_string_equal(lua_tostring(L, -1), "{\"1\":\"a\",\"3\":\"c\"}");
  test_run(L, "return json.encode('x'), json.encode(nil), json.encode(1.5)");
  assert_string_equal(lua_tostring(L, -3), "\"x\"");
  assert_string_equal(lua_tostring(L, -2), "null");
  assert_string_equal(lua_tostring(L, -1), "1.5");
  test_run(L, "return json.encode({ a = 1 }, { indent = 2 })");
  assert_string_equal(lua_tostring(L, -1), "{\n  \"a\": 1\n}");
  lua_close(L);
}

static void nulls_and_empty_arrays_survive(void **state) {
  (void)state;
  lua_State *L = test_lua();
  test_run(L, "local t = json.decode('[1,null,3]')\n"
              "assert(#t == 3 and t[2] == json.null)\n"
              "local o = json.decode('{\"a\":null,\"e\":[]}')\n"
              "assert(o.a == json.null)\n"
              "assert(json.encode(o) == '{\"a\":null,\"e\":[]}', json.encode(o))\n");
  lua_close(L);
}

static void decodes_aws_sample_event(void **state) {
  (void)state;
  lua_State *L = test_lua();
  test_run(L, "local f = assert(io.open('" SHARDLAB_REFERENCE_DIR "/kinesis-event.json'))\n"
              "local e = json.decode(f:read('a')) f:close()\n"
              "local r = e.Records[1]\n"
              "assert(r.kinesis.partitionKey == '1')\n"
              "assert(r.kinesis.approximateArrivalTimestamp == 1545084650.987)\n"
              "assert(r.eventID == 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898')\n");
  lua_close(L);
}

static void errors_say_where(void **state) {
  (void)state;
  lua_State *L = test_lua();
  const char *m = test_raises(L, "json.decode('{\"a\":\\n  ')");
  assert_non_null(strstr(m, "json.decode: line 2 column"));
  m = test_raises(L, "json.encode({ f = print })");
  assert_non_null(strstr(m, "$.f: a function cannot be encoded"));
  m = test_raises(L, "json.encode({ 1, { x = { coroutine.create(print) } } })");
  assert_non_null(strstr(m, "$[2].x[1]: a thread cannot be encoded"));
  m = test_raises(L, "json.encode({ n = 0/0 })");
  assert_non_null(strstr(m, "NaN"));
  m = test_raises(L, "json.encode({ s = '\\xff' })");
  assert_non_null(strstr(m, "not valid UTF-8"));
  m = test_raises(L, "local t = {} t.self = t json.encode(t)");
  assert_non_null(strstr(m, "nesting deeper than 200"));
  m = test_raises(L, "json.decode(string.rep('[', 300) .. string.rep(']', 300))");
  assert_non_null(strstr(m, "nesting deeper than 200"));
  m = test_raises(L, "json.encode({ [true] = 1 })");
  assert_non_null(strstr(m, "a boolean key cannot be encoded"));
  lua_close(L);
}

static void from_lua_never_raises(void **state) {
  (void)state;
  lua_State *L = test_lua();
  test_run(L, "return { ok = 1, bad = { print } }");
  int top = lua_gettop(L);
  char err[128];
  assert_null(sl_json_from_lua(L, -1, err, sizeof err));
  assert_string_equal(err, "$.bad[1]: a function cannot be encoded");
  assert_int_equal(lua_gettop(L), top);
  test_run(L, "return { 'fine' }");
  json_t *v = sl_json_from_lua(L, -1, err, sizeof err);
  assert_non_null(v);
  assert_string_equal(json_string_value(json_array_get(v, 0)), "fine");
  json_decref(v);
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trips),          cmocka_unit_test(exact_text),
      cmocka_unit_test(nulls_and_empty_arrays_survive), cmocka_unit_test(decodes_aws_sample_event),
      cmocka_unit_test(errors_say_where),     cmocka_unit_test(from_lua_never_raises),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
