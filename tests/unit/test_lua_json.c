/* test_lua_json.c - checks sl.json (lua_json.c) from Lua snippets and from C: round trips of nested tables,
 * arrays, unicode strings, integers at the edges of lua_Integer, floats, booleans and null (array length kept
 * with null in the middle); the exact compact, key-sorted text encode gives, {} versus [] for empty tables, and
 * the indent/sort_keys options; decoding AWS's sample Kinesis event (tests/reference/kinesis-event.json); the
 * error messages (decode line/column, paths like "$.f" and "$[2]", NaN, cycles, invalid UTF-8, nesting past
 * SL_JSON_MAX_DEPTH both ways); and that sl_json_from_lua reports errors through its buffer without raising
 * and leaves the stack as it found it. Run under ASan, the error paths also check nothing leaks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_json.h"

#ifndef SHARDLAB_REFERENCE_DIR
#error "SHARDLAB_REFERENCE_DIR must name tests/reference"
#endif

/* --- helpers -------------------------------------------------------------------------------------------- */

static lua_State *new_lua(void) {
  lua_State *L = luaL_newstate();
  assert_non_null(L);
  luaL_openlibs(L);
  int top = lua_gettop(L);
  assert_int_equal(sl_json_open(L), 1);
  assert_int_equal(lua_gettop(L), top + 1);
  lua_setglobal(L, "json");
  return L;
}

static int setup(void **state) {
  *state = new_lua();
  return 0;
}

static int teardown(void **state) {
  lua_close(*state);
  return 0;
}

/* Runs code (which may return values and call assert()); fails the test on a Lua error. */
static void run(lua_State *L, const char *code) {
  lua_settop(L, 0);
  if (luaL_dostring(L, code) != LUA_OK) fail_msg("Lua error: %s\nin: %s", lua_tostring(L, -1), code);
}

/* Runs code returning one string and checks it. */
static void run_string(lua_State *L, const char *code, const char *expected) {
  run(L, code);
  assert_int_equal(lua_gettop(L), 1);
  assert_int_equal(lua_type(L, 1), LUA_TSTRING);
  assert_string_equal(lua_tostring(L, 1), expected);
}

/* Runs code that must raise and checks that the message contains each of the fragments (NULL-terminated). */
static void run_raises(lua_State *L, const char *code, ...) {
  lua_settop(L, 0);
  if (luaL_dostring(L, code) == LUA_OK) fail_msg("no error from: %s", code);
  const char *msg = lua_tostring(L, -1);
  assert_non_null(msg);
  va_list ap;
  va_start(ap, code);
  for (const char *want = va_arg(ap, const char *); want != NULL; want = va_arg(ap, const char *)) {
    if (strstr(msg, want) == NULL) {
      va_end(ap);
      fail_msg("error from %s\nis \"%s\", lacks \"%s\"", code, msg, want);
    }
  }
  va_end(ap);
}

/* --- round trips ---------------------------------------------------------------------------------------- */

static void test_round_trip_nested(void **state) {
  lua_State *L = *state;
  run(L, "local v = {name = 'x', list = {1, 2, {deep = {deeper = {'a', 'b'}}}}, flag = false, on = true,\n"
         "           obj = {k = {}}}\n"
         "local t = json.decode(json.encode(v))\n"
         "assert(t.name == 'x' and t.flag == false and t.on == true)\n"
         "assert(#t.list == 3 and t.list[1] == 1 and t.list[2] == 2)\n"
         "assert(t.list[3].deep.deeper[1] == 'a' and t.list[3].deep.deeper[2] == 'b' and #t.list[3].deep.deeper == 2)\n"
         "assert(type(t.obj.k) == 'table' and next(t.obj.k) == nil)\n"
         "assert(json.encode(t) == json.encode(v))\n"
         "local n = 0 for _ in pairs(t) do n = n + 1 end assert(n == 5)\n");
}

