/* test_event.c - the event built on the Lua stack equals AWS's documented sample event exactly (every field,
 * no extra ones, same types and values) when given that sample's record; data of any bytes arrives base64;
 * records keep their order; ARNs have AWS's form. */
#include "test_lua_support.h"

#include "lua/lua_event.h"
#include "shardlab/base64.h"

static const sl_event_source_t aws_source = {"shardId-000000000006", "us-east-2",
                                             "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
                                             "arn:aws:iam::123456789012:role/lambda-role"};

static void equals_aws_sample_event(void **state) {
  (void)state;
  json_error_t jerr;
  json_t *reference = json_load_file(SHARDLAB_REFERENCE_DIR "/kinesis-event.json", 0, &jerr);
  if (reference == NULL) fail_msg("cannot load AWS's sample event: %s", jerr.text);
  sl_event_record_t rec = {"1", 1, "Hello, this is a test.", 22,
                           "49590338271490256608559692538361571095921575989136588898", 1545084650987};
  lua_State *L = test_lua();
  sl_event_push(L, &aws_source, &rec, 1);
  char err[128];
  json_t *built = sl_json_from_lua(L, -1, err, sizeof err);
  assert_non_null(built);
  if (!json_equal(built, reference)) {
    char *a = json_dumps(built, JSON_SORT_KEYS), *b = json_dumps(reference, JSON_SORT_KEYS);
    fail_msg("built event differs from AWS's:\n%s\n%s", a, b);
  }
  json_decref(built);
  json_decref(reference);
  lua_close(L);
}

static void any_bytes_and_order(void **state) {
  (void)state;
  unsigned char bytes[256];
  for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
  char seqs[3][8] = {"11", "12", "13"};
  sl_event_record_t recs[3] = {{"a", 1, bytes, 256, seqs[0], 1000},
                               {"b", 1, bytes, 0, seqs[1], 2000},
                               {"c", 1, bytes + 10, 5, seqs[2], 3000}};
  lua_State *L = test_lua();
  sl_event_push(L, &aws_source, recs, 3);
  lua_setglobal(L, "event");
  lua_pushlstring(L, (const char *)bytes, 256);
  lua_setglobal(L, "all_bytes");
  /* Decode in Lua with a reference decoder written here, independent of shardlab's. */
  test_run(L, "local abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'\n"
              "local function decode(s)\n"
              "  local bits = s:gsub('=', ''):gsub('.', function(c)\n"
              "    local v = abc:find(c, 1, true) - 1\n"
              "    local b = '' for i = 5, 0, -1 do b = b .. ((v >> i) & 1) end return b end)\n"
              "  return (bits:gsub('%d%d%d%d%d%d%d%d', function(b) return string.char(tonumber(b, 2)) end)\n"
              "              :sub(1, #bits // 8))\n"
              "end\n"
              "local r = event.Records\n"
              "assert(#r == 3 and r[1].kinesis.partitionKey == 'a' and r[3].kinesis.partitionKey == 'c')\n"
              "assert(decode(r[1].kinesis.data) == all_bytes)\n"
              "assert(r[2].kinesis.data == '')\n"
              "assert(decode(r[3].kinesis.data) == all_bytes:sub(11, 15))\n"
              "assert(r[2].eventID == 'shardId-000000000006:12')\n"
              "assert(r[3].kinesis.approximateArrivalTimestamp == 3.0)\n");
  lua_close(L);
}

static void arns(void **state) {
  (void)state;
  char buf[128];
  sl_arn_stream(buf, sizeof buf, "us-east-2", "123456789012", "lambda-stream");
  assert_string_equal(buf, "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream");
  sl_arn_function(buf, sizeof buf, "us-east-2", "123456789012", "myfunction");
  /* on-failure-record.json's functionArn */
  assert_string_equal(buf, "arn:aws:lambda:us-east-2:123456789012:function:myfunction");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(equals_aws_sample_event), cmocka_unit_test(any_bytes_and_order), cmocka_unit_test(arns)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
