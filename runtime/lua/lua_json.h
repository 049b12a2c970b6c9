/* lua_json.h - JSON <-> Lua values through jansson, for sl.json and for events and responses.
 *
 * Mapping: objects <-> tables with string keys; arrays <-> sequences 1..n; JSON null <-> the sentinel
 * sl.json.null (a light userdata, so it survives in tables where nil could not); true/false <-> booleans;
 * integers that fit lua_Integer <-> integers, other numbers <-> floats. An empty table encodes as {} unless it
 * carries the metatable sl.json.array_mt, then as []. A table is an array when its keys are exactly 1..n
 * (n >= 1). Nesting is capped at SL_JSON_MAX_DEPTH both ways. */
#ifndef SHARDLAB_LUA_JSON_H
#define SHARDLAB_LUA_JSON_H

#include <jansson.h>
#include <lua.h>

#define SL_JSON_MAX_DEPTH 200

/* Pushes the Lua value of a JSON value. Raises a Lua error beyond the depth limit. */
void sl_json_push(lua_State *L, const json_t *value);

/* Converts the Lua value at idx to a new JSON value (caller owns the reference). On failure returns NULL and,
 * when err is not NULL, writes a message naming the path to the bad value ("$.a[2].b: functions cannot be
 * encoded") into err (size err_size). Does not raise. */
json_t *sl_json_from_lua(lua_State *L, int idx, char *err, size_t err_size);

/* Pushes the sentinel that stands for JSON null. */
void sl_json_push_null(lua_State *L);

/* For the table at idx (an absolute index): n when its keys are exactly 1..n, 0 when it is empty, -1
 * otherwise. Raw access: no metamethod runs. */
lua_Integer sl_json_sequence_length(lua_State *L, int idx);

/* Nonzero when the value at idx is the null sentinel. */
int sl_json_is_null(lua_State *L, int idx);

/* Pushes the table { encode = ..., decode = ..., null = ..., array_mt = ... } that becomes sl.json.
 * encode(v [, {indent = n, sort_keys = bool}]) returns a string or raises "json.encode: <path>: <reason>";
 * decode(s) returns the value or raises "json.decode: line L column C: <jansson's message>". */
int sl_json_open(lua_State *L);

#endif
