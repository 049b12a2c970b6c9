/* report_render.h - what shardlab's Lua library makes of a run's results (the "experiments" list that
 * `shardlab run --json` writes): each experiment's diagnosis (scripts/shardlab/diagnose.lua), the HTML report
 * and the CSV files (scripts/shardlab/report.lua). The command line prints and writes what these return; no
 * lua.h here. */
#ifndef SHARDLAB_REPORT_RENDER_H
#define SHARDLAB_REPORT_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "shardlab/error.h"

/* The results as Lua tables in a state of their own, converted once: the calls below all see the same
 * tables, in the order they are made. Opaque. */
typedef struct sl_report_render_s sl_report_render_t;

/* SL_OK; SL_ENOMEM ("out of memory") or SL_EINVAL (the results cannot be Lua values) with *out NULL. */
int sl_report_render_open(const json_t *experiments, sl_report_render_t **out, sl_error_t *err);
void sl_report_render_close(sl_report_render_t *r); /* NULL is ignored */

/* Why the last call below failed: the Lua error with its traceback ("" when none failed). Valid until the
 * next call. */
const char *sl_report_render_error(const sl_report_render_t *r);

/* Experiment i's (from 0) diagnosis: what limited it, one finding per string, as a new JSON list; NULL when
 * diagnose.lua failed. */
json_t *sl_report_render_diagnosis(sl_report_render_t *r, size_t i);

/* The HTML report: one self-contained page, malloc'd (caller frees), *len bytes; NULL when report.lua
 * failed. */
char *sl_report_render_html(sl_report_render_t *r, size_t *len);

/* The CSV files (each experiment's time series and a summary.csv): a new JSON list of {"file": NAME,
 * "text": CSV}; NULL when report.lua failed. */
json_t *sl_report_render_csv(sl_report_render_t *r);

#endif
