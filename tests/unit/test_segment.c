/* test_segment.c - segment files on their own (docs/storage.md, "Files" and "Recovery"): what the writer puts
 * on disk is, byte for byte, the documented layout (built here by an encoder of the test's own, with a bitwise
 * CRC-32C); a scan gives every record back with its offset, and seeks with the index; an empty segment is a
 * header alone; the header is checked; a tail cut anywhere inside the last frame (or zeros after it) is
 * reported as torn at the last good frame, and the writer goes on from there once it is cut; damage before
 * the last frame (a flipped byte, a bad length, a counter out of sequence) stops the scan at the damaged
 * frame, whose offset the test computes from the records it wrote, and is not taken for a torn tail. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/segment.h"

static char tmp_root[256];

/* A fresh folder under the test's temporary root. */
static void make_dir(char *out, size_t size, const char *name) {
  if (tmp_root[0] == '\0') {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/shardlab-segment-XXXXXX");
    if (mkdtemp(tmp_root) == NULL) fail_msg("mkdtemp");
  }
  snprintf(out, size, "%s/%s", tmp_root, name);
  if (mkdir(out, 0755) != 0) fail_msg("mkdir %s", out);
}

/* CRC-32C bit by bit (reflected polynomial 0x82F63B78), independent of the library's table and SSE4.2. */
static uint32_t crc32c_bitwise(const unsigned char *p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

/* --- the records the tests write, and their frames as docs/storage.md lays them out ------------------------ */

typedef struct rec_s {
  uint64_t counter;
  int64_t arrival_ms;
  sl_hashkey_t hash_key;
  int explicit_hash;
  char key[64];
  size_t key_len;
  unsigned char *data;
  size_t data_len;
} rec_t;

/* Record i of a segment starting at first: keys and data of varying length (some data empty), hash keys with
 * the top and bottom bytes set (so a byte-order mistake shows), arrival times some of them negative. */
static void make_rec(rec_t *r, uint64_t first, uint64_t i, size_t big) {
  r->counter = first + i;
  r->arrival_ms = i % 5 == 4 ? -(int64_t)i * 1000 : TEST_EPOCH_MS + (int64_t)i * 7;
  uint64_t s = i * 2654435761u + 1;
  r->hash_key = (sl_hashkey_t)test_rand(&s) << 64 | test_rand(&s);
  r->hash_key |= (sl_hashkey_t)0xF1 << 120 | 0x0F;
  r->explicit_hash = i % 3 == 0;
  r->key_len = (size_t)snprintf(r->key, sizeof r->key, "key-%llu-%.*s", (unsigned long long)i, (int)(i % 30),
                                "abcdefghijklmnopqrstuvwxyz0123456789");
  r->data_len = big ? big : (i % 10 == 0 ? 0 : (size_t)(i * 37 % 300) + 1);
  r->data = malloc(r->data_len + 1);
  for (size_t k = 0; k < r->data_len; k++) r->data[k] = (unsigned char)(i * 31 + k * 7);
}

static void free_recs(rec_t *r, size_t n) {
  for (size_t i = 0; i < n; i++) free(r[i].data);
  free(r);
}

static size_t frame_size(const rec_t *r) { return 8 + 41 + r->key_len + r->data_len; }

static void le(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The frame of r: length, CRC-32C of the payload, then counter, arrival, hash key (big-endian), flags, key
 * length, data length, key, data; integers little-endian. */
static size_t encode(const rec_t *r, unsigned char *f) {
  unsigned char *p = f + 8;
  le(p, r->counter, 8);
  le(p + 8, (uint64_t)r->arrival_ms, 8);
  for (int i = 0; i < 16; i++) p[16 + i] = (unsigned char)(r->hash_key >> (8 * (15 - i)));
  p[32] = r->explicit_hash ? 1 : 0;
  le(p + 33, r->key_len, 4);
  le(p + 37, r->data_len, 4);
  memcpy(p + 41, r->key, r->key_len);
  if (r->data_len) memcpy(p + 41 + r->key_len, r->data, r->data_len);
  size_t payload = 41 + r->key_len + r->data_len;
  le(f, payload, 4);
  le(f + 4, crc32c_bitwise(p, payload), 4);
  return 8 + payload;
}

/* The whole file as documented: "SLSEG001", the first counter, the frames. *len receives its size and
 * offsets[i] the byte offset of frame i. */
static unsigned char *expected_file(const rec_t *r, size_t n, uint64_t first, size_t *len, uint64_t *offsets) {
  size_t total = 16;
  for (size_t i = 0; i < n; i++) total += frame_size(&r[i]);
  unsigned char *out = malloc(total);
  memcpy(out, "SLSEG001", 8);
  le(out + 8, first, 8);
  size_t off = 16;
  for (size_t i = 0; i < n; i++) {
    if (offsets) offsets[i] = off;
    off += encode(&r[i], out + off);
  }
  *len = total;
  return out;
}

static void to_segment_record(const rec_t *r, sl_segment_record_t *out) {
  *out = (sl_segment_record_t){r->counter, r->arrival_ms, r->hash_key, r->explicit_hash, r->key,
                               r->key_len, r->data, r->data_len};
}

/* Writes n records to a new segment of dir at first (record big_at, if < n, has big bytes of data). */
static rec_t *write_segment(const char *dir, uint64_t first, size_t n, size_t big_at, size_t big) {
  rec_t *r = calloc(n ? n : 1, sizeof *r);
  sl_segment_writer_t w;
  sl_error_t err;
  if (sl_segment_create(&w, dir, first, &err) != SL_OK) fail_msg("sl_segment_create: %s", err.message);
  for (size_t i = 0; i < n; i++) {
    make_rec(&r[i], first, i, i == big_at ? big : 0);
    sl_segment_record_t sr;
    to_segment_record(&r[i], &sr);
    if (sl_segment_append(&w, &sr, &err) != SL_OK) fail_msg("append %zu: %s", i, err.message);
  }
  if (sl_segment_sync(&w, &err) != SL_OK) fail_msg("sync: %s", err.message);
  assert_int_equal(w.records, n);
  sl_segment_close(&w);
  return r;
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc((size_t)size + 1);
  assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
  fclose(f);
  *len = (size_t)size;
  return data;
}

static void spit(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) fail_msg("cannot write %s", path);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

/* --- scanning ----------------------------------------------------------------------------------------------- */

typedef struct seen_s {
  const rec_t *want; /* the records written, indexed from the segment's first counter */
  uint64_t first;
  const uint64_t *offsets;
  uint64_t next;  /* the counter the next visit must bring */
  size_t visits;
} seen_t;

/* Each record visited must be the one written, field by field and byte for byte, at its documented offset. */
static int check_visit(void *ctx, const sl_segment_record_t *r, uint64_t offset) {
  seen_t *s = ctx;
  if (r->counter != s->next) fail_msg("visited record %llu where %llu was due", (unsigned long long)r->counter,
                                      (unsigned long long)s->next);
  const rec_t *w = &s->want[r->counter - s->first];
  assert_int_equal(offset, s->offsets[r->counter - s->first]);
  assert_true(r->arrival_ms == w->arrival_ms);
  assert_true(r->hash_key == w->hash_key);
  assert_int_equal(!!r->explicit_hash, w->explicit_hash);
  assert_int_equal(r->key_len, w->key_len);
  assert_memory_equal(r->key, w->key, w->key_len);
  assert_int_equal(r->data_len, w->data_len);
  if (w->data_len) assert_memory_equal(r->data, w->data, w->data_len);
  s->next++;
  s->visits++;
  return 0;
}

static sl_segment_scan_t scan_ok(const char *path, uint64_t from, seen_t *seen) {
  sl_segment_scan_t out;
  sl_error_t err;
  if (sl_segment_scan(path, from, seen ? check_visit : NULL, seen, &out, &err) != SL_OK)
    fail_msg("sl_segment_scan %s: %s", path, err.message);
  return out;
}

/* --- tests --------------------------------------------------------------------------------------------------- */

enum { N = 300, BIG_AT = 150, BIG = 200 * 1024 }; /* one record larger than the writer's 64 KiB buffer */

static void records_read_back_byte_for_byte(void **state) {
  (void)state;
  char dir[512], path[700], idx[700];
  make_dir(dir, sizeof dir, "roundtrip");
  const uint64_t first = 1000;
  rec_t *r = write_segment(dir, first, N, BIG_AT, BIG);
  snprintf(path, sizeof path, "%s/00000000000000001000.seg", dir); /* named by its first counter, 20 digits */
  snprintf(idx, sizeof idx, "%s/00000000000000001000.idx", dir);
  uint64_t offsets[N];
  size_t want_len, got_len;
  unsigned char *want = expected_file(r, N, first, &want_len, offsets);
  unsigned char *got = slurp(path, &got_len);
  assert_int_equal(got_len, want_len);
  for (size_t i = 0; i < want_len; i++)
    if (got[i] != want[i]) fail_msg("%s: byte %zu is 0x%02x, the documented layout says 0x%02x", path, i, got[i], want[i]);

  seen_t seen = {r, first, offsets, first, 0};
  sl_segment_scan_t s = scan_ok(path, 0, &seen);
  assert_int_equal(seen.visits, N);
  assert_int_equal(s.first_counter, first);
  assert_int_equal(s.records, N);
  assert_int_equal(s.good_bytes, want_len);
  assert_int_equal(s.file_bytes, want_len);
  assert_false(s.bad);
  assert_true(s.last_arrival_ms == r[N - 1].arrival_ms);

  /* The index: (counter, offset of its frame) for records 0, 64, 128, ... of the segment, 16 bytes each. */
  size_t idx_len;
  unsigned char *entries = slurp(idx, &idx_len);
  size_t want_entries = (N + SL_SEGMENT_INDEX_EVERY - 1) / SL_SEGMENT_INDEX_EVERY;
  assert_int_equal(idx_len, 16 * want_entries);
  for (size_t e = 0; e < want_entries; e++) {
    unsigned char entry[16];
    le(entry, first + e * 64, 8);
    le(entry + 8, offsets[e * 64], 8);
    if (memcmp(entries + 16 * e, entry, 16) != 0) fail_msg("index entry %zu is not (counter, offset)", e);
  }
  free(entries);
  free(want);
  free(got);
  free_recs(r, N);
}

static void scan_seeks_with_the_index(void **state) {
  (void)state;
  char dir[512], path[700], idx[700];
  make_dir(dir, sizeof dir, "seek");
  const uint64_t first = 64 * 5 + 3; /* not a multiple of the index step */
  rec_t *r = write_segment(dir, first, N, N, 0);
  sl_segment_path(path, sizeof path, dir, first, "seg");
  sl_segment_path(idx, sizeof idx, dir, first, "idx");
  size_t len, idx_len;
  uint64_t offsets[N];
  free(expected_file(r, N, first, &len, offsets));
  unsigned char *written_idx = slurp(idx, &idx_len);
  const uint64_t froms[] = {0, first, first + 1, first + 63, first + 64, first + 65, first + 200, first + N - 1,
                            first + N, first + N + 100};
  for (int pass = 0; pass < 3; pass++) {
    /* 0: the writer's index; 1: none (the scan starts after the header); 2: the one rebuilt from the segment */
    if (pass == 1) assert_int_equal(unlink(idx), 0);
    if (pass == 2) {
      sl_error_t err;
      assert_int_equal(sl_segment_rebuild_index(dir, first, &err), SL_OK);
      size_t rebuilt_len;
      unsigned char *rebuilt = slurp(idx, &rebuilt_len);
      assert_int_equal(rebuilt_len, idx_len);
      assert_memory_equal(rebuilt, written_idx, idx_len);
      free(rebuilt);
    }
    for (size_t k = 0; k < sizeof froms / sizeof froms[0]; k++) {
      uint64_t from = froms[k] < first ? first : froms[k];
      seen_t seen = {r, first, offsets, from, 0};
      sl_segment_scan_t s = scan_ok(path, froms[k], &seen);
      uint64_t want = from >= first + N ? 0 : first + N - from;
      if (seen.visits != want)
        fail_msg("pass %d, from %llu: %zu records visited, want %llu", pass, (unsigned long long)froms[k],
                 seen.visits, (unsigned long long)want);
      assert_false(s.bad);
      assert_int_equal(s.good_bytes, len);
    }
  }
  free(written_idx);
  free_recs(r, N);
}

/* A visit that returns nonzero stops the scan there. */
static int stop_at_third(void *ctx, const sl_segment_record_t *r, uint64_t offset) {
  (void)r;
  (void)offset;
  return ++*(int *)ctx == 3;
}

static void visit_can_stop_the_scan(void **state) {
  (void)state;
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "stop");
  rec_t *r = write_segment(dir, 0, 10, 10, 0);
  sl_segment_path(path, sizeof path, dir, 0, "seg");
  int calls = 0;
  sl_segment_scan_t s;
  assert_int_equal(sl_segment_scan(path, 0, stop_at_third, &calls, &s, NULL), SL_OK);
  assert_int_equal(calls, 3);
  assert_int_equal(s.records, 3);
  assert_false(s.bad);
  free_recs(r, 10);
}

static void empty_segment_is_a_header(void **state) {
  (void)state;
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "empty");
  const uint64_t first = UINT64_C(0x0102030405060708);
  free_recs(write_segment(dir, first, 0, 0, 0), 0);
  sl_segment_path(path, sizeof path, dir, first, "seg");
  size_t len;
  unsigned char *got = slurp(path, &len);
  assert_int_equal(len, 16);
  assert_memory_equal(got, "SLSEG001\x08\x07\x06\x05\x04\x03\x02\x01", 16);
  free(got);
  seen_t seen = {NULL, first, NULL, first, 0};
  sl_segment_scan_t s = scan_ok(path, 0, &seen);
  assert_int_equal(seen.visits, 0);
  assert_true(s.first_counter == first);
  assert_int_equal(s.records, 0);
  assert_int_equal(s.good_bytes, 16);
  assert_int_equal(s.file_bytes, 16);
  assert_false(s.bad);
  assert_true(s.last_arrival_ms == INT64_MIN);
}

