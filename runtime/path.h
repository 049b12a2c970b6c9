/* path.h - the folder of a file path, for the places that resolve names beside a file (experiment files,
 * handlers, atomic replacement). Private to the runtime. */
#ifndef SHARDLAB_PATH_H
#define SHARDLAB_PATH_H

#include <stddef.h>

/* Cuts path (a buffer of size bytes) down to its folder: "a/b.lua" -> "a", "b.lua" -> ".", "/b" -> "/". */
void sl_path_dir(char *path, size_t size);

#endif
