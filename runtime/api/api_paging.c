/* api_paging.c - the listings that page: ListStreams (Limit, ExclusiveStartStreamName, NextToken while
 * HasMoreStreams, StreamSummaries beside StreamNames) and ListShards (MaxResults, NextToken, ExclusiveStartShardId
 * and every ShardFilter type as the API reference defines them). Tokens are base64 of the listing's kind, its
 * position and the time of issue; like AWS's they expire after 300 seconds (ExpiredNextTokenException). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "shardlab/base64.h"

#define TOKEN_TTL_MS 300000 /* API ListShards: "Tokens expire after 300 seconds" */

json_t *sl__api_token(const char *kind, const char *fields, int64_t now_ms) {
  char plain[512], encoded[SL_BASE64_ENCODED_LEN(512) + 1];
  int n = snprintf(plain, sizeof plain, "%s\n%s\n%lld", kind, fields, (long long)now_ms);
  sl_base64_encode(plain, (size_t)(n < (int)sizeof plain ? n : (int)sizeof plain - 1), encoded);
  return json_string(encoded);
}

long long sl__api_token_read(const char *token, const char *kind, int64_t now_ms, char *buf, size_t size) {
  unsigned char plain[768];
  size_t len, klen = strlen(kind);
  if (strlen(token) > 1000 || sl_base64_decode(token, strlen(token), "NextToken", plain, &len, NULL) != SL_OK ||
      len >= sizeof plain)
    return -1;
  plain[len] = '\0';
  char *text = (char *)plain, *last = strrchr(text, '\n');
  if (strncmp(text, kind, klen) != 0 || text[klen] != '\n' || last == NULL || last <= text + klen) return -1;
  *last = '\0';
  if ((size_t)(last - (text + klen + 1)) >= size) return -1;
  strcpy(buf, text + klen + 1);
  long long issued = strtoll(last + 1, NULL, 10), age = now_ms - issued;
  return age < 0 ? 0 : age;
}

/* NextToken of a request as the fields of a token of kind into buf: 1, 0 when absent, -1 after an error
 * response (malformed: InvalidArgumentException; too old: ExpiredNextTokenException, as AWS). */
static int read_token(api_request_t *r, const char *token, const char *kind, char *buf, size_t size) {
  if (token == NULL) return 0;
  long long age = sl__api_token_read(token, kind, r->now_ms, buf, size);
  if (age < 0) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid NextToken.");
    return -1;
  }
  if (age > TOKEN_TTL_MS) {
    sl__api_fail(r, 400, "ExpiredNextTokenException", "The NextToken has expired: tokens are valid for 300 seconds.");
    return -1;
  }
  return 1;
}

static int by_name(const void *a, const void *b) {
  return strcmp(sl_stream_name(((const api_stream_t *)a)->stream), sl_stream_name(((const api_stream_t *)b)->stream));
}

static json_t *summary(api_request_t *r, const api_stream_t *st) {
  const sl_stream_t *s = st->stream;
  char arn[512];
  sl__api_stream_arn(s, arn, sizeof arn);
  return json_pack("{s:s,s:s,s:s,s:{s:s},s:f}", "StreamName", sl_stream_name(s), "StreamARN", arn, "StreamStatus",
                   sl__api_status_name(sl__api_status(st, r->now_ms)), "StreamModeDetails", "StreamMode",
                   sl_stream_mode_name(sl_stream_config(s)->mode), "StreamCreationTimestamp",
                   (double)sl_stream_config(s)->created_ms / 1000.0);
}

