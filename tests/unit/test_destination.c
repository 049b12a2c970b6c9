/* test_destination.c - the on-failure destination in C: requestContext.requestId is the request id the
 * failure carries (the batch's last invocation), a generated UUID for a batch never invoked, the same for the
 * same seed; the S3 destination writes one object per failed batch at AWS's key layout, with the batch's
 * Kinesis event as `payload` (a JSON string). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include "test_support.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>

#include "shardlab/destination.h"
#include "shardlab/shard_log.h"

typedef struct fixture_s {
  sl_stream_t *stream;
  const sl_record_t *records[2];
  char dir[64];
} fixture_t;

static void setup(fixture_t *f) {
  f->stream = test_stream(1, 0);
  sl_put_result_t put[2];
  sl_error_t err;
  assert_int_equal(sl_stream_put(f->stream, TEST_EPOCH_MS + 5, "k-1", 3, NULL, "one", 3, &put[0], &err), SL_OK);
  assert_int_equal(sl_stream_put(f->stream, TEST_EPOCH_MS + 9, "k-2", 3, NULL, "two", 3, &put[1], &err), SL_OK);
  for (int i = 0; i < 2; i++) f->records[i] = sl_shard_log_get(sl_stream_shard(f->stream, 0)->log, put[i].seq.counter);
  snprintf(f->dir, sizeof f->dir, "/tmp/test_destination.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
}

static sl_destination_config_t config(const char *file, const char *s3) {
  return (sl_destination_config_t){.file = file, .s3_dir = s3, .function_arn = "arn:aws:lambda:f",
                                   .stream_arn = "arn:aws:kinesis:s", .region = "us-east-1",
                                   .role_arn = "arn:aws:iam::1:role/r", .mapping_name = "m",
                                   .start_ms = TEST_EPOCH_MS, .seed = 7};
}

/* Sends failures with the given request ids (NULL: never invoked), returns the requestIds written. */
static void send_ids(fixture_t *f, const char *const *ids, size_t n, char out[][40]) {
  char path[128];
  snprintf(path, sizeof path, "%s/f.jsonl", f->dir);
  sl_destination_config_t c = config(path, NULL);
  sl_destination_t *d;
  sl_error_t err;
  assert_int_equal(sl_destination_open(&c, &d, &err), SL_OK);
  for (size_t i = 0; i < n; i++) {
    sl_failure_t fl = {sl_stream_shard(f->stream, 0), f->records, 2, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED,
                       ids[i] ? 3 : 0, 1000, ids[i]};
    assert_int_equal(sl_destination_send(d, &fl, &err), SL_OK);
  }
  assert_int_equal(sl_destination_close(d, &err), SL_OK);
  FILE *in = fopen(path, "r");
  char line[4096];
  for (size_t i = 0; i < n && fgets(line, sizeof line, in); i++) {
    json_t *rec = json_loads(line, 0, NULL);
    snprintf(out[i], 40, "%s", json_string_value(json_object_get(json_object_get(rec, "requestContext"), "requestId")));
    json_decref(rec);
  }
  fclose(in);
  remove(path);
}

static void request_id_is_the_last_invocations(void **state) {
  (void)state;
  fixture_t f;
  setup(&f);
  const char *const ids[] = {"11111111-2222-4333-8444-555555555555", NULL, NULL};
  char got[3][40], again[3][40];
  send_ids(&f, ids, 3, got);
  assert_string_equal(got[0], ids[0]);
  assert_int_equal(strlen(got[1]), 36); /* a generated UUID, one per failure record */
  assert_string_not_equal(got[1], got[2]);
  send_ids(&f, ids, 3, again);
  assert_string_equal(got[1], again[1]); /* the same for the same seed */
  remove(f.dir);
  sl_stream_destroy(f.stream);
}

/* Descends the only entry of each folder from dir, checking the names against AWS's layout. */
static void s3_object_path(const char *dir, char *path, size_t size) {
  static const char *const want[] = {"aws", "lambda", NULL, "shardId-000000000000", "2023", "11", "14", NULL};
  snprintf(path, size, "%s", dir);
  for (int level = 0; level < 8; level++) {
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && e->d_name[0] == '.') {}
    assert_non_null(e);
    if (want[level] != NULL) assert_string_equal(e->d_name, want[level]);
    if (level == 2) assert_int_equal(strlen(e->d_name), 36);  /* the mapping's UUID */
    if (level == 7) assert_memory_equal(e->d_name, "2023-11-14T22.13.21-", 20); /* the failure: 1 s in */
    size_t n = strlen(path);
    snprintf(path + n, size - n, "/%s", e->d_name);
    closedir(d);
  }
}

static void s3_object_holds_record_and_payload(void **state) {
  (void)state;
  fixture_t f;
  setup(&f);
  sl_destination_config_t c = config(NULL, f.dir);
  sl_destination_t *d;
  sl_error_t err;
  assert_int_equal(sl_destination_open(&c, &d, &err), SL_OK);
  sl_failure_t fl = {sl_stream_shard(f.stream, 0), f.records, 2, SL_FAILURE_RETRY_ATTEMPTS_EXHAUSTED, 1, 1000000,
                     "11111111-2222-4333-8444-555555555555"};
  assert_int_equal(sl_destination_send(d, &fl, &err), SL_OK);
  assert_int_equal(sl_destination_close(d, &err), SL_OK);
  char path[512];
  s3_object_path(f.dir, path, sizeof path);
  json_t *rec = json_load_file(path, 0, NULL);
  assert_non_null(rec);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "KinesisBatchInfo"), "batchSize")), 2);
  json_t *event = json_loads(json_string_value(json_object_get(rec, "payload")), 0, NULL);
  json_t *records = json_object_get(event, "Records");
  assert_int_equal(json_array_size(records), 2);
  json_t *k = json_object_get(json_array_get(records, 1), "kinesis");
  assert_string_equal(json_string_value(json_object_get(k, "partitionKey")), "k-2");
  assert_string_equal(json_string_value(json_object_get(k, "data")), "dHdv"); /* base64 of "two" */
  assert_true(json_real_value(json_object_get(k, "approximateArrivalTimestamp")) == 1700000000.009);
  json_decref(event);
  json_decref(rec);
  for (char *slash; strcmp(path, f.dir) != 0 && (slash = strrchr(path, '/')) != NULL; *slash = '\0')
    assert_int_equal(remove(path), 0); /* the object, then its folders up to the bucket's */
  remove(f.dir);
  sl_stream_destroy(f.stream);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(request_id_is_the_last_invocations),
      cmocka_unit_test(s3_object_holds_record_and_payload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
