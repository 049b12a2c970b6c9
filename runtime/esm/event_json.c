/* event_json.c - the Kinesis event of a batch as JSON, in core C (destination.h: the S3 destination's
 * payload). The same fields and order as the event a handler gets (runtime/lua/lua_event.c; AWS's sample in
 * tests/reference/kinesis-event.json): per record kinesis {kinesisSchemaVersion, partitionKey,
 * sequenceNumber, data (base64), approximateArrivalTimestamp (seconds)}, eventSource, eventVersion, eventID
 * (shard id ":" sequence number), eventName, invokeIdentityArn, awsRegion, eventSourceARN. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/base64.h"
#include "shardlab/destination.h"
#include "shardlab/seqnum.h"

static json_t *record_json(const sl_event_source_t *src, const sl_shard_t *shard, const sl_record_t *rec) {
  char seq[SL_SEQNUM_DECIMAL_SIZE], event_id[SL_SHARD_ID_SIZE + SL_SEQNUM_DECIMAL_SIZE + 2];
  sl_seqnum_t sn;
  sl_shard_seqnum(shard, rec->counter, rec->arrival_ms, &sn);
  sl_seqnum_format(&sn, seq);
  snprintf(event_id, sizeof event_id, "%s:%s", shard->id, seq);
  char *data = malloc(SL_BASE64_ENCODED_LEN(rec->data_len) + 1);
  if (data == NULL) return NULL;
  sl_base64_encode(SL_RECORD_DATA(rec), rec->data_len, data);
  json_t *j = json_pack("{s:{s:s,s:s#,s:s,s:s,s:f},s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kinesis",
                        "kinesisSchemaVersion", "1.0", "partitionKey", SL_RECORD_KEY(rec), (int)rec->key_len,
                        "sequenceNumber", seq, "data", data, "approximateArrivalTimestamp",
                        (double)rec->arrival_ms / 1000.0, "eventSource", "aws:kinesis", "eventVersion", "1.0",
                        "eventID", event_id, "eventName", "aws:kinesis:record", "invokeIdentityArn",
                        src->invoke_identity_arn, "awsRegion", src->region, "eventSourceARN",
                        src->event_source_arn);
  free(data);
  return j;
}

char *sl_event_json(const sl_event_source_t *src, const sl_shard_t *shard, const sl_record_t *const *records,
                    size_t count) {
  json_t *list = json_array();
  for (size_t i = 0; list != NULL && i < count; i++) {
    json_t *r = record_json(src, shard, records[i]);
    if (r == NULL || json_array_append_new(list, r) != 0) {
      json_decref(list);
      list = NULL;
    }
  }
  json_t *event = list != NULL ? json_pack("{s:o}", "Records", list) : NULL;
  /* 13 significant digits: arrival times to the millisecond, as 1545084650.987, not 1545084650.9869999886. */
  char *text = event != NULL ? json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(13))
                             : NULL;
  json_decref(event);
  return text;
}
