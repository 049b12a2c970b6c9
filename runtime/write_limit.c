/* write_limit.c - token buckets for the per-shard write limits (see write_limit.h). */
#include "write_limit.h"

void sl__write_limit_reset(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms) {
  w->refilled_ms = now_ms;
  w->records = (int64_t)c->records_per_second * 1000;
  w->bytes = (int64_t)c->bytes_per_second * 1000;
}

static void refill(int64_t *tokens, int64_t per_second, int64_t elapsed_ms) {
  int64_t cap = per_second * 1000;
  /* per_second tokens a second is per_second thousandths a millisecond. Past 100 s any debt (a record is at
   * most 10 MiB) is paid off, and capping there keeps the product far from overflow. */
  if (elapsed_ms > 100000) elapsed_ms = 100000;
  int64_t t = *tokens + per_second * elapsed_ms;
  *tokens = t > cap ? cap : t;
}

int sl__write_limit_take(sl__write_limit_t *w, const sl_stream_config_t *c, int64_t now_ms, size_t bytes) {
  if (now_ms > w->refilled_ms) {
    int64_t elapsed = now_ms - w->refilled_ms;
    refill(&w->records, c->records_per_second, elapsed);
    refill(&w->bytes, c->bytes_per_second, elapsed);
    w->refilled_ms = now_ms;
  }
  int64_t byte_cost = (int64_t)bytes * 1000;
  int64_t byte_cap = (int64_t)c->bytes_per_second * 1000;
  if (w->records < 1000) return 0;
  if (w->bytes < byte_cost && w->bytes < byte_cap) return 0;
  w->records -= 1000;
  w->bytes -= byte_cost;
  return 1;
}
