/* test_clock_parse.c - sl_clock_parse_time against the C library's timegm (an independent reference) over many
 * dates, the forms AWS CLI v2 and v1 print, offsets, fractions to the microsecond, and refusals. */
#define _DEFAULT_SOURCE /* timegm */
#include "test_support.h"

#include <stdio.h>
#include <time.h>

#include "shardlab/clock.h"

/* Every 37th day from 1970 to 2100 at 13:45:59, as "YYYY-MM-DDTHH:MM:SSZ", equals timegm's seconds. */
static void dates_match_timegm(void **state) {
  (void)state;
  for (time_t t = 13 * 3600 + 45 * 60 + 59; t < (time_t)4102444800; t += 37 * 86400) {
    struct tm tm;
    gmtime_r(&t, &tm);
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    int64_t us;
    assert_int_equal(sl_clock_parse_time(text, &us), 0);
    assert_int_equal(us, (int64_t)timegm(&tm) * 1000000);
  }
}

static void aws_forms(void **state) {
  (void)state;
  struct tm tm = {.tm_year = 124, .tm_mon = 4, .tm_mday = 1, .tm_hour = 12}; /* 2024-05-01T12:00:00Z */
  int64_t base = (int64_t)timegm(&tm) * 1000000, us;
  assert_int_equal(sl_clock_parse_time("2024-05-01T12:00:00.123000+00:00", &us), 0); /* AWS CLI v2 */
  assert_int_equal(us, base + 123000);
  assert_int_equal(sl_clock_parse_time("2024-05-01T14:00:00.5+02:00", &us), 0);
  assert_int_equal(us, base + 500000);
  assert_int_equal(sl_clock_parse_time("2024-05-01T07:30:00-0430", &us), 0);
  assert_int_equal(us, base);
  assert_int_equal(sl_clock_parse_time("2024-05-01 12:00:00.1234567", &us), 0); /* no offset: UTC; past us dropped */
  assert_int_equal(us, base + 123456);
  char epoch[32];
  snprintf(epoch, sizeof epoch, "%lld.123", (long long)(base / 1000000)); /* the API and AWS CLI v1 */
  assert_int_equal(sl_clock_parse_time(epoch, &us), 0);
  assert_int_equal(us, base + 123000);
  assert_int_equal(sl_clock_parse_time("1714564800", &us), 0);
  assert_int_equal(us, INT64_C(1714564800) * 1000000);
}

static void refusals(void **state) {
  (void)state;
  static const char *const bad[] = {"", "yesterday", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                                    "2024-05-01", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00+2", "1714564800.",
                                    "2024-05-01T12:00:00Zjunk", "1.2.3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t us = 42;
    assert_int_equal(sl_clock_parse_time(bad[i], &us), -1);
  }
  int64_t us;
  assert_int_equal(sl_clock_parse_time("2024-02-29T00:00:00Z", &us), 0); /* a leap day */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dates_match_timegm),
      cmocka_unit_test(aws_forms),
      cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
