/* http_server.c - connections on a libuv TCP listener, each with its http_parser: the X-Amz-Target header and
 * the body are collected, the complete request goes to the API, the response is written with Content-Length
 * and the connection kept alive when the client asks (HTTP/1.1 default). A body over the limit gets a 413 and
 * the connection is closed. Answers wait for the end of the loop iteration, when the durable streams' records
 * put meanwhile go to the kernel in one write each (sl_api_flush): nothing is acknowledged that a crash of the
 * process could lose. With --tls-cert, every connection speaks TLS (server/tls.c): the ciphertext read goes
 * through its session before http-parser sees it, the handshake's messages are sent as they come, and each
 * answer is encrypted when send_answers sends it, so TLS changes nothing of that order. A request of Content-Type
 * application/x-amz-cbor-1.1 goes to sl_api_handle_cbor, and every answer to it, the server's own errors
 * included, is CBOR. */
#define _POSIX_C_SOURCE 200809L

#include "shardlab/clock.h"
#include "server/http_server.h"
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
  struct write_s *pending, *pending_tail; /* answers waiting for the flush, in the order they were made */
};

typedef struct conn_s {
  uv_tcp_t tcp;
  uv_timer_t deadline;         /* closes the connection when a request takes too long to arrive */
  int open_handles;            /* tcp and deadline, until both close callbacks ran */
  sl_server_t *server;
  sl_tls_conn_t *tls;          /* with --tls-cert: the connection's TLS session (else NULL) */
  struct conn_s *prev, *next;
  http_parser parser;
  char header[64];             /* the header field being read, lowercased, truncated */
  size_t header_len;
  int in_target;               /* the value being read belongs to X-Amz-Target */
  int last_was_value;
  char target[128];
  size_t target_len;
  int in_ctype;                /* the value being read belongs to Content-Type */
  char ctype[64];              /* its value (truncated) */
  size_t ctype_len;
  int cbor;                    /* the request is CBOR (Content-Type application/x-amz-cbor-1.1): so are answers */
  char *body;
  size_t body_len, body_cap;
  int too_large;               /* the body passed the limit: answer 413 and close */
  int closing;
  /* With --auth: every header (for the signature), names lowercased, and the request's path. */
  char hbuf[16384];
  size_t hlen, hcount;
  sl_sigv4_header_t headers[64];
  int headers_overflow;
  char url[1024];
  size_t url_len;
} conn_t;

typedef struct write_s {
  uv_write_t req;
  char *data;
  size_t len;
  int close_after;
  int needs_flush;             /* it acknowledges records: sent only when the flush before it succeeded */
  int cbor;                    /* it answers a CBOR request */
  conn_t *conn;                /* while pending: whom it answers */
  struct write_s *next;        /* while pending */
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

static void conn_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  sl_server_t *s = c->server;
  if (--c->open_handles > 0) return;
  s->connections--;
  for (write_t **p = &s->pending; *p != NULL;) { /* its answers not sent yet go with it */
    write_t *w = *p;
    if (w->conn != c) {
      p = &w->next;
      continue;
    }
    *p = w->next;
    free(w->data);
    free(w);
  }
  s->pending_tail = NULL;
  for (write_t *w = s->pending; w != NULL; w = w->next) s->pending_tail = w;
  if (c->prev) c->prev->next = c->next; else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->body);
  sl_tls_conn_free(c->tls);
  free(c);
  if (s->closing && s->conns == NULL && s->handles_open == 0) free(s); /* the last one out frees the server */
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

/* An answer with its headers, not yet queued; NULL out of memory. cbor: the body is CBOR. */
static write_t *encoded_answer(conn_t *c, int status, const char *body, size_t len, int keep_alive, int cbor) {
  const char *reason = status == 200   ? "OK"
                       : status == 413 ? "Payload Too Large"
                       : status == 500 ? "Internal Server Error"
                       : status == 503 ? "Service Unavailable"
                                       : "Bad Request";
  char head[512];
  uint64_t n = ++c->server->requests;
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: application/x-amz-%s-1.1\r\nContent-Length: %zu\r\n"
                    "x-amzn-RequestId: %08llx-0000-4000-8000-%012llx\r\nConnection: %s\r\n\r\n",
                    status, reason, cbor ? "cbor" : "json", len, (unsigned long long)(n * 2654435761u & 0xFFFFFFFF),
                    (unsigned long long)n, keep_alive ? "keep-alive" : "close");
  write_t *w = malloc(sizeof *w);
  char *data = malloc((size_t)hl + len);
  if (w == NULL || data == NULL) {
    free(w);
    free(data);
    return NULL;
  }
  memcpy(data, head, (size_t)hl);
  if (len) memcpy(data + hl, body, len);
  *w = (write_t){.data = data, .len = (size_t)hl + len, .close_after = !keep_alive, .cbor = cbor, .conn = c};
  return w;
}

