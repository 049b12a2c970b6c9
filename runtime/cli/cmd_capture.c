/* cmd_capture.c - `shardlab capture`: reads every shard of a stream from a Kinesis endpoint that takes requests
 * without signatures (capture_client.c) and writes its records as JSONL in the shape `aws kinesis get-records`
 * gives them, in arrival order: what sl.replay{ format = "jsonl" } reads (docs/experiments.md "Replay"). Shards
 * come from ListShards (paged with NextToken); a closed shard's children (GetRecords' ChildShards) are read from
 * their start; each shard is polled at most 5 times a second (its GetRecords limit). It stops after --duration
 * seconds, or, without one, once every shard is caught up: each open shard answered with no records and
 * MillisBehindLatest 0, each closed one was read to its end. SIGINT stops it early; what was read is written. */
#define _POSIX_C_SOURCE 200809L /* sigaction, nanosleep */

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/capture_client.h"
#include "cli/cli.h"
#include "shardlab/clock.h"

static const char capture_usage[] =
    "usage: shardlab capture --endpoint URL --stream NAME --out FILE.jsonl [--from TRIM_HORIZON|LATEST|AT_TIMESTAMP]\n"
    "                        [--timestamp T] [--duration S]\n"
    "  --endpoint URL  a Kinesis endpoint that takes unsigned requests (shardlab serve, kinesalite),\n"
    "                  e.g. http://127.0.0.1:4567\n"
    "  --stream NAME   the stream to read: every shard, and the children of shards that close\n"
    "  --out FILE      where the records go, one JSON object a line as GetRecords gives them (PartitionKey,\n"
    "                  Data, ApproximateArrivalTimestamp, SequenceNumber, ...), sorted by arrival time\n"
    "  --from P        where each shard is read from: TRIM_HORIZON (default: all it holds), LATEST (what\n"
    "                  arrives from now on; needs --duration) or AT_TIMESTAMP (needs --timestamp)\n"
    "  --timestamp T   with AT_TIMESTAMP: epoch seconds or ISO-8601 (2024-05-01T12:00:00Z)\n"
    "  --duration S    read for S seconds (new records included); without it, stop once every shard is caught\n"
    "                  up (no records and MillisBehindLatest 0)\n";

#define usage_error(...) sl_cli_usage_error("capture", __VA_ARGS__)
#define POLL_NS 200000000LL /* a shard's GetRecords: 5 a second at most */

typedef struct shard_s {
  char *id;
  char *iterator;     /* NULL once a closed shard was read to its end */
  int caught_up;      /* its last answer had no records and MillisBehindLatest 0 */
} shard_t;

typedef struct record_s {
  int64_t arrival_us;
  size_t order;       /* when it was read: ties keep it */
  json_t *json;
} record_t;

typedef struct capture_s {
  capture_client_t *client;
  const char *stream, *from, *out;
  double timestamp;
  shard_t *shards;
  size_t shard_count, shard_cap;
  record_t *records;
  size_t count, cap;
  char why[1024];
} capture_t;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int find_shard(const capture_t *c, const char *id) {
  for (size_t i = 0; i < c->shard_count; i++)
    if (strcmp(c->shards[i].id, id) == 0) return 1;
  return 0;
}

/* Adds shard id with an iterator from position (TRIM_HORIZON, LATEST, AT_TIMESTAMP); 0, or -1 with c->why. */
static int add_shard(capture_t *c, const char *id, const char *position) {
  if (find_shard(c, id)) return 0;
  json_t *req = json_pack("{s:s,s:s,s:s}", "StreamName", c->stream, "ShardId", id, "ShardIteratorType", position);
  if (strcmp(position, "AT_TIMESTAMP") == 0) json_object_set_new(req, "Timestamp", json_real(c->timestamp));
  json_t *resp;
  if (capture_call(c->client, "GetShardIterator", req, &resp, c->why, sizeof c->why) != 0) return -1;
  const char *it = json_string_value(json_object_get(resp, "ShardIterator"));
  if (c->shard_count == c->shard_cap) {
    size_t cap = c->shard_cap ? c->shard_cap * 2 : 16;
    shard_t *s = realloc(c->shards, cap * sizeof *s);
    if (s == NULL) return json_decref(resp), snprintf(c->why, sizeof c->why, "out of memory"), -1;
    c->shards = s;
    c->shard_cap = cap;
  }
  shard_t *s = &c->shards[c->shard_count++];
  *s = (shard_t){strdup(id), it ? strdup(it) : NULL, 0};
  json_decref(resp);
  return 0;
}

