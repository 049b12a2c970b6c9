/* request.h - one Kinesis API request as HTTP/1.1 (http_server.c) and HTTP/2 (http2.c) both collect it, and
 * the one function that answers it: the SigV4 check when --auth asks for one, then sl_api_handle. Whatever
 * the protocol, the answer is a status, a body, a content type and whether it waits for the flush; how it is
 * framed and when it is sent is the protocol's business. Private to the server. */
#ifndef SHARDLAB_REQUEST_H
#define SHARDLAB_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/api.h"
#include "server/sigv4.h"

#define SL__REQUEST_MAX_HEADERS 64

/* What a request carried, as far as the API and the signature check need it. */
typedef struct sl__request_s {
  char method[16];             /* "POST" */
  char url[1024];              /* the request target (path and query) as sent, truncated */
  size_t url_len;
  char target[128];            /* X-Amz-Target, truncated */
  size_t target_len;
  char ctype[64];              /* Content-Type, truncated: application/x-amz-cbor-1.1 makes it (and its answer) CBOR */
  size_t ctype_len;
  char *body;                  /* malloc'd, grown as it arrives (body_cap bytes) */
  size_t body_len, body_cap;
  int too_large;               /* the body passed the limit: nothing more of it is kept, the answer is a 413 */
  /* With keep_headers (--auth): every header (for the signature), names lowercased. */
  int keep_headers;
  char hbuf[16384];
  size_t hlen, hcount;
  sl_sigv4_header_t headers[SL__REQUEST_MAX_HEADERS];
  int headers_overflow;        /* more headers than fit: the signature cannot be checked */
} sl__request_t;

/* The answer to one request, whatever carries it. */
typedef struct sl__answer_s {
  int status;                  /* 200, 400, 413, 500, 503 */
  const char *content_type;    /* static */
  char *body;                  /* malloc'd (NULL with len 0 only when even the error could not be allocated) */
  size_t len;
  int needs_flush;             /* it acknowledges records: it holds only once sl_api_flush succeeded */
  int cbor;                    /* it answers a CBOR request: its body is CBOR (the server's own errors too) */
  sl_api_subscription_t *sub;  /* SubscribeToShard: the body is the event stream's first message, and the
                                * subscription's events follow (server/feeds.h); NULL for every other answer */
} sl__answer_t;

/* Empties r for the next request (its body buffer kept); keep_headers: collect the headers for SigV4. */
void sl__request_reset(sl__request_t *r, int keep_headers);
/* A piece of a header's name (value 0) or value (value 1), starts when it is the first piece of it; nothing
 * kept without keep_headers. */
void sl__request_header_piece(sl__request_t *r, const char *at, size_t len, int value, int starts);
/* A piece of the X-Amz-Target header's value. */
void sl__request_target_piece(sl__request_t *r, const char *at, size_t len);
/* A piece of the Content-Type header's value. */
void sl__request_ctype_piece(sl__request_t *r, const char *at, size_t len);
/* A piece of the body: kept while the body stays within max_body, else too_large. 0, or -1 out of memory. */
int sl__request_body(sl__request_t *r, const char *at, size_t len, size_t max_body);

/* Appends n bytes of data to the malloc'd buffer *buf (*len bytes used of *cap), growing it. 0, or -1 out of
 * memory (the buffer then as it was). */
int sl__bytes_append(char **buf, size_t *len, size_t *cap, const void *data, size_t n);

/* The answer to r at now_ms: a 413 when too large; AWS's refusal when auth is set and r is not signed by one
 * of its keys; for SubscribeToShard, a subscription (out->sub) or the refusal; else sl_api_handle's answer (a
 * 500 when out of memory). r->url is cut at its '?'. Free out->body. */
void sl__request_answer(sl_api_t *api, const sl_sigv4_keys_t *auth, sl__request_t *r, int64_t now_ms,
                        sl__answer_t *out);

/* An AWS error answer {"__type": TYPE, "message": MESSAGE} with STATUS into *out (its body malloc'd); in CBOR
 * when cbor (it answers a CBOR request). */
void sl__answer_error(sl__answer_t *out, int status, const char *type, const char *message, int cbor);

/* The request id of the n-th answer, AWS's UUID shape, NUL-terminated (37 bytes). */
void sl__request_id(uint64_t n, char out[37]);

#endif
