"""api_clients.py - real AWS clients against `shardlab serve` (run by test_api.sh with Debian's python3, so
boto3 is Debian's python3-boto3 and the CLI Debian's /usr/bin/aws): the AWS CLI and boto3 each create a
stream, put records, read them back, split, list, merge and delete, and get the error codes AWS gives; plus
keep-alive and the request size limit over plain HTTP. Expected shards come from MD5 (hashlib) and AWS's
recorded routing, data from what was put."""
import base64, hashlib, http.client, json, os, subprocess, sys, time

import boto3
import botocore.config
import botocore.exceptions

port = int(sys.argv[1])
endpoint = f"http://127.0.0.1:{port}"
env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
           AWS_PAGER="")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def aws(*args, expect_error=None):
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json", "kinesis", *args],
                       env=env, capture_output=True, text=True)
    if expect_error:
        check(p.returncode != 0 and f"({expect_error})" in p.stderr, f"aws {args[0]}: expected {expect_error}, got "
              f"{p.returncode} {p.stderr.strip()[:200]}")
        return None
    check(p.returncode == 0, f"aws {' '.join(args[:3])}: exit {p.returncode}: {p.stderr.strip()[:300]}")
    return json.loads(p.stdout) if p.stdout.strip() else {}


def shard_of(key, shards):
    """The shard AWS routes key to in a new stream of `shards` shards: MD5 as a 128-bit number, even ranges."""
    h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
    size = (2 ** 128) // shards
    return f"shardId-{min(h // size, shards - 1):012d}"


# --- the AWS CLI ---------------------------------------------------------------------------------------------
aws("create-stream", "--stream-name", "cli", "--shard-count", "3")
s = aws("describe-stream-summary", "--stream-name", "cli")["StreamDescriptionSummary"]
check(s["OpenShardCount"] == 3 and s["StreamStatus"] == "ACTIVE" and s["RetentionPeriodHours"] == 24, s)
# AWS's recorded routing of these keys on 3 shards (kinesalite's tests): a->0, b->1, e->2, f->1.
recorded = {"a": 0, "b": 1, "e": 2, "f": 1}
put = {}
for key, shard in recorded.items():
    data = f"data of {key}".encode()
    r = aws("put-record", "--stream-name", "cli", "--partition-key", key, "--data", base64.b64encode(data).decode())
    check(r["ShardId"] == f"shardId-{shard:012d}" == shard_of(key, 3), f"put-record {key}: {r}")
    put.setdefault(r["ShardId"], []).append((r["SequenceNumber"], key, data))
entries = [{"PartitionKey": f"k{i}", "Data": base64.b64encode(f"batch {i}".encode()).decode()} for i in range(10)]
r = aws("put-records", "--stream-name", "cli", "--records", json.dumps(entries))
check(r["FailedRecordCount"] == 0 and len(r["Records"]) == 10, r)
for i, res in enumerate(r["Records"]):
    check(res["ShardId"] == shard_of(f"k{i}", 3), f"put-records k{i}: {res}")
    put.setdefault(res["ShardId"], []).append((res["SequenceNumber"], f"k{i}", f"batch {i}".encode()))
for shard, records in put.items():
    it = aws("get-shard-iterator", "--stream-name", "cli", "--shard-id", shard, "--shard-iterator-type",
             "TRIM_HORIZON")["ShardIterator"]
    got = aws("get-records", "--shard-iterator", it)
    seen = [(x["SequenceNumber"], x["PartitionKey"], base64.b64decode(x["Data"])) for x in got["Records"]]
    check(seen == records, f"get-records {shard}: {seen} != {records}")
    check(got["MillisBehindLatest"] == 0 and "NextShardIterator" in got, got)
    seqs = [int(x[0]) for x in seen]
    check(seqs == sorted(seqs), f"{shard}: sequence numbers out of order")
