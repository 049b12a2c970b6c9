/* api_cbor.c - the Kinesis API in CBOR (Content-Type application/x-amz-cbor-1.1, the default of AWS's Java SDKs,
 * the KCL and the KPL), converted at the API's door: the API speaks JSON. A CBOR request becomes the JSON text
 * the API takes (byte strings as base64 text, numbers of timestamp members as epoch seconds), the JSON answer
 * (errors included) becomes CBOR (the blob member Data as a byte string, timestamps as tag 1, integers as
 * integers, other numbers as doubles). Timestamps follow AWS's CBOR protocol, not RFC 8949: the number under
 * tag 1 counts epoch milliseconds, both ways (AWS's Java SDK v2 writes Instant.toEpochMilli() and parses
 * timestamps with Long.parseLong). libcbor's streaming decoder reads requests, with a bound on nesting, so a
 * hostile body cannot recurse; its encoders write answers. Request in, response out, no I/O. */
#include <cbor.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shardlab/api.h"
#include "shardlab/base64.h"

/* Which members are what, from the Kinesis model (service-2.json: every blob and timestamp member of a
 * structure): the one blob is Data (PutRecord, PutRecordsRequestEntry, Record); the timestamps are
 * ApproximateArrivalTimestamp (Record), StreamCreationTimestamp (StreamDescription, StreamDescriptionSummary,
 * StreamSummary, ListShards and ListStreamConsumers inputs), ConsumerCreationTimestamp (Consumer,
 * ConsumerDescription) and Timestamp (GetShardIterator, ShardFilter, StartingPosition). No member of another
 * type has one of these names. */
static const char *const timestamp_members[] = {"Timestamp", "ApproximateArrivalTimestamp", "StreamCreationTimestamp",
                                                "ConsumerCreationTimestamp"};

static int is_member(const char *key, size_t len, const char *name) {
  return strlen(name) == len && memcmp(key, name, len) == 0;
}

static int is_timestamp(const char *key, size_t len) {
  for (size_t i = 0; key != NULL && i < sizeof timestamp_members / sizeof timestamp_members[0]; i++)
    if (is_member(key, len, timestamp_members[i])) return 1;
  return 0;
}

int sl_api_content_is_cbor(const char *content_type, size_t len) {
  static const char cbor[] = "application/x-amz-cbor-1.1";
  size_t n = sizeof cbor - 1, i = 0;
  while (i < len && (content_type[i] == ' ' || content_type[i] == '\t')) i++;
  if (len - i < n || strncasecmp(content_type + i, cbor, n) != 0) return 0;
  for (i += n; i < len && content_type[i] != ';'; i++) /* parameters after ';' are not looked at */
    if (content_type[i] != ' ' && content_type[i] != '\t') return 0;
  return 1;
}

/* --- requests: CBOR to JSON ------------------------------------------------------------------------------- */

enum { MAX_DEPTH = 32 }; /* Kinesis's requests nest 3 deep; jansson's own parser stops at 2048 */

typedef struct frame_s {
  json_t *container;   /* an array or an object */
  int indefinite;
  uint64_t remaining;  /* definite: the items still to come (a map's keys and values both count) */
  char *key;           /* a map's key read, waiting for its value (NULL: a key is due) */
  size_t key_len;
} frame_t;

typedef struct decoder_s {
  frame_t stack[MAX_DEPTH];
  int depth;
  json_t *root;
  int tag1;            /* a tag 1 came: the next item is a timestamp */
  int in_string;       /* an indefinite string is being read: 'b' (bytes) or 't' (text) */
  char *chunks;        /* its chunks so far */
  size_t chunks_len, chunks_cap;
  size_t left;         /* bytes of the body not read yet: a definite count over it cannot be honest */
  const char *error;   /* the first problem (the request is then a SerializationException) */
} decoder_t;

static void fail(decoder_t *d, const char *why) {
  if (d->error == NULL) d->error = why;
}

/* A timestamp's epoch milliseconds as the JSON protocol's epoch seconds. */
static json_t *seconds(json_t *ms) {
  json_t *s = json_real(json_number_value(ms) / 1000.0);
  json_decref(ms);
  return s;
}

