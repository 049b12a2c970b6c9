/* base64.c - RFC 4648 base64 with padding: record data in Lambda events and in the Kinesis JSON API. */
#include "shardlab/base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sl_base64_encode(const void *data, size_t len, char *out) {
  const unsigned char *p = data;
  size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

static int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int sl_base64_decode(const char *text, size_t len, const char *field, unsigned char *out, size_t *out_len,
                     sl_error_t *err) {
  if (len % 4 != 0)
    return sl_error_set(err, SL_EINVAL, "%s is not valid base64: its length %zu is not a multiple of 4", field, len);
  size_t o = 0;
  for (size_t i = 0; i < len; i += 4) {
    int v[4];
    for (int k = 0; k < 4; k++) {
      char c = text[i + k];
      int last_group = i + 4 == len;
      if (c == '=' && last_group && (k == 3 || (k == 2 && text[i + 3] == '='))) {
        v[k] = 0;
        continue;
      }
      v[k] = sextet(c);
      if (v[k] < 0)
        return sl_error_set(err, SL_EINVAL, "%s is not valid base64: unexpected character at position %zu", field,
                            i + (size_t)k + 1);
    }
    uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[o++] = (unsigned char)(bits >> 16);
    if (text[i + 2] != '=') out[o++] = (unsigned char)(bits >> 8);
    if (text[i + 3] != '=') out[o++] = (unsigned char)bits;
  }
  *out_len = o;
  return SL_OK;
}
