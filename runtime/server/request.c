/* request.c - owns what HTTP/1.1 and HTTP/2 share of a request: collecting its headers (for SigV4), its
 * X-Amz-Target and its bounded body, and answering it (the signature check under --auth, then the API). The
 * protocols differ only in how these pieces arrive and how the answer is framed and sent. A request of
 * Content-Type application/x-amz-cbor-1.1 goes to sl_api_handle_cbor, and every answer to it, the server's own
 * errors included, is CBOR. */
#define _POSIX_C_SOURCE 200809L

#include "server/request.h"

#include "server/feeds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl__request_reset(sl__request_t *r, int keep_headers) {
  r->method[0] = '\0';
  r->url[0] = '\0';
  r->url_len = r->target_len = r->ctype_len = r->body_len = 0;
  r->hlen = r->hcount = 0;
  r->too_large = r->headers_overflow = 0;
  r->keep_headers = keep_headers;
}

void sl__request_header_piece(sl__request_t *r, const char *at, size_t len, int value, int starts) {
  int new_header = starts && !value;
  if (!r->keep_headers || r->headers_overflow || (r->hcount == 0 && !new_header)) return;
  if (r->hlen + len > sizeof r->hbuf || (new_header && r->hcount == SL__REQUEST_MAX_HEADERS)) {
    r->headers_overflow = 1;
    return;
  }
  if (new_header) r->headers[r->hcount++] = (sl_sigv4_header_t){r->hbuf + r->hlen, NULL, 0, 0};
  sl_sigv4_header_t *h = &r->headers[r->hcount - 1];
  if (starts && value) h->value = r->hbuf + r->hlen;
  for (size_t i = 0; i < len; i++)
    r->hbuf[r->hlen++] = !value && at[i] >= 'A' && at[i] <= 'Z' ? (char)(at[i] + 32) : at[i];
  if (value) h->value_len += len;
  else h->name_len += len;
}

void sl__request_target_piece(sl__request_t *r, const char *at, size_t len) {
  for (size_t i = 0; i < len && r->target_len < sizeof r->target; i++) r->target[r->target_len++] = at[i];
}

void sl__request_ctype_piece(sl__request_t *r, const char *at, size_t len) {
  for (size_t i = 0; i < len && r->ctype_len < sizeof r->ctype; i++) r->ctype[r->ctype_len++] = at[i];
}

int sl__bytes_append(char **buf, size_t *len, size_t *cap, const void *data, size_t n) {
  if (*len + n > *cap) {
    size_t want = *cap ? *cap : 4096;
    while (want < *len + n) want *= 2;
    char *grown = realloc(*buf, want);
    if (grown == NULL) return -1;
    *buf = grown;
    *cap = want;
  }
  if (n) memcpy(*buf + *len, data, n);
  *len += n;
  return 0;
}

int sl__request_body(sl__request_t *r, const char *at, size_t len, size_t max_body) {
  if (r->too_large) return 0;
  if (r->body_len + len > max_body) {
    r->too_large = 1;
    return 0;
  }
  return sl__bytes_append(&r->body, &r->body_len, &r->body_cap, at, len);
}

/* The content types of answers: JSON 1.1, or CBOR 1.1 to a CBOR request. */
static const char json_type[] = "application/x-amz-json-1.1", cbor_type[] = "application/x-amz-cbor-1.1";

/* The JSON error body of out as CBOR (sl_api_answer_cbor); out of memory: no body. */
static void to_cbor(sl__answer_t *out) {
  size_t n = 0;
  char *body = out->body ? sl_api_answer_cbor(out->body, out->len, &n) : NULL;
  free(out->body);
  out->body = body;
  out->len = body ? n : 0;
  out->content_type = cbor_type;
  out->cbor = 1;
}

