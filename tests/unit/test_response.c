/* test_response.c - every batchItemFailures rule of DESIGN 5 (AWS Lambda guide, "Reporting batch item
 * failures for Kinesis"): what counts as success, as a whole-batch failure, and where a partial failure
 * checkpoints; and that without the setting the return value is ignored. */
#include "test_lua_support.h"

#include "lua/lua_response.h"

static const char *const seqs[] = {"100", "200", "300", "400"};

static sl_response_t read_with(lua_State *L, const char *code, int setting) {
  test_run(L, code);
  int top = lua_gettop(L);
  sl_response_t r;
  sl_response_read(L, -1, setting, seqs, 4, &r);
  assert_int_equal(lua_gettop(L), top); /* the stack is left as it was */
  lua_settop(L, 0);
  return r;
}

static void successes(void **state) {
  (void)state;
  lua_State *L = test_lua();
  static const char *const ok[] = {"return nil", "return {}", "return { batchItemFailures = {} }",
                                   "return { batchItemFailures = nil }", "return { batchItemFailures = json.null }",
                                   "return json.null", "return { other = 1 }"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    sl_response_t r = read_with(L, ok[i], 1);
    if (r.kind != SL_RESPONSE_SUCCESS) fail_msg("%s: not a success (%s)", ok[i], r.reason);
  }
  lua_close(L);
}

static void whole_batch_failures(void **state) {
  (void)state;
  lua_State *L = test_lua();
  static const struct { const char *code, *reason; } bad[] = {
      {"return { batchItemFailures = { { itemIdentifier = '' } } }", "batchItemFailures[1].itemIdentifier is empty"},
      {"return { batchItemFailures = { { itemIdentifier = nil } } }", "batchItemFailures[1].itemIdentifier is missing"},
      {"return { batchItemFailures = { { itemIdentifier = '200' }, { itemId = '300' } } }",
       "batchItemFailures[2].itemIdentifier is missing (a wrong key name?)"},
      {"return { batchItemFailures = { { itemIdentifier = '999' } } }", "'999' is not a sequence number of this batch"},
      {"return { batchItemFailures = { { itemIdentifier = 200 } } }", "is a number, not a string"},
      {"return { batchItemFailures = { '200' } }", "batchItemFailures[1] is a string, not an object"},
      {"return { batchItemFailures = 5 }", "batchItemFailures is a number, not a list"},
      {"return { batchItemFailures = { a = 1 } }", "not a list"},
      {"return 'ok'", "the response is a string, not an object"},
      {"return 42", "the response is a number"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sl_response_t r = read_with(L, bad[i].code, 1);
    if (r.kind != SL_RESPONSE_BATCH_FAILURE) fail_msg("%s: not a batch failure", bad[i].code);
    if (strstr(r.reason, bad[i].reason) == NULL) fail_msg("%s: reason '%s' lacks '%s'", bad[i].code, r.reason, bad[i].reason);
  }
  lua_close(L);
}

static void partial_failure_checkpoints_before_the_lowest(void **state) {
  (void)state;
  lua_State *L = test_lua();
  sl_response_t r = read_with(L, "return { batchItemFailures = { { itemIdentifier = '400' }, { itemIdentifier = '200' },"
                                 " { itemIdentifier = '300' } } }", 1);
  assert_int_equal(r.kind, SL_RESPONSE_PARTIAL);
  assert_int_equal(r.lowest_failed, 1); /* "200": records from index 1 on are retried */
  r = read_with(L, "return { batchItemFailures = { { itemIdentifier = '100' } } }", 1);
  assert_int_equal(r.kind, SL_RESPONSE_PARTIAL);
  assert_int_equal(r.lowest_failed, 0);
  lua_close(L);
}

static void ignored_without_the_setting(void **state) {
  (void)state;
  lua_State *L = test_lua();
  static const char *const any[] = {"return { batchItemFailures = { { itemIdentifier = '200' } } }", "return 'x'",
                                    "return { batchItemFailures = 5 }"};
  for (size_t i = 0; i < 3; i++) assert_int_equal(read_with(L, any[i], 0).kind, SL_RESPONSE_SUCCESS);
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(successes), cmocka_unit_test(whole_batch_failures),
      cmocka_unit_test(partial_failure_checkpoints_before_the_lowest), cmocka_unit_test(ignored_without_the_setting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
