/* hashkey.h - exact unsigned 128-bit hash keys: MD5 of a partition key, decimal text, the even split of the
 * hash space into N shards.
 *
 * Kinesis maps a partition key to a 128-bit integer with MD5 and routes the record to the shard whose hash key
 * range holds it (KDG, "Partition key"; API PutRecord: "Amazon Kinesis Data Streams uses the partition key as
 * input to a hash function that maps the partition key and associated data to a specific shard. Specifically,
 * an MD5 hash function is used to map partition keys to 128-bit integer values"). */
#ifndef SHARDLAB_HASHKEY_H
#define SHARDLAB_HASHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"

/* GCC and Clang provide a native 128-bit integer; __extension__ keeps -pedantic quiet about it. */
__extension__ typedef unsigned __int128 sl_hashkey_t;

#define SL_HASHKEY_MAX (~(sl_hashkey_t)0)
/* 2^128 - 1 has 39 decimal digits; one more for the terminating NUL. */
#define SL_HASHKEY_DECIMAL_SIZE 40

/* MD5 of the key's bytes (the UTF-8 encoding of the partition key), read as a big-endian unsigned integer. */
sl_hashkey_t sl_hashkey_of(const void *key, size_t len);

/* The 16-byte MD5 digest behind sl_hashkey_of, for callers that want the bytes or the hex form. */
void sl_md5(const void *data, size_t len, unsigned char digest[16]);

/* Writes the decimal form of v into buf (at least SL_HASHKEY_DECIMAL_SIZE bytes); returns its length. */
size_t sl_hashkey_format(sl_hashkey_t v, char *buf);

/* Parses an ExplicitHashKey-style decimal string: it must match 0|([1-9]\d{0,38}) (API PutRecord) and be at
 * most 2^128-1. field names the input in messages ("ExplicitHashKey"). Returns SL_OK or SL_EINVAL. */
int sl_hashkey_parse(const char *text, size_t len, const char *field, sl_hashkey_t *out, sl_error_t *err);

/* The even split of the hash space used when a stream is created with n shards (DESIGN 1):
 * q = floor(2^128 / n); shard i covers [i*q, (i+1)*q - 1] and the last shard ends at 2^128 - 1. */
void sl_hashkey_even_range(uint32_t n, uint32_t i, sl_hashkey_t *start, sl_hashkey_t *end);

#endif
