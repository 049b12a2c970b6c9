/* lua_json.c - owns the JSON <-> Lua conversion through jansson (see lua_json.h): the sl.json table
 * (encode, decode, null, array_mt) and the two converters used for events given as JSON and for responses.
 * Output is deterministic because encode sorts object keys by default (Lua tables have no insertion order).
 * Tables with integer keys that are not a sequence 1..n encode as objects whose keys are the integers in decimal
 * ({[2]=true} -> {"2":true}), as most Lua JSON libraries do; other non-string keys are errors. Lua strings are
 * bytes: they encode when they are valid UTF-8 (NUL included) and are an error otherwise. Reals print with 17
 * significant digits (jansson's default), so they decode back to the same double. Tables are read raw (no
 * __index, __pairs or other metamethod runs), so sl_json_from_lua cannot raise. */
#include "lua/lua_json.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char null_sentinel = 'n'; /* its address is sl.json.null */
static const char array_mt_key = 'a';  /* registry key of sl.json.array_mt */

void sl_json_push_null(lua_State *L) { lua_pushlightuserdata(L, (void *)&null_sentinel); }

int sl_json_is_null(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&null_sentinel;
}

/* Pushes the array_mt table, creating it on first use (may raise only on memory errors). */
static void push_array_mt(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "array");
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &array_mt_key);
  }
}

/* --- JSON to Lua ---------------------------------------------------------------------------------------- */

static void push_value(lua_State *L, const json_t *v, int depth) {
  if (depth > SL_JSON_MAX_DEPTH) luaL_error(L, "json: nesting deeper than %d", SL_JSON_MAX_DEPTH);
  luaL_checkstack(L, 3, "json: nesting too deep");
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    const char *key;
    json_t *item;
    lua_createtable(L, 0, (int)json_object_size(v));
    json_object_foreach((json_t *)v, key, item) {
      lua_pushstring(L, key);
      push_value(L, item, depth + 1);
      lua_rawset(L, -3);
    }
    break;
  }
  case JSON_ARRAY: {
    size_t i;
    json_t *item;
    lua_createtable(L, (int)json_array_size(v), 0);
    json_array_foreach(v, i, item) {
      push_value(L, item, depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    if (json_array_size(v) == 0) {
      push_array_mt(L);
      lua_setmetatable(L, -2);
    }
    break;
  }
  case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
  case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
  case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
  case JSON_TRUE: lua_pushboolean(L, 1); break;
  case JSON_FALSE: lua_pushboolean(L, 0); break;
  case JSON_NULL: sl_json_push_null(L); break;
  }
}

void sl_json_push(lua_State *L, const json_t *value) { push_value(L, value, 0); }

/* --- Lua to JSON ---------------------------------------------------------------------------------------- */

/* The path to the value being converted, "$.a[2].b". Kept short (a cycle would make it thousands of characters
 * long): a segment that does not fit becomes "..." so that the reason after the path stays readable. */
#define PATH_MAX_TEXT 160

typedef struct path_s {
  char text[PATH_MAX_TEXT + 4]; /* room for a final "..." */
  size_t len;
} path_t;

/* Appends ".key" or "[index]" to the path; returns the length to restore. */
static size_t path_push(path_t *p, const char *key, long long index) {
  size_t saved = p->len;
  char segment[PATH_MAX_TEXT + 1];
  int n = key != NULL ? snprintf(segment, sizeof segment, ".%s", key)
                      : snprintf(segment, sizeof segment, "[%lld]", index);
  if (n > 0 && p->len + (size_t)n <= PATH_MAX_TEXT) {
    memcpy(p->text + p->len, segment, (size_t)n + 1);
    p->len += (size_t)n;
  } else if (p->len < 3 || memcmp(p->text + p->len - 3, "...", 3) != 0) {
    memcpy(p->text + p->len, "...", 4);
    p->len += 3;
  }
  return saved;
}

static void path_pop(path_t *p, size_t saved) {
  p->len = saved;
  p->text[saved] = '\0';
}

typedef struct encode_s {
  lua_State *L;
  path_t path;
  char *err;
  size_t err_size;
} encode_t;

