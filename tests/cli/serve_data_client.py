"""serve_data_client.py - boto3 against `shardlab serve --data` (test_serve_data.sh). `put PORT FILE`: creates a
stream, puts 200 records, splits a shard, puts 50 more, and writes what each put was acknowledged with to FILE.
`check PORT FILE`: after a restart, the stream has its shards and every acknowledged record, with the same
sequence number and data, in order per shard; then deletes it. Capacity survives too: an on-demand stream stays
on-demand, and the limits on its callers' capacity changes count what happened before the restart (AWS,
UpdateShardCount: at most 10 scalings per rolling 24 hours; UpdateStreamMode: two switches within 24 hours)."""
import json, sys
import boto3
import botocore

mode, port, path = sys.argv[1], sys.argv[2], sys.argv[3]
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")


def refused(call, **args):
    """The LimitExceededException AWS documents for the call, and nothing else."""
    try:
        call(**args)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "LimitExceededException", e.response
        return
    raise AssertionError(f"{call.__name__} {args} was accepted")


def arn(name):
    return k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


if mode == "put":
    k.create_stream(StreamName="ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    k.create_stream(StreamName="scaled", ShardCount=2)
    for target in [4, 2] * 5:  # ten scalings, each within double / half of the open shards
        k.update_shard_count(StreamName="scaled", TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    k.create_stream(StreamName="switched", ShardCount=1)
    for m in ["ON_DEMAND", "PROVISIONED"]:
        k.update_stream_mode(StreamARN=arn("switched"), StreamModeDetails={"StreamMode": m})
    k.create_stream(StreamName="kept", ShardCount=2)
    acks = []
    for i in range(250):
        if i == 200:
            k.split_shard(StreamName="kept", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2 ** 126))
        r = k.put_record(StreamName="kept", PartitionKey=f"key-{i % 13}", Data=f"record {i}".encode())
        acks.append([r["ShardId"], r["SequenceNumber"], f"record {i}"])
        with open(path, "w") as f:  # what was acknowledged so far, even if the server is killed now
            json.dump(acks, f)
else:
    acks = json.load(open(path))
    assert sorted(k.list_streams()["StreamNames"]) == ["kept", "ondemand", "scaled", "switched"]
    summary = k.describe_stream_summary(StreamName="ondemand")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND", summary
    summary = k.describe_stream_summary(StreamName="scaled")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2, summary
    refused(k.update_shard_count, StreamName="scaled", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    summary = k.describe_stream_summary(StreamName="switched")["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "PROVISIONED", summary
    refused(k.update_stream_mode, StreamARN=arn("switched"), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    for name in ["ondemand", "scaled", "switched"]:
        k.delete_stream(StreamName=name)
    shards = k.list_shards(StreamName="kept")["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(4)], shards
    assert shards[2]["ParentShardId"] == "shardId-000000000000"
    for shard in {a[0] for a in acks}:
        it = k.get_shard_iterator(StreamName="kept", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = []
        while it:
            out = k.get_records(ShardIterator=it)
            got += [[shard, r["SequenceNumber"], r["Data"].decode()] for r in out["Records"]]
            if not out["Records"]:
                break
            it = out.get("NextShardIterator")
        want = [a for a in acks if a[0] == shard]
        assert got == want, f"{shard}: {len(got)} records back, {len(want)} acknowledged"
    k.delete_stream(StreamName="kept")
    print(f"{len(acks)} acknowledged records back after SIGKILL and restart")
