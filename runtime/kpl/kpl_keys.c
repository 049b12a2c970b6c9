/* kpl_keys.c - the key tables of an aggregate under construction (each partition key and explicit hash key
 * stored once, records pointing at it by index, as the KPL's detail::KeySet in aws/kinesis/core/
 * kinesis_record.cc), and the protobuf size arithmetic the builder's running size needs. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "kpl/kpl_internal.h"

const unsigned char sl__kpl_magic[SL_KPL_MAGIC_SIZE] = {0xF3, 0x89, 0x9A, 0xC2};

size_t sl__kpl_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t sl__kpl_field_size(size_t len) { return 1 + sl__kpl_varint_size(len) + len; }

/* FNV-1a, 64-bit: keys are short and trusted not to be adversarial here (our own producers' keys). */
static uint64_t key_hash(const char *s, size_t len) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* The slot holding key s, or the empty slot where it would go. */
static size_t probe(const sl__kpl_keys_t *t, const char *s, size_t len) {
  size_t mask = t->slot_cap - 1;
  for (size_t i = (size_t)key_hash(s, len) & mask;; i = (i + 1) & mask) {
    size_t at = t->slots[i];
    if (at == 0 || (t->keys[at - 1].len == len && memcmp(t->keys[at - 1].s, s, len) == 0)) return i;
  }
}

int sl__kpl_keys_find(const sl__kpl_keys_t *t, const char *s, size_t len, size_t *index) {
  if (t->count == 0) return 0;
  size_t at = t->slots[probe(t, s, len)];
  if (at == 0) return 0;
  *index = at - 1;
  return 1;
}

/* Puts every key into the (emptied) index. */
static void fill_slots(sl__kpl_keys_t *t) {
  memset(t->slots, 0, t->slot_cap * sizeof *t->slots);
  for (size_t k = 0; k < t->count; k++) t->slots[probe(t, t->keys[k].s, t->keys[k].len)] = k + 1;
}

/* Rebuilds the index with slot_cap slots. */
static int reindex(sl__kpl_keys_t *t, size_t slot_cap) {
  size_t *slots = malloc(slot_cap * sizeof *slots);
  if (slots == NULL) return SL_ENOMEM;
  free(t->slots);
  t->slots = slots;
  t->slot_cap = slot_cap;
  fill_slots(t);
  return SL_OK;
}

static int reserve(sl__kpl_keys_t *t) {
  sl__kpl_key_t *keys = sl_grow_zeroed(t->keys, &t->cap, t->count, sizeof *keys, 8);
  if (keys == NULL) return SL_ENOMEM;
  t->keys = keys;
  if ((t->count + 1) * 2 > t->slot_cap) return reindex(t, t->slot_cap == 0 ? 16 : t->slot_cap * 2);
  return SL_OK;
}

int sl__kpl_keys_add(sl__kpl_keys_t *t, const char *s, size_t len) {
  if (reserve(t) != SL_OK) return SL_ENOMEM;
  char *copy = malloc(len + 1);
  if (copy == NULL) return SL_ENOMEM;
  memcpy(copy, s, len);
  copy[len] = '\0';
  t->keys[t->count] = (sl__kpl_key_t){copy, len};
  t->slots[probe(t, s, len)] = ++t->count;
  return SL_OK;
}

void sl__kpl_keys_pop(sl__kpl_keys_t *t) {
  if (t->count == 0) return;
  t->count--;
  free(t->keys[t->count].s);
  fill_slots(t); /* emptying one slot would cut other keys' probe chains: rebuild at the same size */
}

void sl__kpl_keys_clear(sl__kpl_keys_t *t) {
  for (size_t k = 0; k < t->count; k++) free(t->keys[k].s);
  t->count = 0;
  if (t->slots != NULL) memset(t->slots, 0, t->slot_cap * sizeof *t->slots);
}

void sl__kpl_keys_free(sl__kpl_keys_t *t) {
  sl__kpl_keys_clear(t);
  free(t->keys);
  free(t->slots);
  memset(t, 0, sizeof *t);
}
