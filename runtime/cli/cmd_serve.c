/* cmd_serve.c - `shardlab serve`: reads its options, creates the Kinesis API (iterator lifetime, per-shard
 * write limits, the times of the stream status transitions and the account limits, and with --data the
 * durable store and its fsync policy, group-committed by the server's sync timer), then either hands that API to serve_mapping.c (--mapping: the real-clock driver owns the loop, the
 * signals and the mappings' summaries) or serves it itself: a libuv loop of its own, the HTTP server of
 * runtime/server/ on --host (127.0.0.1) and --port (4567; 0 picks a free one), and SIGINT or SIGTERM closing
 * the server so the loop ends. With --tls-cert and --tls-key it speaks HTTPS (server/tls.h). Prints
 * "listening on http://HOST:PORT" (https:// with TLS) once ready (the port bound, with --port 0), so scripts
 * can wait for it. Exit status: 0 after a signal, 1 when the API, the loop, the server, the signal handlers or
 * TLS cannot be set up (a libuv failure names the call, a TLS one the file), 2 for a usage error. */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/serve_mapping.h"
#include "server/http_server.h"
#include "server/sigv4.h"
#include "server/tls.h"

#define usage_error(...) sl_cli_usage_error("serve", __VA_ARGS__)

static const char serve_usage[] =
    "usage: shardlab serve [--host 127.0.0.1] [--port 4567] [--max-body BYTES] [--iterator-ttl MS]\n"
    "                      [--no-write-limits] [--no-read-limits] [--mapping FILE.lua [--workers N]]\n"
    "                      [--data DIR [--fsync always|interval|never]] [--auth FILE]\n"
    "                      [--request-timeout SECONDS] [--max-connections N]\n"
    "                      [--tls-cert FILE --tls-key FILE]\n"
    "                      [--create-stream-ms MS] [--delete-stream-ms MS] [--update-stream-ms MS]\n"
    "                      [--shard-limit N] [--on-demand-stream-limit N]\n"
    "  --host H           the IPv4 address to listen on (default 127.0.0.1)\n"
    "  --port N           the port (default 4567; 0 picks a free port, printed once listening)\n"
    "  --max-body BYTES   the largest request body, 1024 to 1073741824 (default 8 MiB); larger ones get 413\n"
    "  --iterator-ttl MS  how long a shard iterator stays valid (default 300000, as in AWS)\n"
    "  --no-write-limits  no per-shard write limits (1 MiB/s, 1,000 records/s), for benchmarks\n"
    "  --no-read-limits   no per-shard read limits (5 GetRecords calls and 2 MiB a second)\n"
    "  --data DIR         keep every stream in DIR (one folder each, docs/storage.md) and reopen them at start\n"
    "  --fsync P          with --data: always, interval (default) or never\n"
    "  --auth FILE        every request must carry a valid AWS Signature Version 4 by a key of FILE (the AWS\n"
    "                     shared-credentials format: [profile], aws_access_key_id, aws_secret_access_key);\n"
    "                     others get AWS's error. Without it any request is taken (warned about off loopback)\n"
    "  --tls-cert FILE    HTTPS instead of HTTP (TLS 1.2 and 1.3): FILE holds the server's PEM certificate,\n"
    "                     then the intermediate certificates of its chain, if any\n"
    "  --tls-key FILE     with --tls-cert: the certificate's private key (PEM, not encrypted)\n"
    "  --request-timeout S  a client that has not sent its whole request S seconds after it began (or after it\n"
    "                     connected) is disconnected, 1 to 3600 (default 30)\n"
    "  --max-connections N  connections open at once, 1 to 65536 (default 1024); the next one is closed at once\n"
    "  --create-stream-ms MS  a new stream is CREATING this long before it is ACTIVE (default 500; 0: at once)\n"
    "  --delete-stream-ms MS  a deleted stream is DELETING this long before it is gone (default 500)\n"
    "  --update-stream-ms MS  a stream resharded, or whose mode or encryption changes, is UPDATING this long\n"
    "                     (default 500)\n"
    "  --shard-limit N    the account's open shards, 1 to 10000 (default 10000; DescribeLimits)\n"
    "  --on-demand-stream-limit N  the account's on-demand streams, 0 to 10000 (default 50)\n"
    "  --mapping F        the mappings F declares (sl.experiment{stream = ..., mapping = ...}, no producers)\n"
    "                     consume the served streams on the real clock, their handlers on --workers threads\n"
    "  --workers N        with --mapping: handler threads, 1 to 1024 (default: one per core)\n"
    "  serves the Kinesis Data Streams API (JSON, X-Amz-Target) for AWS CLIs and SDKs until SIGINT or SIGTERM\n";

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

