/* grow.h - growing an array so an index fits, the new entries zeroed: per-second series and per-slot tables
 * grow as a run goes on (private to the runtime). */
#ifndef SHARDLAB_GROW_H
#define SHARDLAB_GROW_H

#include <stddef.h>

/* Returns items (of *cap entries of `size` bytes), reallocated when needed so that index `index` fits: the
 * capacity doubles from `first` entries and new entries are zeroed. NULL when out of memory, items then
 * unchanged and still owned by the caller. */
void *sl_grow_zeroed(void *items, size_t *cap, size_t index, size_t size, size_t first);

#endif
