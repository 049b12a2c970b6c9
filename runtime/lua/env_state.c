/* env_state.c - the Lua state of an execution environment: a limiting allocator (memory_mb), the chosen
 * libraries minus what could end or wedge the runtime, the sl module, the timeout hook, and the protected
 * call with a traceback that every call into user code goes through. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shardlab/clock.h"
#include "lua/env_internal.h"

/* Lua 5.4 allocator contract: when ptr is NULL, osize is the object's type, not a size; a shrink must never
 * fail. Growth past the limit fails, which Lua reports as a memory error (after one emergency collection). */
static void *env_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  sl_env_t *env = ud;
  size_t old = ptr != NULL ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    env->mem_used -= old;
    return NULL;
  }
  if (nsize > old && env->mem_used - old + nsize > env->mem_limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p == NULL) return nsize <= old ? ptr : NULL; /* a failed shrink keeps the larger block */
  env->mem_used = env->mem_used - old + nsize;
  if (env->mem_used > env->mem_peak) env->mem_peak = env->mem_used;
  return p;
}

static sl_env_t *env_of(lua_State *L) { return *(sl_env_t **)lua_getextraspace(L); }

void sl__env_raise_timeout(lua_State *L, sl_env_t *env) {
  env->timed_out = 1;
  /* From now on check at every line and instruction, so a pcall in the handler cannot swallow the kill. */
  lua_sethook(L, sl__env_timeout_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
  char msg[64]; /* luaL_error has no %.2f */
  snprintf(msg, sizeof msg, "Task timed out after %.2f seconds", env->config.timeout_s);
  luaL_error(L, "%s", msg);
}

void sl__env_timeout_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  sl_env_t *env = env_of(L);
  if (env->timed_out || sl_clock_mono_ns() >= env->deadline_ns) sl__env_raise_timeout(L, env);
  if (!env->deadline_by_count) { /* the deadline signal, before its time or after its invocation: off again */
    lua_sethook(L, NULL, 0, 0);
    if (env->deadline_ns != INT64_MAX) sl__env_deadline_start(env);
  }
}

void sl__env_arm(sl_env_t *env, int64_t start_us, int64_t overhead_us, int64_t budget_us) {
  env->timed_out = 0;
  env->phase_overhead_us = overhead_us;
  env->clock_start_us = env->config.clock == SL_CLOCK_REAL ? sl_clock_wall_us() : start_us;
  env->slept_us = 0;
  env->budget_us = budget_us;
  env->deadline_ns = sl_clock_mono_ns() + (int64_t)(env->config.timeout_s * 1e9);
  sl__env_deadline_start(env);
}

void sl__env_disarm(sl_env_t *env) {
  env->deadline_ns = INT64_MAX;
  sl__env_deadline_stop(env);
}

int64_t sl__env_elapsed_us(const sl_env_t *env) {
  if (env->config.clock == SL_CLOCK_REAL) return sl_clock_wall_us() - env->clock_start_us;
  return env->phase_overhead_us + env->slept_us;
}

int64_t sl__env_now_us(const sl_env_t *env) {
  if (env->config.clock == SL_CLOCK_REAL) return sl_clock_wall_us();
  return env->clock_start_us + env->slept_us;
}

/* --- the sl module's host ------------------------------------------------------------------------------ */

static double host_now(void *self) { return (double)sl__env_now_us(self) / 1e6; }

/* Real clock: an invocation's own sleep parks it (yields to sl_env_invoke_*, which hands the time to the
 * caller) when it can; a sleep at init, in a coroutine of the handler's or below a C function that cannot be
 * yielded across (a table.sort comparator, say) blocks the thread instead. */
static int host_sleep(lua_State *L, void *self, double seconds) {
  sl_env_t *env = self;
  int64_t want = (int64_t)llround(seconds * 1e6);
  int64_t left = env->budget_us - sl__env_elapsed_us(env);
  if (left < 0) left = 0;
  int late = want > left;
  if (late) want = left;
  if (env->config.clock == SL_CLOCK_REAL) {
    if (L == env->co && env->inv != NULL && lua_isyieldable(L)) {
      env->sleep_requested = 1;
      env->sleep_us = want;
      env->sleep_late = late;
      return 1;
    }
    struct timespec ts = {(time_t)(want / 1000000), (long)(want % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
  } else {
    env->slept_us += want;
  }
  if (late) sl__env_raise_timeout(L, env);
  return 0;
}

static void host_woke(lua_State *L, void *self) {
  sl_env_t *env = self;
  if (env->sleep_late) sl__env_raise_timeout(L, env);
}

static void host_log(void *self, const char *line, size_t len) { sl__env_log_line(self, line, len); }

/* --- protected calls ----------------------------------------------------------------------------------- */

/* The error object at index 1 as text, naming what was thrown when it is not a string. */
static const char *error_text(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg != NULL) return msg;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return lua_tostring(L, -1);
  return lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
}

/* Message handler: the error as text plus a traceback. */
static int traceback_handler(lua_State *L) {
  luaL_traceback(L, L, error_text(L), 1);
  return 1;
}

/* (error object, thread) -> the error as text plus the thread's traceback where it failed. */
static int describe_thread_error(lua_State *L) {
  luaL_traceback(L, lua_tothread(L, 2), error_text(L), 0);
  return 1;
}

void sl__env_push_thread_error(sl_env_t *env) {
  lua_State *L = env->L;
  lua_pushcfunction(L, describe_thread_error);
  lua_xmove(env->co, L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, env->co_ref);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    lua_pop(L, 1);
    lua_pushliteral(L, "(the error could not be described: out of memory)");
  }
}

