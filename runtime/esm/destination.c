/* destination.c - the on-failure destination (destination.h): AWS's record of a discarded batch, built from
 * the failed records' sequence numbers and arrival times, written as a JSON line, put into a stream, or
 * written with the batch's event as an object of a folder standing for an S3 bucket. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include "shardlab/destination.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shardlab/clock.h"
#include "shardlab/seqnum.h"

struct sl_destination_s {
  FILE *file;               /* the JSONL file, or NULL */
  char *file_name;          /* owned: its path, for messages */
  sl_stream_t *stream;      /* the stream, or NULL */
  char *function_arn, *stream_arn; /* owned copies */
  char *s3_dir, *region, *role_arn; /* owned copies; s3_dir NULL: no S3 destination */
  char esm_uuid[40];        /* S3 keys: the mapping's UUID */
  int64_t start_ms;
  uint64_t seed;
  uint64_t sent;            /* records sent, for generated ids */
};

static char *dup_or_empty(const char *s) {
  s = s != NULL ? s : "";
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

static int make_stream(sl_destination_t *d, const sl_destination_config_t *c, sl_error_t *err) {
  sl_stream_config_t sc;
  sl_stream_config_init(&sc);
  sc.name = c->stream;
  sc.shard_count = 1;
  sc.write_limits = 0; /* nothing may refuse a failure record */
  sc.created_ms = c->start_ms;
  sl_error_t serr;
  if (sl_stream_create(&sc, &d->stream, &serr) != SL_OK)
    return sl_error_set(err, serr.code, "mapping.on_failure.stream: %s", serr.message);
  return SL_OK;
}

/* A version 4 UUID from two 64-bit numbers. */
static void format_uuid(uint64_t a, uint64_t b, char out[40]) {
  snprintf(out, 40, "%08llx-%04llx-4%03llx-%04llx-%012llx", (unsigned long long)(a >> 32),
           (unsigned long long)(a >> 16 & 0xFFFF), (unsigned long long)(a & 0xFFF),
           (unsigned long long)(0x8000 | (b >> 48 & 0x3FFF)), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

/* splitmix64: spreads x over 64 bits. */
static uint64_t mix(uint64_t x) {
  x += UINT64_C(0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
  return x ^ (x >> 31);
}

/* Creates path and the folders above it (mkdir -p); path is changed and restored. */
static int make_dirs(char *path) {
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int bad = mkdir(path, 0755) != 0 && errno != EEXIST;
    *p = '/';
    if (bad) return -1;
  }
  return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* S3: the bucket's folder exists, and the mapping has a UUID (FNV-1a of its name, with the seed). */
static int open_s3(sl_destination_t *d, const sl_destination_config_t *c, sl_error_t *err) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (const char *p = c->mapping_name != NULL ? c->mapping_name : ""; *p; p++)
    h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
  format_uuid(mix(h ^ c->seed), mix(h + c->seed), d->esm_uuid);
  if (make_dirs(d->s3_dir) != 0)
    return sl_error_set(err, SL_EIO, "mapping.on_failure.s3: cannot create %s: %s", d->s3_dir, strerror(errno));
  return SL_OK;
}

int sl_destination_open(const sl_destination_config_t *c, sl_destination_t **out, sl_error_t *err) {
  *out = NULL;
  sl_destination_t *d = calloc(1, sizeof *d);
  if (d == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  d->start_ms = c->start_ms;
  d->seed = c->seed;
  d->file_name = dup_or_empty(c->file);
  d->function_arn = dup_or_empty(c->function_arn);
  d->stream_arn = dup_or_empty(c->stream_arn);
  d->region = dup_or_empty(c->region);
  d->role_arn = dup_or_empty(c->role_arn);
  d->s3_dir = c->s3_dir != NULL ? dup_or_empty(c->s3_dir) : NULL;
  int rc = d->file_name && d->function_arn && d->stream_arn && d->region && d->role_arn &&
                   (d->s3_dir != NULL || c->s3_dir == NULL)
               ? SL_OK
               : sl_error_set(err, SL_ENOMEM, "out of memory");
  if (rc == SL_OK && c->file != NULL && (d->file = fopen(c->file, "w")) == NULL)
    rc = sl_error_set(err, SL_EIO, "mapping.on_failure: cannot open %s for writing", c->file);
  if (rc == SL_OK && c->stream != NULL) rc = make_stream(d, c, err);
  if (rc == SL_OK && c->s3_dir != NULL) rc = open_s3(d, c, err);
  if (rc != SL_OK) {
    sl_destination_close(d, NULL);
    return rc;
  }
  *out = d;
  return SL_OK;
}

/* A request id in the UUID form Lambda uses, the same for the same run and seed. */
static void request_id(uint64_t seed, uint64_t n, char out[40]) {
  uint64_t x = seed * UINT64_C(0x9E3779B97F4A7C15) + n * UINT64_C(0xD1B54A32D192ED03);
  snprintf(out, 40, "%08llx-%04llx-4%03llx-a%03llx-%012llx", (unsigned long long)(x >> 32),
           (unsigned long long)(x >> 16 & 0xFFFF), (unsigned long long)(x & 0xFFF), (unsigned long long)(n & 0xFFF),
           (unsigned long long)(n * 2654435761u & 0xFFFFFFFFFFFFull));
}

static void format_seq(const sl_shard_t *shard, const sl_record_t *rec, char out[SL_SEQNUM_DECIMAL_SIZE]) {
  sl_seqnum_t seq;
  sl_shard_seqnum(shard, rec->counter, rec->arrival_ms, &seq);
  sl_seqnum_format(&seq, out);
}

/* AWS's record of a discarded batch (the field order AWS's sample has). */
static json_t *failure_record(sl_destination_t *d, const sl_failure_t *f) {
  char first_seq[SL_SEQNUM_DECIMAL_SIZE], last_seq[SL_SEQNUM_DECIMAL_SIZE], id[40];
  char first_at[SL_ISO8601_SIZE], last_at[SL_ISO8601_SIZE], now[SL_ISO8601_SIZE];
  const sl_record_t *first = f->records[0], *last = f->records[f->count - 1];
  format_seq(f->shard, first, first_seq);
  format_seq(f->shard, last, last_seq);
  request_id(d->seed, ++d->sent, id); /* for a batch never invoked */
  return json_pack(
      "{s:{s:s,s:s,s:s,s:i},s:{s:i,s:s,s:s},s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:I,s:s}}", "requestContext",
      "requestId", f->request_id != NULL ? f->request_id : id, "functionArn", d->function_arn, "condition",
      f->condition == SL_FAILURE_RECORD_AGE_EXCEEDED ? "RecordAgeExceeded" : "RetryAttemptsExhausted",
      "approximateInvokeCount", (int)f->invoke_count, "responseContext", "statusCode", 200, "executedVersion",
      "$LATEST", "functionError", "Unhandled", "version", "1.0", "timestamp",
      sl_clock_iso8601_ms(d->start_ms + f->at_us / 1000, now), "KinesisBatchInfo", "shardId", f->shard->id,
      "startSequenceNumber", first_seq, "endSequenceNumber", last_seq, "approximateArrivalOfFirstRecord",
      sl_clock_iso8601_ms(first->arrival_ms, first_at), "approximateArrivalOfLastRecord",
      sl_clock_iso8601_ms(last->arrival_ms, last_at), "batchSize", (json_int_t)f->count, "streamArn", d->stream_arn);
}

/* S3: the batch's event as the handler got it, added as `payload`, an escaped JSON string (AWS's sample). */
static int add_payload(sl_destination_t *d, const sl_failure_t *f, json_t *record) {
  sl_event_source_t src = {f->shard->id, d->region, d->stream_arn, d->role_arn};
  char *event = sl_event_json(&src, f->shard, f->records, f->count);
  int rc = event != NULL ? json_object_set_new(record, "payload", json_string(event)) : -1;
  free(event);
  return rc;
}

/* S3: one object per failed batch, at aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<UUID>
 * under the bucket's folder, the time being the record's timestamp (UTC). */
static int write_object(sl_destination_t *d, const sl_failure_t *f, const char *text, sl_error_t *err) {
  char t[SL_ISO8601_SIZE], uuid[40];
  sl_clock_iso8601_ms(d->start_ms + f->at_us / 1000, t); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
  format_uuid(mix(d->seed ^ mix(d->sent)), mix(d->sent * 2 + 1) ^ d->seed, uuid);
  size_t n = strlen(d->s3_dir) + strlen(d->esm_uuid) + strlen(f->shard->id) + 128;
  char *path = malloc(n);
  if (path == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory writing a failure record");
  int len = snprintf(path, n, "%s/aws/lambda/%s/%s/%.4s/%.2s/%.2s", d->s3_dir, d->esm_uuid, f->shard->id, t,
                     t + 5, t + 8);
  int rc = make_dirs(path) == 0 ? SL_OK : SL_EIO;
  snprintf(path + len, n - (size_t)len, "/%.10sT%.2s.%.2s.%.2s-%s", t, t + 11, t + 14, t + 17, uuid);
  FILE *o = rc == SL_OK ? fopen(path, "w") : NULL;
  if (o == NULL || fprintf(o, "%s\n", text) < 0) rc = SL_EIO;
  if (o != NULL && fclose(o) != 0) rc = SL_EIO;
  if (rc != SL_OK) rc = sl_error_set(err, SL_EIO, "cannot write the on_failure object %s: %s", path, strerror(errno));
  free(path);
  return rc;
}

int sl_destination_send(sl_destination_t *d, const sl_failure_t *f, sl_error_t *err) {
  json_t *record = failure_record(d, f);
  if (record != NULL && d->s3_dir != NULL && add_payload(d, f, record) != 0) {
    json_decref(record);
    record = NULL;
  }
  char *text = record != NULL ? json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  int rc = SL_OK;
  if (text == NULL) {
    rc = sl_error_set(err, SL_ENOMEM, "out of memory writing a failure record");
  } else if (d->file != NULL) {
    /* To the kernel at once (a failure is rare): the checkpoint passes the batch after this, so a crash of the
     * process must not find the record still in stdio's buffer. */
    if (fprintf(d->file, "%s\n", text) < 0 || fflush(d->file) != 0)
      rc = sl_error_set(err, SL_EIO, "cannot write to the on_failure destination %s", d->file_name);
  } else if (d->stream != NULL) {
    sl_error_t put_err;
    if (sl_stream_put(d->stream, d->start_ms + f->at_us / 1000, f->shard->id, strlen(f->shard->id), NULL, text,
                      strlen(text), NULL, &put_err) != SL_OK)
      rc = sl_error_set(err, put_err.code, "on_failure stream %s: %s", sl_stream_name(d->stream), put_err.message);
  } else if (d->s3_dir != NULL) {
    rc = write_object(d, f, text, err);
  }
  free(text);
  json_decref(record);
  return rc;
}

const sl_stream_t *sl_destination_stream(const sl_destination_t *d) { return d != NULL ? d->stream : NULL; }

int sl_destination_close(sl_destination_t *d, sl_error_t *err) {
  if (d == NULL) return SL_OK;
  int rc = SL_OK;
  if (d->file != NULL && fclose(d->file) != 0)
    rc = sl_error_set(err, SL_EIO, "mapping.on_failure: cannot write %s", d->file_name);
  sl_stream_destroy(d->stream);
  free(d->file_name);
  free(d->function_arn);
  free(d->stream_arn);
  free(d->s3_dir);
  free(d->region);
  free(d->role_arn);
  free(d);
  return rc;
}