static void test_round_trip_unicode(void **state) {
  lua_State *L = *state;
  run(L, "for _, s in ipairs({'é', '日本語', '😀', '', 'a\\0b', 'quote\" back\\\\ nl\\n tab\\t'}) do\n"
         "  local back = json.decode(json.encode(s))\n"
         "  assert(back == s, s)\n"
         "  if not s:find('\\0', 1, true) then -- jansson's decoder refuses NUL in object keys\n"
         "    local t = json.decode(json.encode({k = s, [s .. 'key'] = s}))\n"
         "    assert(t.k == s and t[s .. 'key'] == s)\n"
         "  end\n"
         "end\n"
         "assert(json.encode({['a\\0b'] = 1}) == '{\"a\\\\u0000b\":1}')\n"
         "assert(not pcall(json.decode, '{\"a\\\\u0000b\":1}'))\n"
         "assert(json.decode('\"\\\\u00e9\"') == 'é')\n"
         "assert(json.decode('\"\\\\u65e5\\\\u672c\\\\u8a9e\"') == '日本語')\n"
         "assert(json.decode('\"\\\\ud83d\\\\ude00\"') == '😀')\n"
         "assert(json.decode('\"a\\\\u0000b\"') == 'a\\0b' and #json.decode('\"a\\\\u0000b\"') == 3)\n"
         "assert(json.encode('é') == '\"é\"')\n"
         "assert(json.encode('a\\0b') == '\"a\\\\u0000b\"')\n");
}

static void test_round_trip_integers(void **state) {
  lua_State *L = *state;
  run(L, "for _, n in ipairs({0, 1, -1, (1 << 53) + 1, math.maxinteger, math.mininteger, -(1 << 53) - 1}) do\n"
         "  assert(math.type(n) == 'integer')\n"
         "  local back = json.decode(json.encode(n))\n"
         "  assert(math.type(back) == 'integer', tostring(n))\n"
         "  assert(back == n, tostring(n))\n"
         "end\n"
         "assert(json.encode(9007199254740993) == '9007199254740993')\n"
         "assert(json.encode(math.mininteger) == '-9223372036854775808')\n"
         "assert(json.decode('-9223372036854775808') == math.mininteger)\n"
         "assert(math.type(json.decode('9007199254740993')) == 'integer')\n"
         "assert(json.decode('9007199254740993') == 9007199254740993)\n"
         "assert(json.decode('[9007199254740993]')[1] == 9007199254740993)\n");
}

static void test_round_trip_floats(void **state) {
  lua_State *L = *state;
  run(L, "for _, x in ipairs({0.1, 1e300, -1e300, 1.5, -0.25, 1.0, 5e-324, 2^63, 1/3}) do\n"
         "  local back = json.decode(json.encode(x))\n"
         "  assert(math.type(back) == 'float', tostring(x))\n"
         "  assert(back == x, tostring(x))\n"
         "end\n"
         "assert(json.decode('1e300') == 1e300 and json.decode('0.1') == 0.1)\n"
         "assert(math.type(json.decode('2.0')) == 'float')\n"
         "assert(math.type(json.encode(1.0)) == nil and json.decode(json.encode(1.0)) == 1.0)\n");
}

static void test_round_trip_booleans_and_null(void **state) {
  lua_State *L = *state;
  run(L, "assert(json.decode('true') == true and json.decode('false') == false)\n"
         "assert(json.decode('null') == json.null)\n"
         "assert(json.encode(true) == 'true' and json.encode(false) == 'false')\n"
         "assert(json.encode(json.null) == 'null' and json.encode(nil) == 'null')\n"
         "local t = json.decode('[1,null,3]')\n"
         "assert(#t == 3 and t[1] == 1 and t[2] == json.null and t[3] == 3)\n"
         "assert(json.encode(t) == '[1,null,3]')\n"
         "local o = json.decode('{\"a\":null,\"b\":[null]}')\n"
         "assert(o.a == json.null and #o.b == 1 and o.b[1] == json.null)\n"
         "assert(json.encode(o) == '{\"a\":null,\"b\":[null]}')\n"
         "assert(json.encode({json.null, json.null}) == '[null,null]')\n"
         "assert(type(json.null) == 'userdata')\n");
}

static void test_null_sentinel_from_c(void **state) {
  lua_State *L = *state;
  lua_settop(L, 0);
  sl_json_push_null(L);
  assert_true(sl_json_is_null(L, -1));
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "null");
  assert_true(lua_rawequal(L, 1, -1));
  assert_true(sl_json_is_null(L, -1));
  lua_pushlightuserdata(L, L); /* another light userdata is not null */
  assert_false(sl_json_is_null(L, -1));
  lua_pushnil(L);
  assert_false(sl_json_is_null(L, -1));
  lua_settop(L, 0);
}

