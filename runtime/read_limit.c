/* read_limit.c - token buckets for the per-shard read limits (see read_limit.h). */
#include "read_limit.h"

#include "token_bucket.h"

void sl__read_limit_reset(sl__read_limit_t *r, const sl_stream_config_t *c, int64_t now_ms) {
  r->refilled_ms = now_ms;
  r->calls = (int64_t)c->reads_per_second * 1000;
  r->bytes = (int64_t)c->read_bytes_per_second * 1000;
}

int sl__read_limit_take(sl__read_limit_t *r, const sl_stream_config_t *c, int64_t now_ms) {
  /* A caller's clock behind the last refill (a durable stream reopened by a virtual-clock run, whose time
   * starts in 2024) refills nothing, and the buckets follow that clock from then on. */
  int64_t elapsed = now_ms > r->refilled_ms ? now_ms - r->refilled_ms : 0;
  sl__bucket_refill(&r->calls, c->reads_per_second, elapsed);
  sl__bucket_refill(&r->bytes, c->read_bytes_per_second, elapsed);
  r->refilled_ms = now_ms;
  if (r->calls < 1000 || r->bytes <= 0) return 0;
  r->calls -= 1000;
  return 1;
}

void sl__read_limit_charge(sl__read_limit_t *r, size_t bytes) { r->bytes -= (int64_t)bytes * 1000; }
