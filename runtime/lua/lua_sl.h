/* lua_sl.h - the `sl` module (require("shardlab")) available in handler, producer and experiment states.
 *
 * The module's clock, log and random stream depend on who runs the state, so each state carries a host,
 * stored in the Lua registry (as Redis keeps its run context), that the module's functions consult. */
#ifndef SHARDLAB_LUA_SL_H
#define SHARDLAB_LUA_SL_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

/* xoshiro256** state behind sl.random: fast, small, and the same sequence on every machine. */
typedef struct sl_rng_s {
  uint64_t s[4];
} sl_rng_t;

void sl_rng_seed(sl_rng_t *rng, uint64_t seed);
uint64_t sl_rng_next(sl_rng_t *rng);

typedef struct sl_lua_host_s {
  /* Current time in seconds since the epoch (virtual or real). */
  double (*now)(void *self);
  /* Waits, or adds simulated time; may raise a Lua error (a timeout). Returns nonzero to have sl.sleep yield
   * instead (the real clock parks the invocation), and then calls woke when it is resumed. */
  int (*sleep)(lua_State *L, void *self, double seconds);
  void (*woke)(lua_State *L, void *self);  /* NULL when sleep never yields */
  /* One log line from sl.log or print, without newline. */
  void (*log)(void *self, const char *line, size_t len);
  sl_rng_t *rng;  /* the stream sl.random draws from */
  void *self;     /* passed back to the callbacks */
} sl_lua_host_t;

/* The folder holding the Lua library (what scripts/ holds): $SHARDLAB_PATH when set; else the scripts installed
 * beside the binary (<its folder>/../share/shardlab/scripts); else the source tree it was built from; else the
 * compiled-in install folder. Computed once (lua_sl.c has the details). */
const char *sl_lua_default_scripts_dir(void);

/* Sets package.path to look next to `dir` (the script's own folder) first, then in scripts_dir. */
void sl_lua_set_path(lua_State *L, const char *dir, const char *scripts_dir);

/* Makes sl.experiment{...} append its table to a list kept in the registry (experiment states only). */
void sl_lua_enable_experiments(lua_State *L);
/* Pushes that list (a sequence of experiment tables). */
void sl_lua_push_experiments(lua_State *L);

/* The state's host (NULL when none was set). */
sl_lua_host_t *sl_lua_get_host(lua_State *L);

/* Installs host for the state (the pointer must outlive the state's use of sl). */
void sl_lua_set_host(lua_State *L, sl_lua_host_t *host);

/* Registers require("shardlab") (package.preload) and replaces print with the host's log. */
void sl_lua_install(lua_State *L);

/* The module loader: sl.json, sl.base64, sl.md5, sl.hash_key, sl.kpl, sl.now, sl.sleep, sl.random, sl.log; other
 * names (sl.keys, sl.workloads, ...) load lazily from scripts/shardlab/NAME.lua. */
int sl_luaopen_shardlab(lua_State *L);

#endif