/* --- encode: exact text --------------------------------------------------------------------------------- */

static void test_encode_exact(void **state) {
  lua_State *L = *state;
  run_string(L, "return json.encode({b = 1, a = {1, 2, {c = true}}})", "{\"a\":[1,2,{\"c\":true}],\"b\":1}");
  run_string(L, "return json.encode({})", "{}");
  run_string(L, "return json.encode(setmetatable({}, json.array_mt))", "[]");
  run_string(L, "return json.encode({z = 1, y = 2, x = 3, w = 4, v = 5})", "{\"v\":5,\"w\":4,\"x\":3,\"y\":2,\"z\":1}");
  run_string(L, "return json.encode('s')", "\"s\"");
  run_string(L, "return json.encode(42)", "42");
  run_string(L, "return json.encode(1.5)", "1.5");
  run_string(L, "return json.encode({[2] = 'b', [10] = 'j'})", "{\"10\":\"j\",\"2\":\"b\"}");
  run_string(L, "return json.encode({'a', 'b', x = 1})", "{\"1\":\"a\",\"2\":\"b\",\"x\":1}");
  run_string(L, "return json.encode({[0] = 'z'})", "{\"0\":\"z\"}");
  run_string(L, "return json.encode({[-1] = 'm'})", "{\"-1\":\"m\"}");
  run_string(L, "return json.encode({1, nil, 3})", "{\"1\":1,\"3\":3}");
  /* array_mt on a non-empty table: still decided by its keys */
  run_string(L, "return json.encode(setmetatable({1, 2}, json.array_mt))", "[1,2]");
  run_string(L, "return json.encode(setmetatable({a = 1}, json.array_mt))", "{\"a\":1}");
  /* another metatable does not make an empty table an array */
  run_string(L, "return json.encode(setmetatable({}, {}))", "{}");
  /* tables are read raw: metamethods neither add members nor run */
  run_string(L, "return json.encode(setmetatable({a = 1}, {__index = function() error('ran') end,\n"
                "  __pairs = function() error('ran') end, __len = function() error('ran') end}))",
             "{\"a\":1}");
  /* decoded empty arrays keep their kind */
  run_string(L, "return json.encode(json.decode('{\"a\":[],\"b\":{}}'))", "{\"a\":[],\"b\":{}}");
  run(L, "assert(getmetatable(json.decode('[]')) == json.array_mt)");
  run(L, "assert(getmetatable(json.decode('{}')) == nil)");
}

static void test_encode_options(void **state) {
  lua_State *L = *state;
  run_string(L, "return json.encode({b = 1, a = {1}}, {indent = 2})", "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}");
  run_string(L, "return json.encode({b = 1, a = 2}, {indent = 0})", "{\"a\":2,\"b\":1}");
  run_string(L, "return json.encode({b = 1, a = 2}, {})", "{\"a\":2,\"b\":1}");
  run_string(L, "return json.encode({b = 1, a = 2}, {sort_keys = true})", "{\"a\":2,\"b\":1}");
  /* unsorted: some order of the same members */
  run(L, "local s = json.encode({b = 1, a = 2}, {sort_keys = false})\n"
         "assert(s == '{\"a\":2,\"b\":1}' or s == '{\"b\":1,\"a\":2}', s)\n");
  run_raises(L, "return json.encode({}, {indent = 17})", "json.encode", "indent", NULL);
  run_raises(L, "return json.encode({}, {indent = -1})", "json.encode", "indent", NULL);
  run_raises(L, "return json.encode({}, {indent = 'x'})", "json.encode", "indent", NULL);
  run_raises(L, "return json.encode({}, {sort_keys = 1})", "json.encode", "sort_keys", NULL);
  run_raises(L, "return json.encode({}, 5)", "json.encode", "options", NULL);
}

