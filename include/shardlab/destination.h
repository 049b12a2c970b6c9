/* destination.h - the mapping's on-failure destination (DESIGN 5; AWS Lambda guide, "Retaining records of
 * discarded batches"): a batch whose retries or age ran out is written as the record AWS sends
 * (requestContext, responseContext, version, timestamp, KinesisBatchInfo) to a JSONL file, one record a line,
 * or put into a stream of its own (the failed batch's shard id as the partition key), or written as an object
 * of a folder standing for an S3 bucket: AWS's key aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/
 * YYYY-MM-DDTHH.MM.SS-<Random UUID> (AWS Lambda guide, "Retain discarded batch records for a Kinesis Data
 * Streams event source in Lambda"), holding the record plus `payload`, the batch's event as a JSON string.
 *
 * requestContext.requestId is the RequestId of the batch's last invocation (sl_failure_t.request_id); for a
 * batch never invoked (a record over the 6 MB payload, records too old before their first invocation) it is a
 * UUID derived from the seed and the number of the failure record, the same for the same run. */
#ifndef SHARDLAB_DESTINATION_H
#define SHARDLAB_DESTINATION_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/esm.h"
#include "shardlab/event.h"
#include "shardlab/stream.h"

typedef struct sl_destination_config_s {
  const char *file;          /* a JSONL file, created or truncated (NULL: none) */
  const char *stream;        /* or the name of a stream made for it, without write limits (NULL: none) */
  const char *s3_dir;        /* or a folder standing for an S3 bucket, created if absent (NULL: none) */
  const char *function_arn;  /* requestContext.functionArn */
  const char *stream_arn;    /* KinesisBatchInfo.streamArn, and the payload's eventSourceARN */
  const char *region;        /* S3: the payload's awsRegion */
  const char *role_arn;      /* S3: the payload's invokeIdentityArn */
  const char *mapping_name;  /* S3: with the seed, names the mapping's UUID in the keys (the experiment's name) */
  int64_t start_ms;          /* wall time the run's 0 stands for */
  uint64_t seed;             /* the run's seed: generated ids are derived from it */
} sl_destination_config_t;

typedef struct sl_destination_s sl_destination_t;

/* Opens the file or makes the stream. Errors name the field: "mapping.on_failure: cannot open F ...". */
int sl_destination_open(const sl_destination_config_t *c, sl_destination_t **out, sl_error_t *err);
/* Sends one failed batch. SL_EIO or the stream's error, with a message. */
int sl_destination_send(sl_destination_t *d, const sl_failure_t *f, sl_error_t *err);
/* The destination's stream (NULL for a file). */
const sl_stream_t *sl_destination_stream(const sl_destination_t *d);
/* The Kinesis event of records (of shard, in sequence order) as the handler gets it, as compact JSON text
 * (malloc'd; NULL when out of memory): src gives the region and ARNs, shard_id is taken from shard. */
char *sl_event_json(const sl_event_source_t *src, const sl_shard_t *shard, const sl_record_t *const *records,
                    size_t count);
/* Closes the file (SL_EIO when what was written could not be) and frees everything. NULL is a no-op. */
int sl_destination_close(sl_destination_t *d, sl_error_t *err);

#endif
