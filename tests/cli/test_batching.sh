#!/usr/bin/env bash
# test_batching.sh - producer modes from an experiment file (tests/data/batching/): a batching producer (the
# KPL's defaults: a shard's records go out every 0.1 s as one PutRecords) puts the same records as a sync one
# in a small fraction of the calls: at 3,000 records/s over 4 shards, a request per shard per 0.1 s of the 10 s,
# so about 400 requests against 30,000 PutRecord calls; its rows say how many records its buffers held, at
# most a 0.1 s share of the rate and more than none. With aggregate = true (KPL aggregation) the handler
# unpacks (sl.kpl.deaggregate) exactly the records produced, once each (in order per key with the KPL's
# aggregate key, which gives one key per shard; aggregates keyed by their first record may run in parallel
# lanes, so a key's records need not come in order), each on the shard
# MD5 of its own key gives (computed here), from fewer Kinesis records; with the KPL's key "a" Lambda sees one
# key per shard, with "first" the records' own. Mistakes are refused at load, naming the field.
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
for key in kpl first; do
  rm -f "$tmp/deliveries.log"
  DELIVERY_LOG=$tmp/deliveries.log SHARDLAB_AGG_KEY=$key "$shardlab" run aggregated.lua --json "agg-$key.json" \
    >/dev/null 2>err.txt || fail "aggregated.lua ($key) exited $?: $(cat err.txt)"
  python3 - "agg-$key.json" "$tmp/deliveries.log" "$key" <<'PY' || fail "aggregated records ($key)"
import hashlib, json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
s = e["summary"]
lines = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
n = s["records_put"]
assert n > 9000 and s["records_not_sent"] == 0, s
assert [int(d.split()[1]) for _, _, _, d in sorted(lines, key=lambda l: int(l[3].split()[1]))] == list(range(1, n + 1))
assert len(lines) == n, (len(lines), n)
last = {}
for shard, kinesis_key, key, data in lines:
    i = int(data.split()[1])
    assert key == f"key-{i % 50}", (key, data)
    # Lambda keeps the order of the aggregates' keys: with the KPL's one key per shard the records' order per
    # key holds; aggregates keyed by their first record run in different lanes at once, and it need not
    if sys.argv[3] == "kpl":
        assert i > last.get(key, 0), (key, i)
    last[key] = i
    # the shard MD5 of the record's own key gives, of 2 even shards
    want = int(hashlib.md5(key.encode()).hexdigest(), 16) >> 127
    assert shard == f"shardId-{want:012d}", (shard, key)
    if sys.argv[3] == "kpl":
        assert kinesis_key in ("a", key), kinesis_key
assert s["kinesis_records_put"] < n / 20 and s["records_delivered"] == s["kinesis_records_put"], s
keys = [sh["distinct_keys"] for sh in s["shards"]]
assert (keys == [1, 1]) if sys.argv[3] == "kpl" else min(keys) > 5, keys
print(f"{n} records in {s['kinesis_records_put']} aggregates, Lambda saw {keys} keys per shard")
PY
done
check_bad experiments.lua sync_setting "producers[1].max_buffered_time is a setting of batching producers: it needs mode = \"batching\""
check_bad experiments.lua mode "producers[1].mode must be \"sync\" or \"batching\""
check_bad experiments.lua count "producers[1].collection_max_count 501 is out of range"
check_bad experiments.lua agg_key "producers[1].aggregation_max_size is a setting of KPL aggregation: it needs aggregate = true"
finish
