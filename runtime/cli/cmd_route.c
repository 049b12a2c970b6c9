/* cmd_route.c - `shardlab route`: where partition keys land. For each key: its hash key (MD5 as a decimal
 * 128-bit integer) and the shard of a new stream of N shards whose range holds it; with --pf P also its lane
 * (MD5 mod P, the `lanes` ordering model of lanes.h) and, after the keys, the concurrency the keys allow. */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lua/experiment_file.h"
#include "shardlab/hashkey.h"
#include "shardlab/lanes.h"
#include "shardlab/stream.h"

static const char route_usage[] =
    "usage: shardlab route (--shards N | --stream FILE.lua) [--pf P] [--json] [KEY ...]\n"
    "  --shards N   route over a new stream of N shards (1..10000), split evenly as Kinesis does\n"
    "  --stream F   route over the stream of the first experiment F declares or runs with sl.run (as it\n"
    "               starts; the file's top level stops at its first sl.run, which is not run)\n"
    "  --pf P       ParallelizationFactor 1..10: add each key's lane (MD5(key) mod P, ordering \"lanes\") and\n"
    "               end with the most concurrent batches the keys allow with ordering \"lanes\" (per shard, the\n"
    "               lanes its keys use) and \"keys\" (per shard, min(its keys, P)); repeated keys count once\n"
    "  --json       print a JSON list of {\"key\", \"hash_key\", \"shard\"}; with --pf an object\n"
    "               {\"keys\": [{\"key\", \"hash_key\", \"shard\", \"lane\"}, ...], \"bound\": {...}}\n"
    "  KEY ...      partition keys; when none are given, keys are read from stdin, one per line (empty lines\n"
    "               are skipped: a partition key has 1 to 256 characters)\n";

/* A key routed with --pf: what the bound needs. */
typedef struct routed_s {
  sl_hashkey_t hash;  /* MD5 of the key: its identity for ordering, as the dispatcher's */
  uint32_t shard;     /* the shard's index */
} routed_t;

typedef struct route_out_s {
  int json;           /* print JSON instead of tab-separated text */
  json_t *list;       /* the JSON list being built (json only) */
  const sl_stream_t *stream;
  uint32_t pf;        /* --pf, or 0 */
  routed_t *keys;     /* with --pf: every key routed, in order */
  size_t count, cap;
} route_out_t;

#define usage_error(...) sl_cli_usage_error("route", __VA_ARGS__)

static int out_of_memory(void) {
  fprintf(stderr, "shardlab route: out of memory\n");
  return SL_EXIT_FAILED;
}

static int keep(route_out_t *out, sl_hashkey_t hash, uint32_t shard) {
  if (out->count == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 256;
    routed_t *k = realloc(out->keys, cap * sizeof *k);
    if (k == NULL) return out_of_memory();
    out->keys = k;
    out->cap = cap;
  }
  out->keys[out->count++] = (routed_t){hash, shard};
  return SL_EXIT_OK;
}

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
  unsigned lane = out->pf ? (unsigned)(hash % out->pf) : 0; /* lanes.c: slot = MD5(key) mod PF */
  if (out->pf && keep(out, hash, shard->index) != SL_EXIT_OK) return SL_EXIT_FAILED;
  if (out->json) {
    json_t *row = json_pack("{s:s%,s:s,s:s}", "key", key, len, "hash_key", decimal, "shard", shard->id);
    if (row != NULL && out->pf) json_object_set_new(row, "lane", json_integer(lane));
    if (row == NULL || json_array_append_new(out->list, row) != 0) return out_of_memory();
  } else if (out->pf) {
    printf("%.*s\t%s\t%s\t%u\n", (int)len, key, decimal, shard->id, lane);
  } else {
    printf("%.*s\t%s\t%s\n", (int)len, key, decimal, shard->id);
  }
  return SL_EXIT_OK;
}

/* Keys from stdin, one per line; empty lines (a trailing blank line, say) are no keys and are skipped. */
static int route_stdin(route_out_t *out) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = SL_EXIT_OK;
  for (unsigned long lineno = 1; rc == SL_EXIT_OK && (n = getline(&line, &cap, stdin)) >= 0; lineno++) {
    size_t len = (size_t)n;
    if (len > 0 && line[len - 1] == '\n') len--;
    if (len > 0 && line[len - 1] == '\r') len--;
    if (len == 0) continue;
    char where[48];
    snprintf(where, sizeof where, "stdin line %lu", lineno);
    rc = route_key(out, line, len, where);
  }
  free(line);
  return rc;
}

/* The concurrency the routed keys allow (DESIGN 4): per shard, the distinct lanes its keys use (lanes) and
 * min(its keys, PF) (keys); a key counts once however often it was given. */
