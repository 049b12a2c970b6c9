/* run_experiment.h - what the experiment benchmarks share: run every experiment of a Lua file through the
 * library (as `shardlab run` does) and report wall time; peak resident memory from getrusage. */
#ifndef SHARDLAB_BENCH_RUN_EXPERIMENT_H
#define SHARDLAB_BENCH_RUN_EXPERIMENT_H

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "shardlab/clock.h"
#include "lua/env_internal.h"
#include "lua/experiment.h"

static inline long bench_peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Runs the file's first experiment on the given clock; returns its summary as JSON (caller decrefs) and the
 * wall time. */
static inline json_t *bench_run_file_on(const char *dir, const char *file, sl_clock_kind_t clock, double *seconds) {
  sl_experiment_host_t host;
  lua_State *L = sl_experiment_state(&host, dir);
  if (L == NULL || luaL_loadfilex(L, file, "t") != LUA_OK || sl_env_pcall(L, 0, 0) != LUA_OK) {
    fprintf(stderr, "bench: %s\n", L ? lua_tostring(L, -1) : "out of memory");
    exit(1);
  }
  sl_lua_push_experiments(L);
  lua_rawgeti(L, -1, 1);
  sl_experiment_t e;
  sl_error_t err;
  json_t *result = NULL;
  double t0 = sl_clock_mono_s();
  int rc = sl_experiment_read(L, -1, dir, 1, &e, &err);
  e.env.clock = clock;
  if (rc != SL_OK || sl_experiment_run(L, &e, &result, &err) != SL_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    exit(1);
  }
  *seconds = sl_clock_mono_s() - t0;
  sl_experiment_free(L, &e);
  lua_close(L);
  json_t *summary = json_incref(json_object_get(result, "summary"));
  json_decref(result);
  return summary;
}

static inline json_t *bench_run_file(const char *dir, const char *file, double *seconds) {
  return bench_run_file_on(dir, file, SL_CLOCK_VIRTUAL, seconds);
}

#endif
