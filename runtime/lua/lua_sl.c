/* lua_sl.c - the `sl` module: JSON, base64, MD5 and hash keys, KPL aggregation (lua_kpl.c), the host's clock
 * and log, a seeded random stream, and lazy loading of the Lua half of the library (scripts/shardlab/). */
#define _XOPEN_SOURCE 700 /* readlink, realpath (XSI), pthread_once */
#include "lua/lua_sl.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/lua_json.h"
#include "lua/lua_kpl.h"
#include "path.h"
#include "shardlab/base64.h"
#include "shardlab/hashkey.h"

static const char host_key = 'h';        /* registry keys: their addresses are unique */
static const char experiments_key = 'e';

/* Where the Lua half of the library (what scripts/ holds: shardlab/keys.lua, ...) is found. The first of these
 * wins, as lua finds package.path from LUA_PATH before its compiled-in prefix:
 *   1. $SHARDLAB_PATH, when set, not empty and under 4 KiB, taken as given (a folder laid out as scripts/ is);
 *   2. <folder of /proc/self/exe>/SHARDLAB_SCRIPTS_RELATIVE_DIR (../share/shardlab/scripts), when it holds
 *      shardlab/keys.lua: an installed binary uses the scripts installed with it, even after the prefix was
 *      moved, and never a source checkout that may be stale or gone;
 *   3. SHARDLAB_SCRIPTS_BUILD_DIR, the source tree's scripts/, when it holds shardlab/keys.lua: a binary run
 *      from its build tree (build/shardlab has no ../share beside it);
 *   4. SHARDLAB_SCRIPTS_INSTALL_DIR, the compiled-in install location, whether it exists or not.
 * Computed once, under pthread_once: environments are created from several threads (the real clock). */
#ifndef SHARDLAB_SCRIPTS_BUILD_DIR
#define SHARDLAB_SCRIPTS_BUILD_DIR "scripts"
#endif
#ifndef SHARDLAB_SCRIPTS_INSTALL_DIR
#define SHARDLAB_SCRIPTS_INSTALL_DIR "/usr/local/share/shardlab/scripts"
#endif
#ifndef SHARDLAB_SCRIPTS_RELATIVE_DIR
#define SHARDLAB_SCRIPTS_RELATIVE_DIR "../share/shardlab/scripts"
#endif
#define SL_SCRIPTS_DIR_SIZE 4096

static char default_scripts_dir[SL_SCRIPTS_DIR_SIZE];
static pthread_once_t scripts_dir_once = PTHREAD_ONCE_INIT;

/* Nonzero when dir/shardlab/keys.lua can be opened: dir holds the Lua library. */
static int holds_scripts(const char *dir) {
  char probe[SL_SCRIPTS_DIR_SIZE + 32];
  if ((size_t)snprintf(probe, sizeof probe, "%s/shardlab/keys.lua", dir) >= sizeof probe) return 0;
  FILE *f = fopen(probe, "r");
  if (f == NULL) return 0;
  fclose(f);
  return 1;
}

/* Writes <folder of the running executable>/SHARDLAB_SCRIPTS_RELATIVE_DIR into buf; 0 when unknown. */
static int scripts_dir_beside_exe(char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0 || (size_t)n >= size - 1) return 0;
  buf[n] = '\0';
  sl_path_dir(buf, size);
  size_t len = strlen(buf);
  if ((size_t)snprintf(buf + len, size - len, "/" SHARDLAB_SCRIPTS_RELATIVE_DIR) >= size - len) return 0;
  char *real = realpath(buf, NULL); /* bin/../share -> share, for the paths in Lua's messages */
  if (real == NULL) return 0;
  int fits = (size_t)snprintf(buf, size, "%s", real) < size;
  free(real);
  return fits;
}

