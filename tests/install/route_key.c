/* route_key.c - a program that links an installed libshardlab the way a user would, through
 * `pkg-config --cflags --libs --static shardlab` and the umbrella header alone; tests/install/check_install.sh
 * builds it against the installed prefix and compares what it prints with Python's hashlib.
 *
 * Usage: route_key SHARDS KEY...   For each key prints "KEY<TAB>HASH_KEY<TAB>SHARD_INDEX<TAB>SHARD_ID": the
 * decimal MD5 hash key and the shard a new stream of SHARDS evenly split shards sends the key to (the shard is
 * found by sl_stream_route, and the program checks that sl_stream_put puts the record there too). */
#include <shardlab/shardlab.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: route_key SHARDS KEY...\n");
    return 2;
  }
  char *end;
  unsigned long shards = strtoul(argv[1], &end, 10);
  if (*end != '\0' || shards < 1 || shards > SL_STREAM_MAX_SHARDS) {
    fprintf(stderr, "route_key: SHARDS must be a whole number from 1 to %u, not '%s'\n", SL_STREAM_MAX_SHARDS,
            argv[1]);
    return 2;
  }

  sl_stream_config_t config;
  sl_stream_config_init(&config);
  config.name = "route-key";
  config.shard_count = (uint32_t)shards;
  sl_stream_t *stream;
  sl_error_t err;
  if (sl_stream_create(&config, &stream, &err) != SL_OK) {
    fprintf(stderr, "route_key: %s\n", err.message);
    return 1;
  }

  int status = 0;
  for (int i = 2; i < argc && status == 0; i++) {
    const char *key = argv[i];
    sl_hashkey_t hash = sl_hashkey_of(key, strlen(key));
    char decimal[SL_HASHKEY_DECIMAL_SIZE];
    sl_hashkey_format(hash, decimal);
    const sl_shard_t *shard = sl_stream_route(stream, hash);
    sl_put_result_t put;
    if (sl_stream_put(stream, 0, key, strlen(key), NULL, "x", 1, &put, &err) != SL_OK) {
      fprintf(stderr, "route_key: put of '%s': %s (%s)\n", key, err.message, sl_strerror(err.code));
      status = 1;
    } else if (put.shard_index != shard->index) {
      fprintf(stderr, "route_key: '%s' routed to shard %u but put into shard %u\n", key, shard->index,
              put.shard_index);
      status = 1;
    } else {
      printf("%s\t%s\t%u\t%s\n", key, decimal, shard->index, shard->id);
    }
  }
  sl_stream_destroy(stream);
  return status;
}
