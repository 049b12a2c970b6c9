#!/usr/bin/env bash
# test_kpl.sh - the KPL aggregated record against an independent implementation, aws-kinesis-agg from npm (the
# version tests/interop/package-lock.json pins; .ci/install-deps installs it), both ways:
#   (a) aws-kinesis-agg aggregates user records; a handler run by `shardlab invoke` de-aggregates the event
#       with sl.kpl.deaggregate; every field is checked against the records given to aws-kinesis-agg;
#   (b) a handler aggregates with sl.kpl.aggregate; aws-kinesis-agg's deaggregateSync (checksums checked)
#       gives back the records given to the handler, and each aggregate's partition key and explicit hash key
#       are what the KPL gives (first record's key; its explicit hash key, else MD5 of its key, by Python).
. "$(dirname "$0")/lib.sh"
handlers=$src/tests/data/handlers
interop=$src/tests/interop
command -v node >/dev/null || { echo "FAIL: node is not installed (bash .ci/install-deps installs it)" >&2; exit 1; }
[ -d "$interop/node_modules/aws-kinesis-agg" ] ||
  { echo "FAIL: $interop/node_modules lacks aws-kinesis-agg (bash .ci/install-deps runs npm ci)" >&2; exit 1; }

# User records: keys repeated (one table entry each), one not ASCII, explicit hash keys on some, binary data
# of 0 to 300 bytes. No key is a small decimal: aws-kinesis-agg's key tables would misorder it (make_fixture.js).
python3 - "$tmp" <<'PY'
import base64, json, random, sys
rnd = random.Random(16)
keys = ["device-%d" % i for i in range(12)] + ["clé-ü", "k" * 256]
def records(n, ehk_share):
    out = []
    for _ in range(n):
        r = {"partitionKey": rnd.choice(keys),
             "data": base64.b64encode(bytes(rnd.randrange(256) for _ in range(rnd.randrange(301)))).decode()}
        if rnd.random() < ehk_share:
            r["explicitHashKey"] = str(rnd.choice([rnd.randrange(2**128), 2**128 - 1, 2**127, 12345678901]))
        out.append(r)
    return out
json.dump(records(40, 0.4), open(sys.argv[1] + "/a_in.json", "w"))
json.dump({"without": records(60, 0), "with": records(30, 1)}, open(sys.argv[1] + "/b_in.json", "w"))
PY

# (a) aws-kinesis-agg aggregates, 15 records to an aggregate; the event holds its records and a plain one.
node "$interop/kpl_aggregate.js" "$tmp/a_in.json" 15 >"$tmp/a_aggs.json" || fail "kpl_aggregate.js exited $?"
python3 - "$tmp" <<'PY' || fail "building the event from aws-kinesis-agg's records"
import json, sys
aggs = json.load(open(sys.argv[1] + "/a_aggs.json"))
assert len(aggs) == 3, len(aggs)
plain = {"partitionKey": "plain-key", "data": "bm90IGFuIGFnZ3JlZ2F0ZQ=="}  # "not an aggregate"
records = []
for i, r in enumerate(aggs + [plain]):
    records.append({"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["partitionKey"],
                                "sequenceNumber": "4959033194%046d" % i, "data": r["data"],
                                "approximateArrivalTimestamp": 1700000000.5 + i},
                    "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventName": "aws:kinesis:record",
                    "eventID": "shardId-000000000000:4959033194%046d" % i, "awsRegion": "us-east-1",
                    "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/interop",
                    "invokeIdentityArn": "arn:aws:iam::123456789012:role/interop"})
json.dump({"Records": records}, open(sys.argv[1] + "/a_event.json", "w"))
PY
"$shardlab" invoke "$handlers/kpl_deaggregate.lua" --event "$tmp/a_event.json" >"$tmp/a_out.json" 2>"$tmp/a.log" ||
  fail "invoke kpl_deaggregate.lua exited $?: $(cat "$tmp/a_out.json" "$tmp/a.log")"
