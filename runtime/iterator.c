/* iterator.c - shard iterators (API GetShardIterator / GetRecords semantics over the in-memory log):
 * the five starting positions, reads that count what retention trimmed, and the end of a closed shard. */
#include <limits.h>
#include <string.h>

#include "stream_internal.h"

static const char *const iterator_names[] = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                             "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP"};

int sl_iterator_type_parse(const char *text, sl_iterator_type_t *out, sl_error_t *err) {
  for (size_t i = 0; i < sizeof iterator_names / sizeof iterator_names[0]; i++) {
    if (text != NULL && strcmp(text, iterator_names[i]) == 0) {
      *out = (sl_iterator_type_t)i;
      return SL_OK;
    }
  }
  return sl_error_set(err, SL_EINVAL,
                      "ShardIteratorType '%s' is not one of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, "
                      "AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP",
                      text ? text : "(null)");
}

int sl_shard_iterator_init(sl_shard_iterator_t *it, const sl_shard_t *shard, sl_iterator_type_t type,
                           const char *sequence_number, int64_t timestamp_ms, sl_error_t *err) {
  it->shard = shard;
  switch (type) {
  case SL_ITER_TRIM_HORIZON:
    it->next = sl_shard_log_first(shard->log);
    return SL_OK;
  case SL_ITER_LATEST:
    it->next = sl_shard_log_next(shard->log);
    return SL_OK;
  case SL_ITER_AT_TIMESTAMP:
    it->next = sl_shard_log_find_time(shard->log, timestamp_ms);
    return SL_OK;
  case SL_ITER_AT_SEQUENCE_NUMBER:
  case SL_ITER_AFTER_SEQUENCE_NUMBER: {
    sl_seqnum_t seq;
    if (sequence_number == NULL)
      return sl_error_set(err, SL_EINVAL, "StartingSequenceNumber is required for %s", iterator_names[type]);
    int rc = sl_seqnum_parse(sequence_number, strlen(sequence_number), "StartingSequenceNumber", &seq, err);
    if (rc != SL_OK) return rc;
    /* kinesalite, recorded from AWS: a sequence number names the shard it belongs to. */
    if (seq.shard_index != shard->index)
      return sl_error_set(err, SL_EINVAL,
                          "Invalid StartingSequenceNumber. It encodes shardId-%012u, while it was used in a call "
                          "to a shard with %s",
                          seq.shard_index, shard->id);
    it->next = seq.counter + (type == SL_ITER_AFTER_SEQUENCE_NUMBER);
    return SL_OK;
  }
  }
  return sl_error_set(err, SL_EINVAL, "unknown iterator type %d", (int)type);
}

int sl_shard_iterator_exhausted(const sl_shard_iterator_t *it) {
  return !it->shard->open && it->next >= it->shard->end_counter;
}

int sl_shard_iterator_read(sl_shard_iterator_t *it, const sl_record_t **out, size_t max, uint64_t *expired) {
  const sl_shard_log_t *log = it->shard->log;
  uint64_t first = sl_shard_log_first(log), next = sl_shard_log_next(log);
  if (it->next < first) {
    /* Retention removed records this reader had not reached: skip to the trim horizon and say how many. */
    if (expired != NULL) *expired += first - it->next;
    it->next = first;
  }
  if (sl_shard_iterator_exhausted(it)) return SL_ECLOSED;
  if (max > INT_MAX) max = INT_MAX;
  size_t n = 0;
  while (n < max && it->next < next) out[n++] = sl_shard_log_get(log, it->next++);
  return (int)n;
}