int sl_env_pcall(lua_State *L, int nargs, int nresults) {
  int base = lua_gettop(L) - nargs; /* the function's index */
  lua_pushcfunction(L, traceback_handler);
  lua_insert(L, base);
  int status = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return status;
}

/* --- the sandbox ---------------------------------------------------------------------------------------- */

/* Runs once in every new state, after the libraries open: takes away what could end the process (os.exit),
 * run other programs (os.execute, io.popen), change the whole process (os.setlocale), block on standard input
 * (io.read, io.lines(), dofile()), load binary chunks that can crash the VM, load C libraries, or remove the
 * timeout hook (all of debug but traceback). */
static const char sandbox_lua[] =
    "local load_, loadfile_, lines_, traceback = load, loadfile, io.lines, debug.traceback\n"
    "debug = { traceback = traceback }\n"
    "package.loaded.debug = debug\n"
    "os.exit, os.execute, os.setlocale = nil, nil, nil\n"
    "io.popen, io.read, io.input, io.stdin = nil, nil, nil, nil\n"
    "package.loadlib, package.cpath = nil, ''\n"
    "table.remove(package.searchers, 4)\n"
    "table.remove(package.searchers, 3)\n"
    "local function text_only(who, mode)\n"
    "  if mode ~= nil and mode ~= 't' then error(who .. ': only text chunks can be loaded', 3) end\n"
    "end\n"
    "function load(chunk, name, mode, ...) text_only('load', mode) return load_(chunk, name, 't', ...) end\n"
    "function loadfile(name, mode, ...)\n"
    "  if name == nil then error('loadfile: a file name is required (standard input is not available)', 2) end\n"
    "  text_only('loadfile', mode) return loadfile_(name, 't', ...)\n"
    "end\n"
    "function dofile(name)\n"
    "  if name == nil then error('dofile: a file name is required (standard input is not available)', 2) end\n"
    "  local f = assert(loadfile_(name, 't')) return f()\n"
    "end\n"
    "function io.lines(name, ...)\n"
    "  if name == nil then error('io.lines: a file name is required (standard input is not available)', 2) end\n"
    "  return lines_(name, ...)\n"
    "end\n";

static const luaL_Reg libraries[] = {
    {LUA_GNAME, luaopen_base},         {LUA_LOADLIBNAME, luaopen_package}, {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_TABLIBNAME, luaopen_table},   {LUA_IOLIBNAME, luaopen_io},        {LUA_OSLIBNAME, luaopen_os},
    {LUA_STRLIBNAME, luaopen_string},  {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_DBLIBNAME, luaopen_debug},    {NULL, NULL}};

static int open_protected(lua_State *L) {
  sl_env_t *env = lua_touserdata(L, 1);
  for (const luaL_Reg *lib = libraries; lib->func != NULL; lib++) {
    luaL_requiref(L, lib->name, lib->func, 1);
    lua_pop(L, 1);
  }
  if (luaL_loadbuffer(L, sandbox_lua, sizeof sandbox_lua - 1, "=sandbox") != LUA_OK) return lua_error(L);
  lua_call(L, 0, 0);
  sl_lua_set_path(L, env->handler_dir, env->scripts_dir ? env->scripts_dir : sl_lua_default_scripts_dir());
  sl_lua_install(L);
  sl__env_track_coroutines(L);
  env->co = lua_newthread(L);
  env->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int sl__env_state_open(sl_env_t *env) {
  env->mem_used = 0;
  lua_State *L = lua_newstate(env_alloc, env);
  if (L == NULL) return SL_ENOMEM;
  *(sl_env_t **)lua_getextraspace(L) = env;
  env->L = L;
  env->host.now = host_now;
  env->host.sleep = host_sleep;
  env->host.woke = host_woke;
  env->host.log = host_log;
  env->host.rng = &env->rng;
  env->host.self = env;
  sl_lua_set_host(L, &env->host);
  lua_pushcfunction(L, open_protected);
  lua_pushlightuserdata(L, env);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    sl__env_state_close(env);
    return SL_ENOMEM;
  }
  sl__env_disarm(env);
  return SL_OK;
}

void sl__env_state_close(sl_env_t *env) {
  if (env->L != NULL) lua_close(env->L);
  env->L = NULL;
  env->co = NULL;
  env->co_ref = LUA_NOREF;
  env->running = NULL;
  env->handler_ref = LUA_NOREF;
}