static void expect_no_header(const char *path, const char *why) {
  sl_segment_scan_t s;
  sl_error_t err = {0, ""};
  int rc = sl_segment_scan(path, 0, NULL, NULL, &s, &err);
  if (rc != SL_EIO) fail_msg("%s: scanning %s gave %d, want SL_EIO", why, path, rc);
  if (strstr(err.message, path) == NULL) fail_msg("%s: the message '%s' does not name %s", why, err.message, path);
}

static void header_is_checked(void **state) {
  (void)state;
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "header");
  rec_t *r = write_segment(dir, 7, 3, 3, 0);
  sl_segment_path(path, sizeof path, dir, 7, "seg");
  size_t len;
  unsigned char *good = slurp(path, &len);
  for (int i = 0; i < 8; i++) { /* each byte of the magic matters */
    unsigned char *bad = malloc(len);
    memcpy(bad, good, len);
    bad[i] ^= 0x20;
    spit(path, bad, len);
    expect_no_header(path, "a wrong magic");
    free(bad);
  }
  spit(path, good, 15); /* a header cut short */
  expect_no_header(path, "15 bytes");
  spit(path, good, 0);
  expect_no_header(path, "an empty file");
  char absent[720];
  snprintf(absent, sizeof absent, "%s/absent.seg", dir);
  expect_no_header(absent, "a missing file");
  spit(path, good, len); /* restored: good again */
  assert_int_equal(scan_ok(path, 0, NULL).records, 3);
  free(good);
  free_recs(r, 3);
}

