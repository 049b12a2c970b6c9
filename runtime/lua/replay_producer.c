/* replay_producer.c - sl.replay{...} producers in a running experiment (replay.h): the entry read at load (its
 * file resolved beside the experiment file and read, the schedule handed to the simulation), each record put
 * again as it was recorded or with rekey(r)'s partition key and explicit hash key, and the results' account of
 * it. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/replay.h"

static char *copy(const char *s) {
  char *out = malloc(strlen(s) + 1);
  return out ? strcpy(out, s) : NULL;
}

static char *beside(const char *dir, const char *file) {
  size_t len = strlen(dir) + strlen(file) + 2;
  char *out = malloc(len);
  if (out != NULL && file[0] == '/')
    snprintf(out, len, "%s", file);
  else if (out != NULL)
    snprintf(out, len, "%s/%s", dir, file);
  return out;
}

int sl_replay_read(lua_State *L, int idx, const char *dir, const char *path, sl_replay_t **out,
                   sl_producer_config_t *pc, sl_error_t *err) {
  *out = NULL;
  sl_replay_t *rp = calloc(1, sizeof *rp);
  if (rp == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  rp->rekey_ref = LUA_NOREF;
  lua_getfield(L, idx, "file");
  lua_getfield(L, idx, "format");
  lua_getfield(L, idx, "speed");
  const char *file = lua_tostring(L, -3), *format = lua_tostring(L, -2);
  rp->speed = lua_tonumber(L, -1);
  rp->format = strcmp(format, "csv") == 0 ? SL_REPLAY_CSV : strcmp(format, "jsonl") == 0 ? SL_REPLAY_JSONL
                                                                                          : SL_REPLAY_GET_RECORDS;
  rp->file = copy(file);
  rp->path = beside(dir, file);
  lua_pop(L, 3);
  if (rp->file == NULL || rp->path == NULL) {
    sl_replay_free(rp);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  sl_error_t why;
  if (sl_replay_load(rp, &why) != SL_OK) {
    sl_replay_free(rp);
    return sl_error_set(err, why.code, "%s (sl.replay): %s", path, why.message);
  }
  if (lua_getfield(L, idx, "rekey") == LUA_TFUNCTION)
    rp->rekey_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  else
    lua_pop(L, 1);
  *pc = (sl_producer_config_t){.rate = 1, .schedule = rp->schedule, .schedule_count = rp->count};
  *out = rp;
  return SL_OK;
}

/* rekey(r) -> partition_key [, explicit_hash_key], copied into *buf. */
static int rekey(lua_State *L, const sl_replay_t *rp, uint32_t p, const sl_replay_record_t *r, sl_produced_t *out,
                 char **buf, size_t *buf_cap, sl_error_t *err) {
  int top = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, rp->rekey_ref);
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, r->key, r->key_len);
  lua_setfield(L, -2, "partition_key");
  lua_pushlstring(L, (const char *)r->data, r->data_len);
  lua_setfield(L, -2, "data");
  lua_pushnumber(L, (double)r->arrival_us / 1e6);
  lua_setfield(L, -2, "arrival");
  if (r->explicit_hash_key) {
    lua_pushstring(L, r->explicit_hash_key);
    lua_setfield(L, -2, "explicit_hash_key");
  }
  char at[64];
  snprintf(at, sizeof at, rp->format == SL_REPLAY_GET_RECORDS ? "Records[%u]" : "line %u", r->where);
  int rc = SL_OK;
  if (sl_env_pcall(L, 1, 2) != LUA_OK)
    rc = sl_error_set(err, SL_EINVAL, "producers[%u].rekey (%s %s): %s", p + 1, rp->file, at, lua_tostring(L, -1));
  else if (lua_type(L, top + 1) != LUA_TSTRING)
    rc = sl_error_set(err, SL_EINVAL, "producers[%u].rekey (%s %s) returned %s as the partition key: it must return "
                      "a string key [, an explicit hash key]", p + 1, rp->file, at, luaL_typename(L, top + 1));
  else if (!lua_isnil(L, top + 2) && lua_type(L, top + 2) != LUA_TSTRING)
    rc = sl_error_set(err, SL_EINVAL, "producers[%u].rekey (%s %s) returned %s as the explicit hash key: it must be "
                      "a decimal string", p + 1, rp->file, at, luaL_typename(L, top + 2));
  size_t kl = 0, hl = 0;
  const char *k = rc == SL_OK ? lua_tolstring(L, top + 1, &kl) : NULL, *h = rc == SL_OK ? lua_tolstring(L, top + 2, &hl) : NULL;
  if (rc == SL_OK && kl + hl + 2 > *buf_cap) {
    char *b = realloc(*buf, kl + hl + 2);
    if (b == NULL) {
      rc = sl_error_set(err, SL_ENOMEM, "out of memory");
    } else {
      *buf = b;
      *buf_cap = kl + hl + 2;
    }
  }
  if (rc == SL_OK) {
    memcpy(*buf, k, kl);
    (*buf)[kl] = '\0';
    if (h) memcpy(*buf + kl + 1, h, hl + 1);
    out->key = *buf;
    out->key_len = kl;
    out->explicit_hash_key = h ? *buf + kl + 1 : NULL;
  }
  lua_settop(L, top);
  return rc;
}

int sl_replay_produce(lua_State *L, const sl_replay_t *rp, uint32_t p, uint64_t i, sl_produced_t *out, char **buf,
                      size_t *buf_cap, sl_error_t *err) {
  if (i < 1 || i > rp->count)
    return sl_error_set(err, SL_EINVAL, "producers[%u]: record %llu asked of a replay of %zu records", p + 1,
                        (unsigned long long)i, rp->count);
  const sl_replay_record_t *r = &rp->records[i - 1];
  *out = (sl_produced_t){r->key, r->key_len, r->data, r->data_len, r->explicit_hash_key};
  return rp->rekey_ref == LUA_NOREF ? SL_OK : rekey(L, rp, p, r, out, buf, buf_cap, err);
}

json_t *sl_replay_json(const sl_replay_t *rp, int64_t duration_us) {
  static const char *const formats[] = {"get-records", "jsonl", "csv"};
  size_t due = 0;
  while (due < rp->count && rp->schedule[due] < duration_us) due++;
  return json_pack("{s:s,s:s,s:s,s:f,s:I,s:f,s:f,s:b}", "kind", "replay", "file", rp->file, "format",
                   formats[rp->format], "speed", rp->speed, "records", (json_int_t)rp->count, "span",
                   (double)sl_replay_span_us(rp) / 1e6, "mean", (double)due * 1e6 / (double)duration_us, "rekey",
                   rp->rekey_ref != LUA_NOREF);
}

void sl_replay_destroy(lua_State *L, sl_replay_t *rp) {
  if (rp == NULL) return;
  if (rp->rekey_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, rp->rekey_ref);
  sl_replay_free(rp);
}
