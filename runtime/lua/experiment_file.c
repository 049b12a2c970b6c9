/* experiment_file.c - an experiment file loaded once for its callers (experiment_file.h): the state it runs in,
 * its top level in a protected call with a traceback, the declarations it made, and each declared experiment
 * read, run, or started on a shared driver by number. Serves the command line and the benchmarks, which need
 * no Lua C API of their own. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "lua/experiment.h"
#include "lua/experiment_file.h"
#include "lua/lua_call.h"
#include "path.h"

/* A declared experiment: read on demand, started under serve. */
typedef struct slot_s {
  sl_experiment_t e;         /* valid while read is set */
  int read;
  sl_experiment_run_t *run;  /* started by sl_experiment_file_serve, until finished */
} slot_t;

struct sl_experiment_file_s {
  char *path;
  char *dir;                   /* the file's folder: relative paths in it start there */
  sl_experiment_host_t host;   /* the state's host (sl.now, sl.random, sl.log) */
  lua_State *L;
  int have_settings;           /* settings apply (and sl.run is defined) */
  sl_run_settings_t settings;
  char *error;                 /* why the load failed (NULL: it did not) */
  json_t *inline_results;      /* what sl.run returned, in order */
  size_t count;                /* experiments declared */
  slot_t *slots;               /* count of them */
};

/* Keeps the error message at the top of the stack. */
static int load_failed(sl_experiment_file_t *f) {
  const char *message = lua_tostring(f->L, -1);
  f->error = strdup(message != NULL ? message : "(an error that is not a string)");
  lua_pop(f->L, 1);
  return f->error != NULL ? SL_EINVAL : SL_ENOMEM;
}

/* After the top level: the results of sl.run (kept as JSON texts) and the declarations. */
static int collect(sl_experiment_file_t *f) {
  lua_State *L = f->L;
  f->inline_results = json_array();
  if (f->inline_results == NULL) return SL_ENOMEM;
  sl_experiment_push_runs(L);
  size_t runs = lua_rawlen(L, -1);
  for (size_t i = 1; i <= runs; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i);
    json_t *r = json_loads(lua_tostring(L, -1), 0, NULL);
    if (r != NULL) json_array_append_new(f->inline_results, r);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  sl_lua_push_experiments(L);
  f->count = lua_rawlen(L, -1);
  lua_pop(L, 1);
  f->slots = calloc(f->count > 0 ? f->count : 1, sizeof *f->slots);
  return f->slots != NULL ? SL_OK : SL_ENOMEM;
}

/* A file record with its path, its folder and a fresh experiment state; NULL when out of memory. */
static sl_experiment_file_t *new_file(const char *path) {
  sl_experiment_file_t *f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->path = strdup(path);
  f->dir = strdup(path);
  if (f->dir != NULL) sl_path_dir(f->dir, strlen(f->dir) + 1);
  if (f->path != NULL && f->dir != NULL) f->L = sl_experiment_state(&f->host, f->dir);
  if (f->L == NULL) {
    sl_experiment_file_close(f);
    return NULL;
  }
  return f;
}

int sl_experiment_file_open(const char *path, const sl_run_settings_t *settings, sl_experiment_file_t **out) {
  *out = NULL;
  sl_experiment_file_t *f = new_file(path);
  if (f == NULL) return SL_ENOMEM;
  if (settings != NULL) {
    f->have_settings = 1;
    f->settings = *settings;
    sl_experiment_enable_run(f->L, f->dir, settings);
  }
  int loaded = luaL_loadfilex(f->L, path, "t") == LUA_OK && sl_env_pcall(f->L, 0, 0) == LUA_OK;
  int rc = loaded ? collect(f) : load_failed(f);
  if (rc == SL_ENOMEM) {
    sl_experiment_file_close(f);
    return SL_ENOMEM;
  }
  *out = f;
  return rc;
}

const char *sl_experiment_file_error(const sl_experiment_file_t *f) { return f->error != NULL ? f->error : ""; }

/* Frees what experiment i holds: its run (unfinished: cleaned up as failed) and what was read. */
static void release(sl_experiment_file_t *f, size_t i) {
  slot_t *s = &f->slots[i];
  if (s->run != NULL) {
    json_t *result;
    sl_error_t err;
    sl_experiment_finish(s->run, SL_EINVAL, &result, &err);
    s->run = NULL;
  }
  if (s->read) sl_experiment_free(f->L, &s->e);
  s->read = 0;
}

void sl_experiment_file_close(sl_experiment_file_t *f) {
  if (f == NULL) return;
  for (size_t i = 0; f->slots != NULL && i < f->count; i++) release(f, i);
  free(f->slots);
  json_decref(f->inline_results);
  if (f->L != NULL) lua_close(f->L);
  free(f->error);
  free(f->dir);
  free(f->path);
  free(f);
}

size_t sl_experiment_file_count(const sl_experiment_file_t *f) { return f->count; }

json_t *sl_experiment_file_inline_results(const sl_experiment_file_t *f) { return f->inline_results; }

static int no_such(const sl_experiment_file_t *f, size_t i, sl_error_t *err) {
  return sl_error_set(err, SL_EINVAL, "%s declares %zu experiments: there is no experiment %zu", f->path,
                      f->count, i + 1);
}

