"""A second consumer of the served stream, written for AWS (boto3): every record of every shard from
TRIM_HORIZON, printed as key, data and sequence number, tab-separated (the producer's format)."""
import sys
import boto3

k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
for shard in k.list_shards(StreamName="orders")["Shards"]:
    it = k.get_shard_iterator(StreamName="orders", ShardId=shard["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        got = k.get_records(ShardIterator=it, Limit=10000)
        for r in got["Records"]:
            print(r["PartitionKey"], r["Data"].decode(), r["SequenceNumber"], sep="\t")
        it = got.get("NextShardIterator") if got["Records"] or got.get("MillisBehindLatest", 0) > 0 else None
