/* report_render.c - the diagnosis, HTML report and CSV files of a run's results, made by the Lua library
 * (scripts/shardlab/diagnose.lua and report.lua) in an experiment state of their own, for cli_report.c, which
 * prints and writes them (report_render.h). */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment.h"
#include "lua/lua_call.h"
#include "lua/lua_json.h"
#include "lua/report_render.h"

struct sl_report_render_s {
  sl_experiment_host_t host;  /* the state's host (the library's sl.now, sl.log) */
  lua_State *L;
  int list;                   /* stack index of the results' list */
  char *error;                /* why the last call failed (NULL: none did) */
};

static int push_json(lua_State *L) {
  sl_json_push(L, lua_touserdata(L, 1));
  return 1;
}

int sl_report_render_open(const json_t *experiments, sl_report_render_t **out, sl_error_t *err) {
  *out = NULL;
  sl_report_render_t *r = calloc(1, sizeof *r);
  if (r != NULL) r->L = sl_experiment_state(&r->host, "."); /* require looks in the current folder first */
  if (r == NULL || r->L == NULL) {
    free(r);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  lua_pushcfunction(r->L, push_json); /* protected: the conversion raises beyond its depth limit */
  lua_pushlightuserdata(r->L, (void *)experiments);
  if (lua_pcall(r->L, 1, 1, 0) != LUA_OK) {
    sl_error_set(err, SL_EINVAL, "the results cannot be Lua values: %s", lua_tostring(r->L, -1));
    sl_report_render_close(r);
    return SL_EINVAL;
  }
  r->list = lua_gettop(r->L);
  *out = r;
  return SL_OK;
}

void sl_report_render_close(sl_report_render_t *r) {
  if (r == NULL) return;
  lua_close(r->L);
  free(r->error);
  free(r);
}

const char *sl_report_render_error(const sl_report_render_t *r) { return r->error != NULL ? r->error : ""; }

static void keep_error(sl_report_render_t *r, const char *message) {
  free(r->error);
  r->error = strdup(message != NULL ? message : "(an error that is not a string)");
}

/* Calls require(module)[fn](arg) with arg at index arg; leaves its one result of type want, or keeps the
 * error (the stack back at its height before the call). 0 or -1. */
static int call(sl_report_render_t *r, int arg, const char *module, const char *fn, int want) {
  lua_State *L = r->L;
  int top = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  int ok = sl_env_pcall(L, 1, 1) == LUA_OK;
  if (ok) {
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    lua_pushvalue(L, arg);
    ok = sl_env_pcall(L, 1, 1) == LUA_OK;
  }
  if (!ok) {
    keep_error(r, lua_tostring(L, -1));
  } else if (lua_type(L, -1) != want) {
    lua_pushfstring(L, "%s.%s returned a %s, not a %s", module, fn, luaL_typename(L, -1), lua_typename(L, want));
    keep_error(r, lua_tostring(L, -1));
    ok = 0;
  }
  if (!ok) lua_settop(L, top);
  return ok ? 0 : -1;
}

/* The strings of the list at the top, from 1 to the first that is not one, as a JSON list (NULL: out of
 * memory). */
static json_t *string_list(lua_State *L) {
  json_t *lines = json_array();
  for (lua_Integer k = 1; lines != NULL && lua_rawgeti(L, -1, k) == LUA_TSTRING; k++) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (json_array_append_new(lines, json_stringn_nocheck(s, len)) != 0) {
      json_decref(lines);
      lines = NULL;
    }
    lua_pop(L, 1);
  }
  return lines; /* the caller resets the stack */
}

json_t *sl_report_render_diagnosis(sl_report_render_t *r, size_t i) {
  lua_State *L = r->L;
  int top = lua_gettop(L);
  lua_rawgeti(L, r->list, (lua_Integer)i + 1);
  json_t *lines = NULL;
  if (call(r, top + 1, "shardlab.diagnose", "lines", LUA_TTABLE) == 0) {
    lines = string_list(L);
    if (lines == NULL) keep_error(r, "out of memory");
  }
  lua_settop(L, top);
  return lines;
}

char *sl_report_render_html(sl_report_render_t *r, size_t *len) {
  lua_State *L = r->L;
  if (call(r, r->list, "shardlab.report", "html", LUA_TSTRING) != 0) return NULL;
  const char *html = lua_tolstring(L, -1, len);
  char *copy = malloc(*len + 1);
  if (copy != NULL) memcpy(copy, html, *len + 1);
  else keep_error(r, "out of memory");
  lua_pop(L, 1);
  return copy;
}

/* The entries {file = NAME, text = CSV} of the list at the top, to the first that is not a table. */
static json_t *csv_files(sl_report_render_t *r) {
  lua_State *L = r->L;
  json_t *files = json_array();
  for (lua_Integer k = 1; files != NULL && lua_rawgeti(L, -1, k) == LUA_TTABLE; k++) {
    lua_getfield(L, -1, "file");
    lua_getfield(L, -2, "text");
    size_t name_len, text_len;
    const char *name = lua_tolstring(L, -2, &name_len), *text = lua_tolstring(L, -1, &text_len);
    json_t *entry = name && text ? json_pack("{s:o,s:o}", "file", json_stringn_nocheck(name, name_len), "text",
                                             json_stringn_nocheck(text, text_len))
                                 : NULL;
    if (entry == NULL || json_array_append_new(files, entry) != 0) {
      keep_error(r, name && text ? "out of memory" : "shardlab.report.csv: an entry without a file name or text");
      json_decref(files);
      files = NULL;
    }
    lua_pop(L, 3);
  }
  return files; /* the caller resets the stack */
}

json_t *sl_report_render_csv(sl_report_render_t *r) {
  int top = lua_gettop(r->L);
  json_t *files = call(r, r->list, "shardlab.report", "csv", LUA_TTABLE) == 0 ? csv_files(r) : NULL;
  lua_settop(r->L, top);
  return files;
}