void sl__api_list_streams(api_request_t *r) {
  long long limit = 100;
  sl__api_integer(r, "Limit", "limit", 0, 1, 10000, &limit);
  const char *after = sl__api_string(r, "ExclusiveStartStreamName", "exclusiveStartStreamName", 0, 1, 128);
  const char *token = sl__api_string(r, "NextToken", "nextToken", 0, 1, 1048576);
  if (sl__api_validation_failed(r)) return;
  char last[SL_STREAM_NAME_MAX + 1];
  int have = read_token(r, token, "ListStreams", last, sizeof last);
  if (have < 0) return;
  if (have) after = last; /* the token goes on after the last name it listed */
  sl_api_t *api = r->api;
  if (api->count > 1) qsort(api->streams, api->count, sizeof *api->streams, by_name); /* none: streams is NULL */
  json_t *names = json_array(), *summaries = json_array();
  size_t i = 0;
  while (after != NULL && i < api->count && strcmp(sl_stream_name(api->streams[i].stream), after) <= 0) i++;
  for (; i < api->count && json_array_size(names) < (size_t)limit; i++) {
    json_array_append_new(names, json_string(sl_stream_name(api->streams[i].stream)));
    json_array_append_new(summaries, summary(r, &api->streams[i]));
  }
  json_t *body = json_pack("{s:o,s:b,s:o}", "StreamNames", names, "HasMoreStreams", i < api->count,
                           "StreamSummaries", summaries);
  if (i < api->count) json_object_set_new(body, "NextToken", sl__api_token("ListStreams", sl_stream_name(api->streams[i - 1].stream), r->now_ms));
  sl__api_ok(r, body);
}

/* --- ListShards ------------------------------------------------------------------------------------------- */

static const char *const filter_names[] = {"", "AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST",
                                           "AT_TIMESTAMP", "FROM_TIMESTAMP"};
enum { NO_FILTER, AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP,
       FILTERS };

typedef struct filter_s {
  int type;
  int64_t ms;     /* AT_TIMESTAMP, FROM_TIMESTAMP: the timestamp */
  const char *shard_id;
} filter_t;

/* The ShardFilter of the request into f: 0, or -1 after an error response. */
static int read_filter(api_request_t *r, filter_t *f) {
  json_t *j = json_object_get(r->body, "ShardFilter");
  memset(f, 0, sizeof *f);
  if (j == NULL || json_is_null(j)) return 0;
  json_t *type = json_is_object(j) ? json_object_get(j, "Type") : NULL;
  for (int t = 1; t < FILTERS && json_is_string(type); t++)
    if (strcmp(json_string_value(type), filter_names[t]) == 0) f->type = t;
  if (f->type == NO_FILTER) {
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value '%.64s' at 'shardFilter.type' "
                 "failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, "
                 "FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]",
                 json_is_string(type) ? json_string_value(type) : "null");
    return -1;
  }
  json_t *id = json_object_get(j, "ShardId"), *ts = json_object_get(j, "Timestamp");
  const char *name = filter_names[f->type];
  int timed = f->type == AT_TIMESTAMP || f->type == FROM_TIMESTAMP;
  const char *why = f->type == AFTER_SHARD_ID && !json_is_string(id) ? "ShardId must be given"
                    : f->type != AFTER_SHARD_ID && id != NULL       ? "ShardId may not be given"
                    : timed && !json_is_number(ts)                  ? "Timestamp must be given"
                    : !timed && ts != NULL                          ? "Timestamp may not be given"
                                                                    : NULL;
  if (why != NULL) {
    sl__api_fail(r, 400, "InvalidArgumentException", "%s for ShardFilter type %s.", why, name);
    return -1;
  }
  f->shard_id = json_string_value(id);
  f->ms = timed ? (int64_t)(json_number_value(ts) * 1000.0) : 0;
  return 0;
}

/* Whether the filter lists sh (API ShardFilter). horizon: the time of the trim horizon. */
static int lists(const filter_t *f, const sl_shard_t *sh, int64_t horizon) {
  int64_t end = sh->open ? INT64_MAX : sh->closed_ms;
  switch (f->type) {
  case AT_TRIM_HORIZON: return sh->created_ms <= horizon && end >= horizon; /* open at the trim horizon */
  case FROM_TRIM_HORIZON: return end >= horizon;  /* from the trim horizon on: every shard still in retention */
  case AT_LATEST: return sh->open;
  case AT_TIMESTAMP: return sh->created_ms <= f->ms && end >= f->ms;
  case FROM_TIMESTAMP: return end >= f->ms;       /* closed at or after it, or open */
  default: return 1;                              /* none, AFTER_SHARD_ID: by position */
  }
}

/* The pages of one listing: where it starts and what it lists. */
typedef struct listing_s {
  api_stream_t *st;
  long from;
  filter_t filter;
} listing_t;

