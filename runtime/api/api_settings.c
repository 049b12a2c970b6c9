/* api_settings.c - a stream's settings that only the API knows, and the operations that change them:
 * Start/StopStreamEncryption (EncryptionType KMS and its KeyId recorded: shardlab stores records as they come),
 * Enable/DisableEnhancedMonitoring (the ShardLevelMetrics recorded: there is no CloudWatch here),
 * UpdateMaxRecordSize (the stream's put limit), UpdateStreamWarmThroughput (recorded) and
 * UpdateStreamRecordDistributionStrategy (AUTO spreads an on-demand stream's records over its open shards
 * round-robin). With --data they are kept in the stream's settings.json with its tags and resource policy. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const metric_names[] = {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                                           "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                                           "IteratorAgeMilliseconds"};
enum { METRICS = sizeof metric_names / sizeof metric_names[0] };

void sl__api_settings_init(api_settings_t *s) {
  memset(s, 0, sizeof *s);
  s->metrics = json_array();
  s->warm_mibps = -1;
}

void sl__api_settings_free(api_settings_t *s) {
  free(s->key_id);
  free(s->policy);
  json_decref(s->metrics);
  memset(s, 0, sizeof *s);
}

const char *sl__api_encryption(const api_stream_t *st) { return st->settings.key_id ? "KMS" : "NONE"; }

static int on_demand(const api_stream_t *st) { return sl_stream_config(st->stream)->mode == SL_STREAM_ON_DEMAND; }

void sl__api_settings_describe(const api_stream_t *st, json_t *d, int summary) {
  const api_settings_t *s = &st->settings;
  json_object_set_new(d, "EncryptionType", json_string(sl__api_encryption(st)));
  if (s->key_id != NULL) json_object_set_new(d, "KeyId", json_string(s->key_id));
  json_object_set_new(d, "EnhancedMonitoring", json_pack("[{s:O}]", "ShardLevelMetrics", s->metrics));
  if (!summary) return;
  json_object_set_new(d, "MaxRecordSizeInKiB", json_integer(sl_stream_config(st->stream)->max_record_size_kib));
  if (!on_demand(st)) return;
  json_object_set_new(d, "RecordDistributionStrategy", json_string(s->auto_distribution ? "AUTO" : "USER_PARTITION_KEY"));
  if (s->warm_mibps >= 0)
    json_object_set_new(d, "WarmThroughput", json_pack("{s:I,s:I}", "TargetMiBps", (json_int_t)s->warm_mibps,
                                                       "CurrentMiBps", (json_int_t)sl_stream_open_count(st->stream)));
}

const char *sl__api_auto_hash_key(api_stream_t *st, char *buf) {
  if (!st->settings.auto_distribution || !on_demand(st)) return NULL;
  uint32_t open = sl_stream_open_count(st->stream);
  const sl_shard_t *sh = sl_stream_open_shard(st->stream, (uint32_t)(st->settings.next_auto++ % open));
  sl_hashkey_format(sh->start, buf);
  return buf;
}

/* --- persistence ------------------------------------------------------------------------------------------ */

void sl__api_settings_save(sl_api_t *api, api_stream_t *st) {
  (void)api;
  if (st->store == NULL) return;
  const api_settings_t *s = &st->settings;
  json_t *doc = json_pack("{s:i,s:O,s:O,s:b,s:I}", "format", 1, "tags", st->tags, "metrics", s->metrics,
                          "auto_distribution", s->auto_distribution, "warm_mibps", (json_int_t)s->warm_mibps);
  if (doc != NULL && s->key_id != NULL) json_object_set_new(doc, "key_id", json_string(s->key_id));
  if (doc != NULL && s->policy != NULL) json_object_set_new(doc, "policy", json_string(s->policy));
  char *text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
  json_decref(doc);
  sl_error_t err;
  if (text == NULL)
    fprintf(stderr, "shardlab serve: %s: out of memory saving its settings\n", sl_stream_name(st->stream));
  else if (sl_store_save_settings(st->store, text, &err) != SL_OK)
    fprintf(stderr, "shardlab serve: %s: %s\n", sl_stream_name(st->stream), err.message);
  free(text);
}

static char *dup_string(json_t *v) { return json_is_string(v) ? strdup(json_string_value(v)) : NULL; }

