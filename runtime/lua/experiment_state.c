/* experiment_state.c - the Lua state an experiment file runs in: standard libraries, the sl module with
 * sl.experiment, modules found next to the file and in shardlab's library, and a host whose clock is the
 * simulation's. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

#include "lua/experiment.h"

static double host_now(void *self) { return ((sl_experiment_host_t *)self)->now; }

static int host_sleep(lua_State *L, void *self, double seconds) {
  (void)self;
  (void)seconds;
  return luaL_error(L, "sl.sleep is for handlers: producers and experiment files run in no time of their own");
}

static void host_log(void *self, const char *line, size_t len) {
  (void)self;
  fprintf(stderr, "%.*s\n", (int)len, line);
}

lua_State *sl_experiment_state(sl_experiment_host_t *host, const char *dir) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  memset(host, 0, sizeof *host);
  host->host = (sl_lua_host_t){host_now, host_sleep, NULL, host_log, &host->rng, host};
  host->now = 1704067200.0; /* the default start of runs, 2024-01-01T00:00:00Z */
  sl_rng_seed(&host->rng, 1);
  sl_lua_set_host(L, &host->host);
  sl_lua_install(L);
  sl_lua_enable_experiments(L);
  sl_lua_set_path(L, dir, sl_lua_default_scripts_dir());
  return L;
}
