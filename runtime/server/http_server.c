/* http_server.c - connections on a libuv TCP listener, each with its http_parser: the X-Amz-Target header and
 * the body are collected, the complete request goes to the API, the response is written with Content-Length
 * and the connection kept alive when the client asks (HTTP/1.1 default). A body over the limit gets a 413 and
 * the connection is closed. Answers wait for the end of the loop iteration, when the durable streams' records
 * put meanwhile go to the kernel in one write each (sl_api_flush): nothing is acknowledged that a crash of the
 * process could lose. With --tls-cert, every connection speaks TLS (server/tls.c): the ciphertext read goes
 * through its session before http-parser sees it, the handshake's messages are sent as they come, and each
 * answer is encrypted when send_answers sends it, so TLS changes nothing of that order. A connection whose
 * first bytes are HTTP/2's preface (prior knowledge), or whose TLS handshake chose ALPN h2, speaks HTTP/2
 * (server/http2.c, nghttp2) instead: each stream is a request, answered through the same queue. Both protocols
 * answer through server/request.c (SigV4, then the API). */
#define _POSIX_C_SOURCE 200809L

#include "shardlab/clock.h"
#include "server/http2.h"
#include "server/http_server.h"
#include "server/request.h"
#include "server/feeds.h"
#include "server/sigv4.h"
#include "server/tls.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>

struct sl_server_s {
  uv_tcp_t listener;
  sl_api_t *api;
  size_t max_body;
  const sl_sigv4_keys_t *auth; /* --auth: the keys requests must be signed by (NULL: none asked) */
  sl_tls_t *tls;               /* --tls-cert: every connection speaks TLS (NULL: plain HTTP) */
  int64_t request_timeout_ms;
  uint32_t max_connections, connections;
  uint64_t requests;           /* for request ids */
  struct conn_s *conns;        /* open connections, to close them on shutdown */
  int closing;
  int handles_open;            /* the listener and the housekeeping timer, until their close callbacks ran */
  uv_timer_t housekeeping;     /* group commit and retention (on_housekeeping) */
  uv_check_t answers;          /* after each loop iteration's reads: flush, then send the answers */
  sl__feeds_t *feeds;          /* SubscribeToShard's answers while they run (server/feeds.h) */
  uv_timer_t feeder;           /* polls them */
  struct answer_s *pending, *pending_tail; /* answers waiting for the flush, in the order they were made */
};

/* What a connection speaks: decided by its first bytes (HTTP/2's preface or not) or by TLS's ALPN. */
enum { PROTO_UNKNOWN, PROTO_HTTP1, PROTO_HTTP2 };

typedef struct conn_s {
  uv_tcp_t tcp;
  uv_timer_t deadline;         /* closes the connection when a request takes too long to arrive */
  int open_handles;            /* tcp and deadline, until both close callbacks ran */
  sl_server_t *server;
  sl_tls_conn_t *tls;          /* with --tls-cert: the connection's TLS session (else NULL) */
  struct conn_s *prev, *next;
  int closing;
  int proto;                   /* PROTO_*: UNKNOWN until the first bytes (or ALPN) decide */
  char first[24];              /* while UNKNOWN: the first bytes, as long as they begin HTTP/2's preface */
  size_t first_len;
  sl__h2_t *h2;                /* PROTO_HTTP2: the session */
  /* PROTO_HTTP1: the parser and the request it is reading (an HTTP/1.1 connection reads one at a time). */
  http_parser parser;
  char header[64];             /* the header field being read, lowercased, truncated */
  size_t header_len;
  int in_target;               /* the value being read belongs to X-Amz-Target */
  int in_ctype;                /* ... to Content-Type */
  int last_was_value;
  sl__request_t req;
} conn_t;

