/* test_event_stream.c - the event-stream encoder against the messages of AWS's event-stream test cases (as
 * botocore's tests/unit/test_eventstream.py carries them, Apache-2.0): an empty message, a payload without
 * headers, a payload with one string header, an error event, an initial-response event, byte for byte; and
 * names or values too long for the format refused. */
#define _GNU_SOURCE /* memmem */
#include "test_support.h"

#include <stdlib.h>

#include "server/event_stream.h"

static void expect(const sl_es_header_t *h, size_t n, const char *payload, const unsigned char *want, size_t want_len) {
  unsigned char *got;
  size_t len;
  assert_int_equal(sl_event_stream_encode(h, n, payload, strlen(payload), &got, &len), SL_OK);
  assert_int_equal(len, want_len);
  assert_memory_equal(got, want, want_len);
  free(got);
}

static void aws_test_messages(void **state) {
  (void)state;
  static const unsigned char empty[] = "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff";
  expect(NULL, 0, "", empty, sizeof empty - 1);
  static const unsigned char no_headers[] = "\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3" "e96";
  expect(NULL, 0, "{'foo':'bar'}", no_headers, sizeof no_headers - 1);
  static const unsigned char one[] = "\x00\x00\x00=\x00\x00\x00 \x07\xfd\x83\x96\x0c" "content-type\x07\x00\x10"
                                     "application/json{'foo':'bar'}\x8d\x9c\x08\xb1";
  expect((sl_es_header_t[]){{"content-type", "application/json"}}, 1, "{'foo':'bar'}", one, sizeof one - 1);
  static const unsigned char error[] = "\x00\x00\x00\x52\x00\x00\x00\x42\xbf\x23\x63\x7e\x0d:message-type\x07\x00\x05"
                                       "error\x0b:error-code\x07\x00\x04" "code\x0e:error-message\x07\x00\x07"
                                       "message\x6b\x6c\xea\x3d";
  expect((sl_es_header_t[]){{":message-type", "error"}, {":error-code", "code"}, {":error-message", "message"}}, 3,
         "", error, sizeof error - 1);
  static const unsigned char initial[] = "\x00\x00\x00~\x00\x00\x00O\xc5\xa3\xdd\xc6\r:message-type\x07\x00\x05"
                                         "event\x0b:event-type\x07\x00\x10initial-response\r:content-type\x07\x00\t"
                                         "text/json{\"InitialResponse\": \"sometext\"}\xf6\x98$\x83";
  expect((sl_es_header_t[]){{":message-type", "event"}, {":event-type", "initial-response"}, {":content-type", "text/json"}},
         3, "{\"InitialResponse\": \"sometext\"}", initial, sizeof initial - 1);
}

static void event_and_exception_headers(void **state) {
  (void)state;
  unsigned char *m;
  size_t len;
  assert_int_equal(sl_event_stream_event("SubscribeToShardEvent", "{}", 2, &m, &len), SL_OK);
  assert_non_null(memmem(m, len, "\x0b:event-type\x07\x00\x15SubscribeToShardEvent", 36));
  assert_memory_equal(m + len - 6, "{}", 2);
  free(m);
  assert_int_equal(sl_event_stream_exception("ResourceInUseException", "{}", 2, &m, &len), SL_OK);
  assert_non_null(memmem(m, len, "\x0d:message-type\x07\x00\x09" "exception", 26));
  free(m);
}

static void too_long_is_refused(void **state) {
  (void)state;
  char name[300];
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  unsigned char *m = NULL;
  size_t len;
  assert_int_equal(sl_event_stream_encode((sl_es_header_t[]){{name, "v"}}, 1, "", 0, &m, &len), SL_EINVAL);
  assert_int_equal(sl_event_stream_encode((sl_es_header_t[]){{"", "v"}}, 1, "", 0, &m, &len), SL_EINVAL);
  assert_null(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(aws_test_messages), cmocka_unit_test(event_and_exception_headers),
                                     cmocka_unit_test(too_long_is_refused)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
