/* checkpoint.c - the contiguous-prefix checkpoint of a shard over out-of-order completions: a ring of done
 * bits starting at the checkpoint, grown when a completion lands far ahead of it. */
#include "shardlab/checkpoint.h"

#include <stdlib.h>
#include <string.h>

void sl_checkpoint_init(sl_checkpoint_t *cp, uint64_t first) {
  memset(cp, 0, sizeof *cp);
  cp->next = cp->base = first;
}

void sl_checkpoint_free(sl_checkpoint_t *cp) {
  free(cp->ring);
  cp->ring = NULL;
  cp->words = 0;
}

/* Grows the ring to hold at least `need` words, laying the words out from index 0 again. */
static int grow(sl_checkpoint_t *cp, uint64_t need) {
  uint32_t words = cp->words ? cp->words : 4;
  while (words < need) {
    if (words > UINT32_MAX / 2) return SL_ENOMEM;
    words *= 2;
  }
  uint64_t *ring = calloc(words, sizeof *ring);
  if (ring == NULL) return SL_ENOMEM;
  for (uint32_t i = 0; i < cp->words; i++) ring[i] = cp->ring[(cp->head + i) % cp->words];
  free(cp->ring);
  cp->ring = ring;
  cp->words = words;
  cp->head = 0;
  return SL_OK;
}

int sl_checkpoint_done(sl_checkpoint_t *cp, uint64_t counter) {
  if (counter < cp->next) return SL_OK;
  uint64_t offset = counter - cp->base, word = offset / 64;
  if (word >= cp->words && grow(cp, word + 1) != SL_OK) return SL_ENOMEM;
  cp->ring[(cp->head + word) % cp->words] |= UINT64_C(1) << (offset % 64);
  /* Advance over the contiguous run of done counters. */
  for (;;) {
    uint64_t *w = &cp->ring[cp->head];
    unsigned bit = (unsigned)(cp->next - cp->base);
    if (!(*w >> bit & 1)) break;
    if (~*w >> bit == 0) {
      /* Every counter from next to the end of this word is done: drop the word and go on. */
      *w = 0;
      cp->head = (cp->head + 1) % cp->words;
      cp->base += 64;
      cp->next = cp->base;
    } else {
      cp->next++;
    }
  }
  return SL_OK;
}
