/* api_put_fast.c - PutRecords without a JSON tree: the request in the shape every SDK sends
 * ({"StreamName": ..., "Records": [{"Data": ..., "PartitionKey": ..., "ExplicitHashKey": ...}, ...]}, strings
 * without escapes) is scanned in place and the response written straight into its buffer. Building and
 * freeing jansson trees took two thirds of the server's time on this call. Anything else (escapes, other
 * fields, a bad entry, a missing stream) is left to the general path, which gives AWS's errors; nothing is put
 * before every entry has been checked. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/base64.h"

enum { MAX_ENTRIES = 500, MAX_DATA = 1024 * 1024 };

typedef struct scan_s {
  const char *p, *end;
} scan_t;

static void ws(scan_t *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int take(scan_t *s, char c) {
  ws(s);
  if (s->p >= s->end || *s->p != c) return 0;
  s->p++;
  return 1;
}

/* A string without escapes or control characters: its bytes between the quotes. */
static int string(scan_t *s, const char **at, size_t *len) {
  if (!take(s, '"')) return 0;
  const char *start = s->p;
  while (s->p < s->end && *s->p != '"') {
    if (*s->p == '\\' || (unsigned char)*s->p < 0x20) return 0;
    s->p++;
  }
  if (s->p >= s->end) return 0;
  *at = start;
  *len = (size_t)(s->p - start);
  s->p++;
  return 1;
}

static int is(const char *at, size_t len, const char *word) { return len == strlen(word) && memcmp(at, word, len) == 0; }

typedef struct entry_s {
  const char *key, *data, *ehk;
  size_t key_len, data_len, ehk_len;
} entry_t;

static int entry(scan_t *s, entry_t *e) {
  memset(e, 0, sizeof *e);
  if (!take(s, '{')) return 0;
  if (take(s, '}')) return 0;
  do {
    const char *k, *v;
    size_t kl, vl;
    if (!string(s, &k, &kl) || !take(s, ':') || !string(s, &v, &vl)) return 0;
    if (is(k, kl, "Data") && !e->data) e->data = v, e->data_len = vl;
    else if (is(k, kl, "PartitionKey") && !e->key) e->key = v, e->key_len = vl;
    else if (is(k, kl, "ExplicitHashKey") && !e->ehk) e->ehk = v, e->ehk_len = vl;
    else return 0;
  } while (take(s, ','));
  return take(s, '}') && e->data && e->key && e->key_len >= 1 && e->key_len <= 256 &&
         e->data_len <= SL_BASE64_ENCODED_LEN(MAX_DATA) && (!e->ehk || (e->ehk_len >= 1 && e->ehk_len < 64));
}

/* Appends text, escaping what JSON needs escaped (messages are ours, but never trust a message). */
static char *put_text(char *o, const char *t) {
  for (; *t; t++) {
    if (*t == '"' || *t == '\\') *o++ = '\\';
    *o++ = (unsigned char)*t < 0x20 ? ' ' : *t;
  }
  return o;
}

/* Puts the entries, every one checked and decoded already (their data one after another in data), and writes
 * the response into out->body, which has room for n * 640 + 128 bytes. */
static void put_all(const api_stream_t *st, int64_t now_ms, const entry_t *entries, size_t n,
                    const unsigned char *data, const size_t *data_len, char (*ehks)[64], sl_api_response_t *out) {
  sl_stream_t *stream = st->stream;
  char *o = out->body + strlen(strcpy(out->body, "{\"Records\":["));
  int failed = 0;
  const unsigned char *d = data;
  for (size_t i = 0; i < n; i++) {
    sl_put_result_t res;
    sl_error_t err;
    if (i > 0) *o++ = ',';
    if (sl_stream_put(stream, now_ms, entries[i].key, entries[i].key_len, entries[i].ehk ? ehks[i] : NULL, d,
                      data_len[i], &res, &err) == SL_OK) {
      o += strlen(strcpy(o, "{\"SequenceNumber\":\""));
      o += sl_seqnum_format(&res.seq, o);
      o += strlen(strcpy(o, "\",\"ShardId\":\""));
      o += strlen(strcpy(o, sl_stream_shard(stream, res.shard_index)->id));
      o += strlen(strcpy(o, "\"}"));
    } else {
      const char *type = sl_error_name(err.code);
      int internal = type == NULL || err.code == SL_ENOMEM || err.code == SL_EIO;
      err.message[250] = '\0'; /* escaped, at most 500 bytes: the entry fits its 640 */
      o += strlen(strcpy(o, "{\"ErrorCode\":\""));
      o += strlen(strcpy(o, internal ? "InternalFailure" : type));
      o += strlen(strcpy(o, "\",\"ErrorMessage\":\""));
      o = put_text(o, err.message);
      o += strlen(strcpy(o, "\"}"));
      failed++;
    }
    d += data_len[i];
  }
  o += sprintf(o, "],\"FailedRecordCount\":%d,\"EncryptionType\":\"%s\"}", failed, sl__api_encryption(st));
  out->status = 200;
  out->len = (size_t)(o - out->body);
}

