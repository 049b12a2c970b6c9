/* seqnum.c - the 56-digit decimal sequence numbers of Kinesis: from fields to text and back.
 *
 * The value is 188 bits wide, so it is built as 47 hexadecimal digits (layout in seqnum.h) and converted to
 * decimal through a small fixed-width big number (six 32-bit limbs, least significant first). */
#include "shardlab/seqnum.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { LIMBS = 6, HEX_DIGITS = 47 };

typedef struct { uint32_t w[LIMBS]; } big_t;

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void big_from_hex(big_t *b, const char *hex, size_t len) {
  memset(b, 0, sizeof *b);
  for (size_t i = 0; i < len; i++) {
    size_t nibble = len - 1 - i; /* position counted from the least significant end */
    b->w[nibble / 8] |= (uint32_t)hex_value(hex[i]) << (4 * (nibble % 8));
  }
}

/* b = b * mul + add; returns nonzero on overflow of the 192-bit width. */
static int big_mul_add(big_t *b, uint32_t mul, uint32_t add) {
  uint64_t carry = add;
  for (int i = 0; i < LIMBS; i++) {
    uint64_t v = (uint64_t)b->w[i] * mul + carry;
    b->w[i] = (uint32_t)v;
    carry = v >> 32;
  }
  return carry != 0;
}

/* b = b / div; returns the remainder. */
static uint32_t big_div(big_t *b, uint32_t div) {
  uint64_t rem = 0;
  for (int i = LIMBS - 1; i >= 0; i--) {
    uint64_t cur = (rem << 32) | b->w[i];
    b->w[i] = (uint32_t)(cur / div);
    rem = cur % div;
  }
  return (uint32_t)rem;
}

static int big_is_zero(const big_t *b) {
  for (int i = 0; i < LIMBS; i++)
    if (b->w[i] != 0) return 0;
  return 1;
}

size_t sl_seqnum_format(const sl_seqnum_t *s, char *buf) {
  char hex[HEX_DIGITS + 1];
  snprintf(hex, sizeof hex, "2%09" PRIx64 "%1x%016" PRIx64 "00%09" PRIx64 "%08" PRIx32 "2",
           s->shard_created_s & UINT64_C(0xFFFFFFFFF), (unsigned)(s->shard_index & 0xF), s->counter,
           s->arrival_s & UINT64_C(0xFFFFFFFFF), s->shard_index);
  big_t b;
  big_from_hex(&b, hex, HEX_DIGITS);
  char rev[SL_SEQNUM_DECIMAL_SIZE];
  size_t n = 0;
  do {
    uint32_t part = big_div(&b, 1000000000u); /* nine decimal digits at a time */
    for (int k = 0; k < 9 && (part != 0 || !big_is_zero(&b) || k == 0); k++) {
      rev[n++] = (char)('0' + part % 10);
      part /= 10;
    }
  } while (!big_is_zero(&b));
  for (size_t i = 0; i < n; i++) buf[i] = rev[n - 1 - i];
  buf[n] = '\0';
  return n;
}

static uint64_t hex_field(const char *hex, size_t at, size_t len) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) v = (v << 4) | (uint64_t)hex_value(hex[at + i]);
  return v;
}

int sl_seqnum_parse(const char *text, size_t len, const char *field, sl_seqnum_t *out, sl_error_t *err) {
  int shown = (int)(len > 64 ? 64 : len);
  if (len == 0 || len >= SL_SEQNUM_DECIMAL_SIZE || text[0] == '0')
    return sl_error_set(err, SL_EINVAL, "%s '%.*s' is not a sequence number: expected a decimal number of 56 digits",
                        field, shown, text);
  big_t b;
  memset(&b, 0, sizeof b);
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9' || big_mul_add(&b, 10, (uint32_t)(text[i] - '0')))
      return sl_error_set(err, SL_EINVAL, "%s '%.*s' is not a sequence number: expected a decimal number of 56 digits",
                          field, shown, text);
  }
  /* Back to hex: exactly 47 digits, framed by '2' ... '2' with "00" in its place. */
  char hex[LIMBS * 8 + 1];
  for (int i = 0; i < LIMBS; i++) snprintf(hex + 8 * i, 9, "%08" PRIx32, b.w[LIMBS - 1 - i]);
  const char *h = hex + (LIMBS * 8 - HEX_DIGITS);
  for (const char *p = hex; p < h; p++)
    if (*p != '0') goto bad_layout;
  if (h[0] != '2' || h[46] != '2' || h[27] != '0' || h[28] != '0') goto bad_layout;
  out->shard_created_s = hex_field(h, 1, 9);
  out->counter = hex_field(h, 11, 16);
  out->arrival_s = hex_field(h, 29, 9);
  out->shard_index = (uint32_t)hex_field(h, 38, 8);
  if ((out->shard_index & 0xF) != hex_field(h, 10, 1)) goto bad_layout;
  return SL_OK;
bad_layout:
  return sl_error_set(err, SL_EINVAL, "%s '%.*s' is not a sequence number this stream issued (unexpected layout)",
                      field, shown, text);
}

int sl_seqnum_compare_text(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb) return la < lb ? -1 : 1;
  int c = strcmp(a, b);
  return (c > 0) - (c < 0);
}
