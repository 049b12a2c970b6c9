/* env.c - execution environments: configuration, cold start (the handler file's top level, timed), warm
 * invocations with AWS's event and context, response handling, function errors in Lambda's JSON form, and
 * the reset of an environment after a failure of the function (not after a response the mapping rejects). */
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep */

#include <inttypes.h>
#include <jansson.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/env_internal.h"
#include "lua/lua_event.h"
#include "lua/lua_json.h"
#include "lua/lua_response.h"
#include "path.h"
#include "shardlab/stream.h" /* SL_REGION_DEFAULT, SL_ACCOUNT_ID_DEFAULT */

void sl_env_config_init(sl_env_config_t *c) {
  memset(c, 0, sizeof *c);
  c->function_name = "shardlab-handler";
  c->region = SL_REGION_DEFAULT;
  c->account_id = SL_ACCOUNT_ID_DEFAULT;
  c->memory_mb = 128; /* Lambda's default memory size */
  c->timeout_s = 3;   /* Lambda's default timeout */
  c->clock = SL_CLOCK_VIRTUAL;
}

void sl_invoke_result_clear(sl_invoke_result_t *r) {
  free(r->response_json);
  free(r->error_json);
  free(r->state_json);
  memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s) { return s != NULL ? strdup(s) : NULL; }

static int check_config(const sl_env_config_t *c, sl_error_t *err) {
  if (c->handler_path == NULL || c->handler_path[0] == '\0')
    return sl_error_set(err, SL_EINVAL, "handler: a handler file is required");
  if (c->memory_mb < 1 || c->memory_mb > 10240)
    return sl_error_set(err, SL_EINVAL, "memory_mb %u is out of range: it must be between 1 and 10240", c->memory_mb);
  if (!(c->timeout_s > 0 && c->timeout_s <= 900))
    return sl_error_set(err, SL_EINVAL, "timeout %g is out of range: it must be more than 0 and at most 900 seconds",
                        c->timeout_s);
  if (c->overhead_us < 0 || c->init_overhead_us < 0)
    return sl_error_set(err, SL_EINVAL, "invocation overheads must not be negative");
  if (c->function_name == NULL || c->function_name[0] == '\0' || strlen(c->function_name) > 64)
    return sl_error_set(err, SL_EINVAL, "function_name must have 1 to 64 characters");
  return SL_OK;
}

