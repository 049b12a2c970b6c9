/* env_pool.c - one execution environment per concurrency slot, created on first use and closed after
 * idle_timeout of the run's clock, so memory follows the concurrency in use rather than shards x PF. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "lua/env_internal.h"

typedef struct pool_slot_s {
  sl_env_t *env;      /* NULL until first used */
  int64_t last_used;  /* when its last invocation started (run clock, us) */
} pool_slot_t;

struct sl_env_pool_s {
  sl_env_config_t config;   /* shared by every environment (each copies what it keeps) */
  int64_t idle_timeout_us;  /* environments idle this long are closed */
  pool_slot_t *slots;       /* by slot number */
  uint32_t slot_count;      /* entries allocated in slots */
  uint64_t cold_starts;     /* environments initialized so far */
  sl_env_t **spare;         /* provisioned environments not yet given to a slot */
  uint32_t spare_count;
};

int sl_env_pool_create(const sl_env_config_t *c, int64_t idle_timeout_us, sl_env_pool_t **out, sl_error_t *err) {
  *out = NULL;
  sl_env_t *probe; /* validates the configuration once, with the same messages as a single environment */
  int rc = sl_env_create(c, 0, &probe, err);
  if (rc != SL_OK) return rc;
  sl_env_destroy(probe);
  if (idle_timeout_us <= 0) return sl_error_set(err, SL_EINVAL, "idle_timeout must be positive");
  sl_env_pool_t *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory creating an environment pool");
  pool->config = *c;
  pool->idle_timeout_us = idle_timeout_us;
  *out = pool;
  return SL_OK;
}

void sl_env_pool_destroy(sl_env_pool_t *pool) {
  if (pool == NULL) return;
  for (uint32_t i = 0; i < pool->slot_count; i++) sl_env_destroy(pool->slots[i].env);
  for (uint32_t i = 0; i < pool->spare_count; i++) sl_env_destroy(pool->spare[i]);
  free(pool->spare);
  free(pool->slots);
  free(pool);
}

static int grow(sl_env_pool_t *pool, uint32_t slot) {
  size_t cap = pool->slot_count;
  pool_slot_t *slots = sl_grow_zeroed(pool->slots, &cap, slot, sizeof *pool->slots, 8);
  if (slots == NULL) return SL_ENOMEM;
  pool->slots = slots;
  pool->slot_count = (uint32_t)cap;
  return SL_OK;
}

size_t sl_env_pool_reclaim(sl_env_pool_t *pool, int64_t now_us) {
  size_t closed = 0;
  for (uint32_t i = 0; i < pool->slot_count; i++) {
    pool_slot_t *s = &pool->slots[i];
    if (s->env != NULL && now_us - s->last_used >= pool->idle_timeout_us) {
      sl_env_destroy(s->env);
      s->env = NULL;
      closed++;
    }
  }
  return closed;
}

int sl_env_pool_acquire(sl_env_pool_t *pool, uint32_t slot, int64_t now_us, sl_env_t **env, sl_error_t *err) {
  if (grow(pool, slot) != SL_OK) return sl_error_set(err, SL_ENOMEM, "out of memory growing the pool");
  pool_slot_t *s = &pool->slots[slot];
  if (s->env != NULL && now_us - s->last_used >= pool->idle_timeout_us) {
    sl_env_destroy(s->env); /* idle too long: this use is a cold start */
    s->env = NULL;
  }
  if (s->env == NULL && pool->spare_count > 0) s->env = pool->spare[--pool->spare_count]; /* provisioned: warm */
  if (s->env == NULL) {
    int rc = sl_env_create(&pool->config, slot, &s->env, err);
    if (rc != SL_OK) return rc;
  }
  s->last_used = now_us;
  *env = s->env;
  return SL_OK;
}

void sl_env_pool_note(sl_env_pool_t *pool, const sl_invoke_result_t *res) {
  if (res->cold_start) pool->cold_starts++;
}

int sl_env_pool_invoke(sl_env_pool_t *pool, uint32_t slot, int64_t now_us, const sl_invocation_t *inv,
                       sl_invoke_result_t *res, sl_error_t *err) {
  sl_env_t *env;
  int rc = sl_env_pool_acquire(pool, slot, now_us, &env, err);
  if (rc == SL_OK) rc = sl_env_invoke(env, inv, res, err);
  if (rc == SL_OK) sl_env_pool_note(pool, res);
  return rc;
}

int sl_env_pool_provision(sl_env_pool_t *pool, uint32_t n, int64_t now_us, sl_error_t *err) {
  sl_env_t **grown = realloc(pool->spare, (pool->spare_count + n + 1) * sizeof *grown);
  if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory provisioning environments");
  pool->spare = grown;
  for (uint32_t i = 0; i < n; i++) {
    sl_env_t *env;
    /* Slot numbers far above any real slot give provisioned environments their own random streams. */
    int rc = sl_env_create(&pool->config, UINT32_MAX - i, &env, err);
    if (rc != SL_OK) return rc;
    sl_invoke_result_t res;
    memset(&res, 0, sizeof res);
    sl_env_prepare(env, now_us, &res, err);
    if (!sl_env_is_warm(env)) {
      rc = sl_error_set(err, SL_EINVAL, "provisioned concurrency: the handler failed to initialize: %s",
                        res.error_json ? res.error_json : "(no error)");
      sl_invoke_result_clear(&res);
      sl_env_destroy(env);
      return rc;
    }
    sl_invoke_result_clear(&res);
    pool->spare[pool->spare_count++] = env;
  }
  return SL_OK;
}

int sl_env_check(const sl_env_config_t *c, int64_t now_us, sl_invoke_result_t *res, sl_error_t *err) {
  memset(res, 0, sizeof *res);
  sl_env_config_t quiet = *c;
  quiet.log = NULL; /* the check's own START/print lines are not the run's */
  quiet.log_data = NULL;
  sl_env_t *env;
  int rc = sl_env_create(&quiet, 0, &env, err);
  if (rc != SL_OK) return rc;
  sl_env_prepare(env, now_us, res, err);
  rc = sl_env_is_warm(env) ? SL_OK : SL_EINVAL;
  sl_env_destroy(env);
  return rc;
}

size_t sl_env_pool_live(const sl_env_pool_t *pool) {
  size_t live = 0;
  for (uint32_t i = 0; i < pool->slot_count; i++) live += pool->slots[i].env != NULL && sl_env_is_warm(pool->slots[i].env);
  return live;
}

uint64_t sl_env_pool_cold_starts(const sl_env_pool_t *pool) { return pool->cold_starts; }
