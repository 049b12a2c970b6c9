/* cli.h - the subcommands of the shardlab executable. Each takes the arguments after its own name and returns
 * the process exit status (DESIGN 10: 0 success, 1 the script failed, 2 usage error). */
#ifndef SHARDLAB_CLI_H
#define SHARDLAB_CLI_H

enum { SL_EXIT_OK = 0, SL_EXIT_FAILED = 1, SL_EXIT_USAGE = 2 };

/* Prints "shardlab COMMAND: <message>" to stderr and returns SL_EXIT_USAGE. */
int sl_cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads an option's value as a whole number within [lo, hi]; SL_EXIT_OK, or SL_EXIT_USAGE after saying why. */
int sl_cli_whole(const char *command, const char *option, const char *text, unsigned long long lo,
                 unsigned long long hi, unsigned long long *out);

int sl_cli_route(int argc, char **argv);
int sl_cli_invoke(int argc, char **argv);
int sl_cli_run(int argc, char **argv);
int sl_cli_serve(int argc, char **argv);
int sl_cli_capture(int argc, char **argv);

#endif
