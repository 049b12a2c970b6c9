/* replay_file.c - a capture file to records (replay.h): `aws kinesis get-records` output (a JSON document with
 * Records[]) or JSONL with one such record per line, each with PartitionKey, Data (base64),
 * ApproximateArrivalTimestamp (epoch seconds or ISO-8601) and an optional ExplicitHashKey (other fields, such as
 * SequenceNumber, are not needed); CSV goes to replay_csv.c. Records must come in time order (a replay keeps the
 * file's order and sorts nothing); the schedule follows from their arrival times and the speed. */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "lua/replay.h"
#include "shardlab/base64.h"
#include "shardlab/clock.h"
#include "shardlab/stream.h"

int sl_replay_add(sl_replay_t *rp, const char *key, size_t key_len, const void *data, size_t data_len,
                  const char *explicit_hash_key, int64_t arrival_us, uint32_t where) {
  sl_replay_record_t *grown = sl_grow_zeroed(rp->records, &rp->cap, rp->count, sizeof *grown, 64);
  if (grown == NULL) return SL_ENOMEM;
  rp->records = grown;
  size_t ehk_len = explicit_hash_key ? strlen(explicit_hash_key) : 0;
  char *block = malloc(key_len + data_len + ehk_len + 3);
  if (block == NULL) return SL_ENOMEM;
  sl_replay_record_t *r = &rp->records[rp->count++];
  memcpy(block, key, key_len);
  block[key_len] = '\0';
  if (data != NULL && data_len > 0)
    memcpy(block + key_len + 1, data, data_len);
  else if (data_len > 0)
    memset(block + key_len + 1, 'x', data_len);
  block[key_len + 1 + data_len] = '\0';
  *r = (sl_replay_record_t){block, key_len, (unsigned char *)block + key_len + 1, data_len, NULL, arrival_us, where};
  if (explicit_hash_key) {
    r->explicit_hash_key = block + key_len + data_len + 2;
    memcpy(r->explicit_hash_key, explicit_hash_key, ehk_len + 1);
  }
  return SL_OK;
}

/* "FILE line N" or "FILE Records[N]". */
static void where_text(const sl_replay_t *rp, uint32_t where, char *out, size_t size) {
  if (rp->format == SL_REPLAY_GET_RECORDS)
    snprintf(out, size, "%s Records[%u]", rp->file, where);
  else
    snprintf(out, size, "%s line %u", rp->file, where);
}

