/* arn.h - the Amazon Resource Names shardlab writes: streams (in events, API answers and on-failure records)
 * and functions (Lambda's context and on-failure records). */
#ifndef SHARDLAB_ARN_H
#define SHARDLAB_ARN_H

#include <stddef.h>

/* Writes "arn:aws:kinesis:REGION:ACCOUNT:stream/STREAM" into buf (cut to size, as snprintf). Returns the
 * length of the whole ARN. */
size_t sl_arn_stream(char *buf, size_t size, const char *region, const char *account, const char *stream);
/* "arn:aws:lambda:REGION:ACCOUNT:function:NAME" */
size_t sl_arn_function(char *buf, size_t size, const char *region, const char *account, const char *function);

#endif
