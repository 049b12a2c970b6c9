/* seqnum.c - the 56-digit decimal sequence numbers of Kinesis: from fields to text and back.
 *
 * The value is 188 bits wide: its fields are packed into a small fixed-width big number (six 32-bit limbs,
 * least significant first) and converted to decimal nine digits at a time; parsing goes the other way and
 * checks the layout in hexadecimal. */
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

/* b = b / 10^9 for limbs [0, *top]; returns the remainder and lowers *top past limbs that became zero. The
 * constant divisor lets the compiler use a multiply. */
static uint32_t big_div_1e9(big_t *b, int *top) {
  uint64_t rem = 0;
  for (int i = *top; i >= 0; i--) {
    uint64_t cur = (rem << 32) | b->w[i];
    b->w[i] = (uint32_t)(cur / 1000000000u);
    rem = cur % 1000000000u;
  }
  while (*top > 0 && b->w[*top] == 0) (*top)--;
  return (uint32_t)rem;
}

/* Sets `width` bits of b at bit `offset` (counted from the least significant) to value. */
static void big_set(big_t *b, unsigned offset, uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; i += 4) { /* nibble by nibble: every field is nibble-aligned */
    unsigned bit = offset + i;
    b->w[bit / 32] |= (uint32_t)((value >> i) & 0xF) << (bit % 32);
  }
}

size_t sl_seqnum_format(const sl_seqnum_t *s, char *buf) {
  /* The layout of seqnum.h, from the least significant end: "2" | shard index (32 bits) | arrival seconds
   * (36) | "00" (8) | counter (64) | shard index's low nibble (4) | creation seconds (36) | "2". */
  big_t b;
  memset(&b, 0, sizeof b);
  big_set(&b, 0, 2, 4);
  big_set(&b, 4, s->shard_index, 32);
  big_set(&b, 36, s->arrival_s & UINT64_C(0xFFFFFFFFF), 36);
  big_set(&b, 80, s->counter, 64);
  big_set(&b, 144, s->shard_index & 0xF, 4);
  big_set(&b, 148, s->shard_created_s & UINT64_C(0xFFFFFFFFF), 36);
  big_set(&b, 184, 2, 4);
  char rev[SL_SEQNUM_DECIMAL_SIZE];
  size_t n = 0;
  int more, top = LIMBS - 1;
  do {
    uint32_t part = big_div_1e9(&b, &top); /* nine decimal digits at a time */
    more = top > 0 || b.w[0] != 0;
    for (int k = 0; k < 9 && (part != 0 || more || k == 0); k++) {
      rev[n++] = (char)('0' + part % 10);
      part /= 10;
    }
  } while (more);
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