/* An answer waiting for the flush. */
typedef struct answer_s {
  conn_t *conn;                /* whom it answers */
  int32_t stream_id;           /* HTTP/2: the stream it answers; 0 for HTTP/1.1 */
  int close_after;             /* HTTP/1.1: the connection closes once it is sent */
  sl__answer_t a;
  struct answer_s *next;
} answer_t;

/* Bytes on their way to the socket. */
typedef struct write_s {
  uv_write_t req;
  char *data;
  int close_after;
} write_t;

void sl_server_config_init(sl_server_config_t *c) {
  c->host = "127.0.0.1";
  c->port = 0;
  c->max_body = 8u << 20;
  c->sync_interval_ms = 0;
  c->auth = NULL;
  c->tls = NULL;
  c->request_timeout_ms = 30000;
  c->max_connections = 1024;
}

/* Once a second (or every sync interval): durable streams' group commit, retention for every stream
 * (records older than a stream's retention period are trimmed, as Kinesis trims them), and the scaling of
 * on-demand streams (sl_api_capacity steps at most once a second). */
static void on_housekeeping(uv_timer_t *t) {
  sl_server_t *s = t->data;
  sl_error_t err;
  uint64_t trimmed;
  if (sl_api_sync(s->api, &err) != SL_OK) fprintf(stderr, "shardlab serve: %s\n", err.message);
  if (sl_api_trim(s->api, sl_clock_wall_ms(), &trimmed, &err) != SL_OK)
    fprintf(stderr, "shardlab serve: retention: %s\n", err.message);
  if (sl_api_capacity(s->api, sl_clock_wall_ms(), &err) != SL_OK) fprintf(stderr, "shardlab serve: %s\n", err.message);
}

static void server_free(sl_server_t *s) {
  sl__feeds_free(s->feeds);
  free(s);
}

static void conn_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  sl_server_t *s = c->server;
  if (--c->open_handles > 0) return;
  s->connections--;
  for (answer_t **p = &s->pending; *p != NULL;) { /* its answers not sent yet go with it */
    answer_t *w = *p;
    if (w->conn != c) {
      p = &w->next;
      continue;
    }
    *p = w->next;
    free(w->a.body);
    if (w->a.sub != NULL) sl_api_subscription_end(s->api, w->a.sub);
    free(w);
  }
  sl__feeds_drop(s->feeds, c); /* its subscriptions end with it */
  s->pending_tail = NULL;
  for (answer_t *w = s->pending; w != NULL; w = w->next) s->pending_tail = w;
  if (c->prev) c->prev->next = c->next; else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->req.body);
  sl__h2_free(c->h2);
  sl_tls_conn_free(c->tls);
  free(c);
  if (s->closing && s->conns == NULL && s->handles_open == 0) server_free(s); /* the last one out frees it */
}

static void conn_close(conn_t *c) {
  if (c->closing) return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
  uv_close((uv_handle_t *)&c->deadline, conn_closed);
}

/* The request did not arrive in time (AWS's clients send theirs at once): the connection goes. */
static void on_deadline(uv_timer_t *t) { conn_close(t->data); }

static void written(uv_write_t *req, int status) {
  write_t *w = (write_t *)req;
  conn_t *c = req->handle->data;
  if (status < 0 || w->close_after) conn_close(c);
  free(w->data);
  free(w);
}

/* Bytes as they go on the wire (data malloc'd, taken whatever happens); then the connection closes when
 * close_after. */
static void conn_write(conn_t *c, char *data, size_t len, int close_after) {
  write_t *w = len > 0 && !c->closing ? malloc(sizeof *w) : NULL;
  if (w == NULL) {
    free(data);
    if (len > 0 || close_after) conn_close(c);
    return;
  }
  *w = (write_t){.data = data, .close_after = close_after};
  uv_buf_t buf = uv_buf_init(data, (unsigned int)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, written) != 0) {
    free(data);
    free(w);
    conn_close(c);
  }
}

/* Sends the TLS session's output now: the handshake's messages, alerts, close_notify, and whatever plaintext
 * was written into the session before. Then closes the connection when close_after. */
