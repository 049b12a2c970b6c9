#!/usr/bin/env bash
# test_batching.sh - producer modes from an experiment file (tests/data/batching/): a batching producer (the
# KPL's defaults: a shard's records go out every 0.1 s as one PutRecords) puts the same records as a sync one
# in a small fraction of the calls: at 3,000 records/s over 4 shards, a request per shard per 0.1 s of the 10 s,
# so about 400 requests against 30,000 PutRecord calls; its rows say how many records its buffers held, at
# most a 0.1 s share of the rate and more than none. Mistakes are refused at load, naming the field.
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/batching/." "$tmp/"
cd "$tmp" || exit 1
"$shardlab" run experiments.lua --json out.json >out.txt 2>err.txt || fail "exited $?: $(cat err.txt)"
python3 - out.json <<'PY' || fail "batching vs sync"
import json, sys
runs = {e["name"]: e for e in json.load(open(sys.argv[1]))["experiments"]}
sync, batching = runs["sync"]["summary"], runs["batching"]["summary"]
rate, duration, shards, buffered_time = 3000, 10, 4, 0.1
assert sync["records_put"] == batching["records_put"] == rate * duration, (sync["records_put"], batching["records_put"])
assert sync["producer_requests"] == rate * duration and sync["producer_retries"] == 0, sync
expected = shards * duration / buffered_time
assert abs(batching["producer_requests"] - expected) <= shards, (batching["producer_requests"], expected)
assert batching["producer_retries"] == 0 and batching["producer_dropped"] == 0, batching
rows = runs["batching"]["timeseries"]
most = max(r["producer_buffered"] for r in rows)
assert 0 < most <= rate * buffered_time + shards, most
assert all("producer_buffered" not in r for r in runs["sync"]["timeseries"])
print(f"{batching['producer_requests']} PutRecords for {batching['records_put']} records; at most {most} buffered")
PY
grep -Eq "^producer requests +30000 +[0-9]+$" out.txt || fail "no producer requests row: $(cat out.txt)"
check_bad experiments.lua sync_setting "producers[1].max_buffered_time is a setting of batching producers: it needs mode = \"batching\""
check_bad experiments.lua mode "producers[1].mode must be \"sync\" or \"batching\""
check_bad experiments.lua count "producers[1].collection_max_count 501 is out of range"
finish
