/* lua_event.c - builds AWS's Kinesis event for a batch directly on the Lua stack (see lua_event.h), and the
 * ARNs the event and context carry. This is the delivery hot path: the batch's shared strings are pushed once per
 * batch, the record tables come from a precompiled Lua constructor called once per 16 records, and data is
 * base64-encoded into a reused buffer. */

#include "shardlab/clock.h"
#include "lua/lua_event.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/lua_json.h"
#include "shardlab/base64.h"

/* The record tables are made by a small Lua function, generated and compiled once per state and kept in the
 * registry: the VM's table constructor with constant keys costs a fraction of one lua_setfield per field from C
 * (measured: bench/invoke). One call builds up to CHUNK records (fewer when its later arguments are nil) and
 * stores them into Records itself, so the C-to-Lua call is paid once per CHUNK records, not once per record.
 * Its arguments: Records, the index before the first record, the batch's shared strings, then per record its
 * partition key, sequence number, data (base64) and timestamp. Generated text, one line per record J:
 *   if kJ == nil then return end
 *   rec[i + J] = { kinesis = { kinesisSchemaVersion = '1.0', partitionKey = kJ, sequenceNumber = sJ,
 *                              data = dJ, approximateArrivalTimestamp = tJ },
 *                  eventSource = 'aws:kinesis', eventVersion = '1.0', eventID = prefix .. sJ,
 *                  eventName = 'aws:kinesis:record', invokeIdentityArn = identity, awsRegion = region,
 *                  eventSourceARN = arn } */
enum { CHUNK = 16, SHARED = 4 /* identity, region, arn, id prefix */, PER_RECORD = 4 };

static const char record_ctor_key = 'r'; /* registry key: its address */

static void push_record_ctor(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &record_ctor_key) == LUA_TFUNCTION) return;
  lua_pop(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "local rec, i, identity, region, arn, prefix");
  char line[512];
  for (int j = 1; j <= CHUNK; j++) {
    snprintf(line, sizeof line, ", k%d, s%d, d%d, t%d", j, j, j, j);
    luaL_addstring(&b, line);
  }
  luaL_addstring(&b, " = ...\n");
  for (int j = 1; j <= CHUNK; j++) {
    if (j > 1) {
      snprintf(line, sizeof line, "if k%d == nil then return end\n", j);
      luaL_addstring(&b, line);
    }
    snprintf(line, sizeof line,
             "rec[i + %d] = { kinesis = { kinesisSchemaVersion = '1.0', partitionKey = k%d, sequenceNumber = s%d, "
             "data = d%d, approximateArrivalTimestamp = t%d }, eventSource = 'aws:kinesis', eventVersion = '1.0', "
             "eventID = prefix .. s%d, eventName = 'aws:kinesis:record', invokeIdentityArn = identity, "
             "awsRegion = region, eventSourceARN = arn }\n",
             j, j, j, j, j, j);
    luaL_addstring(&b, line);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *code = lua_tolstring(L, -1, &len);
  if (luaL_loadbuffer(L, code, len, "=event") != LUA_OK) lua_error(L);
  lua_remove(L, -2); /* the text */
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &record_ctor_key);
}

typedef struct encode_buf_s {
  char local[1024];  /* enough for records of up to 765 bytes */
  char *heap;        /* larger records */
  size_t heap_size;
} encode_buf_t;

