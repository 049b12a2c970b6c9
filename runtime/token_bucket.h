/* token_bucket.h - the refill shared by the per-shard write and read limits (write_limit.c, read_limit.c):
 * tokens in thousandths, a bucket holding one second's worth, refilled continuously with the caller's clock,
 * so that results never depend on floating point. Private to the runtime. */
#ifndef SHARDLAB_TOKEN_BUCKET_H
#define SHARDLAB_TOKEN_BUCKET_H

#include <stdint.h>

/* Adds elapsed_ms of per_second tokens (per_second thousandths a millisecond) to *tokens, up to a second's
 * worth. Past 100 s any debt (a record is at most 10 MiB, a read at most 10 MiB) is paid off, and capping
 * there keeps the product far from overflow. */
static inline void sl__bucket_refill(int64_t *tokens, int64_t per_second, int64_t elapsed_ms) {
  int64_t cap = per_second * 1000;
  if (elapsed_ms > 100000) elapsed_ms = 100000;
  int64_t t = *tokens + per_second * elapsed_ms;
  *tokens = t > cap ? cap : t;
}

#endif
