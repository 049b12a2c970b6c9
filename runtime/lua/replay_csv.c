/* replay_csv.c - a capture as CSV (replay.h): the header `timestamp,partition_key,bytes`, then one record a
 * line: its arrival time (epoch seconds or ISO-8601), its partition key (in double quotes when it holds a comma
 * or a quote, a quote doubled inside, as RFC 4180 has it) and its size; the data is that many filler bytes
 * ('x'), for traffic recorded without its payloads. */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/replay.h"
#include "shardlab/clock.h"
#include "shardlab/stream.h"

enum { FIELDS = 3, MAX_BYTES = 10 * 1024 * 1024 }; /* the largest record Kinesis takes: 10 MiB */

/* Splits line (its end of line removed) into exactly FIELDS fields, unquoting in place. -1 when the count is
 * wrong or a quote is not closed. */
static int split(char *line, char *fields[FIELDS]) {
  int n = 0;
  char *p = line;
  for (;;) {
    if (n == FIELDS) return -1;
    char *out = p;
    fields[n++] = p;
    if (*p == '"') { /* quoted: up to the lone closing quote */
      char *in = p + 1;
      for (;; in++) {
        if (*in == '\0') return -1;
        if (*in == '"' && in[1] == '"') *out++ = *in++;
        else if (*in == '"') break;
        else *out++ = *in;
      }
      p = in + 1;
      if (*p != ',' && *p != '\0') return -1;
    } else {
      while (*p != ',' && *p != '\0') *out++ = *p++;
    }
    char sep = *p;
    *out = '\0';
    if (sep == '\0') return n == FIELDS ? 0 : -1;
    p++;
  }
}

static void chomp(char *line) {
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
}

/* One data line. */
static int add_line(sl_replay_t *rp, char *line, uint32_t lineno, sl_error_t *err) {
  char *f[FIELDS];
  if (split(line, f) != 0)
    return sl_error_set(err, SL_EINVAL, "%s line %u: needs 3 fields, timestamp,partition_key,bytes (a key with a "
                        "comma goes in double quotes)", rp->file, lineno);
  int64_t us;
  if (sl_clock_parse_time(f[0], &us) != 0)
    return sl_error_set(err, SL_EINVAL, "%s line %u: timestamp \"%s\" must be epoch seconds (1714564800.123) or "
                        "ISO-8601 (2024-05-01T12:00:00.123Z)", rp->file, lineno, f[0]);
  sl_error_t why;
  if (sl_partition_key_check(f[1], strlen(f[1]), &why) != SL_OK)
    return sl_error_set(err, SL_EINVAL, "%s line %u: partition_key: %s", rp->file, lineno, why.message);
  char *end;
  unsigned long long bytes = strtoull(f[2], &end, 10);
  if (f[2][0] < '0' || f[2][0] > '9' || *end != '\0' || bytes > MAX_BYTES)
    return sl_error_set(err, SL_EINVAL, "%s line %u: bytes \"%s\" must be a whole number from 0 to %d (10 MiB, the "
                        "largest record)", rp->file, lineno, f[2], MAX_BYTES);
  if (sl_replay_add(rp, f[1], strlen(f[1]), NULL, (size_t)bytes, NULL, us, lineno) != SL_OK)
    return sl_error_set(err, SL_ENOMEM, "out of memory");
  return SL_OK;
}

int sl_replay_load_csv(sl_replay_t *rp, sl_error_t *err) {
  FILE *f = fopen(rp->path, "r");
  if (f == NULL) return sl_error_set(err, SL_EINVAL, "%s cannot be opened: %s", rp->file, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  int rc = SL_OK;
  uint32_t lineno;
  if (getline(&line, &cap, f) >= 0) {
    chomp(line);
    if (strcmp(line, "timestamp,partition_key,bytes") != 0)
      rc = sl_error_set(err, SL_EINVAL, "%s line 1: the header must be timestamp,partition_key,bytes, not \"%.80s\"",
                        rp->file, line);
  }
  for (lineno = 2; rc == SL_OK && getline(&line, &cap, f) >= 0; lineno++) {
    chomp(line);
    if (line[0] != '\0') rc = add_line(rp, line, lineno, err);
  }
  free(line);
  fclose(f);
  return rc;
}
