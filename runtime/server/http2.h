/* http2.h - HTTP/2 for `shardlab serve` (nghttp2): one connection's session, fed the plaintext the server
 * reads and giving back the frames to send, each stream one request collected as request.h has it. The
 * session never touches the socket and never answers by itself: the server answers each complete request
 * with sl__h2_respond when it sends its answers (after the flush), then takes the frames. Private to the
 * server. */
#ifndef SHARDLAB_HTTP2_H
#define SHARDLAB_HTTP2_H

#include <stddef.h>
#include <stdint.h>

#include "server/request.h"

typedef struct sl__h2_s sl__h2_t;

/* What the session tells its connection. */
typedef struct sl__h2_hooks_s {
  void *user;                  /* passed back to each hook: the connection */
  size_t max_body;             /* a longer body makes the request too_large (answered 413) */
  int keep_headers;            /* collect every header for SigV4 (--auth) */
  /* A request is complete (its END_STREAM arrived): the connection answers it later with sl__h2_respond on
   * stream_id. r is the session's, valid during the call only. */
  void (*request)(void *user, int32_t stream_id, sl__request_t *r);
  /* busy 1: a request began while no other was incomplete; 0: no request is incomplete any more (the
   * connection's request deadline runs in between, as HTTP/1.1's runs from a request's start to its end). */
  void (*busy)(void *user, int busy);
} sl__h2_hooks_t;

/* The HTTP/2 connection preface a cleartext client with prior knowledge sends first. 1 when data (the first
 * len bytes of a connection) is the whole preface, 0 when it is not the preface, -1 when it begins it. */
int sl__h2_is_preface(const char *data, size_t len);

/* A server session with this server's SETTINGS queued (at most 100 concurrent streams, 1 MiB stream windows);
 * NULL out of memory. */
sl__h2_t *sl__h2_new(const sl__h2_hooks_t *hooks);
void sl__h2_free(sl__h2_t *h);

/* Plaintext read from the peer (the preface first). 0, or -1 when the connection is beyond saving (a GOAWAY
 * may then wait in the output: send it and close). */
int sl__h2_feed(sl__h2_t *h, const char *data, size_t len);

/* Moves the frames waiting to be sent into a new buffer: *out (malloc'd, the caller frees it; NULL when
 * there is nothing) and *len. 0, or -1 when the session failed (close the connection). */
int sl__h2_take(sl__h2_t *h, char **out, size_t *len);

/* 1 when the session is over (GOAWAY both ways, or a connection error): close once its output is sent. */
int sl__h2_done(const sl__h2_t *h);

/* Answers stream_id: HEADERS with :status, content-type, x-amzn-requestid and (unless more) content-length,
 * then body as DATA (the session takes body, a malloc'd buffer, and frees it, whatever happens). With more,
 * the body stays open after these bytes: a long-lived answer (SubscribeToShard's event stream is where this
 * plugs in: its events are sl__h2_push'd as they come, the last one with end). 0, or -1 when the stream is
 * gone (the client reset it) or out of memory. */
int sl__h2_respond(sl__h2_t *h, int32_t stream_id, int status, const char *content_type, const char *request_id,
                   char *body, size_t len, int more);

/* More of an open answer's body (copied), end: the last of it. The stream's data provider, deferred while
 * the body had nothing more to give (NGHTTP2_ERR_DEFERRED), is resumed; take the frames afterwards. 0, or -1
 * when the stream is gone, its answer not open, or out of memory. */
int sl__h2_push(sl__h2_t *h, int32_t stream_id, const char *data, size_t len, int end);

#endif