int sl_env_create(const sl_env_config_t *c, uint32_t slot, sl_env_t **out, sl_error_t *err) {
  *out = NULL;
  int rc = check_config(c, err);
  if (rc != SL_OK) return rc;
  sl_env_t *env = calloc(1, sizeof *env);
  if (env == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory creating an environment");
  env->config = *c;
  env->handler_path = dup_or_null(c->handler_path);
  env->function_name = dup_or_null(c->function_name);
  env->region = dup_or_null(c->region ? c->region : SL_REGION_DEFAULT);
  env->account_id = dup_or_null(c->account_id ? c->account_id : SL_ACCOUNT_ID_DEFAULT);
  env->scripts_dir = dup_or_null(c->scripts_dir);
  env->handler_dir = dup_or_null(c->handler_path);
  if (!env->handler_path || !env->function_name || !env->region || !env->account_id || !env->handler_dir ||
      (c->scripts_dir && !env->scripts_dir)) {
    sl_env_destroy(env);
    return sl_error_set(err, SL_ENOMEM, "out of memory creating an environment");
  }
  sl_path_dir(env->handler_dir, strlen(env->handler_dir) + 1); /* the path is not empty: "." fits */
  env->config.handler_path = env->handler_path;
  env->config.function_name = env->function_name;
  env->config.region = env->region;
  env->config.account_id = env->account_id;
  env->config.scripts_dir = env->scripts_dir;
  env->slot = slot;
  env->handler_ref = LUA_NOREF;
  env->mem_limit = (size_t)c->memory_mb * 1024 * 1024;
  env->deadline_ns = INT64_MAX;
  sl_rng_seed(&env->rng, c->seed ^ (UINT64_C(0x9E3779B97F4A7C15) * (slot + 1)));
  sl_rng_seed(&env->id_rng, ~c->seed ^ (UINT64_C(0xD1B54A32D192ED03) * (slot + 1)));
  sl_arn_function(env->function_arn, sizeof env->function_arn, env->region, env->account_id, env->function_name);
  *out = env;
  return SL_OK;
}

void sl_env_destroy(sl_env_t *env) {
  if (env == NULL) return;
  sl__env_state_close(env);
  free(env->handler_path);
  free(env->function_name);
  free(env->region);
  free(env->account_id);
  free(env->scripts_dir);
  free(env->handler_dir);
  free(env);
}

int sl_env_is_warm(const sl_env_t *env) { return env->L != NULL; }

/* A version 4 UUID drawn from the environment's id stream: deterministic for a seed, like everything else. */
static void new_request_id(sl_env_t *env, char out[40]) {
  uint64_t a = sl_rng_next(&env->id_rng), b = sl_rng_next(&env->id_rng);
  snprintf(out, 40, "%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32 "-%012" PRIx64, (uint32_t)(a >> 32),
           (uint32_t)(a >> 16) & 0xFFFF, (uint32_t)a & 0xFFF, (uint32_t)(0x8000 | ((b >> 48) & 0x3FFF)),
           b & UINT64_C(0xFFFFFFFFFFFF));
}

/* Fills res as a function error. text is Lua's message with its traceback ("msg\nstack traceback:\n\t..."). */
static void function_error(sl_invoke_result_t *res, const char *type, const char *text) {
  res->status = SL_INVOKE_FUNCTION_ERROR;
  snprintf(res->error_type, sizeof res->error_type, "%s", type);
  const char *tb = strstr(text, "\nstack traceback:\n");
  json_t *trace = json_array();
  if (tb != NULL) {
    for (const char *p = tb + 18; *p;) {
      while (*p == '\t') p++;
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p) : strlen(p);
      json_array_append_new(trace, json_stringn_nocheck(p, n));
      p += n + (nl != NULL);
    }
  }
  json_t *err = json_pack("{s:s%,s:s,s:o}", "errorMessage", text, tb ? (size_t)(tb - text) : strlen(text),
                          "errorType", type, "stackTrace", trace);
  res->error_json = err ? json_dumps(err, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  json_decref(err);
}

/* Names what broke a protected call. */
static const char *failure_type(const sl_env_t *env, int status, const char *otherwise) {
  if (env->timed_out) return "Sandbox.Timedout";
  if (status == LUA_ERRMEM) return "Runtime.OutOfMemory";
  return otherwise;
}

static const char *failure_text(lua_State *L, const sl_env_t *env, int status, char *buf, size_t size) {
  if (status == LUA_ERRMEM) {
    snprintf(buf, size, "Lua heap exceeded the memory limit of %u MB", env->config.memory_mb);
    return buf;
  }
  const char *msg = lua_tostring(L, -1);
  return msg != NULL ? msg : "(no error message)";
}

/* Cold start: a new state, then the handler file's top level. SL_OK when warm; otherwise res holds the error
 * and the environment stays cold. */
static int cold_start(sl_env_t *env, int64_t start_us, sl_invoke_result_t *res) {
  char buf[160];
  res->cold_start = 1;
  if (sl__env_state_open(env) != SL_OK) {
    snprintf(buf, sizeof buf, "could not create a Lua state within the memory limit of %u MB", env->config.memory_mb);
    function_error(res, "Runtime.OutOfMemory", buf);
    return SL_ENOMEM;
  }
  lua_State *L = env->L;
  snprintf(env->log_stream, sizeof env->log_stream, "%s/[$LATEST]%016" PRIx64 "%016" PRIx64, "2024/01/01",
           sl_rng_next(&env->id_rng), sl_rng_next(&env->id_rng));
  sl__env_arm(env, start_us, env->config.init_overhead_us, (int64_t)(env->config.timeout_s * 1e6));
  env->running = L;
  int status = luaL_loadfilex(L, env->handler_path, "t");
  const char *type = status == LUA_ERRSYNTAX ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
  if (status == LUA_OK) {
    status = sl_env_pcall(L, 0, 1);
    type = "Runtime.InitError";
  }
  res->init_duration_us = sl__env_elapsed_us(env);
  sl__env_disarm(env);
  if (status != LUA_OK) {
    function_error(res, failure_type(env, status, type), failure_text(L, env, status, buf, sizeof buf));
    sl__env_state_close(env);
    return SL_EINVAL;
  }
  if (lua_type(L, -1) != LUA_TFUNCTION) {
    int returned = lua_type(L, -1);
    lua_pop(L, 1);
    lua_getglobal(L, "handler");
    if (lua_type(L, -1) != LUA_TFUNCTION) {
      snprintf(buf, sizeof buf, "%s returned %s and defines no global function 'handler'", env->handler_path,
               lua_typename(L, returned));
      function_error(res, "Runtime.HandlerNotFound", buf);
      sl__env_state_close(env);
      return SL_EINVAL;
    }
  }
  env->handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return SL_OK;
}

int sl_env_prepare(sl_env_t *env, int64_t now_us, sl_invoke_result_t *res, sl_error_t *err) {
  (void)err;
  if (env->L != NULL) return SL_OK;
  return cold_start(env, now_us, res);
}

static int remaining_time(lua_State *L) {
  sl_env_t *env = *(sl_env_t **)lua_getextraspace(L);
  int64_t left = env->budget_us - sl__env_elapsed_us(env);
  lua_pushinteger(L, left > 0 ? left / 1000 : 0);
  return 1;
}

/* The context object (Lambda's context, with the Python runtime's field names). */
static void push_context(lua_State *L, sl_env_t *env) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, env->function_name);
  lua_setfield(L, -2, "function_name");
  lua_pushliteral(L, "$LATEST");
  lua_setfield(L, -2, "function_version");
  lua_pushstring(L, env->function_arn);
  lua_setfield(L, -2, "invoked_function_arn");
  lua_pushinteger(L, env->config.memory_mb);
  lua_setfield(L, -2, "memory_limit_in_mb");
  lua_pushstring(L, env->request_id);
  lua_setfield(L, -2, "aws_request_id");
  lua_pushfstring(L, "/aws/lambda/%s", env->function_name);
  lua_setfield(L, -2, "log_group_name");
  lua_pushstring(L, env->log_stream);
  lua_setfield(L, -2, "log_stream_name");
  lua_pushcfunction(L, remaining_time);
  lua_setfield(L, -2, "get_remaining_time_in_millis");
}

