/* kpl.h - the Kinesis Producer Library's aggregated record, both ways: a builder that packs user records into
 * one Kinesis record as the KPL does, and a decoder that gives back the user records of a Kinesis record.
 *
 * The format (awslabs/amazon-kinesis-producer, aggregation-format.md): the 4 magic bytes F3 89 9A C2, then the
 * protobuf message AggregatedRecord { repeated string partition_key_table = 1; repeated string
 * explicit_hash_key_table = 2; repeated Record records = 3; } with Record { required uint64 partition_key_index
 * = 1; optional uint64 explicit_hash_key_index = 2; required bytes data = 3; repeated Tag tags = 4; } (proto2,
 * runtime/kpl/kpl_aggregate.proto), then the 16-byte MD5 of the protobuf bytes. Keys are stored once in their
 * table and records point at them by index, as the KPL's KeySet does (aws/kinesis/core/kinesis_record.cc).
 *
 * Core code: no Lua. A builder or a decoded list is used by one thread at a time; separate ones are independent. */
#ifndef SHARDLAB_KPL_H
#define SHARDLAB_KPL_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/hashkey.h"

#define SL_KPL_MAGIC_SIZE 4
#define SL_KPL_DIGEST_SIZE 16
/* Bytes an aggregate has beyond its protobuf message: the magic and the MD5 (the KPL's kFixedOverhead). */
#define SL_KPL_OVERHEAD (SL_KPL_MAGIC_SIZE + SL_KPL_DIGEST_SIZE)

/* The KPL's defaults and bounds (java/amazon-kinesis-producer-sample/default_config.properties):
 * AggregationMaxSize "Maximum number of bytes to pack into an aggregated Kinesis record", default 51200, minimum
 * 64, maximum 10485760; AggregationMaxCount "Maximum number of items to pack into an aggregated record", default
 * 4294967295, minimum 1. The size is the whole Kinesis record's data: magic, protobuf and MD5 (the KPL compares
 * KinesisRecord::accurate_size(), kFixedOverhead + the message's ByteSize(), with the limit). */
#define SL_KPL_DEFAULT_MAX_SIZE ((size_t)51200)
#define SL_KPL_MIN_MAX_SIZE ((size_t)64)
#define SL_KPL_MAX_MAX_SIZE ((size_t)10485760)
#define SL_KPL_DEFAULT_MAX_COUNT UINT64_C(4294967295)

/* The partition key the C++ KPL itself puts on an aggregate of two or more records (KinesisRecord::
 * partition_key(): "We will always set an explicit hash key if we created an aggregated record. We therefore
 * have no need to set a partition key ... We will therefore use a single byte"). The builder gives the first
 * user record's key instead, as aws-kinesis-agg does; a producer that wants the KPL's own key sends this one.
 * Either way the aggregate routes by its explicit hash key; only the key Lambda's ordering sees differs. */
#define SL_KPL_PARTITION_KEY "a"

/* One user record. As builder input: partition_key (1 to 256 Unicode characters of valid UTF-8, as Kinesis
 * takes them, and no NUL byte, which protobuf-c's strings cannot hold), explicit_hash_key (NULL for none, else
 * a decimal from 0 to 2^128-1 as PutRecord takes it) and data; the builder copies all three, so they need only
 * live through the call. As decoder output: the same fields pointing into memory the sl_kpl_records_t owns (or
 * the caller's, see sl_kpl_decode), and sub_sequence_number, the record's position in its aggregate. */
typedef struct sl_kpl_record_s {
  const char *partition_key;
  size_t partition_key_len;
  const char *explicit_hash_key; /* NULL when the record has none */
  size_t explicit_hash_key_len;
  const void *data;
  size_t data_len;
  uint64_t sub_sequence_number; /* decoder output only: 0..n-1 within an aggregate */
} sl_kpl_record_t;

/* --- building ---------------------------------------------------------------------------------------------- */

typedef struct sl_kpl_options_s {
  size_t max_size;    /* AggregationMaxSize in bytes (whole aggregate); 0 means SL_KPL_DEFAULT_MAX_SIZE */
  uint64_t max_count; /* AggregationMaxCount; 0 means SL_KPL_DEFAULT_MAX_COUNT */
  /* Nonzero: an aggregate of a single record comes out as that record itself (its data, its partition key),
   * as the KPL sends it (KinesisRecord::serialize() returns the lone record's data unchanged). Zero: always the
   * aggregated format, even for one record (what aws-kinesis-agg's RecordAggregator does). */
  int single_as_is;
} sl_kpl_options_t;

/* What sl_kpl_builder_finish gives: one Kinesis record to put. Owns data and partition_key (malloc'd); release
 * them with sl_kpl_aggregate_free. */
