"""serve_data_client.py - boto3 against `shardlab serve --data` (test_serve_data.sh). `put PORT FILE`: creates a
stream, puts 200 records, splits a shard, puts 50 more, and writes what each put was acknowledged with to FILE.
`check PORT FILE`: after a restart, the stream has its shards and every acknowledged record, with the same
sequence number and data, in order per shard; then deletes it."""
import json, sys
import boto3

mode, port, path = sys.argv[1], sys.argv[2], sys.argv[3]
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
if mode == "put":
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
    assert k.list_streams()["StreamNames"] == ["kept"]
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