/* Places a value read where it goes: a map's key or value, an array's item, or the root. Steals v. */
static void place(decoder_t *d, json_t *v);

/* A definite container that has all its items leaves the stack and becomes its parent's value. */
static void complete(decoder_t *d) {
  frame_t *f = &d->stack[d->depth - 1];
  if (f->indefinite || f->remaining > 0) return;
  json_t *done = f->container;
  d->depth--;
  place(d, done);
}

static void put_in_map(decoder_t *d, frame_t *f, json_t *v) {
  if (f->key == NULL) {
    if (!json_is_string(v)) fail(d, "a map key is not a text string");
    else if ((f->key = malloc(json_string_length(v) + 1)) == NULL) fail(d, "out of memory");
    else {
      f->key_len = json_string_length(v);
      memcpy(f->key, json_string_value(v), f->key_len + 1);
    }
    json_decref(v);
    return;
  }
  if (json_object_getn(f->container, f->key, f->key_len) != NULL) {
    fail(d, "a map has the same key twice");
    json_decref(v);
  } else if (json_object_setn_new(f->container, f->key, f->key_len, v) != 0) {
    fail(d, "out of memory");
  }
  free(f->key);
  f->key = NULL;
}

static void place(decoder_t *d, json_t *v) {
  if (v == NULL) fail(d, "out of memory");
  else if (d->in_string) fail(d, "an item inside an indefinite-length string");
  if (d->error != NULL) {
    json_decref(v);
    return;
  }
  frame_t *f = d->depth > 0 ? &d->stack[d->depth - 1] : NULL;
  int stamp = d->tag1 || (f != NULL && json_is_object(f->container) && is_timestamp(f->key, f->key_len));
  if (d->tag1 && !json_is_number(v)) fail(d, "tag 1 (a timestamp) on an item that is not a number");
  else if (stamp && json_is_number(v) && (v = seconds(v)) == NULL) fail(d, "out of memory");
  d->tag1 = 0;
  if (d->error != NULL) {
    json_decref(v);
  } else if (f == NULL) {
    d->root = v;
  } else {
    if (json_is_object(f->container)) put_in_map(d, f, v);
    else if (json_array_append_new(f->container, v) != 0) fail(d, "out of memory");
    if (!f->indefinite) f->remaining--;
    if (d->error == NULL) complete(d);
  }
}

static void push(decoder_t *d, json_t *container, int indefinite, uint64_t items) {
  if (container == NULL) fail(d, "out of memory");
  else if (d->depth == MAX_DEPTH) fail(d, "items nested too deeply");
  else if (d->in_string) fail(d, "an item inside an indefinite-length string");
  else if (d->tag1) fail(d, "tag 1 (a timestamp) on an item that is not a number");
  else if (!indefinite && items > d->left) fail(d, "a count of items past the end of the body");
  if (d->error != NULL) {
    json_decref(container);
    return;
  }
  d->stack[d->depth++] = (frame_t){container, indefinite, items, NULL, 0};
  if (!indefinite) complete(d); /* an empty one is complete at once */
}

/* A text string (UTF-8, else NULL) or a byte string, as the base64 text the JSON protocol carries blobs in. */
static json_t *string_value(decoder_t *d, int bytes, const void *data, size_t len) {
  if (!bytes) {
    json_t *s = json_stringn(data, len);
    if (s == NULL) fail(d, "a text string is not UTF-8");
    return s;
  }
  char *text = malloc(SL_BASE64_ENCODED_LEN(len) + 1);
  if (text == NULL) return NULL;
  size_t n = sl_base64_encode(data, len, text);
  json_t *s = json_stringn_nocheck(text, n);
  free(text);
  return s;
}

