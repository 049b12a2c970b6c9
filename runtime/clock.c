/* clock.c - wall and monotonic clock readings and ISO-8601 formatting (clock.h): every other file asks here
 * rather than calling clock_gettime or strftime itself. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */
#include "shardlab/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t read_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sl_clock_wall_ms(void) { return read_ns(CLOCK_REALTIME) / 1000000; }
int64_t sl_clock_wall_us(void) { return read_ns(CLOCK_REALTIME) / 1000; }
int64_t sl_clock_mono_ns(void) { return read_ns(CLOCK_MONOTONIC); }
double sl_clock_mono_s(void) { return (double)read_ns(CLOCK_MONOTONIC) * 1e-9; }

/* Floor division, so times before the epoch still print the second they fall in. */
static size_t format_seconds(int64_t ms, char out[SL_ISO8601_SIZE], int *millis) {
  int64_t secs = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    secs--;
    rem += 1000;
  }
  *millis = (int)rem;
  time_t t = (time_t)secs;
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL) {
    out[0] = '\0';
    return 0;
  }
  return strftime(out, SL_ISO8601_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
}

char *sl_clock_iso8601_ms(int64_t ms, char out[SL_ISO8601_SIZE]) {
  int millis;
  size_t n = format_seconds(ms, out, &millis);
  snprintf(out + n, SL_ISO8601_SIZE - n, ".%03dZ", millis);
  return out;
}

char *sl_clock_iso8601_s(int64_t ms, char out[SL_ISO8601_SIZE]) {
  int millis;
  size_t n = format_seconds(ms, out, &millis);
  snprintf(out + n, SL_ISO8601_SIZE - n, "Z");
  return out;
}