/* An answer with a JSON body (the server's own): as CBOR when cbor (it answers a CBOR request). */
static write_t *make_answer(conn_t *c, int status, const char *json, size_t len, int keep_alive, int cbor) {
  if (!cbor) return encoded_answer(c, status, json, len, keep_alive, 0);
  size_t n = 0;
  char *body = sl_api_answer_cbor(json, len, &n);
  write_t *w = body ? encoded_answer(c, status, body, n, keep_alive, 1) : NULL;
  free(body);
  return w;
}

/* Queues an answer: send_answers sends it after the flush. Returns it (NULL: out of memory, connection closed). */
static write_t *queue(conn_t *c, write_t *w) {
  if (w == NULL) {
    conn_close(c);
    return NULL;
  }
  sl_server_t *s = c->server;
  if (s->pending_tail) s->pending_tail->next = w;
  else s->pending = w;
  s->pending_tail = w;
  return w;
}

/* Queues an answer with a JSON body, in CBOR to a CBOR request. */
static write_t *respond(conn_t *c, int status, const char *body, size_t len, int keep_alive) {
  return queue(c, make_answer(c, status, body, len, keep_alive, c->cbor));
}

/* {"__type": TYPE, "message": MESSAGE} into body (room for 700 bytes); its length. */
static size_t error_body(char *body, const char *type, const char *message) {
  char esc[600];
  size_t n = 0;
  for (const char *m = message; *m && n + 2 < sizeof esc; m++) { /* the messages hold no control characters */
    if ((unsigned char)*m < 0x20) continue;
    if (*m == '"' || *m == '\\') esc[n++] = '\\';
    esc[n++] = *m;
  }
  esc[n] = '\0';
  return (size_t)snprintf(body, 700, "{\"__type\":\"%s\",\"message\":\"%s\"}", type, esc);
}

/* An AWS error answer, HTTP 400 (the authentication errors'). */
static void error_respond(conn_t *c, const char *type, const char *message, int keep_alive) {
  char body[700];
  respond(c, 400, body, error_body(body, type, message), keep_alive);
}

/* The answer to records that could not be written: AWS's 5xx, ServiceUnavailable (503) for a full disk, so
 * clients retry later, InternalFailure (500) for other I/O errors; the connection kept as it was. */
static write_t *write_failed_answer(write_t *w, const sl_error_t *err) {
  char body[700];
  int full = err->code == SL_ENOSPACE;
  size_t len = error_body(body, full ? "ServiceUnavailable" : "InternalFailure", err->message);
  write_t *e = make_answer(w->conn, full ? 503 : 500, body, len, !w->close_after, w->cbor);
  free(w->data);
  free(w);
  return e;
}

/* With TLS, w's plaintext becomes the records that carry it, followed by close_notify when the connection
 * closes after it. 0, or -1 when the session cannot take it (the connection is then closed unanswered). */
static int seal(conn_t *c, write_t *w) {
  if (c->tls == NULL) return 0;
  if (sl_tls_conn_write(c->tls, w->data, w->len) != 0) return -1;
  if (w->close_after) sl_tls_conn_shutdown(c->tls);
  free(w->data);
  return sl_tls_conn_take(c->tls, &w->data, &w->len);
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
  write_t *w = s->pending;
  s->pending = s->pending_tail = NULL;
  while (w != NULL) {
    write_t *next = w->next;
    conn_t *c = w->conn;
    if (!flushed && w->needs_flush && (w = write_failed_answer(w, &err)) == NULL) {
      conn_close(c);
      w = next;
      continue;
    }
    int ok = !c->closing && seal(c, w) == 0;
    uv_buf_t buf = uv_buf_init(w->data, (unsigned int)w->len);
    if (!ok || uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, written) != 0) {
      free(w->data);
      free(w);
      conn_close(c);
    }
    w = next;
  }
}

