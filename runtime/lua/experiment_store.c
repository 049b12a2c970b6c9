/* experiment_store.c - an experiment on a durable stream (stream.data_dir): the store opened (created, or
 * recovered with what an earlier run left), each mapping resumed from the checkpoints that run saved, the
 * checkpoints saved about once a second and at the end (atomically, in DIR/checkpoints/), and what recovery
 * found, for the summary. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/clock.h"
#include "lua/experiment_ctx.h"

/* A name as part of a file name: anything but letters, digits, '-' and '_' as '-'; appended at out[n]. */
static size_t file_part(const char *name, char *out, size_t n, size_t size) {
  for (const char *p = name; *p && n + 1 < size; p++) {
    char ch = *p;
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    out[n++] = ok ? ch : '-';
  }
  out[n] = '\0';
  return n;
}

/* A mapping's checkpoint file: the experiment's name, and with several mappings "--" and the mapping's. */
static void checkpoint_name(const sl_experiment_t *e, const sl_experiment_mapping_t *m, char *out, size_t size) {
  size_t n = file_part(e->name, out, 0, size);
  if (e->several) n = file_part(m->name, out, file_part("--", out, n, size), size);
}

/* Reads {"shards": {"shardId-...": {"next": N, "frontier": F}}} into the resume arrays. */
static int load_checkpoints(run_ctx_t *c, run_mapping_t *rm, sl_error_t *err) {
  sl_error_t why;
  char *text = sl_store_load_checkpoints(c->store, rm->checkpoint_name, &why);
  if (text == NULL) return why.code == SL_ENOTFOUND ? SL_OK : sl_error_set(err, why.code, "%s", why.message);
  json_error_t jerr;
  json_t *doc = json_loads(text, 0, &jerr);
  free(text);
  json_t *shards = json_object_get(doc, "shards");
  if (!json_is_object(shards)) {
    json_decref(doc);
    return sl_error_set(err, SL_EIO, "%s/checkpoints/%s.json: %s", c->e->data_dir, rm->checkpoint_name,
                        doc ? "no \"shards\" object" : jerr.text);
  }
  const sl_stream_t *s = sl_store_stream(c->store);
  uint32_t total = sl_stream_shard_total(s);
  rm->resume_next = malloc((total + 1) * sizeof *rm->resume_next);
  rm->resume_frontier = malloc((total + 1) * sizeof *rm->resume_frontier);
  rm->resume_count = total;
  if (rm->resume_next == NULL || rm->resume_frontier == NULL) {
    json_decref(doc);
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < total; i++) rm->resume_next[i] = rm->resume_frontier[i] = UINT64_MAX;
  const char *id;
  json_t *cp;
  int rc = SL_OK;
  json_object_foreach(shards, id, cp) {
    const sl_shard_t *shard = sl_stream_find_shard(s, id);
    json_int_t next = json_integer_value(json_object_get(cp, "next"));
    json_int_t frontier = json_integer_value(json_object_get(cp, "frontier"));
    if (shard == NULL || next < 0 || frontier < next) {
      rc = sl_error_set(err, SL_EIO, "%s/checkpoints/%s.json: %s: %s", c->e->data_dir, rm->checkpoint_name, id,
                        shard == NULL ? "no such shard in the stream" : "a checkpoint out of range");
      break;
    }
    rm->resume_next[shard->index] = (uint64_t)next;
    rm->resume_frontier[shard->index] = (uint64_t)frontier;
    rm->resumed_shards++;
  }
  json_decref(doc);
  return rc;
}

