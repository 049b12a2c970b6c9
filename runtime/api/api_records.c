/* api_records.c - the record operations: PutRecord, PutRecords (per-entry results), GetShardIterator and
 * GetRecords (Limit, the 10 MiB response cap, MillisBehindLatest, ChildShards and no NextShardIterator at the
 * end of a closed shard). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_iterator.h"
#include "shardlab/base64.h"

#define MAX_DATA (1024u * 1024)        /* API PutRecord: the data blob is at most 1 MiB */
#define MAX_RESPONSE (10u * 1024 * 1024) /* API GetRecords: "up to 10 MiB of data" per call */

/* Whether the request has its response already. The status says so, not the body: an error response that
 * could not be built for lack of memory is a bare 500 with a NULL body (respond() in api.c). */
static int answered(const api_request_t *r) { return r->out->status != 0; }

/* One record to put, read from a JSON object (the request, or an entry of PutRecords). member prefixes the
 * field names in validation messages ("records.3.member."). Returns the decoded data (malloc'd) or NULL. */
static unsigned char *record_fields(api_request_t *r, json_t *obj, const char *member, size_t max_data,
                                    const char **key, const char **ehk, size_t *data_len) {
  json_t *saved = r->body;
  r->body = obj;
  char m_key[96], m_data[96], m_ehk[96];
  snprintf(m_key, sizeof m_key, "%spartitionKey", member);
  snprintf(m_data, sizeof m_data, "%sdata", member);
  snprintf(m_ehk, sizeof m_ehk, "%sexplicitHashKey", member);
  *key = sl__api_string(r, "PartitionKey", m_key, 1, 1, 256);
  *ehk = sl__api_string(r, "ExplicitHashKey", m_ehk, 0, 1, 128);
  const char *data = sl__api_string(r, "Data", m_data, 1, 0, SL_BASE64_ENCODED_LEN(max_data) + 4);
  r->body = saved;
  if (data == NULL) return NULL;
  size_t len = strlen(data);
  unsigned char *out = malloc(len / 4 * 3 + 1);
  if (out == NULL) {
    sl__api_fail(r, 500, "InternalFailure", "out of memory");
    return NULL;
  }
  sl_error_t err;
  if (sl_base64_decode(data, len, m_data, out, data_len, &err) != SL_OK) {
    free(out);
    if (!answered(r))
      sl__api_fail(r, 400, "SerializationException", "%s is not valid base64", m_data);
    return NULL;
  }
  if (*data_len > max_data) {
    free(out);
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at '%s' failed to satisfy constraint: "
             "Member must have length less than or equal to %zu", m_data, max_data);
    return NULL;
  }
  return out;
}

/* The largest data blob the named stream takes (UpdateMaxRecordSize), 1 MiB when it names none. */
static size_t max_data(api_request_t *r) {
  json_t *name = json_object_get(r->body, "StreamName"), *arn = json_object_get(r->body, "StreamARN");
  api_arn_t parsed;
  const char *which = json_is_string(name) ? json_string_value(name)
                      : json_is_string(arn) && sl__api_arn_parse(json_string_value(arn), &parsed) ? parsed.stream
                                                                                              : NULL;
  api_stream_t *st = which ? sl__api_find(r->api, which) : NULL;
  return st ? (size_t)sl_stream_config(st->stream)->max_record_size_kib * 1024 : MAX_DATA;
}

/* The explicit hash key a record is put with: the producer's, or the next shard's for AUTO distribution. */
static const char *hash_key(api_stream_t *st, const char *ehk, char *buf) {
  const char *chosen = sl__api_auto_hash_key(st, buf);
  return chosen ? chosen : ehk;
}

