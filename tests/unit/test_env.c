/* test_env.c - execution environments: cold start once per slot, warm globals, isolation between slots,
 * every kind of handler failure (error, error({}), runtime error, syntax error, missing handler, timeout,
 * memory limit, unencodable response) leaving a healthy runtime whose next invocation works, the sandbox,
 * the virtual clock, Lambda's log lines, batch item failures (an invalid response fails the batch but keeps the
 * environment warm), idle reclaim, and determinism. */
#include "test_support.h"

#include <jansson.h>
#include <stdlib.h>

#include "shardlab/env.h"

#define HANDLERS SHARDLAB_TEST_DATA_DIR "/handlers/"
#define START_US INT64_C(1704067200000000)

typedef struct log_s {
  char text[65536];
  size_t len;
} log_t;

static void collect(void *data, const char *line, size_t len) {
  log_t *log = data;
  if (log->len + len + 2 >= sizeof log->text) return;
  memcpy(log->text + log->len, line, len);
  log->len += len;
  log->text[log->len++] = '\n';
  log->text[log->len] = '\0';
}

static sl_env_config_t config_for(const char *handler, log_t *log) {
  sl_env_config_t c;
  sl_env_config_init(&c);
  c.handler_path = handler;
  c.seed = 7;
  c.log = log ? collect : NULL;
  c.log_data = log;
  c.scripts_dir = SHARDLAB_SOURCE_SCRIPTS;
  return c;
}

/* One invocation with one record whose partition key is key. */
static void invoke_key(sl_env_t *env, const char *key, int64_t start_us, sl_invoke_result_t *res) {
  static const char *seq = "49590338271490256608559692538361571095921575989136588898";
  sl_event_source_t src = {"shardId-000000000006", "us-east-2", "arn:aws:kinesis:us-east-2:123456789012:stream/s",
                           "arn:aws:iam::123456789012:role/lambda-role"};
  sl_event_record_t rec = {key, strlen(key), "data", 4, seq, 1545084650987};
  sl_invocation_t inv = {&src, &rec, 1, NULL, 0, start_us, NULL};
  sl_error_t err;
  if (sl_env_invoke(env, &inv, res, &err) != SL_OK) fail_msg("sl_env_invoke: %s", err.message);
}

/* A fresh environment for c, one invocation with partition key key, then the environment is closed. */
static void invoke_fresh(const sl_env_config_t *c, uint32_t slot, const char *key, sl_invoke_result_t *res) {
  sl_env_t *env;
  sl_error_t err;
  if (sl_env_create(c, slot, &env, &err) != SL_OK) fail_msg("sl_env_create: %s", err.message);
  invoke_key(env, key, START_US, res);
  sl_env_destroy(env);
}

static json_t *response(const sl_invoke_result_t *res) {
  json_error_t jerr;
  json_t *v = json_loads(res->response_json ? res->response_json : "null", JSON_DECODE_ANY, &jerr);
  if (v == NULL) fail_msg("response is not JSON: %s", res->response_json);
  return v;
}

static json_int_t field_int(const sl_invoke_result_t *res, const char *name) {
  json_t *v = response(res);
  json_int_t n = json_integer_value(json_object_get(v, name));
  json_decref(v);
  return n;
}

static void warm_globals_and_isolated_slots(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "counter.lua", NULL);
  sl_env_t *a, *b;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_create(&c, 0, &a, &err), SL_OK);
  assert_int_equal(sl_env_create(&c, 1, &b, &err), SL_OK);
  assert_false(sl_env_is_warm(a));
  for (int i = 1; i <= 3; i++) {
    invoke_key(a, "k", START_US, &res);
    assert_int_equal(res.status, SL_INVOKE_SUCCESS);
    assert_int_equal(res.cold_start, i == 1);
    assert_int_equal(field_int(&res, "calls"), i); /* globals persist between warm invocations */
    assert_int_equal(field_int(&res, "inits"), 1); /* the top level ran once */
    sl_invoke_result_clear(&res);
  }
  invoke_key(b, "k", START_US, &res); /* another slot: its own state, its own globals */
  assert_true(res.cold_start);
  assert_int_equal(field_int(&res, "calls"), 1);
  sl_invoke_result_clear(&res);
  sl_env_destroy(a);
  sl_env_destroy(b);
}

