/* window.c - tumbling windows (DESIGN 5; AWS Lambda guide, "Using tumbling windows"): windows of arrival
 * time per shard; the first batch of a window opens it with an empty state, each invocation's returned state
 * goes on to the next, and the window closes with a final invocation that carries no records, when the next
 * record belongs to a later window, when the shard has ended or a returned state passed the 1 MB limit (early:
 * isWindowTerminatedEarly), or when its end has passed and a poll found nothing more for it. A failing final
 * invocation holds the shard until it succeeds. */
#include <stdlib.h>
#include <string.h>

#include "esm/esm_internal.h"

/* AWS Lambda guide, "Using tumbling windows" (Kinesis: "Implementing stateful Kinesis Data Streams processing
 * in Lambda"): "Your state can be a maximum of 1 MB per shard. If it exceeds that size, Lambda terminates the
 * window early." Measured on the state's JSON text as the invoker returns it (compact), 1 MB read as 1 MiB as
 * for Kinesis's record limit. A state longer than this is not carried: the invocation that returned it
 * succeeded (its records are done), the window's final invocation follows at once with the last state within
 * the limit and isWindowTerminatedEarly, and the window's later records start it again with a fresh state
 * (isWindowTerminatedEarly in the aws_lambda_events crate's TimeWindowProperties: "Subsequent invoke will
 * continue the same window with a fresh state"). AWS does not say which state the final invocation gets; the
 * last one kept is what Lambda holds. */
#define SL_WINDOW_STATE_LIMIT ((size_t)1024 * 1024)

int64_t sl__window_of(const sl_esm_t *esm, const sl_record_t *rec) {
  return rec->arrival_ms / (esm->config.mapping.tumbling_window_us / 1000);
}

/* When the open window ends, us from the start of the run. */
static int64_t window_end_us(const sl_esm_t *esm, const sl__reader_t *r) {
  return ((r->window + 1) * (esm->config.mapping.tumbling_window_us / 1000) - esm->config.start_ms) * 1000;
}

void sl__window_check_close(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s) {
  if (esm->config.mapping.tumbling_window_us <= 0 || r->window < 0 || s->batch_count != 0 || s->final_pending)
    return;
  int64_t end_us = window_end_us(esm, r);
  int over = s->count > 0 ? sl__window_of(esm, s->queue[s->head]) != r->window
                          : r->exhausted || esm->now >= end_us + esm->config.mapping.poll_interval_us;
  if (over || r->window_overflow) {
    s->final_pending = 1;
    r->window_early = r->window_overflow || (s->count == 0 && r->exhausted && esm->now < end_us);
  }
}

int sl__window_open(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot) {
  if (esm->config.mapping.tumbling_window_us <= 0 || r->window >= 0) return SL_OK;
  r->window = sl__window_of(esm, s->queue[s->head]);
  free(r->window_state);
  r->window_state = malloc(3);
  if (r->window_state == NULL) return sl__esm_oom(esm);
  memcpy(r->window_state, "{}", 3);
  return sl__esm_schedule(esm, window_end_us(esm, r) + esm->config.mapping.poll_interval_us, SL_ESM_EV_WINDOW, slot);
}

int sl__window_outcome(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot) {
  sl_batch_outcome_t *out = &s->outcome;
  if (out->state_json != NULL) { /* the state goes on to the window's next invocation */
    if (out->status == SL_BATCH_ERROR) {
      free(out->state_json);
    } else if (!s->final_pending && strlen(out->state_json) > SL_WINDOW_STATE_LIMIT) {
      free(out->state_json); /* over the limit: not carried, and the window ends early */
      r->window_overflow = 1;
    } else {
      free(r->window_state);
      r->window_state = out->state_json;
    }
    out->state_json = NULL;
  }
  if (!s->final_pending) return SL_OK;
  sl_summary_t *sum = esm->host.summary;
  if (out->status == SL_BATCH_ERROR) { /* AWS: a failing final invocation holds the shard until it succeeds */
    sum->errors++;
    sum->retries++;
    s->retry_wait = 1;
    return sl__esm_schedule(esm, esm->now + esm->config.mapping.retry_backoff_us, SL_ESM_EV_RETRY, slot);
  }
  s->final_pending = 0;
  r->window = -1;
  r->window_early = 0;
  r->window_overflow = 0;
  sum->windows_closed++;
  return SL_OK;
}
