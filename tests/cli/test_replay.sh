#!/usr/bin/env bash
# test_replay.sh - sl.replay and sl.workload (tests/data/replay/): a capture in each format (get-records with
# epoch-second timestamps, JSONL with ISO-8601 ones as AWS CLI v2 prints them, CSV with both) is replayed with
# exactly its records, in order, at its inter-arrival times divided by speed (read back from a handler that logs
# what it gets); re-keying routes each record to the shard MD5 of its new key says (computed here with
# hashlib); bad files are refused at load naming file, line and field; a capture of `shardlab serve` that
# boto3 wrote into replays the same keys and data; workloads put the counts their parameters give, per phase.
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/replay/." "$tmp/"
cd "$tmp" || exit 1
export DELIVERY_LOG=$tmp/delivered.log

# The captures: 40 records of 8 devices, irregular gaps (2..500 ms), each format from the same list.
python3 - <<'PY' || exit 1
import base64, datetime, json, random
rng = random.Random(16)
t, rows = 1714564800.0, []
for i in range(40):
    t += rng.randint(2, 500) / 1000
    rows.append((round(t, 3), f"order-{i}", f"dev-{rng.randint(1, 8)} reading {i}"))
json.dump(rows, open("expected.json", "w"))
def iso(ts, offset_h):
    tz = datetime.timezone(datetime.timedelta(hours=offset_h))
    return datetime.datetime.fromtimestamp(ts, tz).isoformat(timespec="microseconds")
rec = lambda ts, k, d, stamp: {"SequenceNumber": "4968", "ApproximateArrivalTimestamp": stamp,
                               "Data": base64.b64encode(d.encode()).decode(), "PartitionKey": k}
json.dump({"Records": [rec(ts, k, d, ts) for ts, k, d in rows], "MillisBehindLatest": 0,
           "NextShardIterator": "AAAA"}, open("capture.json", "w"), indent=4)
with open("capture.jsonl", "w") as f:
    for n, (ts, k, d) in enumerate(rows):
        f.write(json.dumps(rec(ts, k, d, iso(ts, n % 3 - 1))) + "\n")
with open("capture.csv", "w") as f:
    f.write("timestamp,partition_key,bytes\n")
    for n, (ts, k, d) in enumerate(rows):
        f.write(f"{ts:.3f},{k},{len(d)}\n" if n % 2 else f"{iso(ts, 2)},\"{k}\",{len(d)}\n")
PY

replay() { # JSON ENV...: runs experiments.lua with the environment given, fresh delivery log
  local json=$1
  shift
  rm -f "$DELIVERY_LOG"
  env "$@" "$shardlab" run experiments.lua --json "$json" >"$tmp/out" 2>"$tmp/err" || fail "replay $*: $(cat "$tmp/err")"
}
check_log() { # FORMAT SPEED: the log holds the expected records in order at the expected times
  python3 - "$DELIVERY_LOG" "$1" "$2" <<'PY'
import base64, json, sys
rows = json.load(open("expected.json"))
log = [l.split() for l in open(sys.argv[1])]
fmt, speed = sys.argv[2], float(sys.argv[3])
assert len(log) == len(rows), (len(log), len(rows))
start = 1704067200.0  # the virtual clock's start (2024-01-01T00:00:00Z)
for (ts, key, data), (shard, k, arrival, b64) in zip(rows, log):
    assert k == key, (k, key)
    got = base64.b64decode(b64).decode()
    assert got == (data if fmt != "csv" else "x" * len(data)), (got, data)
    want = start + (ts - rows[0][0]) / speed
    assert abs(float(arrival) - want) <= 0.0015, (key, arrival, want)
print(f"{fmt} at speed {speed}: {len(log)} records in order at their times")
PY
}

