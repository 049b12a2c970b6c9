"""A producer written for AWS (boto3), pointed at shardlab serve: 300 records over 10 keys, one by one and in
batches; prints each record's key, data and sequence number as the stream acknowledged them, tab-separated."""
import sys
import boto3

k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
for i in range(100):
    r = k.put_record(StreamName="orders", PartitionKey=f"customer-{i % 10}", Data=f"order {i}".encode())
    print(f"customer-{i % 10}", f"order {i}", r["SequenceNumber"], sep="\t")
for b in range(4):
    batch = [{"PartitionKey": f"customer-{i % 10}", "Data": f"order {i}".encode()} for i in range(100 + b * 50, 150 + b * 50)]
    r = k.put_records(StreamName="orders", Records=batch)
    assert r["FailedRecordCount"] == 0, r
    for entry, res in zip(batch, r["Records"]):
        print(entry["PartitionKey"], entry["Data"].decode(), res["SequenceNumber"], sep="\t")
