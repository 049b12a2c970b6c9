/* env_log.c - an environment's log in Lambda's form: START, the handler's print and sl.log lines (timestamp,
 * request id, level, message, as the Node.js runtime writes them), END, and REPORT with durations and
 * memory. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shardlab/clock.h"
#include "lua/env_internal.h"

static void emit(sl_env_t *env, const char *line, size_t len) {
  if (env->config.log != NULL) env->config.log(env->config.log_data, line, len);
}

void sl__env_log_line(sl_env_t *env, const char *line, size_t len) { sl__env_log_level(env, "INFO", line, len); }

void sl__env_log_level(sl_env_t *env, const char *level, const char *line, size_t len) {
  if (env->config.log == NULL) return;
  char stamp[32];
  sl_clock_iso8601_ms(sl__env_now_us(env) / 1000, stamp);
  const char *id = env->request_id[0] ? env->request_id : "INIT";
  size_t cap = strlen(stamp) + strlen(id) + strlen(level) + len + 8;
  char small[512];
  char *buf = cap <= sizeof small ? small : malloc(cap);
  if (buf == NULL) return;
  int n = snprintf(buf, cap, "%s\t%s\t%s\t", stamp, id, level);
  memcpy(buf + n, line, len);
  emit(env, buf, (size_t)n + len);
  if (buf != small) free(buf);
}

void sl__env_log_start(sl_env_t *env) {
  char buf[128];
  int n = snprintf(buf, sizeof buf, "START RequestId: %s Version: $LATEST", env->request_id);
  emit(env, buf, (size_t)n);
}

void sl__env_log_end(sl_env_t *env, const sl_invoke_result_t *res) {
  char buf[384];
  int n = snprintf(buf, sizeof buf, "END RequestId: %s", res->request_id);
  emit(env, buf, (size_t)n);
  uint64_t mib = 1024 * 1024;
  n = snprintf(buf, sizeof buf,
               "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %" PRId64 " ms\tMemory Size: %u MB\t"
               "Max Memory Used: %" PRIu64 " MB",
               res->request_id, (double)res->duration_us / 1000.0, res->billed_ms, env->config.memory_mb,
               (res->max_memory_bytes + mib - 1) / mib);
  if (res->cold_start && n > 0 && (size_t)n < sizeof buf)
    n += snprintf(buf + n, sizeof buf - (size_t)n, "\tInit Duration: %.2f ms", (double)res->init_duration_us / 1000.0);
  emit(env, buf, (size_t)n);
}