void sl__api_put_record(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  const char *key, *ehk;
  size_t len = 0;
  unsigned char *data = record_fields(r, r->body, "", max_data(r), &key, &ehk, &len);
  if (answered(r) || sl__api_validation_failed(r)) {
    free(data);
    return;
  }
  api_stream_t *st = sl__api_resolve(r, &ref, API_DATA);
  if (st == NULL) {
    free(data);
    return;
  }
  sl_put_result_t res;
  sl_error_t err;
  char chosen[SL_HASHKEY_DECIMAL_SIZE];
  int rc = sl_stream_put(st->stream, r->now_ms, key, strlen(key), hash_key(st, ehk, chosen), data, len, &res, &err);
  free(data);
  if (rc != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  char seq[SL_SEQNUM_DECIMAL_SIZE];
  sl_seqnum_format(&res.seq, seq);
  sl__api_ok(r, json_pack("{s:s,s:s,s:s}", "ShardId", sl_stream_shard(st->stream, res.shard_index)->id, "SequenceNumber",
                      seq, "EncryptionType", sl__api_encryption(st)));
}

void sl__api_put_records(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  json_t *records = json_object_get(r->body, "Records");
  if (!json_is_array(records) || json_array_size(records) < 1 || json_array_size(records) > 500) {
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value at 'records' failed to satisfy "
             "constraint: Member must have length between 1 and 500");
    return;
  }
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_DATA);
  if (st == NULL) return;
  size_t n = json_array_size(records), max = (size_t)sl_stream_config(st->stream)->max_record_size_kib * 1024;
  /* Every entry is checked before any is put: a malformed entry fails the whole request, as AWS does. */
  unsigned char **datas = calloc(n, sizeof *datas);
  size_t *lens = calloc(n, sizeof *lens);
  const char **keys = calloc(n, sizeof *keys), **ehks = calloc(n, sizeof *ehks);
  json_t *results = json_array();
  if (!datas || !lens || !keys || !ehks || !results) {
    /* Out of memory: answer InternalFailure, put nothing, and stop here rather than test r->out->body below. When
     * the error body cannot be built either (a second allocation failure), sl__api_fail leaves a bare 500 with a
     * NULL body, and the put loop would read keys[i] from a NULL array. */
    sl__api_fail(r, 500, "InternalFailure", "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n && !answered(r) && r->error_count == 0; i++) {
    char member[48];
    snprintf(member, sizeof member, "records.%zu.member.", i + 1);
    json_t *entry = json_array_get(records, i);
    if (!json_is_object(entry)) {
      sl__api_fail(r, 400, "SerializationException", "%s is not an object", member);
      break;
    }
    datas[i] = record_fields(r, entry, member, max, &keys[i], &ehks[i], &lens[i]);
  }
  /* The request's 5 MiB, partition keys included, refused whole with the error AWS gives (InvalidArgumentException
   * "Records size exceeds 5 MB limit", as clients report it), nothing of it put. */
  size_t request = 0;
  for (size_t i = 0; i < n && !answered(r) && r->error_count == 0; i++) request += lens[i] + strlen(keys[i]);
  if (!answered(r) && r->error_count == 0 && request > SL_API_PUT_RECORDS_MAX)
    sl__api_fail(r, 400, "InvalidArgumentException", "Records size exceeds 5 MB limit");
  /* answered(), not a NULL body: an entry refused with an error body that could not be built has datas[i] NULL. */
  if (!answered(r) && !sl__api_validation_failed(r)) {
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
      sl_put_result_t res;
      sl_error_t err;
      char chosen[SL_HASHKEY_DECIMAL_SIZE];
      if (sl_stream_put(st->stream, r->now_ms, keys[i], strlen(keys[i]), hash_key(st, ehks[i], chosen), datas[i], lens[i],
                        &res, &err) != SL_OK) {
        const char *type = sl_error_name(err.code);
        int internal = type == NULL || err.code == SL_ENOMEM || err.code == SL_EIO;
        json_array_append_new(results, json_pack("{s:s,s:s}", "ErrorCode", internal ? "InternalFailure" : type,
                                                 "ErrorMessage", err.message));
        failed++;
        continue;
      }
      char seq[SL_SEQNUM_DECIMAL_SIZE];
      sl_seqnum_format(&res.seq, seq);
      json_array_append_new(results, json_pack("{s:s,s:s}", "SequenceNumber", seq, "ShardId",
                                               sl_stream_shard(st->stream, res.shard_index)->id));
    }
    json_t *body = json_pack("{s:i,s:O,s:s}", "FailedRecordCount", failed, "Records", results, "EncryptionType",
                             sl__api_encryption(st));
    if (body == NULL) /* the records are in, but an empty 200 would say nothing failed: the client must retry */
      sl__api_fail(r, 500, "InternalFailure", "out of memory");
    else
      sl__api_ok(r, body);
  }