/* The invocation thread's main function: builds the event and context, then calls the handler with a
 * continuation, so sl.sleep can yield through it (the real clock). */
static int invoke_body_done(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  return 1;
}

static int invoke_body(lua_State *L) {
  sl_env_t *env = lua_touserdata(L, 1);
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, env->handler_ref);
  if (env->event != NULL)
    sl_json_push(L, env->event);
  else
    sl_event_push(L, env->inv->source, env->inv->records, env->inv->count);
  if (env->inv->window != NULL) sl_event_push_window(L, -1, env->inv->source, env->inv->window);
  push_context(L, env);
  lua_callk(L, 2, 1, 0, invoke_body_done);
  return 1;
}

/* The sequence numbers of the batch, in order: from the records, or from the given event's Records. */
static const char **batch_sequence_numbers(const sl_invocation_t *inv, json_t *event, size_t *count) {
  size_t n = event ? json_array_size(json_object_get(event, "Records")) : inv->count;
  const char **seqs = calloc(n ? n : 1, sizeof *seqs);
  if (seqs == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (event != NULL) {
      json_t *rec = json_array_get(json_object_get(event, "Records"), i);
      const char *s = json_string_value(json_object_get(json_object_get(rec, "kinesis"), "sequenceNumber"));
      seqs[i] = s ? s : "";
    } else {
      seqs[i] = inv->records[i].sequence_number;
    }
  }
  *count = n;
  return seqs;
}