/* A failing invocation gives a function error of the expected type, then the slot starts cold and works. */
static void expect_failure_then_recovery(const char *handler, const char *key, const char *type, const char *text) {
  sl_env_config_t c = config_for(handler, NULL);
  c.timeout_s = 0.3;
  c.memory_mb = 16;
  sl_env_t *env;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_create(&c, 0, &env, &err), SL_OK);
  invoke_key(env, "warm-up", START_US, &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  sl_invoke_result_clear(&res);
  invoke_key(env, key, START_US, &res);
  assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR);
  assert_string_equal(res.error_type, type);
  assert_non_null(res.error_json);
  if (strstr(res.error_json, text) == NULL) fail_msg("error %s lacks '%s'", res.error_json, text);
  assert_false(sl_env_is_warm(env)); /* reset after the failure */
  sl_invoke_result_clear(&res);
  invoke_key(env, "fine", START_US, &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  assert_true(res.cold_start);
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
}

static void handler_errors(void **state) {
  (void)state;
  expect_failure_then_recovery(HANDLERS "counter.lua", "boom", "LuaError", "counter.lua:12: x");
  expect_failure_then_recovery(HANDLERS "counter.lua", "table", "LuaError", "(error object is a table value)");
  expect_failure_then_recovery(HANDLERS "counter.lua", "nil", "LuaError", "attempt to index a nil value");
  /* The traceback reaches the caller as Lambda's stackTrace list. */
  expect_failure_then_recovery(HANDLERS "counter.lua", "boom", "LuaError", "\"stackTrace\":[\"");
  expect_failure_then_recovery(HANDLERS "counter.lua", "sleep:5", "Sandbox.Timedout",
                               "Task timed out after 0.30 seconds");
}

static void limits_stop_runaway_handlers(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "loop.lua", NULL);
  c.timeout_s = 0.2;
  sl_invoke_result_t res;
  invoke_fresh(&c, 0, "k", &res); /* an infinite loop that pcalls to swallow the kill */
  assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR);
  assert_string_equal(res.error_type, "Sandbox.Timedout");
  sl_invoke_result_clear(&res);

  c = config_for(HANDLERS "memory_hog.lua", NULL);
  c.memory_mb = 8;
  c.timeout_s = 30;
  invoke_fresh(&c, 0, "k", &res);
  assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR);
  assert_string_equal(res.error_type, "Runtime.OutOfMemory");
  assert_non_null(strstr(res.error_json, "memory limit of 8 MB"));
  assert_true(res.max_memory_bytes <= 8u << 20);
  assert_true(res.max_memory_bytes > 6u << 20);
  sl_invoke_result_clear(&res);
}

/* The timeout stops loops wherever they run: in coroutines (resumed, wrapped, nested), after them, and when the
 * handler catches a coroutine's timeout error; coroutines that end well are untouched. On both clocks. */
static void timeouts_reach_coroutines(void **state) {
  (void)state;
  const char *loops[] = {"resume", "wrap", "nested", "after", "caught"};
  for (int clock = 0; clock < 2; clock++) {
    sl_env_config_t c = config_for(HANDLERS "coroutine_loops.lua", NULL);
    c.timeout_s = 0.1;
    c.clock = clock ? SL_CLOCK_REAL : SL_CLOCK_VIRTUAL;
    sl_invoke_result_t res;
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
      invoke_fresh(&c, 0, loops[i], &res);
      if (res.status != SL_INVOKE_FUNCTION_ERROR || strcmp(res.error_type, "Sandbox.Timedout") != 0)
        fail_msg("%s (clock %d): status %d, %s", loops[i], clock, res.status, res.error_json ? res.error_json : "");
      sl_invoke_result_clear(&res);
    }
    invoke_fresh(&c, 0, "fine", &res);
    assert_int_equal(res.status, SL_INVOKE_SUCCESS);
    assert_string_equal(res.response_json, "{\"result\":6}");
    sl_invoke_result_clear(&res);
  }
}

