/* dispatch.c - benchmark of records delivered through the whole dispatcher (bench/dispatch.lua: producer in
 * Lua, stream, readers, slots, batches of 100, handler environments) to a handler that reads every record's key
 * and data, against, in the same run, the pure-Lua loop of bench_invoke that builds the same event tables from
 * ready strings and calls the same handler. Target: >= 0.8x. Usage: bench_dispatch */
#define _POSIX_C_SOURCE 200809L

#include <lauxlib.h> /* the pure-Lua baseline */
#include <lualib.h>
#include <string.h>

#include "run_experiment.h"

/* The pure-Lua baseline: N records in batches of 100, events built in Lua from ready strings. */
static double baseline(long records) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  static const char code[] =
      "local handler, batches = ...\n"
      "local keys, seqs, datas = {}, {}, {}\n"
      "for i = 1, 100 do keys[i] = 'device-' .. i; seqs[i] = string.rep('4', 52) .. string.format('%04d', i);\n"
      "  datas[i] = string.rep('eHh4', 34) end\n"
      "for b = 1, batches do\n"
      "  local records = {}\n"
      "  for i = 1, 100 do\n"
      "    records[i] = { kinesis = { kinesisSchemaVersion = '1.0', partitionKey = keys[i], sequenceNumber = seqs[i],\n"
      "                               data = datas[i], approximateArrivalTimestamp = 1700000000 + i / 1000 },\n"
      "      eventSource = 'aws:kinesis', eventVersion = '1.0', eventID = 'shardId-000000000000:' .. seqs[i],\n"
      "      eventName = 'aws:kinesis:record', invokeIdentityArn = 'arn:aws:iam::123456789012:role/r',\n"
      "      awsRegion = 'us-east-1', eventSourceARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }\n"
      "  end\n"
      "  handler({ Records = records }, {})\n"
      "end\n";
  if (luaL_loadbuffer(L, code, sizeof code - 1, "=baseline") != LUA_OK ||
      luaL_dofile(L, SHARDLAB_BENCH_DIR "/handlers/touch_records.lua") != LUA_OK) {
    fprintf(stderr, "bench_dispatch: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  lua_pushinteger(L, records / 100);
  double t0 = sl_clock_mono_s();
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "bench_dispatch: %s\n", lua_tostring(L, -1));
    exit(1);
  }
  double t = sl_clock_mono_s() - t0;
  lua_close(L);
  return t;
}

int main(void) {
  double seconds;
  json_t *s = bench_run_file(SHARDLAB_BENCH_DIR, SHARDLAB_BENCH_DIR "/dispatch.lua", &seconds);
  long records = (long)json_integer_value(json_object_get(s, "records_delivered"));
  double base = baseline(records);
  printf("bench_dispatch: %ld records through the dispatcher to a handler reading key and data\n", records);
  printf("  pure-Lua loop, ready strings, same handler   %12.0f records/s\n", records / base);
  printf("  shardlab run (producer to handler)           %12.0f records/s\n", records / seconds);
  printf("  ratio                                        %12.3f   (target >= 0.8)\n", base / seconds);
  json_decref(s);
  return 0;
}
