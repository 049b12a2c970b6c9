/* utf8.h - UTF-8 validation and code point counting (private to the runtime).
 * Kinesis limits partition keys in Unicode characters, not bytes, so the key must be decoded to be counted. */
#ifndef SHARDLAB_UTF8_H
#define SHARDLAB_UTF8_H

#include <stddef.h>

/* Counts the code points of s[0..len). Returns 0 and stores the count, or -1 when s is not valid UTF-8
 * (overlong forms, surrogates, code points above U+10FFFF, truncated sequences, stray continuation bytes). */
int sl_utf8_count(const char *s, size_t len, size_t *chars);

/* Nonzero when every byte of s[0..len) is below 0x80: then the key is valid and has len characters. Checks
 * eight bytes at a time, since most partition keys are ASCII and this is on the put path. */
int sl_utf8_is_ascii(const char *s, size_t len);

#endif
