/* env.h - execution environments for Lua handlers, one per concurrency slot, like Lambda's.
 *
 * Lifecycle (as lua_sandbox's lsb_create/init/destroy): sl_env_create allocates; the first sl_env_invoke is a
 * cold start (the handler file's top level runs once, timed as init duration); later invocations are warm and
 * see the globals earlier ones left. A handler error, a timeout or the memory limit breaks the environment: it
 * is closed and the next invocation starts cold, as Lambda resets an environment after such a failure. A pool
 * (sl_env_pool_t) keeps one environment per slot and reclaims idle ones.
 *
 * No lua.h here: the dispatcher and the command line drive environments through this header alone. */
#ifndef SHARDLAB_ENV_H
#define SHARDLAB_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/event.h"

typedef enum sl_clock_kind_e {
  SL_CLOCK_VIRTUAL,  /* sl.sleep adds simulated time; durations are sleeps plus overhead: deterministic */
  SL_CLOCK_REAL      /* sl.sleep waits; durations are measured wall time */
} sl_clock_kind_t;

/* Receives each log line (START, END, REPORT, print output), without the newline. */
typedef void (*sl_log_cb)(void *data, const char *line, size_t len);

typedef struct sl_env_config_s {
  const char *handler_path;     /* Lua file that returns the handler function or defines global `handler` */
  const char *function_name;    /* Lambda function name, used in ARNs and log names (default "shardlab-handler") */
  const char *region;           /* default SL_REGION_DEFAULT */
  const char *account_id;       /* default SL_ACCOUNT_ID_DEFAULT */
  uint32_t memory_mb;           /* Lua heap limit per environment, MiB (default 128, as Lambda; 1..10240) */
  double timeout_s;             /* invocation timeout, seconds (default 3, as Lambda; up to 900) */
  sl_clock_kind_t clock;        /* virtual (default) or real */
  int64_t overhead_us;          /* virtual clock: fixed time added to every invocation (default 0) */
  int64_t init_overhead_us;     /* virtual clock: fixed time added to every cold start's init (default 0) */
  uint64_t seed;                /* seeds sl.random and request ids; each slot derives its own stream */
  sl_log_cb log;                /* where log lines go (NULL: discarded) */
  void *log_data;               /* passed to log */
  const char *scripts_dir;      /* shardlab's Lua library (NULL: the build tree's scripts/, else the installed) */
} sl_env_config_t;

typedef enum sl_invoke_status_e {
  SL_INVOKE_SUCCESS,         /* the batch succeeded */
  SL_INVOKE_PARTIAL,         /* batchItemFailures: records from lowest_failed on must be retried */
  SL_INVOKE_FUNCTION_ERROR   /* the function failed: error, timeout, memory limit, init error, bad response */
} sl_invoke_status_t;

/* One invocation. The event is built from source + records, or taken as given from event_json. */
typedef struct sl_invocation_s {
  const sl_event_source_t *source;  /* shard and ARNs shared by the records */
  const sl_event_record_t *records; /* the batch, in sequence order */
  size_t count;                     /* records in the batch */
  const char *event_json;           /* instead of records: a whole event as AWS documents it (shardlab invoke) */
  int report_batch_item_failures;   /* read batchItemFailures from the response (DESIGN 5) */
  int64_t start_us;                 /* virtual clock: when the invocation starts, microseconds since the epoch */
  const sl_event_window_t *window;  /* tumbling windows: adds the window fields; the response must have state */
} sl_invocation_t;

typedef struct sl_invoke_result_s {
  sl_invoke_status_t status;
  char request_id[40];         /* the invocation's RequestId (UUID form) */
  char *response_json;         /* the handler's return value as JSON ("null" for nil); owned */
  char *error_json;            /* function errors: {"errorMessage","errorType","stackTrace"}; owned */
  char *state_json;            /* tumbling windows: the response's `state` as JSON, NULL when absent; owned */
  char error_type[48];         /* function errors: "LuaError", "Sandbox.Timedout", "Runtime.OutOfMemory", ... */
  size_t lowest_failed;        /* PARTIAL: index of the first record to retry */
  int cold_start;              /* nonzero when this invocation initialized the environment */
  int64_t init_duration_us;    /* cold starts: how long the handler file's top level took */
  int64_t duration_us;         /* the invocation (virtual: overhead + sleeps; real: wall time) */
  int64_t billed_ms;           /* duration rounded up to the millisecond, as Lambda bills */
  uint64_t max_memory_bytes;   /* peak Lua heap of the environment so far */
} sl_invoke_result_t;

/* Frees what a result owns and zeroes it. */
void sl_invoke_result_clear(sl_invoke_result_t *r);

