/* parallel.c - benchmark of the real clock's parallelism: K CPU-bound invocations on K slots (K = the
 * machine's cores, as many as the default workers) against, in the same run, the same Lua loop run once on one
 * thread. With true parallelism the K invocations take about as long as one; serialized they would take K
 * times as long. The work is calibrated to about 200 ms on one thread. Usage: bench_parallel [K] */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h> /* the plain Lua state of the single-thread loop */
#include <lualib.h>
#include <stdlib.h>
#include <uv.h>

#include "run_experiment.h"

/* Seconds the handler's loop takes for n iterations in a plain Lua state on this thread. */
static double single(long n) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  static const char code[] = "local n, x = ..., 0 for i = 1, n do x = x + i % 7 end return x";
  if (luaL_loadbuffer(L, code, sizeof code - 1, "=single") != LUA_OK) exit(1);
  lua_pushinteger(L, n);
  double t0 = sl_clock_mono_s();
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) exit(1);
  double t = sl_clock_mono_s() - t0;
  lua_close(L);
  return t;
}

int main(int argc, char **argv) {
  unsigned k = argc > 1 ? (unsigned)atoi(argv[1]) : uv_available_parallelism();
  if (k < 1 || k > 10) k = 2;
  long n = 1000000;
  double t = single(n);
  n = (long)((double)n * 0.2 / t); /* about 200 ms */
  double one = single(n);
  char work[32], slots[8];
  snprintf(work, sizeof work, "%ld", n);
  snprintf(slots, sizeof slots, "%u", k);
  setenv("SHARDLAB_BENCH_WORK", work, 1);
  setenv("SHARDLAB_BENCH_SLOTS", slots, 1);
  double seconds;
  json_t *s = bench_run_file_on(SHARDLAB_BENCH_DIR, SHARDLAB_BENCH_DIR "/parallel.lua", SL_CLOCK_REAL, &seconds);
  long invocations = (long)json_integer_value(json_object_get(s, "invocations"));
  long concurrency = (long)json_integer_value(json_object_get(s, "max_concurrency"));
  printf("bench_parallel: %u CPU-bound invocations of %ld loop iterations on %u slots (real clock)\n", k, n, k);
  printf("  one loop, plain Lua state, one thread        %8.0f ms\n", one * 1000);
  printf("  %ld invocations at once (max concurrency %ld)  %8.0f ms of wall time, whole run\n", invocations,
         concurrency, seconds * 1000);
  printf("  serialized would take                        %8.0f ms\n", k * one * 1000);
  printf("  speedup                                      %8.2fx   (ideal %u.00x)\n", k * one / seconds, k);
  json_decref(s);
  return 0;
}
