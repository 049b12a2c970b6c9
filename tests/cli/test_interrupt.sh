#!/usr/bin/env bash
# test_interrupt.sh - Ctrl-C on the virtual clock (tests/data/offered/): SIGINT stops a long run at its next
# event, the partial summary is printed and written marked interrupted, the declared experiments after it are
# not run, exit status 0 (as on the real clock, tests/cli/test_real.sh); a second signal exits 130 at once.
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/offered/." "$tmp/"
cd "$tmp" || exit 1
stopped() { # PID: waits up to 30 s for it to end (a signal sent before its handlers were set is ignored in
  # the background), kills it otherwise; the status it ended with in $status
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { kill -9 "$1"; fail "still running 30 s after the signal"; }
  wait "$1"
  status=$?
}
SHARDLAB_OFFERED_ONLY=long
export SHARDLAB_OFFERED_ONLY
"$shardlab" run --help | grep -q "exit status 0. A second signal aborts at once with exit status 130" ||
  fail "run --help does not document the exit status after a signal"

# "long", then "after long", which the signal keeps from running.
SHARDLAB_OFFERED_ONLY="long,after long" "$shardlab" run experiments.lua --json long.json >long.out 2>long.err &
pid=$!
sleep 1
kill -INT "$pid"
stopped "$pid"
[ "$status" -eq 0 ] || fail "after SIGINT: exit $status, $(cat long.err)"
grep -q "records delivered" long.out || fail "after SIGINT: no summary printed: $(cat long.err)"
grep -q "long was interrupted" long.err || fail "after SIGINT: no note of the interruption: $(cat long.err)"
grep -q "stopped by a signal: 1 later experiment(s) not run" long.err || fail "after SIGINT: $(cat long.err)"
python3 - long.json <<'PY' || fail "SIGINT: the JSON"
import json, sys
x = json.load(open(sys.argv[1]))["experiments"]
assert [e["name"] for e in x] == ["long"], [e["name"] for e in x]
s = x[0]["summary"]
assert s["interrupted"] is True and 0 < s["records_put"] and s["duration_s"] < 1e6, s
assert s["records_put"] + s["records_not_sent"] == s["records_offered"] == 50 * 10**6, s
PY

# A second signal: exit 130 at once.
SHARDLAB_OFFERED_ONLY=long "$shardlab" run experiments.lua >/dev/null 2>abort.err &
pid=$!
sleep 1
kill -INT "$pid"
kill -TERM "$pid"
stopped "$pid"
[ "$status" -eq 130 ] || fail "after two signals: exit $status, $(cat abort.err)"
grep -q "aborted by signal" abort.err || fail "after two signals: $(cat abort.err)"
finish