mid = str((2 ** 128) // 3 // 2)
aws("split-shard", "--stream-name", "cli", "--shard-to-split", "shardId-000000000000", "--new-starting-hash-key", mid)
shards = aws("list-shards", "--stream-name", "cli")["Shards"]
check([x["ShardId"] for x in shards] == [f"shardId-{i:012d}" for i in range(5)], shards)
check("EndingSequenceNumber" in shards[0]["SequenceNumberRange"] and shards[3]["ParentShardId"] == "shardId-000000000000"
      and shards[3]["HashKeyRange"]["EndingHashKey"] == str(int(mid) - 1), shards)
page = aws("list-shards", "--stream-name", "cli", "--max-results", "2", "--no-paginate")
check(len(page["Shards"]) == 2 and "NextToken" in page, page)
rest = aws("list-shards", "--next-token", page["NextToken"], "--no-paginate")
check([x["ShardId"] for x in rest["Shards"]] == [f"shardId-{i:012d}" for i in range(2, 5)], rest)
after = aws("list-shards", "--stream-name", "cli", "--exclusive-start-shard-id", "shardId-000000000002")
check([x["ShardId"] for x in after["Shards"]] == ["shardId-000000000003", "shardId-000000000004"], after)
aws("merge-shards", "--stream-name", "cli", "--shard-to-merge", "shardId-000000000003", "--adjacent-shard-to-merge",
    "shardId-000000000004")
shards = aws("list-shards", "--stream-name", "cli")["Shards"]
check(len(shards) == 6 and shards[5].get("AdjacentParentShardId") == "shardId-000000000004", shards)
# The end of a closed shard: its records, no next iterator, its children.
it = aws("get-shard-iterator", "--stream-name", "cli", "--shard-id", "shardId-000000000000", "--shard-iterator-type",
         "TRIM_HORIZON")["ShardIterator"]
got = aws("get-records", "--shard-iterator", it)
check("NextShardIterator" not in got and [c["ShardId"] for c in got.get("ChildShards", [])] ==
      ["shardId-000000000003", "shardId-000000000004"], got)
# Errors, with AWS's codes.
aws("describe-stream-summary", "--stream-name", "missing", expect_error="ResourceNotFoundException")
aws("create-stream", "--stream-name", "cli", "--shard-count", "1", expect_error="ResourceInUseException")
aws("create-stream", "--stream-name", "bad name!", "--shard-count", "1", expect_error="ValidationException")
aws("merge-shards", "--stream-name", "cli", "--shard-to-merge", "shardId-000000000001", "--adjacent-shard-to-merge",
    "shardId-000000000005", expect_error="InvalidArgumentException")
aws("update-shard-count", "--stream-name", "cli", "--target-shard-count", "100", "--scaling-type", "UNIFORM_SCALING",
    expect_error="LimitExceededException")
aws("get-records", "--shard-iterator", "AAAA" + it[4:], expect_error="InvalidArgumentException")
aws("get-shard-iterator", "--stream-name", "cli", "--shard-id", "shardId-000000000009", "--shard-iterator-type",
    "LATEST", expect_error="ResourceNotFoundException")
time.sleep(5.1)  # the server was started with --iterator-ttl 5000
aws("get-records", "--shard-iterator", it, expect_error="ExpiredIteratorException")
aws("delete-stream", "--stream-name", "cli")
check("cli" not in aws("list-streams")["StreamNames"], "deleted stream still listed")

# --- boto3 ---------------------------------------------------------------------------------------------------
k = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 1}))
k.create_stream(StreamName="sdk", ShardCount=2)
check(k.describe_stream_summary(StreamName="sdk")["StreamDescriptionSummary"]["OpenShardCount"] == 2, "boto3 summary")
sent = {}
for i in range(40):
    key, data = f"user-{i % 5}", f"event {i}".encode()
    r = k.put_record(StreamName="sdk", PartitionKey=key, Data=data)
    check(r["ShardId"] == shard_of(key, 2), f"boto3 put_record {key}: {r['ShardId']}")
    sent.setdefault(r["ShardId"], []).append((key, data))
r = k.put_records(StreamName="sdk", Records=[{"PartitionKey": f"user-{i % 5}", "Data": f"batch {i}".encode()}
                                             for i in range(20)])
check(r["FailedRecordCount"] == 0, r)
for i, res in enumerate(r["Records"]):
    sent.setdefault(res["ShardId"], []).append((f"user-{i % 5}", f"batch {i}".encode()))
