/* test_crc32c.c - CRC-32C against published values: the check value of "123456789" (0xE3069283, from the
 * catalogue of CRC parameters) and the iSCSI test vectors of RFC 3720 B.4; the hardware and table versions agree
 * on random data of every length and alignment, and extending a CRC in pieces equals one pass. */
#include "test_support.h"

#include "shardlab/crc32c.h"

static void published_values(void **state) {
  (void)state;
  unsigned char buf[32];
  assert_int_equal(sl_crc32c(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(sl_crc32c_portable(0, "123456789", 9), 0xE3069283u);
  memset(buf, 0, sizeof buf);
  assert_int_equal(sl_crc32c(0, buf, 32), 0x8A9136AAu); /* RFC 3720 B.4: 32 bytes of zeros */
  memset(buf, 0xFF, sizeof buf);
  assert_int_equal(sl_crc32c(0, buf, 32), 0x62A8AB43u); /* 32 bytes of ones */
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
  assert_int_equal(sl_crc32c(0, buf, 32), 0x46DD794Eu); /* incrementing */
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)(31 - i);
  assert_int_equal(sl_crc32c(0, buf, 32), 0x113FDB5Cu); /* decrementing */
  assert_int_equal(sl_crc32c(0, "", 0), 0);
}

static void versions_agree(void **state) {
  (void)state;
  unsigned char data[300];
  uint64_t rng = 42;
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)test_rand(&rng);
  for (size_t off = 0; off < 9; off++)
    for (size_t n = 0; n + off <= sizeof data; n += 7) {
      uint32_t a = sl_crc32c(0, data + off, n), b = sl_crc32c_portable(0, data + off, n);
      if (a != b) fail_msg("offset %zu length %zu: %08x vs %08x", off, n, a, b);
      size_t half = n / 3;
      assert_int_equal(sl_crc32c(sl_crc32c(0, data + off, half), data + off + half, n - half), a);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(published_values), cmocka_unit_test(versions_agree)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
