/* crc32c.c - CRC-32C: the byte-at-a-time table (built once) and, on x86-64 CPUs with SSE4.2, the crc32
 * instruction 8 bytes at a time, chosen at run time. */
#include "shardlab/crc32c.h"

#include <pthread.h>
#include <string.h>

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
}

uint32_t sl_crc32c_portable(uint32_t crc, const void *p, size_t n) {
  pthread_once(&table_once, make_table);
  const unsigned char *b = p;
  crc = ~crc;
  while (n--) crc = table[(crc ^ *b++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, b += 8) {
    uint64_t word;
    memcpy(&word, b, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  uint32_t c32 = (uint32_t)c;
  while (n--) c32 = __builtin_ia32_crc32qi(c32, *b++);
  return ~c32;
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n) {
  static int hardware = -1;
  if (hardware < 0) hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
  return hardware ? crc32c_sse42(crc, p, n) : sl_crc32c_portable(crc, p, n);
}
#else
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n) { return sl_crc32c_portable(crc, p, n); }
#endif
