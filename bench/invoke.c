/* invoke.c - benchmark of delivering records to a Lua handler: sl_env_invoke with batches of 100 records (the
 * event built in C on the Lua stack, context, timeout hook, response handling) against a pure-Lua loop in the
 * same run that builds the same event tables and calls the same handler. Two baselines:
 *   (a) strings ready: the loop reuses precomputed base64 data and sequence-number strings, so it creates no
 *       string per record: the cheapest possible event, a bound no real delivery reaches;
 *   (b) from raw data: as (a), but the loop base64-encodes each record's raw data when it builds the event
 *       (through the same C encoder), as any delivery must; sequence numbers are still reused.
 * Prints records/s for each and the ratios. Target: >= 1.0x the pure-Lua rate.
 *
 * Usage: bench_invoke [BATCHES]   (default 20,000 batches of 100 records) */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shardlab/clock.h"
#include "shardlab/base64.h"
#include "shardlab/env.h"

#define BATCH 100
#define RUNS 3

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
  sl_invocation_t inv = {&src, b->records, BATCH, NULL, 0, 0, NULL};
  sl_invoke_result_t res;
  sl_env_invoke(env, &inv, &res, &err); /* the cold start is not part of the measurement */
  sl_invoke_result_clear(&res);
  double t0 = sl_clock_mono_s();
  for (long i = 0; i < batches; i++) {
    if (sl_env_invoke(env, &inv, &res, &err) != SL_OK || res.status != SL_INVOKE_SUCCESS) {
      fprintf(stderr, "bench_invoke: invocation failed: %s\n", res.error_json ? res.error_json : err.message);
      exit(1);
    }
    sl_invoke_result_clear(&res);
  }
  double t = sl_clock_mono_s() - t0;
  sl_env_destroy(env);
  return t;
}

/* The baseline: the same tables built by Lua code, the same handler called directly. */
static const char baseline_lua[] =
    "local handler, keys, seqs, datas, batches, encode = ...\n"
    "local n = #keys\n"
    "for b = 1, batches do\n"
    "  local records = {}\n"
    "  for i = 1, n do\n"
    "    local seq, data = seqs[i], datas[i]\n"
    "    if encode then data = encode(data) end\n"
    "    records[i] = {\n"
    "      kinesis = { kinesisSchemaVersion = '1.0', partitionKey = keys[i], sequenceNumber = seq,\n"
    "                  data = data, approximateArrivalTimestamp = 1700000000 + i / 1000 },\n"
    "      eventSource = 'aws:kinesis', eventVersion = '1.0', eventID = 'shardId-000000000000:' .. seq,\n"
    "      eventName = 'aws:kinesis:record', invokeIdentityArn = 'arn:aws:iam::123456789012:role/lambda-role',\n"
    "      awsRegion = 'us-east-1', eventSourceARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/bench' }\n"
    "  end\n"
    "  handler({ Records = records }, {})\n"
    "end\n";

static int encode_lua(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char out[SL_BASE64_ENCODED_LEN(1024) + 1];
  if (len > 1024) return luaL_error(L, "too long");
  lua_pushlstring(L, out, sl_base64_encode(s, len, out));
  return 1;
}

/* raw: nonzero for baseline (b), which base64-encodes the raw data as it builds each event. */
static double run_baseline(const char *handler, const batch_t *b, long batches, int raw) {
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
    if (raw)
      lua_pushlstring(L, b->data[i], 100);
    else
      lua_pushlstring(L, b64, sl_base64_encode(b->data[i], 100, b64));
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, batches);
  if (raw)
    lua_pushcfunction(L, encode_lua);
  else
    lua_pushnil(L);
  double t0 = sl_clock_mono_s();
  if (lua_pcall(L, 6, 0, 0) != LUA_OK) {
    fprintf(stderr, "bench_invoke: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  double t = sl_clock_mono_s() - t0;
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
  double best_env = 1e300, best_lua = 1e300, best_raw = 1e300;
  for (int run = 0; run < RUNS; run++) {
    double t = run_baseline(handler, b, batches, 0);
    if (t < best_lua) best_lua = t;
    t = run_baseline(handler, b, batches, 1);
    if (t < best_raw) best_raw = t;
    t = run_env(handler, b, batches);
    if (t < best_env) best_env = t;
  }
  double records = (double)batches * BATCH;
  printf("bench_invoke: %ld batches of %d records, best of %d runs\n", batches, BATCH, RUNS);
  printf("  (a) pure-Lua loop, strings ready          %12.0f records/s\n", records / best_lua);
  printf("  (b) pure-Lua loop, from raw data          %12.0f records/s\n", records / best_raw);
  printf("  sl_env_invoke (event built in C)          %12.0f records/s\n", records / best_env);
  printf("  ratio to (a)                              %12.3f   (target >= 1.0)\n", best_lua / best_env);
  printf("  ratio to (b)                              %12.3f\n", best_raw / best_env);
  free(b);
  return 0;
}