/* --- http_parser callbacks ------------------------------------------------------------------------------ */

static int on_message_begin(http_parser *p) {
  conn_t *c = p->data;
  c->target_len = c->body_len = c->header_len = c->ctype_len = 0;
  c->cbor = 0;
  c->hlen = c->hcount = c->url_len = 0;
  c->headers_overflow = 0;
  uv_timer_start(&c->deadline, on_deadline, (uint64_t)c->server->request_timeout_ms, 0);
  c->in_target = c->last_was_value = c->too_large = 0;
  return 0;
}

/* Appends to the header buffer, for --auth: the current header's name (lowercased) or value. */
static void keep_header(conn_t *c, const char *at, size_t len, int value, int starts) {
  if (c->server->auth == NULL || c->headers_overflow) return;
  if (c->hlen + len > sizeof c->hbuf || (starts && !value && c->hcount == 64)) {
    c->headers_overflow = 1;
    return;
  }
  if (starts && !value) c->headers[c->hcount++] = (sl_sigv4_header_t){c->hbuf + c->hlen, NULL, 0, 0};
  sl_sigv4_header_t *h = &c->headers[c->hcount - 1];
  if (starts && value) h->value = c->hbuf + c->hlen;
  for (size_t i = 0; i < len; i++)
    c->hbuf[c->hlen++] = !value && at[i] >= 'A' && at[i] <= 'Z' ? (char)(at[i] + 32) : at[i];
  if (value) h->value_len += len;
  else h->name_len += len;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  for (size_t i = 0; i < len && c->url_len + 1 < sizeof c->url; i++) c->url[c->url_len++] = at[i];
  c->url[c->url_len] = '\0';
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  keep_header(c, at, len, 0, c->last_was_value || c->hcount == 0 || c->headers[c->hcount - 1].value != NULL);
  if (c->last_was_value) c->header_len = 0;
  c->last_was_value = 0;
  for (size_t i = 0; i < len && c->header_len + 1 < sizeof c->header; i++)
    c->header[c->header_len++] = (char)(at[i] >= 'A' && at[i] <= 'Z' ? at[i] + 32 : at[i]);
  c->header[c->header_len] = '\0';
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->hcount > 0 || c->server->auth == NULL) keep_header(c, at, len, 1, !c->last_was_value);
  if (!c->last_was_value) c->in_target = strcmp(c->header, "x-amz-target") == 0;
  if (!c->last_was_value) c->in_ctype = strcmp(c->header, "content-type") == 0;
  c->last_was_value = 1;
  if (c->in_target)
    for (size_t i = 0; i < len && c->target_len < sizeof c->target; i++) c->target[c->target_len++] = at[i];
  if (c->in_ctype)
    for (size_t i = 0; i < len && c->ctype_len < sizeof c->ctype; i++) c->ctype[c->ctype_len++] = at[i];
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  conn_t *c = p->data;
  if (c->too_large) return 0;
  if (c->body_len + len > c->server->max_body) {
    c->too_large = 1;
    return 0;
  }
  if (c->body_len + len > c->body_cap) {
    size_t cap = c->body_cap ? c->body_cap : 4096;
    while (cap < c->body_len + len) cap *= 2;
    char *grown = realloc(c->body, cap);
    if (grown == NULL) return -1;
    c->body = grown;
    c->body_cap = cap;
  }
  memcpy(c->body + c->body_len, at, len);
  c->body_len += len;
  return 0;
}

static int on_headers_complete(http_parser *p) {
  conn_t *c = p->data;
  if (p->content_length != ULLONG_MAX && p->content_length > c->server->max_body) c->too_large = 1;
  c->cbor = sl_api_content_is_cbor(c->ctype, c->ctype_len);
  return 0;
}

