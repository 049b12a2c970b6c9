/* seqnum.h - Kinesis sequence numbers in the shape AWS returns them.
 *
 * A real sequence number is a 56-digit decimal whose hexadecimal form is, field by field (kinesalite's
 * reconstruction, checked against AWS's published numbers in tests/unit/test_seqnum.c):
 *   "2" | 9 hex: shard creation seconds | 1 hex: low nibble of the shard index | 16 hex: counter |
 *   "00" | 9 hex: arrival seconds | 8 hex: shard index | "2"
 * Within one shard the creation time and index are fixed and the counter grows by one per record, so numbers
 * are unique and strictly increasing at any rate, whatever the clock says. */
#ifndef SHARDLAB_SEQNUM_H
#define SHARDLAB_SEQNUM_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/error.h"

/* Enough for the 57-digit maximum of the layout, plus NUL. */
#define SL_SEQNUM_DECIMAL_SIZE 64

typedef struct sl_seqnum_s {
  uint64_t shard_created_s; /* seconds since the epoch when the shard was created (36 bits used) */
  uint32_t shard_index;     /* the number in shardId-NNNNNNNNNNNN */
  uint64_t counter;         /* position of the record within its shard */
  uint64_t arrival_s;       /* seconds since the epoch when the record arrived (36 bits used) */
} sl_seqnum_t;

/* Writes the decimal form into buf (SL_SEQNUM_DECIMAL_SIZE bytes); returns its length. */
size_t sl_seqnum_format(const sl_seqnum_t *s, char *buf);

/* Parses a decimal sequence number in this layout. Returns SL_OK, or SL_EINVAL with a message naming field. */
int sl_seqnum_parse(const char *text, size_t len, const char *field, sl_seqnum_t *out, sl_error_t *err);

/* Orders two decimal sequence numbers as integers (length, then digits); <0, 0, >0 like strcmp. */
int sl_seqnum_compare_text(const char *a, const char *b);

#endif