replay g.json REPLAY_FILE=capture.json
check_log get-records 1 || fail "get-records replay"
python3 - g.json <<'PY' || fail "get-records results"
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
rows = json.load(open("expected.json"))
s, c = e["summary"], e["config"]
assert s["records_put"] == s["records_offered"] == s["records_delivered"] == 40, s
span = rows[-1][0] - rows[0][0]
assert abs(c["duration"] - (span + 1)) < 1e-3, (c["duration"], span)  # the default: the span and a second
r = c["producer_rates"][0]
assert r["kind"] == "replay" and r["format"] == "get-records" and r["records"] == 40 and abs(r["span"] - span) < 1e-3, r
PY
replay l.json REPLAY_FILE=capture.jsonl REPLAY_SPEED=4
check_log jsonl 4 || fail "jsonl replay at speed 4"
replay c.json REPLAY_FILE=capture.csv REPLAY_SPEED=0.5
check_log csv 0.5 || fail "csv replay at speed 0.5"

# Re-keyed: the device of the data is the key; each record lands where MD5 of it says over 4 shards.
replay k.json REPLAY_FILE=capture.jsonl REPLAY_SHARDS=4 REPLAY_REKEY=device
python3 - "$DELIVERY_LOG" <<'PY' || fail "rekeyed routing"
import base64, hashlib, json, sys
rows = json.load(open("expected.json"))
log = sorted((float(a), s, k, base64.b64decode(d).decode()) for s, k, a, d in (l.split() for l in open(sys.argv[1])))
assert len(log) == 40, len(log)
for (ts, key, data), (arrival, shard, k, got) in zip(rows, log):
    device = data.split()[0]
    assert k == device and got == data, (k, device, got, data)
    index = int(hashlib.md5(device.encode()).hexdigest(), 16) * 4 >> 128
    assert shard == f"shardId-{index:012d}", (device, shard, index)
print(f"rekeyed: {len(set(r[2] for r in log))} device keys on {len(set(r[1] for r in log))} shards as MD5 says")
PY

# Bad files: refused when the file is read, naming the file, the line (or record) and the field.
refused() { # FILE EXPECTED-TEXT [FORMAT]
  env REPLAY_FILE="$1" ${3:+REPLAY_FORMAT=$3} "$shardlab" run experiments.lua >"$tmp/out" 2>"$tmp/err" && fail "$1 was accepted"
  grep -qF -- "$2" "$tmp/err" || fail "$1: no '$2' in: $(cat "$tmp/err")"
  [ ! -s "$DELIVERY_LOG" ] || fail "$1: something ran before the file was refused"
}
rm -f "$DELIVERY_LOG"
sed '3{h;d};4{G}' capture.jsonl >swapped.jsonl # lines 3 and 4 swapped
refused swapped.jsonl "swapped.jsonl line 4: ApproximateArrivalTimestamp arrived"
sed '2s/"Data": "[^"]*"/"Data": "%%%"/' capture.jsonl >bad64.jsonl
refused bad64.jsonl "bad64.jsonl line 2: Data"
sed '5s/.*/{"PartitionKey": "k", "Data": "eA==", "ApproximateArrivalTimestamp": "yesterday"}/' capture.jsonl >badts.jsonl
refused badts.jsonl "badts.jsonl line 5: ApproximateArrivalTimestamp must be epoch seconds"
sed '6s/.*/{"PartitionKey": "k", "Data":/' capture.jsonl >broken.jsonl
refused broken.jsonl "broken.jsonl line 6:"
sed '1s/.*/time,key,size/' capture.csv >header.csv
refused header.csv "header.csv line 1: the header must be timestamp,partition_key,bytes"
sed '7s/,[0-9]*$/,many/' capture.csv >bytes.csv
refused bytes.csv "bytes.csv line 7: bytes \"many\" must be a whole number"
python3 -c 'import json; d = json.load(open("capture.json")); del d["Records"][2]["PartitionKey"]; json.dump(d, open("nokey.json", "w"))'
refused nokey.json "nokey.json Records[3]: PartitionKey is missing"
echo '{"records": []}' >norecords.json
refused norecords.json "norecords.json: Records is missing"
refused missing.jsonl "missing.jsonl cannot be opened"
refused capture.jsonl "sl.replay: format must be \"get-records\", \"jsonl\" or \"csv\", got xml" xml
grep -qF "experiments.lua:" "$tmp/err" || fail "sl.replay's argument error names no file:line: $(cat "$tmp/err")"

