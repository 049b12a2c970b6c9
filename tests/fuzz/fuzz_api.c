/* fuzz_api.c - libFuzzer target for the API's request path: an input is an operation name, a newline, and a
 * request body; it goes through sl_api_handle as `shardlab serve` would send it, against an API that holds a
 * stream with records (recreated every 256 inputs so memory stays bounded). Every response must be a JSON
 * object with a status of 200, 400 or 500; errors must carry __type and message. An operation name that
 * begins with '+' takes the CBOR path instead (sl_api_handle_cbor, the body CBOR): the response must then be
 * a CBOR map, with __type and message on errors (the tests/fuzz/corpus/cbor-* inputs). Build: cmake
 * -DSHARDLAB_FUZZ=ON with CC=clang; run: build-fuzz/tests/fuzz_api tests/fuzz/corpus -max_total_time=60. */
#include <cbor.h>
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
  c.create_stream_ms = c.delete_stream_ms = c.update_stream_ms = 0; /* the stream is usable at once */
  if (sl_api_create(&c, &api, NULL) != SL_OK) abort();
  call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
  call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"aGVsbG8=\"}");
  call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"b\",\"Data\":\"\"}");
}

/* A text member of a CBOR map. */
static int has_text(cbor_item_t *map, const char *key) {
  struct cbor_pair *pairs = cbor_map_handle(map);
  for (size_t i = 0; i < cbor_map_size(map); i++)
    if (cbor_isa_string(pairs[i].key) && cbor_string_length(pairs[i].key) == strlen(key) &&
        memcmp(cbor_string_handle(pairs[i].key), key, strlen(key)) == 0)
      return cbor_isa_string(pairs[i].value);
  return 0;
}

/* A response of the JSON or the CBOR path is an object (a map), errors with __type and message. */
static void check_body(const sl_api_response_t *out, int cbor) {
  int ok;
  if (cbor) {
    struct cbor_load_result res;
    cbor_item_t *m = cbor_load((const unsigned char *)out->body, out->len, &res);
    ok = m != NULL && res.read == out->len && cbor_isa_map(m) &&
         (out->status == 200 || (has_text(m, "__type") && has_text(m, "message")));
    if (m != NULL) cbor_decref(&m);
  } else {
    json_t *j = json_loadb(out->body, out->len, 0, NULL);
    ok = json_is_object(j) && (out->status == 200 || (json_is_string(json_object_get(j, "__type")) &&
                                                      json_is_string(json_object_get(j, "message"))));
    json_decref(j);
  }
  if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (runs++ % 256 == 0) fresh_api();
  int cbor = size > 0 && data[0] == '+';
  if (cbor) data++, size--;
  const uint8_t *nl = memchr(data, '\n', size);
  size_t op_len = nl ? (size_t)(nl - data) : size;
  char target[160] = "Kinesis_20131202.";
  size_t prefix = strlen(target);
  if (op_len > sizeof target - prefix - 1) op_len = sizeof target - prefix - 1;
  memcpy(target + prefix, data, op_len);
  const char *body = nl ? (const char *)nl + 1 : "";
  size_t body_len = nl ? size - (size_t)(nl + 1 - data) : 0;
  sl_api_response_t out;
  (cbor ? sl_api_handle_cbor : sl_api_handle)(api, target, prefix + op_len, body, body_len, 1700000000000 + runs, &out);
  if (out.status != 200 && out.status != 400 && out.status != 500) abort();
  if (out.body != NULL) check_body(&out, cbor);
  free(out.body);
  return 0;
}
