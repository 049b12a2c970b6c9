#!/usr/bin/env bash
# test_invoke.sh - `shardlab invoke` end to end: fed AWS's documented sample event, the handler sees every field
# with AWS's values (checked by Python against the reference file, not against our output); the default sample
# event; function errors exit 1 with Lambda's error JSON and log; bad input exits 2 naming the problem; the
# virtual clock gives identical output run after run.
. "$(dirname "$0")/lib.sh"
handlers=$src/tests/data/handlers
reference=$src/tests/reference/kinesis-event.json

# AWS's sample event: every field as AWS wrote it.
"$shardlab" invoke "$handlers/echo_event.lua" --event "$reference" >"$tmp/out" 2>"$tmp/log" ||
  fail "invoke with the AWS sample event exited $?: $(cat "$tmp/log")"
python3 - "$tmp/out" "$reference" <<'PY' || fail "the handler did not see AWS's sample event as AWS wrote it"
import base64, json, sys
got = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2]))["Records"][0]
assert got["count"] == 1, got
for k in ["eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn", "awsRegion", "eventSourceARN"]:
    assert got[k] == ref[k], (k, got[k], ref[k])
for k in ["kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data", "approximateArrivalTimestamp"]:
    assert got[k] == ref["kinesis"][k], (k, got[k], ref["kinesis"][k])
assert got["decoded"] == base64.b64decode(ref["kinesis"]["data"]).decode(), got["decoded"]
c = got["context"]
assert c["function_name"] == "shardlab-handler" and c["function_version"] == "$LATEST", c
assert c["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:shardlab-handler", c
assert c["memory_limit_in_mb"] == 128 and c["log_group_name"] == "/aws/lambda/shardlab-handler", c
assert c["remaining"] == 3000, c
assert len(c["aws_request_id"]) == 36 and c["aws_request_id"][14] == "4", c
PY
grep -Eq '^START RequestId: [0-9a-f-]{36} Version: \$LATEST$' "$tmp/log" || fail "no START line: $(cat "$tmp/log")"
grep -Eq '^END RequestId: [0-9a-f-]{36}$' "$tmp/log" || fail "no END line"
grep -Eq $'^REPORT RequestId: [0-9a-f-]{36}\tDuration: [0-9.]+ ms\tBilled Duration: [0-9]+ ms\tMemory Size: 128 MB\tMax Memory Used: [0-9]+ MB\tInit Duration: [0-9.]+ ms$' "$tmp/log" ||
  fail "no REPORT line: $(cat "$tmp/log")"

# Without --event: a sample of three records built like the dispatcher builds them.
out=$("$shardlab" invoke "$handlers/echo_event.lua" 2>/dev/null) || fail "invoke without --event exited $?"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["count"]==3 and d["eventID"].startswith("shardId-000000000000:"), d' "$out" ||
  fail "sample event: $out"

# The virtual clock is reproducible: the same output and log, byte for byte.
"$shardlab" invoke "$handlers/counter.lua" --event "$reference" >"$tmp/a" 2>"$tmp/a.log"
"$shardlab" invoke "$handlers/counter.lua" --event "$reference" >"$tmp/b" 2>"$tmp/b.log"
cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a.log" "$tmp/b.log" || fail "two virtual runs differ"

# A function error: exit 1, Lambda's error JSON on stdout, an ERROR line in the log.
printf '{"Records":[{"kinesis":{"partitionKey":"boom","sequenceNumber":"1","data":"eA=="}}]}' >"$tmp/boom.json"
"$shardlab" invoke "$handlers/counter.lua" --event "$tmp/boom.json" >"$tmp/out" 2>"$tmp/log"; status=$?
[ "$status" -eq 1 ] || fail "function error exited $status, want 1"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["errorType"]=="LuaError" and e["errorMessage"].endswith("counter.lua:12: x") and e["stackTrace"], e' "$tmp/out" ||
  fail "error JSON: $(cat "$tmp/out")"
grep -q $'\tERROR\t' "$tmp/log" || fail "no ERROR log line"
"$shardlab" invoke "$handlers/syntax_error.lua" >"$tmp/out" 2>/dev/null; status=$?
[ "$status" -eq 1 ] && grep -q 'syntax_error.lua:3:' "$tmp/out" || fail "syntax error: status $status, $(cat "$tmp/out")"

# Bad input: exit 2 and a message naming the problem.
expect_usage() { # FRAGMENT ARGS...
  local fragment=$1; shift
  local out status
  out=$("$shardlab" invoke "$@" 2>&1 >/dev/null </dev/null); status=$?
  [ "$status" -eq 2 ] || fail "invoke $* exited $status, want 2 ($out)"
  [[ "$out" == *"$fragment"* ]] || fail "invoke $*: message lacks '$fragment': $out"
}
printf '{"Records": [\n  {"kinesis": }\n]}' >"$tmp/malformed.json"
printf '{"records": []}' >"$tmp/norecords.json"
expect_usage "cannot read handler $tmp/none.lua" "$tmp/none.lua"
expect_usage "malformed.json:2:" "$handlers/counter.lua" --event "$tmp/malformed.json"
expect_usage 'has no "Records" list' "$handlers/counter.lua" --event "$tmp/norecords.json"
expect_usage "unable to open" "$handlers/counter.lua" --event "$tmp/absent.json"
expect_usage "unknown option '--evnt'" "$handlers/counter.lua" --evnt x
expect_usage "--clock 'fast' must be virtual or real" "$handlers/counter.lua" --clock fast
expect_usage "--timeout '0' must be a number" "$handlers/counter.lua" --timeout 0
expect_usage "a handler file is required"

finish