static void find_scripts_dir(void) {
  char beside[SL_SCRIPTS_DIR_SIZE];
  const char *env = getenv("SHARDLAB_PATH");
  const char *found = SHARDLAB_SCRIPTS_INSTALL_DIR;
  if (env != NULL && env[0] != '\0' && strlen(env) < sizeof default_scripts_dir)
    found = env;
  else if (scripts_dir_beside_exe(beside, sizeof beside) && holds_scripts(beside))
    found = beside;
  else if (holds_scripts(SHARDLAB_SCRIPTS_BUILD_DIR))
    found = SHARDLAB_SCRIPTS_BUILD_DIR;
  snprintf(default_scripts_dir, sizeof default_scripts_dir, "%s", found);
}

const char *sl_lua_default_scripts_dir(void) {
  pthread_once(&scripts_dir_once, find_scripts_dir);
  return default_scripts_dir;
}

void sl_lua_set_path(lua_State *L, const char *dir, const char *scripts_dir) {
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s/?.lua;%s/?/init.lua", dir, dir, scripts_dir, scripts_dir);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
}

void sl_lua_enable_experiments(lua_State *L) {
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &experiments_key);
}

void sl_lua_push_experiments(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &experiments_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
}

/* sl.experiment{...}: records an experiment to run after the file has loaded. */
static int sl_experiment(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &experiments_key) != LUA_TTABLE)
    return luaL_error(L, "sl.experiment is only available in experiment files (shardlab run)");
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  return 0;
}

/* --- random: xoshiro256** seeded through splitmix64 ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void sl_rng_seed(sl_rng_t *rng, uint64_t seed) {
  for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sl_rng_next(sl_rng_t *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* --- host ----------------------------------------------------------------------------------------------- */

void sl_lua_set_host(lua_State *L, sl_lua_host_t *host) {
  lua_pushlightuserdata(L, host);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &host_key);
}

sl_lua_host_t *sl_lua_get_host(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &host_key);
  sl_lua_host_t *host = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return host;
}

static sl_lua_host_t *get_host(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &host_key);
  sl_lua_host_t *host = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (host == NULL) luaL_error(L, "sl: this Lua state has no host (internal error)");
  return host;
}

/* --- functions ------------------------------------------------------------------------------------------ */

static int sl_md5_hex(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  unsigned char d[16];
  char hex[33];
  sl_md5(s, len, d);
  for (int i = 0; i < 16; i++) {
    hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
  }
  lua_pushlstring(L, hex, 32);
  return 1;
}

static int sl_hash_key(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char dec[SL_HASHKEY_DECIMAL_SIZE];
  size_t n = sl_hashkey_format(sl_hashkey_of(s, len), dec);
  lua_pushlstring(L, dec, n);
  return 1;
}

/* sl.shard_range(n, i): the even split's StartingHashKey and EndingHashKey of shard i (0-based) of a new
 * stream of n shards, as decimal strings (Lua integers cannot hold 128 bits). */
static int sl_shard_range(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1), i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n >= 1 && n <= 10000, 1, "shard count must be between 1 and 10000");
  luaL_argcheck(L, i >= 0 && i < n, 2, "shard index must be between 0 and n-1");
  sl_hashkey_t start, end;
  char buf[SL_HASHKEY_DECIMAL_SIZE];
  sl_hashkey_even_range((uint32_t)n, (uint32_t)i, &start, &end);
  lua_pushlstring(L, buf, sl_hashkey_format(start, buf));
  lua_pushlstring(L, buf, sl_hashkey_format(end, buf));
  return 2;
}

static int sl_b64_encode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, SL_BASE64_ENCODED_LEN(len) + 1);
  luaL_pushresultsize(&b, sl_base64_encode(s, len, out));
  return 1;
}

static int sl_b64_decode(lua_State *L) {
  size_t len, out_len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, len / 4 * 3 + 1);
  sl_error_t err;
  if (sl_base64_decode(s, len, "base64.decode: input", out, &out_len, &err) != SL_OK)
    return luaL_error(L, "%s", err.message);
  luaL_pushresultsize(&b, out_len);
  return 1;
}

