/* test_support.h - small helpers shared by the unit tests: cmocka includes, stream setup, a seeded PRNG. */
#ifndef SHARDLAB_TEST_SUPPORT_H
#define SHARDLAB_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "shardlab/stream.h"

/* 2023-11-14T22:13:20Z: a fixed creation time so sequence numbers are realistic and reproducible. */
#define TEST_EPOCH_MS INT64_C(1700000000000)

/* A stream of n shards with the documented defaults, write limits as given. */
static inline sl_stream_t *test_stream(uint32_t shards, int write_limits) {
  sl_stream_config_t c;
  sl_stream_config_init(&c);
  c.name = "test-stream";
  c.shard_count = shards;
  c.write_limits = write_limits;
  c.created_ms = TEST_EPOCH_MS;
  sl_stream_t *s = NULL;
  sl_error_t err;
  int rc = sl_stream_create(&c, &s, &err);
  if (rc != SL_OK) fail_msg("sl_stream_create: %s", err.message);
  return s;
}

/* xorshift64*: deterministic pseudo-random numbers for property tests, seeded per case. */
static inline uint64_t test_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * UINT64_C(2685821657736338717);
}

static inline sl_hashkey_t test_rand_hashkey(uint64_t *state) {
  return ((sl_hashkey_t)test_rand(state) << 64) | test_rand(state);
}

/* Puts key with data "d" and fails the test on any error. */
static inline sl_put_result_t test_put(sl_stream_t *s, int64_t now_ms, const char *key) {
  sl_put_result_t r;
  sl_error_t err;
  int rc = sl_stream_put(s, now_ms, key, strlen(key), NULL, "d", 1, &r, &err);
  if (rc != SL_OK) fail_msg("put %s: %s", key, err.message);
  return r;
}

#endif
