/* env_internal.h - the layout of an execution environment (struct sl_env_s) and what the environment's files
 * share: the sandboxed state, the timeout and its watchdog, the invocation thread's errors, the clock of a
 * phase, Lambda-form log lines. Private to runtime/lua: included only by its files (env.c, env_state.c,
 * env_deadline.c, env_log.c, env_pool.c; experiment_run.c for sl_env_pcall); everything else drives
 * environments through shardlab/env.h. sl_env_pcall is declared in lua/lua_call.h, included here for the
 * files that found it in this header. */
#ifndef SHARDLAB_ENV_INTERNAL_H
#define SHARDLAB_ENV_INTERNAL_H

#include <lua.h>

#include "lua/lua_call.h"
#include "lua/lua_sl.h"
#include "shardlab/env.h"

struct sl_env_s {
  sl_env_config_t config;  /* a copy; its strings point at the owned copies below */
  char *handler_path;      /* owned copies of the config's strings */
  char *function_name;
  char *region;
  char *account_id;
  char *scripts_dir;
  char *handler_dir;       /* the handler file's folder: require looks there first */
  char function_arn[256];  /* arn:aws:lambda:REGION:ACCOUNT:function:NAME */
  uint32_t slot;           /* which concurrency slot this environment serves */
  lua_State *L;            /* NULL while cold */
  int handler_ref;         /* registry reference of the handler function */
  lua_State *co;           /* the thread invocations run on (a coroutine, so sl.sleep can park it) */
  int co_ref;              /* its registry reference */
  const sl_invocation_t *inv; /* the running invocation (between sl_env_invoke_begin and its end) */
  struct json_t *event;    /* its decoded event_json, or NULL */
  int sleep_requested;     /* sl.sleep yielded: the invocation is parked for sleep_us */
  int64_t sleep_us;
  int sleep_late;          /* the sleep reaches the deadline: the invocation times out when it wakes */
  lua_State *volatile running; /* the Lua thread running now (read by the deadline's signal handler) */
  int deadline_by_count;   /* the deadline is checked by a count hook (no timer for this thread) */
  size_t mem_used;         /* bytes the Lua state holds now */
  size_t mem_limit;        /* memory_mb in bytes */
  size_t mem_peak;         /* most bytes held at once in this environment's life */
  int64_t deadline_ns;     /* monotonic time when the running call times out; INT64_MAX when idle */
  int timed_out;           /* the running call passed its deadline (the hook keeps raising) */
  int64_t clock_start_us;  /* virtual clock: when the running phase (init or invocation) started */
  int64_t slept_us;        /* virtual clock: simulated time spent by the running phase */
  int64_t budget_us;       /* time the running phase may use before it times out */
  int64_t phase_overhead_us; /* virtual clock: fixed time the running phase costs besides its sleeps */
  char log_stream[96];     /* this environment's log stream name, as Lambda names them */
  sl_rng_t rng;            /* sl.random */
  sl_rng_t id_rng;         /* request ids */
  sl_lua_host_t host;      /* what the sl module calls back */
  char request_id[40];     /* the running invocation's id ("" during init) */
  uint64_t invocations;    /* invocations this environment has run */
};

/* Creates the sandboxed state (allocator with the memory limit, libraries, sl, timeout hook). SL_ENOMEM when
 * the state cannot be created within the limit. */
int sl__env_state_open(sl_env_t *env);
void sl__env_state_close(sl_env_t *env);

/* The timeout (env_state.c): the hook that checks the deadline, and raising the timeout error in L. */
void sl__env_timeout_hook(lua_State *L, lua_Debug *ar);
void sl__env_raise_timeout(lua_State *L, sl_env_t *env);

/* The deadline's watchdog (env_deadline.c): start it for the running phase (from deadline_ns), on this OS
 * thread; stop it (end of the phase, or an invocation parked in sl.sleep). And coroutine.resume/wrap that
 * keep env->running exact. */
void sl__env_deadline_start(sl_env_t *env);
void sl__env_deadline_stop(sl_env_t *env);
void sl__env_track_coroutines(lua_State *L);

/* Arms the timeout for a phase (init or invocation) starting at start_us (virtual clock) that costs
 * overhead_us besides its sleeps and may use budget_us in all (the hook also stops it after timeout_s of real
 * time, so a busy loop ends on either clock). */
void sl__env_arm(sl_env_t *env, int64_t start_us, int64_t overhead_us, int64_t budget_us);
void sl__env_disarm(sl_env_t *env);

/* Moves the error that ended the invocation thread (env->co) to env->L as text with the thread's traceback. */
void sl__env_push_thread_error(sl_env_t *env);

/* Microseconds the running phase has used (virtual: sleeps; real: wall time since clock_start_us). */
int64_t sl__env_elapsed_us(const sl_env_t *env);
int64_t sl__env_now_us(const sl_env_t *env);

/* Log lines in Lambda's form. */
void sl__env_log_line(sl_env_t *env, const char *line, size_t len);
void sl__env_log_level(sl_env_t *env, const char *level, const char *line, size_t len);
void sl__env_log_start(sl_env_t *env);
void sl__env_log_end(sl_env_t *env, const sl_invoke_result_t *res);

#endif
