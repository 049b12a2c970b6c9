/* event_stream.h - AWS's event-stream message encoding (application/vnd.amazon.eventstream), which
 * SubscribeToShard's answer is made of: a prelude (total length, headers length, the prelude's CRC-32), the
 * headers (name, type, value; only the string type, 7, is needed here), the payload and the message's CRC-32,
 * integers big-endian. Private to the server. */
#ifndef SHARDLAB_EVENT_STREAM_H
#define SHARDLAB_EVENT_STREAM_H

#include <stddef.h>

typedef struct sl_es_header_s {
  const char *name;   /* at most 255 bytes */
  const char *value;  /* a string value, at most 65535 bytes */
} sl_es_header_t;

/* One message into a malloc'd *out of *len bytes. SL_OK, SL_EINVAL for a name or value too long, or
 * SL_ENOMEM. */
int sl_event_stream_encode(const sl_es_header_t *headers, size_t count, const void *payload, size_t payload_len,
                           unsigned char **out, size_t *len);

/* The messages of SubscribeToShard: an event (":message-type" event, ":event-type" type, ":content-type"
 * application/json) or an exception (":message-type" exception, ":exception-type" type), with a JSON payload. */
int sl_event_stream_event(const char *type, const char *json, size_t json_len, unsigned char **out, size_t *len);
int sl_event_stream_exception(const char *type, const char *json, size_t json_len, unsigned char **out, size_t *len);

#endif