for shard, records in sent.items():
    it = k.get_shard_iterator(StreamName="sdk", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = []
    while it and len(got) < len(records):
        out = k.get_records(ShardIterator=it, Limit=7)
        got += [(x["PartitionKey"], x["Data"]) for x in out["Records"]]
        it = out.get("NextShardIterator")
        time.sleep(0.2)  # a shard allows 5 GetRecords calls a second: page as a well-behaved consumer does
    check(got == records, f"boto3 get_records {shard}: per-key order or data differ")
k.split_shard(StreamName="sdk", ShardToSplit="shardId-000000000001",
              NewStartingHashKey=str((2 ** 128) // 4 * 3))
check(len(k.list_shards(StreamName="sdk")["Shards"]) == 4, "boto3 split")
k.merge_shards(StreamName="sdk", ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000003")
check(len(k.list_shards(StreamName="sdk")["Shards"]) == 5, "boto3 merge")
k.add_tags_to_stream(StreamName="sdk", Tags={"team": "data"})
check(k.list_tags_for_stream(StreamName="sdk")["Tags"] == [{"Key": "team", "Value": "data"}], "boto3 tags")
k.increase_stream_retention_period(StreamName="sdk", RetentionPeriodHours=48)
check(k.describe_stream(StreamName="sdk")["StreamDescription"]["RetentionPeriodHours"] == 48, "boto3 retention")
for call, code in [(lambda: k.describe_stream(StreamName="none"), "ResourceNotFoundException"),
                   (lambda: k.create_stream(StreamName="sdk", ShardCount=1), "ResourceInUseException"),
                   (lambda: k.decrease_stream_retention_period(StreamName="sdk", RetentionPeriodHours=72),
                    "InvalidArgumentException"),
                   (lambda: k.get_records(ShardIterator="bm90IGFuIGl0ZXJhdG9y"), "InvalidArgumentException")]:
    try:
        call()
        check(False, f"boto3: no {code}")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == code, f"boto3: {e.response['Error']} instead of {code}")
# UpdateShardCount: ten scalings per rolling 24 hours (AWS's default limit), then LimitExceededException.
for n in [4, 2] * 5:
    k.update_shard_count(StreamName="sdk", TargetShardCount=n, ScalingType="UNIFORM_SCALING")
try:
    k.update_shard_count(StreamName="sdk", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    check(False, "boto3: an eleventh scaling within 24 hours")
except botocore.exceptions.ClientError as e:
    check(e.response["Error"]["Code"] == "LimitExceededException" and
          "more than 10 times per rolling 24-hour period" in e.response["Error"]["Message"], e.response["Error"])
k.delete_stream(StreamName="sdk")

# --- capacity modes (docs/semantics.md, "Capacity modes") -----------------------------------------------------
# An ON_DEMAND stream takes no ShardCount and starts with 4 shards (AWS: 4 MB/s and 4,000 records/s of
# writes); the others are PROVISIONED; UpdateStreamMode switches the mode, keeping the shards, twice within
# 24 hours (AWS's limit), then LimitExceededException.
k.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
summary = k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
check(summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"} and summary["OpenShardCount"] == 4, summary)
desc = k.describe_stream(StreamName="od")["StreamDescription"]
check(desc["StreamModeDetails"]["StreamMode"] == "ON_DEMAND" and len(desc["Shards"]) == 4, desc["StreamModeDetails"])
conn = http.client.HTTPConnection("127.0.0.1", port)  # this boto3 predates ListStreams' StreamSummaries
conn.request("POST", "/", body="{}", headers={"X-Amz-Target": "Kinesis_20131202.ListStreams",
                                              "Content-Type": "application/x-amz-json-1.1"})
listed = json.loads(conn.getresponse().read())["StreamSummaries"]
conn.close()
check([s["StreamModeDetails"]["StreamMode"] for s in listed if s["StreamName"] == "od"] == ["ON_DEMAND"], listed)
k.create_stream(StreamName="prov", ShardCount=2)
check(k.describe_stream_summary(StreamName="prov")["StreamDescriptionSummary"]["StreamModeDetails"] ==
      {"StreamMode": "PROVISIONED"}, "a provisioned stream's StreamModeDetails")
arn = summary["StreamARN"]
for mode in ["PROVISIONED", "ON_DEMAND"]:
    k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": mode})
    after = k.describe_stream_summary(StreamName="od")["StreamDescriptionSummary"]
    check(after["StreamModeDetails"]["StreamMode"] == mode and after["OpenShardCount"] == 4, after)
for call, code in [(lambda: k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"}),
                    "LimitExceededException"),
                   (lambda: k.create_stream(StreamName="od2", ShardCount=2,
                                            StreamModeDetails={"StreamMode": "ON_DEMAND"}), "InvalidArgumentException"),
                   (lambda: k.update_stream_mode(StreamARN=arn.replace("/od", "/none"),
                                                 StreamModeDetails={"StreamMode": "ON_DEMAND"}),
                    "ResourceNotFoundException")]:
    try:
        call()
        check(False, f"boto3: no {code}")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == code, f"boto3: {e.response['Error']} instead of {code}")
k.delete_stream(StreamName="od")
k.delete_stream(StreamName="prov")

# --- HTTP: keep-alive, and the size limit -------------------------------------------------------------------
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"}
for _ in range(3):  # three requests, one connection
    conn.request("POST", "/", body="{}", headers=headers)
    resp = conn.getresponse()
    check(resp.status == 200 and json.loads(resp.read())["StreamNames"] == [], "keep-alive request")
conn.close()
conn = http.client.HTTPConnection("127.0.0.1", port)
conn.request("POST", "/", body="x" * (9 << 20), headers=headers)
resp = conn.getresponse()
check(resp.status == 413, f"a 9 MiB body got {resp.status}")
conn.close()

print(f"api clients: {'all checks passed' if not failures else str(len(failures)) + ' failed'}")
sys.exit(1 if failures else 0)
