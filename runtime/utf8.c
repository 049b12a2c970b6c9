/* utf8.c - strict UTF-8 decoding (RFC 3629), used to validate and count partition keys. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

int sl_utf8_is_ascii(const char *s, size_t len) {
  uint64_t bits = 0;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    bits |= w;
  }
  for (; i < len; i++) bits |= (unsigned char)s[i];
  return (bits & UINT64_C(0x8080808080808080)) == 0;
}

int sl_utf8_count(const char *s, size_t len, size_t *chars) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, n = 0;
  while (i < len) {
    unsigned c = p[i];
    if (c < 0x80) {
      i++;
      n++;
      continue;
    }
    size_t need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return -1; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (len - i <= need) return -1;
    for (size_t k = 1; k <= need; k++) {
      unsigned b = p[i + k];
      if ((b & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    i += need + 1;
    n++;
  }
  *chars = n;
  return 0;
}
