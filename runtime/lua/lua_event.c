/* lua_event.c - builds AWS's Kinesis event for a batch directly on the Lua stack (see lua_event.h), and the
 * ARNs the event and context carry. This is the delivery hot path: constant strings are pushed once per
 * batch and copied with lua_pushvalue, and data is base64-encoded into a reused buffer. */
#include "lua/lua_event.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/base64.h"

size_t sl_arn_stream(char *buf, size_t size, const char *region, const char *account, const char *stream) {
  int n = snprintf(buf, size, "arn:aws:kinesis:%s:%s:stream/%s", region, account, stream);
  return n < 0 ? 0 : (size_t)n;
}

size_t sl_arn_function(char *buf, size_t size, const char *region, const char *account, const char *function) {
  int n = snprintf(buf, size, "arn:aws:lambda:%s:%s:function:%s", region, account, function);
  return n < 0 ? 0 : (size_t)n;
}

/* Stack slots of the constants pushed once per batch, relative to `base`. */
enum { K_SCHEMA, K_SOURCE, K_VERSION, K_NAME, K_IDENTITY, K_REGION, K_ARN, K_COUNT };

typedef struct encode_buf_s {
  char local[1024];  /* enough for records of up to 765 bytes */
  char *heap;        /* larger records */
  size_t heap_size;
} encode_buf_t;

static char *room(lua_State *L, encode_buf_t *b, size_t need) {
  if (need <= sizeof b->local) return b->local;
  if (need > b->heap_size) {
    char *grown = realloc(b->heap, need);
    if (grown == NULL) {
      free(b->heap);
      b->heap = NULL;
      luaL_error(L, "out of memory encoding record data");
    }
    b->heap = grown;
    b->heap_size = need;
  }
  return b->heap;
}

static void push_record(lua_State *L, int base, const sl_event_source_t *src, const sl_event_record_t *r,
                        encode_buf_t *buf) {
  lua_createtable(L, 0, 8);

  lua_createtable(L, 0, 5); /* kinesis */
  lua_pushvalue(L, base + K_SCHEMA);
  lua_setfield(L, -2, "kinesisSchemaVersion");
  lua_pushlstring(L, r->partition_key, r->key_len);
  lua_setfield(L, -2, "partitionKey");
  lua_pushstring(L, r->sequence_number);
  lua_setfield(L, -2, "sequenceNumber");
  char *b64 = room(L, buf, SL_BASE64_ENCODED_LEN(r->data_len) + 1);
  lua_pushlstring(L, b64, sl_base64_encode(r->data, r->data_len, b64));
  lua_setfield(L, -2, "data");
  lua_pushnumber(L, (lua_Number)r->arrival_ms / 1000.0);
  lua_setfield(L, -2, "approximateArrivalTimestamp");
  lua_setfield(L, -2, "kinesis");

  lua_pushvalue(L, base + K_SOURCE);
  lua_setfield(L, -2, "eventSource");
  lua_pushvalue(L, base + K_VERSION);
  lua_setfield(L, -2, "eventVersion");
  lua_pushfstring(L, "%s:%s", src->shard_id, r->sequence_number);
  lua_setfield(L, -2, "eventID");
  lua_pushvalue(L, base + K_NAME);
  lua_setfield(L, -2, "eventName");
  lua_pushvalue(L, base + K_IDENTITY);
  lua_setfield(L, -2, "invokeIdentityArn");
  lua_pushvalue(L, base + K_REGION);
  lua_setfield(L, -2, "awsRegion");
  lua_pushvalue(L, base + K_ARN);
  lua_setfield(L, -2, "eventSourceARN");
}

/* Runs protected so that the heap buffer is freed whatever happens. */
typedef struct push_args_s {
  const sl_event_source_t *src;
  const sl_event_record_t *records;
  size_t count;
  encode_buf_t *buf;
} push_args_t;

static int push_protected(lua_State *L) {
  push_args_t *a = lua_touserdata(L, -1); /* the top: in the direct path index 1 is the caller's */
  lua_pop(L, 1);
  luaL_checkstack(L, K_COUNT + 8, "building the event");
  int base = lua_gettop(L) + 1;
  lua_pushliteral(L, "1.0");
  lua_pushliteral(L, "aws:kinesis");
  lua_pushliteral(L, "1.0");
  lua_pushliteral(L, "aws:kinesis:record");
  lua_pushstring(L, a->src->invoke_identity_arn);
  lua_pushstring(L, a->src->region);
  lua_pushstring(L, a->src->event_source_arn);
  lua_createtable(L, 0, 1);                             /* the event */
  lua_createtable(L, a->count > INT32_MAX ? INT32_MAX : (int)a->count, 0); /* Records */
  for (size_t i = 0; i < a->count; i++) {
    push_record(L, base, a->src, &a->records[i], a->buf);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "Records");
  return 1;
}

void sl_event_push(lua_State *L, const sl_event_source_t *src, const sl_event_record_t *records, size_t count) {
  encode_buf_t buf = {.heap = NULL, .heap_size = 0};
  int fits = 1;
  for (size_t i = 0; i < count && fits; i++) fits = SL_BASE64_ENCODED_LEN(records[i].data_len) + 1 <= sizeof buf.local;
  if (fits) { /* no heap buffer can leak: build directly */
    push_args_t a = {src, records, count, &buf};
    lua_pushlightuserdata(L, &a);
    push_protected(L);
    lua_replace(L, -(K_COUNT + 1)); /* the event takes the first constant's place */
    lua_pop(L, K_COUNT - 1);        /* and the other constants go */
    return;
  }
  push_args_t a = {src, records, count, &buf};
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  free(buf.heap);
  if (status != LUA_OK) lua_error(L);
}