static void send_tls_output(conn_t *c, int close_after) {
  char *data;
  size_t len;
  if (sl_tls_conn_take(c->tls, &data, &len) != 0) conn_close(c);
  else conn_write(c, data, len, close_after);
}

/* Plaintext for the peer (data malloc'd, taken): through the TLS session when there is one (followed by
 * close_notify when the connection closes after it), then to the socket. */
static void conn_send(conn_t *c, char *data, size_t len, int close_after) {
  if (c->tls == NULL) {
    conn_write(c, data, len, close_after);
    return;
  }
  int sealed = c->closing || sl_tls_conn_write(c->tls, data, len) == 0;
  free(data);
  if (!sealed) {
    conn_close(c);
    return;
  }
  if (close_after) sl_tls_conn_shutdown(c->tls);
  send_tls_output(c, close_after);
}

/* Queues an answer: send_answers sends it after the flush. The queue takes a->body. */
static void respond(conn_t *c, int32_t stream_id, sl__answer_t *a, int close_after) {
  answer_t *w = malloc(sizeof *w);
  if (w == NULL) {
    free(a->body);
    conn_close(c);
    return;
  }
  *w = (answer_t){.conn = c, .stream_id = stream_id, .close_after = close_after, .a = *a};
  sl_server_t *s = c->server;
  if (s->pending_tail) s->pending_tail->next = w;
  else s->pending = w;
  s->pending_tail = w;
}

/* The answer to records that could not be written: AWS's 5xx, ServiceUnavailable (503) for a full disk, so
 * clients retry later, InternalFailure (500) for other I/O errors; the connection kept as it was. */
static void write_failed_answer(sl__answer_t *a, const sl_error_t *err) {
  int full = err->code == SL_ENOSPACE, cbor = a->cbor;
  free(a->body);
  sl__answer_error(a, full ? 503 : 500, full ? "ServiceUnavailable" : "InternalFailure", err->message, cbor);
}

/* The HTTP/2 session's frames to the peer now; the connection closes when the session is over, or when
 * close_after. */
static void h2_send(conn_t *c, int close_after) {
  char *data;
  size_t len;
  if (sl__h2_take(c->h2, &data, &len) != 0) conn_close(c);
  else conn_send(c, data, len, close_after || sl__h2_done(c->h2));
}

/* An HTTP/1.1 answer: the status line, the headers, the body. */
static void send_http1(conn_t *c, const sl__answer_t *a, const char *request_id, int close_after) {
  const char *reason = a->status == 200   ? "OK"
                       : a->status == 413 ? "Payload Too Large"
                       : a->status == 500 ? "Internal Server Error"
                       : a->status == 503 ? "Service Unavailable"
                                          : "Bad Request";
  char head[512];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nx-amzn-RequestId: %s\r\n"
                    "Connection: %s\r\n\r\n",
                    a->status, reason, a->content_type, a->len, request_id, close_after ? "close" : "keep-alive");
  char *data = malloc((size_t)hl + a->len);
  if (data == NULL) {
    conn_close(c);
    return;
  }
  memcpy(data, head, (size_t)hl);
  if (a->len) memcpy(data + hl, a->body, a->len);
  conn_send(c, data, (size_t)hl + a->len, close_after);
}

/* The start of a SubscribeToShard answer in HTTP/1.1: its headers and its first message as the first chunk of
 * a chunked body; the events follow as chunks (feed_send). */
static void send_http1_stream(conn_t *c, const sl__answer_t *a, const char *request_id) {
  char head[512];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nx-amzn-RequestId: %s\r\n"
                    "Connection: keep-alive\r\n\r\n%zx\r\n",
                    a->content_type, request_id, a->len);
  char *data = malloc((size_t)hl + a->len + 2);
  if (data == NULL) {
    conn_close(c);
    return;
  }
  memcpy(data, head, (size_t)hl);
  memcpy(data + hl, a->body, a->len);
  memcpy(data + hl + a->len, "\r\n", 2);
  conn_send(c, data, (size_t)hl + a->len + 2, 0);
}

