#!/usr/bin/env bash
# test_durable.sh - a mapping on a durable stream (stream.data_dir) stopped mid-stream and restarted: every
# record is delivered at least once, per-key order of first deliveries holds across the restart, and what the
# second run delivers again is counted as duplicate deliveries. Twice: a run that stops at its drain timeout
# with invocations in flight (exact duplicate count), and a real-clock run killed with SIGKILL.
. "$(dirname "$0")/lib.sh"

check() { # DIR RUN1-JSON-OR-"-" RUN2-JSON EXACT: the deliveries of both runs against what was put
  python3 - "$@" <<'PY'
import json, sys
folder, first, second, exact = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "exact"
s2 = json.load(open(second))["experiments"][0]["summary"]
runs = []
for run in (1, 2):
    lines = [l.split() for l in open(f"{folder}/deliveries-{run}.log") if l.strip()]
    runs.append([(k, int(seq), data) for k, seq, data in lines])
stored_first = s2["storage"]["records_recovered"]          # what run 1 left on disk: records 1:1 .. 1:K
assert s2["storage"]["reopened"] and s2["storage"]["shards_resumed"] == 2, s2["storage"]
put = {f"1:{i}" for i in range(1, stored_first + 1)} | {f"2:{i}" for i in range(1, s2["records_put"] + 1)}
delivered = {d for run in runs for _, _, d in run}
missing = put - delivered
assert not missing, f"{len(missing)} records never delivered, e.g. {sorted(missing)[:5]}"
assert delivered <= put, f"delivered records that were never put: {sorted(delivered - put)[:5]}"
# Per key, first deliveries in sequence-number order, across the restart.
seen, last = set(), {}
for run in runs:
    for key, seq, data in run:
        if data in seen:
            continue
        seen.add(data)
        assert seq > last.get(key, -1), f"{key}: {data} ({seq}) delivered first after {last[key]}"
        last[key] = seq
again = {d for _, _, d in runs[0]} & {d for _, _, d in runs[1]}
if exact:
    assert s2["duplicate_deliveries"] == len(again), (s2["duplicate_deliveries"], len(again))
    assert len(again) > 0, "the first run left nothing in flight: the test proves nothing"
else:
    assert s2["duplicate_deliveries"] <= len(again), (s2["duplicate_deliveries"], len(again))
print(f"{len(put)} records, {len(again)} delivered again after the restart, {s2['duplicate_deliveries']} counted")
PY
}

# 1. Stopped at the drain timeout with invocations in flight, then resumed.
mkdir "$tmp/stop" && cp "$src"/tests/data/durable/* "$src"/tests/data/handlers/delivery_log.lua "$tmp/stop/"
(cd "$tmp/stop" && RUN=1 DURATION=5 DRAIN=0 DELIVERY_LOG=deliveries-1.log "$shardlab" run durable.lua --json r1.json \
  >/dev/null 2>err) || fail "first run: $(cat "$tmp/stop/err")"
(cd "$tmp/stop" && RUN=2 DURATION=1 DELIVERY_LOG=deliveries-2.log "$shardlab" run durable.lua --json r2.json \
  >/dev/null 2>err) || fail "second run: $(cat "$tmp/stop/err")"
check "$tmp/stop" r1.json "$tmp/stop/r2.json" exact || fail "restart after a stop"

# 2. Killed with SIGKILL on the real clock, then resumed on the virtual clock.
mkdir "$tmp/kill" && cp "$src"/tests/data/durable/* "$src"/tests/data/handlers/delivery_log.lua "$tmp/kill/"
(cd "$tmp/kill" && RUN=1 DURATION=60 DELIVERY_LOG=deliveries-1.log exec "$shardlab" run durable.lua --clock real \
  >/dev/null 2>err) &
pid=$!
sleep 2
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
(cd "$tmp/kill" && RUN=2 DURATION=1 DELIVERY_LOG=deliveries-2.log "$shardlab" run durable.lua --json r2.json \
  >/dev/null 2>err) || fail "run after SIGKILL: $(cat "$tmp/kill/err")"
check "$tmp/kill" - "$tmp/kill/r2.json" at-least || fail "restart after SIGKILL"

finish
