/* api_capacity.c - capacity modes of served streams (docs/semantics.md, "Capacity modes"): StreamModeDetails
 * in requests, UpdateStreamMode, and the once-a-second scaling of on-demand streams by wall time (the
 * server's housekeeping calls sl_api_capacity). The policy is on_demand.h's, as in experiments. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"


int sl__api_stream_mode(api_request_t *r, int required, sl_stream_mode_t *out) {
  json_t *details = json_object_get(r->body, "StreamModeDetails");
  if (details == NULL || json_is_null(details)) {
    if (!required) return 0;
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value null at 'streamModeDetails' "
                 "failed to satisfy constraint: Member must not be null");
    return -1;
  }
  json_t *mode = json_is_object(details) ? json_object_get(details, "StreamMode") : NULL;
  const char *text = json_is_string(mode) ? json_string_value(mode) : NULL;
  if (text == NULL) {
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value null at "
                 "'streamModeDetails.streamMode' failed to satisfy constraint: Member must not be null");
    return -1;
  }
  if (sl_stream_mode_parse(text, out) != SL_OK) { /* API StreamModeDetails: Valid Values: PROVISIONED | ON_DEMAND */
    sl__api_fail(r, 400, "ValidationException", "1 validation error detected: Value '%.100s' at "
                 "'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: "
                 "[PROVISIONED, ON_DEMAND]", text);
    return -1;
  }
  return 1;
}

/* API UpdateStreamMode: the stream keeps AWS's limit of two switches in 24 hours (stream_mode.c); a switch
 * makes it UPDATING (api_state.c). */
void sl__api_update_stream_mode(api_request_t *r) {
  api_ref_t ref;
  sl__api_stream_ref(r, API_BY_ARN, &ref);
  long long warm = -1;
  sl__api_integer(r, "WarmThroughputMiBps", "warmThroughputMiBps", 0, 0, 1LL << 31, &warm);
  if (sl__api_validation_failed(r)) return;
  sl_stream_mode_t mode;
  if (sl__api_stream_mode(r, 1, &mode) < 0) return;
  api_stream_t *st = sl__api_resolve(r, &ref, API_ACTIVE);
  if (st == NULL) return;
  int switching = sl_stream_config(st->stream)->mode != mode;
  uint32_t on_demand = 0;
  for (size_t i = 0; i < r->api->count; i++)
    on_demand += sl_stream_config(r->api->streams[i].stream)->mode == SL_STREAM_ON_DEMAND;
  if (switching && mode == SL_STREAM_ON_DEMAND && on_demand + 1 > r->api->config.on_demand_stream_limit) {
    sl__api_fail(r, 400, "LimitExceededException", "This request would exceed the limit of %u ON_DEMAND streams for "
                 "the account %s in %s.", r->api->config.on_demand_stream_limit, r->api->account_id, r->api->region);
    return;
  }
  sl_error_t err;
  if (sl_stream_set_mode(st->stream, mode, r->now_ms, &err) != SL_OK) {
    sl__api_fail_code(r, &err);
    return;
  }
  if (switching && mode == SL_STREAM_ON_DEMAND) sl_on_demand_attach(&st->on_demand, st->stream); /* a peak from now on */
  if (switching) sl__api_state_updating(r->api, st, r->now_ms);
  if (mode == SL_STREAM_ON_DEMAND && warm >= 0) st->settings.warm_mibps = warm;
  sl__api_settings_save(r->api, st);
  sl__api_ok(r, NULL);
}

int sl_api_capacity(sl_api_t *api, int64_t now_ms, sl_error_t *err) {
  int first = SL_OK;
  if (api->capacity_ms != 0 && now_ms - api->capacity_ms < 1000) return SL_OK; /* at most once a second */
  api->capacity_ms = now_ms;
  for (size_t i = 0; i < api->count; i++) {
    api_stream_t *st = &api->streams[i];
    if (sl_stream_config(st->stream)->mode != SL_STREAM_ON_DEMAND) continue;
    uint32_t scaled_to;
    sl_error_t why;
    int rc = sl_on_demand_step(&st->on_demand, st->stream, now_ms, &scaled_to, &why);
    if (rc != SL_OK && first == SL_OK)
      first = sl_error_set(err, rc, "on-demand scaling of stream %s: %s", sl_stream_name(st->stream), why.message);
  }
  return first;
}