/* --- decode: AWS's sample event ------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail_msg("cannot open %s", path);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long size = ftell(f);
  assert_true(size > 0);
  rewind(f);
  char *buf = malloc((size_t)size);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  *len = (size_t)size;
  return buf;
}

static void test_decode_aws_event(void **state) {
  lua_State *L = *state;
  size_t len;
  char *text = read_file(SHARDLAB_REFERENCE_DIR "/kinesis-event.json", &len);
  lua_settop(L, 0);
  lua_pushlstring(L, text, len);
  free(text);
  lua_setglobal(L, "event_text");
  run(L, "local t = json.decode(event_text)\n"
         "assert(#t.Records == 1)\n"
         "local r = t.Records[1]\n"
         "assert(r.kinesis.partitionKey == '1')\n"
         "assert(r.kinesis.approximateArrivalTimestamp == 1545084650.987)\n"
         "assert(math.type(r.kinesis.approximateArrivalTimestamp) == 'float')\n"
         "assert(r.kinesis.kinesisSchemaVersion == '1.0')\n"
         "assert(r.kinesis.data == 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==')\n"
         "assert(r.kinesis.sequenceNumber == '49590338271490256608559692538361571095921575989136588898')\n"
         "assert(r.eventID == 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898')\n"
         "assert(r.eventSource == 'aws:kinesis' and r.awsRegion == 'us-east-2')\n"
         "local again = json.decode(json.encode(t))\n"
         "assert(json.encode(again) == json.encode(t))\n"
         "assert(again.Records[1].kinesis.approximateArrivalTimestamp == 1545084650.987)\n");
  /* the same, walked from C after sl_json_push of jansson's own parse */
  json_error_t jerr;
  json_t *doc = json_load_file(SHARDLAB_REFERENCE_DIR "/kinesis-event.json", 0, &jerr);
  assert_non_null(doc);
  lua_settop(L, 0);
  sl_json_push(L, doc);
  json_decref(doc);
  assert_int_equal(lua_gettop(L), 1);
  assert_int_equal(lua_getfield(L, 1, "Records"), LUA_TTABLE);
  assert_int_equal(lua_rawgeti(L, -1, 1), LUA_TTABLE);
  assert_int_equal(lua_getfield(L, -1, "kinesis"), LUA_TTABLE);
  assert_int_equal(lua_getfield(L, -1, "partitionKey"), LUA_TSTRING);
  assert_string_equal(lua_tostring(L, -1), "1");
  lua_settop(L, 0);
}

/* --- errors --------------------------------------------------------------------------------------------- */

static void test_decode_errors(void **state) {
  lua_State *L = *state;
  run_raises(L, "return json.decode('{\"a\":')", "json.decode: line 1 column", NULL);
  run_raises(L, "return json.decode('{\"a\":\\n  tru}')", "json.decode: line 2 column", NULL);
  run_raises(L, "return json.decode('')", "json.decode: line", NULL);
  run_raises(L, "return json.decode('[1] x')", "json.decode: line 1 column", NULL);
  run_raises(L, "return json.decode({})", "json.decode", "string", "table", NULL);
  run_raises(L, "return json.decode(12)", "json.decode", "string", "number", NULL);
  run_raises(L, "return json.decode()", "json.decode", "string", NULL);
  run_raises(L, "return json.decode('\"\\xff\"')", "json.decode: line 1", NULL);
  /* a caught error leaves decode usable */
  run(L, "local ok = pcall(json.decode, '{') assert(not ok) assert(json.decode('[2]')[1] == 2)");
}

static void test_encode_errors(void **state) {
  lua_State *L = *state;
  run_raises(L, "return json.encode({f = print})", "json.encode: $.f: functions cannot be encoded", NULL);
  run_raises(L, "return json.encode({1, print})", "json.encode: $[2]: functions cannot be encoded", NULL);
  run_raises(L, "return json.encode({a = {{}, {b = {1, 2, coroutine.create(print)}}}})",
             "json.encode: $.a[2].b[3]: threads cannot be encoded", NULL);
  run_raises(L, "return json.encode({u = io.stdout})", "$.u: userdata cannot be encoded", NULL);
  run_raises(L, "return json.encode(print)", "json.encode: $: functions cannot be encoded", NULL);
  run_raises(L, "return json.encode(0/0)", "json.encode: $: NaN and infinity cannot be encoded", NULL);
  run_raises(L, "return json.encode({x = {1/0}})", "json.encode: $.x[1]: NaN and infinity cannot be encoded", NULL);
  run_raises(L, "return json.encode(-math.huge)", "NaN and infinity", NULL);
  run_raises(L, "local t = {} t.self = t return json.encode(t)", "json.encode: $.self.self", "nesting deeper than 200",
             NULL);
  run_raises(L, "local t = {} t[1] = t return json.encode(t)", "[1][1][1]", "nesting deeper than 200", NULL);
  run_raises(L, "return json.encode('\\xff')", "json.encode: $: string is not valid UTF-8", NULL);
  run_raises(L, "return json.encode({s = 'ok\\xc3'})", "json.encode: $.s: string is not valid UTF-8", NULL);
  run_raises(L, "return json.encode({['\\xff'] = 1})", "json.encode", "UTF-8", NULL);
  run_raises(L, "return json.encode({[1.5] = 1})", "json.encode: $: a number key", NULL);
  run_raises(L, "return json.encode({[true] = 1})", "json.encode: $: a boolean key", NULL);
  run_raises(L, "return json.encode({[{}] = 1})", "json.encode: $: a table key", NULL);
  /* the first element fails, the rest of the value is not half-built: a later encode works */
  run_string(L, "return json.encode({1, 2})", "[1,2]");
}

