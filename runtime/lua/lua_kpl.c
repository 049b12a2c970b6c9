/* lua_kpl.c - sl.kpl.deaggregate and sl.kpl.aggregate (lua_kpl.h, docs/lua-api.md): Lua tables in and out of
 * the core's KPL codec (shardlab/kpl.h). What the C side allocates lives in a userdata with a __gc, so a Lua
 * error (a bad argument, out of memory) part way through leaks nothing. */
#include "lua/lua_kpl.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "shardlab/base64.h"
#include "shardlab/kpl.h"

static const char records_mt[] = "shardlab.kpl.records";
static const char builder_mt[] = "shardlab.kpl.builder";

typedef struct builder_box_s {
  sl_kpl_builder_t *builder;
  sl_kpl_aggregate_t aggregate; /* the one being pushed */
} builder_box_t;

static int records_gc(lua_State *L) {
  sl_kpl_records_free(luaL_checkudata(L, 1, records_mt));
  return 0;
}

static int builder_gc(lua_State *L) {
  builder_box_t *box = luaL_checkudata(L, 1, builder_mt);
  sl_kpl_aggregate_free(&box->aggregate);
  sl_kpl_builder_free(box->builder);
  box->builder = NULL;
  return 0;
}

/* Pushes a new userdata of `size` zeroed bytes with the metatable `name` (its __gc is gc). */
static void *new_box(lua_State *L, size_t size, const char *name, lua_CFunction gc) {
  void *box = lua_newuserdatauv(L, size, 0);
  memset(box, 0, size);
  if (luaL_newmetatable(L, name)) {
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

/* Raises "sl.kpl.FN: bad argument #ARG: MSG" (luaL_argerror would say '?' for a function called by pcall). */
static int arg_error(lua_State *L, const char *fn, int arg, const char *msg) {
  return luaL_error(L, "sl.kpl.%s: bad argument #%d: %s", fn, arg, msg);
}

/* The string field `name` of the table at idx (left on the stack), or NULL when it is nil and optional; raises
 * naming the function, the argument (#1) and where the field is ("record.kinesis."). */
static const char *string_field(lua_State *L, int idx, const char *name, int optional, const char *fn,
                                const char *where, size_t *len) {
  int type = lua_getfield(L, idx, name);
  if (type == LUA_TSTRING) return lua_tolstring(L, -1, len);
  if (type == LUA_TNIL && optional) return NULL;
  arg_error(L, fn, 1, lua_pushfstring(L, "%s%s must be a string%s, not %s", where, name, optional ? " or nil" : "",
                                      luaL_typename(L, -1)));
  return NULL;
}

/* --- deaggregate ------------------------------------------------------------------------------------------ */

static void push_base64(lua_State *L, const void *data, size_t len) {
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, SL_BASE64_ENCODED_LEN(len) + 1);
  luaL_pushresultsize(&b, sl_base64_encode(data, len, out));
}

/* One user record as aws-kinesis-agg shapes it: { partitionKey, explicitPartitionKey, sequenceNumber,
 * subSequenceNumber, data (base64) }. A record passed through keeps its own data string (index data_idx) and
 * has no subSequenceNumber, as in the Node module. */
static void push_user_record(lua_State *L, const sl_kpl_records_t *rs, size_t i, int seq_idx, int data_idx) {
  const sl_kpl_record_t *u = &rs->records[i];
  lua_createtable(L, 0, 5);
  lua_pushlstring(L, u->partition_key, u->partition_key_len);
  lua_setfield(L, -2, "partitionKey");
  if (u->explicit_hash_key != NULL) {
    lua_pushlstring(L, u->explicit_hash_key, u->explicit_hash_key_len);
    lua_setfield(L, -2, "explicitPartitionKey");
  }
  lua_pushvalue(L, seq_idx);
  lua_setfield(L, -2, "sequenceNumber");
  if (rs->aggregated) {
    lua_pushinteger(L, (lua_Integer)u->sub_sequence_number);
    lua_setfield(L, -2, "subSequenceNumber");
    push_base64(L, u->data, u->data_len);
  } else {
    lua_pushvalue(L, data_idx);
  }
  lua_setfield(L, -2, "data");
}

/* sl.kpl.deaggregate(record): record is an event record ({ kinesis = {...} }) or its `kinesis` table. */
static int kpl_deaggregate(lua_State *L) {
  if (!lua_istable(L, 1)) return arg_error(L, "deaggregate", 1, "a record of the event (a table) expected");
  int k = 1;
  const char *where = "record.";
  if (lua_getfield(L, 1, "kinesis") == LUA_TTABLE) {
    k = lua_gettop(L);
    where = "record.kinesis.";
  }
  sl_kpl_record_t in = {0};
  size_t b64_len;
  in.partition_key = string_field(L, k, "partitionKey", 0, "deaggregate", where, &in.partition_key_len);
  in.explicit_hash_key = string_field(L, k, "explicitPartitionKey", 1, "deaggregate", where, &in.explicit_hash_key_len);
  const char *b64 = string_field(L, k, "data", 0, "deaggregate", where, &b64_len);
  int data_idx = lua_gettop(L);
  int seq_type = lua_getfield(L, k, "sequenceNumber");
  int seq_idx = lua_gettop(L);
  if (seq_type != LUA_TSTRING && seq_type != LUA_TNIL)
    return arg_error(L, "deaggregate", 1,
                     lua_pushfstring(L, "%ssequenceNumber must be a string or nil, not %s", where, luaL_typename(L, -1)));
  unsigned char *raw = lua_newuserdatauv(L, b64_len / 4 * 3 + 1, 0);
  sl_error_t err;
  char field[64];
  snprintf(field, sizeof field, "%sdata", where);
  if (sl_base64_decode(b64, b64_len, field, raw, &in.data_len, &err) != SL_OK)
    return arg_error(L, "deaggregate", 1, err.message);
  in.data = raw;
  sl_kpl_records_t *rs = new_box(L, sizeof *rs, records_mt, records_gc);
  if (sl_kpl_decode(&in, rs, &err) != SL_OK) return luaL_error(L, "sl.kpl.deaggregate: %s", err.message);
  lua_createtable(L, (int)rs->count, 0);
  for (size_t i = 0; i < rs->count; i++) {
    push_user_record(L, rs, i, seq_idx, data_idx);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  sl_kpl_records_free(rs);
  return 1;
}

/* --- aggregate -------------------------------------------------------------------------------------------- */

/* Finishes the builder's aggregate and appends { partition_key, explicit_hash_key, data, count } to the list
 * at list_idx. */
static void flush(lua_State *L, builder_box_t *box, int list_idx) {
  sl_error_t err;
  if (sl_kpl_builder_finish(box->builder, &box->aggregate, &err) != SL_OK)
    luaL_error(L, "sl.kpl.aggregate: %s", err.message);
  const sl_kpl_aggregate_t *a = &box->aggregate;
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, a->partition_key, a->partition_key_len);
  lua_setfield(L, -2, "partition_key");
  lua_pushlstring(L, a->explicit_hash_key, a->explicit_hash_key_len);
  lua_setfield(L, -2, "explicit_hash_key");
  lua_pushlstring(L, (const char *)a->data, a->len);
  lua_setfield(L, -2, "data");
  lua_pushinteger(L, (lua_Integer)a->count);
  lua_setfield(L, -2, "count");
  lua_rawseti(L, list_idx, (lua_Integer)lua_rawlen(L, list_idx) + 1);
  sl_kpl_aggregate_free(&box->aggregate);
}

/* The integer option `name` of the options table at 2 (absent: 0, the default); raises when not >= 1. */
static lua_Integer option(lua_State *L, const char *name) {
  if (lua_type(L, 2) != LUA_TTABLE || lua_getfield(L, 2, name) == LUA_TNIL) return 0;
  int is_int;
  lua_Integer v = lua_tointegerx(L, -1, &is_int);
  if (!is_int || v < 1) arg_error(L, "aggregate", 2, lua_pushfstring(L, "options.%s must be an integer >= 1", name));
  return v;
}

/* Reads list[i] (a table on top of the stack) into *r; raises naming the record and field at fault. */
static void read_user_record(lua_State *L, lua_Integer i, sl_kpl_record_t *r) {
  if (!lua_istable(L, -1))
    arg_error(L, "aggregate", 1, lua_pushfstring(L, "record %I must be a table, not %s", i, luaL_typename(L, -1)));
  int t = lua_gettop(L);
  const char *where = lua_pushfstring(L, "record %I: ", i);
  memset(r, 0, sizeof *r);
  r->partition_key = string_field(L, t, "partition_key", 0, "aggregate", where, &r->partition_key_len);
  r->data = string_field(L, t, "data", 0, "aggregate", where, &r->data_len);
  r->explicit_hash_key = string_field(L, t, "explicit_hash_key", 1, "aggregate", where, &r->explicit_hash_key_len);
}

/* sl.kpl.aggregate(records [, {max_size = 51200, max_count = 4294967295}]): a list of aggregates. */
static int kpl_aggregate(lua_State *L) {
  if (!lua_istable(L, 1)) return arg_error(L, "aggregate", 1, "a list of user records (a table) expected");
  if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2)) return arg_error(L, "aggregate", 2, "options must be a table or nil");
  sl_kpl_options_t options = {.max_size = (size_t)option(L, "max_size"), .max_count = (uint64_t)option(L, "max_count")};
  lua_settop(L, 2);
  builder_box_t *box = new_box(L, sizeof *box, builder_mt, builder_gc);
  sl_error_t err;
  if (sl_kpl_builder_new(&options, &box->builder, &err) != SL_OK) return arg_error(L, "aggregate", 2, err.message);
  lua_newtable(L);
  int list = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    sl_kpl_record_t r;
    lua_rawgeti(L, 1, i);
    read_user_record(L, i, &r);
    if (!sl_kpl_builder_fits(box->builder, &r)) flush(L, box, list);
    if (sl_kpl_builder_add(box->builder, &r, &err) != SL_OK)
      return arg_error(L, "aggregate", 1, lua_pushfstring(L, "record %I: %s", i, err.message));
    lua_settop(L, list);
  }
  if (sl_kpl_builder_count(box->builder) > 0) flush(L, box, list);
  return 1;
}

int sl_lua_kpl_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"deaggregate", kpl_deaggregate}, {"aggregate", kpl_aggregate}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
