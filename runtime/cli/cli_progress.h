/* cli_progress.h - the progress line `shardlab run` shows on a terminal while an experiment runs. */
#ifndef SHARDLAB_CLI_PROGRESS_H
#define SHARDLAB_CLI_PROGRESS_H

#include "shardlab/sim.h"

typedef struct sl_cli_progress_s {
  double last_print;  /* monotonic seconds of the last line written */
  int shown;          /* a line is on the terminal, to be cleared when the run ends */
} sl_cli_progress_t;

/* A progress callback (sl_run_settings_t.progress): ctx is an sl_cli_progress_t; sim NULL clears the line. */
void sl_cli_progress(void *ctx, const char *experiment, const sl_sim_t *sim);

#endif
