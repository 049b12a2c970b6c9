/* sigv4.h - checking AWS Signature Version 4 on the server side (`shardlab serve --auth FILE`): the keys a
 * credentials file holds, and whether a request carries a valid signature by one of them, with the error AWS
 * answers otherwise (AWS General Reference, "Create a signed AWS API request": canonical request, string to
 * sign, signing key, signature). Private to the server. */
#ifndef SHARDLAB_SIGV4_H
#define SHARDLAB_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"

typedef struct sl_sigv4_keys_s sl_sigv4_keys_t;

/* Reads FILE in the AWS shared-credentials format ([profile] lines, aws_access_key_id and
 * aws_secret_access_key under each). SL_EIO naming the file and line for a file that cannot be read or holds
 * no complete key; the caller frees *out with sl_sigv4_keys_free. */
int sl_sigv4_keys_load(const char *path, sl_sigv4_keys_t **out, sl_error_t *err);
void sl_sigv4_keys_free(sl_sigv4_keys_t *k);
size_t sl_sigv4_keys_count(const sl_sigv4_keys_t *k);

/* One header as received: name lowercased (not NUL-terminated), value as sent. */
typedef struct sl_sigv4_header_s {
  const char *name, *value;
  size_t name_len, value_len;
} sl_sigv4_header_t;

typedef struct sl_sigv4_request_s {
  const char *method;           /* "POST" */
  const char *path;             /* the request target's path, "/" */
  const char *query;            /* after '?', "" for none */
  const sl_sigv4_header_t *headers;
  size_t header_count;
  const void *body;
  size_t body_len;
} sl_sigv4_request_t;

/* The answer to a request that is not signed by a known key: AWS's exception name and message. */
typedef struct sl_sigv4_refusal_s {
  const char *type;
  char message[512];
} sl_sigv4_refusal_t;

/* 1 when r is signed by one of the keys within AWS's 5 minutes of now_ms (wall time); 0 with *why filled:
 * MissingAuthenticationTokenException (no signature), IncompleteSignatureException (an Authorization header
 * without its parts), UnrecognizedClientException (an unknown access key), InvalidSignatureException (a wrong
 * signature, or a request time outside the 5 minutes). */
int sl_sigv4_check(const sl_sigv4_keys_t *k, const sl_sigv4_request_t *r, int64_t now_ms, sl_sigv4_refusal_t *why);

#endif