/* Records the first failure (the deepest one: inner calls fail first) and returns NULL. */
static json_t *fail(encode_t *e, const char *what) {
  if (e->err != NULL && e->err_size > 0 && e->err[0] == '\0')
    snprintf(e->err, e->err_size, "%s: %s", e->path.text, what);
  return NULL;
}

lua_Integer sl_json_sequence_length(lua_State *L, int idx) {
  lua_Integer count = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return -1;
    }
    if (lua_tointeger(L, -1) > max) max = lua_tointeger(L, -1);
    count++;
  }
  return count == max ? count : -1;
}

static json_t *encode(encode_t *e, int idx, int depth);

static json_t *encode_table(encode_t *e, int idx, int depth) {
  lua_State *L = e->L;
  lua_Integer n = sl_json_sequence_length(L, idx);
  int empty_array = 0;
  if (n == 0 && lua_getmetatable(L, idx)) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key); /* no allocation: never raises */
    empty_array = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  if (n > 0 || empty_array) {
    json_t *arr = json_array();
    if (arr == NULL) return fail(e, "out of memory");
    for (lua_Integer i = 1; i <= n; i++) {
      size_t saved = path_push(&e->path, NULL, (long long)i);
      lua_rawgeti(L, idx, i);
      json_t *item = encode(e, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
      path_pop(&e->path, saved);
      if (item == NULL || json_array_append_new(arr, item) != 0) {
        json_decref(arr);
        return item == NULL ? NULL : fail(e, "out of memory");
      }
    }
    return arr;
  }
  json_t *obj = json_object();
  if (obj == NULL) return fail(e, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    char number[32];
    const char *key;
    size_t key_len;
    if (lua_type(L, -2) == LUA_TSTRING) {
      key = lua_tolstring(L, -2, &key_len); /* a string key: no conversion, lua_next stays valid */
    } else if (lua_isinteger(L, -2)) {
      int n_len = snprintf(number, sizeof number, "%lld", (long long)lua_tointeger(L, -2));
      key = number;
      key_len = (size_t)n_len;
    } else {
      char what[64];
      snprintf(what, sizeof what, "a %s key cannot be encoded (keys are strings)", luaL_typename(L, -2));
      lua_pop(L, 2);
      json_decref(obj);
      return fail(e, what);
    }
    size_t saved = path_push(&e->path, key, 0);
    json_t *item = encode(e, lua_gettop(L), depth + 1);
    path_pop(&e->path, saved);
    lua_pop(L, 1);
    if (item == NULL || json_object_setn_new(obj, key, key_len, item) != 0) { /* steals item, even on failure */
      lua_pop(L, 1);
      json_decref(obj);
      return item == NULL ? NULL : fail(e, "object key is not valid UTF-8");
    }
  }
  return obj;
}

/* Plural name of a type that has no JSON form, for "functions cannot be encoded". */
static const char *plural_type(int type) {
  switch (type) {
  case LUA_TFUNCTION: return "functions";
  case LUA_TTHREAD: return "threads";
  case LUA_TLIGHTUSERDATA: return "light userdata (other than json.null)";
  case LUA_TUSERDATA: return "userdata";
  default: return "values of this type";
  }
}

static json_t *made(encode_t *e, json_t *v) { return v != NULL ? v : fail(e, "out of memory"); }

static json_t *encode(encode_t *e, int idx, int depth) {
  lua_State *L = e->L;
  if (depth > SL_JSON_MAX_DEPTH) {
    char what[64];
    snprintf(what, sizeof what, "nesting deeper than %d (a cycle?)", SL_JSON_MAX_DEPTH);
    return fail(e, what);
  }
  if (!lua_checkstack(L, 4)) return fail(e, "nesting too deep for the Lua stack");
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return made(e, json_null());
  case LUA_TBOOLEAN: return made(e, json_boolean(lua_toboolean(L, idx)));
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) return made(e, json_integer((json_int_t)lua_tointeger(L, idx)));
    if (!isfinite(lua_tonumber(L, idx))) return fail(e, "NaN and infinity cannot be encoded");
    return made(e, json_real(lua_tonumber(L, idx)));
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    json_t *v = json_stringn(s, len);
    return v != NULL ? v : fail(e, "string is not valid UTF-8");
  }
  case LUA_TTABLE: return encode_table(e, idx, depth);
  case LUA_TLIGHTUSERDATA:
    if (sl_json_is_null(L, idx)) return made(e, json_null());
    /* fall through */
  default: {
    char what[80];
    snprintf(what, sizeof what, "%s cannot be encoded", plural_type(lua_type(L, idx)));
    return fail(e, what);
  }
  }
}

