/* segment.h - one segment file of a shard's records, and its index (docs/storage.md has the format).
 *
 * A segment starts with a 16-byte header (magic "SLSEG001", the first record's counter) and holds frames:
 * payload length (u32), CRC-32C of the payload (u32), payload (counter, arrival ms, hash key, flags, key and
 * data lengths, key, data), little-endian. Its index (same name, .idx) lists (counter, offset) for every
 * SL_SEGMENT_INDEX_EVERY-th record, so a read can seek close to any sequence number. Private to storage. */
#ifndef SHARDLAB_SEGMENT_H
#define SHARDLAB_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"
#include "shardlab/hashkey.h"

#define SL_SEGMENT_HEADER 16u
#define SL_SEGMENT_FRAME_HEADER 8u
#define SL_SEGMENT_RECORD_FIXED 41u /* counter 8, arrival 8, hash key 16, flags 1, key length 4, data length 4 */
#define SL_SEGMENT_INDEX_EVERY 64u

typedef struct sl_segment_record_s {
  uint64_t counter;
  int64_t arrival_ms;
  sl_hashkey_t hash_key;
  int explicit_hash;
  const char *key;
  size_t key_len;
  const void *data;
  size_t data_len;
} sl_segment_record_t;

/* The segment a shard appends to. Frames collect in a buffer that goes to the file when full, or on flush. */
typedef struct sl_segment_writer_s {
  int fd, idx_fd;            /* -1 when closed */
  char path[4096];
  uint64_t first_counter;
  uint64_t records;          /* frames in the file, buffered ones included */
  uint64_t size;             /* bytes in the file, buffered ones included */
  int64_t last_arrival_ms;   /* of its newest record (for retention) */
  unsigned char *buf;        /* frames not yet written */
  size_t buf_len, buf_cap;
  unsigned char idx_buf[16 * 64]; /* index entries not yet written */
  size_t idx_len;
  int unsynced;              /* written since the last fsync */
} sl_segment_writer_t;

/* The file names of the segment of shard folder dir that starts at counter. */
void sl_segment_path(char *out, size_t size, const char *dir, uint64_t first_counter, const char *ext);

/* Creates a new segment (header written) or opens an existing one to append after its first size bytes,
 * which hold records frames. */
int sl_segment_create(sl_segment_writer_t *w, const char *dir, uint64_t first_counter, sl_error_t *err);
int sl_segment_reopen(sl_segment_writer_t *w, const char *dir, uint64_t first_counter, uint64_t size,
                      uint64_t records, int64_t last_arrival_ms, sl_error_t *err);
int sl_segment_append(sl_segment_writer_t *w, const sl_segment_record_t *r, sl_error_t *err);
/* Writes the buffered frames (and index entries) to the file. */
int sl_segment_flush(sl_segment_writer_t *w, sl_error_t *err);
/* Flushes, then fdatasyncs the segment when anything was written since the last sync. */
int sl_segment_sync(sl_segment_writer_t *w, sl_error_t *err);
void sl_segment_close(sl_segment_writer_t *w);

/* What a scan found. A bad frame (short, too long, bad checksum, or a counter out of sequence) stops it. */
typedef struct sl_segment_scan_s {
  uint64_t first_counter;    /* from the header */
  uint64_t records;          /* good frames */
  uint64_t good_bytes;       /* where the good frames end */
  uint64_t file_bytes;
  int64_t last_arrival_ms;   /* of the last good record (INT64_MIN: none) */
  int bad;                   /* a bad frame at good_bytes */
  int bad_reaches_end;       /* it claims to run to (or past) the end of the file: a torn write */
  char why[96];              /* what was wrong with it */
} sl_segment_scan_t;

/* Called for each good record from from_counter on; nonzero stops the scan. */
typedef int (*sl_segment_visit_fn)(void *ctx, const sl_segment_record_t *r, uint64_t offset);

/* Reads the segment file at path (seeking with its index to from_counter when it has one) and visits its
 * records. SL_OK with *out filled, bad frames included; SL_EIO when the file cannot be read or has no valid
 * header. */
int sl_segment_scan(const char *path, uint64_t from_counter, sl_segment_visit_fn visit, void *ctx,
                    sl_segment_scan_t *out, sl_error_t *err);

/* Rewrites the index of a segment from a scan of it (recovery: the index is derived data). */
int sl_segment_rebuild_index(const char *dir, uint64_t first_counter, sl_error_t *err);

#endif