/* A SubscribeToShard answer: its first message now, its subscription polled from now on. */
static void deliver_stream(sl_server_t *s, answer_t *w, const char *request_id) {
  conn_t *c = w->conn;
  int rc = 0;
  if (w->stream_id != 0) {
    rc = sl__h2_respond(c->h2, w->stream_id, 200, w->a.content_type, request_id, w->a.body, w->a.len, 1);
    h2_send(c, 0);
  } else {
    send_http1_stream(c, &w->a, request_id);
    free(w->a.body);
  }
  if (rc != 0 || c->closing) sl_api_subscription_end(s->api, w->a.sub);
  else sl__feeds_add(s->feeds, c, w->stream_id, w->a.sub);
}

/* One answer to its connection, in its protocol (the answer's body is taken). */
static void deliver(sl_server_t *s, answer_t *w) {
  conn_t *c = w->conn;
  char request_id[37];
  sl__request_id(++s->requests, request_id);
  if (c->closing) {
    free(w->a.body);
    if (w->a.sub != NULL) sl_api_subscription_end(s->api, w->a.sub);
  } else if (w->a.sub != NULL) {
    deliver_stream(s, w, request_id);
  } else if (w->stream_id != 0) { /* a stream the client reset meanwhile is not answered */
    sl__h2_respond(c->h2, w->stream_id, w->a.status, w->a.content_type, request_id, w->a.body, w->a.len, 0);
    h2_send(c, 0);
  } else {
    send_http1(c, &w->a, request_id, w->close_after);
    free(w->a.body);
  }
}

/* A feed's message (server/feeds.h): a DATA frame on its HTTP/2 stream, or a chunk of the HTTP/1.1 body (the
 * last chunk after it when end). */
static int feed_send(void *conn, int32_t stream_id, char *data, size_t len, int end) {
  conn_t *c = conn;
  if (c->closing) {
    free(data);
    return -1;
  }
  if (stream_id != 0) {
    int rc = sl__h2_push(c->h2, stream_id, data, len, end);
    free(data);
    h2_send(c, 0);
    return rc;
  }
  char head[24];
  int hl = len > 0 ? snprintf(head, sizeof head, "%zx\r\n", len) : 0;
  size_t total = (size_t)hl + len + (len > 0 ? 2 : 0) + (end ? 5 : 0);
  char *chunk = malloc(total);
  if (chunk == NULL) {
    free(data);
    conn_close(c);
    return -1;
  }
  memcpy(chunk, head, (size_t)hl);
  if (len > 0) memcpy(chunk + hl, data, len), memcpy(chunk + hl + len, "\r\n", 2);
  if (end) memcpy(chunk + total - 5, "0\r\n\r\n", 5);
  free(data);
  conn_send(c, chunk, total, 0);
  return 0;
}

static void on_feeder(uv_timer_t *t) {
  sl_server_t *s = t->data;
  sl__feeds_poll(s->feeds, sl_clock_wall_ms());
}

/* After the iteration's reads: the durable streams' new records to the kernel (and to the disk as the fsync
 * policy says), then every answer made meanwhile, in order. When the records cannot be written, nothing is
 * acknowledged: the answers to puts become AWS's 5xx (the records stay buffered, written when the disk takes
 * them again, so a retry may store them twice, as Kinesis may), the error is printed, reads are answered. */