/* A record object of the get-records shape. */
static int add_json_record(sl_replay_t *rp, json_t *rec, uint32_t where, sl_error_t *err) {
  char at[512];
  where_text(rp, where, at, sizeof at);
  if (!json_is_object(rec)) return sl_error_set(err, SL_EINVAL, "%s: a record must be a JSON object", at);
  json_t *key = json_object_get(rec, "PartitionKey"), *data = json_object_get(rec, "Data");
  json_t *ts = json_object_get(rec, "ApproximateArrivalTimestamp"), *ehk = json_object_get(rec, "ExplicitHashKey");
  if (!json_is_string(key))
    return sl_error_set(err, SL_EINVAL, "%s: PartitionKey %s", at, key ? "must be a string" : "is missing");
  sl_error_t why;
  if (sl_partition_key_check(json_string_value(key), json_string_length(key), &why) != SL_OK)
    return sl_error_set(err, SL_EINVAL, "%s: PartitionKey: %s", at, why.message);
  if (!json_is_string(data))
    return sl_error_set(err, SL_EINVAL, "%s: Data %s", at, data ? "must be a base64 string" : "is missing");
  if (ehk != NULL && !json_is_null(ehk) && !json_is_string(ehk))
    return sl_error_set(err, SL_EINVAL, "%s: ExplicitHashKey must be a decimal string", at);
  int64_t us;
  if (json_is_number(ts) && isfinite(json_number_value(ts)))
    us = llround(json_number_value(ts) * 1e6);
  else if (!json_is_string(ts) || sl_clock_parse_time(json_string_value(ts), &us) != 0)
    return sl_error_set(err, SL_EINVAL, "%s: ApproximateArrivalTimestamp %s", at,
                        ts ? "must be epoch seconds (1714564800.123) or ISO-8601 (2024-05-01T12:00:00.123000+00:00)"
                           : "is missing");
  size_t len = json_string_length(data), n;
  unsigned char *raw = malloc(len / 4 * 3 + 1);
  if (raw == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  int rc = sl_base64_decode(json_string_value(data), len, "Data", raw, &n, &why);
  if (rc != SL_OK) rc = sl_error_set(err, SL_EINVAL, "%s: %s", at, why.message);
  if (rc == SL_OK && sl_replay_add(rp, json_string_value(key), json_string_length(key), raw, n,
                                   json_is_string(ehk) ? json_string_value(ehk) : NULL, us, where) != SL_OK)
    rc = sl_error_set(err, SL_ENOMEM, "out of memory");
  free(raw);
  return rc;
}

static int load_get_records(sl_replay_t *rp, sl_error_t *err) {
  json_error_t je;
  json_t *doc = json_load_file(rp->path, JSON_DECODE_ANY, &je);
  if (doc == NULL && je.line < 1) return sl_error_set(err, SL_EINVAL, "%s cannot be read: %s", rp->file, je.text);
  if (doc == NULL) return sl_error_set(err, SL_EINVAL, "%s line %d: %s", rp->file, je.line, je.text);
  json_t *records = json_object_get(doc, "Records");
  int rc = SL_OK;
  if (!json_is_array(records))
    rc = sl_error_set(err, SL_EINVAL, "%s: Records %s: format \"get-records\" is the document `aws kinesis "
                      "get-records` prints, {\"Records\": [...]} (one record a line is format \"jsonl\")", rp->file,
                      json_is_object(doc) && records ? "must be a list" : "is missing");
  for (size_t i = 0; rc == SL_OK && i < json_array_size(records); i++)
    rc = add_json_record(rp, json_array_get(records, i), (uint32_t)i + 1, err);
  json_decref(doc);
  return rc;
}

static int load_jsonl(sl_replay_t *rp, sl_error_t *err) {
  FILE *f = fopen(rp->path, "r");
  if (f == NULL) return sl_error_set(err, SL_EINVAL, "%s cannot be opened: %s", rp->file, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = SL_OK;
  for (uint32_t lineno = 1; rc == SL_OK && (n = getline(&line, &cap, f)) >= 0; lineno++) {
    size_t i = 0;
    while (i < (size_t)n && strchr(" \t\r\n", line[i])) i++;
    if (i == (size_t)n) continue; /* a blank line */
    json_error_t je;
    json_t *rec = json_loadb(line, (size_t)n, 0, &je);
    if (rec == NULL)
      rc = sl_error_set(err, SL_EINVAL, "%s line %u: %s (format \"jsonl\": one record object a line)", rp->file, lineno,
                        je.text);
    else
      rc = add_json_record(rp, rec, lineno, err);
    json_decref(rec);
  }
  free(line);
  fclose(f);
  return rc;
}

/* Refuses a record that arrived before the one before it; fills the schedule. */
static int make_schedule(sl_replay_t *rp, sl_error_t *err) {
  if (rp->count == 0) return sl_error_set(err, SL_EINVAL, "%s holds no records: there is nothing to replay", rp->file);
  for (size_t i = 1; i < rp->count; i++)
    if (rp->records[i].arrival_us < rp->records[i - 1].arrival_us) {
      char at[512], before[512];
      where_text(rp, rp->records[i].where, at, sizeof at);
      where_text(rp, rp->records[i - 1].where, before, sizeof before);
      return sl_error_set(err, SL_EINVAL, "%s: %s arrived %.6f s before the record before it (%s): a replay keeps "
                          "the file's order and sorts nothing; sort the records by arrival time (shardlab capture "
                          "writes them so)", at, rp->format == SL_REPLAY_CSV ? "timestamp" : "ApproximateArrivalTimestamp",
                          (double)(rp->records[i - 1].arrival_us - rp->records[i].arrival_us) / 1e6, before);
    }
  if ((rp->schedule = malloc(rp->count * sizeof *rp->schedule)) == NULL)
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  int64_t first = rp->records[0].arrival_us;
  for (size_t i = 0; i < rp->count; i++)
    rp->schedule[i] = llround((double)(rp->records[i].arrival_us - first) / rp->speed);
  return SL_OK;
}

int sl_replay_load(sl_replay_t *rp, sl_error_t *err) {
  int rc = rp->format == SL_REPLAY_GET_RECORDS ? load_get_records(rp, err)
           : rp->format == SL_REPLAY_JSONL     ? load_jsonl(rp, err)
                                               : sl_replay_load_csv(rp, err);
  return rc == SL_OK ? make_schedule(rp, err) : rc;
}

int64_t sl_replay_span_us(const sl_replay_t *rp) { return rp->count ? rp->schedule[rp->count - 1] : 0; }

void sl_replay_free(sl_replay_t *rp) {
  if (rp == NULL) return;
  for (size_t i = 0; i < rp->count; i++) free(rp->records[i].key);
  free(rp->records);
  free(rp->schedule);
  free(rp->file);
  free(rp->path);
  free(rp);
}
