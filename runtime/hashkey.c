/* hashkey.c - MD5 of partition keys, exact 128-bit decimal text, and the even split of the hash space. */

/* OpenSSL 3 marks the one-shot MD5() deprecated in favour of EVP. We keep it where it exists: measured on these
 * machines it costs 130 ns for a short key against 165-175 ns through EVP, needs no per-thread context, and is
 * thread-safe. OpenSSL 4 and later get the EVP path. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_MAJOR >= 4
#include <openssl/evp.h>
#else
#include <openssl/md5.h>
#endif

#include "shardlab/hashkey.h"

#include <string.h>

void sl_md5(const void *data, size_t len, unsigned char digest[16]) {
#if OPENSSL_VERSION_MAJOR >= 4
  unsigned int out_len = 16;
  EVP_Digest(data, len, digest, &out_len, EVP_md5(), NULL);
#else
  MD5((const unsigned char *)data, len, digest);
#endif
}

sl_hashkey_t sl_hashkey_of(const void *key, size_t len) {
  unsigned char d[16];
  sl_md5(key, len, d);
  /* Big-endian: the first digest byte is the most significant. */
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; i++) {
    hi = (hi << 8) | d[i];
    lo = (lo << 8) | d[8 + i];
  }
  return ((sl_hashkey_t)hi << 64) | lo;
}

size_t sl_hashkey_format(sl_hashkey_t v, char *buf) {
  char tmp[SL_HASHKEY_DECIMAL_SIZE];
  size_t n = 0;
  /* Peel 19 digits at a time so most of the work is 64-bit division. */
  const uint64_t chunk = 10000000000000000000ull;
  do {
    uint64_t part = (uint64_t)(v % chunk);
    v /= chunk;
    for (int k = 0; k < 19 && (part != 0 || v != 0 || k == 0); k++) {
      tmp[n++] = (char)('0' + part % 10);
      part /= 10;
    }
  } while (v != 0);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

int sl_hashkey_parse(const char *text, size_t len, const char *field, sl_hashkey_t *out, sl_error_t *err) {
  /* API PutRecord: ExplicitHashKey pattern 0|([1-9]\d{0,38}). */
  if (len == 0)
    return sl_error_set(err, SL_EINVAL, "%s is empty: it must be a decimal integer from 0 to 2^128-1", field);
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9')
      return sl_error_set(err, SL_EINVAL,
                          "%s '%.*s' has a non-digit at character %zu: it must match 0|([1-9]\\d{0,38})", field,
                          (int)(len > 60 ? 60 : len), text, i + 1);
  }
  if (len > 1 && text[0] == '0')
    return sl_error_set(err, SL_EINVAL, "%s '%.*s' has a leading zero: it must match 0|([1-9]\\d{0,38})", field,
                        (int)(len > 60 ? 60 : len), text);
  if (len > 39)
    return sl_error_set(err, SL_EINVAL, "%s '%.*s' has %zu digits: at most 39 are allowed (2^128-1)", field,
                        (int)(len > 60 ? 60 : len), text, len);
  sl_hashkey_t v = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned digit = (unsigned)(text[i] - '0');
    if (v > (SL_HASHKEY_MAX - digit) / 10)
      return sl_error_set(err, SL_EINVAL,
                          "%s %.*s is out of range: it must be between 0 and "
                          "340282366920938463463374607431768211455 (2^128-1)",
                          field, (int)len, text);
    v = v * 10 + digit;
  }
  *out = v;
  return SL_OK;
}

void sl_hashkey_even_range(uint32_t n, uint32_t i, sl_hashkey_t *start, sl_hashkey_t *end) {
  /* floor(2^128 / n) without a 129-bit integer: floor((2^128-1)/n), plus one when n divides 2^128 exactly,
   * i.e. when (2^128-1) mod n == n-1. For n == 1 the quotient would overflow, but then the single shard
   * starts at 0 and ends at the top, so q is never used. */
  sl_hashkey_t q = 0;
  if (n > 1) {
    q = SL_HASHKEY_MAX / n;
    if (SL_HASHKEY_MAX % n == (sl_hashkey_t)(n - 1)) q += 1;
  }
  *start = (sl_hashkey_t)i * q;
  *end = (i + 1 == n) ? SL_HASHKEY_MAX : (sl_hashkey_t)(i + 1) * q - 1;
}
