/* api_account.c - the account-level operations: DescribeLimits (the configured shard and on-demand stream
 * limits against what the served streams use) and Describe/UpdateAccountSettings (the minimum throughput
 * billing commitment, recorded: nothing is billed here). */
#include <string.h>

#include "api/api_internal.h"

void sl__api_describe_limits(api_request_t *r) {
  uint32_t open = 0, on_demand = 0;
  for (size_t i = 0; i < r->api->count; i++) {
    const api_stream_t *st = &r->api->streams[i];
    if (st->deleting) continue;
    open += sl_stream_open_count(st->stream);
    on_demand += sl_stream_config(st->stream)->mode == SL_STREAM_ON_DEMAND;
  }
  sl__api_ok(r, json_pack("{s:I,s:I,s:I,s:I}", "ShardLimit", (json_int_t)r->api->config.shard_limit,
                          "OpenShardCount", (json_int_t)open, "OnDemandStreamCount", (json_int_t)on_demand,
                          "OnDemandStreamCountLimit", (json_int_t)r->api->config.on_demand_stream_limit));
}

static json_t *commitment(const sl_api_t *api) {
  if (api->commitment_ms == 0 && api->commitment_ended_ms == 0) return json_pack("{s:s}", "Status", "DISABLED");
  json_t *c = json_pack("{s:s,s:f}", "Status", api->commitment_ended_ms ? "DISABLED" : "ENABLED", "StartedAt",
                        (double)api->commitment_ms / 1000.0);
  if (api->commitment_ended_ms) json_object_set_new(c, "EndedAt", json_real((double)api->commitment_ended_ms / 1000.0));
  return c;
}

void sl__api_describe_account(api_request_t *r) {
  sl__api_ok(r, json_pack("{s:o}", "MinimumThroughputBillingCommitment", commitment(r->api)));
}

void sl__api_update_account(api_request_t *r) {
  json_t *c = json_object_get(r->body, "MinimumThroughputBillingCommitment");
  json_t *status = json_is_object(c) ? json_object_get(c, "Status") : NULL;
  const char *text = json_is_string(status) ? json_string_value(status) : NULL;
  if (c == NULL || json_is_null(c))
    sl__api_add_error(r, "Value null at 'minimumThroughputBillingCommitment' failed to satisfy constraint: Member "
                      "must not be null");
  else if (text == NULL)
    sl__api_add_error(r, "Value null at 'minimumThroughputBillingCommitment.status' failed to satisfy constraint: "
                      "Member must not be null");
  else if (strcmp(text, "ENABLED") != 0 && strcmp(text, "DISABLED") != 0)
    sl__api_add_error(r, "Value at 'minimumThroughputBillingCommitment.status' failed to satisfy constraint: "
                      "Member must satisfy enum value set: [ENABLED, DISABLED]");
  if (sl__api_validation_failed(r)) return;
  int enable = strcmp(text, "ENABLED") == 0, enabled = r->api->commitment_ms != 0 && !r->api->commitment_ended_ms;
  if (enable && !enabled) {
    r->api->commitment_ms = r->now_ms;
    r->api->commitment_ended_ms = 0;
  } else if (!enable && enabled) {
    r->api->commitment_ended_ms = r->now_ms;
  }
  sl__api_ok(r, json_pack("{s:o}", "MinimumThroughputBillingCommitment", commitment(r->api)));
}
