/* checkpoint.h - a shard's checkpoint: the highest sequence position below which every record is done
 * (DESIGN 4: "the highest sequence number below which every record is done (contiguous prefix)"). Records of
 * one shard finish out of order across its slots; the checkpoint only moves over a contiguous run of done
 * counters. Core code. */
#ifndef SHARDLAB_CHECKPOINT_H
#define SHARDLAB_CHECKPOINT_H

#include <stdint.h>

#include "shardlab/error.h"

typedef struct sl_checkpoint_s {
  uint64_t next;     /* every counter below this is done: the checkpoint is next - 1 */
  uint64_t base;     /* counter of bit 0 of the ring's head word; base <= next < base + 64 */
  uint64_t *ring;    /* done flags, 64 counters a word, starting at word `head` with counter base */
  uint32_t words;    /* words allocated in ring (a power of two, or 0) */
  uint32_t head;     /* the ring's first word */
} sl_checkpoint_t;

/* Starts with every counter below first done (first: the shard's first counter to be processed). */
void sl_checkpoint_init(sl_checkpoint_t *cp, uint64_t first);
void sl_checkpoint_free(sl_checkpoint_t *cp);

/* Marks counter done (counters below the checkpoint and repeats are ignored). SL_ENOMEM when the window
 * cannot grow. */
int sl_checkpoint_done(sl_checkpoint_t *cp, uint64_t counter);

/* The first counter not yet done: records from here on are redelivered after a restart. */
static inline uint64_t sl_checkpoint_next(const sl_checkpoint_t *cp) { return cp->next; }

#endif
