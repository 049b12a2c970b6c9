/* cmd_invoke.c - `shardlab invoke HANDLER.lua [--event EVENT.json]`: one invocation of a Lua handler with a
 * Kinesis event, as `aws lambda invoke` would do it. The response (or the function error) goes to stdout as
 * JSON; the START / print / END / REPORT log goes to stderr. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "shardlab/arn.h"
#include "shardlab/env.h"
#include "shardlab/event.h"
#include "shardlab/stream.h"

static const char invoke_usage[] =
    "usage: shardlab invoke HANDLER.lua [--event EVENT.json] [options]\n"
    "  --event FILE                  the Kinesis event as AWS documents it (default: a sample of 3 records)\n"
    "  --clock virtual|real          virtual (default): sl.sleep adds simulated time, output is reproducible;\n"
    "                                real: sl.sleep waits and durations are measured\n"
    "  --timeout SECONDS             invocation timeout (default 3)\n"
    "  --memory MB                   Lua heap limit (default 128)\n"
    "  --seed N                      seed of sl.random and request ids (default 1)\n"
    "  --report-batch-item-failures  read batchItemFailures from the response\n"
    "exit status: 0 the function succeeded, 1 it failed, 2 usage error\n";

/* 2024-01-01T00:00:00Z: where the virtual clock starts, so that output is the same on every run. */
#define VIRTUAL_START_US INT64_C(1704067200000000)

#define usage_error(...) sl_cli_usage_error("invoke", __VA_ARGS__)

static void log_to_stderr(void *data, const char *line, size_t len) {
  (void)data;
  fwrite(line, 1, len, stderr);
  fputc('\n', stderr);
}

/* Reads and checks the event file; returns its text (owned) or NULL after printing why. */
static char *load_event(const char *path) {
  json_error_t jerr;
  json_t *event = json_load_file(path, 0, &jerr);
  if (event == NULL) {
    if (jerr.line < 1)
      usage_error("%s: %s", path, jerr.text);
    else
      usage_error("%s:%d:%d: malformed JSON: %s", path, jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  json_t *records = json_object_get(event, "Records");
  char *text = NULL;
  if (!json_is_object(event))
    usage_error("%s: the event must be a JSON object with a \"Records\" list", path);
  else if (!json_is_array(records))
    usage_error("%s: the event has no \"Records\" list (a Kinesis event is {\"Records\": [...]})", path);
  else
    text = json_dumps(event, JSON_COMPACT);
  json_decref(event);
  return text;
}

static int parse_number(const char *text, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) return -1;
  *out = v;
  return 0;
}

/* One option with its value: SL_EXIT_OK, or SL_EXIT_USAGE after saying why. */
static int option_value(const char *a, const char *value, sl_env_config_t *config, const char **event_path) {
  double v;
  if (strcmp(a, "--event") == 0) {
    *event_path = value;
  } else if (strcmp(a, "--clock") == 0) {
    if (strcmp(value, "virtual") == 0)
      config->clock = SL_CLOCK_VIRTUAL;
    else if (strcmp(value, "real") == 0)
      config->clock = SL_CLOCK_REAL;
    else
      return usage_error("--clock '%s' must be virtual or real", value);
  } else if (strcmp(a, "--timeout") == 0) {
    if (parse_number(value, 0.001, 900, &v) != 0)
      return usage_error("--timeout '%s' must be a number of seconds from 0.001 to 900", value);
    config->timeout_s = v;
  } else if (strcmp(a, "--memory") == 0) {
    if (parse_number(value, 1, 10240, &v) != 0 || v != (double)(uint32_t)v)
      return usage_error("--memory '%s' must be a whole number of MB from 1 to 10240", value);
    config->memory_mb = (uint32_t)v;
  } else {
    if (parse_number(value, 0, 9007199254740992.0, &v) != 0 || v != (double)(uint64_t)v)
      return usage_error("--seed '%s' must be a whole number", value);
    config->seed = (uint64_t)v;
  }
  return SL_EXIT_OK;
}

/* The command line into config: -1 to go on, or the exit status (help, usage errors). */
static int parse_options(int argc, char **argv, sl_env_config_t *config, const char **event_path,
                         int *report_failures) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(invoke_usage, stdout);
      return SL_EXIT_OK;
    } else if (strcmp(a, "--report-batch-item-failures") == 0) {
      *report_failures = 1;
    } else if (strcmp(a, "--event") == 0 || strcmp(a, "--clock") == 0 || strcmp(a, "--timeout") == 0 ||
               strcmp(a, "--memory") == 0 || strcmp(a, "--seed") == 0) {
      if (value == NULL) return usage_error("%s needs a value", a);
      i++;
      if (option_value(a, value, config, event_path) != SL_EXIT_OK) return SL_EXIT_USAGE;
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'\n%s", a, invoke_usage);
    } else if (config->handler_path == NULL) {
      config->handler_path = a;
    } else {
      return usage_error("one handler file only: '%s' is extra", a);
    }
  }
  if (config->handler_path == NULL) return usage_error("a handler file is required\n%s", invoke_usage);
  FILE *f = fopen(config->handler_path, "r");
  if (f == NULL) return usage_error("cannot read handler %s: %s", config->handler_path, strerror(errno));
  fclose(f);
  return -1;
}

