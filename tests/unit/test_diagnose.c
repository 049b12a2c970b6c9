/* test_diagnose.c - scripts/shardlab/diagnose.lua against hand-made results, one finding at a time
 * (tests/data/report/diagnose_cases.lua holds the cases and the lines they must give). */
#include "test_lua_support.h"

#include "lua/lua_call.h" /* sl_env_pcall: errors with a traceback */
#include "lua/lua_sl.h"

static void diagnosis_lines(void **state) {
  (void)state;
  lua_State *L = test_lua();
  sl_lua_set_path(L, SHARDLAB_TEST_DATA_DIR "/report", SHARDLAB_SOURCE_SCRIPTS);
  sl_lua_install(L);
  if (luaL_loadfilex(L, SHARDLAB_TEST_DATA_DIR "/report/diagnose_cases.lua", "t") != LUA_OK ||
      sl_env_pcall(L, 0, 1) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  assert_true(lua_toboolean(L, -1));
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(diagnosis_lines)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
