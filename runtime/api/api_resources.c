/* api_resources.c - the operations that name a resource by its ARN (ResourceARN: a stream's now, a consumer's
 * once enhanced fan-out exists): TagResource, UntagResource, ListTagsForResource, and the resource policies
 * (Put/Get/DeleteResourcePolicy: the document kept as given, not evaluated: there is no IAM here); and the
 * channel operations (delivery to S3, which cannot exist here: there are no channels to find, and creating
 * one is refused). */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

int sl__api_tags_check(api_request_t *r, const json_t *current, json_t *tags, size_t max, const char *stream) {
  const char *key;
  json_t *value;
  json_object_foreach(tags, key, value) {
    if (!json_is_string(value) || strlen(key) < 1 || strlen(key) > 128 || json_string_length(value) > 256) {
      sl__api_fail(r, 400, "InvalidArgumentException", "Tag %.128s: keys have 1 to 128 characters, values are "
                   "strings of at most 256", key);
      return -1;
    }
  }
  size_t after = current ? json_object_size(current) : 0;
  json_object_foreach(tags, key, value) after += current == NULL || json_object_get(current, key) == NULL;
  if (after > max) {
    sl__api_fail(r, 400, "LimitExceededException", "Failed to add tags to stream %s under account %s because a "
                 "given stream cannot have more than %zu tags.", stream, r->api->account_id, max);
    return -1;
  }
  return 0;
}

int sl__api_tags_add(api_request_t *r, api_stream_t *st, json_t *tags, size_t max) {
  if (sl__api_tags_check(r, st->tags, tags, max, sl_stream_name(st->stream)) != 0) return -1;
  json_object_update(st->tags, tags);
  sl__api_settings_save(r->api, st);
  return 0;
}

void sl__api_tag_resource(api_request_t *r) {
  const char *arn = sl__api_resource_arn(r);
  json_t *tags = json_object_get(r->body, "Tags");
  if (tags == NULL || json_is_null(tags))
    sl__api_add_error(r, "Value null at 'tags' failed to satisfy constraint: Member must not be null");
  else if (!json_is_object(tags) || json_object_size(tags) < 1 || json_object_size(tags) > 200)
    sl__api_add_error(r, "Value at 'tags' failed to satisfy constraint: Member must have length between 1 and 200");
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resource(r, arn);
  if (st != NULL && sl__api_tags_add(r, st, tags, 50) == 0) sl__api_ok(r, NULL);
}

void sl__api_untag_resource(api_request_t *r) {
  const char *arn = sl__api_resource_arn(r);
  json_t *keys = json_object_get(r->body, "TagKeys");
  if (keys == NULL || json_is_null(keys))
    sl__api_add_error(r, "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
  else if (!json_is_array(keys) || json_array_size(keys) < 1 || json_array_size(keys) > 50)
    sl__api_add_error(r, "Value at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and 50");
  if (sl__api_validation_failed(r)) return;
  sl__api_tags_remove(r, sl__api_resource(r, arn), keys);
}

void sl__api_tags_remove(api_request_t *r, api_stream_t *st, json_t *keys) {
  if (st == NULL) return;
  size_t i;
  json_t *k;
  json_array_foreach(keys, i, k) if (json_is_string(k)) json_object_del(st->tags, json_string_value(k));
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}

/* The resource of a request that has nothing but its ResourceARN, or an error response and NULL. */
static api_stream_t *resource_only(api_request_t *r, const char **arn) {
  *arn = sl__api_resource_arn(r);
  return sl__api_validation_failed(r) ? NULL : sl__api_resource(r, *arn);
}

void sl__api_list_tags_for_resource(api_request_t *r) {
  const char *arn;
  api_stream_t *st = resource_only(r, &arn);
  if (st == NULL) return;
  json_t *list = json_array();
  const char *key;
  json_t *value;
  json_object_foreach(st->tags, key, value) json_array_append_new(list, json_pack("{s:s,s:O}", "Key", key, "Value", value));
  sl__api_ok(r, json_pack("{s:o}", "Tags", list));
}

/* --- resource policies ------------------------------------------------------------------------------------ */

void sl__api_put_policy(api_request_t *r) {
  const char *arn = sl__api_resource_arn(r);
  const char *policy = sl__api_string(r, "Policy", "policy", 1, 0, 20480);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resource(r, arn);
  if (st == NULL) return;
  json_error_t jerr;
  json_t *doc = json_loads(policy, 0, &jerr);
  int object = json_is_object(doc);
  json_decref(doc);
  if (!object) { /* AWS checks the document's syntax (IAM's grammar is not checked here) */
    sl__api_fail(r, 400, "InvalidArgumentException", "Policy is not a valid JSON policy document: %s",
                 doc ? "not an object" : jerr.text);
    return;
  }
  free(st->settings.policy);
  st->settings.policy = strdup(policy);
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}

void sl__api_get_policy(api_request_t *r) {
  const char *arn;
  api_stream_t *st = resource_only(r, &arn);
  if (st == NULL) return;
  /* API GetResourcePolicy: a resource without a policy answers an empty one, "{}" */
  sl__api_ok(r, json_pack("{s:s}", "Policy", st->settings.policy ? st->settings.policy : "{}"));
}

void sl__api_delete_policy(api_request_t *r) {
  const char *arn;
  api_stream_t *st = resource_only(r, &arn);
  if (st == NULL) return;
  if (st->settings.policy == NULL) {
    sl__api_fail(r, 400, "ResourceNotFoundException", "No resource policy found for resource %s.", arn);
    return;
  }
  free(st->settings.policy);
  st->settings.policy = NULL;
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}

/* --- channels --------------------------------------------------------------------------------------------- */

/* CreateChannel, DescribeChannel, UpdateChannel, DeleteChannel: no channel exists, and none can be made. */
void sl__api_channel(api_request_t *r) {
  const char *arn = json_string_value(json_object_get(r->body, "ChannelARN"));
  if (arn != NULL)
    sl__api_fail(r, 400, "ResourceNotFoundException", "Channel %.2048s under account %s not found.", arn,
                 r->api->account_id);
  else
    sl__api_fail(r, 400, "InvalidArgumentException", "Channels deliver to Amazon S3, which shardlab does not "
                 "have: no channel can be created here.");
}

void sl__api_list_channels(api_request_t *r) { sl__api_ok(r, json_pack("{s:[]}", "ChannelSummaries")); }