static void test_depth_limits(void **state) {
  lua_State *L = *state;
  /* decode: 300 nested arrays parse in jansson and are refused in the conversion, cleanly (ASan: no leak) */
  run_raises(L, "return json.decode(string.rep('[', 300) .. string.rep(']', 300))", "nesting deeper than 200", NULL);
  run_raises(L, "return json.decode(string.rep('{\"a\":', 300) .. '1' .. string.rep('}', 300))",
             "nesting deeper than 200", NULL);
  /* the limit itself: depth 200 (201 nested containers counting the top at 0) passes, one more fails */
  run(L, "local s = string.rep('[', 201) .. string.rep(']', 201)\n"
         "local t = json.decode(s)\n"
         "assert(json.encode(t) == s)\n");
  run_raises(L, "return json.decode(string.rep('[', 202) .. string.rep(']', 202))", "nesting deeper than 200", NULL);
  /* encode: 300 nested tables */
  run_raises(L, "local t = {} local c = t for i = 1, 300 do c[1] = {} c = c[1] end return json.encode(t)",
             "json.encode: $[1][1]", "nesting deeper than 200", NULL);
}

/* Pushes the JSON value given as light userdata; used under lua_pcall. */
static int push_light(lua_State *L) {
  sl_json_push(L, lua_touserdata(L, 1));
  return 1;
}

static void test_push_raises_beyond_depth(void **state) {
  lua_State *L = *state;
  json_t *deep = json_array();
  json_t *cur = deep;
  for (int i = 0; i < 250; i++) {
    json_t *next = json_array();
    assert_int_equal(json_array_append_new(cur, next), 0);
    cur = next;
  }
  lua_settop(L, 0);
  lua_pushcfunction(L, push_light);
  lua_pushlightuserdata(L, deep);
  int status = lua_pcall(L, 1, 1, 0);
  json_decref(deep);
  assert_int_equal(status, LUA_ERRRUN);
  assert_non_null(strstr(lua_tostring(L, -1), "json: nesting deeper than 200"));
  lua_settop(L, 0);
  /* and pushes exactly one value otherwise */
  json_t *small = json_pack("{s:[i,n,b],s:f}", "a", 1, 1, "x", 0.5);
  assert_non_null(small);
  sl_json_push(L, small);
  json_decref(small);
  assert_int_equal(lua_gettop(L), 1);
  lua_setglobal(L, "pushed");
  run(L, "assert(#pushed.a == 3 and pushed.a[1] == 1 and pushed.a[2] == json.null and pushed.a[3] == true)\n"
         "assert(pushed.x == 0.5 and math.type(pushed.a[1]) == 'integer')");
}

/* --- sl_json_from_lua from C ---------------------------------------------------------------------------- */