/* Runs the invocation and prints its response (or function error): the exit status. */
static int invoke_once(const sl_env_config_t *config, const sl_invocation_t *inv) {
  sl_env_t *env;
  sl_error_t err;
  if (sl_env_create(config, 0, &env, &err) != SL_OK) return usage_error("%s", err.message);
  sl_invoke_result_t res;
  int rc = sl_env_invoke(env, inv, &res, &err);
  int status;
  if (rc != SL_OK) {
    status = usage_error("%s", err.message);
  } else {
    const char *out = res.status == SL_INVOKE_FUNCTION_ERROR ? res.error_json : res.response_json;
    printf("%s\n", out ? out : "null");
    status = res.status == SL_INVOKE_FUNCTION_ERROR ? SL_EXIT_FAILED : SL_EXIT_OK;
  }
  sl_invoke_result_clear(&res);
  sl_env_destroy(env);
  return status;
}

int sl_cli_invoke(int argc, char **argv) {
  sl_env_config_t config;
  sl_env_config_init(&config);
  config.seed = 1;
  config.log = log_to_stderr;
  const char *event_path = NULL;
  int report_failures = 0;
  int status = parse_options(argc, argv, &config, &event_path, &report_failures);
  if (status >= 0) return status;
  char *event_json = NULL;
  if (event_path != NULL && (event_json = load_event(event_path)) == NULL) return SL_EXIT_USAGE;

  /* Without --event: three records on shard 0 of a sample stream, built the way the dispatcher builds them. */
  char stream_arn[256], role_arn[128];
  sl_arn_stream(stream_arn, sizeof stream_arn, config.region, config.account_id, "shardlab-stream");
  snprintf(role_arn, sizeof role_arn, "arn:aws:iam::%s:role/lambda-role", config.account_id);
  sl_event_source_t source = {"shardId-000000000000", config.region, stream_arn, role_arn};
  char seqs[3][SL_SEQNUM_DECIMAL_SIZE];
  sl_event_record_t records[3];
  static const char *const keys[] = {"device-1", "device-2", "device-1"};
  static const char *const data[] = {"{\"temperature\": 21.5}", "{\"temperature\": 19.0}", "{\"temperature\": 22.1}"};
  for (int i = 0; i < 3; i++) {
    sl_seqnum_t seq = {(uint64_t)(VIRTUAL_START_US / 1000000), 0, (uint64_t)i, (uint64_t)(VIRTUAL_START_US / 1000000)};
    sl_seqnum_format(&seq, seqs[i]);
    records[i] = (sl_event_record_t){keys[i], strlen(keys[i]), data[i], strlen(data[i]), seqs[i],
                                     VIRTUAL_START_US / 1000 - 1000 + i};
  }
  sl_invocation_t inv = {&source, records, 3, event_json, report_failures, VIRTUAL_START_US, NULL};
  status = invoke_once(&config, &inv);
  free(event_json);
  return status;
}