int sl_run_store_open(run_ctx_t *c, sl_error_t *err) {
  sl_experiment_t *e = c->e;
  sl_store_config_t config = e->store;
  config.dir = e->data_dir;
  sl_stream_config_t sc = e->sim.stream;
  sc.created_ms = e->sim.start_ms;
  sl_error_t why;
  if (sl_store_open(&config, &sc, &c->store, &c->recovery, &why) != SL_OK)
    return sl_error_set(err, why.code, "stream.data_dir: %s", why.message);
  if (c->recovery.torn)
    fprintf(stderr, "shardlab run: %s: cut a torn tail off %s at byte %llu (%llu bytes: %s)\n", e->name,
            c->recovery.torn_file, (unsigned long long)c->recovery.torn_offset,
            (unsigned long long)c->recovery.torn_bytes, c->recovery.torn_why);
  int rc = SL_OK;
  for (uint32_t i = 0; i < c->map_count && rc == SL_OK; i++) {
    run_mapping_t *rm = &c->maps[i];
    checkpoint_name(e, rm->m, rm->checkpoint_name, sizeof rm->checkpoint_name);
    rc = load_checkpoints(c, rm, err);
  }
  if (rc != SL_OK) return rc;
  e->sim.existing_stream = sl_store_stream(c->store);
  e->sim.checkpoint = sl_run_store_checkpoint;
  e->sim.checkpoint_ctx = c;
  return SL_OK;
}

/* Saves a mapping's checkpoints: {"experiment", ["mapping",] "shards": {id: {next, frontier}}}. */
static void save_checkpoints(run_ctx_t *c, const run_mapping_t *rm, const sl_sim_t *sim) {
  const sl_stream_t *s = sl_store_stream(c->store);
  json_t *shards = json_object();
  for (uint32_t i = 0; i < sl_stream_shard_total(s); i++) {
    uint64_t next, frontier;
    if (sl_sim_checkpoint(sim, rm->index, i, &next, &frontier))
      json_object_set_new(shards, sl_stream_shard(s, i)->id,
                          json_pack("{s:I,s:I}", "next", (json_int_t)next, "frontier", (json_int_t)frontier));
  }
  json_t *doc = json_pack("{s:s,s:o}", "experiment", c->e->name, "shards", shards);
  if (c->e->several) json_object_set_new(doc, "mapping", json_string(rm->m->name));
  char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(doc);
  sl_error_t err;
  /* A checkpoint that cannot be saved is reported, not fatal: the next save may work, and a restart from an
   * older checkpoint only delivers more records twice. */
  if (text == NULL || sl_store_save_checkpoints(c->store, rm->checkpoint_name, text, &err) != SL_OK)
    fprintf(stderr, "shardlab run: %s: checkpoint not saved: %s\n", c->e->name, text ? err.message : "out of memory");
  free(text);
}

/* Saves at most once a second of wall time, and at the end: a virtual run goes through simulated seconds far
 * faster than it is worth syncing a file for each. */
void sl_run_store_checkpoint(void *ctx, const sl_sim_t *sim, int final) {
  run_ctx_t *c = ctx;
  int64_t now_ns = sl_clock_mono_ns();
  if (!final && c->checkpoint_saved_ns != 0 && now_ns - c->checkpoint_saved_ns < 1000000000) return;
  c->checkpoint_saved_ns = now_ns;
  for (uint32_t m = 0; m < c->map_count; m++) save_checkpoints(c, &c->maps[m], sim);
}

json_t *sl_run_store_summary(const run_ctx_t *c) {
  static const char *const policies[] = {"always", "interval", "never"};
  const sl_store_recovery_t *r = &c->recovery;
  uint32_t resumed = 0; /* shards a checkpoint was found for, every mapping's */
  for (uint32_t i = 0; i < c->map_count; i++) resumed += c->maps[i].resumed_shards;
  json_t *torn = json_null();
  if (r->torn)
    torn = json_pack("{s:s,s:I,s:I,s:s}", "file", r->torn_file, "offset", (json_int_t)r->torn_offset, "bytes",
                     (json_int_t)r->torn_bytes, "why", r->torn_why);
  return json_pack("{s:s,s:s,s:b,s:I,s:i,s:o}", "data_dir", c->e->data_dir, "fsync", policies[c->e->store.fsync],
                   "reopened", r->existed, "records_recovered", (json_int_t)r->records, "shards_resumed",
                   (int)resumed, "torn_tail", torn);
}

int sl_run_store_close(run_ctx_t *c, sl_error_t *err) {
  int rc = sl_store_close(c->store, err);
  c->store = NULL;
  return rc;
}