static void string_chunk(decoder_t *d, int bytes, const void *data, size_t len) {
  if (d->in_string == 0) {
    json_t *s = string_value(d, bytes, data, len);
    if (d->error == NULL) place(d, s);
    return;
  }
  if (d->in_string != (bytes ? 'b' : 't')) {
    fail(d, "a chunk of an indefinite-length string of another type");
    return;
  }
  if (d->chunks_len + len > d->chunks_cap) {
    size_t cap = d->chunks_cap ? d->chunks_cap : 256;
    while (cap < d->chunks_len + len) cap *= 2;
    char *grown = realloc(d->chunks, cap);
    if (grown == NULL) {
      fail(d, "out of memory");
      return;
    }
    d->chunks = grown;
    d->chunks_cap = cap;
  }
  if (len) memcpy(d->chunks + d->chunks_len, data, len);
  d->chunks_len += len;
}

/* libcbor's callbacks: each item read goes to place(), containers to push(). */
static void on_uint(void *ctx, uint64_t v) {
  decoder_t *d = ctx;
  if (v > (uint64_t)INT64_MAX) fail(d, "an integer over 2^63-1");
  else place(d, json_integer((json_int_t)v));
}
static void on_uint8(void *ctx, uint8_t v) { on_uint(ctx, v); }
static void on_uint16(void *ctx, uint16_t v) { on_uint(ctx, v); }
static void on_uint32(void *ctx, uint32_t v) { on_uint(ctx, v); }
static void on_negint(void *ctx, uint64_t v) { /* the value is -1 - v */
  decoder_t *d = ctx;
  if (v > (uint64_t)INT64_MAX) fail(d, "an integer under -2^63");
  else place(d, json_integer(-1 - (json_int_t)v));
}
static void on_negint8(void *ctx, uint8_t v) { on_negint(ctx, v); }
static void on_negint16(void *ctx, uint16_t v) { on_negint(ctx, v); }
static void on_negint32(void *ctx, uint32_t v) { on_negint(ctx, v); }
static void on_double(void *ctx, double v) {
  decoder_t *d = ctx;
  if (!isfinite(v)) fail(d, "a number that is not finite");
  else place(d, json_real(v));
}
static void on_float(void *ctx, float v) { on_double(ctx, v); }
static void on_bytes(void *ctx, cbor_data data, size_t len) { string_chunk(ctx, 1, data, len); }
static void on_text(void *ctx, cbor_data data, size_t len) { string_chunk(ctx, 0, data, len); }
static void string_start(decoder_t *d, int type) {
  if (d->in_string) fail(d, "an indefinite-length string inside another");
  d->in_string = type;
  d->chunks_len = 0;
}
static void on_bytes_start(void *ctx) { string_start(ctx, 'b'); }
static void on_text_start(void *ctx) { string_start(ctx, 't'); }
static void on_array(void *ctx, size_t n) { push(ctx, json_array(), 0, n); }
static void on_indef_array(void *ctx) { push(ctx, json_array(), 1, 0); }
static void on_map(void *ctx, size_t n) {
  decoder_t *d = ctx;
  if (n > d->left) fail(d, "a count of items past the end of the body");
  else push(d, json_object(), 0, 2 * (uint64_t)n);
}
static void on_indef_map(void *ctx) { push(ctx, json_object(), 1, 0); }
static void on_tag(void *ctx, uint64_t tag) { /* tag 1 marks a timestamp; other tags are read through */
  decoder_t *d = ctx;
  if (d->in_string) fail(d, "a tag inside an indefinite-length string");
  if (tag == 1) d->tag1 = 1;
}
static void on_null(void *ctx) { place(ctx, json_null()); }
static void on_bool(void *ctx, bool v) { place(ctx, json_boolean(v)); }