static void load_errors(void **state) {
  (void)state;
  struct { const char *file, *type, *text; } cases[] = {
      {HANDLERS "syntax_error.lua", "Runtime.UserCodeSyntaxError", "syntax_error.lua:3:"},
      {HANDLERS "no_handler.lua", "Runtime.HandlerNotFound", "returned number and defines no global function"},
      {HANDLERS "missing.lua", "Runtime.ImportModuleError", "missing.lua"},
      {HANDLERS "bad_return.lua", "Runtime.InvalidResponse", "$.f"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sl_env_config_t c = config_for(cases[i].file, NULL);
    sl_invoke_result_t res;
    invoke_fresh(&c, 0, "k", &res);
    assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR);
    assert_string_equal(res.error_type, cases[i].type);
    if (strstr(res.error_json, cases[i].text) == NULL) fail_msg("%s: %s lacks '%s'", cases[i].file, res.error_json, cases[i].text);
    sl_invoke_result_clear(&res);
  }
  /* A global `handler` works as well as a returned function. */
  sl_env_config_t c = config_for(HANDLERS "global_handler.lua", NULL);
  sl_invoke_result_t res;
  invoke_fresh(&c, 0, "k", &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  assert_string_equal(res.response_json, "{\"records\":1}");
  sl_invoke_result_clear(&res);
}

static void sandbox_takes_away_what_could_end_the_runtime(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "sandbox.lua", NULL);
  sl_invoke_result_t res;
  invoke_fresh(&c, 0, "k", &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  json_t *v = response(&res);
  static const char *const gone[] = {"os_exit", "os_execute", "io_popen", "io_read", "sethook", "loadlib",
                                     "binary_chunk"};
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
    if (!json_is_false(json_object_get(v, gone[i]))) fail_msg("%s is reachable: %s", gone[i], res.response_json);
  assert_true(json_is_true(json_object_get(v, "traceback")));
  assert_true(json_is_true(json_object_get(v, "keys")));
  assert_int_equal(json_integer_value(json_object_get(v, "helper")), 42);
  assert_int_equal(json_integer_value(json_object_get(v, "text_load")), 7);
  assert_non_null(strstr(json_string_value(json_object_get(v, "binary_err")), "binary chunk"));
  json_decref(v);
  sl_invoke_result_clear(&res);
}

static void virtual_clock_and_logs(void **state) {
  (void)state;
  log_t *log = calloc(1, sizeof *log);
  sl_env_config_t c = config_for(HANDLERS "counter.lua", log);
  c.overhead_us = 5000;
  c.init_overhead_us = 120000;
  sl_env_t *env;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_create(&c, 0, &env, &err), SL_OK);
  invoke_key(env, "sleep:0.25", START_US, &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  assert_int_equal(res.duration_us, 255000); /* 250 ms of sleep + 5 ms overhead, exactly */
  assert_int_equal(res.billed_ms, 255);
  assert_int_equal(res.init_duration_us, 120000);
  assert_int_equal(field_int(&res, "remaining"), 3000 - 255); /* timeout 3 s minus what was used */
  /* sl.now() is the invocation's start (after init) plus its sleeps; the overhead is counted at the end. */
  json_t *v = response(&res);
  assert_true(json_real_value(json_object_get(v, "now")) == (double)(START_US + 120000 + 250000) / 1e6);
  json_decref(v);
  char expect[256];
  snprintf(expect, sizeof expect, "START RequestId: %s Version: $LATEST\n", res.request_id);
  assert_non_null(strstr(log->text, expect));
  snprintf(expect, sizeof expect, "2024-01-01T00:00:00.370Z\t%s\tINFO\tcalls\t1\tinits\t1\n", res.request_id);
  if (strstr(log->text, expect) == NULL) fail_msg("print line missing: %s", log->text);
  snprintf(expect, sizeof expect,
           "REPORT RequestId: %s\tDuration: 255.00 ms\tBilled Duration: 255 ms\tMemory Size: 128 MB\t"
           "Max Memory Used: 1 MB\tInit Duration: 120.00 ms\n",
           res.request_id);
  if (strstr(log->text, expect) == NULL) fail_msg("REPORT line missing: %s", log->text);
  sl_invoke_result_clear(&res);
  log->len = 0;
  invoke_key(env, "k", START_US + 1000000, &res); /* warm: no Init Duration */
  assert_null(strstr(log->text, "Init Duration"));
  assert_non_null(strstr(log->text, "END RequestId: "));
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
  free(log);
}

static void batch_item_failures_through_the_environment(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "batch_failures.lua", NULL);
  sl_env_t *env;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_create(&c, 0, &env, &err), SL_OK);
  sl_event_source_t src = {"shardId-000000000000", "us-east-1", "arn:aws:kinesis:us-east-1:1:stream/s", "r"};
  const char *seqs[] = {"49590338271490256608559692538361571095921575989136588898",
                        "49590338271490256608559692538361571095921575989136588899",
                        "49590338271490256608559692538361571095921575989136588900"};
  sl_event_record_t recs[3] = {{"a", 1, "ok", 2, seqs[0], 0}, {"b", 1, "fail", 4, seqs[1], 0}, {"c", 1, "fail", 4, seqs[2], 0}};
  sl_invocation_t inv = {&src, recs, 3, NULL, 1, START_US, NULL};
  assert_int_equal(sl_env_invoke(env, &inv, &res, &err), SL_OK);
  assert_int_equal(res.status, SL_INVOKE_PARTIAL);
  assert_int_equal(res.lowest_failed, 1);
  sl_invoke_result_clear(&res);
  inv.report_batch_item_failures = 0; /* without the setting the response is ignored */
  assert_int_equal(sl_env_invoke(env, &inv, &res, &err), SL_OK);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
}

