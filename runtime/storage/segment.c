/* segment.c - encoding, appending, syncing and scanning segment files and their indexes. */
#define _POSIX_C_SOURCE 200809L

#include "storage/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shardlab/crc32c.h"
#include "storage/storage_io.h"

#define BUF_CAP (64u * 1024)
#define MAX_PAYLOAD (SL_SEGMENT_RECORD_FIXED + 4096u + 16u * 1024 * 1024) /* keys of 256 characters, 10 MiB data */
static const unsigned char MAGIC[8] = {'S', 'L', 'S', 'E', 'G', '0', '0', '1'};

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void sl_segment_path(char *out, size_t size, const char *dir, uint64_t first_counter, const char *ext) {
  snprintf(out, size, "%s/%020llu.%s", dir, (unsigned long long)first_counter, ext);
}

/* A failed write's error: SL_ENOSPACE for a full disk (or quota), SL_EIO otherwise, naming the file. */
static int write_failed(int saved, const char *what, const char *path, sl_error_t *err) {
  int code = saved == ENOSPC || saved == EDQUOT || saved == EFBIG ? SL_ENOSPACE : SL_EIO;
  return sl_error_set(err, code, "cannot %s %s: %s", what, path, strerror(saved));
}

/* Writes len bytes; *done says how many reached the file, also when it fails part way. */
static int write_all(int fd, const void *data, size_t len, size_t *done, const char *path, sl_error_t *err) {
  const unsigned char *p = data;
  *done = 0;
  while (*done < len) {
    ssize_t n = sl_io_write(fd, p + *done, len - *done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return write_failed(errno, "write", path, err);
    *done += (size_t)n;
  }
  return SL_OK;
}

/* Writes the first *len bytes of buf; what a failure left unwritten moves to the front, for the next try. */
static int write_buffer(int fd, unsigned char *buf, size_t *len, const char *path, sl_error_t *err) {
  size_t done;
  int rc = write_all(fd, buf, *len, &done, path, err);
  if (done > 0 && done < *len) memmove(buf, buf + done, *len - done);
  *len -= done;
  return rc;
}

static int open_files(sl_segment_writer_t *w, const char *dir, uint64_t first_counter, int create, sl_error_t *err) {
  char idx[4096];
  memset(w, 0, sizeof *w);
  w->fd = w->idx_fd = -1;
  sl_segment_path(w->path, sizeof w->path, dir, first_counter, "seg");
  sl_segment_path(idx, sizeof idx, dir, first_counter, "idx");
  w->first_counter = first_counter;
  w->buf = malloc(BUF_CAP);
  if (w->buf == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory opening %s", w->path);
  w->buf_cap = BUF_CAP;
  int flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
  w->fd = sl_io_open(w->path, flags, 0644);
  if (w->fd >= 0) w->idx_fd = sl_io_open(idx, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (w->fd < 0 || w->idx_fd < 0) {
    int saved = errno;
    sl_segment_close(w);
    return sl_error_set(err, SL_EIO, "cannot open %s for writing: %s", w->fd < 0 ? w->path : idx, strerror(saved));
  }
  return SL_OK;
}

int sl_segment_create(sl_segment_writer_t *w, const char *dir, uint64_t first_counter, sl_error_t *err) {
  int rc = open_files(w, dir, first_counter, 1, err);
  if (rc != SL_OK) return rc;
  memcpy(w->buf, MAGIC, 8);
  put_u64(w->buf + 8, first_counter);
  w->buf_len = w->size = SL_SEGMENT_HEADER;
  w->last_arrival_ms = INT64_MIN;
  w->unsynced = 1;
  return SL_OK;
}

int sl_segment_reopen(sl_segment_writer_t *w, const char *dir, uint64_t first_counter, uint64_t size,
                      uint64_t records, int64_t last_arrival_ms, sl_error_t *err) {
  int rc = open_files(w, dir, first_counter, 0, err);
  if (rc != SL_OK) return rc;
  if (lseek(w->fd, (off_t)size, SEEK_SET) < 0) {
    int saved = errno;
    sl_segment_close(w);
    return sl_error_set(err, SL_EIO, "cannot seek in %s: %s", dir, strerror(saved));
  }
  w->size = size;
  w->records = records;
  w->last_arrival_ms = last_arrival_ms;
  return SL_OK;
}

int sl_segment_flush(sl_segment_writer_t *w, sl_error_t *err) {
  if (w->buf_len > 0) {
    w->unsynced = 1;
    int rc = write_buffer(w->fd, w->buf, &w->buf_len, w->path, err);
    if (rc != SL_OK) return rc;
  }
  if (w->idx_len > 0) /* the index is derived data: rebuilt on recovery, so it is never synced */
    return write_buffer(w->idx_fd, w->idx_buf, &w->idx_len, w->path, err);
  return SL_OK;
}

int sl_segment_sync(sl_segment_writer_t *w, sl_error_t *err) {
  int rc = sl_segment_flush(w, err);
  if (rc != SL_OK || !w->unsynced) return rc;
  if (sl_io_fdatasync(w->fd) != 0) return write_failed(errno, "sync", w->path, err);
  w->unsynced = 0;
  return SL_OK;
}

int sl_segment_append(sl_segment_writer_t *w, const sl_segment_record_t *r, sl_error_t *err) {
  size_t payload = SL_SEGMENT_RECORD_FIXED + r->key_len + r->data_len, frame = SL_SEGMENT_FRAME_HEADER + payload;
  if (w->buf_len + frame > w->buf_cap) {
    int rc = sl_segment_flush(w, err);
    if (rc != SL_OK) return rc;
    if (frame > w->buf_cap) { /* a large record gets a buffer of its own size */
      unsigned char *grown = realloc(w->buf, frame);
      if (grown == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory writing %s", w->path);
      w->buf = grown;
      w->buf_cap = frame;
    }
  }
  if (w->records % SL_SEGMENT_INDEX_EVERY == 0) {
    if (w->idx_len + 16 > sizeof w->idx_buf) {
      int rc = sl_segment_flush(w, err);
      if (rc != SL_OK) return rc;
    }
    put_u64(w->idx_buf + w->idx_len, r->counter);
    put_u64(w->idx_buf + w->idx_len + 8, w->size);
    w->idx_len += 16;
  }
  unsigned char *f = w->buf + w->buf_len, *p = f + SL_SEGMENT_FRAME_HEADER;
  put_u64(p, r->counter);
  put_u64(p + 8, (uint64_t)r->arrival_ms);
  for (int i = 0; i < 16; i++) p[16 + i] = (unsigned char)(r->hash_key >> (8 * (15 - i)));
  p[32] = r->explicit_hash ? 1 : 0;
  put_u32(p + 33, (uint32_t)r->key_len);
  put_u32(p + 37, (uint32_t)r->data_len);
  memcpy(p + SL_SEGMENT_RECORD_FIXED, r->key, r->key_len);
  if (r->data_len) memcpy(p + SL_SEGMENT_RECORD_FIXED + r->key_len, r->data, r->data_len);
  put_u32(f, (uint32_t)payload);
  put_u32(f + 4, sl_crc32c(0, p, payload));
  w->buf_len += frame;
  w->size += frame;
  w->records++;
  w->last_arrival_ms = r->arrival_ms;
  return SL_OK;
}

void sl_segment_close(sl_segment_writer_t *w) {
  if (w->fd >= 0) sl_io_close(w->fd);
  if (w->idx_fd >= 0) sl_io_close(w->idx_fd);
  free(w->buf);
  w->buf = NULL;
  w->fd = w->idx_fd = -1;
}

/* --- reading -------------------------------------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len, sl_error_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int saved = errno;
    if (fd >= 0) close(fd);
    sl_error_set(err, SL_EIO, "cannot read %s: %s", path, strerror(saved));
    return NULL;
  }
  unsigned char *data = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (data != NULL && got < (size_t)st.st_size) {
    ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (data == NULL || got != (size_t)st.st_size) {
    free(data);
    sl_error_set(err, SL_EIO, "cannot read %s", path);
    return NULL;
  }
  *len = got;
  return data;
}

static int all_zero(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* Whether a whole, valid frame holding record `counter` starts somewhere after the frame at `bad`: then the
 * bad frame's length is damaged, not the end of a write a crash cut short (a crash loses bytes, it does not
 * change them). Found by the counter's bytes, then checked by the frame's length and CRC. */
static int later_frame(const unsigned char *data, size_t len, size_t bad, uint64_t counter) {
  unsigned char want[8];
  for (int i = 0; i < 8; i++) want[i] = (unsigned char)(counter >> (8 * i));
  for (size_t p = bad + SL_SEGMENT_FRAME_HEADER + SL_SEGMENT_FRAME_HEADER + SL_SEGMENT_RECORD_FIXED; p + 8 <= len; p++) {
    if (data[p] != want[0] || memcmp(data + p, want, 8) != 0) continue;
    const unsigned char *f = data + p - SL_SEGMENT_FRAME_HEADER;
    uint32_t payload = get_u32(f);
    if (payload >= SL_SEGMENT_RECORD_FIXED && payload <= len - p && sl_crc32c(0, data + p, payload) == get_u32(f + 4))
      return 1;
  }
  return 0;
}

/* Where to start for from_counter, from the index next to the segment (the header's end without one). */
static void seek_start(const char *path, uint64_t first, uint64_t from_counter, uint64_t *offset, uint64_t *counter) {
  *offset = SL_SEGMENT_HEADER;
  *counter = first;
  if (from_counter <= first) return;
  char idx[4096];
  snprintf(idx, sizeof idx, "%.*s.idx", (int)(strlen(path) - 4), path);
  size_t len;
  unsigned char *entries = read_file(idx, &len, NULL);
  if (entries == NULL) return;
  for (size_t i = 0; i + 16 <= len; i += 16) {
    uint64_t c = get_u64(entries + i), o = get_u64(entries + i + 8);
    if (c > from_counter) break;
    *counter = c;
    *offset = o;
  }
  free(entries);
}

int sl_segment_scan(const char *path, uint64_t from_counter, sl_segment_visit_fn visit, void *ctx,
                    sl_segment_scan_t *out, sl_error_t *err) {
  memset(out, 0, sizeof *out);
  out->last_arrival_ms = INT64_MIN;
  size_t len;
  unsigned char *data = read_file(path, &len, err);
  if (data == NULL) return SL_EIO;
  out->file_bytes = len;
  if (len < SL_SEGMENT_HEADER || memcmp(data, MAGIC, 8) != 0) {
    free(data);
    return sl_error_set(err, SL_EIO, "%s is not a shardlab segment (no valid header)", path);
  }
  out->first_counter = get_u64(data + 8);
  uint64_t off, expect;
  seek_start(path, out->first_counter, from_counter, &off, &expect);
  if (off > len || off < SL_SEGMENT_HEADER) off = SL_SEGMENT_HEADER, expect = out->first_counter;
  out->good_bytes = off;
  while (off < len) {
    const unsigned char *f = data + off;
    size_t left = len - off;
    if (left < SL_SEGMENT_FRAME_HEADER) {
      out->bad = out->bad_reaches_end = 1;
      snprintf(out->why, sizeof out->why, "a frame header cut short (%zu of 8 bytes)", left);
      break;
    }
    uint32_t payload = get_u32(f), crc = get_u32(f + 4);
    if (payload < SL_SEGMENT_RECORD_FIXED || payload > MAX_PAYLOAD) {
      out->bad = 1;
      out->bad_reaches_end = all_zero(f, left);
      snprintf(out->why, sizeof out->why, "an impossible record length %u", payload);
      break;
    }
    if (left - SL_SEGMENT_FRAME_HEADER < payload) {
      out->bad = 1;
      out->bad_reaches_end = !later_frame(data, len, off, expect + 1); /* a torn write leaves nothing whole after it */
      if (out->bad_reaches_end)
        snprintf(out->why, sizeof out->why, "a record cut short (%zu of %u bytes)", left - SL_SEGMENT_FRAME_HEADER,
                 payload);
      else
        snprintf(out->why, sizeof out->why, "a record length (%u) that runs over the records after it", payload);
      break;
    }
    const unsigned char *p = f + SL_SEGMENT_FRAME_HEADER;
    if (sl_crc32c(0, p, payload) != crc) {
      out->bad = 1;
      out->bad_reaches_end = left == SL_SEGMENT_FRAME_HEADER + payload ||
                             all_zero(p + payload, left - SL_SEGMENT_FRAME_HEADER - payload);
      snprintf(out->why, sizeof out->why, "a bad checksum");
      break;
    }
    sl_segment_record_t r;
    r.counter = get_u64(p);
    r.arrival_ms = (int64_t)get_u64(p + 8);
    r.hash_key = 0;
    for (int i = 0; i < 16; i++) r.hash_key = r.hash_key << 8 | p[16 + i];
    r.explicit_hash = p[32] & 1;
    r.key_len = get_u32(p + 33);
    r.data_len = get_u32(p + 37);
    if (SL_SEGMENT_RECORD_FIXED + r.key_len + r.data_len != payload || r.counter != expect) {
      out->bad = 1;
      if (r.counter != expect)
        snprintf(out->why, sizeof out->why, "record %llu where %llu was due", (unsigned long long)r.counter,
                 (unsigned long long)expect);
      else
        snprintf(out->why, sizeof out->why, "key and data lengths that disagree with the record length");
      break;
    }
    r.key = (const char *)p + SL_SEGMENT_RECORD_FIXED;
    r.data = p + SL_SEGMENT_RECORD_FIXED + r.key_len;
    out->records++;
    out->last_arrival_ms = r.arrival_ms;
    off += SL_SEGMENT_FRAME_HEADER + payload;
    out->good_bytes = off;
    expect++;
    if (r.counter >= from_counter && visit != NULL && visit(ctx, &r, off - SL_SEGMENT_FRAME_HEADER - payload)) break;
  }
  free(data);
  return SL_OK;
}

typedef struct index_builder_s {
  unsigned char *entries;
  size_t len, cap;
  uint64_t seen;
} index_builder_t;

static int add_entry(void *ctx, const sl_segment_record_t *r, uint64_t offset) {
  index_builder_t *b = ctx;
  if (b->seen++ % SL_SEGMENT_INDEX_EVERY != 0) return 0;
  if (b->len + 16 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 1024;
    unsigned char *grown = realloc(b->entries, cap);
    if (grown == NULL) return 1;
    b->entries = grown;
    b->cap = cap;
  }
  put_u64(b->entries + b->len, r->counter);
  put_u64(b->entries + b->len + 8, offset);
  b->len += 16;
  return 0;
}

int sl_segment_rebuild_index(const char *dir, uint64_t first_counter, sl_error_t *err) {
  char seg[4096], idx[4096];
  sl_segment_path(seg, sizeof seg, dir, first_counter, "seg");
  sl_segment_path(idx, sizeof idx, dir, first_counter, "idx");
  index_builder_t b = {0};
  sl_segment_scan_t scan;
  sl_io_unlink(idx); /* so the scan reads from the start */
  int rc = sl_segment_scan(seg, 0, add_entry, &b, &scan, err);
  if (rc == SL_OK && b.seen != scan.records) rc = sl_error_set(err, SL_ENOMEM, "out of memory indexing %s", seg);
  if (rc == SL_OK) {
    int fd = sl_io_open(idx, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) rc = write_failed(errno, "write", idx, err);
    if (fd >= 0) {
      size_t done;
      rc = write_all(fd, b.entries, b.len, &done, idx, err);
      sl_io_close(fd);
    }
  }
  free(b.entries);
  return rc;
}
