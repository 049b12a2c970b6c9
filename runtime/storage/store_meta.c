/* store_meta.c - stream.json: the settings a stream was created with and every shard (range, lineage, open or
 * closed, times, end counter), hash keys as decimal text, and the capacity mode with the history of its
 * callers' capacity changes (the limits on UpdateShardCount and UpdateStreamMode survive a restart). Loading
 * checks every field and names the one at fault; fields added since format 1 are optional. */
#include "storage/store_meta.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/atomic_file.h"

int sl_store_meta_save(const sl_stream_t *s, const char *path, sl_error_t *err) {
  const sl_stream_config_t *c = sl_stream_config(s);
  json_t *shards = json_array();
  for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) {
    const sl_shard_t *sh = sl_stream_shard(s, i);
    char start[SL_HASHKEY_DECIMAL_SIZE], end[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(sh->start, start);
    sl_hashkey_format(sh->end, end);
    json_array_append_new(shards, json_pack("{s:s,s:i,s:s,s:s,s:i,s:i,s:[i,i],s:b,s:I,s:I,s:I}", "id", sh->id,
                                            "index", (int)sh->index, "start", start, "end", end, "parent",
                                            (int)sh->parent, "adjacent_parent", (int)sh->adjacent_parent, "children",
                                            (int)sh->children[0], (int)sh->children[1], "open", sh->open,
                                            "created_ms", (json_int_t)sh->created_ms, "closed_ms",
                                            (json_int_t)sh->closed_ms, "end_counter", (json_int_t)sh->end_counter));
  }
  json_t *doc = json_pack("{s:i,s:s,s:i,s:i,s:b,s:i,s:i,s:i,s:s,s:s,s:I,s:o}", "format", 1, "name", c->name,
                          "shard_count", (int)c->shard_count, "retention_hours", (int)c->retention_hours,
                          "write_limits", c->write_limits, "records_per_second", (int)c->records_per_second,
                          "bytes_per_second", (int)c->bytes_per_second, "max_record_size_kib",
                          (int)c->max_record_size_kib, "account_id", c->account_id, "region", c->region,
                          "created_ms", (json_int_t)c->created_ms, "shards", shards);
  if (doc != NULL) {
    json_object_set_new(doc, "read_limits", json_boolean(c->read_limits));
    sl_stream_history_t h;
    sl_stream_history(s, &h);
    json_t *scalings = json_array();
    for (uint32_t i = 0; i < h.scaling_count; i++) json_array_append_new(scalings, json_integer((json_int_t)h.scalings[i]));
    json_object_set_new(doc, "capacity", json_pack("{s:s,s:i,s:i,s:i,s:o,s:[I,I]}", "mode",
                                                   sl_stream_mode_name(c->mode), "on_demand_scale_delay_s",
                                                   (int)c->on_demand_scale_delay_s, "on_demand_peak_window_s",
                                                   (int)c->on_demand_peak_window_s, "update_shard_count_per_day",
                                                   (int)c->update_shard_count_per_day, "scalings_ms", scalings,
                                                   "mode_switched_ms", (json_int_t)h.mode_switched_ms[0],
                                                   (json_int_t)h.mode_switched_ms[1]));
  }
  char *text = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  if (text == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory writing %s", path);
  int rc = sl_atomic_write(path, text, strlen(text), err);
  free(text);
  return rc;
}

static int bad(const char *path, const char *what, sl_error_t *err) {
  return sl_error_set(err, SL_EIO, "%s: %s", path, what);
}

/* shards[i] of stream.json into sh. */
static int load_shard(const char *path, json_t *shards, size_t i, sl_shard_t *sh, sl_error_t *err) {
  json_error_t jerr;
  const char *id, *start, *end;
  int index, parent, adjacent, c0, c1, open;
  json_int_t created_ms, closed_ms, end_counter;
  if (json_unpack_ex(json_array_get(shards, i), &jerr, 0, "{s:s,s:i,s:s,s:s,s:i,s:i,s:[i,i],s:b,s:I,s:I,s:I}", "id",
                     &id, "index", &index, "start", &start, "end", &end, "parent", &parent, "adjacent_parent",
                     &adjacent, "children", &c0, &c1, "open", &open, "created_ms", &created_ms, "closed_ms",
                     &closed_ms, "end_counter", &end_counter) != 0) {
    char what[256];
    snprintf(what, sizeof what, "shards[%zu]: %s", i, jerr.text);
    return bad(path, what, err);
  }
  if (index != (int)i || strlen(id) >= sizeof sh->id) {
    char what[96];
    snprintf(what, sizeof what, "shards[%zu] has index %d", i, index);
    return bad(path, what, err);
  }
  snprintf(sh->id, sizeof sh->id, "%s", id);
  sh->index = (uint32_t)index;
  sl_error_t key_err;
  if (sl_hashkey_parse(start, strlen(start), "start", &sh->start, &key_err) != SL_OK ||
      sl_hashkey_parse(end, strlen(end), "end", &sh->end, &key_err) != SL_OK) {
    char what[600];
    snprintf(what, sizeof what, "shards[%zu]: %s", i, key_err.message);
    return bad(path, what, err);
  }
  sh->parent = parent;
  sh->adjacent_parent = adjacent;
  sh->children[0] = c0;
  sh->children[1] = c1;
  sh->open = open;
  sh->created_ms = created_ms;
  sh->closed_ms = closed_ms;
  sh->end_counter = (uint64_t)end_counter;
  return SL_OK;
}

/* The "capacity" object (absent in files written before it: a provisioned stream with no history). */
static int load_capacity(const char *path, json_t *capacity, sl_store_meta_t *meta, sl_error_t *err) {
  if (capacity == NULL) return SL_OK;
  json_error_t jerr;
  const char *mode;
  int delay, window, per_day;
  json_t *scalings;
  json_int_t switched[2];
  if (json_unpack_ex(capacity, &jerr, 0, "{s:s,s:i,s:i,s:i,s:o,s:[I,I]}", "mode", &mode, "on_demand_scale_delay_s",
                     &delay, "on_demand_peak_window_s", &window, "update_shard_count_per_day", &per_day,
                     "scalings_ms", &scalings, "mode_switched_ms", &switched[0], &switched[1]) != 0) {
    char what[256];
    snprintf(what, sizeof what, "capacity: %s", jerr.text);
    return bad(path, what, err);
  }
  if (sl_stream_mode_parse(mode, &meta->config.mode) != SL_OK) return bad(path, "capacity.mode is unknown", err);
  if (delay < 0 || window < 0 || per_day < 0 || !json_is_array(scalings))
    return bad(path, "capacity: a count is negative or scalings_ms is not a list", err);
  meta->config.on_demand_scale_delay_s = (uint32_t)delay;
  meta->config.on_demand_peak_window_s = (uint32_t)window;
  meta->config.update_shard_count_per_day = (uint32_t)per_day;
  meta->scaling_count = (uint32_t)json_array_size(scalings);
  meta->scalings = calloc(meta->scaling_count ? meta->scaling_count : 1, sizeof *meta->scalings);
  if (meta->scalings == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
  for (uint32_t i = 0; i < meta->scaling_count; i++) {
    json_t *at = json_array_get(scalings, i);
    if (!json_is_integer(at)) return bad(path, "capacity.scalings_ms holds something other than a time", err);
    meta->scalings[i] = (int64_t)json_integer_value(at);
  }
  meta->mode_switched_ms[0] = (int64_t)switched[0];
  meta->mode_switched_ms[1] = (int64_t)switched[1];
  return SL_OK;
}

int sl_store_meta_load(const char *path, sl_store_meta_t *meta, sl_error_t *err) {
  memset(meta, 0, sizeof *meta);
  json_error_t jerr;
  json_t *doc = json_load_file(path, 0, &jerr);
  if (doc == NULL)
    return sl_error_set(err, SL_EIO, "%s: line %d column %d: %s", path, jerr.line, jerr.column, jerr.text);
  const char *name = NULL, *account = NULL, *region = NULL;
  int format = 0, shard_count = 0, retention = 0, limits = 0, rps = 0, bps = 0, kib = 0;
  json_int_t created = 0;
  json_t *shards = NULL;
  if (json_unpack_ex(doc, &jerr, 0, "{s:i,s:s,s:i,s:i,s:b,s:i,s:i,s:i,s:s,s:s,s:I,s:o}", "format", &format, "name",
                     &name, "shard_count", &shard_count, "retention_hours", &retention, "write_limits", &limits,
                     "records_per_second", &rps, "bytes_per_second", &bps, "max_record_size_kib", &kib,
                     "account_id", &account, "region", &region, "created_ms", &created, "shards", &shards) != 0 ||
      format != 1 || !json_is_array(shards)) {
    int rc = sl_error_set(err, SL_EIO, "%s: %s", path, format != 1 && !jerr.text[0] ? "unknown format" : jerr.text);
    json_decref(doc);
    return rc;
  }
  sl_stream_config_init(&meta->config);
  snprintf(meta->name, sizeof meta->name, "%s", name);
  snprintf(meta->account_id, sizeof meta->account_id, "%s", account);
  snprintf(meta->region, sizeof meta->region, "%s", region);
  meta->config.name = meta->name;
  meta->config.account_id = meta->account_id;
  meta->config.region = meta->region;
  meta->config.shard_count = (uint32_t)shard_count;
  meta->config.retention_hours = (uint32_t)retention;
  meta->config.write_limits = limits;
  json_t *read_limits = json_object_get(doc, "read_limits"); /* absent in files written before read limits */
  if (read_limits != NULL) meta->config.read_limits = json_is_true(read_limits);
  meta->config.records_per_second = (uint32_t)rps;
  meta->config.bytes_per_second = (uint32_t)bps;
  meta->config.max_record_size_kib = (uint32_t)kib;
  meta->config.created_ms = created;
  int rc = load_capacity(path, json_object_get(doc, "capacity"), meta, err);
  size_t n = json_array_size(shards);
  meta->shards = calloc(n ? n : 1, sizeof *meta->shards);
  if (rc == SL_OK && meta->shards == NULL) rc = sl_error_set(err, SL_ENOMEM, "out of memory reading %s", path);
  for (size_t i = 0; rc == SL_OK && i < n; i++) rc = load_shard(path, shards, i, &meta->shards[i], err);
  meta->shard_count = (uint32_t)n;
  json_decref(doc);
  if (rc != SL_OK) sl_store_meta_free(meta);
  return rc;
}

void sl_store_meta_free(sl_store_meta_t *meta) {
  free(meta->shards);
  meta->shards = NULL;
  free(meta->scalings);
  meta->scalings = NULL;
}