int sl_experiment_file_read(sl_experiment_file_t *f, size_t i, sl_error_t *err) {
  if (i >= f->count) return no_such(f, i, err);
  slot_t *s = &f->slots[i];
  if (s->read) return SL_OK;
  sl_lua_push_experiments(f->L);
  lua_rawgeti(f->L, -1, (lua_Integer)i + 1);
  int rc = sl_experiment_read(f->L, -1, f->dir, (uint32_t)i + 1, &s->e, err);
  lua_pop(f->L, 2);
  if (rc != SL_OK) {
    sl_experiment_free(f->L, &s->e); /* what it read before the field at fault */
    return rc;
  }
  if (f->have_settings) sl_experiment_apply(&s->e, &f->settings);
  s->read = 1;
  return SL_OK;
}

int sl_experiment_file_check(sl_experiment_file_t *f, size_t i, sl_error_t *err) {
  int rc = sl_experiment_file_read(f, i, err);
  if (rc == SL_OK && !f->slots[i].e.handler_checked) rc = sl_experiment_check(&f->slots[i].e, err);
  return rc;
}

int sl_experiment_file_run(sl_experiment_file_t *f, size_t i, json_t **result, sl_error_t *err) {
  *result = NULL;
  int rc = sl_experiment_file_read(f, i, err);
  if (rc == SL_OK) rc = sl_experiment_run(f->L, &f->slots[i].e, result, err);
  if (i < f->count) release(f, i);
  return rc;
}

int sl_experiment_file_info(const sl_experiment_file_t *f, size_t i, sl_experiment_info_t *out) {
  if (i >= f->count || !f->slots[i].read) return SL_EINVAL;
  const sl_experiment_t *e = &f->slots[i].e;
  out->name = e->name;
  out->stream = e->sim.stream;
  out->producer_count = e->sim.producer_count;
  out->data_dir = e->data_dir;
  out->efo_count = 0;
  for (uint32_t k = 0; k < e->mapping_count && out->efo_count < 32; k++)
    if (e->mappings[k].config.consumer == SL_CONSUMER_EFO) out->efo_names[out->efo_count++] = e->mappings[k].name;
  return SL_OK;
}

int sl_experiment_file_serve(sl_experiment_file_t *f, size_t i, sl_real_t *driver, sl_stream_t *served,
                             sl_error_t *err) {
  int rc = sl_experiment_file_read(f, i, err);
  if (rc != SL_OK) return rc;
  slot_t *s = &f->slots[i];
  if (s->run != NULL) return sl_error_set(err, SL_EINVAL, "experiment '%s' is started already", s->e.name);
  s->e.sim.duration_us = INT64_MAX / 4; /* consumes until stopped */
  s->e.env.clock = SL_CLOCK_REAL;
  return sl_experiment_start(f->L, &s->e, driver, served, &s->run, err);
}

int sl_experiment_file_finish(sl_experiment_file_t *f, size_t i, int rc, json_t **result, sl_error_t *err) {
  *result = NULL;
  if (i >= f->count || f->slots[i].run == NULL) return SL_EINVAL;
  rc = sl_experiment_finish(f->slots[i].run, rc, result, err);
  f->slots[i].run = NULL;
  return rc;
}

/* --- opened for its first experiment (route --stream) ------------------------------------------------------ */

/* What sl.run raises in a file opened by sl_experiment_file_open_first: the top level stops there. */
static const char first_stop[] = "shardlab: the file's first experiment is found (sl.run is not run here)";

/* sl.run{...} when only the first experiment is wanted: the table is declared instead of run (after those
 * sl.experiment declared before it) and the top level stops, since what follows may use the run's results. */
static int run_declares(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  sl_lua_push_experiments(L);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  *(int *)lua_touserdata(L, lua_upvalueindex(1)) = 1;
  lua_pushstring(L, first_stop);
  return lua_error(L);
}

int sl_experiment_file_open_first(const char *path, sl_experiment_file_t **out) {
  *out = NULL;
  sl_experiment_file_t *f = new_file(path);
  if (f == NULL) return SL_ENOMEM;
  luaL_requiref(f->L, "shardlab", sl_luaopen_shardlab, 0);
  int *stopped = lua_newuserdatauv(f->L, sizeof *stopped, 0);
  *stopped = 0;
  lua_pushcclosure(f->L, run_declares, 1);
  lua_setfield(f->L, -2, "run");
  lua_pop(f->L, 1);
  int status = luaL_loadfilex(f->L, path, "t");
  if (status == LUA_OK) status = sl_env_pcall(f->L, 0, 0);
  const char *message = status != LUA_OK ? lua_tostring(f->L, -1) : NULL;
  if (*stopped && message != NULL && strncmp(message, first_stop, sizeof first_stop - 1) == 0) {
    lua_pop(f->L, 1); /* stopped at its first sl.run, as intended */
    status = LUA_OK;
  }
  int rc = status == LUA_OK ? collect(f) : load_failed(f);
  if (rc == SL_ENOMEM) {
    sl_experiment_file_close(f);
    return SL_ENOMEM;
  }
  *out = f;
  return rc;
}