void sl_env_config_init(sl_env_config_t *c);

typedef struct sl_env_s sl_env_t;

/* A cold environment for slot (the slot number seeds its random streams). Checks the config (field named in
 * the message) but loads nothing yet. */
int sl_env_create(const sl_env_config_t *c, uint32_t slot, sl_env_t **out, sl_error_t *err);
void sl_env_destroy(sl_env_t *env);

/* Nonzero when the environment is initialized and healthy (its next invocation is warm). */
int sl_env_is_warm(const sl_env_t *env);

/* Initializes a cold environment without invoking it (provisioned concurrency). SL_OK when it is warm after;
 * an init error is reported in res as a function error. */
int sl_env_prepare(sl_env_t *env, int64_t now_us, sl_invoke_result_t *res, sl_error_t *err);

/* Checks that the handler of config c loads, as a cold start would (the same code): creates one environment
 * (log lines discarded), runs its init at now_us and closes it. SL_OK when it initialized; SL_EINVAL when it
 * did not, with res holding the function error (error_type, error_json: Lua's message, with file:line where Lua
 * gives one; clear it with sl_invoke_result_clear); other codes in err (a bad config, out of memory). */
int sl_env_check(const sl_env_config_t *c, int64_t now_us, sl_invoke_result_t *res, sl_error_t *err);

/* Runs one invocation. Returns SL_OK whenever the invocation ran, whatever the function did (see
 * res->status); a negative code only for bad input (a malformed event_json: message with line and column) or
 * host failures. The caller clears res with sl_invoke_result_clear. */
int sl_env_invoke(sl_env_t *env, const sl_invocation_t *inv, sl_invoke_result_t *res, sl_error_t *err);

/* The same in steps, for the real clock's workers: sl_env_invoke_begin runs the invocation until it ends
 * (SL_OK, res filled) or parks in sl.sleep (SL_PENDING, *sleep_us: how long); after that time
 * sl_env_invoke_resume continues it, from any thread but one at a time. inv must stay valid until the end.
 * sl_env_invoke waits out the sleeps itself. */
int sl_env_invoke_begin(sl_env_t *env, const sl_invocation_t *inv, sl_invoke_result_t *res, int64_t *sleep_us,
                        sl_error_t *err);
int sl_env_invoke_resume(sl_env_t *env, sl_invoke_result_t *res, int64_t *sleep_us, sl_error_t *err);

/* --- pools: one environment per slot ------------------------------------------------------------------ */

typedef struct sl_env_pool_s sl_env_pool_t;

/* Lambda-like default for idle_timeout_us (DESIGN 6: 600 s of the run's clock). */
#define SL_ENV_IDLE_TIMEOUT_DEFAULT_US INT64_C(600000000)

/* idle_timeout_us: an environment unused that long is closed; its next use is a cold start. */
int sl_env_pool_create(const sl_env_config_t *c, int64_t idle_timeout_us, sl_env_pool_t **out, sl_error_t *err);
void sl_env_pool_destroy(sl_env_pool_t *pool);

/* Provisioned concurrency: initializes n environments now (their init runs before any record) and keeps them
 * aside; a slot that needs an environment takes one of them, warm, before it would start one cold. Init errors
 * are reported in err. */
int sl_env_pool_provision(sl_env_pool_t *pool, uint32_t n, int64_t now_us, sl_error_t *err);

/* Invokes slot's environment at now_us (creating it cold when absent or reclaimed). */
int sl_env_pool_invoke(sl_env_pool_t *pool, uint32_t slot, int64_t now_us, const sl_invocation_t *inv,
                       sl_invoke_result_t *res, sl_error_t *err);

/* The environment of slot at now_us (created cold when absent or idle too long), for a caller that runs
 * the invocation itself (the real clock, on a worker thread); then sl_env_pool_note tells the pool how it went.
 * The pool is used from one thread only; an environment by one thread at a time. */
int sl_env_pool_acquire(sl_env_pool_t *pool, uint32_t slot, int64_t now_us, sl_env_t **env, sl_error_t *err);
void sl_env_pool_note(sl_env_pool_t *pool, const sl_invoke_result_t *res);

/* Closes environments idle for idle_timeout_us or longer at now_us. Returns how many were closed. */
size_t sl_env_pool_reclaim(sl_env_pool_t *pool, int64_t now_us);

/* Environments currently open (warm or initializing), and cold starts so far. */
size_t sl_env_pool_live(const sl_env_pool_t *pool);
uint64_t sl_env_pool_cold_starts(const sl_env_pool_t *pool);

#endif
