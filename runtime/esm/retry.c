/* retry.c - what happens to records an invocation did not deliver (DESIGN 5): the batch (or, with partial
 * batch responses, its part from the lowest failed item on) is retried after the backoff; with
 * bisect_on_error a failed batch is split in two and each half retried, first half first (splits are not
 * retries); when maximum_retry_attempts is spent, or records are older than maximum_record_age, they leave
 * for the on-failure destination (or are dropped), counted either way; records older than the stream's
 * retention expire (a stalled batch loses them and the shard moves on); with retry_blocks = "shard" a
 * retrying batch holds back the other slots of its shard. Failed invocations are counted here (errors, and
 * timeouts among them). */
#include "esm/esm_internal.h"

int sl__retry_blocked(const sl_esm_t *esm, const sl__reader_t *r, const sl__slot_t *s) {
  if (!esm->config.mapping.retry_blocks_shard) return 0;
  for (uint32_t l = 0; l < esm->config.mapping.parallelization_factor; l++) {
    const sl__slot_t *o = &r->slots[l];
    if (o != s && o->batch_count > 0 && (o->retry_wait || o->attempt > 1)) return 1;
  }
  return 0;
}

int sl__retry_expire(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, int *expired) {
  int64_t retention_ms = (int64_t)sl_stream_config(esm->stream)->retention_hours * 3600000;
  int64_t now_ms = sl__esm_now_ms(esm);
  size_t n = 0;
  while (n < s->batch_count && now_ms - s->queue[s->head + n]->arrival_ms > retention_ms) n++;
  *expired = n > 0;
  if (n == 0) return SL_OK;
  esm->host.summary->records_expired += n;
  return sl__slot_finish(esm, r, s, n);
}

size_t sl__retry_too_old(const sl_esm_t *esm, const sl__slot_t *s) {
  int64_t max_age = esm->config.mapping.maximum_record_age_us;
  if (max_age < 0) return 0;
  int64_t now_ms = sl__esm_now_ms(esm), n = 0;
  while ((size_t)n < s->batch_count && now_ms - s->queue[s->head + n]->arrival_ms > max_age / 1000) n++;
  return (size_t)n;
}

int sl__retry_fail(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, size_t n, sl_failure_condition_t condition) {
  if (esm->config.on_failure != NULL) {
    uint32_t invoked = condition == SL_FAILURE_RECORD_AGE_EXCEEDED ? s->attempt - 1 : s->attempt;
    /* invoked > 0: the slot's last outcome is of these records (their last invocation). */
    const char *id = invoked > 0 && s->outcome.request_id[0] ? s->outcome.request_id : NULL;
    sl_failure_t f = {r->it.shard, s->queue + s->head, n, condition, invoked, esm->now, id};
    if (esm->config.on_failure(esm->config.ctx, &f, &esm->error) != SL_OK) return sl__esm_callback_failed(esm);
  }
  esm->host.summary->records_failed += n;
  size_t field = esm->config.on_failure != NULL ? SL__EVENTS(destination_delivered) : SL__EVENTS(dropped);
  if (sl__esm_count_events(esm, field, n) != SL_OK) return SL_ENOMEM;
  return sl__slot_finish(esm, r, s, n);
}

int sl__retry_after(sl_esm_t *esm, sl__reader_t *r, sl__slot_t *s, uint32_t slot) {
  const sl_mapping_config_t *m = &esm->config.mapping;
  const sl_batch_outcome_t *out = &s->outcome;
  sl_summary_t *sum = esm->host.summary;
  sl_second_t *sec = sl__esm_second(esm);
  if (sec == NULL) return SL_ENOMEM;
  if (out->status == SL_BATCH_ERROR) {
    sec->errors++;
    sum->errors++;
    if (out->timed_out) sum->timeouts++; /* Sandbox.Timedout */
  }
  if (sl__esm_count_events(esm, SL__EVENTS(failed_invoke), s->batch_count) != SL_OK) return SL_ENOMEM;
  int64_t retry_at = esm->now + m->retry_backoff_us;
  if (m->bisect_on_error && out->status == SL_BATCH_ERROR && s->batch_count > 1 &&
      s->split_depth < (int)(sizeof s->splits / sizeof s->splits[0])) {
    /* Bisect: the first half now, the second after it; splits are not retries. */
    s->splits[s->split_depth++] = s->batch_count - s->batch_count / 2;
    s->batch_count /= 2;
    s->attempt = 1;
    retry_at = esm->now;
  } else if (m->maximum_retry_attempts >= 0 && s->attempt > (uint32_t)m->maximum_retry_attempts) {
    /* attempt invocations were made, attempt - 1 of them retries: the quota is spent. */
    if (sl__retry_fail(esm, r, s, s->batch_count, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED) != SL_OK) return SL_ENOMEM;
    return SL_OK;
  } else {
    s->attempt++;
    sum->retries++;
  }
  s->retry_wait = 1;
  return sl__esm_schedule(esm, retry_at, SL_ESM_EV_RETRY, slot);
}
