/* experiment.h - experiments declared in Lua (DESIGN 7: sl.experiment{...}) turned into simulation
 * configurations, and their runs with Lua producers and handler environments. The Lua layer's own view, with
 * lua_State in it; outside runtime/lua an experiment file is reached through experiment_file.h. */
#ifndef SHARDLAB_EXPERIMENT_H
#define SHARDLAB_EXPERIMENT_H

#include <jansson.h>
#include <lua.h>

#include "lua/experiment_file.h"
#include "lua/lua_sl.h"
#include "lua/producer_rate.h"
#include "lua/replay.h"
#include "shardlab/env.h"
#include "shardlab/sim.h"
#include "shardlab/store.h"

/* One event source mapping of an experiment: `mapping`, or each entry of `mappings` (several mappings on the
 * stream, DESIGN 4). Its settings, its handler and where its failures and logs go. */
typedef struct sl_experiment_mapping_s {
  char name[128];                 /* mappings[i].name or "mapping i"; a lone `mapping`: the experiment's name */
  char path[32];                  /* how errors name it: "mapping" or "mappings[i]" */
  sl_mapping_config_t config;
  sl_env_config_t env;            /* the handler's environments (clock and seed: the experiment's) */
  char *handler_path;             /* owned: resolved against the experiment file's folder */
  char *handler;                  /* owned: the handler as the file gives it (the results' config) */
  int report_batch_item_failures; /* report_batch_item_failures */
  int64_t idle_timeout_us;        /* idle_timeout */
  uint32_t provisioned_concurrency; /* environments initialized up front */
  sl_filter_t *filter;            /* owned: filters compiled */
  char *on_failure_path;          /* owned: on_failure as a file (or { file = ... }) */
  char *on_failure_stream;        /* owned: on_failure = { stream = NAME }: a stream of the experiment */
  char *on_failure_s3;            /* owned: on_failure = { s3 = DIR }: a folder standing for an S3 bucket */
  char *logs_path;                /* owned: logs, a file for the handlers' log lines (NULL: discarded) */
} sl_experiment_mapping_t;

typedef struct sl_experiment_s {
  char name[128];                 /* experiment.name, or "experiment N" */
  sl_sim_config_t sim;            /* everything but the callbacks and the mappings; arrays below are owned */
  sl_producer_config_t *producers;
  int *record_refs;               /* registry references of the producers' record functions */
  sl_producer_rate_t *rates;      /* by producer: a rate that varies in time (ref LUA_NOREF: constant) */
  sl_replay_t **replays;          /* by producer: owned, an sl.replay{...} producer's capture, or NULL */
  sl_action_t *actions;
  sl_experiment_mapping_t *mappings; /* owned: at least one */
  uint32_t mapping_count;
  int several;                    /* declared with `mappings = {...}`: results have a section per mapping */
  sl_env_config_t env;            /* what every mapping's environments share: clock, seed (--clock, --seed) */
  void (*progress)(void *ctx, const char *experiment, const struct sl_sim_s *sim); /* sl_run_settings_t's */
  void *progress_ctx;
  char *data_dir;                 /* owned: stream.data_dir, a durable stream's folder (NULL: in memory) */
  sl_store_config_t store;        /* stream.fsync, stream.fsync_interval (dir set at run time) */
  unsigned workers;               /* real clock: worker threads (0: one per core) */
  int handle_signals;             /* real clock: SIGINT/SIGTERM stop the run cleanly (shardlab run) */
  int handler_checked;            /* sl_experiment_check passed: sl_experiment_start need not load them again */
} sl_experiment_t;

/* The host of an experiment file's Lua state: sl.now() is the simulation's time while a producer runs,
 * sl.random draws from the running experiment's seed, sl.log and print go to stderr. */
typedef struct sl_experiment_host_s {
  sl_lua_host_t host;  /* first, so the state's host pointer is this struct */
  sl_rng_t rng;
  double now;
} sl_experiment_host_t;

/* A Lua state for an experiment file in folder dir, with sl (and sl.experiment) available. NULL when out of
 * memory. Close it with lua_close. */
lua_State *sl_experiment_state(sl_experiment_host_t *host, const char *dir);

/* sl_run_settings_t (what the command line sets for every experiment of a file) is in experiment_file.h. */

/* Applies the settings to an experiment that was read. */
void sl_experiment_apply(sl_experiment_t *e, const sl_run_settings_t *s);

/* Adds sl.run{...} to the state: it reads and runs an experiment at once (paths relative to dir, settings
 * applied) and returns {summary = ..., timeseries = ..., config = ..., name = ...}. Each result is also kept,
 * as JSON text, for sl_experiment_push_runs. */
void sl_experiment_enable_run(lua_State *L, const char *dir, const sl_run_settings_t *settings);
/* Pushes the list of JSON texts of the runs sl.run made, in order. */
void sl_experiment_push_runs(lua_State *L);

/* Reads the experiment table at idx. dir is the experiment file's folder (paths are relative to it). Errors
 * name the experiment and the field ("experiment 'one key': mapping.batch_size 0 is out of range ..."). */
int sl_experiment_read(lua_State *L, int idx, const char *dir, uint32_t number, sl_experiment_t *out,
                       sl_error_t *err);
void sl_experiment_free(lua_State *L, sl_experiment_t *e);

/* Loads each mapping's handler once, as a cold start would, and discards it: SL_OK when they initialize;
 * otherwise SL_EINVAL naming the experiment, the mapping, the handler file and Lua's message (file:line where
 * Lua gives one). sl_experiment_start does it unless handler_checked is set; sets handler_checked when they
 * pass. */
int sl_experiment_check(sl_experiment_t *e, sl_error_t *err);

/* A run in two halves, for `shardlab serve --mapping`: start prepares it (handler environments, files,
 * the simulation) on a shared real-clock driver and a served stream, added to the driver; finish builds the
 * results (when rc is SL_OK) and frees everything, whatever start did. With shared and served NULL, start
 * prepares an ordinary run (sl_experiment_run is start, run, finish). */
typedef struct run_ctx_s sl_experiment_run_t;
struct sl_real_s;
int sl_experiment_start(lua_State *L, sl_experiment_t *e, struct sl_real_s *shared, struct sl_stream_s *served,
                        sl_experiment_run_t **out, sl_error_t *err);
int sl_experiment_finish(sl_experiment_run_t *run, int rc, json_t **result, sl_error_t *err);
sl_sim_t *sl_experiment_sim(sl_experiment_run_t *run);
struct sl_real_s *sl_experiment_driver(sl_experiment_run_t *run); /* its own driver (NULL: virtual, or shared) */

/* Runs it on its clock (env.clock: virtual, or real with the settings above); *result receives {"name", "config", "summary", "timeseries"} (new reference). */
int sl_experiment_run(lua_State *L, sl_experiment_t *e, json_t **result, sl_error_t *err);

#endif