/* Prints which libuv call failed and why; returns rc. */
static int uv_failed(const char *call, int rc) {
  fprintf(stderr, "shardlab serve: %s: %s\n", call, uv_strerror(rc));
  return rc;
}

/* Has SIGINT and SIGTERM close s->server. 0, or a libuv error after saying which call failed, with the
 * handles it did set up closed (run the loop to complete that). */
static int watch_signals(uv_loop_t *loop, serve_t *s) {
  int rc = uv_signal_init(loop, &s->sigint);
  if (rc != 0) return uv_failed("uv_signal_init (SIGINT)", rc);
  rc = uv_signal_init(loop, &s->sigterm);
  if (rc != 0) {
    uv_close((uv_handle_t *)&s->sigint, NULL);
    return uv_failed("uv_signal_init (SIGTERM)", rc);
  }
  s->sigint.data = s->sigterm.data = s;
  rc = uv_signal_start(&s->sigint, on_signal, SIGINT);
  if (rc != 0) uv_failed("uv_signal_start (SIGINT)", rc);
  if (rc == 0 && (rc = uv_signal_start(&s->sigterm, on_signal, SIGTERM)) != 0)
    uv_failed("uv_signal_start (SIGTERM)", rc);
  if (rc != 0) {
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
  }
  return rc;
}

/* Serves api on a loop of its own until SIGINT or SIGTERM; returns the exit status. */
static int serve_alone(sl_api_t *api, const sl_server_config_t *config) {
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc != 0) {
    uv_failed("uv_loop_init", rc);
    return SL_EXIT_FAILED;
  }
  serve_t s;
  int port;
  sl_error_t err;
  if (sl_server_start(&loop, api, config, &s.server, &port, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    uv_loop_close(&loop);
    return SL_EXIT_FAILED;
  }
  if (watch_signals(&loop, &s) != 0) {
    sl_server_close(s.server);
    uv_run(&loop, UV_RUN_DEFAULT); /* completes the closes, and frees the server */
    uv_loop_close(&loop);
    return SL_EXIT_FAILED;
  }
  printf("shardlab serve: listening on %s://%s:%d\n", config->tls != NULL ? "https" : "http", config->host, port);
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return SL_EXIT_OK;
}

