"""cbor_client.py - the Kinesis API in CBOR (application/x-amz-cbor-1.1, as AWS's Java SDKs, the KCL and the KPL
send it) against `shardlab serve`, over raw HTTP (http.client), with Debian's python3-cbor2 as the independent
encoder and decoder: its pure-Python decoder (cbor2.decoder), not libcbor, reads every answer. Each operation
shardlab has is called in CBOR and its answer checked: CBOR with the CBOR Content-Type, record data as byte
strings equal to the bytes put (non-UTF-8 included), timestamps as tag 1 holding integer epoch milliseconds
(AWS's CBOR timestamps, what the Java SDK v2 parses), integers as integers; GetShardIterator AT_TIMESTAMP
with a tag-1 Timestamp; errors (the API's and the server's own) in CBOR with AWS's status.

    python3 cbor_client.py PORT [AUTH_PORT]   (AUTH_PORT: a server started with --auth)"""
import http.client, io, sys, time

import cbor2
import cbor2.decoder
from cbor2 import CBORTag

# The pure-Python decoder reads tag 1 as RFC 8949's epoch seconds and fails on AWS's milliseconds (year 55000):
# without its tag-1 decoder it hands the tag over as it is, cbor2.types.CBORTag(1, value), which is what is checked
# (a class of its own: not the C module's CBORTag, which encodes requests' tags).
cbor2.decoder.semantic_decoders.pop(1, None)

port = int(sys.argv[1])
auth_port = int(sys.argv[2]) if len(sys.argv) > 2 else None
failures = []
CBOR = "application/x-amz-cbor-1.1"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def decode(raw):
    return cbor2.decoder.CBORDecoder(io.BytesIO(raw)).decode()