static char *room(lua_State *L, encode_buf_t *b, size_t need) {
  if (need <= sizeof b->local) return b->local;
  if (need > b->heap_size) {
    char *grown = realloc(b->heap, need);
    if (grown == NULL) luaL_error(L, "out of memory encoding record data");
    b->heap = grown;
    b->heap_size = need;
  }
  return b->heap;
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
  /* ctor and shared strings, event, Records; per call: ctor, Records, index, shared strings, records */
  luaL_checkstack(L, (1 + SHARED) + 2 + (3 + SHARED + CHUNK * PER_RECORD) + 2, "building the event");
  int base = lua_gettop(L) + 1; /* ctor, identity, region, arn, id prefix */
  push_record_ctor(L);
  lua_pushstring(L, a->src->invoke_identity_arn);
  lua_pushstring(L, a->src->region);
  lua_pushstring(L, a->src->event_source_arn);
  lua_pushfstring(L, "%s:", a->src->shard_id);
  lua_createtable(L, 0, 1);                                                  /* the event */
  lua_createtable(L, a->count > INT32_MAX ? INT32_MAX : (int)a->count, 0); /* Records */
  int records = lua_gettop(L);
  for (size_t i = 0; i < a->count; i += CHUNK) {
    size_t n = a->count - i < CHUNK ? a->count - i : CHUNK;
    lua_pushvalue(L, base);
    lua_pushvalue(L, records);
    lua_pushinteger(L, (lua_Integer)i);
    for (int k = 1; k <= SHARED; k++) lua_pushvalue(L, base + k);
    for (size_t j = 0; j < n; j++) {
      const sl_event_record_t *r = &a->records[i + j];
      lua_pushlstring(L, r->partition_key, r->key_len);
      lua_pushstring(L, r->sequence_number);
      char *b64 = room(L, a->buf, SL_BASE64_ENCODED_LEN(r->data_len) + 1);
      lua_pushlstring(L, b64, sl_base64_encode(r->data, r->data_len, b64));
      lua_pushnumber(L, (lua_Number)r->arrival_ms / 1000.0);
    }
    lua_call(L, 2 + SHARED + (int)n * PER_RECORD, 0);
  }
  lua_setfield(L, -2, "Records");
  lua_replace(L, base); /* the event takes the constructor's place */
  lua_settop(L, base);
  return 1;
}

void sl_event_push(lua_State *L, const sl_event_source_t *src, const sl_event_record_t *records, size_t count) {
  encode_buf_t buf = {.heap = NULL, .heap_size = 0};
  push_args_t a = {src, records, count, &buf};
  int fits = 1;
  for (size_t i = 0; i < count && fits; i++) fits = SL_BASE64_ENCODED_LEN(records[i].data_len) + 1 <= sizeof buf.local;
  if (fits) { /* no heap buffer that could leak if something raises: build directly */
    lua_pushlightuserdata(L, &a);
    push_protected(L);
    return;
  }
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  free(buf.heap);
  if (status != LUA_OK) lua_error(L);
}

static int push_state(lua_State *L) {
  sl_json_push(L, lua_touserdata(L, 1));
  return 1;
}

/* 2020-12-09T07:04:00Z, as AWS writes window bounds. */
static void push_iso(lua_State *L, int64_t ms) {
  char buf[SL_ISO8601_SIZE];
  lua_pushstring(L, sl_clock_iso8601_s(ms, buf));
}

void sl_event_push_window(lua_State *L, int idx, const sl_event_source_t *src, const sl_event_window_t *w) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 4, "adding the window");
  lua_createtable(L, 0, 2);
  push_iso(L, w->start_ms);
  lua_setfield(L, -2, "start");
  push_iso(L, w->end_ms);
  lua_setfield(L, -2, "end");
  lua_setfield(L, idx, "window");
  json_t *state = json_loads(w->state_json ? w->state_json : "{}", 0, NULL);
  if (state == NULL) state = json_object();
  lua_pushcfunction(L, push_state); /* protected, so the JSON value is freed whatever happens */
  lua_pushlightuserdata(L, state);
  int status = lua_pcall(L, 1, 1, 0);
  json_decref(state);
  if (status != LUA_OK) lua_error(L);
  lua_setfield(L, idx, "state");
  lua_pushstring(L, src->shard_id);
  lua_setfield(L, idx, "shardId");
  lua_pushstring(L, src->event_source_arn);
  lua_setfield(L, idx, "eventSourceARN");
  lua_pushboolean(L, w->final);
  lua_setfield(L, idx, "isFinalInvokeForWindow");
  lua_pushboolean(L, w->terminated_early);
  lua_setfield(L, idx, "isWindowTerminatedEarly");
}