static void test_from_lua_errors_in_buffer(void **state) {
  lua_State *L = *state;
  char err[256];
  lua_settop(L, 0);
  lua_pushinteger(L, 7); /* a marker under the value */
  run(L, "return 'marker', {ok = 1, bad = {1, 2, print}}");
  int top = lua_gettop(L);
  memset(err, 'x', sizeof err);
  json_t *v = sl_json_from_lua(L, -1, err, sizeof err);
  assert_null(v);
  assert_string_equal(err, "$.bad[3]: functions cannot be encoded");
  assert_int_equal(lua_gettop(L), top);
  assert_int_equal(lua_type(L, -1), LUA_TTABLE);
  assert_string_equal(lua_tostring(L, -2), "marker");

  /* a small buffer is truncated and terminated; NULL buffer is allowed */
  char tiny[6];
  assert_null(sl_json_from_lua(L, -1, tiny, sizeof tiny));
  assert_string_equal(tiny, "$.bad");
  assert_null(sl_json_from_lua(L, -1, NULL, 0));
  assert_null(sl_json_from_lua(L, -1, tiny, 0));
  assert_int_equal(lua_gettop(L), top);

  /* a cycle, with a positive index */
  run(L, "local t = {} t.a = {t} return 'm', t");
  top = lua_gettop(L);
  assert_null(sl_json_from_lua(L, top, err, sizeof err));
  assert_non_null(strstr(err, "nesting deeper than 200 (a cycle?)"));
  assert_int_equal(strncmp(err, "$.a[1].a[1]", 11), 0);
  assert_non_null(strstr(err, "...: nesting")); /* the long path is cut short, the reason kept */
  assert_true(strlen(err) < 220);
  assert_int_equal(lua_gettop(L), top);

  /* invalid UTF-8 and NaN */
  lua_pushstring(L, "\xc3(");
  assert_null(sl_json_from_lua(L, -1, err, sizeof err));
  assert_string_equal(err, "$: string is not valid UTF-8");
  lua_pushnumber(L, (lua_Number)NAN);
  assert_null(sl_json_from_lua(L, -1, err, sizeof err));
  assert_string_equal(err, "$: NaN and infinity cannot be encoded");
  lua_pushnumber(L, (lua_Number)-INFINITY);
  assert_null(sl_json_from_lua(L, -1, err, sizeof err));
  assert_string_equal(err, "$: NaN and infinity cannot be encoded");
  assert_int_equal(lua_gettop(L), top + 3);
  lua_settop(L, 0);
}

static void test_from_lua_success(void **state) {
  lua_State *L = *state;
  char err[128] = "untouched";
  run(L, "return {s = 'a\\0b', i = math.mininteger, f = 0.1, t = true, n = json.null, e = {},\n"
         "        a = setmetatable({}, json.array_mt), l = {1, 'two'}}");
  int top = lua_gettop(L);
  json_t *v = sl_json_from_lua(L, -1, err, sizeof err);
  assert_non_null(v);
  assert_int_equal(lua_gettop(L), top);
  assert_true(json_is_object(v));
  assert_int_equal(json_object_size(v), 8);
  json_t *s = json_object_get(v, "s");
  assert_true(json_is_string(s));
  assert_int_equal(json_string_length(s), 3);
  assert_memory_equal(json_string_value(s), "a\0b", 3);
  assert_true(json_is_integer(json_object_get(v, "i")));
  assert_true(json_integer_value(json_object_get(v, "i")) == INT64_MIN);
  assert_true(json_is_real(json_object_get(v, "f")));
  assert_true(json_real_value(json_object_get(v, "f")) == 0.1);
  assert_true(json_is_true(json_object_get(v, "t")));
  assert_true(json_is_null(json_object_get(v, "n")));
  assert_true(json_is_object(json_object_get(v, "e")));
  assert_true(json_is_array(json_object_get(v, "a")));
  assert_int_equal(json_array_size(json_object_get(v, "a")), 0);
  json_t *l = json_object_get(v, "l");
  assert_int_equal(json_array_size(l), 2);
  assert_string_equal(json_string_value(json_array_get(l, 1)), "two");
  json_decref(v);

  /* nil at top level is null; an integer-keyed table becomes decimal keys */
  lua_pushnil(L);
  v = sl_json_from_lua(L, -1, err, sizeof err);
  assert_true(json_is_null(v));
  json_decref(v);
  run(L, "return {[3] = 'c', [-2] = 'm'}");
  v = sl_json_from_lua(L, 1, err, sizeof err);
  assert_non_null(v);
  assert_string_equal(json_string_value(json_object_get(v, "3")), "c");
  assert_string_equal(json_string_value(json_object_get(v, "-2")), "m");
  json_decref(v);
  lua_settop(L, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip_nested, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_unicode, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_integers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_floats, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_booleans_and_null, setup, teardown),
      cmocka_unit_test_setup_teardown(test_null_sentinel_from_c, setup, teardown),
      cmocka_unit_test_setup_teardown(test_encode_exact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_encode_options, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decode_aws_event, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decode_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_encode_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_push_raises_beyond_depth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_from_lua_errors_in_buffer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_from_lua_success, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
