/* env_deadline.c - stopping a handler at its deadline without slowing it down.
 *
 * A Lua count hook checked every N instructions would do, but Lua 5.4 runs every instruction of a hooked
 * thread through its hook dispatcher, which makes a CPU-bound handler about twice as slow. So no hook is set
 * while a handler runs: each OS thread that runs handlers has a POSIX timer (CLOCK_MONOTONIC) aimed at itself
 * (SIGEV_THREAD_ID), armed with the running invocation's deadline. Its signal handler only sets a count hook
 * of 1 on the Lua thread that is running, which Lua allows from a signal handler (lua.c stops scripts on Ctrl-C
 * the same way); the hook then raises the timeout at the next instruction. The running thread is the
 * environment's init or invocation thread, or a coroutine the handler resumed: coroutine.resume and
 * coroutine.wrap are wrapped to keep env->running exact, so a loop inside a coroutine is stopped too.
 *
 * Under ThreadSanitizer (which delivers signals only at the next intercepted call, never inside a pure Lua
 * loop), and wherever a timer cannot be made, the count hook is used instead. */
#define _GNU_SOURCE /* SIGEV_THREAD_ID, sigev_notify_thread_id, gettid */

#include <errno.h>
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "shardlab/clock.h"
#include "lua/env_internal.h"

enum { HOOK_EVERY = 10000 }; /* instructions between deadline checks with the count hook */

#if defined(__SANITIZE_THREAD__)
#define SL_DEADLINE_BY_COUNT 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SL_DEADLINE_BY_COUNT 1
#endif
#endif

static void count_hooks(sl_env_t *env) {
  env->deadline_by_count = 1;
  lua_sethook(env->L, sl__env_timeout_hook, LUA_MASKCOUNT, HOOK_EVERY);
  if (env->co != NULL) lua_sethook(env->co, sl__env_timeout_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

#ifdef SL_DEADLINE_BY_COUNT

void sl__env_deadline_start(sl_env_t *env) { count_hooks(env); }
void sl__env_deadline_stop(sl_env_t *env) {
  if (env->L != NULL) count_hooks(env); /* also takes back the every-line hook of a timeout */
}

#else

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_key_t timer_key;  /* deletes a thread's timer when the thread ends */
static int timers_usable;
static _Thread_local timer_t *thread_timer;   /* this thread's timer, once made */
static _Thread_local sl_env_t *volatile armed; /* the environment whose deadline the timer holds */

static void on_deadline(int sig) {
  (void)sig;
  int saved = errno;
  sl_env_t *env = armed;
  lua_State *running = env != NULL ? env->running : NULL;
  if (running != NULL) lua_sethook(running, sl__env_timeout_hook, LUA_MASKCOUNT, 1);
  errno = saved;
}

static void delete_timer(void *p) {
  timer_delete(*(timer_t *)p);
  free(p);
}

static void setup(void) {
  struct sigaction sa;
  sa.sa_handler = on_deadline;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  timers_usable = pthread_key_create(&timer_key, delete_timer) == 0 && sigaction(SIGRTMIN, &sa, NULL) == 0;
}

static timer_t *timer_of_this_thread(void) {
  if (thread_timer != NULL) return thread_timer;
  pthread_once(&setup_once, setup);
  if (!timers_usable) return NULL;
  timer_t *t = malloc(sizeof *t);
  struct sigevent sev = {0};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGRTMIN;
  sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id, which glibc 2.36 does not name yet */
  if (t == NULL || timer_create(CLOCK_MONOTONIC, &sev, t) != 0) {
    free(t);
    return NULL;
  }
  pthread_setspecific(timer_key, t);
  return thread_timer = t;
}

void sl__env_deadline_start(sl_env_t *env) {
  timer_t *t = env->deadline_by_count ? NULL : timer_of_this_thread();
  if (t == NULL) {
    count_hooks(env);
    return;
  }
  int64_t left = env->deadline_ns - sl_clock_mono_ns();
  if (left < 1000) left = 1000;
  struct itimerspec when = {{0, 0}, {(time_t)(left / 1000000000), (long)(left % 1000000000)}};
  armed = env;
  if (timer_settime(*t, 0, &when, NULL) != 0) {
    armed = NULL;
    count_hooks(env);
  }
}

void sl__env_deadline_stop(sl_env_t *env) {
  if (thread_timer != NULL && armed == env) {
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(*thread_timer, 0, &off, NULL);
    armed = NULL;
  }
  if (env->L == NULL) return;
  if (env->deadline_by_count) { /* also takes back the every-line hook of a timeout */
    count_hooks(env);
  } else {
    lua_sethook(env->L, NULL, 0, 0);
    if (env->co != NULL) lua_sethook(env->co, NULL, 0, 0);
  }
}

#endif

/* --- knowing which Lua thread runs ----------------------------------------------------------------------- */

static sl_env_t *env_of(lua_State *L) { return *(sl_env_t **)lua_getextraspace(L); }

/* Calls the function at index 1 with the values above it, co being the running thread meanwhile. A timeout
 * inside co goes on in the caller: the handler cannot carry on past its deadline by catching it there. */
static int call_running(lua_State *L, lua_State *co) {
  sl_env_t *env = env_of(L);
  lua_State *caller = env->running;
  env->running = co;
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  env->running = caller;
  if (env->timed_out) sl__env_raise_timeout(L, env);
  return status == LUA_OK ? lua_gettop(L) : lua_error(L);
}

static int tracked_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1)); /* the library's coroutine.resume */
  lua_insert(L, 1);
  if (co == NULL) { /* not a coroutine: the library's own error */
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
  }
  return call_running(L, co);
}

static int tracked_wrapped(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1)); /* the function the library's coroutine.wrap made */
  lua_insert(L, 1);
  return call_running(L, lua_tothread(L, lua_upvalueindex(2)));
}

static int tracked_wrap(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1)); /* the library's coroutine.wrap */
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  /* The library's wrap function keeps its coroutine as its first upvalue. */
  if (lua_getupvalue(L, -1, 1) == NULL || !lua_isthread(L, -1))
    return luaL_error(L, "coroutine.wrap: this Lua's wrap keeps no coroutine shardlab can follow");
  lua_pushcclosure(L, tracked_wrapped, 2);
  return 1;
}

void sl__env_track_coroutines(lua_State *L) {
  lua_getglobal(L, "coroutine");
  lua_getfield(L, -1, "resume");
  lua_pushcclosure(L, tracked_resume, 1);
  lua_setfield(L, -2, "resume");
  lua_getfield(L, -1, "wrap");
  lua_pushcclosure(L, tracked_wrap, 1);
  lua_setfield(L, -2, "wrap");
  lua_pop(L, 1);
}