void sl__api_settings_load(sl_api_t *api, api_stream_t *st) {
  (void)api;
  sl_error_t err;
  char *text = st->store ? sl_store_load_settings(st->store, &err) : NULL;
  if (text == NULL) return; /* none saved (a stream without settings, or one from before they were kept) */
  json_error_t jerr;
  json_t *doc = json_loads(text, 0, &jerr);
  free(text);
  if (!json_is_object(doc)) {
    fprintf(stderr, "shardlab serve: %s: settings.json is not readable (%s): its settings are lost\n",
            sl_stream_name(st->stream), jerr.text);
    json_decref(doc);
    return;
  }
  json_t *tags = json_object_get(doc, "tags"), *metrics = json_object_get(doc, "metrics");
  if (json_is_object(tags)) json_object_update(st->tags, tags);
  if (json_is_array(metrics)) json_array_extend(st->settings.metrics, metrics);
  st->settings.key_id = dup_string(json_object_get(doc, "key_id"));
  st->settings.policy = dup_string(json_object_get(doc, "policy"));
  st->settings.auto_distribution = json_is_true(json_object_get(doc, "auto_distribution"));
  json_t *warm = json_object_get(doc, "warm_mibps");
  if (json_is_integer(warm)) st->settings.warm_mibps = json_integer_value(warm);
  json_decref(doc);
}

/* --- encryption ------------------------------------------------------------------------------------------- */

static void encryption(api_request_t *r, int start) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  const char *type = sl__api_string(r, "EncryptionType", "encryptionType", 1, 1, 16);
  const char *key = sl__api_string(r, "KeyId", "keyId", 1, 1, 2048);
  if (type != NULL && strcmp(type, "KMS") != 0 && strcmp(type, "NONE") != 0) {
    char error[200];
    snprintf(error, sizeof error, "Value '%.32s' at 'encryptionType' failed to satisfy constraint: Member must "
             "satisfy enum value set: [KMS, NONE]", type);
    sl__api_add_error(r, "%s", error);
  }
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  if (st == NULL) return;
  if (strcmp(type, "KMS") != 0) { /* API StartStreamEncryption: "The only valid value is KMS" */
    sl__api_fail(r, 400, "InvalidArgumentException", "Invalid EncryptionType NONE: the only valid value is KMS.");
    return;
  }
  free(st->settings.key_id);
  st->settings.key_id = start ? strdup(key) : NULL;
  sl__api_state_updating(r->api, st, r->now_ms);
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}

void sl__api_start_encryption(api_request_t *r) { encryption(r, 1); }
void sl__api_stop_encryption(api_request_t *r) { encryption(r, 0); }

/* --- enhanced monitoring ---------------------------------------------------------------------------------- */

/* ShardLevelMetrics of the request as a bit set (bit i: metric_names[i]; ALL: every one); -1 after an error. */
static int metric_set(api_request_t *r) {
  json_t *list = json_object_get(r->body, "ShardLevelMetrics");
  if (list == NULL || json_is_null(list)) {
    sl__api_add_error(r, "Value null at 'shardLevelMetrics' failed to satisfy constraint: Member must not be null");
    return -1;
  }
  if (!json_is_array(list) || json_array_size(list) < 1 || json_array_size(list) > 7) {
    sl__api_add_error(r, "Value at 'shardLevelMetrics' failed to satisfy constraint: Member must have length "
                      "between 1 and 7");
    return -1;
  }
  int set = 0;
  size_t i;
  json_t *m;
  json_array_foreach(list, i, m) {
    const char *name = json_is_string(m) ? json_string_value(m) : "";
    int found = strcmp(name, "ALL") == 0 ? (set = (1 << METRICS) - 1, 1) : 0;
    for (int k = 0; k < METRICS && !found; k++)
      if (strcmp(name, metric_names[k]) == 0) set |= 1 << k, found = 1;
    if (!found) {
      sl__api_add_error(r, "Value at 'shardLevelMetrics' failed to satisfy constraint: Member must satisfy "
                        "constraint: [Member must satisfy enum value set: [IncomingBytes, IncomingRecords, "
                        "OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, "
                        "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]");
      return -1;
    }
  }
  return set;
}

static int metrics_of(const api_settings_t *s) {
  int set = 0;
  for (int k = 0; k < METRICS; k++) {
    size_t i;
    json_t *m;
    json_array_foreach(s->metrics, i, m) if (strcmp(json_string_value(m), metric_names[k]) == 0) set |= 1 << k;
  }
  return set;
}

