/* cmd_run.c - `shardlab run FILE.lua [--clock virtual|real] [--workers N] [--seed N] [--json OUT]
 * [--report OUT.html] [--csv DIR]`: loads the file through the Lua layer (experiment_file.h), runs the
 * experiments it declares, prints their summaries side by side and the diagnosis, and writes the JSON, the
 * report and the CSV files asked for (cli_report.c); a progress line on a terminal (cli_progress.c). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_progress.h"
#include "cli/cli_report.h"
#include "lua/experiment_file.h"

#define usage_error(...) sl_cli_usage_error("run", __VA_ARGS__)

static const char run_usage[] =
    "usage: shardlab run FILE.lua [--clock virtual|real] [--workers N] [--seed N] [--json OUT]\n"
    "                             [--report FILE.html] [--csv DIR]\n"
    "  --clock C    virtual (default): simulated time, deterministic, faster than real time;\n"
    "               real: wall-clock time, handlers run at once on worker threads\n"
    "  --workers N  real clock: worker threads running handlers (default: one per core)\n"
    "  --seed N     seed every experiment of the file with N (default: each experiment's own seed)\n"
    "  --json OUT   write {\"experiments\": [{\"name\", \"config\", \"summary\", \"timeseries\"}]} to OUT (with\n"
    "               several mappings, each experiment also has \"mappings\": [{\"name\", \"config\", \"summary\",\n"
    "               \"timeseries\"}])\n"
    "  --report F   write an HTML report with charts, tables and diagnoses to F (one file, nothing fetched)\n"
    "  --csv DIR    write each experiment's time series and a summary.csv to DIR\n"
    "Before the first experiment runs, every experiment the file declares is read and its handler loaded once,\n"
    "and the --json and --report files and the --csv folder are checked: a bad field or a handler that does\n"
    "not load exits 1, an output path that cannot be written exits 2, with nothing run. A run that fails later\n"
    "exits 1 after writing what the experiments that finished gave.\n"
    "Ctrl-C (SIGINT) or SIGTERM, on either clock, stops the running experiment: producers stop, running\n"
    "invocations finish, and the summary so far is printed and written marked \"interrupted\": true; declared\n"
    "experiments after it are not run; exit status 0. A second signal aborts at once with exit status 130.\n";

/* The rows of the terminal summary: a label and the summary field it shows. */
static const struct { const char *label, *field; } rows[] = {
    {"records put", "records_put"},
    {"records offered", "records_offered"},   {"records not sent", "records_not_sent"},
    {"records throttled", "records_throttled"},
    {"producer requests", "producer_requests"}, {"producer retries", "producer_retries"},
    {"producer dropped", "producer_dropped"},
    {"records delivered", "records_delivered"}, {"deliveries", "deliveries"},
    {"duplicate deliveries", "duplicate_deliveries"},
    {"invocations", "invocations"},           {"errors", "errors"},
    {"retries", "retries"},                   {"records failed", "records_failed"},
    {"records filtered", "records_filtered"},
    {"max concurrency", "max_concurrency"},   {"mean concurrency", "mean_concurrency"},
    {"max iterator age (ms)", "max_iterator_age_ms"}, {"records expired", "records_expired"},
    {"windows closed", "windows_closed"},    {"read throttles", "read_throttles"},
    {"cold starts", "cold_starts"},           {"run length (s)", "duration_s"},
};