json_t *sl_json_from_lua(lua_State *L, int idx, char *err, size_t err_size) {
  encode_t e = {L, {"$", 1}, err, err_size};
  if (err != NULL && err_size > 0) err[0] = '\0';
  int top = lua_gettop(L);
  json_t *v = encode(&e, lua_absindex(L, idx), 0);
  lua_settop(L, top); /* every path leaves the stack as it found it */
  if (v == NULL) fail(&e, "cannot be encoded"); /* a message even if some path forgot one */
  return v;
}

/* --- sl.json -------------------------------------------------------------------------------------------- */

/* encode(v [, {indent = 0..16, sort_keys = bool}]): compact with sorted keys unless told otherwise. */
static int json_encode_lua(lua_State *L) {
  lua_Integer indent = 0;
  int sort_keys = 1;
  if (!lua_isnoneornil(L, 2)) {
    if (lua_type(L, 2) != LUA_TTABLE)
      return luaL_error(L, "json.encode: options must be a table, got %s", luaL_typename(L, 2));
    lua_getfield(L, 2, "indent");
    if (!lua_isnil(L, -1)) {
      int ok = 0;
      indent = lua_tointegerx(L, -1, &ok);
      if (!ok || indent < 0 || indent > 16) return luaL_error(L, "json.encode: indent must be an integer from 0 to 16");
    }
    lua_getfield(L, 2, "sort_keys");
    if (!lua_isnil(L, -1)) {
      if (!lua_isboolean(L, -1)) return luaL_error(L, "json.encode: sort_keys must be a boolean");
      sort_keys = lua_toboolean(L, -1);
    }
  }
  size_t flags = JSON_ENCODE_ANY | (indent > 0 ? JSON_INDENT((size_t)indent) : JSON_COMPACT);
  if (sort_keys) flags |= JSON_SORT_KEYS;
  lua_settop(L, 1);
  char why[320];
  json_t *v = sl_json_from_lua(L, 1, why, sizeof why);
  if (v == NULL) return luaL_error(L, "json.encode: %s", why);
  char *text = json_dumps(v, flags);
  json_decref(v);
  if (text == NULL) return luaL_error(L, "json.encode: out of memory");
  lua_pushstring(L, text);
  free(text);
  return 1;
}

/* Runs under lua_pcall so that a depth error cannot longjmp past the json_decref in json_decode_lua. */
static int push_protected(lua_State *L) {
  sl_json_push(L, lua_touserdata(L, 1));
  return 1;
}

/* decode(s): the JSON text s (any value at top level, NUL allowed in strings) as a Lua value. */
static int json_decode_lua(lua_State *L) {
  if (lua_type(L, 1) != LUA_TSTRING)
    return luaL_error(L, "json.decode: expected a string, got %s", luaL_typename(L, 1));
  size_t len;
  const char *text = lua_tolstring(L, 1, &len);
  json_error_t jerr;
  json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (v == NULL) return luaL_error(L, "json.decode: line %d column %d: %s", jerr.line, jerr.column, jerr.text);
  lua_pushcfunction(L, push_protected);
  lua_pushlightuserdata(L, v);
  int status = lua_pcall(L, 1, 1, 0);
  json_decref(v); /* freed whether or not the conversion raised */
  if (status != LUA_OK) return lua_error(L);
  return 1;
}

int sl_json_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"encode", json_encode_lua}, {"decode", json_decode_lua}, {NULL, NULL}};
  luaL_newlib(L, fns);
  sl_json_push_null(L);
  lua_setfield(L, -2, "null");
  push_array_mt(L);
  lua_setfield(L, -2, "array_mt");
  return 1;
}
