/* serve_mapping.c - `shardlab serve --mapping FILE.lua`: the mappings a file declares (sl.experiment{...}
 * with a stream and a mapping, no producers: the records come from the API's clients) consume the served
 * streams on the real clock, on the server's own loop, until SIGINT or SIGTERM; then each mapping's summary
 * is printed as `shardlab run` prints it. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/cli_report.h"
#include "cli/serve_mapping.h"
#include "lua/experiment_file.h"
#include "shardlab/clock.h"
#include "shardlab/real.h"

typedef struct hooks_s {
  sl_api_t *api;
  const sl_server_config_t *config;
  sl_server_t *server;
  sl_real_t *rt;
  int failed;
} hooks_t;

static void on_loop(void *ctx, uv_loop_t *loop) {
  hooks_t *h = ctx;
  int port;
  sl_error_t err;
  if (sl_server_start(loop, h->api, h->config, &h->server, &port, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    h->failed = 1;
    sl_real_stop(h->rt);
    return;
  }
  printf("shardlab serve: listening on %s://%s:%d\n", h->config->tls != NULL ? "https" : "http", h->config->host,
         port);
  fflush(stdout);
}

static void on_stop(void *ctx) {
  hooks_t *h = ctx;
  if (h->server != NULL) sl_server_close(h->server);
  h->server = NULL;
}

/* Reads the file's experiments (1 to max) and checks each is a mapping of a served stream; returns how many,
 * or -1 after printing why. */
static int read_mappings(sl_experiment_file_t *x, const char *file, int max) {
  int n = (int)sl_experiment_file_count(x);
  if (n == 0 || n > max) {
    fprintf(stderr, "shardlab serve: %s declares %d mappings: 1 to %d, with sl.experiment{...}\n", file, n, max);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    sl_error_t err;
    sl_experiment_info_t info;
    int rc = sl_experiment_file_read(x, (size_t)i, &err);
    if (rc == SL_OK) rc = sl_experiment_file_info(x, (size_t)i, &info);
    if (rc == SL_OK && info.producer_count > 0)
      rc = sl_error_set(&err, SL_EINVAL, "experiment '%s': producers: under serve the records come from the API's "
                        "clients", info.name);
    if (rc == SL_OK && info.data_dir != NULL)
      rc = sl_error_set(&err, SL_EINVAL, "experiment '%s': stream.data_dir: served streams live in memory",
                        info.name);
    if (rc != SL_OK) {
      fprintf(stderr, "shardlab serve: %s: %s\n", file, err.message);
      return -1;
    }
  }
  return n;
}

/* The file's mappings, read (n of them, or -1 after printing why); *out NULL when out of memory. */
static int open_mappings(const char *file, int max, sl_experiment_file_t **out) {
  int rc = sl_experiment_file_open(file, NULL, out); /* read only: no sl.run */
  if (rc == SL_OK) return read_mappings(*out, file, max);
  if (rc != SL_ENOMEM) fprintf(stderr, "shardlab serve: %s\n", sl_experiment_file_error(*out));
  return -1;
}

/* Starts the n mappings on the driver, each on its served stream; stops at the first that fails. */
static int start_mappings(sl_api_t *api, sl_experiment_file_t *x, int n, sl_real_t *rt, const char *file) {
  int rc = SL_OK;
  for (int i = 0; rc == SL_OK && i < n; i++) {
    sl_stream_t *stream;
    sl_experiment_info_t info;
    sl_error_t err;
    sl_experiment_file_info(x, (size_t)i, &info);
    rc = sl_api_pin_stream(api, &info.stream, sl_clock_wall_ms(), &stream, &err);
    for (uint32_t k = 0; rc == SL_OK && k < info.efo_count; k++) /* enhanced fan-out: a registered consumer */
      rc = sl_api_register_consumer(api, info.stream.name, info.efo_names[k], sl_clock_wall_ms(), &err);
    if (rc == SL_OK) rc = sl_experiment_file_serve(x, (size_t)i, rt, stream, &err);
    if (rc != SL_OK) fprintf(stderr, "shardlab serve: %s: %s\n", file, err.message);
  }
  return rc;
}

int sl_cli_serve_mappings(sl_api_t *api, const sl_server_config_t *config, const char *file, unsigned workers) {
  enum { MAX_MAPPINGS = 32 };
  sl_experiment_file_t *x = NULL;
  int n = open_mappings(file, MAX_MAPPINGS, &x);
  int status = n < 0 ? SL_EXIT_FAILED : SL_EXIT_OK;
  hooks_t hooks = {api, config, NULL, NULL, 0};
  sl_real_options_t options;
  sl_real_options_init(&options);
  options.workers = workers;
  options.handle_signals = 1;
  options.on_loop = on_loop;
  options.on_stop = on_stop;
  options.hook_ctx = &hooks;
  sl_error_t err;
  if (status == SL_EXIT_OK && sl_real_create(&options, &hooks.rt, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    status = SL_EXIT_FAILED;
  }
  int rc = status == SL_EXIT_OK ? start_mappings(api, x, n, hooks.rt, file) : SL_EINVAL;
  if (rc == SL_OK && (rc = sl_real_run_all(hooks.rt, &err)) != SL_OK) fprintf(stderr, "shardlab serve: %s\n", err.message);
  if (rc != SL_OK || hooks.failed) status = SL_EXIT_FAILED;
  json_t *results = json_array();
  for (int i = 0; i < n; i++) {
    json_t *result;
    if (sl_experiment_file_finish(x, (size_t)i, rc, &result, &err) == SL_OK) json_array_append_new(results, result);
  }
  if (json_array_size(results) > 0) sl_cli_print_table(results);
  json_decref(results);
  sl_real_destroy(hooks.rt);
  sl_experiment_file_close(x);
  return status;
}
