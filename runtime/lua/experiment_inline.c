/* experiment_inline.c - sl.run{...}: an experiment run from inside an experiment file, so a script can search
 * settings (the smallest PF that keeps iterator age under a second, say) and assert on results. Its results are
 * returned as Lua tables and kept for the report with the file's declared experiments. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment.h"
#include "lua/lua_json.h"
#include "lua/lua_sl.h"

static const char runs_key = 'r'; /* registry: the list of JSON texts of sl.run results */

typedef struct run_options_s {
  sl_run_settings_t settings;
  uint32_t count;  /* runs so far, to name unnamed ones */
} run_options_t;

void sl_experiment_apply(sl_experiment_t *e, const sl_run_settings_t *s) {
  if (s->have_seed) e->sim.seed = e->env.seed = s->seed;
  e->env.clock = s->clock;
  e->workers = s->workers;
  e->progress = s->progress;
  e->progress_ctx = s->progress_ctx;
  e->handle_signals = s->handle_signals;
  e->sim.stop = s->stop; /* the virtual clock's stop flag (a signal) */
}

static int push_json(lua_State *L) {
  sl_json_push(L, lua_touserdata(L, 1));
  return 1;
}

static int sl_run(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *dir = lua_tostring(L, lua_upvalueindex(1));
  run_options_t *o = lua_touserdata(L, lua_upvalueindex(2));
  sl_experiment_t e;
  sl_error_t err;
  json_t *result = NULL;
  int rc = sl_experiment_read(L, 1, dir, ++o->count, &e, &err);
  if (rc == SL_OK) sl_experiment_apply(&e, &o->settings);
  if (rc == SL_OK) rc = sl_experiment_run(L, &e, &result, &err);
  sl_experiment_free(L, &e);
  if (rc != SL_OK) return luaL_error(L, "sl.run: %s", err.message);
  char *text = json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
  /* Kept for the report; converted in a protected call so the JSON value is freed whatever happens. */
  lua_pushcfunction(L, push_json);
  lua_pushlightuserdata(L, result);
  int status = lua_pcall(L, 1, 1, 0);
  json_decref(result);
  if (status != LUA_OK || text == NULL) {
    free(text);
    return lua_error(L);
  }
  sl_experiment_push_runs(L);
  lua_pushstring(L, text);
  free(text);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
  return 1;
}

void sl_experiment_push_runs(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &runs_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &runs_key);
  }
}

void sl_experiment_enable_run(lua_State *L, const char *dir, const sl_run_settings_t *settings) {
  luaL_requiref(L, "shardlab", sl_luaopen_shardlab, 0);
  lua_pushstring(L, dir);
  run_options_t *o = lua_newuserdatauv(L, sizeof *o, 0);
  memset(o, 0, sizeof *o);
  o->settings = *settings;
  lua_pushcclosure(L, sl_run, 2);
  lua_setfield(L, -2, "run");
  lua_pop(L, 1);
}