static void cell(const json_t *v, char *out, size_t size) {
  if (json_is_integer(v))
    snprintf(out, size, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    snprintf(out, size, "%.2f", json_real_value(v));
  else
    snprintf(out, size, "-");
}

/* The errors of each experiment by type (summary.errors_by_type), after the tables. */
static void print_errors(json_t *experiments) {
  size_t i;
  json_t *e;
  json_array_foreach(experiments, i, e) {
    json_t *by_type = json_object_get(json_object_get(e, "summary"), "errors_by_type"), *v;
    const char *type;
    if (json_object_size(by_type) == 0) continue;
    printf("\n%s: errors by type\n  %-34s %8s  %s\n", json_string_value(json_object_get(e, "name")), "type", "count",
           "first (where: message)");
    json_object_foreach(by_type, type, v) {
      const char *msg = json_string_value(json_object_get(v, "first_message")), *where;
      where = json_is_string(json_object_get(v, "where")) ? json_string_value(json_object_get(v, "where")) : "-";
      int line = msg != NULL ? (int)strcspn(msg, "\n") : 0; /* its first line */
      printf("  %-34s %8lld  %s: %.*s\n", type, (long long)json_integer_value(json_object_get(v, "count")), where,
             line > 300 ? 300 : line, msg != NULL ? msg : "");
    }
  }
}

/* Each experiment's shards, every one the run had: keys are those of the records read (filtered ones
 * included); state says whether the shard was still open at the end or closed by a resharding. */
static void print_shards(json_t *experiments) {
  size_t i;
  json_t *e;
  json_array_foreach(experiments, i, e) {
    json_t *shards = json_object_get(json_object_get(e, "summary"), "shards"), *s;
    printf("\n%s: per shard\n  %-22s %12s %8s %6s  %s\n", json_string_value(json_object_get(e, "name")), "shard",
           "records in", "keys", "lanes", "state");
    size_t k;
    json_array_foreach(shards, k, s) {
      printf("  %-22s %12lld %8lld %6lld  %s\n", json_string_value(json_object_get(s, "shard")),
             (long long)json_integer_value(json_object_get(s, "records_in")),
             (long long)json_integer_value(json_object_get(s, "distinct_keys")),
             (long long)json_integer_value(json_object_get(s, "lanes_used")),
             json_is_false(json_object_get(s, "open")) ? "closed" : "open");
    }
  }
}

/* A table of columns ({name, summary} each: experiments, or the mappings of one) with a row per summary field of
 * `rows` that the first column has (a mapping's summary has no producer rows), numbers right-aligned. */
static void print_columns(json_t *columns) {
  size_t n = json_array_size(columns), label_w = 0;
  json_t *first = json_object_get(json_array_get(columns, 0), "summary");
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
    if (strlen(rows[r].label) > label_w) label_w = strlen(rows[r].label);
  printf("%-*s", (int)label_w, "");
  for (size_t i = 0; i < n; i++) { /* columns as wide as their name */
    const char *name = json_string_value(json_object_get(json_array_get(columns, i), "name"));
    printf("  %*s", (int)(strlen(name) > 12 ? strlen(name) : 12), name);
  }
  printf("\n");
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    if (json_object_get(first, rows[r].field) == NULL) continue;
    printf("%-*s", (int)label_w, rows[r].label);
    for (size_t i = 0; i < n; i++) {
      char buf[32];
      json_t *e = json_array_get(columns, i);
      size_t w = strlen(json_string_value(json_object_get(e, "name")));
      cell(json_object_get(json_object_get(e, "summary"), rows[r].field), buf, sizeof buf);
      printf("  %*s", (int)(w > 12 ? w : 12), buf);
    }
    printf("\n");
  }
}

/* Each experiment with several mappings: their own figures side by side. */
static void print_mappings(json_t *experiments) {
  size_t i;
  json_t *e;
  json_array_foreach(experiments, i, e) {
    json_t *mappings = json_object_get(e, "mappings");
    if (json_array_size(mappings) == 0) continue;
    printf("\n%s: per mapping\n", json_string_value(json_object_get(e, "name")));
    print_columns(mappings);
  }
}

void sl_cli_print_table(json_t *experiments) {
  print_columns(experiments);
  print_mappings(experiments);
  print_shards(experiments);
  print_errors(experiments);
}

/* The virtual clock's signals: the first asks the running experiment to stop at its next event (the flag its
 * simulation checks), the second exits at once. Only async-signal-safe calls here. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signum) {
  static const char stopping[] = "\nshardlab: stopping: producers stopped, running invocations finishing "
                                 "(again to abort)\n",
                    abort_int[] = "\nshardlab: aborted by signal 2\n", abort_term[] = "\nshardlab: aborted by signal 15\n";
  if (stop_requested) {
    if (signum == SIGINT) (void)!write(STDERR_FILENO, abort_int, sizeof abort_int - 1);
    else (void)!write(STDERR_FILENO, abort_term, sizeof abort_term - 1);
    _exit(130);
  }
  stop_requested = 1;
  (void)!write(STDERR_FILENO, stopping, sizeof stopping - 1);
}

static void catch_stop_signals(sl_run_settings_t *o) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  o->stop = &stop_requested;
}

/* Reads every declared experiment and loads each one's handler, before any of them runs. */
static int check_declared(sl_experiment_file_t *x, const char *file) {
  for (size_t i = 0; i < sl_experiment_file_count(x); i++) {
    sl_error_t err;
    if (sl_experiment_file_check(x, i, &err) != SL_OK) {
      fprintf(stderr, "shardlab run: %s: %s (nothing was run)\n", file, err.message);
      return SL_EXIT_FAILED;
    }
  }
  return SL_EXIT_OK;
}

/* Runs every experiment the loaded file declares, after the runs it made with sl.run; fills results. Returns
 * an exit status. */
