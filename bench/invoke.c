/* invoke.c - benchmark of delivering records to a Lua handler: sl_env_invoke with batches of 100 records (the
 * event built in C on the Lua stack, context, timeout hook, response handling) against a pure-Lua loop in the
 * same run that builds the same event tables (base64 data precomputed, which favours the baseline) and calls
 * the same handler. Prints records/s both ways and the ratio. Target: >= 1.0x the pure-Lua rate.
 *
 * Usage: bench_invoke [BATCHES]   (default 20,000 batches of 100 records) */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shardlab/base64.h"
#include "shardlab/env.h"

#define BATCH 100
#define RUNS 3

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct batch_s {
  char keys[BATCH][24];
  char data[BATCH][101];
  char seqs[BATCH][64];
  sl_event_record_t records[BATCH];
} batch_t;

static void make_batch(batch_t *b) {
  for (int i = 0; i < BATCH; i++) {
    snprintf(b->keys[i], sizeof b->keys[i], "device-%d", i * 7919 % 1000);
    for (int j = 0; j < 100; j++) b->data[i][j] = (char)('a' + (i + j) % 26);
    b->data[i][100] = '\0';
    snprintf(b->seqs[i], sizeof b->seqs[i], "4959033827149025660855969253836157109592157598913658%04d", i);
    b->records[i] = (sl_event_record_t){b->keys[i], strlen(b->keys[i]), b->data[i], 100, b->seqs[i],
                                        1700000000000 + i};
  }
}

static double run_env(const char *handler, const batch_t *b, long batches) {
  sl_env_config_t c;
  sl_env_config_init(&c);
  c.handler_path = handler;
  c.timeout_s = 900;
  sl_env_t *env;
  sl_error_t err;
  if (sl_env_create(&c, 0, &env, &err) != SL_OK) {
    fprintf(stderr, "bench_invoke: %s\n", err.message);
    exit(1);
  }
  sl_event_source_t src = {"shardId-000000000000", "us-east-1",
                           "arn:aws:kinesis:us-east-1:123456789012:stream/bench",
                           "arn:aws:iam::123456789012:role/lambda-role"};
  sl_invocation_t inv = {&src, b->records, BATCH, NULL, 0, 0};
  sl_invoke_result_t res;
  sl_env_invoke(env, &inv, &res, &err); /* the cold start is not part of the measurement */
  sl_invoke_result_clear(&res);
  double t0 = now_s();
  for (long i = 0; i < batches; i++) {
    if (sl_env_invoke(env, &inv, &res, &err) != SL_OK || res.status != SL_INVOKE_SUCCESS) {
      fprintf(stderr, "bench_invoke: invocation failed: %s\n", res.error_json ? res.error_json : err.message);
      exit(1);
    }
    sl_invoke_result_clear(&res);
  }
  double t = now_s() - t0;
  sl_env_destroy(env);
  return t;
}

/* The baseline: the same tables built by Lua code, the same handler called directly. */
static const char baseline_lua[] =
    "local handler, keys, seqs, datas, batches = ...\n"
    "local n = #keys\n"
    "for b = 1, batches do\n"
    "  local records = {}\n"
    "  for i = 1, n do\n"
    "    records[i] = {\n"
    "      kinesis = { kinesisSchemaVersion = '1.0', partitionKey = keys[i], sequenceNumber = seqs[i],\n"
    "                  data = datas[i], approximateArrivalTimestamp = 1700000000 + i / 1000 },\n"
    "      eventSource = 'aws:kinesis', eventVersion = '1.0', eventID = 'shardId-000000000000:' .. seqs[i],\n"
    "      eventName = 'aws:kinesis:record', invokeIdentityArn = 'arn:aws:iam::123456789012:role/lambda-role',\n"
    "      awsRegion = 'us-east-1', eventSourceARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/bench' }\n"
    "  end\n"
    "  handler({ Records = records }, {})\n"
    "end\n";

static double run_baseline(const char *handler, const batch_t *b, long batches) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, baseline_lua, sizeof baseline_lua - 1, "=baseline") != LUA_OK ||
      luaL_dofile(L, handler) != LUA_OK) {
    fprintf(stderr, "bench_invoke: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  lua_createtable(L, BATCH, 0);
  lua_createtable(L, BATCH, 0);
  lua_createtable(L, BATCH, 0);
  for (int i = 0; i < BATCH; i++) {
    char b64[SL_BASE64_ENCODED_LEN(100) + 1];
    lua_pushstring(L, b->keys[i]);
    lua_rawseti(L, -4, i + 1);
    lua_pushstring(L, b->seqs[i]);
    lua_rawseti(L, -3, i + 1);
    lua_pushlstring(L, b64, sl_base64_encode(b->data[i], 100, b64));
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, batches);
  double t0 = now_s();
  if (lua_pcall(L, 5, 0, 0) != LUA_OK) {
    fprintf(stderr, "bench_invoke: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  double t = now_s() - t0;
  lua_close(L);
  return t;
}

int main(int argc, char **argv) {
  long batches = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  if (batches <= 0) {
    fprintf(stderr, "usage: %s [BATCHES]\n", argv[0]);
    return 2;
  }
  const char *handler = SHARDLAB_BENCH_DIR "/handlers/touch_records.lua";
  batch_t *b = malloc(sizeof *b);
  make_batch(b);
  double best_env = 1e300, best_lua = 1e300;
  for (int run = 0; run < RUNS; run++) {
    double t = run_baseline(handler, b, batches);
    if (t < best_lua) best_lua = t;
    t = run_env(handler, b, batches);
    if (t < best_env) best_env = t;
  }
  double records = (double)batches * BATCH;
  printf("bench_invoke: %ld batches of %d records, best of %d runs\n", batches, BATCH, RUNS);
  printf("  pure-Lua loop building the same events   %12.0f records/s\n", records / best_lua);
  printf("  sl_env_invoke (event built in C)         %12.0f records/s\n", records / best_env);
  printf("  ratio                                    %12.3f   (target >= 1.0)\n", best_lua / best_env);
  free(b);
  return 0;
}
