/* cli_progress.c - the terminal's progress line, the same on both clocks: elapsed time of the run, records in
 * and delivered, invocations running, the iterator age, retries and timeouts (a handler that runs to its
 * timeout makes each virtual retry cost real time: the line shows why the run is slow), rewritten in place at most ten times a second of
 * wall time, and cleared when the run ends. */
#include "cli/cli_progress.h"

#include <stdio.h>

#include "shardlab/clock.h"

void sl_cli_progress(void *ctx, const char *experiment, const sl_sim_t *sim) {
  sl_cli_progress_t *p = ctx;
  if (sim == NULL) { /* the run has ended */
    if (p->shown) fputs("\r\033[K", stderr);
    *p = (sl_cli_progress_t){0, 0};
    return;
  }
  double t = sl_clock_mono_s();
  if (t - p->last_print < 0.1) return;
  p->last_print = t;
  p->shown = 1;
  const sl_summary_t *s = sl_sim_summary(sim);
  fprintf(stderr, "\r\033[K%s: %.1f s, %llu records in, %llu delivered, %u running, iterator age %lld ms, %llu retries, "
          "%llu timeouts", experiment, (double)(sl_sim_now(sim) / 100000) / 10, (unsigned long long)s->records_put,
          (unsigned long long)s->records_delivered, sl_sim_running(sim), (long long)sl_sim_iterator_age_ms(sim),
          (unsigned long long)s->retries, (unsigned long long)s->timeouts);
  fflush(stderr);
}
