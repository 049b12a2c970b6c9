/* test_iterator.c - the five iterator types, reads that count records lost to retention, and the end of a
 * closed shard after a split. */
#include "test_support.h"

static sl_stream_t *stream_with_records(int n, char seqs[][SL_SEQNUM_DECIMAL_SIZE]) {
  sl_stream_t *s = test_stream(1, 0);
  for (int i = 0; i < n; i++) {
    char key[16];
    snprintf(key, sizeof key, "k%d", i);
    sl_put_result_t r = test_put(s, TEST_EPOCH_MS + 1000 * i, key); /* one record a second */
    sl_seqnum_format(&r.seq, seqs[i]);
  }
  return s;
}

static int read_keys(sl_shard_iterator_t *it, char *out, size_t cap) {
  const sl_record_t *recs[64];
  int n = sl_shard_iterator_read(it, recs, 64, NULL);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    strncat(out, SL_RECORD_KEY(recs[i]), recs[i]->key_len);
    if (strlen(out) + 1 < cap) strcat(out, ",");
  }
  return n;
}

static void iterator_types(void **state) {
  (void)state;
  char seqs[5][SL_SEQNUM_DECIMAL_SIZE];
  sl_stream_t *s = stream_with_records(5, seqs);
  const sl_shard_t *shard = sl_stream_shard(s, 0);
  sl_shard_iterator_t it;
  sl_error_t err;
  char keys[256];

  assert_int_equal(sl_shard_iterator_init(&it, shard, SL_ITER_TRIM_HORIZON, NULL, 0, &err), SL_OK);
  assert_int_equal(read_keys(&it, keys, sizeof keys), 5);
  assert_string_equal(keys, "k0,k1,k2,k3,k4,");
  assert_int_equal(read_keys(&it, keys, sizeof keys), 0); /* open shard: nothing more yet, not the end */

  assert_int_equal(sl_shard_iterator_init(&it, shard, SL_ITER_AT_SEQUENCE_NUMBER, seqs[2], 0, &err), SL_OK);
  read_keys(&it, keys, sizeof keys);
  assert_string_equal(keys, "k2,k3,k4,");
  assert_int_equal(sl_shard_iterator_init(&it, shard, SL_ITER_AFTER_SEQUENCE_NUMBER, seqs[2], 0, &err), SL_OK);
  read_keys(&it, keys, sizeof keys);
  assert_string_equal(keys, "k3,k4,");
  assert_int_equal(sl_shard_iterator_init(&it, shard, SL_ITER_AT_TIMESTAMP, NULL, TEST_EPOCH_MS + 2500, &err),
                   SL_OK);
  read_keys(&it, keys, sizeof keys);
  assert_string_equal(keys, "k3,k4,");

  assert_int_equal(sl_shard_iterator_init(&it, shard, SL_ITER_LATEST, NULL, 0, &err), SL_OK);
  assert_int_equal(read_keys(&it, keys, sizeof keys), 0);
  test_put(s, TEST_EPOCH_MS + 9000, "k5"); /* LATEST sees what arrives after it was taken */
  read_keys(&it, keys, sizeof keys);
  assert_string_equal(keys, "k5,");
  sl_stream_destroy(s);
}

