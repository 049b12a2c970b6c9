/* test_capacity.c - on-demand streams in experiments (runtime/sim/sim_capacity.c): the simulation feeds the
 * scaling policy every second and applies its decisions as resharding. Expected figures come from AWS's
 * (KDG, "Choose the data stream capacity mode"): a new on-demand stream takes 4,000 records/s (4 shards of
 * 1,000), and accommodates double its previous peak; a provisioned shard takes 1,000 records/s. The served
 * streams' scaling (sl_api_capacity) is checked here too, with the API's clock in the test's hands. */
#include "test_sim_support.h"

#include <stdlib.h>

#include "shardlab/api.h"
#include "shardlab/sim.h"

#define SECOND INT64_C(1000000)
#define PRODUCERS 12
#define PER_PRODUCER 100000 /* record numbers per producer the world can track */

typedef struct world_s {
  uint64_t rng;
  char key[32], data[32];
  unsigned char *delivered;  /* [producer * PER_PRODUCER + i]: deliveries of record i of producer */
  int64_t *first_us, *last_us; /* by shard index: first and last invocation start, end */
  uint32_t shard_cap;
  int order_broken;          /* a child's records were invoked before its parents' last ended */
} world_t;

static int produce(void *ctx, uint32_t p, uint64_t i, int64_t now_us, sl_produced_t *out, sl_error_t *err) {
  (void)now_us, (void)err;
  world_t *w = ctx;
  w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17; /* random keys, from the world's seed */
  snprintf(w->key, sizeof w->key, "k%016llx", (unsigned long long)w->rng);
  snprintf(w->data, sizeof w->data, "%u:%llu", p, (unsigned long long)i);
  *out = (sl_produced_t){w->key, strlen(w->key), w->data, strlen(w->data), NULL};
  return SL_OK;
}

static int invoke(void *ctx, const sl_batch_t *b, int64_t start_us, sl_batch_outcome_t *out, sl_error_t *err) {
  (void)err;
  world_t *w = ctx;
  uint32_t shard = b->shard->index;
  if (shard >= w->shard_cap) fail_msg("shard %u beyond the test's table", shard);
  if (w->first_us[shard] < 0) w->first_us[shard] = start_us;
  w->last_us[shard] = start_us + 5000;
  int32_t parents[2] = {b->shard->parent, b->shard->adjacent_parent};
  for (int k = 0; k < 2; k++)
    if (parents[k] >= 0 && w->last_us[parents[k]] > start_us) w->order_broken = 1;
  for (size_t i = 0; i < b->count; i++) {
    unsigned p;
    unsigned long long n;
    char data[32];
    snprintf(data, sizeof data, "%.*s", (int)b->records[i]->data_len, SL_RECORD_DATA(b->records[i]));
    if (sscanf(data, "%u:%llu", &p, &n) != 2 || p >= PRODUCERS || n >= PER_PRODUCER) fail_msg("record %s", data);
    if (w->delivered[p * PER_PRODUCER + n] < 255) w->delivered[p * PER_PRODUCER + n]++;
  }
  *out = (sl_batch_outcome_t){.status = SL_BATCH_OK, .duration_us = 5000};
  return SL_OK;
}

typedef struct run_s {
  sl_stream_mode_t mode;
  uint32_t shards;           /* provisioned */
  uint32_t producers;        /* each at 1,000 records/s (Poisson) */
  double rate;               /* per producer */
  int64_t duration_us;
  uint32_t delay_s;          /* on_demand_scale_delay */
  uint64_t seed;
} run_t;

static sl_sim_t *run(const run_t *r, world_t *w) {
  static sl_producer_config_t producers[PRODUCERS];
  for (uint32_t p = 0; p < r->producers; p++) producers[p] = (sl_producer_config_t){.rate = r->rate, .arrivals = SL_ARRIVALS_POISSON};
  memset(w, 0, sizeof *w);
  w->rng = r->seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
  w->delivered = calloc((size_t)PRODUCERS * PER_PRODUCER, 1);
  w->shard_cap = 1024;
  w->first_us = malloc(w->shard_cap * sizeof *w->first_us);
  w->last_us = malloc(w->shard_cap * sizeof *w->last_us);
  for (uint32_t i = 0; i < w->shard_cap; i++) w->first_us[i] = w->last_us[i] = -1;
  sl_sim_config_t c;
  sl_sim_config_init(&c);
  c.stream.name = "capacity";
  c.stream.mode = r->mode;
  c.stream.shard_count = r->mode == SL_STREAM_ON_DEMAND ? 0 : r->shards;
  c.stream.on_demand_scale_delay_s = r->delay_s;
  c.producers = producers;
  c.producer_count = r->producers;
  c.duration_us = r->duration_us;
  c.seed = r->seed;
  c.produce = produce;
  c.invoke = invoke;
  c.ctx = w;
  return test_sim_run(&c);
}

