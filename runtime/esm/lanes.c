/* lanes.c - slot assignment inside a shard for both ordering models (lanes.h). The keys model keeps a map
 * from key hash to (slot, records pending), open addressing with linear probing and backward-shift deletion,
 * so a key's entry disappears as soon as it has nothing pending. */
#include "shardlab/lanes.h"

#include <stdlib.h>
#include <string.h>

typedef struct key_entry_s {
  sl_hashkey_t hash;  /* MD5 of the partition key */
  uint64_t pending;   /* its records pending; 0 marks an empty entry */
  uint32_t slot;      /* where they are */
} key_entry_t;

struct sl_lanes_s {
  uint32_t pf;                     /* parallelization factor: the number of slots */
  sl_ordering_t ordering;          /* lanes or keys */
  uint64_t pending[SL_PF_MAX];     /* records pending per slot */
  key_entry_t *keys;               /* keys model: the map (capacity a power of two) */
  size_t key_cap;                  /* entries allocated in keys */
  size_t key_count;                /* entries in use */
};

int sl_ordering_parse(const char *text, sl_ordering_t *out, sl_error_t *err) {
  if (text != NULL && strcmp(text, "lanes") == 0) {
    *out = SL_ORDERING_LANES;
    return SL_OK;
  }
  if (text != NULL && strcmp(text, "keys") == 0) {
    *out = SL_ORDERING_KEYS;
    return SL_OK;
  }
  return sl_error_set(err, SL_EINVAL, "ordering '%s' must be \"lanes\" or \"keys\"", text ? text : "(null)");
}

int sl_lanes_create(uint32_t pf, sl_ordering_t ordering, sl_lanes_t **out, sl_error_t *err) {
  *out = NULL;
  if (pf < 1 || pf > SL_PF_MAX)
    return sl_error_set(err, SL_EINVAL, "parallelization_factor %u is out of range: it must be between 1 and %u",
                        pf, SL_PF_MAX);
  sl_lanes_t *l = calloc(1, sizeof *l);
  if (l == NULL) return sl_error_set(err, SL_ENOMEM, "out of memory");
  l->pf = pf;
  l->ordering = ordering;
  *out = l;
  return SL_OK;
}

void sl_lanes_destroy(sl_lanes_t *l) {
  if (l == NULL) return;
  free(l->keys);
  free(l);
}

sl_hashkey_t sl_record_key_hash(const sl_record_t *r) {
  return r->explicit_hash ? sl_hashkey_of(SL_RECORD_KEY(r), r->key_len) : r->hash_key;
}

static size_t slot_of(const sl_lanes_t *l, sl_hashkey_t hash) { return (size_t)(hash ^ (hash >> 64)) & (l->key_cap - 1); }

/* The entry of hash, or the empty entry where it would go. */
static key_entry_t *find(sl_lanes_t *l, sl_hashkey_t hash) {
  for (size_t i = slot_of(l, hash);; i = (i + 1) & (l->key_cap - 1))
    if (l->keys[i].pending == 0 || l->keys[i].hash == hash) return &l->keys[i];
}

static int reserve(sl_lanes_t *l) {
  if (l->key_cap != 0 && (l->key_count + 1) * 2 <= l->key_cap) return SL_OK;
  size_t cap = l->key_cap ? l->key_cap * 2 : 64;
  key_entry_t *old = l->keys;
  size_t old_cap = l->key_cap;
  l->keys = calloc(cap, sizeof *l->keys);
  if (l->keys == NULL) {
    l->keys = old;
    return SL_ENOMEM;
  }
  l->key_cap = cap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].pending != 0) *find(l, old[i].hash) = old[i];
  free(old);
  return SL_OK;
}

static uint32_t least_pending(const sl_lanes_t *l) {
  uint32_t best = 0;
  for (uint32_t s = 1; s < l->pf; s++)
    if (l->pending[s] < l->pending[best]) best = s;
  return best;
}

int sl_lanes_assign(sl_lanes_t *l, sl_hashkey_t key_hash) {
  uint32_t slot;
  if (l->ordering == SL_ORDERING_LANES) {
    slot = (uint32_t)(key_hash % l->pf);
  } else {
    if (reserve(l) != SL_OK) return SL_ENOMEM;
    key_entry_t *e = find(l, key_hash);
    if (e->pending == 0) { /* a key with nothing pending: to the least loaded slot */
      e->hash = key_hash;
      e->slot = least_pending(l);
      l->key_count++;
    }
    e->pending++;
    slot = e->slot;
  }
  l->pending[slot]++;
  return (int)slot;
}

/* Removes the entry at index i, shifting later entries of the same probe run back over the hole. */
static void remove_at(sl_lanes_t *l, size_t i) {
  size_t mask = l->key_cap - 1;
  for (size_t j = (i + 1) & mask; l->keys[j].pending != 0; j = (j + 1) & mask) {
    size_t home = slot_of(l, l->keys[j].hash);
    /* Entry j may move to the hole i when its home is not in the cyclic interval (i, j]. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      l->keys[i] = l->keys[j];
      i = j;
    }
  }
  l->keys[i].pending = 0;
  l->key_count--;
}

void sl_lanes_release(sl_lanes_t *l, sl_hashkey_t key_hash, uint32_t slot) {
  if (slot < l->pf && l->pending[slot] > 0) l->pending[slot]--;
  if (l->ordering != SL_ORDERING_KEYS || l->key_cap == 0) return;
  key_entry_t *e = find(l, key_hash);
  if (e->pending == 0) return; /* not assigned: nothing to release */
  if (--e->pending == 0) remove_at(l, (size_t)(e - l->keys));
}

uint64_t sl_lanes_pending(const sl_lanes_t *l, uint32_t slot) { return slot < l->pf ? l->pending[slot] : 0; }
size_t sl_lanes_active_keys(const sl_lanes_t *l) { return l->key_count; }
