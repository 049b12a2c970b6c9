/* lua_response.c - reads a handler's return value the way the event source mapping does (lua_response.h):
 * success, a partial batch failure from batchItemFailures, or a whole-batch failure. Raw access only, so no
 * metamethod of the handler's runs and nothing raises. */
#include "lua/lua_response.h"

#include <lauxlib.h>

#include <stdio.h>
#include <string.h>

#include "lua/lua_json.h"
#include "shardlab/seqnum.h"

/* The batch index of id, or -1. The batch is in sequence order, so a binary search finds it; a linear scan
 * backs it up should a caller pass sequence numbers out of order (it only runs when the search misses). */
static long long find_sequence(const char *const *seqs, size_t count, const char *id, size_t len) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = sl_seqnum_compare_text(seqs[mid], id); /* Lua strings end in NUL */
    if (c == 0) return (long long)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t k = 0; k < count; k++)
    if (strlen(seqs[k]) == len && memcmp(seqs[k], id, len) == 0) return (long long)k;
  return -1;
}

static int absent(lua_State *L, int idx) { return lua_isnil(L, idx) || sl_json_is_null(L, idx); }

/* The value at the top (an entry of batchItemFailures, number i): its batch index, or -1 with a reason. */
static long long entry_index(lua_State *L, long long i, const char *const *seqs, size_t count, char *why, size_t size) {
  int entry = lua_gettop(L);
  if (lua_type(L, entry) != LUA_TTABLE) {
    snprintf(why, size, "batchItemFailures[%lld] is a %s, not an object", i, luaL_typename(L, entry));
    return -1;
  }
  lua_pushliteral(L, "itemIdentifier");
  lua_rawget(L, entry);
  long long found = -1;
  if (absent(L, -1)) {
    snprintf(why, size, "batchItemFailures[%lld].itemIdentifier is missing (a wrong key name?)", i);
  } else if (lua_type(L, -1) != LUA_TSTRING) {
    snprintf(why, size, "batchItemFailures[%lld].itemIdentifier is a %s, not a string", i, luaL_typename(L, -1));
  } else {
    size_t len;
    const char *id = lua_tolstring(L, -1, &len);
    if (len == 0) {
      snprintf(why, size, "batchItemFailures[%lld].itemIdentifier is empty", i);
    } else {
      found = find_sequence(seqs, count, id, len);
      if (found < 0)
        snprintf(why, size, "batchItemFailures[%lld].itemIdentifier '%.60s' is not a sequence number of this batch",
                 i, id);
    }
  }
  lua_pop(L, 1);
  return found;
}

void sl_response_read(lua_State *L, int idx, int report_batch_item_failures, const char *const *sequence_numbers,
                      size_t count, sl_response_t *out) {
  memset(out, 0, sizeof *out);
  out->kind = SL_RESPONSE_SUCCESS;
  if (!report_batch_item_failures) return;
  int top = lua_gettop(L);
  idx = lua_absindex(L, idx);
  if (absent(L, idx)) return;
  if (!lua_checkstack(L, 8)) { /* does not raise; fails only when the stack cannot grow */
    out->kind = SL_RESPONSE_BATCH_FAILURE;
    snprintf(out->reason, sizeof out->reason, "the response cannot be read: the Lua stack is full");
    return;
  }
  if (lua_type(L, idx) != LUA_TTABLE) {
    out->kind = SL_RESPONSE_BATCH_FAILURE;
    snprintf(out->reason, sizeof out->reason, "the response is a %s, not an object", luaL_typename(L, idx));
    return;
  }
  lua_pushliteral(L, "batchItemFailures");
  lua_rawget(L, idx);
  int list = lua_gettop(L);
  long long n = 0;
  if (absent(L, list)) {
    /* success */
  } else if (lua_type(L, list) != LUA_TTABLE || (n = sl_json_sequence_length(L, list)) < 0) {
    out->kind = SL_RESPONSE_BATCH_FAILURE;
    snprintf(out->reason, sizeof out->reason, "batchItemFailures is a %s, not a list",
             lua_type(L, list) == LUA_TTABLE ? "table with other keys" : luaL_typename(L, list));
  } else {
    long long lowest = -1;
    for (long long i = 1; i <= n; i++) {
      lua_rawgeti(L, list, i);
      long long k = entry_index(L, i, sequence_numbers, count, out->reason, sizeof out->reason);
      lua_pop(L, 1);
      if (k < 0) {
        out->kind = SL_RESPONSE_BATCH_FAILURE;
        break;
      }
      if (lowest < 0 || k < lowest) lowest = k;
    }
    if (out->kind != SL_RESPONSE_BATCH_FAILURE && lowest >= 0) {
      out->kind = SL_RESPONSE_PARTIAL;
      out->lowest_failed = (size_t)lowest;
    }
  }
  lua_settop(L, top);
}
