"""subscribe_client.py - enhanced fan-out through boto3 (Debian's; botocore decodes the event stream itself)
against `shardlab serve` over HTTP/1.1 (test_subscribe.sh): SubscribeToShard from AT_SEQUENCE_NUMBER gets the
records from there on, then those put while it runs, with their data and sequence numbers; the events'
ContinuationSequenceNumber resumes after the last record (AFTER_SEQUENCE_NUMBER); a consumer that is not
registered is refused; a deregistered one's subscription ends with ResourceNotFoundException."""
import sys, threading, time
import boto3
import botocore.exceptions

k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
k.create_stream(StreamName="py", ShardCount=1)
arn = k.describe_stream_summary(StreamName="py")["StreamDescriptionSummary"]["StreamARN"]
consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="py")["Consumer"]["ConsumerARN"]
seqs = [k.put_record(StreamName="py", PartitionKey="k", Data=f"r{i}".encode())["SequenceNumber"] for i in range(4)]


def subscribe(position):
    return k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                StartingPosition=position)["EventStream"]


def put_later():
    time.sleep(0.3)
    for i in range(4, 7):
        seqs.append(k.put_record(StreamName="py", PartitionKey="k", Data=f"r{i}".encode())["SequenceNumber"])


threading.Thread(target=put_later).start()
got, last = [], None
for event in subscribe({"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": seqs[1]}):
    e = event["SubscribeToShardEvent"]
    got += [(r["Data"].decode(), r["SequenceNumber"]) for r in e["Records"]]
    last = e["ContinuationSequenceNumber"]
    if len(got) >= 5:
        break
assert got == [(f"r{i}", seqs[i]) for i in range(1, 7)], got
assert last == seqs[6], (last, seqs[6])
time.sleep(5.1)  # a new subscription of the same consumer and shard: at least 5 s after the last
k.put_record(StreamName="py", PartitionKey="k", Data=b"r7")
for event in subscribe({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}):
    recs = event["SubscribeToShardEvent"]["Records"]
    if recs:
        assert [r["Data"] for r in recs] == [b"r7"], recs
        break
try:
    k.subscribe_to_shard(ConsumerARN=arn + "/consumer/nobody:1", ShardId="shardId-000000000000",
                         StartingPosition={"Type": "LATEST"})
    raise AssertionError("an unknown consumer subscribed")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
time.sleep(5.1)
stream = subscribe({"Type": "LATEST"})
k.deregister_stream_consumer(ConsumerARN=consumer)
try:
    for event in stream:
        pass
    raise AssertionError("the subscription of a deregistered consumer did not end in an error")
except botocore.exceptions.EventStreamError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
print("SubscribeToShard through boto3 over HTTP/1.1")
