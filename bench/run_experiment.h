/* run_experiment.h - what the experiment benchmarks share: run the first experiment of a Lua file through the
 * library's one call for experiment files (lua/experiment_file.h, as `shardlab run` does) and report wall
 * time; peak resident memory from getrusage. */
#ifndef SHARDLAB_BENCH_RUN_EXPERIMENT_H
#define SHARDLAB_BENCH_RUN_EXPERIMENT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "shardlab/clock.h"
#include "lua/experiment_file.h"

static inline long bench_peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Runs the file's first experiment on the given clock; returns its summary as JSON (caller decrefs) and the
 * wall time of the run (the file's top level excluded). dir is the file's folder: the library finds it from
 * file itself. */
static inline json_t *bench_run_file_on(const char *dir, const char *file, sl_clock_kind_t clock, double *seconds) {
  (void)dir;
  sl_run_settings_t settings = {.clock = clock}; /* the experiment's own seed; default workers */
  sl_experiment_file_t *x;
  int rc = sl_experiment_file_open(file, &settings, &x);
  if (rc != SL_OK) {
    fprintf(stderr, "bench: %s\n", rc == SL_ENOMEM ? "out of memory" : sl_experiment_file_error(x));
    exit(1);
  }
  sl_error_t err;
  json_t *result = NULL;
  double t0 = sl_clock_mono_s();
  if (sl_experiment_file_run(x, 0, &result, &err) != SL_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    exit(1);
  }
  *seconds = sl_clock_mono_s() - t0;
  sl_experiment_file_close(x);
  json_t *summary = json_incref(json_object_get(result, "summary"));
  json_decref(result);
  return summary;
}

static inline json_t *bench_run_file(const char *dir, const char *file, double *seconds) {
  return bench_run_file_on(dir, file, SL_CLOCK_VIRTUAL, seconds);
}

#endif