/* A tail cut at every kind of place inside the last frame: torn, at the last frame's offset; then cut there,
 * the writer reopened on it appends the lost record again and the file is as if nothing had happened. */
static void torn_tail_is_found_and_writing_goes_on(void **state) {
  (void)state;
  enum { M = 20 };
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "torn");
  const uint64_t first = 40;
  rec_t *r = write_segment(dir, first, M, M, 0);
  sl_segment_path(path, sizeof path, dir, first, "seg");
  size_t len;
  uint64_t offsets[M + 1];
  unsigned char *want = expected_file(r, M, first, &len, offsets);
  const uint64_t last = offsets[M - 1];
  const size_t cuts[] = {1, 4, 7, 8, 9, 8 + 41, frame_size(&r[M - 1]) / 2, frame_size(&r[M - 1]) - 1};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    size_t cut_at = (size_t)last + cuts[k];
    spit(path, want, cut_at);
    seen_t seen = {r, first, offsets, first, 0};
    sl_segment_scan_t s = scan_ok(path, 0, &seen);
    if (!s.bad || !s.bad_reaches_end || s.good_bytes != last)
      fail_msg("cut %zu bytes into the last frame: bad %d, torn %d, good up to %llu (want %llu): %s", cuts[k], s.bad,
               s.bad_reaches_end, (unsigned long long)s.good_bytes, (unsigned long long)last, s.why);
    assert_int_equal(s.records, M - 1);
    assert_int_equal(seen.visits, M - 1);
    assert_int_equal(s.file_bytes, cut_at);
    assert_true(s.last_arrival_ms == r[M - 2].arrival_ms);
    assert_non_null(strstr(s.why, "cut short"));
  }
  /* Zeros after the last good frame (a file extended but never written): torn as well. */
  unsigned char *zeros = calloc(len + 100, 1);
  memcpy(zeros, want, len);
  spit(path, zeros, len + 100);
  sl_segment_scan_t z = scan_ok(path, 0, NULL);
  assert_true(z.bad && z.bad_reaches_end);
  assert_int_equal(z.good_bytes, len);
  assert_int_equal(z.records, M);
  free(zeros);
  /* A flipped byte in the very last frame reaches the end too: a write the crash interrupted. */
  spit(path, want, len);
  unsigned char *flipped = malloc(len);
  memcpy(flipped, want, len);
  flipped[last + 8 + 10] ^= 0x01;
  spit(path, flipped, len);
  z = scan_ok(path, 0, NULL);
  assert_true(z.bad && z.bad_reaches_end);
  assert_int_equal(z.good_bytes, last);
  free(flipped);

  /* Recovery: cut at the last good frame, reopen the writer there, put the lost record and one more. */
  spit(path, want, (size_t)last + 5);
  sl_segment_scan_t s = scan_ok(path, 0, NULL);
  assert_int_equal(truncate(path, (off_t)s.good_bytes), 0);
  sl_segment_writer_t w;
  sl_error_t err;
  assert_int_equal(sl_segment_reopen(&w, dir, first, s.good_bytes, s.records, s.last_arrival_ms, &err), SL_OK);
  rec_t *again = realloc(r, (M + 1) * sizeof *r);
  assert_non_null(again);
  r = again;
  make_rec(&r[M], first, M, 0);
  for (size_t i = M - 1; i <= M; i++) {
    sl_segment_record_t sr;
    to_segment_record(&r[i], &sr);
    assert_int_equal(sl_segment_append(&w, &sr, &err), SL_OK);
  }
  assert_int_equal(sl_segment_sync(&w, &err), SL_OK);
  sl_segment_close(&w);
  free(want);
  want = expected_file(r, M + 1, first, &len, offsets);
  size_t got_len;
  unsigned char *got = slurp(path, &got_len);
  assert_int_equal(got_len, len);
  assert_memory_equal(got, want, len);
  seen_t seen = {r, first, offsets, first, 0};
  s = scan_ok(path, 0, &seen);
  assert_false(s.bad);
  assert_int_equal(seen.visits, M + 1);
  free(got);
  free(want);
  free_recs(r, M + 1);
}

