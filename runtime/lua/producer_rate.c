/* producer_rate.c - rates that vary in time (producer_rate.h): a producer's rate function or sl.workload read
 * at load, bounded and described, and called in the experiment's Lua state whenever the simulation asks for the
 * rate at a time (sim_arrivals.c thins Poisson arrivals under the bound, or spaces fixed ones by it). */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua/env_internal.h" /* sl_env_pcall */
#include "lua/experiment_ctx.h"
#include "lua/lua_json.h"
#include "lua/producer_rate.h"

#define SAMPLE_US 10000     /* a plain function is sampled every 10 ms ... */
#define MAX_SAMPLES 1000000 /* ... or at this many evenly spaced times over a long duration */

/* Calls the function referenced by ref with t seconds; *rate, or an error with Lua's message (file:line). */
static int call_rate(lua_State *L, const sl_producer_rate_t *pr, const char *path, double t, double *rate,
                     sl_error_t *err) {
  int top = lua_gettop(L);
  sl_experiment_host_t *host = (sl_experiment_host_t *)sl_lua_get_host(L);
  double saved = host ? host->now : 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, pr->ref);
  lua_pushnumber(L, t);
  int status = sl_env_pcall(L, 1, 1), rc = SL_OK;
  const char *what = pr->where;
  if (status != LUA_OK)
    rc = sl_error_set(err, SL_EINVAL, "%s.rate (%s) at %.3f s: %s", path, what, t, lua_tostring(L, -1));
  else if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) || !isfinite(lua_tonumber(L, -1)))
    rc = sl_error_set(err, SL_EINVAL, "%s.rate (%s) at %.3f s returned %s: a rate is a number of records per second, "
                      "at least 0", path, what, t, lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
  else
    *rate = lua_tonumber(L, -1);
  if (host) host->now = saved;
  lua_settop(L, top);
  return rc;
}

/* A workload table (its metatable's __name is "shardlab.workload"): rate_at, max_rate, integral. */
static int read_workload(lua_State *L, int w, const char *path, sl_producer_config_t *pc, sl_producer_rate_t *pr,
                         sl_error_t *err) {
  lua_getfield(L, w, "max_rate");
  double max = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, w, "rate_at") != LUA_TFUNCTION || !(max > 0) || !isfinite(max)) {
    lua_pop(L, 1);
    return sl_error_set(err, SL_EINVAL, "%s.rate: this workload has no rate_at function or no max_rate above 0", path);
  }
  pr->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  if (lua_getfield(L, w, "integral") == LUA_TFUNCTION)
    pr->integral_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  else
    lua_pop(L, 1);
  pr->bounded = 1;
  pc->rate = max;
  lua_getfield(L, w, "kind");
  snprintf(pr->where, sizeof pr->where, "sl.workload.%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  char why[256];
  json_t *d = json_pack("{s:s}", "kind", lua_isstring(L, -1) ? lua_tostring(L, -1) : "workload"), *params = NULL;
  lua_pop(L, 1);
  if (lua_getfield(L, w, "params") == LUA_TTABLE && (params = sl_json_from_lua(L, -1, why, sizeof why)) != NULL)
    json_object_update(d, params);
  json_decref(params);
  lua_pop(L, 1);
  pr->described = d;
  return SL_OK;
}

