/* grow.c - see grow.h. */
#include "grow.h"

#include <stdlib.h>
#include <string.h>


void *sl_grow_zeroed(void *items, size_t *cap, size_t index, size_t size, size_t first) {
  if (index < *cap) return items;
  size_t n = *cap ? *cap : first;
  while (n <= index) n *= 2;
  char *grown = realloc(items, n * size);
  if (grown == NULL) return NULL;
  memset(grown + *cap * size, 0, (n - *cap) * size);
  *cap = n;
  return grown;
}