typedef struct bound_s {
  size_t keys, repeated;
  uint32_t shards, used, pf;
  unsigned long long slots, lanes, balanced;
  uint16_t *lane_mask;  /* per shard index: the lanes its keys use */
  uint32_t *shard_keys; /* per shard index: its distinct keys */
} bound_t;

static int by_hash(const void *a, const void *b) {
  sl_hashkey_t x = ((const routed_t *)a)->hash, y = ((const routed_t *)b)->hash;
  return x < y ? -1 : x > y;
}

static int compute_bound(route_out_t *out, bound_t *b) {
  uint32_t total = sl_stream_shard_total(out->stream);
  *b = (bound_t){.shards = sl_stream_open_count(out->stream), .pf = out->pf};
  b->lane_mask = calloc(total, sizeof *b->lane_mask);
  b->shard_keys = calloc(total, sizeof *b->shard_keys);
  if (b->lane_mask == NULL || b->shard_keys == NULL) return out_of_memory();
  if (out->count > 0) qsort(out->keys, out->count, sizeof *out->keys, by_hash);
  for (size_t i = 0; i < out->count; i++) {
    if (i > 0 && out->keys[i].hash == out->keys[i - 1].hash) {
      b->repeated++;
      continue;
    }
    b->keys++;
    b->lane_mask[out->keys[i].shard] |= (uint16_t)(1u << (unsigned)(out->keys[i].hash % out->pf));
    b->shard_keys[out->keys[i].shard]++;
  }
  b->slots = (unsigned long long)b->shards * b->pf;
  for (uint32_t s = 0; s < total; s++) {
    if (b->shard_keys[s] == 0) continue;
    b->used++;
    b->lanes += (unsigned)__builtin_popcount(b->lane_mask[s]);
    b->balanced += b->shard_keys[s] < b->pf ? b->shard_keys[s] : b->pf;
  }
  return SL_EXIT_OK;
}

static const char *plural(unsigned long long n, const char *many) { return n == 1 ? "" : many; }

static void print_bound(const bound_t *b) {
  printf("%zu key%s", b->keys, plural(b->keys, "s"));
  if (b->repeated > 0) printf(" (%zu repeated)", b->repeated);
  printf(" on %u shard%s, PF %u: at most %llu concurrent batch%s with ordering lanes (%llu slot%s; %llu lane%s "
         "empty), %llu with keys; shards used %u of %u\n",
         b->shards, plural(b->shards, "s"), b->pf, b->lanes, plural(b->lanes, "es"), b->slots,
         plural(b->slots, "s"), b->slots - b->lanes, plural(b->slots - b->lanes, "s"), b->balanced, b->used,
         b->shards);
}

/* {"keys": [...], "bound": {...}} with per_shard listing the shards that got keys. NULL when out of memory. */
static json_t *bound_json(const route_out_t *out, const bound_t *b) {
  json_t *per_shard = json_array();
  for (uint32_t s = 0; per_shard != NULL && s < sl_stream_shard_total(out->stream); s++)
    if (b->shard_keys[s] > 0)
      json_array_append_new(per_shard, json_pack("{s:s,s:I,s:i}", "shard", sl_stream_shard(out->stream, s)->id,
                                                 "keys", (json_int_t)b->shard_keys[s], "lanes",
                                                 __builtin_popcount(b->lane_mask[s])));
  json_t *bound = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:I,s:o*}", "distinct_keys", (json_int_t)b->keys,
                            "repeated_keys", (json_int_t)b->repeated, "shards", (json_int_t)b->shards,
                            "shards_used", (json_int_t)b->used, "parallelization_factor", (json_int_t)b->pf,
                            "slots", (json_int_t)b->slots, "max_concurrency", "lanes", (json_int_t)b->lanes,
                            "keys", (json_int_t)b->balanced, "empty_lanes", (json_int_t)(b->slots - b->lanes),
                            "per_shard", per_shard);
  return bound != NULL ? json_pack("{s:O,s:o}", "keys", out->list, "bound", bound) : NULL;
}

/* After the keys: the JSON (the list, or with --pf the object with the bound) or the bound's line. */
static int finish_output(route_out_t *out) {
  bound_t b = {0};
  int rc = out->pf ? compute_bound(out, &b) : SL_EXIT_OK;
  if (rc == SL_EXIT_OK && out->json) {
    json_t *doc = out->pf ? bound_json(out, &b) : json_incref(out->list);
    if (doc == NULL) rc = out_of_memory();
    else if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) rc = SL_EXIT_FAILED;
    else fputs("\n", stdout);
    json_decref(doc);
  } else if (rc == SL_EXIT_OK && out->pf) {
    print_bound(&b);
  }
  free(b.lane_mask);
  free(b.shard_keys);
  return rc;
}

/* The stream configuration of the file's first experiment (declared, or run with sl.run: the top level stops
 * there); its name goes into name. Exit status. */