/* Every shard ListShards gives (page by page), each with an iterator from --from; with LATEST, the open ones. */
static int list_shards(capture_t *c) {
  char *token = NULL;
  int rc = 0;
  do {
    json_t *req = token ? json_pack("{s:s}", "NextToken", token) : json_pack("{s:s}", "StreamName", c->stream);
    free(token);
    token = NULL;
    json_t *resp;
    if (capture_call(c->client, "ListShards", req, &resp, c->why, sizeof c->why) != 0) return -1;
    json_t *shards = json_object_get(resp, "Shards"), *sh;
    size_t i;
    json_array_foreach(shards, i, sh) {
      const char *id = json_string_value(json_object_get(sh, "ShardId"));
      int closed = json_object_get(json_object_get(sh, "SequenceNumberRange"), "EndingSequenceNumber") != NULL;
      if (id && !(closed && strcmp(c->from, "LATEST") == 0) && (rc = add_shard(c, id, c->from)) != 0) break;
    }
    const char *next = json_string_value(json_object_get(resp, "NextToken"));
    if (rc == 0 && next) token = strdup(next);
    json_decref(resp);
  } while (rc == 0 && token);
  free(token);
  return rc;
}

static int keep_record(capture_t *c, json_t *rec) {
  json_t *ts = json_object_get(rec, "ApproximateArrivalTimestamp");
  int64_t us = 0;
  if (json_is_number(ts)) us = (int64_t)(json_number_value(ts) * 1e6 + 0.5);
  else if (!json_is_string(ts) || sl_clock_parse_time(json_string_value(ts), &us) != 0)
    return snprintf(c->why, sizeof c->why, "GetRecords gave a record without an ApproximateArrivalTimestamp"), -1;
  if (c->count == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 1024;
    record_t *r = realloc(c->records, cap * sizeof *r);
    if (r == NULL) return snprintf(c->why, sizeof c->why, "out of memory"), -1;
    c->records = r;
    c->cap = cap;
  }
  c->records[c->count] = (record_t){us, c->count, json_incref(rec)};
  c->count++;
  return 0;
}

/* One GetRecords of shard i: its records kept, its iterator moved on, the children of a shard that ended. */
static int poll_shard(capture_t *c, size_t i) {
  json_t *req = json_pack("{s:s,s:i}", "ShardIterator", c->shards[i].iterator, "Limit", 10000), *resp;
  if (capture_call(c->client, "GetRecords", req, &resp, c->why, sizeof c->why) != 0) return -1;
  json_t *records = json_object_get(resp, "Records"), *rec;
  size_t k;
  int rc = 0;
  json_array_foreach(records, k, rec) if (rc == 0) rc = keep_record(c, rec);
  const char *next = json_string_value(json_object_get(resp, "NextShardIterator"));
  shard_t *s = &c->shards[i];
  free(s->iterator);
  s->iterator = next ? strdup(next) : NULL;
  s->caught_up = json_array_size(records) == 0 && json_integer_value(json_object_get(resp, "MillisBehindLatest")) == 0;
  json_t *children = json_object_get(resp, "ChildShards"), *child;
  if (s->iterator == NULL) /* closed and read to its end: its children hold what follows */
    json_array_foreach(children, k, child) {
      const char *id = json_string_value(json_object_get(child, "ShardId"));
      if (rc == 0 && id) rc = add_shard(c, id, "TRIM_HORIZON");
    }
  json_decref(resp);
  return rc;
}

static void sleep_ns(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  if (ns > 0) nanosleep(&ts, NULL);
}

/* Rounds over the shards until --duration is over, or (without it) every shard is caught up or ended. */
static int read_shards(capture_t *c, double duration) {
  int64_t start = sl_clock_mono_ns();
  for (;;) {
    int64_t round = sl_clock_mono_ns();
    int done = 1;
    for (size_t i = 0; i < c->shard_count && !stop_requested; i++) {
      if (c->shards[i].iterator == NULL) continue;
      if (poll_shard(c, i) != 0) return -1;
      done &= c->shards[i].iterator == NULL || c->shards[i].caught_up;
    }
    double elapsed = (double)(sl_clock_mono_ns() - start) / 1e9;
    if (stop_requested || (duration > 0 ? elapsed >= duration : done)) return 0;
    sleep_ns(POLL_NS - (sl_clock_mono_ns() - round));
  }
}

