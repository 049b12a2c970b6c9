/* test_lua_kpl.c - sl.kpl in Lua: aggregate then deaggregate gives the records back in aws-kinesis-agg's shape
 * (from an event record or its kinesis table), a plain record comes back alone without subSequenceNumber,
 * max_size splits, and bad arguments raise errors naming the argument and the field. (tests/cli/test_kpl.sh
 * checks the same calls against aws-kinesis-agg itself.) */
#include "test_lua_support.h"

#include "lua/lua_sl.h"

static lua_State *kpl_state(void) {
  lua_State *L = test_lua();
  sl_lua_install(L);
  test_run(L, "sl = require('shardlab')");
  return L;
}

/* Runs code in a fresh state with sl loaded; fails the test on a Lua error. */
static void run(const char *code) {
  lua_State *L = kpl_state();
  test_run(L, code);
  lua_close(L);
}

static void round_trip_in_node_shape(void **state) {
  (void)state;
  run("local aggs = sl.kpl.aggregate({ { partition_key = 'a', data = 'one' },\n"
      "  { partition_key = 'b', data = '\\0\\255', explicit_hash_key = '7' }, { partition_key = 'a', data = '' } })\n"
      "assert(#aggs == 1 and aggs[1].count == 3 and aggs[1].partition_key == 'a')\n"
      "assert(aggs[1].explicit_hash_key == sl.hash_key('a'))\n"
      "assert(aggs[1].data:sub(1, 4) == '\\xF3\\x89\\x9A\\xC2')\n"
      "local k = { partitionKey = 'a', sequenceNumber = '49', data = sl.base64.encode(aggs[1].data) }\n"
      "for _, arg in ipairs({ k, { kinesis = k } }) do\n"
      "  local u = sl.kpl.deaggregate(arg)\n"
      "  assert(#u == 3)\n"
      "  assert(u[1].partitionKey == 'a' and u[1].explicitPartitionKey == nil and u[1].data == 'b25l')\n"
      "  assert(u[2].partitionKey == 'b' and u[2].explicitPartitionKey == '7' and u[2].data == 'AP8=')\n"
      "  assert(u[3].partitionKey == 'a' and u[3].data == '')\n"
      "  for i = 1, 3 do assert(u[i].sequenceNumber == '49' and u[i].subSequenceNumber == i - 1) end\n"
      "end\n"
      "local p = sl.kpl.deaggregate({ kinesis = { partitionKey = 'p', sequenceNumber = '5', data = 'eA==' } })\n"
      "assert(#p == 1 and p[1].partitionKey == 'p' and p[1].data == 'eA==' and p[1].sequenceNumber == '5')\n"
      "assert(p[1].subSequenceNumber == nil and p[1].explicitPartitionKey == nil)\n"
      "assert(#sl.kpl.aggregate({}) == 0)\n");
}

static void max_size_splits(void **state) {
  (void)state;
  run("local recs = {}\n"
      "for i = 1, 100 do recs[i] = { partition_key = 'key-' .. i, data = string.rep('x', 50) } end\n"
      "local aggs, n = sl.kpl.aggregate(recs, { max_size = 1000 }), 0\n"
      "assert(#aggs > 1)\n"
      "for _, a in ipairs(aggs) do\n"
      "  assert(#a.data <= 1000)\n"
      "  assert(a.partition_key == 'key-' .. (n + 1) and a.explicit_hash_key == sl.hash_key(a.partition_key))\n"
      "  n = n + a.count\n"
      "end\n"
      "assert(n == 100)\n"
      "assert(#sl.kpl.aggregate(recs, { max_count = 10 }) == 10)\n");
}

static void bad_arguments(void **state) {
  (void)state;
  lua_State *L = kpl_state();
  static const char *const cases[][2] = {
      {"sl.kpl.deaggregate('x')", "sl.kpl.deaggregate: bad argument #1: a record of the event"},
      {"sl.kpl.deaggregate({ kinesis = { data = 'eA==' } })", "record.kinesis.partitionKey must be a string, not nil"},
      {"sl.kpl.deaggregate({ partitionKey = 'k', data = 'e' })", "record.data is not valid base64"},
      {"sl.kpl.deaggregate({ partitionKey = 'k', data = 'eA==', sequenceNumber = 1 })",
       "record.sequenceNumber must be a string or nil, not number"},
      {"sl.kpl.deaggregate({ partitionKey = 'k', data = sl.base64.encode('\\xF3\\x89\\x9A\\xC2' .. string.rep('z', 20)) })",
       "Invalid record checksum"},
      {"sl.kpl.aggregate(1)", "sl.kpl.aggregate: bad argument #1: a list of user records"},
      {"sl.kpl.aggregate({ 5 })", "record 1 must be a table, not number"},
      {"sl.kpl.aggregate({ { partition_key = 'k' } })", "record 1: data must be a string, not nil"},
      {"sl.kpl.aggregate({ { partition_key = 'k', data = 'd' }, { partition_key = '', data = 'd' } })",
       "record 2: partition_key is empty"},
      {"sl.kpl.aggregate({ { partition_key = 'k', data = 'd', explicit_hash_key = 'x' } })",
       "record 1: explicit_hash_key 'x' has a non-digit"},
      {"sl.kpl.aggregate({}, 3)", "sl.kpl.aggregate: bad argument #2: options must be a table"},
      {"sl.kpl.aggregate({}, { max_size = 10 })", "bad argument #2: max_size 10 is out of range"},
      {"sl.kpl.aggregate({}, { max_count = 0 })", "bad argument #2: options.max_count must be an integer >= 1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *msg = test_raises(L, cases[i][0]);
    if (strstr(msg, cases[i][1]) == NULL) fail_msg("%s: got \"%s\", want \"%s\"", cases[i][0], msg, cases[i][1]);
  }
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_in_node_shape),
      cmocka_unit_test(max_size_splits),
      cmocka_unit_test(bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
