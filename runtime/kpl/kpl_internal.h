/* kpl_internal.h - what the KPL aggregation files share (runtime/kpl/ only): the magic bytes, the size of a
 * protobuf varint, and the key table that stores each partition key and explicit hash key once. */
#ifndef SHARDLAB_KPL_INTERNAL_H
#define SHARDLAB_KPL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "shardlab/kpl.h"

/* 0xF3 0x89 0x9A 0xC2 (aggregation-format.md, "The magic number contains the 4 bytes"). */
extern const unsigned char sl__kpl_magic[SL_KPL_MAGIC_SIZE];

/* Bytes of v as a protobuf base-128 varint (1 to 10). */
size_t sl__kpl_varint_size(uint64_t v);

/* Bytes a length-delimited field of len bytes takes in a message: a one-byte tag (field numbers below 16),
 * the length as a varint, the bytes. */
size_t sl__kpl_field_size(size_t len);

/* One key of a table: a NUL-terminated copy (protobuf-c's strings are C strings) and its length. */
typedef struct sl__kpl_key_s {
  char *s;
  size_t len;
} sl__kpl_key_t;

/* Keys in the order first added, each once, with an open-addressing index over them (the KPL's KeySet). The
 * table owns its copies of the keys. */
typedef struct sl__kpl_keys_s {
  sl__kpl_key_t *keys;
  size_t count, cap;
  size_t *slots;    /* index + 1 of the key in each slot, 0 when the slot is empty */
  size_t slot_cap;  /* a power of two, at least twice count */
} sl__kpl_keys_t;

/* The index of key s[0..len) and 1, or 0 when the table does not hold it. */
int sl__kpl_keys_find(const sl__kpl_keys_t *t, const char *s, size_t len, size_t *index);
/* Adds s[0..len) at index count (the caller checked it is absent). SL_OK or SL_ENOMEM (table unchanged). */
int sl__kpl_keys_add(sl__kpl_keys_t *t, const char *s, size_t len);
/* Removes the last key added (undoing an add whose record could not be stored). */
void sl__kpl_keys_pop(sl__kpl_keys_t *t);
void sl__kpl_keys_clear(sl__kpl_keys_t *t); /* empty, memory kept */
void sl__kpl_keys_free(sl__kpl_keys_t *t);

#endif
