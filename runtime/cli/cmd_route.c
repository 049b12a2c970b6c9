/* cmd_route.c - `shardlab route`: where partition keys land. For each key: its hash key (MD5 as a decimal
 * 128-bit integer) and the shard of a new stream of N shards whose range holds it. */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lua/experiment_file.h"
#include "shardlab/hashkey.h"
#include "shardlab/stream.h"

static const char route_usage[] =
    "usage: shardlab route (--shards N | --stream FILE.lua) [--json] [KEY ...]\n"
    "  --shards N   route over a new stream of N shards (1..10000), split evenly as Kinesis does\n"
    "  --stream F   route over the stream of the first experiment F declares (as it starts)\n"
    "  --json       print a JSON list of {\"key\", \"hash_key\", \"shard\"}\n"
    "  KEY ...      partition keys; when none are given, keys are read from stdin, one per line\n";

typedef struct route_out_s {
  int json;           /* print JSON instead of tab-separated text */
  json_t *list;       /* the JSON list being built (json only) */
  const sl_stream_t *stream;
} route_out_t;

#define usage_error(...) sl_cli_usage_error("route", __VA_ARGS__)

/* Routes one key; `where` names it in error messages ("argument 2", "stdin line 7"). */
static int route_key(route_out_t *out, const char *key, size_t len, const char *where) {
  sl_error_t err;
  if (sl_partition_key_check(key, len, &err) != SL_OK) {
    fprintf(stderr, "shardlab route: %s: %s\n", where, err.message);
    return SL_EXIT_USAGE;
  }
  sl_hashkey_t hash = sl_hashkey_of(key, len);
  char decimal[SL_HASHKEY_DECIMAL_SIZE];
  sl_hashkey_format(hash, decimal);
  const sl_shard_t *shard = sl_stream_route(out->stream, hash);
  if (out->json) {
    json_t *row = json_pack("{s:s%,s:s,s:s}", "key", key, len, "hash_key", decimal, "shard", shard->id);
    if (row == NULL || json_array_append_new(out->list, row) != 0) {
      fprintf(stderr, "shardlab route: out of memory\n");
      return SL_EXIT_FAILED;
    }
  } else {
    printf("%.*s\t%s\t%s\n", (int)len, key, decimal, shard->id);
  }
  return SL_EXIT_OK;
}

static int route_stdin(route_out_t *out) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = SL_EXIT_OK;
  for (unsigned long lineno = 1; rc == SL_EXIT_OK && (n = getline(&line, &cap, stdin)) >= 0; lineno++) {
    size_t len = (size_t)n;
    if (len > 0 && line[len - 1] == '\n') len--;
    if (len > 0 && line[len - 1] == '\r') len--;
    char where[48];
    snprintf(where, sizeof where, "stdin line %lu", lineno);
    rc = route_key(out, line, len, where);
  }
  free(line);
  return rc;
}

/* The stream configuration of the first sl.experiment{...} in file; its name goes into name. Exit status. */
static int stream_of_file(const char *file, sl_stream_config_t *config, char *name, size_t name_size) {
  FILE *f = fopen(file, "r");
  if (f == NULL) return usage_error("--stream: cannot read %s", file);
  fclose(f);
  sl_experiment_file_t *x;
  int rc = sl_experiment_file_open(file, NULL, &x); /* read only: no sl.run */
  if (rc == SL_ENOMEM) return SL_EXIT_FAILED;
  sl_error_t err;
  sl_experiment_info_t info;
  int status = SL_EXIT_FAILED;
  if (rc != SL_OK) {
    fprintf(stderr, "shardlab route: %s\n", sl_experiment_file_error(x));
  } else if (sl_experiment_file_count(x) == 0) {
    fprintf(stderr, "shardlab route: %s declares no experiment (sl.experiment{...})\n", file);
  } else if (sl_experiment_file_read(x, 0, &err) != SL_OK) {
    fprintf(stderr, "shardlab route: %s: %s\n", file, err.message);
  } else if (sl_experiment_file_info(x, 0, &info) == SL_OK) {
    *config = info.stream;
    snprintf(name, name_size, "%s", info.stream.name); /* it points into the file's state */
    config->name = name;
    status = SL_EXIT_OK;
  }
  sl_experiment_file_close(x);
  return status;
}

static int parse_count(const char *text, uint32_t *out) {
  if (text == NULL || *text == '\0' || strlen(text) > 9) return -1;
  uint32_t v = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (uint32_t)(*p - '0');
  }
  *out = v;
  return 0;
}

int sl_cli_route(int argc, char **argv) {
  route_out_t out = {0};
  uint32_t shards = 0;
  int have_shards = 0, first_key = argc;
  const char *stream_file = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      first_key = i + 1;
      break;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(route_usage, stdout);
      return SL_EXIT_OK;
    } else if (strcmp(a, "--json") == 0) {
      out.json = 1;
    } else if (strcmp(a, "--shards") == 0) {
      if (i + 1 >= argc) return usage_error("--shards needs a number");
      if (parse_count(argv[++i], &shards) != 0)
        return usage_error("--shards '%s' is not a whole number from 1 to 10000", argv[i]);
      have_shards = 1;
    } else if (strcmp(a, "--stream") == 0) {
      if (i + 1 >= argc) return usage_error("--stream needs an experiment file");
      stream_file = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else {
      first_key = i;
      break;
    }
  }
  if (have_shards == (stream_file != NULL)) return usage_error("one of --shards N and --stream FILE.lua is required");

  sl_stream_config_t config;
  sl_stream_config_init(&config);
  config.name = "route";
  config.shard_count = shards;
  char name[SL_STREAM_NAME_MAX + 1];
  if (stream_file != NULL) {
    int status = stream_of_file(stream_file, &config, name, sizeof name);
    if (status != SL_EXIT_OK) return status;
  }
  sl_stream_t *stream;
  sl_error_t err;
  if (sl_stream_create(&config, &stream, &err) != SL_OK) {
    fprintf(stderr, "shardlab route: --shards: %s\n", err.message);
    return err.code == SL_EINVAL ? SL_EXIT_USAGE : SL_EXIT_FAILED;
  }
  out.stream = stream;
  if (out.json) out.list = json_array();

  int rc = SL_EXIT_OK;
  if (first_key >= argc) {
    rc = route_stdin(&out);
  } else {
    for (int i = first_key; rc == SL_EXIT_OK && i < argc; i++) {
      char where[48];
      snprintf(where, sizeof where, "argument %d", i - first_key + 1);
      rc = route_key(&out, argv[i], strlen(argv[i]), where);
    }
  }
  if (rc == SL_EXIT_OK && out.json) {
    if (json_dumpf(out.list, stdout, JSON_INDENT(2)) != 0) rc = SL_EXIT_FAILED;
    fputs("\n", stdout);
  }
  json_decref(out.list);
  sl_stream_destroy(stream);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "shardlab route: could not write the output\n");
    rc = SL_EXIT_FAILED;
  }
  return rc;
}