static int run_declared(sl_experiment_file_t *x, const char *file, json_t *results) {
  json_t *inline_runs = sl_experiment_file_inline_results(x); /* the runs made with sl.run come first */
  json_array_extend(results, inline_runs);
  size_t n = sl_experiment_file_count(x);
  if (n == 0 && json_array_size(inline_runs) == 0) {
    fprintf(stderr, "shardlab run: %s declares no experiment: call sl.experiment{...} or sl.run{...}\n", file);
    return SL_EXIT_FAILED;
  }
  if (check_declared(x, file) != SL_EXIT_OK) return SL_EXIT_FAILED;
  for (size_t i = 0; i < n; i++) {
    sl_error_t err;
    json_t *result;
    if (stop_requested) { /* a signal stopped an earlier one */
      fprintf(stderr, "shardlab run: stopped by a signal: %zu later experiment(s) not run\n", n - i);
      break;
    }
    if (sl_experiment_file_run(x, i, &result, &err) != SL_OK) {
      fprintf(stderr, "shardlab run: %s: %s\n", file, err.message);
      return SL_EXIT_FAILED;
    }
    json_t *summary = json_object_get(result, "summary");
    if (json_is_true(json_object_get(summary, "interrupted")))
      fprintf(stderr, "shardlab run: %s was interrupted: %lld of %lld records put were delivered\n",
              json_string_value(json_object_get(result, "name")),
              (long long)json_integer_value(json_object_get(summary, "records_delivered")),
              (long long)json_integer_value(json_object_get(summary, "records_put")));
    json_array_append_new(results, result);
  }
  return SL_EXIT_OK;
}

/* Loads the file and runs what it declares; fills results. Returns an exit status. */
static int run_file(const char *file, const sl_run_settings_t *o, json_t *results) {
  sl_experiment_file_t *x;
  int rc = sl_experiment_file_open(file, o, &x), status;
  if (rc == SL_ENOMEM) {
    fprintf(stderr, "shardlab run: out of memory\n");
    return SL_EXIT_FAILED;
  }
  if (rc != SL_OK) {
    fprintf(stderr, "shardlab run: %s\n", sl_experiment_file_error(x));
    status = SL_EXIT_FAILED;
  } else {
    status = run_declared(x, file, results);
  }
  sl_experiment_file_close(x);
  return status;
}

/* Reads the options into file, *json_out, report and o. Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, const char **file, const char **json_out, sl_report_request_t *report,
                 sl_run_settings_t *o) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(run_usage, stdout);
      return SL_EXIT_OK;
    } else if (strcmp(a, "--json") == 0 || strcmp(a, "--seed") == 0 || strcmp(a, "--clock") == 0 ||
               strcmp(a, "--workers") == 0 || strcmp(a, "--report") == 0 || strcmp(a, "--csv") == 0) {
      if (v == NULL) return usage_error("%s needs a value", a);
      i++;
      if (strcmp(a, "--json") == 0) {
        *json_out = v;
      } else if (strcmp(a, "--report") == 0) {
        report->html_path = v;
      } else if (strcmp(a, "--csv") == 0) {
        report->csv_dir = v;
      } else if (strcmp(a, "--clock") == 0) {
        if (strcmp(v, "virtual") != 0 && strcmp(v, "real") != 0)
          return usage_error("--clock '%s': the clock is 'virtual' or 'real'", v);
        o->clock = strcmp(v, "real") == 0 ? SL_CLOCK_REAL : SL_CLOCK_VIRTUAL;
      } else if (strcmp(a, "--workers") == 0) {
        unsigned long long n;
        if (sl_cli_whole("run", a, v, 1, 1024, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        o->workers = (unsigned)n;
      } else {
        unsigned long long n;
        if (sl_cli_whole("run", a, v, 0, ULLONG_MAX, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        o->have_seed = 1;
        o->seed = n;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'\n%s", a, run_usage);
    } else if (*file == NULL) {
      *file = a;
    } else {
      return usage_error("one experiment file only: '%s' is extra", a);
    }
  }
  if (*file == NULL) return usage_error("an experiment file is required\n%s", run_usage);
  return -1;
}

int sl_cli_run(int argc, char **argv) {
  const char *file = NULL, *json_out = NULL;
  sl_report_request_t report = {1, NULL, NULL};
  /* The progress line is for people, not for logs; signals stop real-clock runs cleanly. */
  sl_cli_progress_t progress = {0, 0};
  sl_run_settings_t o = {.clock = SL_CLOCK_VIRTUAL, .handle_signals = 1};
  if (isatty(STDERR_FILENO)) {
    o.progress = sl_cli_progress;
    o.progress_ctx = &progress;
  }
  int status = parse(argc, argv, &file, &json_out, &report, &o);
  if (status >= 0) return status;
  if (o.clock == SL_CLOCK_VIRTUAL) catch_stop_signals(&o); /* the real clock's driver has handlers of its own */
  FILE *f = fopen(file, "r");
  if (f == NULL) return usage_error("cannot read %s: %s", file, strerror(errno));
  fclose(f);
  if (sl_cli_check_outputs(json_out, &report) != 0) return SL_EXIT_USAGE; /* before anything runs */
  json_t *results = json_array();
  status = run_file(file, &o, results);
  if (json_array_size(results) > 0) { /* what finished, even when a later run failed */
    sl_cli_print_table(results);
    if (sl_cli_report(results, &report) != 0) status = SL_EXIT_FAILED;
    if (json_out != NULL && sl_cli_write_json(results, json_out) != 0) status = SL_EXIT_FAILED;
  }
  json_decref(results);
  return status;
}
