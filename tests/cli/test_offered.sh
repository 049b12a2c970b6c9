#!/usr/bin/env bash
# test_offered.sh - load that was never sent (tests/data/offered/): a producer at 3,000 records/s, fixed
# arrivals, for 10 s into one shard with write limits is offered exactly rate x duration records, of which
# records_put + records_not_sent make up all, most never sent, and the diagnosis says so; Poisson arrivals add
# up the same way; an unthrottled run sends everything; a rate no run can reach (1e9/s) is warned about at load
# and still runs; a handler that loops until its timeout is counted in the summary's timeouts and warned about
# once per slot, with its file:line.
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/offered/." "$tmp/"
cd "$tmp" || exit 1
run() { # NAME JSON [ENV...]: runs the named experiment of experiments.lua on the virtual clock
  local name=$1 json=$2
  shift 2
  env SHARDLAB_OFFERED_ONLY="$name" "$@" "$shardlab" run experiments.lua --json "$json" >"$tmp/out" 2>"$tmp/err" ||
    fail "$name exited $?: $(cat "$tmp/err")"
}

rate=3000 duration=10
run throttled throttled.json SHARDLAB_OFFERED_RATE=$rate SHARDLAB_OFFERED_DURATION=$duration
python3 - throttled.json "$rate" "$duration" <<'PY' || fail "throttled, fixed arrivals"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
offered = int(float(sys.argv[2]) * float(sys.argv[3]))
assert s["records_offered"] == offered == 30000, s
assert s["records_put"] + s["records_not_sent"] == s["records_offered"], s
assert s["records_not_sent"] > 0 and s["records_throttled"] > 0, s
print(f"throttled: {s['records_not_sent']} of {s['records_offered']} offered never sent, {s['records_put']} put")
PY
grep -q "^records offered  *30000$" "$tmp/out" || fail "no 'records offered' row: $(head -5 "$tmp/out")"
grep -q "^records not sent  *[1-9][0-9]*$" "$tmp/out" || fail "no 'records not sent' row: $(head -5 "$tmp/out")"
grep -q "of 30000 records offered were never sent ([0-9.]*%): the producer waited on refused puts" "$tmp/out" ||
  fail "the diagnosis does not state the load never sent: $(grep -i throttl "$tmp/out")"

run "throttled poisson" poisson.json
python3 - poisson.json <<'PY' || fail "throttled, Poisson arrivals"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["records_put"] + s["records_not_sent"] == s["records_offered"], s
assert s["records_not_sent"] > 0 and 28000 < s["records_offered"] < 32000, s
PY

run unthrottled unthrottled.json
python3 - unthrottled.json <<'PY' || fail "unthrottled"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["records_throttled"] == 0 and s["records_not_sent"] == 0, s
assert s["records_offered"] == s["records_put"] > 0, s
PY

# A rate no run reaches: a warning naming the producer and the rate, and the run goes on (the shard refuses
# nearly all of it, so the producer waits and records_not_sent counts the rest).
run throttled huge.json SHARDLAB_OFFERED_RATE=1e9 SHARDLAB_OFFERED_DURATION=1
grep -q "warning: experiment 'throttled': producers\[1\].rate 1e+09 records/s is more than a run can reach" "$tmp/err" ||
  fail "no warning for rate = 1e9: $(cat "$tmp/err")"
python3 - huge.json <<'PY' || fail "rate = 1e9"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["records_put"] + s["records_not_sent"] == s["records_offered"] and s["records_offered"] > 10**8, s
PY
run unthrottled quiet.json
grep -q "warning" "$tmp/err" && fail "a warning for a reachable rate: $(cat "$tmp/err")"

# A handler that loops until its 0.05 s timeout, 5 retries: 2 records on 2 slots, 6 invocations each.
run looping looping.json
[ "$(grep -c "timed out 3 times in a row" "$tmp/err")" -eq 2 ] || fail "not one warning per slot: $(cat "$tmp/err")"
for lane in 0 1; do
  grep -q "warning: experiment 'looping': shardId-000000000000 lane $lane timed out 3 times in a row (timeout 0.05 s), stopped at [./]*loop.lua:4 each time" "$tmp/err" ||
    fail "no timeout warning for lane $lane with loop.lua:4: $(cat "$tmp/err")"
done
python3 - looping.json <<'PY' || fail "timeouts counted"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["timeouts"] == 12 and s["retries"] == 10 and s["errors"] == 12, s
assert s["errors_by_type"]["Sandbox.Timedout"]["count"] == 12, s["errors_by_type"]
PY
finish
