/* destination.h - the mapping's on-failure destination (DESIGN 5; AWS Lambda guide, "Retaining records of
 * discarded batches"): a batch whose retries or age ran out is written as the record AWS sends
 * (requestContext, responseContext, version, timestamp, KinesisBatchInfo) to a JSONL file, one record a line,
 * or put into a stream of its own (the failed batch's shard id as the partition key). */
#ifndef SHARDLAB_DESTINATION_H
#define SHARDLAB_DESTINATION_H

#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/esm.h"
#include "shardlab/stream.h"

typedef struct sl_destination_config_s {
  const char *file;          /* a JSONL file, created or truncated (NULL: none) */
  const char *stream;        /* or the name of a stream made for it, without write limits (NULL: none) */
  const char *function_arn;  /* requestContext.functionArn */
  const char *stream_arn;    /* KinesisBatchInfo.streamArn */
  int64_t start_ms;          /* wall time the run's 0 stands for */
  uint64_t seed;             /* the run's seed: request ids are derived from it */
} sl_destination_config_t;

typedef struct sl_destination_s sl_destination_t;

/* Opens the file or makes the stream. Errors name the field: "mapping.on_failure: cannot open F ...". */
int sl_destination_open(const sl_destination_config_t *c, sl_destination_t **out, sl_error_t *err);
/* Sends one failed batch. SL_EIO or the stream's error, with a message. */
int sl_destination_send(sl_destination_t *d, const sl_failure_t *f, sl_error_t *err);
/* The destination's stream (NULL for a file). */
const sl_stream_t *sl_destination_stream(const sl_destination_t *d);
/* Closes the file (SL_EIO when what was written could not be) and frees everything. NULL is a no-op. */
int sl_destination_close(sl_destination_t *d, sl_error_t *err);

#endif
