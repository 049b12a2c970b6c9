/* kpl_decode.c - the user records of one Kinesis record (kpl.h): a KPL aggregate checked (magic, MD5 trailer,
 * protobuf, key indexes) and unpacked through protobuf-c, anything without the magic passed through as one
 * record. Bad aggregates are errors, as aws-kinesis-agg's deaggregate makes them (node/lib/kpl-deagg.js). */
#include <stdlib.h>
#include <string.h>

#include "kpl/kpl_internal.h"
#include "kpl_aggregate.pb-c.h"

int sl_kpl_has_magic(const void *data, size_t len) {
  return len >= SL_KPL_MAGIC_SIZE && memcmp(data, sl__kpl_magic, SL_KPL_MAGIC_SIZE) == 0;
}

void sl_kpl_records_free(sl_kpl_records_t *r) {
  free(r->records);
  if (r->message != NULL) sl__kpl__aggregated_record__free_unpacked(r->message, NULL);
  memset(r, 0, sizeof *r);
}

/* Not an aggregate: the record itself, as aws-kinesis-agg gives it back ("not a KPL encoded message - no
 * biggie - emit the record with the same interface"). */
static int pass_through(const sl_kpl_record_t *in, sl_kpl_records_t *out, sl_error_t *err) {
  out->records = malloc(sizeof *out->records);
  if (out->records == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory decoding a record");
  out->records[0] = *in;
  out->records[0].sub_sequence_number = 0;
  out->count = 1;
  return SL_OK;
}

/* The protobuf message between the magic and the trailer, once its MD5 matches the trailer. */
static int unpack(const unsigned char *data, size_t len, SlKpl__AggregatedRecord **msg, sl_error_t *err) {
  if (len < SL_KPL_OVERHEAD)
    return sl_error_set(err, SL_EINVAL,
                        "aggregated record of %zu bytes: too short for the magic and the 16-byte MD5 trailer", len);
  const unsigned char *body = data + SL_KPL_MAGIC_SIZE;
  size_t body_len = len - SL_KPL_OVERHEAD;
  unsigned char digest[SL_KPL_DIGEST_SIZE];
  sl_md5(body, body_len, digest);
  if (memcmp(digest, body + body_len, SL_KPL_DIGEST_SIZE) != 0)
    return sl_error_set(err, SL_EINVAL,
                        "aggregated record: the MD5 trailer does not match the protobuf message (Invalid record checksum)");
  *msg = sl__kpl__aggregated_record__unpack(NULL, body_len, body);
  if (*msg == NULL)
    return sl_error_set(err, SL_EINVAL, "aggregated record: the protobuf AggregatedRecord does not parse");
  return SL_OK;
}

/* The user records of msg, each key index checked against its table. */
static int user_records(const SlKpl__AggregatedRecord *msg, sl_kpl_records_t *out, sl_error_t *err) {
  out->records = calloc(msg->n_records > 0 ? msg->n_records : 1, sizeof *out->records);
  if (out->records == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory decoding an aggregated record");
  for (size_t i = 0; i < msg->n_records; i++) {
    const SlKpl__Record *rec = msg->records[i];
    sl_kpl_record_t *u = &out->records[i];
    if (rec->partition_key_index >= msg->n_partition_key_table)
      return sl_error_set(err, SL_EINVAL, "aggregated record: user record %zu has partition key index %llu of %zu",
                          i, (unsigned long long)rec->partition_key_index, msg->n_partition_key_table);
    u->partition_key = msg->partition_key_table[rec->partition_key_index];
    u->partition_key_len = strlen(u->partition_key);
    if (rec->has_explicit_hash_key_index) {
      if (rec->explicit_hash_key_index >= msg->n_explicit_hash_key_table)
        return sl_error_set(err, SL_EINVAL,
                            "aggregated record: user record %zu has explicit hash key index %llu of %zu", i,
                            (unsigned long long)rec->explicit_hash_key_index, msg->n_explicit_hash_key_table);
      u->explicit_hash_key = msg->explicit_hash_key_table[rec->explicit_hash_key_index];
      u->explicit_hash_key_len = strlen(u->explicit_hash_key);
    }
    u->data = rec->data.data;
    u->data_len = rec->data.len;
    u->sub_sequence_number = i;
  }
  out->count = msg->n_records;
  return SL_OK;
}

int sl_kpl_decode(const sl_kpl_record_t *kinesis_record, sl_kpl_records_t *out, sl_error_t *err) {
  memset(out, 0, sizeof *out);
  const unsigned char *data = kinesis_record->data;
  if (!sl_kpl_has_magic(data, kinesis_record->data_len)) return pass_through(kinesis_record, out, err);
  SlKpl__AggregatedRecord *msg = NULL;
  int rc = unpack(data, kinesis_record->data_len, &msg, err);
  if (rc != SL_OK) return rc;
  out->message = msg;
  out->aggregated = 1;
  rc = user_records(msg, out, err);
  if (rc != SL_OK) sl_kpl_records_free(out);
  return rc;
}
