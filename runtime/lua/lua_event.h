/* lua_event.h - the Kinesis event Lambda passes to a handler, built straight on the Lua stack from records
 * (no JSON round trip), field for field as AWS documents it (AWS Lambda guide, "Using Lambda with Kinesis",
 * sample event):
 *   { Records = { { kinesis = { kinesisSchemaVersion = "1.0", partitionKey, sequenceNumber, data (base64),
 *                               approximateArrivalTimestamp (seconds, float) },
 *                   eventSource = "aws:kinesis", eventVersion = "1.0",
 *                   eventID = shardId .. ":" .. sequenceNumber, eventName = "aws:kinesis:record",
 *                   invokeIdentityArn, awsRegion, eventSourceARN }, ... } } */
#ifndef SHARDLAB_LUA_EVENT_H
#define SHARDLAB_LUA_EVENT_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "shardlab/arn.h"   /* sl_arn_stream, sl_arn_function */
#include "shardlab/event.h" /* sl_event_source_t, sl_event_record_t */

/* Pushes the event table. Raises a Lua error only when out of memory. */
void sl_event_push(lua_State *L, const sl_event_source_t *src, const sl_event_record_t *records, size_t count);

/* Adds a tumbling window's fields to the event table at idx: window {start, end} (ISO 8601, seconds), state
 * (decoded from w->state_json), shardId, eventSourceARN, isFinalInvokeForWindow, isWindowTerminatedEarly. */
void sl_event_push_window(lua_State *L, int idx, const sl_event_source_t *src, const sl_event_window_t *w);

#endif