static void list_page(api_request_t *r, const listing_t *l, long long limit) {
  const sl_stream_t *s = l->st->stream;
  const sl_stream_config_t *c = sl_stream_config(s);
  int64_t horizon = r->now_ms - (int64_t)c->retention_hours * 3600000;
  if (horizon < c->created_ms) horizon = c->created_ms;
  json_t *shards = json_array();
  uint32_t total = sl_stream_shard_total(s), i = (uint32_t)(l->from > 0 ? l->from : 0);
  for (; i < total; i++) {
    if (!lists(&l->filter, sl_stream_shard(s, i), horizon)) continue;
    if (json_array_size(shards) == (size_t)limit) break; /* one more to list: the next page starts here */
    json_array_append_new(shards, sl__api_shard_json(sl_stream_shard(s, i)));
  }
  json_t *body = json_pack("{s:o}", "Shards", shards);
  if (i < total) {
    char fields[400];
    snprintf(fields, sizeof fields, "%s\n%u\n%d\n%lld", sl_stream_name(s), i, l->filter.type,
             (long long)l->filter.ms);
    json_object_set_new(body, "NextToken", sl__api_token("ListShards", fields, r->now_ms));
  }
  sl__api_ok(r, body);
}

/* A ListShards NextToken into l: 0, or -1 after an error response. */
static int resume(api_request_t *r, const char *token, listing_t *l) {
  char fields[400], name[SL_STREAM_NAME_MAX + 1];
  if (read_token(r, token, "ListShards", fields, sizeof fields) < 0) return -1;
  unsigned index;
  long long ms;
  int type;
  if (sscanf(fields, "%128[^\n]\n%u\n%d\n%lld", name, &index, &type, &ms) != 4 || type < 0 || type >= FILTERS) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid NextToken.");
    return -1;
  }
  api_ref_t ref = {name, NULL};
  if ((l->st = sl__api_resolve(r, &ref, API_LISTABLE)) == NULL) return -1;
  l->from = (long)index;
  l->filter.type = type;
  l->filter.ms = ms;
  return 0;
}

/* AWS's refusals of what cannot go with a NextToken (API ListShards). */
static int alone(api_request_t *r, const api_ref_t *ref, const char *token) {
  static const char *const fields[] = {"ExclusiveStartShardId", "ShardFilter", "StreamCreationTimestamp"};
  if (token == NULL && ref->name == NULL && ref->arn == NULL) {
    sl__api_fail(r, 400, "InvalidArgumentException", "Either NextToken or StreamName should be provided.");
    return 0;
  }
  if (token == NULL) return 1;
  const char *with = ref->name ? "StreamName" : ref->arn ? "StreamARN" : NULL;
  for (int i = 0; with == NULL && i < 3; i++)
    if (json_object_get(r->body, fields[i]) != NULL) with = fields[i];
  if (with != NULL) sl__api_fail(r, 400, "InvalidArgumentException", "NextToken and %s cannot be provided together.", with);
  return with == NULL;
}

void sl__api_list_shards(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_OPTIONAL, &ref);
  const char *token = sl__api_string(r, "NextToken", "nextToken", 0, 1, 1048576);
  long long limit = 1000;
  sl__api_integer(r, "MaxResults", "maxResults", 0, 1, 10000, &limit);
  if (sl__api_validation_failed(r) || !alone(r, &ref, token)) return;
  listing_t l = {NULL, 0, {0}};
  if (token != NULL) {
    if (resume(r, token, &l) < 0) return;
  } else {
    if (read_filter(r, &l.filter) < 0 || (l.st = sl__api_resolve(r, &ref, API_LISTABLE)) == NULL) return;
    if ((l.from = sl__api_start_after(r, l.st->stream)) < 0) return;
    if (l.filter.type == AFTER_SHARD_ID) { /* "the shard whose ID immediately follows the ShardId" */
      json_t *saved = r->body, *as = json_pack("{s:s}", "ExclusiveStartShardId", l.filter.shard_id);
      r->body = as;
      long after = sl__api_start_after(r, l.st->stream);
      r->body = saved;
      json_decref(as);
      if (after < 0) return;
      if (after > l.from) l.from = after;
    }
  }
  list_page(r, &l, limit);
}