# A capture of shardlab serve: boto3 puts records into 3 shards (and reshards to 4 halfway), shardlab capture
# reads them back, and a replay of that capture delivers the same keys and data, each key's records in order.
start_server
python3 - "$port" <<'PY' || fail "boto3 puts"
import boto3, json, sys, time
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
k.create_stream(StreamName="orders", ShardCount=3)
put = []
for i in range(60):
    if i == 30:
        k.update_shard_count(StreamName="orders", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    key, data = f"customer-{i % 9}", f"order {i}"
    k.put_record(StreamName="orders", PartitionKey=key, Data=data.encode())
    put.append([key, data])
    time.sleep(0.003)
json.dump(put, open("put.json", "w"))
PY
"$shardlab" capture --endpoint "http://127.0.0.1:$port" --stream orders --out orders.jsonl 2>"$tmp/capture.err" ||
  fail "capture exited $?: $(cat "$tmp/capture.err")"
grep -q "^shardlab capture: 60 records from" "$tmp/capture.err" || fail "capture: $(cat "$tmp/capture.err")"
"$shardlab" capture --endpoint "http://127.0.0.1:$port" --stream orders --out latest.jsonl --from LATEST --duration 0.5 \
  2>"$tmp/latest.err" || fail "capture --from LATEST: $(cat "$tmp/latest.err")"
[ -f latest.jsonl ] && [ ! -s latest.jsonl ] || fail "capture --from LATEST of a quiet stream wrote records"
"$shardlab" capture --endpoint "http://127.0.0.1:$port" --stream missing --out m.jsonl 2>"$tmp/missing.err" &&
  fail "capture of a missing stream succeeded"
grep -q "ResourceNotFoundException" "$tmp/missing.err" || fail "capture of a missing stream: $(cat "$tmp/missing.err")"
stop_server TERM
replay o.json REPLAY_FILE=orders.jsonl REPLAY_SHARDS=2
python3 - "$DELIVERY_LOG" <<'PY' || fail "replay of the capture"
import base64, json, sys
put = json.load(open("put.json"))
log = [(k, base64.b64decode(d).decode()) for s, k, a, d in (l.split(maxsplit=3) for l in open(sys.argv[1]))]
cap = [json.loads(l) for l in open("orders.jsonl")]
stamps = [r["ApproximateArrivalTimestamp"] for r in cap]
assert stamps == sorted(stamps), "the capture is not in arrival order"
assert sorted(log) == sorted(map(tuple, put)), "replayed keys and data differ from what boto3 put"
for key in set(k for k, _ in put):  # each key's records in the order they were put
    assert [d for k, d in log if k == key] == [d for k, d in put if k == key], key
print(f"capture: {len(log)} records replayed with the keys and data boto3 put")
PY

# Workloads. bursty{base 10, peak 200, period 10, duty 0.3} with fixed arrivals over 30 s: per phase exactly
# rate x length; step{50 from 0, 300 from 10, 20 from 25} and diurnal{low 20, high 200, period 20} (a cosine,
# at its low at t = 0) with Poisson arrivals: within 5 standard deviations of the rate's integral per phase.
for kind in bursty step diurnal; do
  WORKLOAD=$kind DELIVERY_LOG=/dev/null "$shardlab" run workloads.lua --json "$kind.json" >"$tmp/out" 2>"$tmp/err" ||
    fail "$kind exited: $(cat "$tmp/err")"
done
python3 - <<'PY' || fail "workload counts"
import json, math
def seconds(kind):
    e = json.load(open(f"{kind}.json"))["experiments"][0]
    return e, {row["t"]: row["records_in"] for row in e["timeseries"]}
e, per = seconds("bursty")
base, peak, period, duty = 10, 200, 10, 0.3
for start in range(0, 30, period):
    on, off = range(start, start + int(duty * period)), range(start + int(duty * period), start + period)
    assert sum(per.get(t, 0) for t in on) == peak * len(on), (start, [per.get(t) for t in on])
    assert sum(per.get(t, 0) for t in off) == base * len(off), (start, [per.get(t) for t in off])
r = e["config"]["producer_rates"][0]
mean = (duty * peak + (1 - duty) * base)
assert r["kind"] == "bursty" and r["max"] == peak and abs(r["mean"] - mean) < 1e-9, r
e, per = seconds("step")
for lo, hi, rate in ((0, 10, 50), (10, 25, 300), (25, 30, 20)):
    n, want = sum(per.get(t, 0) for t in range(lo, hi)), rate * (hi - lo)
    assert abs(n - want) <= 5 * math.sqrt(want), (lo, hi, n, want)
assert e["summary"]["records_offered"] == e["summary"]["records_put"], e["summary"]
r = e["config"]["producer_rates"][0]
assert r["kind"] == "step" and r["max"] == 300 and abs(r["mean"] - (500 + 4500 + 100) / 30) < 1e-9, r
e, per = seconds("diurnal")
low, high, period = 20, 200, 20
mid, amp, w = (low + high) / 2, (high - low) / 2, 2 * math.pi / period
integral = lambda t: mid * t - amp / w * math.sin(w * t)  # of mid - amp cos(w t): at low at 0, high at 10
for lo, hi in ((0, 5), (5, 15), (15, 25), (25, 30)):
    n, want = sum(per.get(t, 0) for t in range(lo, hi)), integral(hi) - integral(lo)
    assert abs(n - want) <= 5 * math.sqrt(want), (lo, hi, n, want)
r = e["config"]["producer_rates"][0]
assert r["kind"] == "diurnal" and r["max"] == high and abs(r["mean"] - integral(30) / 30) < 1e-9, r
print("workloads: counts per phase as the parameters give")
PY
# Rate functions: errors at load name the function's file:line; a bounded one puts exactly what it asks.
RATE_CASE=raises DELIVERY_LOG=/dev/null "$shardlab" run rates.lua >"$tmp/out" 2>"$tmp/err" && fail "a raising rate ran"
grep -qF "producers[1].rate (function at rates.lua:7) at 2.010 s: rates.lua:7: no rate after 2 s" "$tmp/err" ||
  fail "a raising rate: $(cat "$tmp/err")"
grep -qF "(nothing was run)" "$tmp/err" || fail "a raising rate was not refused at load: $(cat "$tmp/err")"
RATE_CASE=over DELIVERY_LOG=/dev/null "$shardlab" run rates.lua >"$tmp/out" 2>"$tmp/err" && fail "a rate over max_rate ran"
grep -qF "producers[1].rate (function at rates.lua:5) at 5.000 s is 250, above its max_rate 200" "$tmp/err" ||
  fail "a rate over max_rate: $(cat "$tmp/err")"
RATE_CASE=bounded DELIVERY_LOG=/dev/null "$shardlab" run rates.lua --json bounded.json >"$tmp/out" 2>"$tmp/err" ||
  fail "a bounded rate: $(cat "$tmp/err")"
python3 - bounded.json <<'PY' || fail "a bounded rate's count"
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
assert e["summary"]["records_put"] == 100 * 5 + 250 * 5, e["summary"]
r = e["config"]["producer_rates"][0]
assert r["kind"] == "function" and r["bound"] == "max_rate" and r["max"] == 250 and abs(r["mean"] - 175) < 1e-9, r
PY
finish