/* The end of an indefinite-length string, array or map. */
static void on_break(void *ctx) {
  decoder_t *d = ctx;
  if (d->in_string) {
    int bytes = d->in_string == 'b';
    d->in_string = 0;
    json_t *s = string_value(d, bytes, d->chunks ? d->chunks : "", d->chunks_len);
    if (d->error == NULL) place(d, s);
    return;
  }
  frame_t *f = d->depth > 0 ? &d->stack[d->depth - 1] : NULL;
  if (f == NULL || !f->indefinite) fail(d, "a break outside an indefinite-length item");
  else if (f->key != NULL) fail(d, "a map key without its value");
  if (d->error != NULL) return;
  d->depth--;
  place(d, f->container);
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_uint8, .uint16 = on_uint16, .uint32 = on_uint32, .uint64 = on_uint,
    .negint8 = on_negint8, .negint16 = on_negint16, .negint32 = on_negint32, .negint64 = on_negint,
    .byte_string = on_bytes, .byte_string_start = on_bytes_start,
    .string = on_text, .string_start = on_text_start,
    .array_start = on_array, .indef_array_start = on_indef_array,
    .map_start = on_map, .indef_map_start = on_indef_map,
    .tag = on_tag, .float2 = on_float, .float4 = on_float, .float8 = on_double,
    .undefined = on_null, .null = on_null, .boolean = on_bool, .indef_break = on_break,
};

static void decoder_free(decoder_t *d) {
  for (int i = 0; i < d->depth; i++) {
    json_decref(d->stack[i].container);
    free(d->stack[i].key);
  }
  json_decref(d->root);
  free(d->chunks);
}

/* The CBOR body as the JSON text the API takes (malloc'd), or NULL and *why. */
static char *request_json(const unsigned char *body, size_t len, const char **why) {
  decoder_t d;
  memset(&d, 0, sizeof d);
  size_t at = 0;
  while (d.error == NULL && d.root == NULL) {
    d.left = len - at;
    struct cbor_decoder_result r = at < len ? cbor_stream_decode(body + at, len - at, &callbacks, &d)
                                            : (struct cbor_decoder_result){0, CBOR_DECODER_NEDATA, 1};
    if (r.status == CBOR_DECODER_NEDATA) fail(&d, "the body ends inside an item");
    else if (r.status != CBOR_DECODER_FINISHED) fail(&d, "a malformed item");
    at += r.read;
  }
  if (d.error == NULL && at < len) fail(&d, "bytes after the request's map");
  if (d.error == NULL && !json_is_object(d.root)) fail(&d, "the request is not a map");
  char *text = d.error == NULL ? json_dumps(d.root, JSON_COMPACT) : NULL;
  if (d.error == NULL && text == NULL) fail(&d, "out of memory");
  *why = d.error;
  decoder_free(&d);
  return text;
}

/* --- answers: JSON to CBOR -------------------------------------------------------------------------------- */

typedef struct out_s {
  unsigned char *p;
  size_t len, cap;
  int failed;          /* out of memory */
} out_t;

/* Room for n more bytes at o->p + o->len; 0 when out of memory. */
static int room(out_t *o, size_t n) {
  if (o->failed) return 0;
  if (o->len + n <= o->cap) return 1;
  size_t cap = o->cap ? o->cap : 1024;
  while (cap < o->len + n) cap *= 2;
  unsigned char *grown = realloc(o->p, cap);
  if (grown == NULL) {
    o->failed = 1;
    return 0;
  }
  o->p = grown;
  o->cap = cap;
  return 1;
}

/* An item's head (major type and argument, at most 9 bytes) through one of libcbor's encoders. */
static void head(out_t *o, size_t (*encode)(uint64_t, unsigned char *, size_t), uint64_t v) {
  if (room(o, 9)) o->len += encode(v, o->p + o->len, 9);
}

/* libcbor's encoders of heads that take a size_t, as head() calls them. */
static size_t bytes_head(uint64_t n, unsigned char *p, size_t size) {
  return cbor_encode_bytestring_start((size_t)n, p, size);
}
static size_t text_head(uint64_t n, unsigned char *p, size_t size) {
  return cbor_encode_string_start((size_t)n, p, size);
}
static size_t array_head(uint64_t n, unsigned char *p, size_t size) {
  return cbor_encode_array_start((size_t)n, p, size);
}
static size_t map_head(uint64_t n, unsigned char *p, size_t size) { return cbor_encode_map_start((size_t)n, p, size); }

static void text(out_t *o, const char *s, size_t len) {
  head(o, text_head, len);
  if (room(o, len) && len) memcpy(o->p + o->len, s, len);
  if (!o->failed) o->len += len;
}

