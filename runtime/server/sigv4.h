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
 * aws_secret_access_key under each, and aws_session_token for temporary credentials, which requests by that
 * key must then carry). SL_EIO naming the file and line for a file that cannot be read or holds no complete
 * key; the caller frees *out with sl_sigv4_keys_free. */
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
  const char *path;             /* the request target's path as sent (percent-encoded), "/" */
  const char *query;            /* after '?' as sent, "" for none */
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
 * without its parts), UnrecognizedClientException (an unknown access key; or a session token that is not the
 * key's, missing, unsigned, or sent with a key that has none), InvalidSignatureException (a wrong signature,
 * or a request time outside the 5 minutes). Header authorization only: a presigned URL (X-Amz-Signature in
 * the query) is not looked at and counts as unsigned. */
int sl_sigv4_check(const sl_sigv4_keys_t *k, const sl_sigv4_request_t *r, int64_t now_ms, sl_sigv4_refusal_t *why);

/* --- the steps of the check, each comparable with AWS's Signature Version 4 test suite (tests/data/sigv4) - */

/* What an Authorization header names: the credential's access key and scope (date, region, service), the
 * signed header names as sent (lowercase, ';'-separated) and the signature in hex. */
typedef struct sl_sigv4_authorization_s {
  char access_key[129], date[32], region[64], service[64];
  char signed_headers[1024], signature[128];
} sl_sigv4_authorization_t;

/* Parses r's Authorization header into *a; 0 with *why filled when it is missing
 * (MissingAuthenticationTokenException) or lacks a part (IncompleteSignatureException). */
int sl_sigv4_parse_authorization(const sl_sigv4_request_t *r, sl_sigv4_authorization_t *a, sl_sigv4_refusal_t *why);

/* The canonical value of r's header NAME (lowercase) into buf, NUL-terminated: each occurrence trimmed with
 * its inner runs of white space (line folds included) made one space, the occurrences joined with commas in
 * the order received. Its length; -1 when r has no such header, -2 when buf is too small. */
long sl_sigv4_header_value(const sl_sigv4_request_t *r, const char *name, char *buf, size_t size);

/* The canonical request of r for the headers SIGNED_HEADERS names, NUL-terminated into buf: the method; the
 * path with empty, "." and ".." segments resolved (AWS does so for every service but S3) and URI-encoded; the
 * query's parameters percent-decoded, URI-encoded again and sorted by name, then value ("a" alone is "a=");
 * each signed header as name:value (sl_sigv4_header_value); the signed header names; the body's SHA-256.
 * Its length, or 0 with *why filled when a signed header is missing or buf is too small. */
size_t sl_sigv4_canonical_request(const sl_sigv4_request_t *r, const char *signed_headers, char *buf, size_t size,
                                  sl_sigv4_refusal_t *why);

/* The string to sign, NUL-terminated into buf: "AWS4-HMAC-SHA256", the request time AMZ_DATE
 * (YYYYMMDD'T'HHMMSS'Z'), a's credential scope (date/region/service/aws4_request) and the canonical
 * request's SHA-256 in hex, one a line. Its length, or 0 when buf is too small. */
size_t sl_sigv4_string_to_sign(const char *amz_date, const sl_sigv4_authorization_t *a, const char *canonical,
                               size_t canonical_len, char *buf, size_t size);

/* The signature of the string to sign in hex: HMAC-SHA256 under the key derived from SECRET and a's scope. */
void sl_sigv4_signature(const char *secret, const sl_sigv4_authorization_t *a, const char *string_to_sign,
                        size_t len, char out[65]);

#endif