static void send_answers(uv_check_t *h) {
  sl_server_t *s = h->data;
  if (s->pending == NULL) return;
  sl_error_t err;
  int flushed = sl_api_flush(s->api, &err) == SL_OK;
  if (!flushed) fprintf(stderr, "shardlab serve: %s: the puts waiting for it are answered with an error\n", err.message);
  answer_t *w = s->pending;
  s->pending = s->pending_tail = NULL;
  while (w != NULL) {
    answer_t *next = w->next;
    if (!flushed && w->a.needs_flush) write_failed_answer(&w->a, &err);
    deliver(s, w);
    free(w);
    w = next;
  }
}

/* --- http_parser callbacks ------------------------------------------------------------------------------ */

static int on_message_begin(http_parser *p) {
  conn_t *c = p->data;
  sl__request_reset(&c->req, c->server->auth != NULL);
  c->header_len = 0;
  uv_timer_start(&c->deadline, on_deadline, (uint64_t)c->server->request_timeout_ms, 0);
  c->in_target = c->in_ctype = c->last_was_value = 0;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  sl__request_t *r = &c->req;
  for (size_t i = 0; i < len && r->url_len + 1 < sizeof r->url; i++) r->url[r->url_len++] = at[i];
  r->url[r->url_len] = '\0';
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  sl__request_t *r = &c->req;
  int starts = c->last_was_value || r->hcount == 0 || r->headers[r->hcount - 1].value != NULL;
  sl__request_header_piece(r, at, len, 0, starts);
  if (c->last_was_value) c->header_len = 0;
  c->last_was_value = 0;
  for (size_t i = 0; i < len && c->header_len + 1 < sizeof c->header; i++)
    c->header[c->header_len++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32 : at[i]);
  c->header[c->header_len] = '\0';
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  sl__request_header_piece(&c->req, at, len, 1, !c->last_was_value);
  if (!c->last_was_value) c->in_target = strcmp(c->header, "x-amz-target") == 0;
  if (!c->last_was_value) c->in_ctype = strcmp(c->header, "content-type") == 0;
  c->last_was_value = 1;
  if (c->in_target) sl__request_target_piece(&c->req, at, len);
  if (c->in_ctype) sl__request_ctype_piece(&c->req, at, len);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  return sl__request_body(&c->req, at, len, c->server->max_body);
}

static int on_headers_complete(http_parser *p) {
  conn_t *c = p->data;
  if (p->content_length != ULLONG_MAX && p->content_length > c->server->max_body) c->req.too_large = 1;
  return 0;
}

