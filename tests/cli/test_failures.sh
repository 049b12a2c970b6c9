#!/usr/bin/env bash
# test_failures.sh - failure semantics end to end on examples/poison_pill.lua (run in a copy of examples/ so
# the destination files land in a temporary folder): the default stalls the poison record's shard; retries
# send the whole batch away after three invocations; bisection sends only the poison record; a partial batch
# response too; every destination record has the shape of AWS's documented on-failure record; an invalid
# partial batch response keeps the environment warm.
. "$(dirname "$0")/lib.sh"
expect_failure() { # FRAGMENT FILE: the run must exit 1 with a message containing FRAGMENT
  local out status
  out=$("$shardlab" run "$2" 2>&1); status=$?
  [ "$status" -eq 1 ] && [[ "$out" == *"$1"* ]] || fail "$(basename "$2"): status $status, $out"
}

cp -r "$src/examples" "$tmp/examples"
"$shardlab" run "$tmp/examples/poison_pill.lua" --json "$tmp/p.json" >/dev/null 2>"$tmp/err" ||
  fail "poison_pill exited $?: $(cat "$tmp/err")"
python3 - "$tmp/p.json" "$tmp/examples" "$src/tests/reference/on-failure-record.json" <<'PY' || fail "poison pill"
import json, sys
runs = {e["name"]: e["summary"] for e in json.load(open(sys.argv[1]))["experiments"]}
folder, reference = sys.argv[2], json.load(open(sys.argv[3]))

def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    return type(v).__name__

def lines(name):
    return [json.loads(l) for l in open(f"{folder}/poison-{name}.jsonl")]

d = runs["defaults"]
assert d["records_failed"] == 0 and d["records_delivered"] < d["records_put"], d   # stalled, not dropped
assert d["retries"] > 50 and d["max_iterator_age_ms"] > 100000, d

r = runs["retries 2"]
assert r["records_failed"] == 100 and r["records_delivered"] + 100 == r["records_put"], r
[rec] = lines("retries")
assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
assert rec["requestContext"]["approximateInvokeCount"] == 3          # MaximumRetryAttempts 2: three invocations
assert rec["KinesisBatchInfo"]["batchSize"] == 100

b = runs["bisect"]
assert b["records_failed"] == 1 and b["retries"] == 0, b            # splits are not retries
[rec] = lines("bisect")
info = rec["KinesisBatchInfo"]
assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
# Record 1000 at 1,000 records/s arrives at 0.999 s after the start (2024-01-01T00:00:00Z).
assert info["approximateArrivalOfFirstRecord"] == "2024-01-01T00:00:00.999Z", info

p = runs["partial"]
assert p["records_failed"] == 1 and p["errors"] == 0, p             # no function error, only the named record
[rec] = lines("partial")
assert rec["KinesisBatchInfo"]["batchSize"] == 1

for name in ("retries", "bisect", "partial"):
    for rec in lines(name):
        assert shape(rec) == shape(reference), (name, shape(rec), shape(reference))
        assert rec["KinesisBatchInfo"]["streamArn"].startswith("arn:aws:kinesis:")
        assert rec["requestContext"]["functionArn"].startswith("arn:aws:lambda:")
PY

# A stream of the experiment as the destination: it receives exactly the failure records.
"$shardlab" run "$src/tests/data/experiments/dead_letters.lua" --json "$tmp/dl.json" >/dev/null 2>&1 || fail "dead_letters exited $?"
python3 - "$tmp/dl.json" <<'PY' || fail "stream destination"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["records_failed"] == 1 and s["on_failure_stream"] == {"name": "dead-letters", "records_in": 1}, s
PY
expect_failure "mapping.on_failure needs exactly one of file, stream and s3" "$src/tests/data/experiments/bad_destination.lua"

