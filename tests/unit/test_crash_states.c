/* test_crash_states.c - machine crashes explored, not hoped for: a workload of puts answered as the server
 * answers them (buffered, one flush before the answers), group commits, checkpoints and a split runs on a
 * durable store under each fsync policy with its file system calls recorded (crash_fs.h); at every point of
 * the record, states a power loss may leave there are built (the durable part, plus prefixes of what was not
 * synced, torn at arbitrary bytes, and unsynced folder changes kept or lost), and the store opens each. It
 * must open every one (a torn tail is not damage), invent nothing (every record it has was put, at that
 * position, byte for byte), and keep what its policy promises: under "always" every acknowledged record, under
 * every policy what a group commit (sl_store_sync) covered, the split once SplitShard returned, the newest
 * checkpoint saved and the records it covers. Prints the number of states explored. */
#define _XOPEN_SOURCE 700
#include "test_support.h"

#include <ftw.h>

#include "crash_fs.h"
#include "shardlab/store.h"

enum { MAX_SHARDS = 4, MAX_RECORDS = 4096, REQUESTS = 36, STATES_PER_POINT = 24 };

/* What the workload put and promised; one mark per promise, in the log between the calls. */
typedef struct put_s {
  char key[16];
  char data[1024];
  size_t len;
  int64_t arrival;
} put_t;

typedef struct promise_s {
  uint64_t acked[MAX_SHARDS];  /* records answered: counters below these, per shard */
  uint64_t synced[MAX_SHARDS]; /* records a group commit covered */
  int split;                   /* SplitShard returned */
  int checkpoint;              /* the newest checkpoint whose save returned (0: none) */
} promise_t;

static put_t put_table[MAX_SHARDS][MAX_RECORDS];
static uint64_t put_count[MAX_SHARDS];
static promise_t promises[256];
static int promise_count;
static uint64_t checkpoint_covers[64][MAX_SHARDS]; /* what checkpoint v says is done */
static char root[128];

static void promise(const promise_t *p) {
  promises[promise_count] = *p;
  cf_mark(promise_count++);
}

static sl_store_t *open_store(const char *dir, sl_fsync_t policy, sl_store_recovery_t *rec, sl_error_t *err) {
  sl_store_config_t c;
  sl_store_config_init(&c);
  c.dir = dir;
  c.fsync = policy;
  c.deferred = 1;
  c.interval_ms = 3600 * 1000; /* group commits only where the workload calls sl_store_sync: a fixed log */
  c.segment_bytes = 4096;
  sl_stream_config_t sc;
  sl_stream_config_init(&sc);
  sc.name = "crash";
  sc.shard_count = 2;
  sc.write_limits = 0;
  sc.created_ms = TEST_EPOCH_MS;
  sl_store_t *st = NULL;
  return sl_store_open(&c, &sc, &st, rec, err) == SL_OK ? st : NULL;
}

static void put_one(sl_store_t *st, uint64_t *rng, int64_t at) {
  put_t p;
  snprintf(p.key, sizeof p.key, "k%d", (int)(cf_rand(rng) % 20));
  p.len = (size_t)(cf_rand(rng) % 700);
  for (size_t i = 0; i < p.len; i++) p.data[i] = (char)('a' + cf_rand(rng) % 26);
  p.arrival = at;
  sl_put_result_t res;
  sl_error_t err;
  if (sl_stream_put(sl_store_stream(st), at, p.key, strlen(p.key), NULL, p.data, p.len, &res, &err) != SL_OK)
    fail_msg("put: %s", err.message);
  const sl_shard_t *sh = sl_stream_shard(sl_store_stream(st), res.shard_index);
  uint64_t counter = sl_shard_log_next(sh->log) - 1;
  assert_true(counter < MAX_RECORDS && counter == put_count[sh->index]);
  put_table[sh->index][counter] = p;
  put_count[sh->index]++;
}

static void save_checkpoint(sl_store_t *st, int v, promise_t *now) {
  char json[256];
  memcpy(checkpoint_covers[v], now->acked, sizeof now->acked);
  snprintf(json, sizeof json, "{\"v\":%d,\"s0\":%llu,\"s1\":%llu,\"s2\":%llu,\"s3\":%llu}", v,
           (unsigned long long)now->acked[0], (unsigned long long)now->acked[1], (unsigned long long)now->acked[2],
           (unsigned long long)now->acked[3]);
  sl_error_t err;
  if (sl_store_save_checkpoints(st, "m", json, &err) != SL_OK) fail_msg("checkpoint: %s", err.message);
  now->checkpoint = v;
}

