/* cli_report.c - what `shardlab run` makes of its results besides the summary table: the diagnosis lines at
 * the end of the terminal output, the HTML report (--report) and the CSV files (--csv). The work is done by
 * the Lua library (scripts/shardlab/diagnose.lua and report.lua) on the results as `--json` writes them; this
 * file runs it and writes the files. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_report.h"
#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/experiment.h"
#include "lua/lua_json.h"

/* Calls require(module)[fn](experiments) with the results at the top; leaves its one result. */
static int call(lua_State *L, int experiments, const char *module, const char *fn) {
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  if (sl_env_pcall(L, 1, 1) != LUA_OK) return -1;
  lua_getfield(L, -1, fn);
  lua_remove(L, -2);
  lua_pushvalue(L, experiments);
  return sl_env_pcall(L, 1, 1) == LUA_OK ? 0 : -1;
}

static int write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "shardlab run: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int ok = fwrite(text, 1, len, f) == len;
  if (fclose(f) != 0 || !ok) {
    fprintf(stderr, "shardlab run: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

static void print_diagnosis(lua_State *L, int experiments) {
  size_t n = lua_rawlen(L, experiments);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, experiments, (lua_Integer)i);
    lua_getfield(L, -1, "name");
    printf("\n%s: what limited it\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    int one = lua_gettop(L);
    if (call(L, one, "shardlab.diagnose", "lines") != 0) {
      fprintf(stderr, "shardlab run: diagnosis: %s\n", lua_tostring(L, -1));
    } else {
      for (lua_Integer k = 1; lua_rawgeti(L, -1, k) == LUA_TSTRING; k++) {
        printf("  - %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    lua_settop(L, one - 1);
  }
}

static int write_csv(lua_State *L, int experiments, const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "shardlab run: --csv: cannot create %s: %s\n", dir, strerror(errno));
    return -1;
  }
  if (call(L, experiments, "shardlab.report", "csv") != 0) {
    fprintf(stderr, "shardlab run: --csv: %s\n", lua_tostring(L, -1));
    return -1;
  }
  int rc = 0;
  for (lua_Integer k = 1; rc == 0 && lua_rawgeti(L, -1, k) == LUA_TTABLE; k++) {
    lua_getfield(L, -1, "file");
    lua_getfield(L, -2, "text");
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, lua_tostring(L, -2));
    rc = write_file(path, text, len);
    lua_pop(L, 3);
  }
  return rc;
}

int sl_cli_report(json_t *experiments, const sl_report_request_t *r) {
  sl_experiment_host_t host;
  lua_State *L = sl_experiment_state(&host, ".");
  if (L == NULL) {
    fprintf(stderr, "shardlab run: out of memory\n");
    return -1;
  }
  sl_json_push(L, experiments);
  int list = lua_gettop(L), rc = 0;
  if (r->diagnose) print_diagnosis(L, list);
  if (r->html_path != NULL) {
    if (call(L, list, "shardlab.report", "html") != 0) {
      fprintf(stderr, "shardlab run: --report: %s\n", lua_tostring(L, -1));
      rc = -1;
    } else {
      size_t len;
      const char *html = lua_tolstring(L, -1, &len);
      rc = write_file(r->html_path, html, len);
    }
    lua_settop(L, list);
  }
  if (rc == 0 && r->csv_dir != NULL) rc = write_csv(L, list, r->csv_dir);
  lua_close(L);
  return rc;
}
