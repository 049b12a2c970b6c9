/* event.h - the records of one batch as the event source mapping hands them to a handler, independent of Lua
 * (the Lua layer turns them into AWS's event shape: runtime/lua/lua_event.h). */
#ifndef SHARDLAB_EVENT_H
#define SHARDLAB_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* What every record of one batch shares. */
typedef struct sl_event_source_s {
  const char *shard_id;             /* shardId-000000000000 */
  const char *region;               /* awsRegion, e.g. us-east-2 */
  const char *event_source_arn;     /* arn:aws:kinesis:REGION:ACCOUNT:stream/NAME */
  const char *invoke_identity_arn;  /* arn:aws:iam::ACCOUNT:role/ROLE */
} sl_event_source_t;

/* One record of the batch. */
typedef struct sl_event_record_s {
  const char *partition_key;    /* not NUL-terminated */
  size_t key_len;
  const void *data;             /* raw bytes; the event carries them base64-encoded */
  size_t data_len;
  const char *sequence_number;  /* decimal text, NUL-terminated */
  int64_t arrival_ms;           /* approximateArrivalTimestamp is arrival_ms / 1000.0 */
} sl_event_record_t;

/* Tumbling windows (AWS Lambda guide, "Implementing stateful Kinesis Data Streams processing in Lambda"): what
 * an invocation inside a window also carries. */
typedef struct sl_event_window_s {
  int64_t start_ms;          /* window.start */
  int64_t end_ms;            /* window.end */
  const char *state_json;    /* the state returned by the window's previous invocation ("{}" at its start) */
  int final;                 /* isFinalInvokeForWindow */
  int terminated_early;      /* isWindowTerminatedEarly: the shard ended before the window did, or a state
                              * returned in it passed the 1 MB limit (window.c) */
} sl_event_window_t;

#endif