static int on_message_complete(http_parser *p) {
  conn_t *c = p->data;
  uv_timer_stop(&c->deadline);
  int too_large = c->req.too_large;
  snprintf(c->req.method, sizeof c->req.method, "%s", http_method_str(p->method));
  sl__answer_t a;
  sl__request_answer(c->server->api, c->server->auth, &c->req, sl_clock_wall_ms(), &a);
  respond(c, 0, &a, too_large || !http_should_keep_alive(p));
  if (too_large) http_parser_pause(p, 1); /* a 413 closes the connection: nothing more is read from it */
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* --- libuv ------------------------------------------------------------------------------------------------ */

static void alloc_buffer(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

/* Plaintext for http-parser: 1 to go on reading, 0 when this connection reads no more (an answer that
 * closes it, 413 or 400, is on its way). An Upgrade (h2c from curl --http2) is not taken: the request is
 * answered in HTTP/1.1, as a server may (RFC 9110, 7.8), and whatever follows it read as HTTP/1.1 again. */
static int parse(conn_t *c, const char *data, size_t len) {
  size_t used = http_parser_execute(&c->parser, &settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
  while (e == HPE_OK && used < len && c->parser.upgrade && !c->closing) {
    used += http_parser_execute(&c->parser, &settings, data + used, len - used);
    e = HTTP_PARSER_ERRNO(&c->parser);
  }
  if (e == HPE_OK && used == len) return 1;
  if (e != HPE_PAUSED) { /* paused: a 413 is on its way, then the connection closes */
    sl__answer_t a;
    sl__answer_error(&a, 400, "SerializationException", "Malformed HTTP request", 0);
    respond(c, 0, &a, 1);
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  return 0;
}

/* Plaintext for the HTTP/2 session, and what it has to send at once (SETTINGS and their acknowledgement,
 * WINDOW_UPDATE, PING's answer, GOAWAY: never an answer, those wait for send_answers). 1 to go on reading. */
static int read_h2(conn_t *c, const char *data, size_t len) {
  int ok = sl__h2_feed(c->h2, data, len) == 0;
  h2_send(c, !ok);
  if (ok && !c->closing) return 1;
  uv_read_stop((uv_stream_t *)&c->tcp);
  return 0;
}

/* A complete request on an HTTP/2 stream: answered as HTTP/1.1's are, through the same queue. */
static void h2_request(void *user, int32_t stream_id, sl__request_t *r) {
  conn_t *c = user;
  sl__answer_t a;
  sl__request_answer(c->server->api, c->server->auth, r, sl_clock_wall_ms(), &a);
  respond(c, stream_id, &a, 0);
}

/* HTTP/2's request deadline: from a request's start while none was incomplete until none is. */
static void h2_busy(void *user, int busy) {
  conn_t *c = user;
  if (busy) uv_timer_start(&c->deadline, on_deadline, (uint64_t)c->server->request_timeout_ms, 0);
  else uv_timer_stop(&c->deadline);
}

/* The connection starts speaking proto: 1, or 0 when out of memory (the connection is then closed). */
static int start_proto(conn_t *c, int proto) {
  c->proto = proto;
  if (proto == PROTO_HTTP1) {
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    return 1;
  }
  sl__h2_hooks_t hooks = {c, c->server->max_body, c->server->auth != NULL, h2_request, h2_busy};
  if ((c->h2 = sl__h2_new(&hooks)) != NULL) return 1;
  uv_read_stop((uv_stream_t *)&c->tcp);
  conn_close(c);
  return 0;
}

static int read_plaintext(conn_t *c, const char *data, size_t len);

/* The first bytes of plaintext: HTTP/2 when they are its preface (prior knowledge) or TLS chose ALPN h2, else
 * HTTP/1.1; kept until there are enough to tell, then read as the protocol they chose. */
static int sniff(conn_t *c, const char *data, size_t len) {
  size_t n = sizeof c->first - c->first_len;
  if (n > len) n = len;
  memcpy(c->first + c->first_len, data, n);
  c->first_len += n;
  int h2 = c->tls != NULL && sl_tls_conn_h2(c->tls) ? 1 : sl__h2_is_preface(c->first, c->first_len);
  if (h2 < 0) return 1; /* the preface so far: n was len */
  if (!start_proto(c, h2 ? PROTO_HTTP2 : PROTO_HTTP1)) return 0;
  return read_plaintext(c, c->first, c->first_len) && (n == len || read_plaintext(c, data + n, len - n));
}

/* Plaintext read, to the connection's protocol: 1 to go on reading, 0 when it reads no more. */
static int read_plaintext(conn_t *c, const char *data, size_t len) {
  if (c->proto == PROTO_UNKNOWN) return sniff(c, data, len);
  return c->proto == PROTO_HTTP2 ? read_h2(c, data, len) : parse(c, data, len);
}

/* Ciphertext read: the plaintext it completes to the connection's protocol (none during the handshake, or
 * while a record is partial). The peer's close_notify, or anything that is not TLS (plain HTTP on this port),
 * closes the connection, after the alert or close_notify the session has to send. */
static void read_tls(conn_t *c, const char *data, size_t len) {
  char plain[16384]; /* the plaintext of one TLS record at the most */
  ssize_t n = sl_tls_conn_feed(c->tls, data, len) == 0 ? 1 : SL_TLS_FAILED;
  int reading = 1;
  while (n > 0 && reading) {
    n = sl_tls_conn_read(c->tls, plain, sizeof plain);
    if (n > 0) reading = read_plaintext(c, plain, (size_t)n);
  }
  if (n < 0) uv_read_stop((uv_stream_t *)&c->tcp);
  if (!c->closing) send_tls_output(c, n < 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (nread < 0) conn_close(c);
  else if (nread > 0 && !c->closing && c->tls != NULL) read_tls(c, buf->base, (size_t)nread);
  else if (nread > 0 && !c->closing) read_plaintext(c, buf->base, (size_t)nread);
  free(buf->base);
}

static void on_connection(uv_stream_t *listener, int status) {
  sl_server_t *s = listener->data;
  if (status < 0 || s->closing) return;
  conn_t *c = calloc(1, sizeof *c);
  if (c == NULL) return;
  c->server = s;
  uv_tcp_init(listener->loop, &c->tcp);
  c->tcp.data = c;
  uv_timer_init(listener->loop, &c->deadline);
  c->deadline.data = c;
  c->open_handles = 2;
  s->connections++;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  /* Over --max-connections: accepted and closed at once, so the client sees the connection end, not a hang. */
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || s->connections > s->max_connections) {
    conn_close(c);
    return;
  }
  if (s->tls != NULL && (c->tls = sl_tls_conn_new(s->tls)) == NULL) {
    conn_close(c);
    return;
  }
  /* Until the first request is complete: with TLS, a handshake that stalls is closed as a request would be. */
  uv_timer_start(&c->deadline, on_deadline, (uint64_t)s->request_timeout_ms, 0);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, alloc_buffer, on_read);
}

int sl_server_start(uv_loop_t *loop, sl_api_t *api, const sl_server_config_t *cfg, sl_server_t **out, int *port,
                    sl_error_t *err) {
  *out = NULL;
  sl_server_t *s = calloc(1, sizeof *s);
  if (s == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  s->api = api;
  s->max_body = cfg->max_body;
  s->auth = cfg->auth;
  s->tls = cfg->tls;
  s->request_timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000;
  s->max_connections = cfg->max_connections > 0 ? cfg->max_connections : 1024;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  struct sockaddr_in addr;
  int rc = uv_ip4_addr(cfg->host, cfg->port, &addr);
  if (rc == 0) rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
  if (rc != 0) {
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    free(s);
    return sl_error_set(err, SL_EIO, "cannot listen on %s:%d: %s", cfg->host, cfg->port, uv_strerror(rc));
  }
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
  *port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
  s->handles_open = 1;
  uint64_t every_ms = cfg->sync_interval_ms > 0 ? (uint64_t)cfg->sync_interval_ms : 1000;
  uv_timer_init(loop, &s->housekeeping);
  s->housekeeping.data = s;
  uv_timer_start(&s->housekeeping, on_housekeeping, every_ms, every_ms);
  s->handles_open++;
  uv_check_init(loop, &s->answers);
  s->answers.data = s;
  uv_check_start(&s->answers, send_answers);
  s->handles_open++;
  s->feeds = sl__feeds_new(api, feed_send);
  uv_timer_init(loop, &s->feeder);
  s->feeder.data = s;
  uv_timer_start(&s->feeder, on_feeder, 50, 50); /* records reach fan-out consumers within about 50 ms */
  s->handles_open++;
  *out = s;
  return SL_OK;
}

static void handle_closed(uv_handle_t *h) {
  sl_server_t *s = h->data;
  if (--s->handles_open == 0 && s->conns == NULL) server_free(s);
}

void sl_server_close(sl_server_t *s) {
  s->closing = 1;
  for (conn_t *c = s->conns; c != NULL; c = c->next) conn_close(c);
  uv_close((uv_handle_t *)&s->housekeeping, handle_closed);
  uv_close((uv_handle_t *)&s->answers, handle_closed);
  uv_close((uv_handle_t *)&s->feeder, handle_closed);
  uv_close((uv_handle_t *)&s->listener, handle_closed);
}
