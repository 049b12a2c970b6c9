/* path.c - the folder of a file path. */
#include "path.h"

#include <stdio.h>
#include <string.h>

void sl_path_dir(char *path, size_t size) {
  char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(path, size, ".");
  else
    slash[slash == path] = '\0'; /* keep "/" for files at the root */
}