/* Damage in frame `at` of M, not the last: the scan stops at that frame's offset, and it is no torn tail. */
static void expect_damage(const char *path, const unsigned char *file, size_t len, const rec_t *r, uint64_t first,
                          const uint64_t *offsets, size_t at, size_t byte, unsigned char flip, const char *why) {
  unsigned char *bad = malloc(len);
  memcpy(bad, file, len);
  bad[byte] ^= flip;
  spit(path, bad, len);
  free(bad);
  seen_t seen = {r, first, offsets, first, 0};
  sl_segment_scan_t s = scan_ok(path, 0, &seen);
  if (!s.bad || s.bad_reaches_end || s.good_bytes != offsets[at] || s.records != at || seen.visits != at)
    fail_msg("byte %zu flipped (frame %zu at %llu): bad %d, torn %d, stopped at %llu after %llu records (%s)", byte,
             at, (unsigned long long)offsets[at], s.bad, s.bad_reaches_end, (unsigned long long)s.good_bytes,
             (unsigned long long)s.records, s.why);
  if (strstr(s.why, why) == NULL) fail_msg("byte %zu flipped: '%s', want '%s'", byte, s.why, why);
  assert_int_equal(s.file_bytes, len);
}

static void damage_before_the_end_is_refused_at_its_offset(void **state) {
  (void)state;
  enum { M = 20, AT = 7 };
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "damage");
  const uint64_t first = 500;
  rec_t *r = write_segment(dir, first, M, M, 0);
  sl_segment_path(path, sizeof path, dir, first, "seg");
  /* The offset of frame AT from the sizes of what was written alone: header, then 8 + 41 + key + data each. */
  uint64_t at = 16;
  for (size_t i = 0; i < AT; i++) at += 8 + 41 + r[i].key_len + r[i].data_len;
  size_t len;
  unsigned char *file = slurp(path, &len);
  uint64_t offsets[M];
  free(expected_file(r, M, first, &len, offsets));
  assert_int_equal(offsets[AT], at);
  const size_t payload = at + 8;
  expect_damage(path, file, len, r, first, offsets, AT, payload + 41 + r[AT].key_len + 2, 0x40, "a bad checksum");
  expect_damage(path, file, len, r, first, offsets, AT, payload + 41, 0x01, "a bad checksum");       /* key */
  expect_damage(path, file, len, r, first, offsets, AT, payload + 20, 0x80, "a bad checksum");       /* hash */
  expect_damage(path, file, len, r, first, offsets, AT, payload + 0, 0x01, "a bad checksum");        /* counter */
  expect_damage(path, file, len, r, first, offsets, AT, at + 4, 0x10, "a bad checksum");             /* the CRC */
  expect_damage(path, file, len, r, first, offsets, AT, at + 3, 0x80, "an impossible record length"); /* > 2 GiB */
  /* A length that runs past the end of the file, the records after it whole: damage, not a torn tail. */
  expect_damage(path, file, len, r, first, offsets, AT, at + 2, 0x40, "runs over the records after it");
  /* A length under the fixed fields. */
  unsigned char *bad = malloc(len);
  memcpy(bad, file, len);
  le(bad + at, 10, 4);
  expect_damage(path, bad, len, r, first, offsets, AT, 0, 0, "an impossible record length 10");
  /* Lengths inside the payload that disagree with the frame's, under a valid CRC (built by the test's encoder). */
  memcpy(bad, file, len);
  rec_t liar = r[AT];
  encode(&liar, bad + at);
  le(bad + at + 8 + 33, liar.key_len + 1, 4);
  le(bad + at + 4, crc32c_bitwise(bad + at + 8, frame_size(&liar) - 8), 4);
  expect_damage(path, bad, len, r, first, offsets, AT, 0, 0, "disagree");
  free(bad);
  spit(path, file, len); /* repaired: whole again */
  assert_false(scan_ok(path, 0, NULL).bad);
  free(file);
  free_recs(r, M);
}

