/* event_stream.c - encoding AWS event-stream messages (server/event_stream.h); the CRC-32s are zlib's. */
#include "server/event_stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "shardlab/error.h"

static unsigned char *put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
  return p + 4;
}

static uint32_t crc(const unsigned char *p, size_t n) { return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n); }

int sl_event_stream_encode(const sl_es_header_t *headers, size_t count, const void *payload, size_t payload_len,
                           unsigned char **out, size_t *len) {
  size_t hlen = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(headers[i].name), v = strlen(headers[i].value);
    if (n == 0 || n > 255 || v > 65535) return SL_EINVAL;
    hlen += 1 + n + 1 + 2 + v;
  }
  size_t total = 12 + hlen + payload_len + 4;
  if (total > UINT32_MAX) return SL_EINVAL;
  unsigned char *m = malloc(total), *p = m;
  if (m == NULL) return SL_ENOMEM;
  p = put_u32(p, (uint32_t)total);
  p = put_u32(p, (uint32_t)hlen);
  p = put_u32(p, crc(m, 8));
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(headers[i].name), v = strlen(headers[i].value);
    *p++ = (unsigned char)n;
    memcpy(p, headers[i].name, n);
    p += n;
    *p++ = 7; /* string */
    *p++ = (unsigned char)(v >> 8);
    *p++ = (unsigned char)v;
    memcpy(p, headers[i].value, v);
    p += v;
  }
  if (payload_len) memcpy(p, payload, payload_len);
  p += payload_len;
  put_u32(p, crc(m, total - 4));
  *out = m;
  *len = total;
  return SL_OK;
}

int sl_event_stream_event(const char *type, const char *json, size_t json_len, unsigned char **out, size_t *len) {
  const sl_es_header_t h[] = {{":message-type", "event"}, {":event-type", type}, {":content-type", "application/json"}};
  return sl_event_stream_encode(h, 3, json, json_len, out, len);
}

int sl_event_stream_exception(const char *type, const char *json, size_t json_len, unsigned char **out, size_t *len) {
  const sl_es_header_t h[] = {
      {":message-type", "exception"}, {":exception-type", type}, {":content-type", "application/json"}};
  return sl_event_stream_encode(h, 3, json, json_len, out, len);
}