static void world_free(world_t *w) {
  free(w->delivered);
  free(w->first_us);
  free(w->last_us);
}

/* Every record put was delivered exactly once. */
static void assert_each_once(const sl_sim_t *sim, const world_t *w) {
  const sl_summary_t *s = sl_sim_summary(sim);
  uint64_t once = 0;
  for (size_t i = 0; i < (size_t)PRODUCERS * PER_PRODUCER; i++) {
    assert_true(w->delivered[i] <= 1);
    once += w->delivered[i];
  }
  assert_int_equal(once, s->records_put);
  assert_int_equal(s->records_delivered, s->records_put);
  assert_int_equal(s->duplicate_deliveries, 0);
  assert_false(w->order_broken);
}

/* 3,000 records/s with random keys: under the 4,000 records/s a new on-demand stream takes (750 a shard of its
 * 4), never throttled; a 1-shard provisioned stream takes 1,000 of them and refuses the rest. */
static void steady_3000_is_never_throttled_on_demand(void **state) {
  (void)state;
  world_t w;
  run_t od = {SL_STREAM_ON_DEMAND, 0, 3, 1000.0, 20 * SECOND, 900, 7};
  sl_sim_t *sim = run(&od, &w);
  const sl_summary_t *s = sl_sim_summary(sim);
  assert_int_equal(sl_stream_open_count(sl_sim_stream(sim)), 4);
  assert_int_equal(s->records_throttled, 0);
  assert_true(s->records_put > 3000 * 20 * 95 / 100); /* Poisson: about 60,000 */
  assert_each_once(sim, &w);
  sl_sim_destroy(sim);
  world_free(&w);
  run_t prov = {SL_STREAM_PROVISIONED, 1, 3, 1000.0, 20 * SECOND, 900, 7};
  sim = run(&prov, &w);
  s = sl_sim_summary(sim);
  assert_true(s->records_throttled > 0);
  assert_true(s->records_put <= 1000 * 20 + 1000); /* one shard: 1,000 records/s (and its first full bucket) */
  assert_each_once(sim, &w);
  sl_sim_destroy(sim);
  world_free(&w);
}

/* Whether some shard of the run's stream was created at `at_s` seconds into the run. */
static int created_at(const sl_sim_t *sim, int64_t at_s) {
  const sl_stream_t *st = sl_sim_stream(sim);
  for (uint32_t i = 0; i < sl_stream_shard_total(st); i++)
    if (sl_stream_shard(st, i)->created_ms - sl_stream_config(st)->created_ms == at_s * 1000) return 1;
  return 0;
}

/* 12,000 records/s at once (12 producers), a 5-second scaling delay. A second's writes are fed at the next
 * whole second, so a shortfall seen at 1 s (4 shards took their full buckets plus a second's refill, ~8,000)
 * is scaled at 6 s to 8 (at most double); the next, seen at 7 s, at 12 s to 16; the last, seen at 13 s, at
 * 18 s to 2 x the peak second so far / 1,000 a shard; nothing is refused after that. The first 4 shards
 * are closed parents; children's records wait for their parents'; every record is delivered once. */
static void a_ramp_to_12000_grows_the_stream(void **state) {
  (void)state;
  world_t w;
  run_t ramp = {SL_STREAM_ON_DEMAND, 0, 12, 1000.0, 40 * SECOND, 5, 3};
  sl_sim_t *sim = run(&ramp, &w);
  const sl_stream_t *st = sl_sim_stream(sim);
  const sl_summary_t *s = sl_sim_summary(sim);
  uint64_t peak = 0; /* the seconds fed by the last step, at 18 s: 0 .. 17 */
  for (size_t i = 0; i < 18; i++)
    if (sl_sim_second(sim, i)->records_in > peak) peak = sl_sim_second(sim, i)->records_in;
  assert_true(peak > 12000);
  assert_int_equal(sl_stream_open_count(st), (2 * peak + 999) / 1000);
  assert_true(created_at(sim, 6) && created_at(sim, 12) && created_at(sim, 18));
  for (uint32_t i = 0; i < sl_stream_shard_total(st); i++) {
    const sl_shard_t *sh = sl_stream_shard(st, i);
    int64_t at = sh->created_ms - sl_stream_config(st)->created_ms;
    assert_true(at == 0 || at == 6000 || at == 12000 || at == 18000); /* three steps, no more */
    if (!sh->open) assert_true(sh->children[0] >= 0);
  }
  for (uint32_t i = 0; i < 4; i++) assert_false(sl_stream_shard(st, i)->open); /* the first 4 were parents */
  assert_true(s->records_throttled > 0);
  for (size_t i = 18; i < sl_sim_seconds(sim); i++) /* throttles only while it scales */
    assert_int_equal(sl_sim_second(sim, i)->records_throttled, 0);
  assert_true(sl_sim_second(sim, 30)->records_in > 11000); /* then about 12,000 a second */
  assert_each_once(sim, &w);
  sl_sim_destroy(sim);
  world_free(&w);
}