static json_t *metric_list(int set) {
  json_t *list = json_array();
  for (int k = 0; k < METRICS; k++)
    if (set & (1 << k)) json_array_append_new(list, json_string(metric_names[k]));
  return list;
}

static void monitoring(api_request_t *r, int enable) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  int asked = metric_set(r);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  if (st == NULL) return;
  int before = metrics_of(&st->settings), after = enable ? before | asked : before & ~asked;
  json_decref(st->settings.metrics);
  st->settings.metrics = metric_list(after);
  sl__api_settings_save(r->api, st);
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  sl__api_ok(r, json_pack("{s:s,s:s,s:o,s:o}", "StreamName", sl_stream_name(st->stream), "StreamARN", arn,
                          "CurrentShardLevelMetrics", metric_list(before), "DesiredShardLevelMetrics",
                          metric_list(after)));
}

void sl__api_enable_monitoring(api_request_t *r) { monitoring(r, 1); }
void sl__api_disable_monitoring(api_request_t *r) { monitoring(r, 0); }

/* --- record size, warm throughput, distribution ----------------------------------------------------------- */

void sl__api_update_max_record_size(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_ARN, &ref);
  long long kib = 0;
  sl__api_integer(r, "MaxRecordSizeInKiB", "maxRecordSizeInKiB", 1, 1024, 10240, &kib);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  sl_error_t err;
  int rc = st ? sl_stream_set_max_record_size(st->stream, (uint32_t)kib, &err) : SL_OK;
  if (st != NULL && rc != SL_OK) sl__api_fail_code(r, &err);
  if (st != NULL && rc == SL_OK) sl__api_ok(r, NULL);
}

/* The on-demand stream of the request, or an error response (a provisioned one: InvalidArgumentException). */
static api_stream_t *on_demand_stream(api_request_t *r, const api_ref_t *ref, const char *what) {
  api_stream_t *st = sl__api_resolve(r, ref, API_ACTIVE);
  if (st != NULL && !on_demand(st)) {
    sl__api_fail(r, 400, "InvalidArgumentException", "%s is only supported for ON_DEMAND streams; stream %s under "
                 "account %s is PROVISIONED.", what, sl_stream_name(st->stream), r->api->account_id);
    return NULL;
  }
  return st;
}

void sl__api_update_warm_throughput(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_EITHER, &ref);
  long long mibps = 0;
  sl__api_integer(r, "WarmThroughputMiBps", "warmThroughputMiBps", 1, 0, 1LL << 31, &mibps);
  if (sl__api_validation_failed(r)) return;
  api_stream_t *st = on_demand_stream(r, &ref, "Warm throughput");
  if (st == NULL) return;
  st->settings.warm_mibps = mibps;
  sl__api_settings_save(r->api, st);
  char arn[512];
  sl__api_stream_arn(st->stream, arn, sizeof arn);
  sl__api_ok(r, json_pack("{s:s,s:s,s:{s:I,s:I}}", "StreamARN", arn, "StreamName", sl_stream_name(st->stream),
                          "WarmThroughput", "TargetMiBps", (json_int_t)mibps, "CurrentMiBps",
                          (json_int_t)sl_stream_open_count(st->stream)));
}

void sl__api_update_distribution(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_ARN, &ref);
  const char *strategy = sl__api_string(r, "RecordDistributionStrategy", "recordDistributionStrategy", 1, 1, 32);
  int is_auto = strategy != NULL && strcmp(strategy, "AUTO") == 0;
  if (strategy != NULL && !is_auto && strcmp(strategy, "USER_PARTITION_KEY") != 0) {
    char error[200];
    snprintf(error, sizeof error, "Value '%.32s' at 'recordDistributionStrategy' failed to satisfy constraint: "
             "Member must satisfy enum value set: [AUTO, USER_PARTITION_KEY]", strategy);
    sl__api_add_error(r, "%s", error);
  }
  if (sl__api_validation_failed(r)) return;
  /* "Attempting to set AUTO on a provisioned stream results in an InvalidArgumentException" */
  api_stream_t *st = is_auto ? on_demand_stream(r, &ref, "The AUTO record distribution strategy")
                             : sl__api_resolve(r, &ref, API_ACTIVE);
  if (st == NULL) return;
  st->settings.auto_distribution = is_auto;
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}