static int stream_of_file(const char *file, sl_stream_config_t *config, char *name, size_t name_size) {
  FILE *f = fopen(file, "r");
  if (f == NULL) return usage_error("--stream: cannot read %s", file);
  fclose(f);
  sl_experiment_file_t *x;
  int rc = sl_experiment_file_open_first(file, &x); /* read only: sl.run declares, it does not run */
  if (rc == SL_ENOMEM) return SL_EXIT_FAILED;
  sl_error_t err;
  sl_experiment_info_t info;
  int status = SL_EXIT_FAILED;
  if (rc != SL_OK) {
    fprintf(stderr, "shardlab route: %s\n", sl_experiment_file_error(x));
  } else if (sl_experiment_file_count(x) == 0) {
    fprintf(stderr, "shardlab route: %s declares no experiment (sl.experiment{...} or sl.run{...})\n", file);
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

typedef struct route_args_s {
  uint32_t shards;
  int have_shards;
  const char *stream_file;
  int first_key;      /* argv index of the first key (argc: none, read stdin) */
  int help;
} route_args_t;

/* Options into a and out; an exit status (SL_EXIT_USAGE after saying why). */
static int parse_args(int argc, char **argv, route_args_t *a, route_out_t *out) {
  *a = (route_args_t){.first_key = argc};
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i];
    if (strcmp(o, "--") == 0) {
      a->first_key = i + 1;
      break;
    } else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
      a->help = 1;
      return SL_EXIT_OK;
    } else if (strcmp(o, "--json") == 0) {
      out->json = 1;
    } else if (strcmp(o, "--shards") == 0) {
      if (i + 1 >= argc) return usage_error("--shards needs a number");
      if (parse_count(argv[++i], &a->shards) != 0)
        return usage_error("--shards '%s' is not a whole number from 1 to 10000", argv[i]);
      a->have_shards = 1;
    } else if (strcmp(o, "--pf") == 0) {
      if (i + 1 >= argc) return usage_error("--pf needs a ParallelizationFactor from 1 to %u", SL_PF_MAX);
      unsigned long long pf;
      if (sl_cli_whole("route", "--pf", argv[++i], 1, SL_PF_MAX, &pf) != SL_EXIT_OK) return SL_EXIT_USAGE;
      out->pf = (uint32_t)pf;
    } else if (strcmp(o, "--stream") == 0) {
      if (i + 1 >= argc) return usage_error("--stream needs an experiment file");
      a->stream_file = argv[++i];
    } else if (o[0] == '-' && o[1] != '\0') {
      return usage_error("unknown option '%s'", o);
    } else {
      a->first_key = i;
      break;
    }
  }
  if (a->have_shards == (a->stream_file != NULL))
    return usage_error("one of --shards N and --stream FILE.lua is required");
  return SL_EXIT_OK;
}

static int route_all(route_out_t *out, int argc, char **argv, int first_key) {
  if (first_key >= argc) return route_stdin(out);
  int rc = SL_EXIT_OK;
  for (int i = first_key; rc == SL_EXIT_OK && i < argc; i++) {
    char where[48];
    snprintf(where, sizeof where, "argument %d", i - first_key + 1);
    rc = route_key(out, argv[i], strlen(argv[i]), where);
  }
  return rc;
}

int sl_cli_route(int argc, char **argv) {
  route_out_t out = {0};
  route_args_t a;
  int rc = parse_args(argc, argv, &a, &out);
  if (rc != SL_EXIT_OK || a.help) {
    if (a.help) fputs(route_usage, stdout);
    return rc;
  }
  sl_stream_config_t config;
  sl_stream_config_init(&config);
  config.name = "route";
  config.shard_count = a.shards;
  char name[SL_STREAM_NAME_MAX + 1];
  if (a.stream_file != NULL) {
    int status = stream_of_file(a.stream_file, &config, name, sizeof name);
    if (status != SL_EXIT_OK) return status;
  }
  sl_stream_t *stream;
  sl_error_t err;
  if (sl_stream_create(&config, &stream, &err) != SL_OK) {
    fprintf(stderr, "shardlab route: --shards: %s\n", err.message);
    return err.code == SL_EINVAL ? SL_EXIT_USAGE : SL_EXIT_FAILED;
  }
  out.stream = stream;
  if (out.json && (out.list = json_array()) == NULL) rc = out_of_memory();
  if (rc == SL_EXIT_OK) rc = route_all(&out, argc, argv, a.first_key);
  if (rc == SL_EXIT_OK) rc = finish_output(&out);
  json_decref(out.list);
  free(out.keys);
  sl_stream_destroy(stream);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "shardlab route: could not write the output\n");
    rc = SL_EXIT_FAILED;
  }
  return rc;
}
