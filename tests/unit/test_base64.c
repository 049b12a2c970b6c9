/* test_base64.c - base64 against RFC 4648's test vectors and AWS's sample event data, every byte value round
 * trip, and refusals that name the position of the bad character. */
#include "test_support.h"

#include "shardlab/base64.h"

static void rfc4648_vectors(void **state) {
  (void)state;
  /* RFC 4648 section 10. */
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char out[16];
    unsigned char back[16];
    size_t n;
    assert_int_equal(sl_base64_encode(plain[i], strlen(plain[i]), out), strlen(coded[i]));
    assert_string_equal(out, coded[i]);
    assert_int_equal(sl_base64_decode(coded[i], strlen(coded[i]), "data", back, &n, NULL), SL_OK);
    assert_int_equal(n, strlen(plain[i]));
    assert_memory_equal(back, plain[i], n);
  }
}

static void aws_sample_data(void **state) {
  (void)state;
  /* kinesis-event.json: "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==" is "Hello, this is a test." */
  const char *b64 = "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==";
  unsigned char out[64];
  size_t n;
  assert_int_equal(sl_base64_decode(b64, strlen(b64), "data", out, &n, NULL), SL_OK);
  assert_int_equal(n, 22);
  assert_memory_equal(out, "Hello, this is a test.", 22);
}

static void every_byte_round_trips(void **state) {
  (void)state;
  unsigned char bytes[256], back[256];
  char text[SL_BASE64_ENCODED_LEN(256) + 1];
  for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
  for (size_t len = 0; len <= 256; len += 1) {
    size_t n = sl_base64_encode(bytes, len, text), m;
    assert_int_equal(n, SL_BASE64_ENCODED_LEN(len));
    assert_int_equal(sl_base64_decode(text, n, "data", back, &m, NULL), SL_OK);
    assert_int_equal(m, len);
    assert_memory_equal(back, bytes, len);
  }
}

static void refusals(void **state) {
  (void)state;
  static const char *const bad[] = {"Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "=Zm9"};
  unsigned char out[16];
  size_t n;
  sl_error_t err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err.message[0] = '\0';
    assert_int_equal(sl_base64_decode(bad[i], strlen(bad[i]), "Data", out, &n, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "Data is not valid base64"));
  }
  sl_base64_decode("Zm9v!A==", 8, "Data", out, &n, &err);
  assert_non_null(strstr(err.message, "position 5"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc4648_vectors), cmocka_unit_test(aws_sample_data),
      cmocka_unit_test(every_byte_round_trips), cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
