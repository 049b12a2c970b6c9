/* main.c - the shardlab executable: global flags and dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: shardlab <command> [options]\n"
    "\n"
    "shardlab models Amazon Kinesis Data Streams and the Lambda event source mapping on one machine.\n"
    "\n"
    "commands (shardlab <command> --help describes each option):\n"
    "  run FILE.lua [--clock virtual|real] [--workers N] [--seed N] [--json OUT] [--report OUT.html] [--csv DIR]\n"
    "        run the experiments a Lua file declares (sl.experiment{...}) and print their summaries side by side\n"
    "  route (--shards N | --stream FILE.lua) [--pf P] [--json] [--] [KEY ...]\n"
    "        show the hash key and shard of each partition key (keys from stdin, one per line, when none given);\n"
    "        with --pf, each key's lane and the concurrency the keys allow\n"
    "  invoke HANDLER.lua [--event EVENT.json] [--clock virtual|real] [--timeout SECONDS] [--memory MB]\n"
    "                     [--seed N] [--report-batch-item-failures]\n"
    "        run a Lua handler once with a Kinesis event; response on stdout, Lambda's log on stderr\n"
    "  serve [--host 127.0.0.1] [--port 4567] [--max-body BYTES] [--iterator-ttl MS] [--no-write-limits]\n"
    "        [--no-read-limits] [--data DIR [--fsync always|interval|never]] [--mapping FILE.lua [--workers N]]\n"
    "        [--auth FILE] [--request-timeout SECONDS] [--max-connections N]\n"
    "        serve the Kinesis Data Streams API over HTTP, for the AWS CLI and SDKs, until SIGINT or SIGTERM;\n"
    "        with --mapping, Lua handlers consume the served streams; with --auth, only requests signed (SigV4)\n"
    "        by a key of FILE (AWS shared-credentials format)\n"
    "  capture --endpoint URL --stream NAME --out FILE.jsonl [--from TRIM_HORIZON|LATEST|AT_TIMESTAMP]\n"
    "          [--timestamp T] [--duration S]\n"
    "        read every shard of a stream from an endpoint without signatures (shardlab serve, kinesalite) into\n"
    "        JSONL records as get-records gives them, in arrival order, for sl.replay{...}\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (also: shardlab help)\n"
    "  --version      show the version\n"
    "\n"
    "exit status: 0 success, 1 failure, 2 usage error\n";

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return SL_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return SL_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("shardlab %s\n", SHARDLAB_VERSION);
    return SL_EXIT_OK;
  }
  if (strcmp(cmd, "route") == 0) return sl_cli_route(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return sl_cli_run(argc - 2, argv + 2);
  if (strcmp(cmd, "invoke") == 0) return sl_cli_invoke(argc - 2, argv + 2);
  if (strcmp(cmd, "serve") == 0) return sl_cli_serve(argc - 2, argv + 2);
  if (strcmp(cmd, "capture") == 0) return sl_cli_capture(argc - 2, argv + 2);
  fprintf(stderr, "shardlab: unknown command '%s' (see shardlab --help)\n", cmd);
  return SL_EXIT_USAGE;
}