static int by_arrival(const void *a, const void *b) {
  const record_t *x = a, *y = b;
  if (x->arrival_us != y->arrival_us) return x->arrival_us < y->arrival_us ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* The records in arrival order, one line each, into a temporary file renamed over --out at the end. */
static int write_records(capture_t *c) {
  if (c->count > 1) qsort(c->records, c->count, sizeof *c->records, by_arrival);
  size_t n = strlen(c->out) + 8;
  char *tmp = malloc(n);
  if (tmp == NULL) return snprintf(c->why, sizeof c->why, "out of memory"), -1;
  snprintf(tmp, n, "%s.part", c->out);
  FILE *f = fopen(tmp, "w");
  int rc = f ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < c->count; i++)
    if (json_dumpf(c->records[i].json, f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF) rc = -1;
  if (f && fclose(f) != 0) rc = -1;
  if (rc == 0 && rename(tmp, c->out) != 0) rc = -1;
  if (rc != 0) {
    snprintf(c->why, sizeof c->why, "%s cannot be written", c->out);
    remove(tmp);
  }
  free(tmp);
  return rc;
}

static void capture_free(capture_t *c) {
  for (size_t i = 0; i < c->shard_count; i++) {
    free(c->shards[i].id);
    free(c->shards[i].iterator);
  }
  free(c->shards);
  for (size_t i = 0; i < c->count; i++) json_decref(c->records[i].json);
  free(c->records);
  capture_client_destroy(c->client);
}

/* The options into c and *duration; SL_EXIT_OK or SL_EXIT_USAGE after saying why. */
static int parse(int argc, char **argv, capture_t *c, const char **endpoint, double *duration) {
  const char *timestamp = NULL;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(capture_usage, stdout);
      exit(SL_EXIT_OK);
    }
    const char **slot = strcmp(a, "--endpoint") == 0 ? endpoint : strcmp(a, "--stream") == 0 ? &c->stream
                        : strcmp(a, "--out") == 0 ? &c->out : strcmp(a, "--from") == 0 ? &c->from
                        : strcmp(a, "--timestamp") == 0 ? &timestamp : NULL;
    if (slot == NULL && strcmp(a, "--duration") != 0) return usage_error("unknown option '%s' (see shardlab capture --help)", a);
    if (v == NULL) return usage_error("%s needs a value", a);
    i++;
    if (slot) {
      *slot = v;
      continue;
    }
    char *end;
    *duration = strtod(v, &end);
    if (*end || end == v || !(*duration > 0) || *duration > 1e7)
      return usage_error("--duration '%s' must be a number of seconds above 0", v);
  }
  if (*endpoint == NULL || c->stream == NULL || c->out == NULL)
    return usage_error("--endpoint, --stream and --out are required (see shardlab capture --help)");
  if (strcmp(c->from, "TRIM_HORIZON") != 0 && strcmp(c->from, "LATEST") != 0 && strcmp(c->from, "AT_TIMESTAMP") != 0)
    return usage_error("--from '%s' must be TRIM_HORIZON, LATEST or AT_TIMESTAMP", c->from);
  if (strcmp(c->from, "LATEST") == 0 && *duration == 0)
    return usage_error("--from LATEST needs --duration: it captures what arrives from now on, for that long");
  if ((strcmp(c->from, "AT_TIMESTAMP") == 0) != (timestamp != NULL))
    return usage_error("--timestamp goes with --from AT_TIMESTAMP, and AT_TIMESTAMP needs it");
  int64_t us;
  if (timestamp && sl_clock_parse_time(timestamp, &us) != 0)
    return usage_error("--timestamp '%s' must be epoch seconds or ISO-8601 (2024-05-01T12:00:00Z)", timestamp);
  if (timestamp) c->timestamp = (double)us / 1e6;
  return SL_EXIT_OK;
}

int sl_cli_capture(int argc, char **argv) {
  capture_t c = {.from = "TRIM_HORIZON"};
  const char *endpoint = NULL;
  double duration = 0;
  int rc = parse(argc, argv, &c, &endpoint, &duration);
  if (rc != SL_EXIT_OK) return rc;
  if ((c.client = capture_client_create(endpoint)) == NULL) {
    fprintf(stderr, "shardlab capture: libcurl cannot be set up\n");
    return SL_EXIT_FAILED;
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int failed = list_shards(&c) != 0 || read_shards(&c, duration) != 0;
  if (!failed && write_records(&c) != 0) failed = 1;
  if (failed)
    fprintf(stderr, "shardlab capture: %s\n", c.why);
  else
    fprintf(stderr, "shardlab capture: %zu records from %zu shards of %s written to %s%s\n", c.count, c.shard_count,
            c.stream, c.out, stop_requested ? " (stopped by a signal)" : "");
  capture_free(&c);
  return failed ? SL_EXIT_FAILED : SL_EXIT_OK;
}
