#!/usr/bin/env bash
# test_destinations.sh - the S3-style on-failure destination end to end (tests/data/experiments/
# s3_destination.lua, run in a copy so dlq/ lands in a temporary folder): one object per failed batch at AWS's
# key aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>, each holding AWS's
# on-failure record plus `payload`, the batch's Kinesis event as a JSON string, whose Records are the failed
# records as put; a value that is not a string is refused naming the field.
. "$(dirname "$0")/lib.sh"

cp -r "$src/examples" "$tmp/examples"
mkdir -p "$tmp/tests/data/experiments"
cp "$src/tests/data/experiments/s3_destination.lua" "$tmp/tests/data/experiments/"
"$shardlab" run "$tmp/tests/data/experiments/s3_destination.lua" --json "$tmp/s3.json" >/dev/null 2>"$tmp/err" ||
  fail "s3_destination exited $?: $(cat "$tmp/err")"
python3 - "$tmp/s3.json" "$tmp/tests/data/experiments/dlq" "$src/tests/reference/on-failure-record.json" \
  "$src/tests/reference/kinesis-event.json" <<'PY' || fail "s3 destination"
import base64, json, os, re, sys
[run] = json.load(open(sys.argv[1]))["experiments"]
s, bucket = run["summary"], sys.argv[2]
reference, event_reference = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))

def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    return type(v).__name__

objects = sorted(os.path.relpath(os.path.join(d, f), bucket) for d, _, fs in os.walk(bucket) for f in fs)
# No retries: every batch holding one of the two poison records fails, and becomes one object.
assert len(objects) == 2 and s["errors"] == 2, (objects, s)
uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
key = re.compile(r"aws/lambda/(%s)/(shardId-\d{12})/(\d{4})/(\d{2})/(\d{2})/(\d{4})-(\d{2})-(\d{2})T(\d{2})\.(\d{2})\.(\d{2})-(%s)$" % (uuid, uuid))
mappings, failed, poison = set(), 0, 0
for name in objects:
    m = key.match(name)
    assert m, name
    rec = json.load(open(os.path.join(bucket, name)))
    payload = rec.pop("payload")
    assert isinstance(payload, str)                                   # AWS: "an escaped JSON string"
    assert shape(rec) == shape(reference), (name, shape(rec))
    info, stamp = rec["KinesisBatchInfo"], rec["timestamp"]           # 2024-01-01T00:00:01.660Z
    assert m.group(2) == info["shardId"], (name, info)
    assert m.group(3, 4, 5) == m.group(6, 7, 8) == (stamp[0:4], stamp[5:7], stamp[8:10]), (name, stamp)
    assert m.group(9, 10, 11) == (stamp[11:13], stamp[14:16], stamp[17:19]), (name, stamp)
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 1
    mappings.add(m.group(1))
    records = json.loads(payload)["Records"]
    assert len(records) == info["batchSize"], (len(records), info)
    assert records[0]["kinesis"]["sequenceNumber"] == info["startSequenceNumber"]
    assert records[-1]["kinesis"]["sequenceNumber"] == info["endSequenceNumber"]
    for r in records:
        assert shape(r) == shape(event_reference["Records"][0]), shape(r)
        k = r["kinesis"]
        assert r["eventID"] == info["shardId"] + ":" + k["sequenceNumber"]
        assert r["eventSourceARN"] == info["streamArn"]
        data = base64.b64decode(k["data"]).decode()
        # As put: record i is ("device-" .. i % 5, "record-" .. i), records 150 and 700 hold "poison".
        if data == "poison":
            poison += 1
            assert k["partitionKey"] == "device-0", k                  # 150 % 5 == 700 % 5 == 0
        else:
            i = int(data.split("-")[1])
            assert data == "record-%d" % i and k["partitionKey"] == "device-%d" % (i % 5), (data, k)
    failed += len(records)
assert len(mappings) == 1, mappings                                   # one mapping, one ESM UUID
assert poison == 2 and failed == s["records_failed"], (poison, failed, s)
PY

cp "$src/tests/data/experiments/bad_s3_destination.lua" "$tmp/tests/data/experiments/"
out=$("$shardlab" run "$tmp/tests/data/experiments/bad_s3_destination.lua" 2>&1); status=$?
[ "$status" -eq 1 ] && [[ "$out" == *"mapping.on_failure.s3 must be a string"* ]] || fail "bad s3: status $status, $out"

finish