/* Counters must follow one another from the header's first: a gap stops the scan at the frame after it. */
static void counters_out_of_sequence(void **state) {
  (void)state;
  char dir[512], path[700];
  make_dir(dir, sizeof dir, "sequence");
  sl_segment_writer_t w;
  sl_error_t err;
  assert_int_equal(sl_segment_create(&w, dir, 50, &err), SL_OK);
  rec_t r[5];
  const uint64_t counters[] = {50, 51, 52, 54, 55};
  uint64_t offsets[5], off = 16;
  for (int i = 0; i < 5; i++) {
    make_rec(&r[i], 0, counters[i], 0);
    offsets[i] = off;
    off += frame_size(&r[i]);
    sl_segment_record_t sr;
    to_segment_record(&r[i], &sr);
    assert_int_equal(sl_segment_append(&w, &sr, &err), SL_OK);
  }
  assert_int_equal(sl_segment_sync(&w, &err), SL_OK);
  sl_segment_close(&w);
  sl_segment_path(path, sizeof path, dir, 50, "seg");
  sl_segment_scan_t s = scan_ok(path, 0, NULL);
  assert_true(s.bad);
  assert_false(s.bad_reaches_end);
  assert_int_equal(s.records, 3);
  assert_int_equal(s.good_bytes, offsets[3]);
  assert_non_null(strstr(s.why, "record 54 where 53 was due"));
  for (int i = 0; i < 5; i++) free(r[i].data);
}

static int remove_tree(void) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
  return tmp_root[0] ? system(cmd) : 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(records_read_back_byte_for_byte),
                                     cmocka_unit_test(scan_seeks_with_the_index),
                                     cmocka_unit_test(visit_can_stop_the_scan),
                                     cmocka_unit_test(empty_segment_is_a_header),
                                     cmocka_unit_test(header_is_checked),
                                     cmocka_unit_test(torn_tail_is_found_and_writing_goes_on),
                                     cmocka_unit_test(damage_before_the_end_is_refused_at_its_offset),
                                     cmocka_unit_test(counters_out_of_sequence)};
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  remove_tree();
  return failed;
}
