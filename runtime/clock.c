/* clock.c - wall and monotonic clock readings and ISO-8601 formatting (clock.h): every other file asks here
 * rather than calling clock_gettime or strftime itself; timestamps of recorded traffic parsed back. */
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

/* --- parsing ------------------------------------------------------------------------------------------------ */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* n digits at *p as a number (advancing *p); -1 when they are not all digits. */
static int64_t digits(const char **p, int n) {
  int64_t v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (**p < '0' || **p > '9') return -1;
    v = v * 10 + (**p - '0');
  }
  return v;
}

/* A fraction of a second after the '.', as microseconds (digits past the sixth dropped); -1 without digits. */
static int64_t fraction_us(const char **p) {
  int64_t us = 0;
  int n = 0;
  for (; **p >= '0' && **p <= '9'; (*p)++, n++)
    if (n < 6) us = us * 10 + (**p - '0');
  if (n == 0) return -1;
  for (; n < 6; n++) us *= 10;
  return us;
}

static int epoch_seconds(const char *p, int64_t *us) {
  int negative = *p == '-';
  p += negative;
  int64_t whole = 0, frac = 0;
  int n = 0;
  for (; *p >= '0' && *p <= '9'; p++, n++) {
    if (whole > INT64_MAX / 10000000) return -1;
    whole = whole * 10 + (*p - '0');
  }
  if (*p == '.' && (p++, (frac = fraction_us(&p)) < 0)) return -1;
  if (n == 0 || *p != '\0') return -1;
  *us = (whole * 1000000 + frac) * (negative ? -1 : 1);
  return 0;
}

int sl_clock_parse_time(const char *text, int64_t *us) {
  static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (epoch_seconds(text, us) == 0) return 0;
  const char *p = text;
  int64_t y = digits(&p, 4), mo = *p == '-' ? (p++, digits(&p, 2)) : -1, d = *p == '-' ? (p++, digits(&p, 2)) : -1;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1]) return -1;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return -1;
  if (*p != 'T' && *p != 't' && *p != ' ') return -1;
  p++;
  int64_t h = digits(&p, 2), mi = *p == ':' ? (p++, digits(&p, 2)) : -1, s = *p == ':' ? (p++, digits(&p, 2)) : -1;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
  int64_t frac = 0, offset_min = 0;
  if (*p == '.' && (p++, (frac = fraction_us(&p)) < 0)) return -1;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') { /* +HH:MM, +HHMM or +HH */
    int sign = *p++ == '-' ? -1 : 1;
    int64_t oh = digits(&p, 2), om = 0;
    if (*p == ':') p++;
    if (*p != '\0' && (om = digits(&p, 2)) < 0) return -1;
    if (oh < 0 || oh > 23 || om > 59) return -1;
    offset_min = sign * (oh * 60 + om);
  }
  if (*p != '\0') return -1;
  int64_t secs = days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  *us = secs * 1000000 + frac;
  return 0;
}