/* An invalid batchItemFailures fails the whole batch, but the handler returned normally: its environment stays
 * warm (no new init, globals kept), through the pool as the mapping uses it. */
static void invalid_item_failures_keep_the_environment(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "invalid_item.lua", NULL);
  sl_env_pool_t *pool;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_pool_create(&c, SL_ENV_IDLE_TIMEOUT_DEFAULT_US, &pool, &err), SL_OK);
  static const char *seq = "49590338271490256608559692538361571095921575989136588898";
  const char *keys[] = {"absent", "empty", "nil", "shape", "absent", "absent"};
  const char *why[] = {"is not a sequence number", "is empty", "is missing", "not a list", "is not a sequence",
                       "is not a sequence"};
  sl_event_source_t src = {"shardId-000000000000", "us-east-1", "arn", "role"};
  for (int i = 0; i < 6; i++) {
    sl_event_record_t rec = {keys[i], strlen(keys[i]), "d", 1, seq, 0};
    sl_invocation_t inv = {&src, &rec, 1, NULL, 1, START_US + i, NULL};
    assert_int_equal(sl_env_pool_invoke(pool, 0, START_US + i, &inv, &res, &err), SL_OK);
    assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR); /* the whole batch failed */
    assert_string_equal(res.error_type, "Runtime.InvalidBatchItemFailures");
    if (strstr(res.error_json, why[i]) == NULL) fail_msg("error %s lacks '%s'", res.error_json, why[i]);
    assert_int_equal(res.cold_start, i == 0);
    assert_int_equal(field_int(&res, "calls"), i + 1); /* the global counter keeps growing */
    assert_int_equal(field_int(&res, "inits"), 1);     /* the top level ran once */
    sl_invoke_result_clear(&res);
  }
  assert_int_equal(sl_env_pool_cold_starts(pool), 1);
  assert_int_equal(sl_env_pool_live(pool), 1);
  sl_env_pool_destroy(pool);
}

static void window_state_comes_back_as_json(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "window_state.lua", NULL);
  sl_invoke_result_t res;
  invoke_fresh(&c, 0, "device-1", &res);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  assert_string_equal(res.state_json, "{\"device-1\":1}");
  sl_invoke_result_clear(&res);
  assert_null(res.state_json);
  c = config_for(HANDLERS "counter.lua", NULL); /* no state in the response: none reported */
  invoke_fresh(&c, 0, "k", &res);
  assert_null(res.state_json);
  sl_invoke_result_clear(&res);
}

