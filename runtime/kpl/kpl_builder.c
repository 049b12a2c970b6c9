/* kpl_builder.c - packing user records into one KPL aggregated record (kpl.h): the running exact size against
 * AggregationMaxSize and AggregationMaxCount, the explicit hash key the KPL routes the aggregate by, and the
 * packing itself through protobuf-c, with OpenSSL's MD5 as the trailer.
 *
 * The KPL (awslabs/amazon-kinesis-producer, aws/kinesis/core/): KinesisRecord::after_add stores a record's keys
 * once in their tables; Reducer::flush sends the container once its accurate_size() (kFixedOverhead + the
 * message's ByteSize()) would pass AggregationMaxSize, or its count AggregationMaxCount; serialize() writes
 * kMagic, the message and aws::utils::md5 of the message. Reducer::add flushes once estimated_size() (data + 3,
 * key + 3, 2 per index) reaches the limit, an estimate never above the exact size, and flush() then takes
 * records off the end until the exact size is within it: a KPL aggregate is the longest run of records within
 * the limits, which is where sl_kpl_builder_fits says stop. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "kpl/kpl_internal.h"
#include "kpl_aggregate.pb-c.h"
#include "utf8.h"

/* One record added: its key indexes and where its data sits in the builder's buffer. */
typedef struct entry_s {
  uint64_t pk_index;
  uint64_t ehk_index;
  int has_ehk;
  size_t offset, len;
} entry_t;

struct sl_kpl_builder_s {
  sl_kpl_options_t options;
  sl__kpl_keys_t pks, ehks;
  entry_t *entries;
  size_t count, entries_cap;
  unsigned char *buf; /* the records' data, one after another */
  size_t buf_len, buf_cap;
  size_t body;             /* bytes of the protobuf message as it stands */
  sl_hashkey_t first_hash; /* the first record's hash key (explicit, or MD5 of its partition key) */
};

