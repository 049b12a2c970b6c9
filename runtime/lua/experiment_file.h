/* experiment_file.h - an experiment file (DESIGN 7) as the rest of shardlab sees it: one call loads it (a Lua
 * state of its own runs the file's top level, where sl.run{...} runs experiments at once and sl.experiment{...}
 * declares the ones to run after), then its declared experiments are read, run, or started on a shared
 * real-clock driver, by number. This is the Lua layer's door for `shardlab run`, `route --stream`,
 * `serve --mapping` and the benchmarks, as Redis's eval.c offers scripts to the rest of the server: no lua.h
 * here, and nothing of the Lua state leaves the handle. */
#ifndef SHARDLAB_EXPERIMENT_FILE_H
#define SHARDLAB_EXPERIMENT_FILE_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "shardlab/env.h"
#include "shardlab/error.h"
#include "shardlab/real.h"
#include "shardlab/stream.h"

/* What the command line sets for every experiment of a file, declared or run with sl.run. */
typedef struct sl_run_settings_s {
  int have_seed;            /* --seed N replaces each experiment's seed */
  uint64_t seed;
  sl_clock_kind_t clock;    /* --clock */
  unsigned workers;         /* --workers (real clock; 0: one per core) */
  int handle_signals;       /* real clock: SIGINT/SIGTERM stop a run cleanly */
  /* Virtual clock: a flag the caller's signal handler sets; the running experiment stops at its next event
   * and ends with its summary marked interrupted (sl_sim_config_t.stop). NULL: none. */
  volatile sig_atomic_t *stop;
  /* How a run goes (the CLI's progress line): called with the experiment's name every simulated second (the
   * virtual clock) or a few times a second (the real clock), and once with sim NULL when the run ends. NULL:
   * nothing is shown. */
  void (*progress)(void *ctx, const char *experiment, const struct sl_sim_s *sim);
  void *progress_ctx;
} sl_run_settings_t;

/* A loaded experiment file: its Lua state, the experiments it declared (each read on demand), the results of
 * its sl.run calls. Opaque; one thread at a time. */
typedef struct sl_experiment_file_s sl_experiment_file_t;

/* Loads the file at path and runs its top level; paths in it are relative to its folder. With settings, sl.run
 * is available and runs with them, and they apply to the declared experiments too; with settings NULL the file
 * is only read for its declarations (route, serve): sl.run is not defined and experiments keep their own
 * settings. Returns SL_OK; SL_ENOMEM with *out NULL; SL_EINVAL when the file cannot be loaded or its top
 * level raised, with *out set (close it) and the Lua message, file and line first and a traceback after, from
 * sl_experiment_file_error. */
int sl_experiment_file_open(const char *path, const sl_run_settings_t *settings, sl_experiment_file_t **out);

/* Why the load failed ("" when it did not). Valid until the file is closed. */
const char *sl_experiment_file_error(const sl_experiment_file_t *f);

/* Frees everything: experiments read or started and not finished, the Lua state. NULL is ignored. */
void sl_experiment_file_close(sl_experiment_file_t *f);

/* How many experiments the file declared with sl.experiment{...} (counted when its top level ended). */
size_t sl_experiment_file_count(const sl_experiment_file_t *f);

/* The results of the runs the top level made with sl.run{...}, in the order they ran: a list of
 * {"name", "config", "summary", "timeseries"} owned by the file (take a reference to keep one). */
json_t *sl_experiment_file_inline_results(const sl_experiment_file_t *f);

/* Reads declared experiment i (from 0) and runs it on its clock; *result receives {"name", "config",
 * "summary", "timeseries"} (new reference). Errors name the experiment and the field ("experiment 'one key':
 * mapping.batch_size 0 is out of range ..."). What was read is freed before it returns. */
int sl_experiment_file_run(sl_experiment_file_t *f, size_t i, json_t **result, sl_error_t *err);

/* Reads declared experiment i and keeps it (until it is finished or the file closed), for
 * sl_experiment_file_info and sl_experiment_file_serve. Reading it again does nothing. */
int sl_experiment_file_read(sl_experiment_file_t *f, size_t i, sl_error_t *err);

/* Reads declared experiment i and keeps it (as sl_experiment_file_read), then loads its handler once, as a
 * cold start would, and discards that environment, so a run can fail before any experiment of the file ran.
 * Errors name the experiment and the field, or the handler file and Lua's message with its file:line
 * ("experiment 'x': mapping.handler h.lua cannot be loaded (Runtime.UserCodeSyntaxError): h.lua:3: ..."). A
 * run of the experiment after a check does not load the handler again before its clock starts. */
int sl_experiment_file_check(sl_experiment_file_t *f, size_t i, sl_error_t *err);

/* What a caller may know of an experiment that was read. The strings point into the file's state: valid until
 * the file is closed. */
typedef struct sl_experiment_info_s {
  const char *name;            /* experiment.name, or "experiment N" */
  sl_stream_config_t stream;   /* its stream as it is created */
  uint32_t producer_count;     /* producers declared (0: the records come from elsewhere) */
  const char *data_dir;        /* stream.data_dir resolved beside the file, or NULL: the stream is in memory */
  const char *efo_names[32];   /* the mappings with consumer = "efo" (enhanced fan-out), by name: each is a
                                * registered stream consumer of its stream under `shardlab serve` */
  uint32_t efo_count;
} sl_experiment_info_t;

/* Fills out for experiment i. SL_EINVAL when it has not been read. */
int sl_experiment_file_info(const sl_experiment_file_t *f, size_t i, sl_experiment_info_t *out);

/* Starts experiment i (read first) as a mapping of a served stream (`shardlab serve --mapping`): on the real
 * clock, on the shared driver, consuming served until the driver stops. The driver runs it; finish it after,
 * whatever this returned (a failed start is cleaned up there). */
int sl_experiment_file_serve(sl_experiment_file_t *f, size_t i, sl_real_t *driver, sl_stream_t *served,
                             sl_error_t *err);

/* Ends what sl_experiment_file_serve started: with rc SL_OK (the driver ran well) *result receives the
 * results as sl_experiment_file_run gives them; otherwise it only cleans up. Returns rc or the first error of
 * building the results or closing the files; SL_EINVAL with *result NULL when experiment i was not started. */
int sl_experiment_file_finish(sl_experiment_file_t *f, size_t i, int rc, json_t **result, sl_error_t *err);

/* Opens the file for its first experiment only (`route --stream`), as sl_experiment_file_open with settings
 * NULL does, except that sl.run{...} is defined: the first call declares its table (after the experiments
 * sl.experiment declared before it) instead of running it, and stops the top level there, without an error.
 * Experiment 0 is then the first the file declares or runs. */
int sl_experiment_file_open_first(const char *path, sl_experiment_file_t **out);

#endif