python3 - "$tmp" <<'PY' || fail "sl.kpl.deaggregate did not give back the records aws-kinesis-agg was given"
import json, sys
given = json.load(open(sys.argv[1] + "/a_in.json"))
event = json.load(open(sys.argv[1] + "/a_event.json"))["Records"]
got = json.load(open(sys.argv[1] + "/a_out.json"))
assert len(got) == 4, len(got)
for a in range(3):
    seq = event[a]["kinesis"]["sequenceNumber"]
    want = given[15 * a:15 * (a + 1)]
    assert len(got[a]) == len(want), (a, len(got[a]), len(want))
    for i, (g, w) in enumerate(zip(got[a], want)):
        expect = {"partitionKey": w["partitionKey"], "sequenceNumber": seq, "subSequenceNumber": i, "data": w["data"]}
        if "explicitHashKey" in w:
            expect["explicitPartitionKey"] = w["explicitHashKey"]
        assert g == expect, (a, i, g, expect)
plain = event[3]["kinesis"]
assert got[3] == [{"partitionKey": "plain-key", "sequenceNumber": plain["sequenceNumber"], "data": plain["data"]}], got[3]
PY

# (b) sl.kpl.aggregate in a handler, at most 1000 bytes an aggregate; aws-kinesis-agg de-aggregates.
python3 - "$tmp" <<'PY' || fail "building the aggregate event"
import base64, json, sys
lists = json.load(open(sys.argv[1] + "/b_in.json"))
records = []
for name in ["without", "with"]:
    body = {"max_size": 1000, "records": [{"partition_key": r["partitionKey"], "data": r["data"],
                                          "explicit_hash_key": r.get("explicitHashKey")} for r in lists[name]]}
    body["records"] = [{k: v for k, v in r.items() if v is not None} for r in body["records"]]
    records.append({"kinesis": {"partitionKey": name, "sequenceNumber": "1",
                                "data": base64.b64encode(json.dumps(body).encode()).decode()}})
json.dump({"Records": records}, open(sys.argv[1] + "/b_event.json", "w"))
PY
"$shardlab" invoke "$handlers/kpl_aggregate.lua" --event "$tmp/b_event.json" >"$tmp/b_aggs.json" 2>"$tmp/b.log" ||
  fail "invoke kpl_aggregate.lua exited $?: $(cat "$tmp/b_aggs.json" "$tmp/b.log")"
python3 - "$tmp" <<'PY' || fail "building aws-kinesis-agg's input"
import json, sys
aggs = json.load(open(sys.argv[1] + "/b_aggs.json"))
flat = [{"partitionKey": a["partition_key"], "data": a["data"], "sequenceNumber": "5%03d%03d" % (l, i)}
        for l, list_ in enumerate(aggs) for i, a in enumerate(list_)]
json.dump(flat, open(sys.argv[1] + "/b_kinesis.json", "w"))
PY
node "$interop/kpl_deaggregate.js" "$tmp/b_kinesis.json" >"$tmp/b_out.json" || fail "kpl_deaggregate.js exited $?"
python3 - "$tmp" <<'PY' || fail "aws-kinesis-agg did not give back the records sl.kpl.aggregate was given"
import base64, hashlib, json, sys
lists = json.load(open(sys.argv[1] + "/b_in.json"))
aggs = json.load(open(sys.argv[1] + "/b_aggs.json"))
deagg = iter(json.load(open(sys.argv[1] + "/b_out.json")))
for l, name in enumerate(["without", "with"]):
    given, back = lists[name], []
    assert len(aggs[l]) > 1, (name, "expected the 1000-byte limit to split the records")
    for i, a in enumerate(aggs[l]):
        users = next(deagg)
        assert isinstance(users, list), (name, i, users)
        assert len(base64.b64decode(a["data"])) <= 1000, (name, i)
        assert a["count"] == len(users), (name, i, a["count"], len(users))
        for j, u in enumerate(users):
            assert u["sequenceNumber"] == "5%03d%03d" % (l, i) and u["subSequenceNumber"] == j, (name, i, j, u)
        first = given[len(back)]
        assert a["partition_key"] == first["partitionKey"], (name, i)
        kpl_ehk = first.get("explicitHashKey") or str(int(hashlib.md5(first["partitionKey"].encode()).hexdigest(), 16))
        assert a["explicit_hash_key"] == kpl_ehk, (name, i, a["explicit_hash_key"], kpl_ehk)
        back += users
    assert len(back) == len(given), (name, len(back), len(given))
    for j, (u, w) in enumerate(zip(back, given)):
        assert u["partitionKey"] == w["partitionKey"] and u["data"] == w["data"], (name, j, u, w)
        assert u.get("explicitPartitionKey") == w.get("explicitHashKey"), (name, j, u, w)
PY
finish