static int sl_now(lua_State *L) {
  sl_lua_host_t *h = get_host(L);
  lua_pushnumber(L, h->now(h->self));
  return 1;
}

static int sl_sleep_woke(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  sl_lua_host_t *h = get_host(L);
  if (h->woke != NULL) h->woke(L, h->self);
  return 0;
}

static int sl_sleep(lua_State *L) {
  double seconds = luaL_checknumber(L, 1);
  luaL_argcheck(L, seconds >= 0 && isfinite(seconds), 1, "seconds must be a finite number >= 0");
  sl_lua_host_t *h = get_host(L);
  lua_settop(L, 0);
  if (h->sleep(L, h->self, seconds)) return lua_yieldk(L, 0, 0, sl_sleep_woke);
  return 0;
}

/* Joins the arguments with tabs, as print does, and hands the line to the host's log. */
static int sl_log(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *line = lua_tolstring(L, -1, &len);
  sl_lua_host_t *h = get_host(L);
  if (h->log != NULL) h->log(h->self, line, len);
  return 0;
}

static int sl_random_int(lua_State *L) {
  lua_Integer a = luaL_checkinteger(L, 1), b = luaL_checkinteger(L, 2);
  luaL_argcheck(L, a <= b, 2, "interval is empty (a > b)");
  sl_lua_host_t *h = get_host(L);
  uint64_t span = (uint64_t)b - (uint64_t)a; /* b - a, without signed overflow */
  uint64_t r;
  if (span == UINT64_MAX) {
    r = sl_rng_next(h->rng);
  } else {
    /* Rejection sampling: unbiased for any span. */
    uint64_t range = span + 1, limit = UINT64_MAX - UINT64_MAX % range;
    do r = sl_rng_next(h->rng);
    while (r >= limit);
    r %= range;
  }
  lua_pushinteger(L, (lua_Integer)((uint64_t)a + r));
  return 1;
}

static int sl_random_float(lua_State *L) {
  sl_lua_host_t *h = get_host(L);
  lua_pushnumber(L, (double)(sl_rng_next(h->rng) >> 11) * 0x1.0p-53);
  return 1;
}

/* __index of the module: sl.keys -> require("shardlab.keys"), cached in the module table. */
static int sl_lazy_index(lua_State *L) {
  const char *name = luaL_checkstring(L, 2);
  lua_getglobal(L, "require");
  lua_pushfstring(L, "shardlab.%s", name);
  lua_call(L, 1, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, 1, name);
  return 1;
}

int sl_luaopen_shardlab(lua_State *L) {
  static const luaL_Reg fns[] = {{"md5", sl_md5_hex}, {"hash_key", sl_hash_key}, {"now", sl_now},
                                 {"sleep", sl_sleep},  {"log", sl_log},           {"shard_range", sl_shard_range},
                                 {"experiment", sl_experiment}, {NULL, NULL}};
  static const luaL_Reg b64[] = {{"encode", sl_b64_encode}, {"decode", sl_b64_decode}, {NULL, NULL}};
  static const luaL_Reg rnd[] = {{"int", sl_random_int}, {"float", sl_random_float}, {NULL, NULL}};
  luaL_newlib(L, fns);
  sl_json_open(L);
  lua_setfield(L, -2, "json");
  luaL_newlib(L, b64);
  lua_setfield(L, -2, "base64");
  luaL_newlib(L, rnd);
  lua_setfield(L, -2, "random");
  sl_lua_kpl_open(L);
  lua_setfield(L, -2, "kpl");
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, sl_lazy_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  return 1;
}

void sl_lua_install(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, sl_luaopen_shardlab);
  lua_setfield(L, -2, "shardlab");
  lua_pop(L, 1);
  lua_pushcfunction(L, sl_log);
  lua_setglobal(L, "print");
}