static void same_seed_same_summary(void **state) {
  (void)state;
  world_t w;
  run_t ramp = {SL_STREAM_ON_DEMAND, 0, 12, 1000.0, 25 * SECOND, 5, 11};
  sl_sim_t *a = run(&ramp, &w);
  json_t *sa = sl_sim_summary_json(a);
  char *ja = json_dumps(sa, JSON_SORT_KEYS);
  json_decref(sa);
  world_free(&w);
  sl_sim_t *b = run(&ramp, &w);
  json_t *sb = sl_sim_summary_json(b);
  char *jb = json_dumps(sb, JSON_SORT_KEYS);
  json_decref(sb);
  world_free(&w);
  assert_non_null(ja);
  assert_string_equal(ja, jb);
  assert_true(sl_stream_shard_total(sl_sim_stream(a)) > 4);
  free(ja);
  free(jb);
  sl_sim_destroy(a);
  sl_sim_destroy(b);
}

/* --- served streams (sl_api_capacity, called by `serve` once a second by wall time) ------------------------- */

static json_t *call(sl_api_t *api, const char *op, const char *body, int64_t now_ms, int want_status) {
  char target[96];
  snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
  sl_api_response_t out;
  sl_api_handle(api, target, strlen(target), body, strlen(body), now_ms, &out);
  if (out.status != want_status) fail_msg("%s: %d %s", op, out.status, out.body ? out.body : "");
  json_t *j = json_loadb(out.body, out.len, 0, NULL);
  free(out.body);
  assert_non_null(j);
  return j;
}

static json_int_t open_shards(sl_api_t *api, int64_t now_ms) {
  json_t *d = call(api, "DescribeStreamSummary", "{\"StreamName\":\"od\"}", now_ms, 200);
  json_int_t n = json_integer_value(json_object_get(json_object_get(d, "StreamDescriptionSummary"), "OpenShardCount"));
  json_decref(d);
  return n;
}

/* 3,000 records in one second to a served on-demand stream: 2 x 3,000 = 6,000 records/s wants 6 shards, which
 * it gets once the default delay (900 s) has passed since the shortfall was seen; a provisioned stream with
 * the same writes is left alone. */
static void a_served_stream_scales_by_its_clock(void **state) {
  (void)state;
  sl_api_config_t c;
  sl_api_config_init(&c);
  c.create_stream_ms = 0; /* ACTIVE at once: this is about scaling */
  sl_api_t *api;
  assert_int_equal(sl_api_create(&c, &api, NULL), SL_OK);
  int64_t t0 = TEST_EPOCH_MS;
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}",
                   t0, 200));
  json_decref(call(api, "CreateStream", "{\"StreamName\":\"prov\",\"ShardCount\":1}", t0, 200));
  sl_error_t err;
  assert_int_equal(sl_api_capacity(api, t0, &err), SL_OK); /* attaches: nothing written yet */
  assert_int_equal(open_shards(api, t0), 4);
  for (int call_no = 0; call_no < 6; call_no++) { /* 6 x 500 records, random keys */
    char *body = malloc(64 * 500 + 64), *p = body;
    p += sprintf(p, "{\"StreamName\":\"od\",\"Records\":[");
    for (int i = 0; i < 500; i++)
      p += sprintf(p, "%s{\"Data\":\"eA==\",\"PartitionKey\":\"k-%d-%d\"}", i ? "," : "", call_no, i);
    sprintf(p, "]}");
    json_t *r = call(api, "PutRecords", body, t0 + 500, 200);
    assert_int_equal(json_integer_value(json_object_get(r, "FailedRecordCount")), 0);
    json_decref(r);
    free(body);
  }
  assert_int_equal(sl_api_capacity(api, t0 + 1000, &err), SL_OK); /* fed 3,000: the shortfall is seen */
  assert_int_equal(sl_api_capacity(api, t0 + 1500, &err), SL_OK); /* not a second later: not a step */
  assert_int_equal(sl_api_capacity(api, t0 + 900000, &err), SL_OK);
  assert_int_equal(open_shards(api, t0 + 900000), 4);
  assert_int_equal(sl_api_capacity(api, t0 + 901000, &err), SL_OK); /* 900 s after it was seen */
  assert_int_equal(open_shards(api, t0 + 901000), 6);
  json_t *d = call(api, "DescribeStream", "{\"StreamName\":\"prov\"}", t0 + 901000, 200);
  assert_int_equal(json_array_size(json_object_get(json_object_get(d, "StreamDescription"), "Shards")), 1);
  json_decref(d);
  sl_api_destroy(api);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(steady_3000_is_never_throttled_on_demand),
      cmocka_unit_test(a_ramp_to_12000_grows_the_stream),
      cmocka_unit_test(same_seed_same_summary),
      cmocka_unit_test(a_served_stream_scales_by_its_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
