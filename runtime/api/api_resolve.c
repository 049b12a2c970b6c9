/* api_resolve.c - which stream a request names: StreamName, StreamARN (AWS accepts either, or both when they
 * agree) or a ResourceARN (tags and policies: a stream's, or later a consumer's), and whether the stream's
 * status allows the operation (api_state.c), with AWS's errors: a malformed ARN is a validation error
 * (pattern arn:aws.*:kinesis:.*:\d{12}:stream/\S+), one of another account or region, or of a stream not
 * served, ResourceNotFoundException. */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"

/* Copies [from, to) into buf of size; 0 when it does not fit. */
static int part(const char *from, const char *to, char *buf, size_t size) {
  if (to == NULL || (size_t)(to - from) >= size) return 0;
  memcpy(buf, from, (size_t)(to - from));
  buf[to - from] = '\0';
  return 1;
}

int sl__api_arn_parse(const char *arn, api_arn_t *out) {
  memset(out, 0, sizeof *out);
  if (strncmp(arn, "arn:", 4) != 0) return 0;
  const char *p = arn + 4, *colon = strchr(p, ':');
  if (!part(p, colon, out->partition, sizeof out->partition) || strncmp(colon, ":kinesis:", 9) != 0) return 0;
  p = colon + 9;
  colon = strchr(p, ':');
  if (!part(p, colon, out->region, sizeof out->region)) return 0;
  p = colon + 1;
  colon = strchr(p, ':');
  if (!part(p, colon, out->account, sizeof out->account) || strncmp(colon + 1, "stream/", 7) != 0) return 0;
  p = colon + 8;
  const char *slash = strchr(p, '/');
  if (slash != NULL && strncmp(slash, "/consumer/", 10) == 0) out->consumer = slash + 10;
  else if (slash != NULL) return 0;
  return part(p, slash ? slash : p + strlen(p), out->stream, sizeof out->stream) && out->stream[0] != '\0';
}

/* AWS's pattern for a StreamARN (whole=1) or a ResourceARN (streams and consumers). */
static int matches(const char *arn, int resource) {
  regex_t re;
  const char *pattern = resource ? "^arn:aws.*:kinesis:.*:[0-9]{12}:.*stream/[^[:space:]]+$"
                                 : "^arn:aws.*:kinesis:.*:[0-9]{12}:stream/[^[:space:]]+$";
  if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return 0;
  int ok = regexec(&re, arn, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

/* An ARN field of the request (validation errors added as AWS words them); NULL when absent or bad. */
static const char *arn_field(api_request_t *r, const char *field, const char *member, int required, int resource) {
  const char *arn = sl__api_string(r, field, member, required, 1, 2048);
  if (arn == NULL || matches(arn, resource)) return arn;
  char error[2600];
  snprintf(error, sizeof error, "Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular "
           "expression pattern: arn:aws.*:kinesis:.*:\\d{12}:%sstream/\\S+", arn, member, resource ? ".*" : "");
  sl__api_add_error(r, "%s", error);
  return NULL;
}

void sl__api_stream_ref(api_request_t *r, api_by_t by, api_ref_t *ref) {
  ref->name = by == API_BY_ARN ? NULL : sl__api_stream_name(r, 0);
  ref->arn = arn_field(r, "StreamARN", "streamARN", by == API_BY_ARN, 0);
  if (by == API_BY_OPTIONAL) return;
  json_t *name = json_object_get(r->body, "StreamName"), *arn = json_object_get(r->body, "StreamARN");
  if (by == API_BY_EITHER && (name == NULL || json_is_null(name)) && (arn == NULL || json_is_null(arn)))
    sl__api_stream_name(r, 1); /* neither: the error of a missing StreamName, as before StreamARN existed */
}

static api_stream_t *not_found(api_request_t *r, const char *name, const char *account) {
  sl__api_fail(r, 400, "ResourceNotFoundException", "Stream %s under account %s not found.", name, account);
  return NULL;
}

/* The stream an ARN names, if it is this server's (region, account, partition) and served. */
static api_stream_t *by_arn(api_request_t *r, const char *arn, api_arn_t *parsed) {
  if (!sl__api_arn_parse(arn, parsed)) return not_found(r, arn, r->api->account_id);
  api_stream_t *st = sl__api_find(r->api, parsed->stream);
  char mine[512];
  if (st != NULL) sl__api_stream_arn(st->stream, mine, sizeof mine);
  size_t len = strlen(mine);
  if (st == NULL || strncmp(mine, arn, len) != 0 || (arn[len] != '\0' && arn[len] != '/'))
    return not_found(r, parsed->stream, parsed->account);
  return st;
}

static api_stream_t *refuse(api_request_t *r, api_stream_t *st, api_need_t need, api_status_t status) {
  const char *name = sl_stream_name(st->stream);
  if (need == API_DATA) return not_found(r, name, r->api->account_id); /* kinesalite, recorded from AWS */
  sl__api_fail(r, 400, "ResourceInUseException", "Stream %s under account %s not ACTIVE, instead in state %s", name,
               r->api->account_id, sl__api_status_name(status));
  return NULL;
}

api_stream_t *sl__api_resolve(api_request_t *r, const api_ref_t *ref, api_need_t need) {
  api_stream_t *st;
  if (ref->arn != NULL) {
    api_arn_t parsed;
    st = by_arn(r, ref->arn, &parsed);
    if (st == NULL) return NULL;
    if (parsed.consumer != NULL) return not_found(r, parsed.stream, parsed.account);
    if (ref->name != NULL && strcmp(ref->name, parsed.stream) != 0) {
      /* AWS takes both when they agree; its wording for a disagreement is not published: shardlab's. */
      sl__api_fail(r, 400, "InvalidArgumentException", "StreamARN %s and StreamName %s do not name the same "
                   "stream.", ref->arn, ref->name);
      return NULL;
    }
  } else if ((st = sl__api_find(r->api, ref->name)) == NULL) {
    return not_found(r, ref->name, r->api->account_id);
  }
  api_status_t status = sl__api_status(st, r->now_ms);
  int usable = status == API_ACTIVE_STATUS || (status == API_UPDATING && need != API_ACTIVE);
  return need == API_ANY || usable ? st : refuse(r, st, need, status);
}

api_stream_t *sl__api_resource(api_request_t *r, const char *arn) {
  api_arn_t parsed;
  api_stream_t *st = by_arn(r, arn, &parsed);
  if (st == NULL) return NULL;
  if (parsed.consumer != NULL) { /* enhanced fan-out consumers come later: none is registered */
    sl__api_fail(r, 400, "ResourceNotFoundException", "Consumer %s under account %s not found.", arn,
                 r->api->account_id);
    return NULL;
  }
  return st;
}

/* For ResourceARN fields (tags, policies): the validation errors of a malformed one. */
const char *sl__api_resource_arn(api_request_t *r) { return arn_field(r, "ResourceARN", "resourceARN", 1, 1); }