# Tumbling windows: the final invocation of each 60 s window logs per-key counts carried in the state.
"$shardlab" run "$tmp/examples/tumbling_window.lua" >/dev/null 2>&1 || fail "tumbling_window exited $?"
python3 - "$tmp/examples/tumbling-window.log" <<'PY' || fail "tumbling window counts"
import json, re, sys
finals = [json.loads(m) for m in re.findall(r'INFO\t(\{"counts".*\})$', open(sys.argv[1]).read(), re.M)]
# 30 records/s, fixed arrivals: record i arrives at (i - 1) / 30 s and belongs to sensor-((i - 1) % 3 + 1).
want = {}
for i in range(1, 180 * 30 + 1):
    window = "2024-01-01T00:%02d:00Z" % (((i - 1) // 30) // 60)
    key = "sensor-%d" % ((i - 1) % 3 + 1)
    want.setdefault(window, {}).setdefault(key, 0)
    want[window][key] += 1
got = {f["window"]: f["counts"] for f in finals}
assert got == want, (got, want)
assert not any(f["early"] for f in finals)
PY

# Filters: exactly the records matching one of the patterns are delivered; the rest are counted as filtered.
"$shardlab" run "$src/tests/data/experiments/filters.lua" --json "$tmp/f.json" >/dev/null 2>&1 || fail "filters.lua exited $?"
python3 - "$tmp/f.json" <<'PY' || fail "filters"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
types = ["ping", "pong", "order"]
want = sum(1 for i in range(1, s["records_put"] + 1) if (types[i % 3] == "order" and i > 500) or i == 7)
assert s["records_put"] == 1000 and s["records_delivered"] == want and s["records_filtered"] == 1000 - want, (s, want)
PY
expect_failure "mapping.filters[1]: data.total: numeric expects operators" "$src/tests/data/experiments/bad_filter.lua"

# Out-of-range failure settings are refused with AWS's ranges named.
cat >"$tmp/bad_age.lua" <<'LUA'
local sl = require("shardlab")
sl.experiment { name = "age", duration = 1, mapping = { handler = "examples/handlers/poison.lua", maximum_record_age = 30 } }
LUA
expect_failure "mapping.maximum_record_age must be -1 (no limit) or between 60 and 604800" "$tmp/bad_age.lua"
cat >"$tmp/bad_retries.lua" <<'LUA'
local sl = require("shardlab")
sl.experiment { name = "r", duration = 1, mapping = { handler = "examples/handlers/poison.lua", maximum_retry_attempts = 10001 } }
LUA
expect_failure "mapping.maximum_retry_attempts 10001 is out of range" "$tmp/bad_retries.lua"

# An invalid batchItemFailures fails the batch, but the handler returned normally: its environment stays warm
# (AWS keeps it), so each slot has one cold start however many invocations fail.
"$shardlab" run "$src/tests/data/experiments/invalid_item.lua" --json "$tmp/i.json" >/dev/null 2>"$tmp/err" ||
  fail "invalid_item exited $?: $(cat "$tmp/err")"
python3 - "$tmp/i.json" <<'PY' || fail "invalid batchItemFailures"
import json, sys
[run] = json.load(open(sys.argv[1]))["experiments"]
s, slots = run["summary"], run["config"]["stream"]["shards"] * run["config"]["mapping"]["parallelization_factor"]
assert s["invocations"] > 10 * slots and s["errors"] == s["invocations"], s   # every invocation failed
assert s["cold_starts"] == slots, s                                          # none of them reset its environment
assert s["records_failed"] == s["records_put"] and s["records_delivered"] == 0, s
assert s["retries"] == 2 * (s["invocations"] // 3), s                        # maximum_retry_attempts 2
PY

# requestContext.requestId is the RequestId of the invocation that sent the batch away: each one is in the
# run's log as a START line, and another seed gives other ids.
mkdir -p "$tmp/tests/data/experiments"
cp "$src/tests/data/experiments/failure_ids.lua" "$tmp/tests/data/experiments/"
ids="$tmp/tests/data/experiments/failure-ids"
for seed in 1 2; do
  "$shardlab" run "$tmp/tests/data/experiments/failure_ids.lua" --seed "$seed" >/dev/null 2>"$tmp/err" || fail "failure_ids (seed $seed) exited $?: $(cat "$tmp/err")"
  cp "$ids.jsonl" "$tmp/ids-$seed.jsonl"
  cp "$ids.log" "$tmp/ids-$seed.log"
done
python3 - "$tmp/ids-1" "$tmp/ids-2" <<'PY' || fail "on-failure request ids"
import json, re, sys
found = []
for base in sys.argv[1:]:
    started = set(re.findall(r"^START RequestId: (\S+) Version", open(base + ".log").read(), re.M))
    records = [json.loads(l) for l in open(base + ".jsonl")]
    assert len(records) == 2 and all(r["KinesisBatchInfo"]["batchSize"] == 1 for r in records), records
    got = [r["requestContext"]["requestId"] for r in records]
    for rid, r in zip(got, records):
        assert r["requestContext"]["approximateInvokeCount"] == 2, r   # maximum_retry_attempts 1
        assert rid in started, (base, rid)
    assert len(set(got)) == 2, got
    found.append(set(got))
assert not (found[0] & found[1]), found                                # seeds 1 and 2: other ids
PY

finish
