/* test_lua_support.h - helpers for tests of the Lua layer: a Lua state with the sl module's json table as
 * global `json`, and running snippets that must succeed. */
#ifndef SHARDLAB_TEST_LUA_SUPPORT_H
#define SHARDLAB_TEST_LUA_SUPPORT_H

#include "test_support.h"

#include <lauxlib.h>
#include <lualib.h>

#include "lua/lua_json.h"

static inline lua_State *test_lua(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  sl_json_open(L);
  lua_setglobal(L, "json");
  return L;
}

/* Runs code (which may `return` values) and fails the test on a Lua error. */
static inline void test_run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK) fail_msg("Lua error: %s\nin: %s", lua_tostring(L, -1), code);
}

/* Runs code that must raise; returns the error message (valid until the next call into L). */
static inline const char *test_raises(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) == LUA_OK) fail_msg("no error from: %s", code);
  return lua_tostring(L, -1);
}

#endif
