/* write_limit.c - token buckets for the per-shard write limits (see write_limit.h). */
#include "write_limit.h"

#include "token_bucket.h"

void sl__write_limit_reset(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms) {
  w->refilled_ms = now_ms;
  w->records = (int64_t)c->records_per_second * 1000;
  w->bytes = (int64_t)c->bytes_per_second * 1000;
}

int sl__write_limit_take(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms, size_t bytes) {
  /* A caller's clock behind the last refill (a durable stream reopened by a virtual-clock run, whose time
   * starts in 2024) refills nothing, and the buckets follow that clock from then on, instead of never
   * refilling again. */
  int64_t elapsed = now_ms > w->refilled_ms ? now_ms - w->refilled_ms : 0;
  sl__bucket_refill(&w->records, c->records_per_second, elapsed);
  sl__bucket_refill(&w->bytes, c->bytes_per_second, elapsed);
  w->refilled_ms = now_ms;
  int64_t byte_cost = (int64_t)bytes * 1000;
  int64_t byte_cap = (int64_t)c->bytes_per_second * 1000;
  if (w->records < 1000) return 0;
  if (w->bytes < byte_cost && w->bytes < byte_cap) return 0;
  w->records -= 1000;
  w->bytes -= byte_cost;
  return 1;
}
