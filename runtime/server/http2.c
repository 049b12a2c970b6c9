/* http2.c - owns everything shardlab does with nghttp2: one server session per HTTP/2 connection (prior
 * knowledge on cleartext, ALPN h2 over TLS), driven over memory (nghttp2_session_mem_recv for what the server
 * read, nghttp2_session_mem_send for what it sends) so libuv keeps the socket and TLS stays in tls.c. Each
 * stream's request is collected into a request.h request (:method and :path; every header kept for SigV4,
 * pseudo-headers too, since the JS SDK v3 signs :authority; :authority also as the Host header when the
 * client sent none, for the clients that sign host) and handed to the connection at END_STREAM; the
 * answer comes back through sl__h2_respond when the server sends its answers, so HTTP/2 keeps HTTP/1.1's
 * order (no answer before the flush). An answer's body is a byte queue read by a data provider that defers
 * while the queue is empty and open, the shape a long-lived answer (SubscribeToShard's event stream) needs. */
#define _POSIX_C_SOURCE 200809L

#include "server/http2.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One stream: the request it carries, then its answer's body. */
typedef struct h2_stream_s {
  int32_t id;
  sl__request_t req;
  int incomplete;              /* its request began and has not ended */
  int has_host;                /* it sent a Host header */
  char authority[256];         /* its :authority, the Host header when it sent none */
  char *out;                   /* the answer's body not yet read by the data provider: out_off..out_len */
  size_t out_len, out_off, out_cap;
  int responded, ended;        /* the answer was submitted; its body has no more to come */
  struct h2_stream_s *prev, *next;
} h2_stream_t;

struct sl__h2_s {
  nghttp2_session *session;
  sl__h2_hooks_t hooks;
  h2_stream_t *streams;        /* every open stream, to free them with the session */
  size_t incomplete;           /* streams whose request has not ended */
};

int sl__h2_is_preface(const char *data, size_t len) {
  size_t n = len < NGHTTP2_CLIENT_MAGIC_LEN ? len : NGHTTP2_CLIENT_MAGIC_LEN;
  if (memcmp(data, NGHTTP2_CLIENT_MAGIC, n) != 0) return 0;
  return n == NGHTTP2_CLIENT_MAGIC_LEN ? 1 : -1;
}

static h2_stream_t *stream_of(sl__h2_t *h, int32_t id) {
  return nghttp2_session_get_stream_user_data(h->session, id);
}

/* The stream's request ended (or the stream closed before it did): the deadline may stop. */
static void request_ended(sl__h2_t *h, h2_stream_t *st) {
  if (!st->incomplete) return;
  st->incomplete = 0;
  if (--h->incomplete == 0) h->hooks.busy(h->hooks.user, 0);
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
  sl__h2_t *h = user;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  h2_stream_t *st = calloc(1, sizeof *st);
  if (st == NULL) return NGHTTP2_ERR_CALLBACK_FAILURE;
  st->id = frame->hd.stream_id;
  sl__request_reset(&st->req, h->hooks.keep_headers);
  st->next = h->streams;
  if (h->streams) h->streams->prev = st;
  h->streams = st;
  nghttp2_session_set_stream_user_data(session, st->id, st);
  st->incomplete = 1;
  if (h->incomplete++ == 0) h->hooks.busy(h->hooks.user, 1);
  return 0;
}

/* len bytes of value into buf (cap bytes), NUL-terminated and truncated. */
static size_t copy_value(char *buf, size_t cap, const uint8_t *value, size_t len) {
  size_t n = len < cap - 1 ? len : cap - 1;
  memcpy(buf, value, n);
  buf[n] = '\0';
  return n;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)session;
  (void)flags;
  h2_stream_t *st = stream_of(user, frame->hd.stream_id);
  if (st == NULL) return 0;
  sl__request_t *r = &st->req;
  const char *n = (const char *)name, *v = (const char *)value;
  if (namelen == 7 && memcmp(n, ":method", 7) == 0) copy_value(r->method, sizeof r->method, value, valuelen);
  else if (namelen == 5 && memcmp(n, ":path", 5) == 0) r->url_len = copy_value(r->url, sizeof r->url, value, valuelen);
  else if (namelen == 10 && memcmp(n, ":authority", 10) == 0)
    copy_value(st->authority, sizeof st->authority, value, valuelen);
  else if (namelen == 12 && memcmp(n, "x-amz-target", 12) == 0) sl__request_target_piece(r, v, valuelen);
  else if (namelen == 12 && memcmp(n, "content-type", 12) == 0) sl__request_ctype_piece(r, v, valuelen);
  if (namelen == 4 && memcmp(n, "host", 4) == 0) st->has_host = 1;
  sl__request_header_piece(r, n, namelen, 0, 1);
  sl__request_header_piece(r, v, valuelen, 1, 1);
  return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *user) {
  (void)session;
  (void)flags;
  sl__h2_t *h = user;
  h2_stream_t *st = stream_of(h, id);
  if (st == NULL || !st->incomplete) return 0;
  return sl__request_body(&st->req, (const char *)data, len, h->hooks.max_body) == 0 ? 0
                                                                                      : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user) {
  (void)session;
  sl__h2_t *h = user;
  if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
      !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  h2_stream_t *st = stream_of(h, frame->hd.stream_id);
  if (st == NULL || !st->incomplete) return 0;
  if (!st->has_host && st->authority[0]) { /* HTTP/2's Host header (RFC 9113, 8.3.1), as the client signed it */
    sl__request_header_piece(&st->req, "host", 4, 0, 1);
    sl__request_header_piece(&st->req, st->authority, strlen(st->authority), 1, 1);
  }
  request_ended(h, st);
  h->hooks.request(h->hooks.user, st->id, &st->req);
  return 0;
}

