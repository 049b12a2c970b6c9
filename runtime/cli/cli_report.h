/* cli_report.h - the diagnosis, HTML report and CSV files of `shardlab run` (cli_report.c). */
#ifndef SHARDLAB_CLI_REPORT_H
#define SHARDLAB_CLI_REPORT_H

#include <jansson.h>

typedef struct sl_report_request_s {
  int diagnose;           /* print each experiment's diagnosis lines on stdout */
  const char *html_path;  /* --report FILE.html, or NULL */
  const char *csv_dir;    /* --csv DIR, or NULL */
} sl_report_request_t;

/* The summary tables of `shardlab run` (cmd_run.c): experiments side by side, then each one's shards. */
void sl_cli_print_table(json_t *experiments);

/* Checks, before anything runs, that the --json file (json_path, or NULL) and req's --report file can be
 * opened for writing and that req's --csv folder exists or can be created and takes files; leaves nothing
 * behind. 0, or -1 after printing which path and why (strerror). */
int sl_cli_check_outputs(const char *json_path, const sl_report_request_t *req);

/* Writes {"experiments": experiments} to path as --json does. 0, or -1 after printing the path and why. */
int sl_cli_write_json(json_t *experiments, const char *path);

/* Makes what req asks for from the results (the "experiments" list of --json). 0, or -1 after printing why. */
int sl_cli_report(json_t *experiments, const sl_report_request_t *req);

#endif
