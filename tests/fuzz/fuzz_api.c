/* fuzz_api.c - libFuzzer target for the API's request path: an input is an operation name, a newline, and a
 * request body; it goes through sl_api_handle as `shardlab serve` would send it, against an API that holds a
 * stream with records (recreated every 256 inputs so memory stays bounded). Every response must be a JSON
 * object with a status of 200, 400 or 500; errors must carry __type and message. Build: cmake
 * -DSHARDLAB_FUZZ=ON with CC=clang; run: build-fuzz/tests/fuzz_api tests/fuzz/corpus -max_total_time=60. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/api.h"

static sl_api_t *api;
static unsigned runs;

static void call(const char *op, const char *body) {
  char target[128];
  snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
  sl_api_response_t out;
  sl_api_handle(api, target, strlen(target), body, strlen(body), 1700000000000, &out);
  free(out.body);
}

static void fresh_api(void) {
  sl_api_destroy(api);
  sl_api_config_t c;
  sl_api_config_init(&c);
  if (sl_api_create(&c, &api, NULL) != SL_OK) abort();
  call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
  call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"aGVsbG8=\"}");
  call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"b\",\"Data\":\"\"}");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (runs++ % 256 == 0) fresh_api();
  const uint8_t *nl = memchr(data, '\n', size);
  size_t op_len = nl ? (size_t)(nl - data) : size;
  char target[160] = "Kinesis_20131202.";
  size_t prefix = strlen(target);
  if (op_len > sizeof target - prefix - 1) op_len = sizeof target - prefix - 1;
  memcpy(target + prefix, data, op_len);
  const char *body = nl ? (const char *)nl + 1 : "";
  size_t body_len = nl ? size - (size_t)(nl + 1 - data) : 0;
  sl_api_response_t out;
  sl_api_handle(api, target, prefix + op_len, body, body_len, 1700000000000 + runs, &out);
  if (out.status != 200 && out.status != 400 && out.status != 500) abort();
  if (out.body != NULL) {
    json_t *j = json_loadb(out.body, out.len, 0, NULL);
    if (!json_is_object(j)) abort();
    if (out.status != 200 && (!json_is_string(json_object_get(j, "__type")) ||
                              !json_is_string(json_object_get(j, "message"))))
      abort();
    json_decref(j);
  }
  free(out.body);
  return 0;
}