/* The workload, recorded: requests of 1-6 puts, each answered after a flush; every 5th a group commit, every
 * 9th a checkpoint, a split in the middle, a close at the end. */
static void run_workload(const char *dir, sl_fsync_t policy) {
  memset(put_table, 0, sizeof put_table);
  memset(put_count, 0, sizeof put_count);
  promise_count = 0;
  promise_t now = {{0}, {0}, 0, 0};
  cf_record(root);
  promise(&now);
  sl_error_t err;
  sl_store_t *st = open_store(dir, policy, NULL, &err);
  if (st == NULL) fail_msg("open: %s", err.message);
  uint64_t rng = 42 + (uint64_t)policy;
  int checkpoints = 0;
  for (int r = 1; r <= REQUESTS; r++) {
    int n = 1 + (int)(cf_rand(&rng) % 6);
    for (int i = 0; i < n; i++) put_one(st, &rng, TEST_EPOCH_MS + r * 100 + i);
    if (sl_store_flush(st, &err) != SL_OK) fail_msg("flush: %s", err.message);
    for (uint32_t s = 0; s < MAX_SHARDS; s++) now.acked[s] = put_count[s];
    if (policy == SL_FSYNC_ALWAYS) memcpy(now.synced, now.acked, sizeof now.acked);
    promise(&now);
    if (r % 5 == 0) {
      if (sl_store_sync(st, &err) != SL_OK) fail_msg("sync: %s", err.message);
      memcpy(now.synced, now.acked, sizeof now.acked);
      promise(&now);
    }
    if (r % 9 == 0) {
      save_checkpoint(st, ++checkpoints, &now);
      if (policy != SL_FSYNC_NEVER) memcpy(now.synced, now.acked, sizeof now.acked); /* synced before it */
      promise(&now);
    }
    if (r == REQUESTS / 2) {
      if (sl_stream_split(sl_store_stream(st), "shardId-000000000000", "85070591730234615865843651857942052864",
                          TEST_EPOCH_MS + r * 100, &err) != SL_OK)
        fail_msg("split: %s", err.message);
      now.split = 1;
      promise(&now);
    }
  }
  if (sl_store_close(st, &err) != SL_OK) fail_msg("close: %s", err.message);
  memcpy(now.synced, now.acked, sizeof now.acked);
  promise(&now);
  cf_stop();
}

typedef struct explored_s {
  size_t states, distinct, torn;
  uint64_t *hashes;
  size_t nhash, caphash;
} explored_t;

static void count_state(explored_t *x, uint64_t hash) {
  x->states++;
  for (size_t i = 0; i < x->nhash; i++)
    if (x->hashes[i] == hash) return;
  if (x->nhash == x->caphash) {
    x->caphash = x->caphash ? x->caphash * 2 : 1024;
    x->hashes = realloc(x->hashes, x->caphash * sizeof *x->hashes);
  }
  x->hashes[x->nhash++] = hash;
  x->distinct++;
}

/* The checkpoint the state kept: its version (0: none), checked to be one that was saved. */
static int kept_checkpoint(sl_store_t *st, const char *where) {
  sl_error_t err;
  char *json = sl_store_load_checkpoints(st, "m", &err);
  if (json == NULL) return 0;
  int v = -1;
  unsigned long long c[4];
  if (sscanf(json, "{\"v\":%d,\"s0\":%llu,\"s1\":%llu,\"s2\":%llu,\"s3\":%llu}", &v, &c[0], &c[1], &c[2], &c[3]) != 5)
    fail_msg("%s: a checkpoint that was never saved: %s", where, json);
  for (int s = 0; s < 4; s++)
    if (c[s] != checkpoint_covers[v][s]) fail_msg("%s: checkpoint %d says %llu for shard %d", where, v, c[s], s);
  free(json);
  return v;
}

