/* cmd_serve.c - `shardlab serve [--host H] [--port N] [--max-body BYTES]`: the Kinesis Data Streams JSON API
 * over HTTP on 127.0.0.1 until SIGINT or SIGTERM. Prints "listening on http://HOST:PORT" once ready (with
 * --port 0, the port the system chose), so scripts can wait for it. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/serve_mapping.h"
#include "server/http_server.h"

#define usage_error(...) sl_cli_usage_error("serve", __VA_ARGS__)

static const char serve_usage[] =
    "usage: shardlab serve [--host 127.0.0.1] [--port 4567] [--max-body BYTES] [--iterator-ttl MS]\n"
    "                      [--no-write-limits] [--mapping FILE.lua [--workers N]]\n"
    "                      [--data DIR [--fsync always|interval|never]]\n"
    "  --data DIR   keep every stream in DIR (one folder each, docs/storage.md) and reopen them at start\n"
    "  --mapping F  the mappings F declares (sl.experiment{stream = ..., mapping = ...}, no producers) consume\n"
    "               the served streams on the real clock, their handlers on --workers threads\n"
    "  serves the Kinesis Data Streams API (JSON, X-Amz-Target) for AWS CLIs and SDKs; --port 0 picks a free port\n";

typedef struct serve_s {
  uv_signal_t sigint, sigterm;
  sl_server_t *server;
} serve_t;

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  serve_t *s = h->data;
  sl_server_close(s->server);
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
}


int sl_cli_serve(int argc, char **argv) {
  sl_server_config_t config;
  sl_server_config_init(&config);
  config.port = 4567;
  unsigned long long iterator_ttl_ms = 300000;
  const char *mapping = NULL, *data_dir = NULL;
  sl_fsync_t fsync = SL_FSYNC_INTERVAL;
  unsigned workers = 0;
  int write_limits = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long long n;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(serve_usage, stdout);
      return SL_EXIT_OK;
    } else if (strcmp(a, "--no-write-limits") == 0) { /* per-shard write limits off, for benchmarks */
      write_limits = 0;
    } else if (strcmp(a, "--host") == 0 || strcmp(a, "--port") == 0 || strcmp(a, "--max-body") == 0 ||
               strcmp(a, "--iterator-ttl") == 0 || strcmp(a, "--mapping") == 0 || strcmp(a, "--workers") == 0 ||
               strcmp(a, "--data") == 0 || strcmp(a, "--fsync") == 0) {
      if (v == NULL) return usage_error("%s needs a value", a);
      i++;
      if (strcmp(a, "--data") == 0) {
        data_dir = v;
      } else if (strcmp(a, "--fsync") == 0) {
        sl_error_t why;
        if (sl_fsync_parse(v, &fsync, &why) != SL_OK) return usage_error("--fsync: %s", why.message);
      } else if (strcmp(a, "--mapping") == 0) {
        mapping = v;
      } else if (strcmp(a, "--workers") == 0) {
        if (sl_cli_whole("serve", a, v, 1, 1024, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        workers = (unsigned)n;
      } else if (strcmp(a, "--host") == 0) {
        config.host = v;
      } else if (strcmp(a, "--port") == 0) {
        if (sl_cli_whole("serve", a, v, 0, 65535, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        config.port = (int)n;
      } else if (strcmp(a, "--iterator-ttl") == 0) { /* tests: iterators that expire in a moment */
        if (sl_cli_whole("serve", a, v, 1, 86400000, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        iterator_ttl_ms = n;
      } else {
        if (sl_cli_whole("serve", a, v, 1024, 1L << 30, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
        config.max_body = (size_t)n;
      }
    } else {
      return usage_error("unknown argument '%s'\n%s", a, serve_usage);
    }
  }
  sl_api_config_t api_config;
  sl_api_config_init(&api_config);
  api_config.iterator_ttl_ms = iterator_ttl_ms;
  api_config.write_limits = write_limits;
  api_config.data_dir = data_dir;
  api_config.fsync = fsync;
  if (data_dir != NULL) config.sync_interval_ms = 1000; /* interval's group commit also when puts pause */
  sl_api_t *api;
  sl_error_t err;
  if (sl_api_create(&api_config, &api, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    return SL_EXIT_FAILED;
  }
  if (mapping != NULL) { /* the mappings' real-clock driver owns the loop; the server joins it */
    int status = sl_cli_serve_mappings(api, &config, mapping, workers);
    sl_api_destroy(api);
    return status;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  serve_t s;
  int port;
  if (sl_server_start(&loop, api, &config, &s.server, &port, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    uv_loop_close(&loop);
    sl_api_destroy(api);
    return SL_EXIT_FAILED;
  }
  uv_signal_init(&loop, &s.sigint);
  uv_signal_init(&loop, &s.sigterm);
  s.sigint.data = s.sigterm.data = &s;
  uv_signal_start(&s.sigint, on_signal, SIGINT);
  uv_signal_start(&s.sigterm, on_signal, SIGTERM);
  printf("shardlab serve: listening on http://%s:%d\n", config.host, port);
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  sl_api_destroy(api);
  return SL_EXIT_OK;
}