int sl__api_put_records_fast(sl_api_t *api, const char *body, size_t len, int64_t now_ms, sl_api_response_t *out) {
  scan_t s = {body, body + len};
  const char *name = NULL, *k;
  size_t name_len = 0, kl, n = 0;
  entry_t *entries = NULL;
  int ok = take(&s, '{'), have_records = 0;
  while (ok) {
    if (!string(&s, &k, &kl) || !take(&s, ':')) ok = 0;
    else if (is(k, kl, "StreamName") && !name) ok = string(&s, &name, &name_len);
    else if (is(k, kl, "Records") && !have_records) {
      have_records = 1;
      entries = malloc(MAX_ENTRIES * sizeof *entries);
      ok = entries != NULL && take(&s, '[');
      while (ok && n < MAX_ENTRIES && (ok = entry(&s, &entries[n])) != 0) {
        n++;
        if (!take(&s, ',')) break;
      }
      ok = ok && take(&s, ']');
    } else ok = 0;
    if (ok && !take(&s, ',')) break;
  }
  ok = ok && take(&s, '}') && (ws(&s), s.p == s.end) && name && n > 0 && name_len <= 128;
  api_stream_t *stream = NULL;
  for (size_t i = 0; ok && i < api->count && !stream; i++) {
    const char *sn = sl_stream_name(api->streams[i].stream);
    if (strlen(sn) == name_len && memcmp(sn, name, name_len) == 0) stream = &api->streams[i];
  }
  /* A stream CREATING or DELETING (refused), or spreading its records itself (AUTO): the general path's. */
  api_status_t status = stream ? sl__api_status(stream, now_ms) : API_CREATING;
  if ((status != API_ACTIVE_STATUS && status != API_UPDATING) ||
      (stream->settings.auto_distribution && sl_stream_config(stream->stream)->mode == SL_STREAM_ON_DEMAND))
    stream = NULL;
  /* Every entry checked and decoded before any is put. */
  size_t total = 0;
  for (size_t i = 0; stream && i < n; i++) total += entries[i].data_len / 4 * 3 + 3;
  unsigned char *data = stream ? malloc(total + 1) : NULL;
  size_t *data_len = stream ? malloc(n * sizeof *data_len) : NULL;
  char (*ehks)[64] = stream ? malloc(n * sizeof *ehks) : NULL;
  ok = data && data_len && ehks;
  unsigned char *d = data;
  size_t request = 0; /* keys and data: over 5 MiB the general path refuses it */
  for (size_t i = 0; ok && i < n; i++) {
    entry_t *e = &entries[i];
    sl_hashkey_t h;
    ok = sl_base64_decode(e->data, e->data_len, "Data", d, &data_len[i], NULL) == SL_OK && data_len[i] <= MAX_DATA &&
         sl_partition_key_check(e->key, e->key_len, NULL) == SL_OK &&
         (!e->ehk || sl_hashkey_parse(e->ehk, e->ehk_len, "ExplicitHashKey", &h, NULL) == SL_OK);
    request += e->key_len + (ok ? data_len[i] : 0);
    ok = ok && request <= SL_API_PUT_RECORDS_MAX;
    if (!ok) break; /* data_len[i] may be unset: nothing more is looked at */
    if (e->ehk) {
      memcpy(ehks[i], e->ehk, e->ehk_len);
      ehks[i][e->ehk_len] = '\0';
    }
    d += data_len[i];
  }
  if (ok) ok = (out->body = malloc(n * 640 + 128)) != NULL;
  if (ok) put_all(stream, now_ms, entries, n, data, data_len, ehks, out);
  free(entries);
  free(data);
  free(data_len);
  free(ehks);
  return ok;
}
