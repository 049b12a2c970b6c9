/* lua_response.h - what a handler's return value means to the event source mapping (DESIGN 5; AWS Lambda
 * guide, "Configuring partial batch response with Kinesis Data Streams and Lambda", formerly "Reporting batch
 * item failures for Kinesis"):
 *
 * With report_batch_item_failures, Lambda treats the batch as a complete success when the function returns
 * nil, an empty table, a table without batchItemFailures (nil), or an empty batchItemFailures list; as a
 * complete failure when the response is not an object, batchItemFailures is not a list, or any entry lacks a
 * non-empty string itemIdentifier (a wrong key name, an empty or nil value) or names a sequence number not in
 * the batch; otherwise the batch checkpoints before the lowest failed sequence number. Without the setting the
 * return value is ignored. A complete failure from the response is a failure of the batch only: the function
 * returned normally, so the caller keeps its execution environment warm (env.c). */
#ifndef SHARDLAB_LUA_RESPONSE_H
#define SHARDLAB_LUA_RESPONSE_H

#include <lua.h>
#include <stddef.h>

typedef enum sl_response_kind_e {
  SL_RESPONSE_SUCCESS,        /* the whole batch succeeded */
  SL_RESPONSE_PARTIAL,        /* records from lowest_failed on must be retried */
  SL_RESPONSE_BATCH_FAILURE   /* the whole batch failed because of the response itself */
} sl_response_kind_t;

typedef struct sl_response_s {
  sl_response_kind_t kind;
  size_t lowest_failed;  /* PARTIAL: index in the batch of the lowest failed sequence number */
  char reason[256];      /* BATCH_FAILURE: why, naming the entry ("batchItemFailures[2].itemIdentifier is empty") */
} sl_response_t;

/* Interprets the value at idx. sequence_numbers[0..count) are the batch's records in order (decimal text).
 * Does not raise and does not change the stack. */
void sl_response_read(lua_State *L, int idx, int report_batch_item_failures, const char *const *sequence_numbers,
                      size_t count, sl_response_t *out);

#endif