typedef struct sl_kpl_aggregate_s {
  unsigned char *data; /* the Kinesis record's data: magic, protobuf, MD5 (or the lone record, see above) */
  size_t len;
  char *partition_key; /* the first user record's partition key, NUL-terminated */
  size_t partition_key_len;
  /* The explicit hash key the KPL gives the aggregate: the first user record's hash key in decimal, i.e. its
   * explicit hash key when it had one, else the MD5 of its partition key as a 128-bit big-endian integer
   * (KinesisRecord::explicit_hash_key() returns items_.front()->hash_key_decimal_str(); UserRecord's
   * constructor sets hash_key_ from explicit_hash_key or md5_binary(partition_key_)). So the aggregate goes
   * to the shard its first record would have gone to. */
  char explicit_hash_key[SL_HASHKEY_DECIMAL_SIZE];
  size_t explicit_hash_key_len;
  size_t count;   /* user records it holds */
  int aggregated; /* 0 when single_as_is sent a lone record as itself */
} sl_kpl_aggregate_t;

typedef struct sl_kpl_builder_s sl_kpl_builder_t; /* opaque; owns copies of the records added */

/* A new, empty builder. options NULL means the KPL's defaults. SL_EINVAL (max_size outside 64..10485760) or
 * SL_ENOMEM. The caller owns *out and frees it with sl_kpl_builder_free. */
int sl_kpl_builder_new(const sl_kpl_options_t *options, sl_kpl_builder_t **out, sl_error_t *err);
void sl_kpl_builder_free(sl_kpl_builder_t *b); /* NULL is fine */

/* User records in the builder, and the exact bytes the aggregate has now (SL_KPL_OVERHEAD + the protobuf
 * message; 0 when empty). */
size_t sl_kpl_builder_count(const sl_kpl_builder_t *b);
size_t sl_kpl_builder_size(const sl_kpl_builder_t *b);

/* The exact size the aggregate would have with r added (r is not checked; sl_kpl_builder_add checks it). */
size_t sl_kpl_builder_size_with(const sl_kpl_builder_t *b, const sl_kpl_record_t *r);

/* 1 when r can be added: the builder is empty (a first record always goes in, whatever its size: a record over
 * max_size by itself goes out alone, as the KPL's Reducer::flush leaves it alone in its container), or adding
 * it keeps the aggregate within max_size bytes and max_count records. 0 when the caller should finish first. */
int sl_kpl_builder_fits(const sl_kpl_builder_t *b, const sl_kpl_record_t *r);

/* Adds a copy of r. SL_ELIMIT when it does not fit (nothing added: finish, then add it to the empty builder),
 * SL_EINVAL when r is invalid (the message names the field), SL_ENOMEM. */
int sl_kpl_builder_add(sl_kpl_builder_t *b, const sl_kpl_record_t *r, sl_error_t *err);

/* Packs what was added into *out (which the caller then owns) and empties the builder. SL_EINVAL when the
 * builder is empty, SL_ENOMEM (the builder then keeps its records). */
int sl_kpl_builder_finish(sl_kpl_builder_t *b, sl_kpl_aggregate_t *out, sl_error_t *err);

/* Empties the builder without packing. */
void sl_kpl_builder_reset(sl_kpl_builder_t *b);

/* Frees what an aggregate owns and zeroes it; a zeroed aggregate is fine. */
void sl_kpl_aggregate_free(sl_kpl_aggregate_t *a);

/* --- decoding ---------------------------------------------------------------------------------------------- */

/* The user records of one Kinesis record. */
typedef struct sl_kpl_records_s {
  sl_kpl_record_t *records;
  size_t count;
  int aggregated;   /* 1: an aggregate's records, sub-sequence numbers 0..count-1; 0: the record itself */
  void *message;    /* the unpacked protobuf message the records point into (private) */
} sl_kpl_records_t;

/* Nonzero when data starts with the KPL's magic bytes. */
int sl_kpl_has_magic(const void *data, size_t len);

/* Decodes one Kinesis record (partition_key, explicit_hash_key or NULL, data; sub_sequence_number ignored):
 *   - data does not start with the magic: not an aggregate. *out holds one record, the input's own fields
 *     (pointers into the caller's record, which must outlive *out), aggregated = 0. SL_OK.
 *   - the magic, then a protobuf AggregatedRecord whose MD5 is the 16-byte trailer, every index within its
 *     table: *out holds its records in order (pointers into memory *out owns), aggregated = 1. SL_OK. An
 *     aggregate with no records gives count 0.
 *   - the magic but a record too short for the MD5, an MD5 that does not match, a protobuf that does not parse
 *     or an index outside its table: SL_EINVAL with a message saying which, *out empty. This is what
 *     aws-kinesis-agg's deaggregate does (node/lib/kpl-deagg.js: it raises "Invalid record checksum" or the
 *     protobuf error rather than passing the record through); the KCL and the Python module pass such a record
 *     through as not aggregated instead.
 *   SL_ENOMEM. Release *out with sl_kpl_records_free in every case. */
int sl_kpl_decode(const sl_kpl_record_t *kinesis_record, sl_kpl_records_t *out, sl_error_t *err);
void sl_kpl_records_free(sl_kpl_records_t *r); /* zeroes it; a zeroed one is fine */

#endif
