/* test_lua_response.c - checks sl_response_read against every case of DESIGN 5 (AWS Lambda guide, "Reporting
 * batch item failures for Kinesis") with report_batch_item_failures on: what counts as a success, as a
 * whole-batch failure (with a reason naming the entry), and which batch index a partial failure checkpoints
 * before (the lowest, whatever the list order); that with the setting off anything is a success; that the
 * stack is left as it was, no metamethod runs and nothing raises. Responses come from running Lua snippets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "lua/lua_json.h"
#include "lua/lua_response.h"

static const char *const seqs[] = {"49590338271490256608559692538361571095921575989136588898",
                                   "49590338271490256608559692540925702759324208523137515618",
                                   "49590338271490256608559692540925702759324208523137515619",
                                   "49590338271490256608559692540925702759324208523137515700"};
#define SEQ0 "49590338271490256608559692538361571095921575989136588898"
#define SEQ1 "49590338271490256608559692540925702759324208523137515618"
#define SEQ2 "49590338271490256608559692540925702759324208523137515619"
#define SEQ3 "49590338271490256608559692540925702759324208523137515700"

/* A state with sl.json as the global `json` (for json.null). */
static lua_State *new_lua(void) {
  lua_State *L = luaL_newstate();
  assert_non_null(L);
  luaL_openlibs(L);
  sl_json_open(L);
  lua_setglobal(L, "json");
  return L;
}

/* Runs code returning one value, reads it with the setting given (under a marker value of the caller's, and
 * with a negative index) and checks the stack is unchanged. */
static sl_response_t read_with(lua_State *L, const char *code, int setting) {
  lua_settop(L, 0);
  lua_pushliteral(L, "caller's value");
  if (luaL_loadstring(L, code) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
    fail_msg("Lua error: %s\nin: %s", lua_tostring(L, -1), code);
  int top = lua_gettop(L);
  sl_response_t r;
  memset(&r, 0xA5, sizeof r); /* everything must be written */
  sl_response_read(L, -1, setting, seqs, 4, &r);
  if (lua_gettop(L) != top) fail_msg("%s: the stack top moved from %d to %d", code, top, lua_gettop(L));
  assert_string_equal(lua_tostring(L, 1), "caller's value");
  /* The absolute index reads the same. */
  sl_response_t again;
  sl_response_read(L, top, setting, seqs, 4, &again);
  assert_int_equal(lua_gettop(L), top);
  assert_int_equal(again.kind, r.kind);
  if (r.kind == SL_RESPONSE_PARTIAL) assert_int_equal(again.lowest_failed, r.lowest_failed);
  if (r.kind == SL_RESPONSE_BATCH_FAILURE) {
    assert_non_null(memchr(r.reason, '\0', sizeof r.reason));
    assert_true(r.reason[0] != '\0');
    assert_string_equal(again.reason, r.reason);
  }
  lua_settop(L, 0);
  return r;
}

static void successes(void **state) {
  (void)state;
  lua_State *L = new_lua();
  static const char *const ok[] = {
      "return nil",
      "return",  /* no value at all: nil */
      "return {}",
      "return { batchItemFailures = {} }",
      "return { batchItemFailures = nil }",
      "return { batchItemFailures = json.null }",
      "return json.null",
      "return { somethingElse = 'x' }",
      "return { batchItemFailures = setmetatable({}, json.array_mt) }",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    sl_response_t r = read_with(L, ok[i], 1);
    if (r.kind != SL_RESPONSE_SUCCESS) fail_msg("%s: not a success (kind %d: %s)", ok[i], (int)r.kind, r.reason);
  }
  lua_close(L);
}

static void whole_batch_failures(void **state) {
  (void)state;
  lua_State *L = new_lua();
  static const struct {
    const char *code, *reason;
  } bad[] = {
      {"return { batchItemFailures = { { itemIdentifier = '' } } }", "batchItemFailures[1].itemIdentifier is empty"},
      {"return { batchItemFailures = { { itemIdentifier = nil } } }",
       "batchItemFailures[1].itemIdentifier is missing (a wrong key name?)"},
      {"return { batchItemFailures = { { itemIdentifier = json.null } } }",
       "batchItemFailures[1].itemIdentifier is missing"},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ1 "' }, { itemId = '" SEQ2 "' } } }",
       "batchItemFailures[2].itemIdentifier is missing (a wrong key name?)"},
      {"return { batchItemFailures = { { ItemIdentifier = '" SEQ1 "' } } }",
       "batchItemFailures[1].itemIdentifier is missing (a wrong key name?)"},
      {"return { batchItemFailures = { { itemIdentifier = '123' } } }",
       "batchItemFailures[1].itemIdentifier '123' is not a sequence number of this batch"},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ0 "' }, { itemIdentifier = '" SEQ0 "0' } } }",
       "batchItemFailures[2].itemIdentifier '" SEQ0 "0' is not a sequence number of this batch"},
      {"return { batchItemFailures = { { itemIdentifier = ' " SEQ0 "' } } }", "is not a sequence number of this batch"},
      {"return { batchItemFailures = { { itemIdentifier = 5 } } }", "batchItemFailures[1].itemIdentifier"},
      {"return { batchItemFailures = { '" SEQ1 "' } }", "batchItemFailures[1]"},
      {"return { batchItemFailures = 5 }", "batchItemFailures is a number, not a list"},
      {"return { batchItemFailures = 'x' }", "batchItemFailures is a string, not a list"},
      {"return { batchItemFailures = true }", "batchItemFailures is a boolean, not a list"},
      {"return { batchItemFailures = { itemIdentifier = '" SEQ1 "' } }", "not a list"},
      {"return { batchItemFailures = { [1] = { itemIdentifier = '" SEQ1 "' }, [3] = { itemIdentifier = '" SEQ2
       "' } } }",
       "not a list"},
      {"return { batchItemFailures = { [0] = { itemIdentifier = '" SEQ1 "' } } }", "not a list"},
      {"return { batchItemFailures = { [1.5] = { itemIdentifier = '" SEQ1 "' } } }", "not a list"},
      {"return 'ok'", "response is a string, not an object"},
      {"return 42", "response is a number, not an object"},
      {"return 4.5", "response is a number, not an object"},
      {"return false", "response is a boolean, not an object"},
      {"return true", "response is a boolean, not an object"},
      {"return print", "response is a function, not an object"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sl_response_t r = read_with(L, bad[i].code, 1);
    if (r.kind != SL_RESPONSE_BATCH_FAILURE) fail_msg("%s: not a batch failure (kind %d)", bad[i].code, (int)r.kind);
    if (strstr(r.reason, bad[i].reason) == NULL)
      fail_msg("%s: the reason '%s' lacks '%s'", bad[i].code, r.reason, bad[i].reason);
  }
  lua_close(L);
}

