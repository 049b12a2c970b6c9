/* producer_rate.h - a producer's `rate` when it varies in time (docs/experiments.md "Rates over time"): a Lua
 * function of t or an sl.workload (scripts/shardlab/workload.lua), read at load with the bound the simulation
 * draws arrivals under (a workload's exact max_rate, the producer's max_rate, or the most of the function
 * sampled every 10 ms over the duration), called as the simulation's rate_at, and described in the results'
 * config.producer_rates. Private to the Lua layer. */
#ifndef SHARDLAB_PRODUCER_RATE_H
#define SHARDLAB_PRODUCER_RATE_H

#include <jansson.h>
#include <lua.h>

#include "shardlab/error.h"
#include "shardlab/sim.h"

typedef struct sl_producer_rate_s {
  int ref;             /* registry reference of the rate function (a workload's rate_at), or LUA_NOREF */
  int integral_ref;    /* a workload's integral(t) (records over [0, t]), or LUA_NOREF */
  int bounded;         /* the bound is given (a workload's max_rate, the producer's max_rate): not sampled */
  char where[192];     /* what errors name: "function at file.lua:12", "sl.workload.bursty" */
  json_t *described;   /* the results' config.producer_rates entry: kind and parameters at read, max and mean
                        * added by sl_producer_rate_finish */
} sl_producer_rate_t;

/* The producer table at idx has a rate that is a function or a table: reads it (and max_rate) into pc (rate:
 * the bound so far, rate_at) and pr. Errors start with path ("producers[1].rate ..."). */
int sl_producer_rate_read(lua_State *L, int idx, const char *path, sl_producer_config_t *pc, sl_producer_rate_t *pr,
                          sl_error_t *err);
/* Once the duration is known: samples a plain function every 10 ms over [0, duration] (at most 1,000,000
 * samples, evenly spaced) for its bound (unless given) and mean, refusing a function that raises, gives a rate
 * that is not a number >= 0 or goes over its max_rate; a workload's mean from its integral; sets described. */
int sl_producer_rate_finish(lua_State *L, const char *path, int64_t duration_us, sl_producer_config_t *pc,
                            sl_producer_rate_t *pr, sl_error_t *err);
/* The simulation's rate_at (sim.h): ctx is the running experiment (experiment_ctx.h). */
int sl_producer_rate_at(void *ctx, uint32_t p, int64_t t_us, double *rate, sl_error_t *err);
void sl_producer_rate_free(lua_State *L, sl_producer_rate_t *pr);

#endif