/* --auth FILE's keys (none without it: then a warning when the server listens beyond loopback). */
static int load_auth(const char *auth, const char *host, sl_sigv4_keys_t **keys) {
  sl_error_t err;
  *keys = NULL;
  if (auth != NULL && sl_sigv4_keys_load(auth, keys, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    return err.code;
  }
  if (auth == NULL && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0)
    fprintf(stderr, "shardlab serve: warning: listening on %s without --auth: anyone who reaches it can create, "
            "write and delete streams\n", host);
  return SL_OK;
}

/* --tls-cert and --tls-key's context (NULL without them); the error printed when a file is not right. */
static int load_tls(const char *cert, const char *key, sl_tls_t **tls) {
  sl_error_t err;
  *tls = NULL;
  if (cert == NULL || sl_tls_load(cert, key, tls, &err) == SL_OK) return SL_OK;
  fprintf(stderr, "shardlab serve: %s\n", err.message);
  return err.code;
}

/* What the command line asks. */
typedef struct serve_options_s {
  sl_server_config_t config;
  unsigned long long iterator_ttl_ms, create_ms, delete_ms, update_ms, shard_limit, on_demand_limit;
  const char *mapping, *data_dir, *auth, *tls_cert, *tls_key;
  sl_fsync_t fsync;
  unsigned workers;
  int write_limits, read_limits;
} serve_options_t;

/* The option a with its value v into o: SL_EXIT_OK, or the usage error's status. */
static int value_option(const char *a, const char *v, serve_options_t *o) {
  unsigned long long n;
  sl_error_t why;
  if (strcmp(a, "--auth") == 0) o->auth = v;
  else if (strcmp(a, "--tls-cert") == 0) o->tls_cert = v;
  else if (strcmp(a, "--tls-key") == 0) o->tls_key = v;
  else if (strcmp(a, "--data") == 0) o->data_dir = v;
  else if (strcmp(a, "--mapping") == 0) o->mapping = v;
  else if (strcmp(a, "--host") == 0) o->config.host = v;
  else if (strcmp(a, "--fsync") == 0) {
    if (sl_fsync_parse(v, &o->fsync, &why) != SL_OK) return usage_error("--fsync: %s", why.message);
  } else if (strcmp(a, "--request-timeout") == 0) {
    if (sl_cli_whole("serve", a, v, 1, 3600, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->config.request_timeout_ms = (int64_t)n * 1000;
  } else if (strcmp(a, "--max-connections") == 0) {
    if (sl_cli_whole("serve", a, v, 1, 65536, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->config.max_connections = (uint32_t)n;
  } else if (strcmp(a, "--workers") == 0) {
    if (sl_cli_whole("serve", a, v, 1, 1024, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->workers = (unsigned)n;
  } else if (strcmp(a, "--port") == 0) {
    if (sl_cli_whole("serve", a, v, 0, 65535, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->config.port = (int)n;
  } else if (strcmp(a, "--iterator-ttl") == 0) { /* tests: iterators that expire in a moment */
    if (sl_cli_whole("serve", a, v, 1, 86400000, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->iterator_ttl_ms = n;
  } else if (strcmp(a, "--create-stream-ms") == 0 || strcmp(a, "--delete-stream-ms") == 0 ||
             strcmp(a, "--update-stream-ms") == 0) {
    if (sl_cli_whole("serve", a, v, 0, 86400000, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    *(a[2] == 'c' ? &o->create_ms : a[2] == 'd' ? &o->delete_ms : &o->update_ms) = n;
  } else if (strcmp(a, "--shard-limit") == 0) {
    if (sl_cli_whole("serve", a, v, 1, SL_STREAM_MAX_SHARDS, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->shard_limit = n;
  } else if (strcmp(a, "--on-demand-stream-limit") == 0) {
    if (sl_cli_whole("serve", a, v, 0, 10000, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->on_demand_limit = n;
  } else { /* --max-body */
    if (sl_cli_whole("serve", a, v, 1024, 1L << 30, &n) != SL_EXIT_OK) return SL_EXIT_USAGE;
    o->config.max_body = (size_t)n;
  }
  return SL_EXIT_OK;
}

static int takes_value(const char *a) {
  static const char *const options[] = {"--auth", "--tls-cert", "--tls-key", "--data", "--mapping", "--host",
                                        "--fsync", "--request-timeout", "--max-connections", "--workers", "--port",
                                        "--iterator-ttl", "--max-body", "--create-stream-ms", "--delete-stream-ms",
                                        "--update-stream-ms", "--shard-limit", "--on-demand-stream-limit", NULL};
  for (int i = 0; options[i]; i++)
    if (strcmp(a, options[i]) == 0) return 1;
  return 0;
}

/* The command line into o: -1 to go on, else the status to exit with (--help: 0). */
static int parse_options(int argc, char **argv, serve_options_t *o) {
  sl_server_config_init(&o->config);
  o->config.port = 4567;
  o->iterator_ttl_ms = 300000;
  o->create_ms = o->delete_ms = o->update_ms = 500; /* kinesalite's defaults (sl_api_config_init's) */
  o->shard_limit = SL_STREAM_MAX_SHARDS;
  o->on_demand_limit = 50;
  o->mapping = o->data_dir = o->auth = o->tls_cert = o->tls_key = NULL;
  o->fsync = SL_FSYNC_INTERVAL;
  o->workers = 0;
  o->write_limits = o->read_limits = 1;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(serve_usage, stdout);
      return SL_EXIT_OK;
    } else if (strcmp(a, "--no-write-limits") == 0) { /* per-shard write limits off, for benchmarks */
      o->write_limits = 0;
    } else if (strcmp(a, "--no-read-limits") == 0) {
      o->read_limits = 0;
    } else if (!takes_value(a)) {
      return usage_error("unknown argument '%s'\n%s", a, serve_usage);
    } else if (i + 1 == argc) {
      return usage_error("%s needs a value", a);
    } else {
      int rc = value_option(a, argv[++i], o);
      if (rc != SL_EXIT_OK) return rc;
    }
  }
  if (o->tls_cert != NULL && o->tls_key == NULL) return usage_error("--tls-cert needs --tls-key (its private key)");
  if (o->tls_key != NULL && o->tls_cert == NULL) return usage_error("--tls-key needs --tls-cert (its certificate)");
  return -1;
}

int sl_cli_serve(int argc, char **argv) {
  serve_options_t o;
  int parsed = parse_options(argc, argv, &o);
  if (parsed >= 0) return parsed;
  /* A client that resets its connection while an answer is written must not end the server: libuv writes to
   * sockets with writev, which raises SIGPIPE there; ignored, the write fails with EPIPE instead. */
  signal(SIGPIPE, SIG_IGN);
  sl_server_config_t config = o.config;
  unsigned long long iterator_ttl_ms = o.iterator_ttl_ms;
  const char *mapping = o.mapping, *data_dir = o.data_dir, *auth = o.auth;
  sl_fsync_t fsync = o.fsync;
  unsigned workers = o.workers;
  int write_limits = o.write_limits, read_limits = o.read_limits;
  sl_api_config_t api_config;
  sl_api_config_init(&api_config);
  api_config.iterator_ttl_ms = iterator_ttl_ms;
  api_config.write_limits = write_limits;
  api_config.read_limits = read_limits;
  api_config.data_dir = data_dir;
  api_config.fsync = fsync;
  api_config.create_stream_ms = (int64_t)o.create_ms;
  api_config.delete_stream_ms = (int64_t)o.delete_ms;
  api_config.update_stream_ms = (int64_t)o.update_ms;
  api_config.shard_limit = (uint32_t)o.shard_limit;
  api_config.on_demand_stream_limit = (uint32_t)o.on_demand_limit;
  if (data_dir != NULL) config.sync_interval_ms = 1000; /* interval's group commit also when puts pause */
  sl_api_t *api;
  sl_error_t err;
  sl_sigv4_keys_t *keys = NULL;
  sl_tls_t *tls = NULL;
  if (load_auth(auth, config.host, &keys) != SL_OK || load_tls(o.tls_cert, o.tls_key, &tls) != SL_OK) {
    sl_sigv4_keys_free(keys);
    return SL_EXIT_FAILED;
  }
  config.auth = keys;
  config.tls = tls;
  if (sl_api_create(&api_config, &api, &err) != SL_OK) {
    fprintf(stderr, "shardlab serve: %s\n", err.message);
    sl_sigv4_keys_free(keys);
    sl_tls_free(tls);
    return SL_EXIT_FAILED;
  }
  /* With mappings, their real-clock driver owns the loop and the server joins it. */
  int status = mapping != NULL ? sl_cli_serve_mappings(api, &config, mapping, workers) : serve_alone(api, &config);
  sl_api_destroy(api);
  sl_sigv4_keys_free(keys);
  sl_tls_free(tls);
  return status;
}