void sl__answer_error(sl__answer_t *out, int status, const char *type, const char *message, int cbor) {
  char esc[600];
  size_t n = 0;
  for (const char *m = message; *m && n + 2 < sizeof esc; m++) { /* the messages hold no control characters */
    if ((unsigned char)*m < 0x20) continue;
    if (*m == '"' || *m == '\\') esc[n++] = '\\';
    esc[n++] = *m;
  }
  esc[n] = '\0';
  char body[700];
  int len = snprintf(body, sizeof body, "{\"__type\":\"%s\",\"message\":\"%s\"}", type, esc);
  *out = (sl__answer_t){.status = status, .content_type = json_type, .body = malloc((size_t)len)};
  if (out->body == NULL) return;
  memcpy(out->body, body, (size_t)len);
  out->len = (size_t)len;
  if (cbor) to_cbor(out);
}

/* 1 when r is signed by one of auth's keys; else 0 with *out AWS's refusal (CBOR when cbor). */
static int signed_by_key(const sl_sigv4_keys_t *auth, sl__request_t *r, int64_t now_ms, int cbor, sl__answer_t *out) {
  sl_sigv4_refusal_t why = {"IncompleteSignatureException", "Too many headers to check the signature"};
  char *q = strchr(r->url, '?');
  if (q != NULL) *q++ = '\0';
  sl_sigv4_request_t sr = {r->method, r->url[0] ? r->url : "/", q ? q : "", r->headers, r->hcount, r->body,
                           r->body_len};
  if (!r->headers_overflow && sl_sigv4_check(auth, &sr, now_ms, &why)) return 1;
  sl__answer_error(out, 400, why.type, why.message, cbor);
  return 0;
}

/* SubscribeToShard: a subscription, answered by the event stream's first message; or the API's refusal. */
static void subscribe(sl_api_t *api, sl__request_t *r, int64_t now_ms, sl__answer_t *out) {
  static const char stream_type[] = "application/vnd.amazon.eventstream";
  sl_api_response_t refusal;
  sl_api_subscription_t *sub = sl_api_subscribe(api, r->body, r->body_len, now_ms, &refusal);
  if (sub == NULL) {
    *out = (sl__answer_t){refusal.status, json_type, refusal.body, refusal.len, 0, 0, NULL};
    if (refusal.body == NULL) sl__answer_error(out, 500, "InternalFailure", "out of memory", 0);
    return;
  }
  *out = (sl__answer_t){.status = 200, .content_type = stream_type, .sub = sub};
  if (sl__feeds_initial(&out->body, &out->len) != SL_OK) {
    sl_api_subscription_end(api, sub);
    sl__answer_error(out, 500, "InternalFailure", "out of memory", 0);
  }
}

void sl__request_answer(sl_api_t *api, const sl_sigv4_keys_t *auth, sl__request_t *r, int64_t now_ms,
                        sl__answer_t *out) {
  static const char subscribe_target[] = "Kinesis_20131202.SubscribeToShard";
  int cbor = sl_api_content_is_cbor(r->ctype, r->ctype_len);
  if (r->too_large) {
    sl__answer_error(out, 413, "SerializationException", "Request body too large", cbor);
    return;
  }
  if (auth != NULL && !signed_by_key(auth, r, now_ms, cbor, out)) return;
  if (r->target_len == sizeof subscribe_target - 1 && memcmp(r->target, subscribe_target, r->target_len) == 0) {
    subscribe(api, r, now_ms, out); /* its events are JSON: the JSON protocol's event stream */
    return;
  }
  sl_api_response_t res;
  (cbor ? sl_api_handle_cbor : sl_api_handle)(api, r->target, r->target_len, r->body, r->body_len, now_ms, &res);
  if (res.body == NULL) {
    sl__answer_error(out, 500, "InternalFailure", "out of memory", cbor);
    return;
  }
  *out = (sl__answer_t){res.status, cbor ? cbor_type : json_type, res.body, res.len, res.needs_flush, cbor, NULL};
}

void sl__request_id(uint64_t n, char out[37]) {
  snprintf(out, 37, "%08llx-0000-4000-8000-%012llx", (unsigned long long)(n * 2654435761u & 0xFFFFFFFF),
           (unsigned long long)n);
}
