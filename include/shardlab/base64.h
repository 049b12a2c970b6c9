/* base64.h - standard base64 (RFC 4648, with padding), as Kinesis uses for record data in JSON and in Lambda
 * events. Core code: no Lua. */
#ifndef SHARDLAB_BASE64_H
#define SHARDLAB_BASE64_H

#include <stddef.h>

#include "shardlab/error.h"

/* Characters needed to encode len bytes, without the terminating NUL. */
#define SL_BASE64_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

/* Encodes len bytes into out (SL_BASE64_ENCODED_LEN(len) + 1 bytes, NUL-terminated); returns the length. */
size_t sl_base64_encode(const void *data, size_t len, char *out);

/* Decodes text into out (at least len / 4 * 3 bytes). Accepts padded input only; refuses any other character,
 * a length not a multiple of 4 and misplaced padding with SL_EINVAL and a message naming field and the
 * offending character position. Stores the decoded length in *out_len. */
int sl_base64_decode(const char *text, size_t len, const char *field, unsigned char *out, size_t *out_len,
                     sl_error_t *err);

#endif