static void iterator_refusals(void **state) {
  (void)state;
  char seqs[1][SL_SEQNUM_DECIMAL_SIZE];
  sl_stream_t *s = stream_with_records(1, seqs);
  sl_shard_iterator_t it;
  sl_iterator_type_t type;
  sl_error_t err;
  assert_int_equal(sl_iterator_type_parse("AT_TIMESTAMP", &type, &err), SL_OK);
  assert_int_equal(type, SL_ITER_AT_TIMESTAMP);
  assert_int_equal(sl_iterator_type_parse("OLDEST", &type, &err), SL_EINVAL);
  assert_non_null(strstr(err.message, "ShardIteratorType"));
  assert_int_equal(sl_shard_iterator_init(&it, sl_stream_shard(s, 0), SL_ITER_AT_SEQUENCE_NUMBER, NULL, 0, &err),
                   SL_EINVAL);
  assert_int_equal(sl_shard_iterator_init(&it, sl_stream_shard(s, 0), SL_ITER_AT_SEQUENCE_NUMBER, "12", 0, &err),
                   SL_EINVAL);
  /* A sequence number of another shard (AWS's own, from shard 6) is refused with both shard ids named. */
  assert_int_equal(sl_shard_iterator_init(&it, sl_stream_shard(s, 0), SL_ITER_AT_SEQUENCE_NUMBER,
                                          "49590338271490256608559692538361571095921575989136588898", 0, &err),
                   SL_EINVAL);
  assert_non_null(strstr(err.message, "shardId-000000000006"));
  assert_non_null(strstr(err.message, "shardId-000000000000"));
  sl_stream_destroy(s);
}

static void trimmed_records_are_counted_as_expired(void **state) {
  (void)state;
  char seqs[5][SL_SEQNUM_DECIMAL_SIZE];
  sl_stream_t *s = stream_with_records(5, seqs);
  sl_shard_iterator_t it;
  sl_error_t err;
  const sl_record_t *recs[2];
  uint64_t expired = 0;
  assert_int_equal(sl_shard_iterator_init(&it, sl_stream_shard(s, 0), SL_ITER_TRIM_HORIZON, NULL, 0, &err), SL_OK);
  assert_int_equal(sl_shard_iterator_read(&it, recs, 1, &expired), 1); /* k0 read */
  /* Retention passes k0..k2: the reader had not reached k1 and k2. */
  assert_int_equal(sl_stream_trim(s, TEST_EPOCH_MS + 24 * 3600 * 1000 + 2001), 3);
  assert_int_equal(sl_shard_iterator_read(&it, recs, 2, &expired), 2);
  assert_int_equal(expired, 2);
  assert_memory_equal(SL_RECORD_KEY(recs[0]), "k3", 2);
  sl_stream_destroy(s);
}

static void closed_shard_ends_and_children_follow(void **state) {
  (void)state;
  char seqs[3][SL_SEQNUM_DECIMAL_SIZE];
  sl_stream_t *s = stream_with_records(3, seqs);
  sl_shard_iterator_t it;
  sl_error_t err;
  const sl_record_t *recs[8];
  assert_int_equal(sl_shard_iterator_init(&it, sl_stream_shard(s, 0), SL_ITER_TRIM_HORIZON, NULL, 0, &err), SL_OK);
  assert_int_equal(sl_shard_iterator_read(&it, recs, 2, NULL), 2);
  assert_int_equal(sl_stream_split(s, "shardId-000000000000", "170141183460469231731687303715884105728",
                                   TEST_EPOCH_MS + 5000, &err),
                   SL_OK);
  assert_false(sl_shard_iterator_exhausted(&it)); /* one record of the parent is still unread */
  assert_int_equal(sl_shard_iterator_read(&it, recs, 8, NULL), 1);
  assert_true(sl_shard_iterator_exhausted(&it));
  assert_int_equal(sl_shard_iterator_read(&it, recs, 8, NULL), SL_ECLOSED);
  const sl_shard_t *parent = sl_stream_shard(s, 0);
  assert_int_equal(parent->children[0], 1);
  assert_int_equal(parent->children[1], 2);
  /* LATEST on a closed shard is already at its end. */
  assert_int_equal(sl_shard_iterator_init(&it, parent, SL_ITER_LATEST, NULL, 0, &err), SL_OK);
  assert_true(sl_shard_iterator_exhausted(&it));
  sl_stream_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(iterator_types),
      cmocka_unit_test(iterator_refusals),
      cmocka_unit_test(trimmed_records_are_counted_as_expired),
      cmocka_unit_test(closed_shard_ends_and_children_follow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