int sl_producer_rate_read(lua_State *L, int idx, const char *path, sl_producer_config_t *pc, sl_producer_rate_t *pr,
                          sl_error_t *err) {
  pr->ref = pr->integral_ref = LUA_NOREF;
  pc->rate_at = sl_producer_rate_at;
  int t = lua_getfield(L, idx, "rate"), rc = SL_OK;
  int has_max = lua_getfield(L, idx, "max_rate") != LUA_TNIL;
  double max = lua_tonumber(L, -1);
  int max_ok = lua_type(L, -1) == LUA_TNUMBER && max > 0 && isfinite(max);
  lua_pop(L, 1);
  if (t == LUA_TTABLE && luaL_getmetafield(L, -1, "__name") == LUA_TSTRING &&
      strcmp(lua_tostring(L, -1), "shardlab.workload") == 0) {
    lua_pop(L, 1);
    rc = has_max ? sl_error_set(err, SL_EINVAL, "%s.max_rate is for a rate function: a workload carries its own",
                                path)
                 : read_workload(L, lua_gettop(L), path, pc, pr, err);
  } else if (t == LUA_TFUNCTION) {
    lua_Debug ar;
    lua_pushvalue(L, -1);
    lua_getinfo(L, ">S", &ar);
    snprintf(pr->where, sizeof pr->where, "function at %s:%d", ar.short_src, ar.linedefined);
    pr->described = json_pack("{s:s,s:s,s:s}", "kind", "function", "defined_at", pr->where + strlen("function at "),
                              "bound", has_max ? "max_rate" : "sampled every 10 ms");
    if (has_max && !max_ok)
      rc = sl_error_set(err, SL_EINVAL, "%s.max_rate must be a number above 0 (records per second)", path);
    pr->bounded = has_max;
    pc->rate = has_max ? max : 0;
    if (rc == SL_OK) {
      lua_pushvalue(L, -1);
      pr->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
  } else {
    rc = sl_error_set(err, SL_EINVAL, "%s.rate must be records per second: a number, a function of t (seconds since "
                      "the start) or an sl.workload", path);
  }
  lua_pop(L, 1);
  return rc;
}

/* A plain function over the duration: the most (when no bound is given, or checked against it) and the mean. */
static int sample(lua_State *L, const char *path, int64_t duration_us, sl_producer_config_t *pc,
                  sl_producer_rate_t *pr, double *mean, sl_error_t *err) {
  int64_t n = duration_us / SAMPLE_US + 1;
  double step = SAMPLE_US;
  if (n > MAX_SAMPLES) n = MAX_SAMPLES, step = (double)duration_us / (MAX_SAMPLES - 1);
  double most = 0, sum = 0, rate = 0;
  for (int64_t k = 0; k < n; k++) {
    double t = (double)k * step / 1e6;
    int rc = call_rate(L, pr, path, t, &rate, err);
    if (rc != SL_OK) return rc;
    if (pr->bounded && rate > pc->rate)
      return sl_error_set(err, SL_EINVAL, "%s.rate (%s) at %.3f s is %g, above its max_rate %g", path, pr->where, t,
                          rate, pc->rate);
    if (k < n - 1 || n == 1) sum += rate; /* the mean over [0, duration): the last sample is its end */
    if (rate > most) most = rate;
  }
  if (!pr->bounded && most <= 0)
    return sl_error_set(err, SL_EINVAL, "%s.rate (%s) is 0 at every 10 ms of the duration: a producer needs some "
                        "rate (give max_rate when its peaks are shorter than 10 ms)", path, pr->where);
  if (!pr->bounded) pc->rate = most;
  *mean = sum / (double)(n > 1 ? n - 1 : 1);
  return SL_OK;
}

int sl_producer_rate_finish(lua_State *L, const char *path, int64_t duration_us, sl_producer_config_t *pc,
                            sl_producer_rate_t *pr, sl_error_t *err) {
  double mean = 0, d = (double)duration_us / 1e6;
  int rc = SL_OK;
  if (pr->integral_ref != LUA_NOREF) { /* a workload: its exact mean */
    sl_producer_rate_t integral = *pr;
    integral.ref = pr->integral_ref;
    rc = call_rate(L, &integral, path, d, &mean, err);
    mean /= d;
  } else {
    rc = sample(L, path, duration_us, pc, pr, &mean, err);
  }
  if (rc != SL_OK) return rc;
  json_object_set_new(pr->described, "max", json_real(pc->rate));
  json_object_set_new(pr->described, "mean", json_real(mean));
  return SL_OK;
}

int sl_producer_rate_at(void *ctx, uint32_t p, int64_t t_us, double *rate, sl_error_t *err) {
  run_ctx_t *c = ctx;
  char path[32];
  snprintf(path, sizeof path, "producers[%u]", p + 1);
  return call_rate(c->L, &c->e->rates[p], path, (double)t_us / 1e6, rate, err);
}

void sl_producer_rate_free(lua_State *L, sl_producer_rate_t *pr) {
  if (pr->ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, pr->ref);
  if (pr->integral_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, pr->integral_ref);
  json_decref(pr->described);
  pr->ref = pr->integral_ref = LUA_NOREF;
  pr->described = NULL;
}