int sl_kpl_builder_new(const sl_kpl_options_t *options, sl_kpl_builder_t **out, sl_error_t *err) {
  sl_kpl_options_t o = options != NULL ? *options : (sl_kpl_options_t){0};
  if (o.max_size == 0) o.max_size = SL_KPL_DEFAULT_MAX_SIZE;
  if (o.max_count == 0) o.max_count = SL_KPL_DEFAULT_MAX_COUNT;
  if (o.max_size < SL_KPL_MIN_MAX_SIZE || o.max_size > SL_KPL_MAX_MAX_SIZE)
    return sl_error_set(err, SL_EINVAL,
                        "max_size %zu is out of range: AggregationMaxSize is from 64 to 10485760 bytes", o.max_size);
  sl_kpl_builder_t *b = calloc(1, sizeof *b);
  if (b == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory for a KPL aggregation builder");
  b->options = o;
  *out = b;
  return SL_OK;
}

void sl_kpl_builder_free(sl_kpl_builder_t *b) {
  if (b == NULL) return;
  sl__kpl_keys_free(&b->pks);
  sl__kpl_keys_free(&b->ehks);
  free(b->entries);
  free(b->buf);
  free(b);
}

void sl_kpl_builder_reset(sl_kpl_builder_t *b) {
  sl__kpl_keys_clear(&b->pks);
  sl__kpl_keys_clear(&b->ehks);
  b->count = b->buf_len = b->body = 0;
}

size_t sl_kpl_builder_count(const sl_kpl_builder_t *b) { return b->count; }

size_t sl_kpl_builder_size(const sl_kpl_builder_t *b) { return b->count == 0 ? 0 : SL_KPL_OVERHEAD + b->body; }

/* Bytes of one Record message, as protobuf-c packs it (the data's bytes themselves are not read). */
static size_t record_size(uint64_t pk_index, int has_ehk, uint64_t ehk_index, size_t data_len) {
  SlKpl__Record rec = SL__KPL__RECORD__INIT;
  rec.partition_key_index = pk_index;
  rec.has_explicit_hash_key_index = has_ehk;
  rec.explicit_hash_key_index = ehk_index;
  rec.data.len = data_len;
  return sl__kpl__record__get_packed_size(&rec);
}

/* The index key s gets in table t, and the bytes its table entry adds (0 when t already holds it). */
static size_t key_index(const sl__kpl_keys_t *t, const char *s, size_t len, uint64_t *index) {
  size_t found;
  if (sl__kpl_keys_find(t, s, len, &found)) {
    *index = found;
    return 0;
  }
  *index = t->count;
  return sl__kpl_field_size(len);
}

size_t sl_kpl_builder_size_with(const sl_kpl_builder_t *b, const sl_kpl_record_t *r) {
  uint64_t pk_index, ehk_index = 0;
  size_t body = b->body + key_index(&b->pks, r->partition_key, r->partition_key_len, &pk_index);
  if (r->explicit_hash_key != NULL)
    body += key_index(&b->ehks, r->explicit_hash_key, r->explicit_hash_key_len, &ehk_index);
  body += sl__kpl_field_size(record_size(pk_index, r->explicit_hash_key != NULL, ehk_index, r->data_len));
  return SL_KPL_OVERHEAD + body;
}

int sl_kpl_builder_fits(const sl_kpl_builder_t *b, const sl_kpl_record_t *r) {
  if (b->count == 0) return 1;
  if ((uint64_t)b->count >= b->options.max_count) return 0;
  return sl_kpl_builder_size_with(b, r) <= b->options.max_size;
}

/* Checks r as PutRecord would take it; stores the hash key it routes by in *hash. */
static int check_record(const sl_kpl_record_t *r, sl_hashkey_t *hash, sl_error_t *err) {
  size_t chars;
  if (r->partition_key == NULL || r->partition_key_len == 0)
    return sl_error_set(err, SL_EINVAL, "partition_key is empty: it must have 1 to 256 characters");
  if (memchr(r->partition_key, '\0', r->partition_key_len) != NULL)
    return sl_error_set(err, SL_EINVAL, "partition_key holds a NUL byte, which the aggregate's keys cannot hold");
  if (sl_utf8_count(r->partition_key, r->partition_key_len, &chars) != 0)
    return sl_error_set(err, SL_EINVAL, "partition_key is not valid UTF-8");
  if (chars > 256)
    return sl_error_set(err, SL_EINVAL, "partition_key has %zu characters: at most 256 are allowed", chars);
  if (r->data == NULL && r->data_len != 0) return sl_error_set(err, SL_EINVAL, "data is NULL with a length");
  if (r->explicit_hash_key == NULL) {
    *hash = sl_hashkey_of(r->partition_key, r->partition_key_len);
    return SL_OK;
  }
  return sl_hashkey_parse(r->explicit_hash_key, r->explicit_hash_key_len, "explicit_hash_key", hash, err);
}

/* Stores r's keys, data and entry; on failure the builder is as it was. */
static int store(sl_kpl_builder_t *b, const sl_kpl_record_t *r, entry_t *e) {
  int added_pk = e->pk_index == b->pks.count, added_ehk = e->has_ehk && e->ehk_index == b->ehks.count;
  if (added_pk && sl__kpl_keys_add(&b->pks, r->partition_key, r->partition_key_len) != SL_OK) return SL_ENOMEM;
  if (added_ehk && sl__kpl_keys_add(&b->ehks, r->explicit_hash_key, r->explicit_hash_key_len) != SL_OK) {
    added_ehk = 0;
    goto undo;
  }
  entry_t *entries = sl_grow_zeroed(b->entries, &b->entries_cap, b->count, sizeof *entries, 64);
  if (entries == NULL) goto undo;
  b->entries = entries;
  if (r->data_len > 0) {
    unsigned char *buf = sl_grow_zeroed(b->buf, &b->buf_cap, b->buf_len + r->data_len - 1, 1, 4096);
    if (buf == NULL) goto undo;
    b->buf = buf;
    memcpy(b->buf + b->buf_len, r->data, r->data_len);
  }
  e->offset = b->buf_len;
  e->len = r->data_len;
  b->buf_len += r->data_len;
  b->entries[b->count++] = *e;
  return SL_OK;
undo:
  if (added_ehk) sl__kpl_keys_pop(&b->ehks);
  if (added_pk) sl__kpl_keys_pop(&b->pks);
  return SL_ENOMEM;
}

int sl_kpl_builder_add(sl_kpl_builder_t *b, const sl_kpl_record_t *r, sl_error_t *err) {
  sl_hashkey_t hash;
  int rc = check_record(r, &hash, err);
  if (rc != SL_OK) return rc;
  if (!sl_kpl_builder_fits(b, r))
    return sl_error_set(err, SL_ELIMIT, "the record does not fit: the aggregate would pass %zu bytes or %llu records",
                        b->options.max_size, (unsigned long long)b->options.max_count);
  size_t size = sl_kpl_builder_size_with(b, r); /* before store changes the tables */
  entry_t e = {.has_ehk = r->explicit_hash_key != NULL};
  key_index(&b->pks, r->partition_key, r->partition_key_len, &e.pk_index);
  if (e.has_ehk) key_index(&b->ehks, r->explicit_hash_key, r->explicit_hash_key_len, &e.ehk_index);
  if (store(b, r, &e) != SL_OK) return sl_error_set(err, SL_ENOMEM, "out of memory adding a record to an aggregate");
  if (b->count == 1) b->first_hash = hash;
  b->body = size - SL_KPL_OVERHEAD;
  return SL_OK;
}

void sl_kpl_aggregate_free(sl_kpl_aggregate_t *a) {
  free(a->data);
  free(a->partition_key);
  memset(a, 0, sizeof *a);
}

/* The lone record as itself (single_as_is): its data, unchanged. */
static int finish_single(const sl_kpl_builder_t *b, sl_kpl_aggregate_t *out) {
  out->data = malloc(b->buf_len > 0 ? b->buf_len : 1);
  if (out->data == NULL) return SL_ENOMEM;
  if (b->buf_len > 0) memcpy(out->data, b->buf, b->buf_len);
  out->len = b->buf_len;
  return SL_OK;
}

/* Magic, the AggregatedRecord packed by protobuf-c, and the MD5 of the packed message. */
static int finish_packed(const sl_kpl_builder_t *b, sl_kpl_aggregate_t *out) {
  SlKpl__Record *recs = malloc(b->count * sizeof *recs);
  SlKpl__Record **ptrs = malloc(b->count * sizeof *ptrs);
  char **pk_table = malloc(b->pks.count * sizeof *pk_table);
  char **ehk_table = malloc((b->ehks.count > 0 ? b->ehks.count : 1) * sizeof *ehk_table);
  out->data = malloc(SL_KPL_OVERHEAD + b->body);
  int rc = SL_ENOMEM;
  if (recs == NULL || ptrs == NULL || pk_table == NULL || ehk_table == NULL || out->data == NULL) goto done;
  for (size_t i = 0; i < b->count; i++) {
    const entry_t *e = &b->entries[i];
    recs[i] = (SlKpl__Record)SL__KPL__RECORD__INIT;
    recs[i].partition_key_index = e->pk_index;
    recs[i].has_explicit_hash_key_index = e->has_ehk;
    recs[i].explicit_hash_key_index = e->ehk_index;
    recs[i].data = (ProtobufCBinaryData){e->len, e->len > 0 ? b->buf + e->offset : NULL};
    ptrs[i] = &recs[i];
  }
  for (size_t i = 0; i < b->pks.count; i++) pk_table[i] = b->pks.keys[i].s;
  for (size_t i = 0; i < b->ehks.count; i++) ehk_table[i] = b->ehks.keys[i].s;
  SlKpl__AggregatedRecord msg = SL__KPL__AGGREGATED_RECORD__INIT;
  msg.n_partition_key_table = b->pks.count;
  msg.partition_key_table = pk_table;
  msg.n_explicit_hash_key_table = b->ehks.count;
  msg.explicit_hash_key_table = ehk_table;
  msg.n_records = b->count;
  msg.records = ptrs;
  rc = SL_EINVAL; /* the running size disagreeing with protobuf-c's would be our bug: fail loudly, not pack */
  if (sl__kpl__aggregated_record__get_packed_size(&msg) != b->body) goto done;
  memcpy(out->data, sl__kpl_magic, SL_KPL_MAGIC_SIZE);
  size_t n = sl__kpl__aggregated_record__pack(&msg, out->data + SL_KPL_MAGIC_SIZE);
  sl_md5(out->data + SL_KPL_MAGIC_SIZE, n, out->data + SL_KPL_MAGIC_SIZE + n);
  out->len = SL_KPL_OVERHEAD + n;
  rc = SL_OK;
done:
  free(recs);
  free(ptrs);
  free(pk_table);
  free(ehk_table);
  return rc;
}

int sl_kpl_builder_finish(sl_kpl_builder_t *b, sl_kpl_aggregate_t *out, sl_error_t *err) {
  memset(out, 0, sizeof *out);
  if (b->count == 0) return sl_error_set(err, SL_EINVAL, "the aggregate has no records: add one before finishing");
  int single = b->options.single_as_is && b->count == 1;
  int rc = single ? finish_single(b, out) : finish_packed(b, out);
  const sl__kpl_key_t *first = &b->pks.keys[b->entries[0].pk_index];
  if (rc == SL_OK && (out->partition_key = malloc(first->len + 1)) == NULL) rc = SL_ENOMEM;
  if (rc != SL_OK) {
    sl_kpl_aggregate_free(out);
    return sl_error_set(err, rc, rc == SL_ENOMEM ? "out of memory packing an aggregate"
                                                 : "internal error: the aggregate's size was miscounted");
  }
  memcpy(out->partition_key, first->s, first->len + 1);
  out->partition_key_len = first->len;
  out->explicit_hash_key_len = sl_hashkey_format(b->first_hash, out->explicit_hash_key);
  out->count = b->count;
  out->aggregated = !single;
  sl_kpl_builder_reset(b);
  return SL_OK;
}
