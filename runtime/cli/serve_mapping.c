/* serve_mapping.c - `shardlab serve --mapping FILE.lua`: the mappings a file declares (sl.experiment{...}
 * with a stream and a mapping, no producers: the records come from the API's clients) consume the served
 * streams on the real clock, on the server's own loop, until SIGINT or SIGTERM; then each mapping's summary
 * is printed as `shardlab run` prints it. */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/cli_report.h"
#include "cli/serve_mapping.h"
#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/experiment.h"
#include "shardlab/real.h"
#include "path.h"

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
  printf("shardlab serve: listening on http://%s:%d\n", h->config->host, port);
  fflush(stdout);
}

static void on_stop(void *ctx) {
  hooks_t *h = ctx;
  if (h->server != NULL) sl_server_close(h->server);
  h->server = NULL;
}

/* Reads the file's experiments into e (up to max); returns how many, or -1 after printing why. */
static int read_mappings(lua_State *L, const char *file, const char *dir, sl_experiment_t *e, int max) {
  if (luaL_loadfilex(L, file, "t") != LUA_OK || sl_env_pcall(L, 0, 0) != LUA_OK) {
    fprintf(stderr, "shardlab serve: %s\n", lua_tostring(L, -1));
    return -1;
  }
  sl_lua_push_experiments(L);
  int list = lua_gettop(L), n = (int)lua_rawlen(L, list);
  if (n == 0 || n > max) {
    fprintf(stderr, "shardlab serve: %s declares %d mappings: 1 to %d, with sl.experiment{...}\n", file, n, max);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    sl_error_t err;
    lua_rawgeti(L, list, i + 1);
    int rc = sl_experiment_read(L, -1, dir, (uint32_t)i + 1, &e[i], &err);
    lua_pop(L, 1);
    if (rc == SL_OK && e[i].sim.producer_count > 0)
      rc = sl_error_set(&err, SL_EINVAL, "experiment '%s': producers: under serve the records come from the API's "
                        "clients", e[i].name);
    if (rc == SL_OK && e[i].data_dir != NULL)
      rc = sl_error_set(&err, SL_EINVAL, "experiment '%s': stream.data_dir: served streams live in memory",
                        e[i].name);
    if (rc != SL_OK) {
      fprintf(stderr, "shardlab serve: %s: %s\n", file, err.message);
      for (int k = 0; k <= i; k++) sl_experiment_free(L, &e[k]);
      return -1;
    }
  }
  return n;
}

int sl_cli_serve_mappings(sl_api_t *api, const sl_server_config_t *config, const char *file, unsigned workers) {
  enum { MAX_MAPPINGS = 32 };
  char *dir = strdup(file);
  if (dir == NULL) return SL_EXIT_FAILED;
  sl_path_dir(dir, strlen(dir) + 1);
  sl_experiment_host_t host;
  lua_State *L = sl_experiment_state(&host, dir);
  sl_experiment_t *e = calloc(MAX_MAPPINGS, sizeof *e);
  int n = L && e ? read_mappings(L, file, dir, e, MAX_MAPPINGS) : -1;
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
  sl_experiment_run_t *runs[MAX_MAPPINGS] = {0};
  int rc = status == SL_EXIT_OK ? SL_OK : SL_EINVAL;
  for (int i = 0; rc == SL_OK && i < n; i++) {
    sl_stream_t *stream;
    e[i].sim.duration_us = INT64_MAX / 4; /* consumes until stopped */
    e[i].env.clock = SL_CLOCK_REAL;
    rc = sl_api_pin_stream(api, e[i].sim.stream.name, e[i].sim.stream.shard_count, 0, &stream, &err);
    if (rc == SL_OK) rc = sl_experiment_start(L, &e[i], hooks.rt, stream, &runs[i], &err);
    if (rc != SL_OK) fprintf(stderr, "shardlab serve: %s: %s\n", file, err.message);
  }
  if (rc == SL_OK && (rc = sl_real_run_all(hooks.rt, &err)) != SL_OK) fprintf(stderr, "shardlab serve: %s\n", err.message);
  if (rc != SL_OK || hooks.failed) status = SL_EXIT_FAILED;
  json_t *results = json_array();
  for (int i = 0; i < n; i++) {
    json_t *result;
    if (sl_experiment_finish(runs[i], runs[i] ? rc : SL_EINVAL, &result, &err) == SL_OK)
      json_array_append_new(results, result);
  }
  if (json_array_size(results) > 0) sl_cli_print_table(results);
  json_decref(results);
  sl_real_destroy(hooks.rt);
  for (int i = 0; i < n; i++) sl_experiment_free(L, &e[i]);
  free(e);
  if (L != NULL) lua_close(L);
  free(dir);
  return status;
}