/* After the handler returned normally: encode the response and apply DESIGN 5's rules. Returns nonzero when
 * the environment must be reset: only when the runtime cannot encode the value (Runtime.InvalidResponse, a
 * failure of the function's side). A response the event source mapping rejects (no state in a tumbling
 * window, an invalid batchItemFailures) fails the batch, but the function returned normally, so its
 * environment stays warm, as on AWS: the mapping judges a response it was given; it does not touch the
 * execution environment that produced it. */
static int read_response(sl_env_t *env, const sl_invocation_t *inv, json_t *event, sl_invoke_result_t *res) {
  lua_State *L = env->L;
  char why[256];
  json_t *value = sl_json_from_lua(L, -1, why, sizeof why);
  if (value == NULL) {
    char text[320];
    snprintf(text, sizeof text, "the handler's return value cannot be sent as JSON: %s", why);
    function_error(res, "Runtime.InvalidResponse", text);
    return 1;
  }
  res->response_json = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
  json_t *state = json_object_get(value, "state"); /* NULL when value is not an object */
  if (state != NULL && !json_is_null(state))
    res->state_json = json_dumps(state, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(value);
  if (inv->window != NULL && res->state_json == NULL) {
    /* AWS: with a tumbling window "the function response must contain a state property"; without it Lambda
     * treats the invocation as failed. */
    function_error(res, "Runtime.InvalidResponse", "with a tumbling window the response must include state");
    return 0;
  }
  size_t n = 0;
  const char **seqs = batch_sequence_numbers(inv, event, &n);
  sl_response_t r;
  sl_response_read(L, -1, inv->report_batch_item_failures, seqs, n, &r);
  free(seqs);
  if (r.kind == SL_RESPONSE_PARTIAL) {
    res->status = SL_INVOKE_PARTIAL;
    res->lowest_failed = r.lowest_failed;
  } else if (r.kind == SL_RESPONSE_BATCH_FAILURE) {
    /* AWS Lambda guide, "Configuring partial batch response with Kinesis Data Streams and Lambda": an empty
     * string, null or wrongly named itemIdentifier makes the batch a complete failure ("Lambda treats all
     * other results as a complete failure and retries processing the batch up to the retry limit"). A
     * failure of the batch, not of the execution environment: it stays warm. */
    function_error(res, "Runtime.InvalidBatchItemFailures", r.reason);
  }
  return 0;
}

/* The invocation ended (or never started: a failed cold start): logs, billing, and the reset after a
 * function error unless keep_warm (the handler returned normally and only its response was rejected). */
static int finish(sl_env_t *env, sl_invoke_result_t *res, int keep_warm) {
  if (res->status == SL_INVOKE_FUNCTION_ERROR && res->error_json != NULL)
    sl__env_log_level(env, "ERROR", res->error_json, strlen(res->error_json));
  res->billed_ms = (res->duration_us + 999) / 1000;
  res->max_memory_bytes = env->mem_peak;
  sl__env_log_end(env, res);
  env->request_id[0] = '\0';
  env->invocations++;
  /* Lambda resets an environment after a function error: the next invocation starts cold. */
  if (res->status == SL_INVOKE_FUNCTION_ERROR && !keep_warm) sl__env_state_close(env);
  json_decref(env->event);
  env->event = NULL;
  env->inv = NULL;
  return SL_OK;
}

/* Runs the invocation thread until the handler returns, fails, or parks in sl.sleep. */
static int step(sl_env_t *env, sl_invoke_result_t *res, int nargs, int64_t *sleep_us) {
  lua_State *L = env->L, *co = env->co;
  int nres = 0;
  env->sleep_requested = 0;
  env->running = co;
  int status = lua_resume(co, L, nargs, &nres);
  if (status == LUA_YIELD && env->sleep_requested) {
    lua_pop(co, nres);
    sl__env_deadline_stop(env); /* parked: the timer of this OS thread is for whatever runs next on it */
    *sleep_us = env->sleep_us;
    return SL_PENDING;
  }
  res->duration_us = sl__env_elapsed_us(env);
  char buf[160];
  int keep_warm = 0;
  if (status == LUA_OK) {
    lua_xmove(co, L, 1);
    lua_settop(co, 0); /* the thread is reused by the next invocation */
    keep_warm = !read_response(env, env->inv, env->event, res);
  } else if (status == LUA_YIELD) { /* coroutine.yield() outside any coroutine of the handler's */
    lua_settop(co, 0);
    lua_pushliteral(co, "attempt to yield from outside a coroutine");
    sl__env_push_thread_error(env);
    function_error(res, "LuaError", lua_tostring(L, -1));
  } else {
    if (status != LUA_ERRMEM) sl__env_push_thread_error(env);
    function_error(res, failure_type(env, status, "LuaError"),
                   status == LUA_ERRMEM ? failure_text(L, env, status, buf, sizeof buf) : lua_tostring(L, -1));
    if (status == LUA_ERRMEM) lua_pushnil(L);
  }
  lua_pop(L, 1);
  sl__env_disarm(env);
  return finish(env, res, keep_warm);
}

int sl_env_invoke_begin(sl_env_t *env, const sl_invocation_t *inv, sl_invoke_result_t *res, int64_t *sleep_us,
                        sl_error_t *err) {
  memset(res, 0, sizeof *res);
  *sleep_us = 0;
  if (inv->event_json != NULL) {
    json_error_t jerr;
    env->event = json_loads(inv->event_json, 0, &jerr);
    if (env->event == NULL)
      return sl_error_set(err, SL_EINVAL, "event: line %d column %d: %s", jerr.line, jerr.column, jerr.text);
  }
  env->inv = inv;
  int64_t start = inv->start_us;
  int warm = env->L != NULL || cold_start(env, start, res) == SL_OK;
  if (res->cold_start) start += res->init_duration_us;
  new_request_id(env, res->request_id);
  memcpy(env->request_id, res->request_id, sizeof env->request_id);
  sl__env_log_start(env);
  if (!warm) return finish(env, res, 0);
  sl__env_arm(env, start, env->config.overhead_us, (int64_t)(env->config.timeout_s * 1e6));
  lua_pushcfunction(env->co, invoke_body);
  lua_pushlightuserdata(env->co, env);
  return step(env, res, 1, sleep_us);
}

int sl_env_invoke_resume(sl_env_t *env, sl_invoke_result_t *res, int64_t *sleep_us, sl_error_t *err) {
  if (env->inv == NULL || env->co == NULL)
    return sl_error_set(err, SL_EINVAL, "the environment has no parked invocation to resume");
  sl__env_deadline_start(env); /* on the OS thread that resumes it */
  return step(env, res, 0, sleep_us);
}

int sl_env_invoke(sl_env_t *env, const sl_invocation_t *inv, sl_invoke_result_t *res, sl_error_t *err) {
  int64_t sleep_us;
  int rc = sl_env_invoke_begin(env, inv, res, &sleep_us, err);
  while (rc == SL_PENDING) { /* a real-clock sleep with no one else to run meanwhile: wait here */
    struct timespec ts = {(time_t)(sleep_us / 1000000), (long)(sleep_us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
    rc = sl_env_invoke_resume(env, res, &sleep_us, err);
  }
  return rc;
}