static void a_bad_entry_fails_the_batch_even_after_good_ones(void **state) {
  (void)state;
  lua_State *L = new_lua();
  sl_response_t r = read_with(L,
                              "return { batchItemFailures = { { itemIdentifier = '" SEQ3 "' }, { itemIdentifier = '"
                              SEQ1 "' }, { itemIdentifier = '' } } }",
                              1);
  assert_int_equal(r.kind, SL_RESPONSE_BATCH_FAILURE);
  assert_non_null(strstr(r.reason, "batchItemFailures[3].itemIdentifier is empty"));
  lua_close(L);
}

static void long_identifiers_are_truncated_in_the_reason(void **state) {
  (void)state;
  lua_State *L = new_lua();
  sl_response_t r = read_with(L, "return { batchItemFailures = { { itemIdentifier = string.rep('9', 5000) } } }", 1);
  assert_int_equal(r.kind, SL_RESPONSE_BATCH_FAILURE);
  assert_true(strlen(r.reason) < sizeof r.reason);
  assert_non_null(strstr(r.reason, "batchItemFailures[1].itemIdentifier '9999"));
  assert_null(strstr(r.reason, "9999999999999999999999999999999999999999999999999999999999999999999999"));
  lua_close(L);
}

static void partial_failure_checkpoints_before_the_lowest(void **state) {
  (void)state;
  lua_State *L = new_lua();
  static const struct {
    const char *code;
    size_t lowest;
  } cases[] = {
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ0 "' } } }", 0},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ3 "' } } }", 3},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ3 "' }, { itemIdentifier = '" SEQ1
       "' }, { itemIdentifier = '" SEQ2 "' } } }",
       1},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ1 "' }, { itemIdentifier = '" SEQ3
       "' }, { itemIdentifier = '" SEQ2 "' } } }",
       1},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ2 "' }, { itemIdentifier = '" SEQ2 "' } } }", 2},
      {"return { batchItemFailures = { { itemIdentifier = '" SEQ3 "' }, { itemIdentifier = '" SEQ2
       "' }, { itemIdentifier = '" SEQ1 "' }, { itemIdentifier = '" SEQ0 "' } } }",
       0},
      /* Other keys of the entry or of the response do not matter. */
      {"return { other = 1, batchItemFailures = { { itemIdentifier = '" SEQ2 "', note = 'x' } } }", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sl_response_t r = read_with(L, cases[i].code, 1);
    if (r.kind != SL_RESPONSE_PARTIAL) fail_msg("%s: not partial (kind %d: %s)", cases[i].code, (int)r.kind, r.reason);
    if (r.lowest_failed != cases[i].lowest)
      fail_msg("%s: lowest_failed %zu, expected %zu", cases[i].code, r.lowest_failed, cases[i].lowest);
  }
  lua_close(L);
}

static void ignored_without_the_setting(void **state) {
  (void)state;
  lua_State *L = new_lua();
  static const char *const any[] = {
      "return nil",
      "return {}",
      "return { batchItemFailures = { { itemIdentifier = '" SEQ1 "' } } }",
      "return { batchItemFailures = { { itemIdentifier = '' } } }",
      "return { batchItemFailures = { { itemId = 'x' } } }",
      "return { batchItemFailures = 5 }",
      "return 'x'",
      "return 42",
      "return false",
      "return print",
      "return coroutine.create(print)",
      "return setmetatable({}, { __index = function() error('boom') end })",
  };
  for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
    sl_response_t r = read_with(L, any[i], 0);
    if (r.kind != SL_RESPONSE_SUCCESS) fail_msg("%s: not a success without the setting", any[i]);
  }
  lua_close(L);
}