done:
  json_decref(results);
  for (size_t i = 0; datas && i < n; i++) free(datas[i]);
  free(datas);
  free(lens);
  free(keys);
  free(ehks);
}

static const sl_shard_t *find_shard(api_request_t *r, api_stream_t *st, const char *id, int creating) {
  const sl_shard_t *sh = creating ? NULL : sl_stream_find_shard(st->stream, id);
  if (sh == NULL)
    sl__api_fail(r, 400, "ResourceNotFoundException", "Shard %s in stream %s under account %s does not exist", id,
             sl_stream_name(st->stream), r->api->account_id);
  return sh;
}

void sl__api_get_shard_iterator(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  const char *shard_id = sl__api_string(r, "ShardId", "shardId", 1, 1, 128);
  const char *type_text = sl__api_string(r, "ShardIteratorType", "shardIteratorType", 1, 1, 64);
  const char *seq = sl__api_string(r, "StartingSequenceNumber", "startingSequenceNumber", 0, 1, 128);
  sl_iterator_type_t type = SL_ITER_TRIM_HORIZON;
  if (type_text != NULL && sl_iterator_type_parse(type_text, &type, NULL) != SL_OK) {
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value '%s' at 'shardIteratorType' failed "
             "to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, "
             "AT_TIMESTAMP, TRIM_HORIZON, LATEST]", type_text);
    return;
  }
  json_t *ts = json_object_get(r->body, "Timestamp");
  if (sl__api_validation_failed(r)) return;
  if ((type == SL_ITER_AT_SEQUENCE_NUMBER || type == SL_ITER_AFTER_SEQUENCE_NUMBER) && seq == NULL) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Must specify either StartingSequenceNumber for %s", type_text);
    return;
  }
  if (type == SL_ITER_AT_TIMESTAMP && !json_is_number(ts)) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Must specify timestampInMillis parameter for iterator of type "
             "AT_TIMESTAMP. Current request has no timestamp parameter.");
    return;
  }
  api_stream_t *st = sl__api_resolve(r, &ref, API_ANY);
  api_status_t status = st ? sl__api_status(st, r->now_ms) : API_ACTIVE_STATUS;
  if (status == API_DELETING) { /* gone for reading, and a CREATING stream has no shards yet (kinesalite) */
    sl__api_resolve(r, &ref, API_DATA);
    return;
  }
  const sl_shard_t *sh = st ? find_shard(r, st, shard_id, status == API_CREATING) : NULL;
  if (sh == NULL) return;
  sl_shard_iterator_t it;
  sl_error_t err;
  int64_t ts_ms = ts ? (int64_t)(json_number_value(ts) * 1000.0) : 0;
  if (sl_shard_iterator_init(&it, sh, type, seq, ts_ms, &err) != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  api_iterator_t token = {{0}, sh->index, it.next, r->now_ms};
  snprintf(token.stream, sizeof token.stream, "%s", sl_stream_name(st->stream));
  sl__api_ok(r, json_pack("{s:o}", "ShardIterator", sl__api_iterator_token(r->api, &token)));
}