static int on_message_complete(http_parser *p) {
  conn_t *c = p->data;
  uv_timer_stop(&c->deadline);
  if (c->too_large) {
    static const char msg[] = "{\"__type\":\"SerializationException\",\"message\":\"Request body too large\"}";
    respond(c, 413, msg, sizeof msg - 1, 0);
    http_parser_pause(p, 1); /* nothing more is read from this connection */
    return 0;
  }
  int keep_alive = http_should_keep_alive(p);
  if (c->server->auth != NULL) { /* --auth: signed by a known key, or AWS's refusal */
    sl_sigv4_refusal_t why = {"IncompleteSignatureException", "Too many headers to check the signature"};
    char *q = strchr(c->url, '?');
    if (q != NULL) *q++ = '\0';
    sl_sigv4_request_t sr = {http_method_str(p->method), c->url_len ? c->url : "/", q ? q : "", c->headers, c->hcount,
                             c->body, c->body_len};
    if (c->headers_overflow || !sl_sigv4_check(c->server->auth, &sr, sl_clock_wall_ms(), &why)) {
      error_respond(c, why.type, why.message, keep_alive);
      return 0;
    }
  }
  sl_api_response_t out;
  (c->cbor ? sl_api_handle_cbor : sl_api_handle)(c->server->api, c->target, c->target_len, c->body, c->body_len,
                                                 sl_clock_wall_ms(), &out);
  int keep = http_should_keep_alive(p);
  if (out.body == NULL) {
    static const char msg[] = "{\"__type\":\"InternalFailure\",\"message\":\"out of memory\"}";
    respond(c, 500, msg, sizeof msg - 1, keep);
  } else {
    write_t *w = queue(c, encoded_answer(c, out.status, out.body, out.len, keep, c->cbor));
    if (w != NULL) w->needs_flush = out.needs_flush;
  }
  free(out.body);
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
 * closes it, 413 or 400, is on its way). */
static int parse(conn_t *c, const char *data, size_t len) {
  size_t used = http_parser_execute(&c->parser, &settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
  if (e == HPE_OK && used == len) return 1;
  if (e != HPE_PAUSED) { /* paused: a 413 is on its way, then the connection closes */
    static const char msg[] = "{\"__type\":\"SerializationException\",\"message\":\"Malformed HTTP request\"}";
    respond(c, 400, msg, sizeof msg - 1, 0);
  }
  uv_read_stop((uv_stream_t *)&c->tcp);
  return 0;
}

/* Sends the TLS session's output now: the handshake's messages, alerts, close_notify (never an answer: those
 * wait for send_answers). Then closes the connection when close_after. */
static void send_tls_output(conn_t *c, int close_after) {
  write_t *w = calloc(1, sizeof *w);
  int taken = w != NULL && sl_tls_conn_take(c->tls, &w->data, &w->len) == 0;
  if (!taken || w->len == 0) { /* nothing to send (w->data is NULL) */
    free(w);
    if (!taken || close_after) conn_close(c);
    return;
  }
  w->close_after = close_after;
  w->conn = c;
  uv_buf_t buf = uv_buf_init(w->data, (unsigned int)w->len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, written) != 0) {
    free(w->data);
    free(w);
    conn_close(c);
  }
}

/* Ciphertext read: the plaintext it completes to the parser (none during the handshake, or while a record is
 * partial). The peer's close_notify, or anything that is not TLS (plain HTTP on this port), closes the
 * connection, after the alert or close_notify the session has to send. */
static void read_tls(conn_t *c, const char *data, size_t len) {
  char plain[16384]; /* the plaintext of one TLS record at the most */
  ssize_t n = sl_tls_conn_feed(c->tls, data, len) == 0 ? 1 : SL_TLS_FAILED;
  int reading = 1;
  while (n > 0 && reading) {
    n = sl_tls_conn_read(c->tls, plain, sizeof plain);
    if (n > 0) reading = parse(c, plain, (size_t)n);
  }
  if (n < 0) uv_read_stop((uv_stream_t *)&c->tcp);
  send_tls_output(c, n < 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  if (nread < 0) conn_close(c);
  else if (nread > 0 && !c->closing && c->tls != NULL) read_tls(c, buf->base, (size_t)nread);
  else if (nread > 0 && !c->closing) parse(c, buf->base, (size_t)nread);
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
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
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
  *out = s;
  return SL_OK;
}

static void handle_closed(uv_handle_t *h) {
  sl_server_t *s = h->data;
  if (--s->handles_open == 0 && s->conns == NULL) free(s);
}

void sl_server_close(sl_server_t *s) {
  s->closing = 1;
  for (conn_t *c = s->conns; c != NULL; c = c->next) conn_close(c);
  uv_close((uv_handle_t *)&s->housekeeping, handle_closed);
  uv_close((uv_handle_t *)&s->answers, handle_closed);
  uv_close((uv_handle_t *)&s->listener, handle_closed);
}
