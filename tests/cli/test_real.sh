#!/usr/bin/env bash
# test_real.sh - `shardlab run --clock real` end to end (tests/data/real/): two CPU-bound handlers run at once;
# sleeping handlers reach PF-many running invocations with as many keys, one with one key; a crash, a
# timeout and a memory bomb each fail their record alone and later records still succeed; SIGINT stops a
# run cleanly (exit 0, summary, per-key order kept) and a second SIGINT aborts it (exit 130, at once); the
# progress line shows on a terminal only.
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/real/." "$tmp/"
cd "$tmp" || exit 1
run() { # NAME JSON: runs the named experiment of experiments.lua on the real clock
  SHARDLAB_REAL_ONLY="$1" "$shardlab" run experiments.lua --clock real --json "$2" >/dev/null 2>"$tmp/err" ||
    fail "$1 exited $?: $(cat "$tmp/err")"
}

# Two 200 ms busy handlers on two slots: their spans overlap, and the pair takes well under 400 ms. If the
# runtime serialized them (one thread, or one lua_State), the second would start after the first ended.
run parallel p.json
python3 - parallel.log <<'PY' || fail "CPU-bound handlers did not run in parallel"
import sys
spans = [tuple(map(float, l.split()[-2:])) for l in open(sys.argv[1]) if "\tbusy " in l]
assert len(spans) == 2, spans
start, end = max(s for s, _ in spans), min(e for _, e in spans)
assert start < end, f"no overlap: {spans}"
wall = max(e for _, e in spans) - min(s for s, _ in spans)
assert wall < 0.38, f"two 200 ms handlers took {wall:.3f} s in all"
print(f"two concurrent 200 ms busy handlers: {wall * 1000:.0f} ms of wall time")
PY

# Sleeping handlers: concurrency is bounded by keys, not by worker threads (there may be only two).
run "10 keys sleeping" ten.json
run "1 keys sleeping" one.json
python3 - ten.json one.json <<'PY' || fail "sleeping handlers"
import json, sys
ten, one = (json.load(open(f))["experiments"][0]["summary"] for f in sys.argv[1:3])
assert ten["max_concurrency"] == 10 and ten["records_delivered"] == ten["records_put"] == 50, ten
assert one["max_concurrency"] == 1 and one["records_delivered"] == one["records_put"] == 50, one
PY

# A crash, a timeout and a memory bomb: each fails its own record; the pool recovers (cold start) each time.
run troubled t.json
python3 - t.json troubled.log <<'PY' || fail "failures on the real clock"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["records_put"] == 20 and s["records_failed"] == 3 and s["records_delivered"] == 17, s
assert s["errors"] == 3 and s["cold_starts"] == 4, s    # the first start, then one after each failure
log = open(sys.argv[2]).read()
for kind in ("LuaError", "Sandbox.Timedout", "Runtime.OutOfMemory"):
    assert f'"errorType":"{kind}"' in log, kind
# Lambda's error form, with the traceback of the handler's thread down to the line that failed.
assert "troubled.lua:7: crash on purpose" in log and '"stackTrace":["[C]: in function \'error\'","./troubled.lua:7:' in log
PY

# SIGINT: producers stop, running invocations finish, the summary prints, exit 0; per key, records are
# delivered in sequence order and none twice.
SHARDLAB_REAL_ONLY=long "$shardlab" run experiments.lua --clock real --json long.json >long.out 2>long.err &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || fail "after SIGINT: exit $status, $(cat long.err)"
grep -q "records delivered" long.out || fail "after SIGINT: no summary printed"
grep -q "interrupted" long.err || fail "after SIGINT: no note that the run was interrupted: $(cat long.err)"
python3 - long.json long.log <<'PY' || fail "SIGINT"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert s["interrupted"] is True and 0 < s["records_delivered"] < s["records_put"], s
assert s["duration_s"] < 10, s
last, seen = {}, set()
for line in open(sys.argv[2]):
    if "\trecord " not in line:
        continue
    key, seq = line.split()[-2:]
    assert seq not in seen, f"{seq} delivered twice"
    seen.add(seq)
    assert int(seq) > last.get(key, -1), f"{key}: {seq} after {last[key]}"
    last[key] = int(seq)
assert len(seen) == s["records_delivered"], (len(seen), s)
PY

# A second SIGINT aborts at once, with the invocation still sleeping.
start=$(date +%s%N)
"$shardlab" run abort.lua --clock real >/dev/null 2>abort.err &
pid=$!
sleep 1
kill -INT "$pid"
sleep 0.3
kill -INT "$pid"
wait "$pid"
status=$?
took=$((($(date +%s%N) - start) / 1000000))
[ "$status" -eq 130 ] || fail "second SIGINT: exit $status, $(cat abort.err)"
[ "$took" -lt 5000 ] || fail "second SIGINT: took $took ms (the handler sleeps 20 s)"

# The progress line: on a terminal (script gives the run one), not in a pipe.
SHARDLAB_REAL_ONLY="1 keys sleeping" script -qec "'$shardlab' run experiments.lua --clock real" /dev/null >tty.out
grep -q "running, iterator age" tty.out || fail "no progress line on a terminal: $(head -c 300 tty.out)"
SHARDLAB_REAL_ONLY="1 keys sleeping" "$shardlab" run experiments.lua --clock real >pipe.out 2>&1
grep -q "iterator age [0-9]* ms" pipe.out && fail "progress line written to a pipe"

finish
