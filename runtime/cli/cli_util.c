/* cli_util.c - what every subcommand shares: reporting a usage error the same way, and reading whole-number
 * option values. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int sl_cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "shardlab %s: ", command);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n", stderr);
  return SL_EXIT_USAGE;
}

int sl_cli_whole(const char *command, const char *option, const char *text, unsigned long long lo,
                 unsigned long long hi, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(text, &end, 10);
  if (errno || *end || end == text || text[0] == '-' || text[0] == '+' || n < lo || n > hi)
    return sl_cli_usage_error(command, "%s '%s' must be a whole number from %llu to %llu", option, text, lo, hi);
  *out = n;
  return SL_EXIT_OK;
}
