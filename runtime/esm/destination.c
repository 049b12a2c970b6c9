/* destination.c - the on-failure destination (destination.h): AWS's record of a discarded batch, built from
 * the failed records' sequence numbers and arrival times, written as a JSON line or put into a stream. */
#include "shardlab/destination.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/clock.h"
#include "shardlab/seqnum.h"

struct sl_destination_s {
  FILE *file;               /* the JSONL file, or NULL */
  char *file_name;          /* owned: its path, for messages */
  sl_stream_t *stream;      /* the stream, or NULL */
  char *function_arn, *stream_arn; /* owned copies */
  int64_t start_ms;
  uint64_t seed;
  uint64_t sent;            /* records sent, for their request ids */
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

int sl_destination_open(const sl_destination_config_t *c, sl_destination_t **out, sl_error_t *err) {
  *out = NULL;
  sl_destination_t *d = calloc(1, sizeof *d);
  if (d == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  d->start_ms = c->start_ms;
  d->seed = c->seed;
  d->file_name = dup_or_empty(c->file);
  d->function_arn = dup_or_empty(c->function_arn);
  d->stream_arn = dup_or_empty(c->stream_arn);
  int rc = d->file_name && d->function_arn && d->stream_arn ? SL_OK : sl_error_set(err, SL_ENOMEM, "out of memory");
  if (rc == SL_OK && c->file != NULL && (d->file = fopen(c->file, "w")) == NULL)
    rc = sl_error_set(err, SL_EIO, "mapping.on_failure: cannot open %s for writing", c->file);
  if (rc == SL_OK && c->stream != NULL) rc = make_stream(d, c, err);
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
  request_id(d->seed, ++d->sent, id);
  return json_pack(
      "{s:{s:s,s:s,s:s,s:i},s:{s:i,s:s,s:s},s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:I,s:s}}", "requestContext",
      "requestId", id, "functionArn", d->function_arn, "condition",
      f->condition == SL_FAILURE_RECORD_AGE_EXCEEDED ? "RecordAgeExceeded" : "RetryAttemptsExhausted",
      "approximateInvokeCount", (int)f->invoke_count, "responseContext", "statusCode", 200, "executedVersion",
      "$LATEST", "functionError", "Unhandled", "version", "1.0", "timestamp",
      sl_clock_iso8601_ms(d->start_ms + f->at_us / 1000, now), "KinesisBatchInfo", "shardId", f->shard->id,
      "startSequenceNumber", first_seq, "endSequenceNumber", last_seq, "approximateArrivalOfFirstRecord",
      sl_clock_iso8601_ms(first->arrival_ms, first_at), "approximateArrivalOfLastRecord",
      sl_clock_iso8601_ms(last->arrival_ms, last_at), "batchSize", (json_int_t)f->count, "streamArn", d->stream_arn);
}

int sl_destination_send(sl_destination_t *d, const sl_failure_t *f, sl_error_t *err) {
  json_t *record = failure_record(d, f);
  char *text = record != NULL ? json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  int rc = SL_OK;
  if (text == NULL) {
    rc = sl_error_set(err, SL_ENOMEM, "out of memory writing a failure record");
  } else if (d->file != NULL) {
    if (fprintf(d->file, "%s\n", text) < 0)
      rc = sl_error_set(err, SL_EIO, "cannot write to the on_failure destination %s", d->file_name);
  } else if (d->stream != NULL) {
    sl_error_t put_err;
    if (sl_stream_put(d->stream, d->start_ms + f->at_us / 1000, f->shard->id, strlen(f->shard->id), NULL, text,
                      strlen(text), NULL, &put_err) != SL_OK)
      rc = sl_error_set(err, put_err.code, "on_failure stream %s: %s", sl_stream_name(d->stream), put_err.message);
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
  free(d);
  return rc;
}