json_t *sl__api_child_shards(const sl_stream_t *stream, const sl_shard_t *sh) {
  json_t *children = json_array();
  for (int c = 0; c < 2; c++) {
    if (sh->children[c] < 0 || (c == 1 && sh->children[1] == sh->children[0])) continue;
    const sl_shard_t *child = sl_stream_shard(stream, (uint32_t)sh->children[c]);
    char a[SL_HASHKEY_DECIMAL_SIZE], b[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(child->start, a);
    sl_hashkey_format(child->end, b);
    json_t *parents = json_array();
    json_array_append_new(parents, json_sprintf("shardId-%012d", child->parent));
    if (child->adjacent_parent >= 0) json_array_append_new(parents, json_sprintf("shardId-%012d", child->adjacent_parent));
    json_array_append_new(children, json_pack("{s:s,s:o,s:{s:s,s:s}}", "ShardId", child->id, "ParentShards", parents,
                                              "HashKeyRange", "StartingHashKey", a, "EndingHashKey", b));
  }
  return children;
}

json_t *sl__api_record_json(const sl_shard_t *sh, const sl_record_t *rec) {
  char seq[SL_SEQNUM_DECIMAL_SIZE];
  sl_seqnum_t s;
  sl_shard_seqnum(sh, rec->counter, rec->arrival_ms, &s);
  sl_seqnum_format(&s, seq);
  char *data = malloc(SL_BASE64_ENCODED_LEN(rec->data_len) + 1);
  if (data == NULL) return NULL;
  sl_base64_encode(SL_RECORD_DATA(rec), rec->data_len, data);
  json_t *one = json_pack("{s:s,s:f,s:s,s:s%}", "SequenceNumber", seq, "ApproximateArrivalTimestamp",
                          (double)rec->arrival_ms / 1000.0, "Data", data, "PartitionKey", SL_RECORD_KEY(rec), rec->key_len);
  free(data);
  return one;
}

void sl__api_get_records(api_request_t *r) {
  const char *token = sl__api_string(r, "ShardIterator", "shardIterator", 1, 1, 512);
  long long limit = 10000;
  sl__api_integer(r, "Limit", "limit", 0, 1, 10000, &limit);
  if (sl__api_validation_failed(r)) return;
  api_iterator_t at;
  if (sl__api_iterator_parse(r->api, token, &at) != SL_OK) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid ShardIterator.");
    return;
  }
  if (r->now_ms - at.issued_ms > r->api->config.iterator_ttl_ms) { /* the message AWS sends, as kinesalite records */
    sl__api_fail(r, 400, "ExpiredIteratorException", "Iterator expired. The iterator was created at time %lld while right "
             "now it is %lld which is further in the future than the tolerated delay of %lld milliseconds.",
             (long long)at.issued_ms, (long long)r->now_ms, (long long)r->api->config.iterator_ttl_ms);
    return;
  }
  api_ref_t ref = {at.stream, NULL};
  api_stream_t *st = sl__api_resolve(r, &ref, API_DATA);
  if (st == NULL) return;
  const sl_shard_t *sh = sl_stream_shard(st->stream, at.shard);
  if (sh == NULL) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid ShardIterator.");
    return;
  }
  if (!sl_stream_read_take(st->stream, at.shard, r->now_ms)) {
    /* Over the shard's 5 calls or 2 MiB a second (KDG quotas), with the message AWS's clients report. */
    sl__api_fail(r, 400, "ProvisionedThroughputExceededException", "Rate exceeded for Shard - %s/%s/%s",
                 r->api->account_id, at.stream, sh->id);
    return;
  }
  sl_shard_iterator_t it = {sh, at.next};
  const sl_record_t **recs = malloc((size_t)limit * sizeof *recs);
  if (recs == NULL) {
    sl__api_fail(r, 500, "InternalFailure", "out of memory");
    return;
  }
  int n = sl_shard_iterator_read(&it, recs, (size_t)limit, NULL);
  json_t *records = json_array();
  size_t bytes = 0;
  for (int i = 0; i < n; i++) {
    const sl_record_t *rec = recs[i];
    if (i > 0 && bytes + rec->data_len + rec->key_len > MAX_RESPONSE) { /* the rest waits for the next call */
      it.next = rec->counter;
      break;
    }
    bytes += rec->data_len + rec->key_len;
    json_t *one = sl__api_record_json(sh, rec);
    if (one == NULL) break;
    json_array_append_new(records, one);
  }
  free(recs);
  sl_stream_read_charge(st->stream, at.shard, bytes);
  uint64_t end = sl_shard_log_next(sh->log);
  int64_t behind = 0;
  if (it.next < end) behind = r->now_ms - sl_shard_log_get(sh->log, it.next)->arrival_ms;
  json_t *body = json_pack("{s:o,s:I}", "Records", records, "MillisBehindLatest", (json_int_t)(behind > 0 ? behind : 0));
  if (!sh->open && it.next >= sh->end_counter) { /* no next iterator: the children to read instead */
    json_object_set_new(body, "ChildShards", sl__api_child_shards(st->stream, sh));
  } else {
    api_iterator_t next = at;
    next.next = it.next;
    next.issued_ms = r->now_ms;
    json_object_set_new(body, "NextShardIterator", sl__api_iterator_token(r->api, &next));
  }
  sl__api_ok(r, body);
}