/* Tumbling windows: the handler sees the window fields; a response without state fails the invocation. */
static void window_fields_and_state_rule(void **state) {
  (void)state;
  static const char *seq = "49590338271490256608559692538361571095921575989136588898";
  sl_event_source_t src = {"shardId-000000000003", "us-east-1", "arn:aws:kinesis:us-east-1:1:stream/s", "r"};
  sl_event_record_t rec = {"device-1", 8, "d", 1, seq, 0};
  sl_event_window_t win = {INT64_C(1607497440000), INT64_C(1607497560000), "{\"device-1\":41}", 1, 0};
  sl_invocation_t inv = {&src, &rec, 1, NULL, 0, START_US, &win};
  sl_env_config_t c = config_for(HANDLERS "window_state.lua", NULL);
  sl_env_t *env;
  sl_error_t err;
  sl_invoke_result_t res;
  assert_int_equal(sl_env_create(&c, 0, &env, &err), SL_OK);
  assert_int_equal(sl_env_invoke(env, &inv, &res, &err), SL_OK);
  assert_int_equal(res.status, SL_INVOKE_SUCCESS);
  assert_string_equal(res.state_json, "{\"device-1\":42}"); /* the state came in, one more record was counted */
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
  c = config_for(HANDLERS "echo_window.lua", NULL);
  assert_int_equal(sl_env_create(&c, 0, &env, &err), SL_OK);
  assert_int_equal(sl_env_invoke(env, &inv, &res, &err), SL_OK);
  assert_int_equal(res.status, SL_INVOKE_FUNCTION_ERROR); /* it returns no state */
  assert_non_null(strstr(res.error_json, "must include state"));
  assert_true(sl_env_is_warm(env)); /* it returned normally: the mapping rejects the response, not the environment */
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
}

static void pool_reclaims_idle_environments(void **state) {
  (void)state;
  sl_env_config_t c = config_for(HANDLERS "counter.lua", NULL);
  sl_env_pool_t *pool;
  sl_error_t err;
  sl_invoke_result_t res;
  int64_t idle = SL_ENV_IDLE_TIMEOUT_DEFAULT_US;
  assert_int_equal(sl_env_pool_create(&c, idle, &pool, &err), SL_OK);
  static const char *seq = "49590338271490256608559692538361571095921575989136588898";
  sl_event_source_t src = {"shardId-000000000000", "us-east-1", "arn", "role"};
  sl_event_record_t rec = {"k", 1, "d", 1, seq, 0};
  sl_invocation_t inv = {&src, &rec, 1, NULL, 0, START_US, NULL};
  for (uint32_t slot = 0; slot < 3; slot++) {
    assert_int_equal(sl_env_pool_invoke(pool, slot, START_US, &inv, &res, &err), SL_OK);
    sl_invoke_result_clear(&res);
  }
  assert_int_equal(sl_env_pool_live(pool), 3);
  /* Slot 0 stays busy; slots 1 and 2 go idle past the timeout and are reclaimed. */
  assert_int_equal(sl_env_pool_invoke(pool, 0, START_US + idle - 1, &inv, &res, &err), SL_OK);
  assert_false(res.cold_start);
  sl_invoke_result_clear(&res);
  assert_int_equal(sl_env_pool_reclaim(pool, START_US + idle), 2);
  assert_int_equal(sl_env_pool_live(pool), 1);
  assert_int_equal(sl_env_pool_invoke(pool, 1, START_US + idle, &inv, &res, &err), SL_OK);
  assert_true(res.cold_start); /* came back cold */
  assert_int_equal(field_int(&res, "calls"), 1);
  sl_invoke_result_clear(&res);
  assert_int_equal(sl_env_pool_cold_starts(pool), 4);
  sl_env_pool_destroy(pool);
}

static void same_seed_same_results(void **state) {
  (void)state;
  char first[2][1024];
  for (int run = 0; run < 2; run++) {
    sl_env_config_t c = config_for(HANDLERS "counter.lua", NULL);
    sl_invoke_result_t res;
    invoke_fresh(&c, 3, "k", &res);
    snprintf(first[run], sizeof first[run], "%s %s", res.request_id, res.response_json);
    sl_invoke_result_clear(&res);
  }
  assert_string_equal(first[0], first[1]);
  assert_non_null(strstr(first[0], "-4")); /* a version 4 UUID */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(warm_globals_and_isolated_slots),
      cmocka_unit_test(handler_errors),
      cmocka_unit_test(limits_stop_runaway_handlers),
      cmocka_unit_test(timeouts_reach_coroutines),
      cmocka_unit_test(load_errors),
      cmocka_unit_test(sandbox_takes_away_what_could_end_the_runtime),
      cmocka_unit_test(virtual_clock_and_logs),
      cmocka_unit_test(batch_item_failures_through_the_environment),
      cmocka_unit_test(invalid_item_failures_keep_the_environment),
      cmocka_unit_test(window_state_comes_back_as_json),
      cmocka_unit_test(window_fields_and_state_rule),
      cmocka_unit_test(pool_reclaims_idle_environments),
      cmocka_unit_test(same_seed_same_results),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