static void integer(out_t *o, json_int_t v) {
  if (v >= 0) head(o, cbor_encode_uint, (uint64_t)v);
  else head(o, cbor_encode_negint, (uint64_t)(-(v + 1)));
}

/* A Data member: its base64 text as the bytes it stands for; text as it is when it is no valid base64. */
static void blob(out_t *o, const char *s, size_t len) {
  size_t pad = len >= 1 && s[len - 1] == '=' ? (len >= 2 && s[len - 2] == '=' ? 2 : 1) : 0;
  size_t n = len / 4 * 3 - (len % 4 == 0 ? pad : 0), start = o->len, got = 0;
  sl_error_t err;
  head(o, bytes_head, n);
  if (!room(o, n + 3)) return;
  if (len % 4 == 0 && sl_base64_decode(s, len, "Data", o->p + o->len, &got, &err) == SL_OK && got == n) {
    o->len += n;
    return;
  }
  o->len = start;
  text(o, s, len);
}

/* One JSON value under the member name key (NULL in an array, or at the root). */
static void value(out_t *o, const char *key, json_t *v) {
  const char *k;
  json_t *member;
  size_t i;
  int stamp = key != NULL && is_timestamp(key, strlen(key));
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    head(o, map_head, json_object_size(v));
    json_object_foreach(v, k, member) {
      text(o, k, strlen(k));
      value(o, k, member);
    }
    break;
  case JSON_ARRAY:
    head(o, array_head, json_array_size(v));
    json_array_foreach(v, i, member) value(o, NULL, member);
    break;
  case JSON_STRING:
    if (key != NULL && strcmp(key, "Data") == 0) blob(o, json_string_value(v), json_string_length(v));
    else text(o, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
  case JSON_REAL:
    if (stamp) { /* epoch seconds as AWS's CBOR timestamps: tag 1, integer milliseconds */
      head(o, cbor_encode_tag, 1);
      integer(o, (json_int_t)llround(json_number_value(v) * 1000.0));
    } else if (json_is_integer(v)) {
      integer(o, json_integer_value(v));
    } else if (room(o, 9)) {
      o->len += cbor_encode_double(json_real_value(v), o->p + o->len, 9);
    }
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    if (room(o, 1)) o->len += cbor_encode_bool(json_is_true(v), o->p + o->len, 1);
    break;
  case JSON_NULL:
    if (room(o, 1)) o->len += cbor_encode_null(o->p + o->len, 1);
    break;
  }
}

char *sl_api_answer_cbor(const char *json, size_t len, size_t *out_len) {
  json_t *v = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
  out_t o = {0};
  if (v != NULL) value(&o, NULL, v);
  json_decref(v);
  if (v == NULL || o.failed) {
    free(o.p);
    return NULL;
  }
  *out_len = o.len;
  return (char *)o.p;
}

/* --- the whole request ------------------------------------------------------------------------------------ */

void sl_api_handle_cbor(sl_api_t *api, const char *target, size_t target_len, const char *body, size_t body_len,
                        int64_t now_ms, sl_api_response_t *out) {
  const char *why = NULL;
  char *json = body_len > 0 ? request_json((const unsigned char *)body, body_len, &why) : NULL;
  if (why != NULL) { /* as the JSON protocol answers a body it cannot parse */
    char message[160];
    snprintf(message, sizeof message, "the request body is not valid CBOR: %s", why);
    memset(out, 0, sizeof *out);
    out->status = 400;
    json_t *e = json_pack("{s:s,s:s}", "__type", "SerializationException", "message", message);
    out->body = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    out->len = out->body ? strlen(out->body) : 0;
  } else {
    sl_api_handle(api, target, target_len, json ? json : "", json ? strlen(json) : 0, now_ms, out);
  }
  free(json);
  if (out->body == NULL) { /* out of memory: a bare 500, as sl_api_handle leaves it */
    out->status = 500;
    return;
  }
  size_t n = 0;
  char *cbor = sl_api_answer_cbor(out->body, out->len, &n);
  free(out->body);
  out->body = cbor;
  out->len = cbor ? n : 0;
  if (cbor == NULL) out->status = 500;
}