/* The store opened on a crash state keeps the promise p and invents nothing. */
static void check_state(const char *dir, sl_fsync_t policy, const promise_t *p, const char *where, explored_t *x) {
  sl_store_recovery_t rec;
  sl_error_t err;
  sl_store_t *st = open_store(dir, policy, &rec, &err);
  if (st == NULL) fail_msg("%s: a crash state is refused: %s", where, err.message);
  x->torn += rec.torn != 0;
  const sl_stream_t *s = sl_store_stream(st);
  uint32_t total = sl_stream_shard_total(s);
  if (total != 2 && total != 4) fail_msg("%s: %u shards", where, total);
  if (p->split && total != 4) fail_msg("%s: the split was answered, but the state has %u shards", where, total);
  uint64_t have[MAX_SHARDS] = {0};
  for (uint32_t i = 0; i < total; i++) {
    const sl_shard_t *sh = sl_stream_shard(s, i);
    assert_int_equal(sl_shard_log_first(sh->log), 0);
    have[i] = sl_shard_log_next(sh->log);
    if (have[i] > put_count[i]) fail_msg("%s: shard %u has %llu records, %llu were put", where, i,
                                         (unsigned long long)have[i], (unsigned long long)put_count[i]);
    for (uint64_t c = 0; c < have[i]; c++) {
      const sl_record_t *r = sl_shard_log_get(sh->log, c);
      const put_t *want = &put_table[i][c];
      if (r->key_len != strlen(want->key) || memcmp(SL_RECORD_KEY(r), want->key, r->key_len) != 0 ||
          r->data_len != want->len || memcmp(SL_RECORD_DATA(r), want->data, want->len) != 0 ||
          r->arrival_ms != want->arrival)
        fail_msg("%s: shard %u record %llu is not the record put there", where, i, (unsigned long long)c);
    }
    if (have[i] < p->synced[i])
      fail_msg("%s: shard %u kept %llu records, %llu were %s", where, i, (unsigned long long)have[i],
               (unsigned long long)p->synced[i], policy == SL_FSYNC_ALWAYS ? "acknowledged" : "group-committed");
  }
  int v = kept_checkpoint(st, where);
  if (v < p->checkpoint) fail_msg("%s: checkpoint %d kept, %d was saved", where, v, p->checkpoint);
  for (uint32_t i = 0; v > 0 && policy != SL_FSYNC_NEVER && i < total; i++)
    if (have[i] < checkpoint_covers[v][i]) fail_msg("%s: checkpoint %d covers records the state lost", where, v);
  if (sl_store_close(st, &err) != SL_OK) fail_msg("%s: close: %s", where, err.message);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_tree(const char *dir) {
  if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) fail_msg("cannot remove %s", dir);
}

/* Every point of the log, STATES_PER_POINT states at each (nothing unsynced kept, everything kept, random). */
static void explore(sl_fsync_t policy, explored_t *x) {
  char data[200], state[200], where[200];
  snprintf(data, sizeof data, "%s/data", root);
  run_workload(data, policy);
  remove_tree(data);
  snprintf(state, sizeof state, "%s/state", root);
  if (getenv("CRASH_LOG") != NULL) /* to read what a failing state was built from */
    for (size_t i = 0; i < cf_log.n; i++)
      fprintf(stderr, "op %zu: %d %s %s off %lld len %zu mark %d\n", i, cf_log.ops[i].kind, cf_log.ops[i].path,
              cf_log.ops[i].path2, cf_log.ops[i].off, cf_log.ops[i].len, cf_log.ops[i].mark);
  cf_model_t m;
  cf_model_init(&m);
  int last_mark = 0;
  for (size_t k = 0; k <= cf_log.n; k++) {
    if (k > 0) {
      cf_model_apply(&m, k - 1);
      if (cf_log.ops[k - 1].kind == CF_MARK) last_mark = cf_log.ops[k - 1].mark;
    }
    for (int j = 0; j < STATES_PER_POINT; j++) {
      if (mkdir(state, 0755) != 0) fail_msg("mkdir %s", state);
      cf_choice_t choice = {j < 2 ? j : 2, (uint64_t)k * 7919 + (uint64_t)j};
      count_state(x, cf_materialize(&m, choice, state));
      snprintf(where, sizeof where, "fsync %d, crash after op %zu of %zu, state %d", (int)policy, k, cf_log.n, j);
      char dir[300];
      snprintf(dir, sizeof dir, "%s/data", state);
      check_state(dir, policy, &promises[last_mark], where, x);
      remove_tree(state);
    }
  }
  cf_model_free(&m);
}

static void test_crash_states(void **unused) {
  (void)unused;
  explored_t x = {0};
  explore(SL_FSYNC_ALWAYS, &x);
  explore(SL_FSYNC_INTERVAL, &x);
  explore(SL_FSYNC_NEVER, &x);
  printf("crash states explored: %zu (%zu distinct), %zu with a torn tail cut off\n", x.states, x.distinct, x.torn);
  assert_true(x.states >= 10000);
  assert_true(x.torn > 0);
  free(x.hashes);
}

static int setup(void **unused) {
  (void)unused;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(root, sizeof root, "%s/shardlab-crash-XXXXXX", base);
  return mkdtemp(root) == NULL;
}

static int teardown(void **unused) {
  (void)unused;
  sl_io_use(NULL);
  remove_tree(root);
  for (size_t i = 0; i < cf_log.n; i++) free(cf_log.ops[i].data);
  free(cf_log.ops);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_crash_states)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