def raw_call(op, body, content_type=CBOR, on=None):
    """POSTs body (bytes) as op; (status, content type, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", on or port, timeout=30)
    conn.request("POST", "/", body=body, headers={"X-Amz-Target": f"Kinesis_20131202.{op}",
                                                  "Content-Type": content_type})
    resp = conn.getresponse()
    out = resp.status, resp.getheader("Content-Type"), resp.read()
    conn.close()
    return out


def call(op, request, expect=200, on=None):
    """op with request encoded by cbor2; the decoded answer, checked to be CBOR with status expect."""
    status, ctype, raw = raw_call(op, cbor2.dumps(request), on=on)
    check(ctype == CBOR, f"{op}: Content-Type {ctype}")
    try:
        answer = decode(raw)
    except Exception as e:  # not CBOR (JSON, say)
        check(False, f"{op}: the answer is no CBOR ({e}): {raw[:120]!r}")
        return {}
    check(status == expect, f"{op}: status {status}, not {expect}: {answer}")
    check(isinstance(answer, dict), f"{op}: the answer is not a map: {answer!r}")
    return answer if isinstance(answer, dict) else {}


def error(op, request, kind, status=400, on=None):
    answer = call(op, request, expect=status, on=on)
    check(answer.get("__type") == kind and isinstance(answer.get("message"), str),
          f"{op}: expected {kind}, got {answer}")
    return answer


def is_millis(v, near_ms, slack_ms):
    """v is tag 1 holding an integer of epoch milliseconds within slack_ms of near_ms."""
    return getattr(v, "tag", None) == 1 and type(v.value) is int and abs(v.value - near_ms) <= slack_ms


now_ms = lambda: int(time.time() * 1000)

# --- streams ---------------------------------------------------------------------------------------------------
created = now_ms()
check(call("CreateStream", {"StreamName": "c", "ShardCount": 2}) == {}, "CreateStream answers an empty map")
d = call("DescribeStream", {"StreamName": "c"}).get("StreamDescription", {})
check(d.get("StreamStatus") == "ACTIVE" and len(d.get("Shards", [])) == 2, f"DescribeStream: {d}")
check(is_millis(d.get("StreamCreationTimestamp"), created, 5000), f"DescribeStream's timestamp: {d}")
check(type(d.get("RetentionPeriodHours")) is int and d["RetentionPeriodHours"] == 24, f"an integer: {d}")
check(type(d.get("HasMoreShards")) is bool, f"a boolean: {d}")
s = call("DescribeStreamSummary", {"StreamName": "c"}).get("StreamDescriptionSummary", {})
check(s.get("OpenShardCount") == 2 and is_millis(s.get("StreamCreationTimestamp"), created, 5000), f"summary: {s}")
ls = call("ListStreams", {})
check(ls.get("StreamNames") == ["c"] and ls.get("HasMoreStreams") is False, f"ListStreams: {ls}")
for summary in ls.get("StreamSummaries", []):
    check(is_millis(summary.get("StreamCreationTimestamp"), created, 5000), f"ListStreams' summary: {summary}")
shards = call("ListShards", {"StreamName": "c"}).get("Shards", [])
check([x["ShardId"] for x in shards] == ["shardId-000000000000", "shardId-000000000001"], f"ListShards: {shards}")

# --- records: bytes that are no UTF-8, and an empty blob ----------------------------------------------------------
blobs = [bytes(range(256)), b"\xff\xfe\x00\x80", b"", "é".encode("utf-16-le")]
put = []
for i, data in enumerate(blobs):
    r = call("PutRecord", {"StreamName": "c", "PartitionKey": "k", "Data": data})
    check(r.get("ShardId", "").startswith("shardId-") and r.get("SequenceNumber", "").isdigit(), f"PutRecord: {r}")
    put.append((r.get("SequenceNumber"), data))
batch = [{"PartitionKey": "k", "Data": bytes([i, 0xC3, 0x28])} for i in range(5)]  # C3 28: no UTF-8
r = call("PutRecords", {"StreamName": "c", "Records": batch})
check(r.get("FailedRecordCount") == 0 and type(r.get("FailedRecordCount")) is int and len(r.get("Records", [])) == 5,
      f"PutRecords: {r}")
put += [(x.get("SequenceNumber"), e["Data"]) for x, e in zip(r.get("Records", []), batch)]
shard = call("PutRecord", {"StreamName": "c", "PartitionKey": "k", "Data": b"x"}).get("ShardId")
put.append((None, b"x"))
put_ms = now_ms()

it = call("GetShardIterator", {"StreamName": "c", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"})
got = call("GetRecords", {"ShardIterator": it.get("ShardIterator"), "Limit": 100})
records = got.get("Records", [])
check([x.get("Data") for x in records] == [p[1] for p in put], f"GetRecords' data: {[x.get('Data') for x in records]}")
check(all(type(x.get("Data")) is bytes for x in records), "Data as byte strings")
check(all(is_millis(x.get("ApproximateArrivalTimestamp"), put_ms, 5000) for x in records),
      f"ApproximateArrivalTimestamp: {[x.get('ApproximateArrivalTimestamp') for x in records]}")
check(type(got.get("MillisBehindLatest")) is int and isinstance(got.get("NextShardIterator"), str),
      f"GetRecords: {got}")
check([x.get("SequenceNumber") for x in records][:-1] == [p[0] for p in put][:-1], "sequence numbers as put")

# AT_TIMESTAMP: tag 1 of epoch milliseconds, between two records a second apart; untagged milliseconds likewise.
time.sleep(1.1)
between = now_ms()
time.sleep(0.1)
call("PutRecord", {"StreamName": "c", "PartitionKey": "k", "Data": b"after"})
for ts in (CBORTag(1, between), between):
    it = call("GetShardIterator", {"StreamName": "c", "ShardId": shard, "ShardIteratorType": "AT_TIMESTAMP",
                                   "Timestamp": ts})
    got = call("GetRecords", {"ShardIterator": it.get("ShardIterator")})
    check([x.get("Data") for x in got.get("Records", [])] == [b"after"], f"AT_TIMESTAMP {ts!r}: {got}")
# AT_SEQUENCE_NUMBER on the first record put
it = call("GetShardIterator", {"StreamName": "c", "ShardId": shard, "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                               "StartingSequenceNumber": put[-2][0]})
got = call("GetRecords", {"ShardIterator": it.get("ShardIterator"), "Limit": 1})
check([x.get("Data") for x in got.get("Records", [])] == [put[-2][1]], f"AT_SEQUENCE_NUMBER: {got}")

# A request in CBOR's indefinite-length items (no cbor2 encoder writes them): a map, a text and a byte string in
# chunks. PutRecord {"StreamName": "c", "PartitionKey": "k", "Data": b"chunked"}.
indefinite = (b"\xbf" + cbor2.dumps("StreamName") + b"\x7f" + cbor2.dumps("c") + b"\xff" +
              cbor2.dumps("PartitionKey") + cbor2.dumps("k") + cbor2.dumps("Data") + b"\x5f" + cbor2.dumps(b"chun") +
              cbor2.dumps(b"ked") + b"\xff\xff")
status, ctype, raw = raw_call("PutRecord", indefinite)
seq = decode(raw).get("SequenceNumber") if status == 200 else None
check(status == 200 and ctype == CBOR and seq, f"indefinite-length PutRecord: {status} {raw[:100]!r}")
it = call("GetShardIterator", {"StreamName": "c", "ShardId": shard, "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                               "StartingSequenceNumber": seq or "0"})
got = call("GetRecords", {"ShardIterator": it.get("ShardIterator")})
check([x.get("Data") for x in got.get("Records", [])] == [b"chunked"], f"indefinite-length data: {got}")

# --- tags, retention, resharding, deletion --------------------------------------------------------------------
call("AddTagsToStream", {"StreamName": "c", "Tags": {"team": "data", "Data": "a tag, not a blob"}})
tags = call("ListTagsForStream", {"StreamName": "c"})
pairs = sorted((t["Key"], t["Value"]) for t in tags.get("Tags", []))
check(pairs == [("Data", "a tag, not a blob"), ("team", "data")] and tags.get("HasMoreTags") is False,
      f"ListTagsForStream: {tags}")
call("RemoveTagsFromStream", {"StreamName": "c", "TagKeys": ["team"]})
check([t["Key"] for t in call("ListTagsForStream", {"StreamName": "c"}).get("Tags", [])] == ["Data"], "tag removed")
call("IncreaseStreamRetentionPeriod", {"StreamName": "c", "RetentionPeriodHours": 48})
call("DecreaseStreamRetentionPeriod", {"StreamName": "c", "RetentionPeriodHours": 24})
call("SplitShard", {"StreamName": "c", "ShardToSplit": "shardId-000000000000",
                    "NewStartingHashKey": str(2 ** 126)})
shards = call("ListShards", {"StreamName": "c"}).get("Shards", [])
check(len(shards) == 4 and shards[2].get("ParentShardId") == "shardId-000000000000", f"after SplitShard: {shards}")
call("MergeShards", {"StreamName": "c", "ShardToMerge": "shardId-000000000002",
                     "AdjacentShardToMerge": "shardId-000000000003"})
u = call("UpdateShardCount", {"StreamName": "c", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"})
check(type(u.get("TargetShardCount")) is int and u.get("TargetShardCount") == 4, f"UpdateShardCount: {u}")
call("DeleteStream", {"StreamName": "c"})
check(call("ListStreams", {}).get("StreamNames") == [], "the stream is gone")

# --- errors, in CBOR -----------------------------------------------------------------------------------------
e = error("DescribeStream", {"StreamName": "c"}, "ResourceNotFoundException")
check("Stream c under account" in e.get("message", ""), f"ResourceNotFoundException's message: {e}")
error("CreateStream", {"StreamName": "bad name!", "ShardCount": 1}, "ValidationException")
error("NoSuchOperation", {}, "UnknownOperationException")
error("GetShardIterator", {"StreamName": "x", "ShardId": "s", "ShardIteratorType": "AT_TIMESTAMP",
                           "Timestamp": CBORTag(1, "not a number")}, "SerializationException")
for bad in (b"\xa1", b"\xa1\x63abc", b"\x1c", b"\xa1\x01\x02", b"\x80", b"\xa0\xa0", b"\xa1\x61a\x62\xff\xfe",
            b"\x9f" * 100 + b"\xff" * 100, b"\xbb" + b"\xff" * 8):
    status, ctype, raw = raw_call("ListStreams", bad)
    try:
        answer = decode(raw)
    except Exception as ex:
        answer = ex
    check(status == 400 and ctype == CBOR and isinstance(answer, dict) and
          answer.get("__type") == "SerializationException", f"malformed {bad[:16]!r}: {status} {ctype} {answer!r}")
# the server's own error: a body over --max-body (413)
status, ctype, raw = raw_call("ListStreams", b"\xa0" + b"\x00" * (9 << 20))
check(status == 413 and ctype == CBOR and decode(raw).get("__type") == "SerializationException",
      f"413 in CBOR: {status} {ctype} {raw[:80]!r}")
if auth_port:  # an unsigned request to a server with --auth: AWS's refusal, in CBOR
    error("ListStreams", {}, "MissingAuthenticationTokenException", on=auth_port)
# JSON is still JSON beside CBOR
status, ctype, raw = raw_call("ListStreams", b"{}", content_type="application/x-amz-json-1.1")
check(status == 200 and ctype == "application/x-amz-json-1.1" and raw.startswith(b"{"), f"JSON: {ctype} {raw[:60]!r}")

print(f"cbor client: {'all checks passed' if not failures else str(len(failures)) + ' failed'}")
sys.exit(1 if failures else 0)
