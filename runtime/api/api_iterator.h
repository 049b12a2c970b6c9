/* api_iterator.h - shard iterators as opaque tokens: the stream, shard, position and time of issue, sealed
 * with an HMAC-SHA256 under a key of the server's, base64-encoded. A token that was altered, or made by
 * another server, is refused; one older than the TTL has expired (api_iterator.c). */
#ifndef SHARDLAB_API_ITERATOR_H
#define SHARDLAB_API_ITERATOR_H

#include <jansson.h>
#include <stdint.h>

#include "api/api_internal.h"

typedef struct api_iterator_s {
  char stream[129];
  uint32_t shard;
  uint64_t next;       /* counter of the next record */
  int64_t issued_ms;
} api_iterator_t;

/* The token for it, as a JSON string (new reference); NULL when out of memory. */
json_t *sl__api_iterator_token(const sl_api_t *api, const api_iterator_t *it);

/* Reads a token: SL_OK, or SL_EINVAL when it is malformed or its seal does not match. */
int sl__api_iterator_parse(const sl_api_t *api, const char *token, api_iterator_t *it);

#endif