/* Raw access only: a handler's metamethods never run (they would raise here), and the answer is what the
 * table itself holds. */
static void metamethods_are_not_invoked(void **state) {
  (void)state;
  lua_State *L = new_lua();
  if (luaL_dostring(L, "boom = { __index = function() error('__index ran') end,\n"
                       "         __len = function() error('__len ran') end,\n"
                       "         __pairs = function() error('__pairs ran') end,\n"
                       "         __eq = function() error('__eq ran') end }") != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  sl_response_t r = read_with(L, "return setmetatable({}, boom)", 1);
  assert_int_equal(r.kind, SL_RESPONSE_SUCCESS);
  r = read_with(L, "return { batchItemFailures = setmetatable({}, boom) }", 1);
  assert_int_equal(r.kind, SL_RESPONSE_SUCCESS);
  r = read_with(L, "return { batchItemFailures = { setmetatable({}, boom) } }", 1);
  assert_int_equal(r.kind, SL_RESPONSE_BATCH_FAILURE);
  assert_non_null(strstr(r.reason, "batchItemFailures[1].itemIdentifier is missing"));
  r = read_with(L, "return setmetatable({ batchItemFailures = setmetatable({ setmetatable({ itemIdentifier = '" SEQ2
                   "' }, boom) }, boom) }, boom)",
                1);
  assert_int_equal(r.kind, SL_RESPONSE_PARTIAL);
  assert_int_equal(r.lowest_failed, 2);
  /* An __index that would supply batchItemFailures is not consulted. */
  r = read_with(L, "return setmetatable({}, { __index = { batchItemFailures = 5 } })", 1);
  assert_int_equal(r.kind, SL_RESPONSE_SUCCESS);
  lua_close(L);
}

static void empty_batch(void **state) {
  (void)state;
  lua_State *L = new_lua();
  lua_pushnil(L);
  sl_response_t r;
  sl_response_read(L, -1, 1, NULL, 0, &r);
  assert_int_equal(r.kind, SL_RESPONSE_SUCCESS);
  if (luaL_dostring(L, "return { batchItemFailures = { { itemIdentifier = '1' } } }") != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  int top = lua_gettop(L);
  sl_response_read(L, -1, 1, NULL, 0, &r);
  assert_int_equal(lua_gettop(L), top);
  assert_int_equal(r.kind, SL_RESPONSE_BATCH_FAILURE);
  assert_non_null(strstr(r.reason, "'1' is not a sequence number of this batch"));
  lua_close(L);
}

/* Identifiers match exactly (text, not numeric value), and are found even if the batch were not in order. */
static void identifiers_match_exactly(void **state) {
  (void)state;
  lua_State *L = new_lua();
  static const char *const unordered[] = {"300", "100", "20", "1000"};
  static const struct {
    const char *code;
    sl_response_kind_t kind;
    size_t lowest;
  } cases[] = {
      {"return { batchItemFailures = { { itemIdentifier = '100' } } }", SL_RESPONSE_PARTIAL, 1},
      {"return { batchItemFailures = { { itemIdentifier = '1000' }, { itemIdentifier = '20' } } }",
       SL_RESPONSE_PARTIAL, 2},
      {"return { batchItemFailures = { { itemIdentifier = '20' }, { itemIdentifier = '300' } } }",
       SL_RESPONSE_PARTIAL, 0},
      {"return { batchItemFailures = { { itemIdentifier = '0100' } } }", SL_RESPONSE_BATCH_FAILURE, 0},
      {"return { batchItemFailures = { { itemIdentifier = '100 ' } } }", SL_RESPONSE_BATCH_FAILURE, 0},
      {"return { batchItemFailures = { { itemIdentifier = '10' } } }", SL_RESPONSE_BATCH_FAILURE, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (luaL_dostring(L, cases[i].code) != LUA_OK) fail_msg("%s", lua_tostring(L, -1));
    int top = lua_gettop(L);
    sl_response_t r;
    sl_response_read(L, -1, 1, unordered, 4, &r);
    assert_int_equal(lua_gettop(L), top);
    if (r.kind != cases[i].kind) fail_msg("%s: kind %d, expected %d (%s)", cases[i].code, (int)r.kind, (int)cases[i].kind, r.reason);
    if (r.kind == SL_RESPONSE_PARTIAL) assert_int_equal(r.lowest_failed, cases[i].lowest);
    lua_settop(L, 0);
  }
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(successes),
      cmocka_unit_test(whole_batch_failures),
      cmocka_unit_test(a_bad_entry_fails_the_batch_even_after_good_ones),
      cmocka_unit_test(long_identifiers_are_truncated_in_the_reason),
      cmocka_unit_test(partial_failure_checkpoints_before_the_lowest),
      cmocka_unit_test(ignored_without_the_setting),
      cmocka_unit_test(metamethods_are_not_invoked),
      cmocka_unit_test(empty_batch),
      cmocka_unit_test(identifiers_match_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
