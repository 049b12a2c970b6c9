/* stream_mode.c - the stream's capacity mode (API UpdateStreamMode) under AWS's limit on switches, and the
 * history of its callers' capacity changes (mode switches, UpdateShardCount scalings) that a durable store
 * saves so a restart does not reset those limits. */
#include <stdlib.h>
#include <string.h>

#include "stream_internal.h"

#define DAY_MS INT64_C(86400000)

/* KDG ("Choose the data stream capacity mode"): "You can switch between on-demand and provisioned capacity
 * modes for each data stream in your account twice within 24 hours"; the stream "retains whatever shard count
 * it had before the transition" either way. AWS's LimitExceededException text is not recorded anywhere
 * shardlab could find, so that message is shardlab's own; asking for the mode the stream already has
 * succeeds and is not counted as a switch (shardlab's choice). */
int sl_stream_set_mode(sl_stream_t *s, sl_stream_mode_t mode, int64_t now_ms, sl_error_t *err) {
  if (s->config.mode == mode) return SL_OK;
  uint32_t recent = 0;
  for (int i = 0; i < 2; i++) recent += s->mode_switched_ms[i] != 0 && now_ms - s->mode_switched_ms[i] < DAY_MS;
  if (recent >= 2)
    return sl_error_set(err, SL_ELIMIT, "Stream %s under account %s has switched its capacity mode twice in the "
                        "last 24 hours: at most two switches are allowed within 24 hours.", s->name, s->account_id);
  s->mode_switched_ms[0] = s->mode_switched_ms[1];
  s->mode_switched_ms[1] = now_ms;
  s->config.mode = mode;
  return sl__stream_changed(s, err);
}

int sl_stream_mode_parse(const char *text, sl_stream_mode_t *out) {
  if (text != NULL && strcmp(text, "PROVISIONED") == 0) *out = SL_STREAM_PROVISIONED;
  else if (text != NULL && strcmp(text, "ON_DEMAND") == 0) *out = SL_STREAM_ON_DEMAND;
  else return SL_EINVAL;
  return SL_OK;
}

const char *sl_stream_mode_name(sl_stream_mode_t mode) {
  return mode == SL_STREAM_ON_DEMAND ? "ON_DEMAND" : "PROVISIONED";
}

void sl_stream_history(const sl_stream_t *s, sl_stream_history_t *out) {
  out->scalings = s->scalings;
  out->scaling_count = s->scaling_count;
  out->mode_switched_ms[0] = s->mode_switched_ms[0];
  out->mode_switched_ms[1] = s->mode_switched_ms[1];
}

int sl_stream_restore_history(sl_stream_t *s, const sl_stream_history_t *h, sl_error_t *err) {
  int64_t *scalings = NULL;
  if (h->scaling_count > 0) {
    scalings = malloc(h->scaling_count * sizeof *scalings);
    if (scalings == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
    memcpy(scalings, h->scalings, h->scaling_count * sizeof *scalings);
  }
  free(s->scalings);
  s->scalings = scalings;
  s->scaling_count = s->scaling_cap = h->scaling_count;
  s->mode_switched_ms[0] = h->mode_switched_ms[0];
  s->mode_switched_ms[1] = h->mode_switched_ms[1];
  return SL_OK;
}
