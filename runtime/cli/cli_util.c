/* cli_util.c - what every subcommand shares: reporting a usage error the same way. */
#include <stdarg.h>
#include <stdio.h>

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