static void stream_free(sl__h2_t *h, h2_stream_t *st) {
  if (st->prev) st->prev->next = st->next;
  else h->streams = st->next;
  if (st->next) st->next->prev = st->prev;
  free(st->req.body);
  free(st->out);
  free(st);
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *user) {
  (void)error_code;
  sl__h2_t *h = user;
  h2_stream_t *st = stream_of(h, id);
  if (st == NULL) return 0;
  nghttp2_session_set_stream_user_data(session, id, NULL);
  request_ended(h, st);
  stream_free(h, st);
  return 0;
}

/* The data provider of an answer: what its body has; deferred while it has nothing yet and is not ended
 * (sl__h2_push resumes it). */
static ssize_t read_body(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *source, void *user) {
  (void)session;
  (void)id;
  (void)user;
  h2_stream_t *st = source->ptr;
  size_t n = st->out_len - st->out_off;
  if (n > length) n = length;
  if (n == 0 && !st->ended) return NGHTTP2_ERR_DEFERRED;
  if (n > 0) memcpy(buf, st->out + st->out_off, n);
  st->out_off += n;
  if (st->out_off == st->out_len) {
    st->out_off = st->out_len = 0; /* all read: the buffer is reused by what is pushed next */
    if (st->ended) *flags |= NGHTTP2_DATA_FLAG_EOF;
  }
  return (ssize_t)n;
}

/* The session's callbacks; NULL out of memory. */
static nghttp2_session_callbacks *callbacks(void) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0) return NULL;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  return cb;
}

sl__h2_t *sl__h2_new(const sl__h2_hooks_t *hooks) {
  sl__h2_t *h = calloc(1, sizeof *h);
  nghttp2_session_callbacks *cb = h != NULL ? callbacks() : NULL;
  if (cb == NULL || nghttp2_session_server_new(&h->session, cb, h) != 0) {
    if (cb != NULL) nghttp2_session_callbacks_del(cb);
    free(h);
    return NULL;
  }
  nghttp2_session_callbacks_del(cb);
  h->hooks = *hooks;
  /* 100 streams at once, as AWS's endpoints allow; windows of 1 MiB a stream and 16 MiB the connection, so a
   * PutRecords of 5 MiB needs few round trips for WINDOW_UPDATE. */
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20}};
  if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings, 2) != 0 ||
      nghttp2_session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0, 1 << 24) != 0) {
    sl__h2_free(h);
    return NULL;
  }
  return h;
}

void sl__h2_free(sl__h2_t *h) {
  if (h == NULL) return;
  nghttp2_session_del(h->session); /* calls no stream-close callbacks: the streams go here */
  while (h->streams != NULL) stream_free(h, h->streams);
  free(h);
}

int sl__h2_feed(sl__h2_t *h, const char *data, size_t len) {
  ssize_t used = nghttp2_session_mem_recv(h->session, (const uint8_t *)data, len);
  return used < 0 || (size_t)used != len ? -1 : 0;
}

int sl__h2_take(sl__h2_t *h, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  size_t cap = 0;
  const uint8_t *frames;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(h->session, &frames)) > 0)
    if (sl__bytes_append(out, len, &cap, frames, (size_t)n) != 0) break;
  if (n == 0) return 0;
  free(*out);
  *out = NULL;
  *len = 0;
  return -1;
}

int sl__h2_done(const sl__h2_t *h) {
  return !nghttp2_session_want_read(h->session) && !nghttp2_session_want_write(h->session);
}

#define NV(NAME, VALUE)                                                                                          \
  { (uint8_t *)(NAME), (uint8_t *)(VALUE), sizeof(NAME) - 1, strlen(VALUE), NGHTTP2_NV_FLAG_NONE }

int sl__h2_respond(sl__h2_t *h, int32_t stream_id, int status, const char *content_type, const char *request_id,
                   char *body, size_t len, int more) {
  h2_stream_t *st = stream_of(h, stream_id);
  if (st == NULL || st->responded) {
    free(body);
    return -1;
  }
  free(st->out); /* the body becomes the stream's queue as it is */
  st->out = body;
  st->out_len = st->out_cap = len;
  st->out_off = 0;
  st->ended = !more;
  st->responded = 1;
  char status_s[8], length_s[24];
  snprintf(status_s, sizeof status_s, "%d", status);
  snprintf(length_s, sizeof length_s, "%zu", len);
  const nghttp2_nv nv[] = {NV(":status", status_s), NV("content-type", content_type),
                           NV("x-amzn-requestid", request_id), NV("content-length", length_s)};
  nghttp2_data_provider provider = {.source.ptr = st, .read_callback = read_body};
  return nghttp2_submit_response(h->session, stream_id, nv, more ? 3 : 4, &provider) == 0 ? 0 : -1;
}

int sl__h2_push(sl__h2_t *h, int32_t stream_id, const char *data, size_t len, int end) {
  h2_stream_t *st = stream_of(h, stream_id);
  if (st == NULL || !st->responded || st->ended) return -1;
  if (sl__bytes_append(&st->out, &st->out_len, &st->out_cap, data, len) != 0) return -1;
  st->ended = end;
  nghttp2_session_resume_data(h->session, stream_id); /* fails harmlessly when it was not deferred */
  return 0;
}
