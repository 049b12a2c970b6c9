"""consumers_client.py - boto3 (Debian's) walks enhanced fan-out's consumer operations against `shardlab serve`
(test_consumers.sh): registered consumers are CREATING then ACTIVE, named by ARNs of AWS's form, found by ARN
and by stream ARN and name, listed page by page, at most 5 CREATING and 20 in all (API
RegisterStreamConsumer), DELETING once deregistered and then gone, and gone with their stream."""
import re, sys, time
import boto3
import botocore.config
import botocore.exceptions

# No retries: botocore retries LimitExceededException, by which time a CREATING consumer may be ACTIVE.
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x",
                 config=botocore.config.Config(retries={"total_max_attempts": 1}))
DELAY = 0.5  # the server's --create-stream-ms and --delete-stream-ms: consumers are CREATING and DELETING as long


def code(call, **args):
    try:
        call(**args)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def settle():
    time.sleep(DELAY + 0.2)


def create(name, shards):
    k.create_stream(StreamName=name, ShardCount=shards)
    while k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        time.sleep(0.05)


create("fan", 2)
arn = k.describe_stream_summary(StreamName="fan")["StreamDescriptionSummary"]["StreamARN"]
t0 = time.time()
c = k.register_stream_consumer(StreamARN=arn, ConsumerName="app-1")["Consumer"]
assert c["ConsumerStatus"] == "CREATING", c
assert re.fullmatch(r"arn:aws:kinesis:us-east-1:\d{12}:stream/fan/consumer/app-1:(\d+)", c["ConsumerARN"]), c
assert abs(int(c["ConsumerARN"].rsplit(":", 1)[1]) - t0) < 5, c
assert abs(c["ConsumerCreationTimestamp"].timestamp() - t0) < 5, c
assert code(k.register_stream_consumer, StreamARN=arn, ConsumerName="app-1") == "ResourceInUseException"
assert code(k.register_stream_consumer, StreamARN=arn, ConsumerName="bad name") == "ValidationException"
assert code(k.register_stream_consumer, StreamARN=arn.replace("/fan", "/nope"), ConsumerName="x") == \
    "ResourceNotFoundException"
settle()
d = k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
assert d["ConsumerStatus"] == "ACTIVE" and d["StreamARN"] == arn and d["ConsumerName"] == "app-1", d
d2 = k.describe_stream_consumer(StreamARN=arn, ConsumerName="app-1")["ConsumerDescription"]
assert d2["ConsumerARN"] == c["ConsumerARN"], d2
assert code(k.describe_stream_consumer, StreamARN=arn, ConsumerName="nobody") == "ResourceNotFoundException"
assert code(k.describe_stream_consumer, ConsumerName="app-1") == "InvalidArgumentException"

# At most 5 CREATING at once, 20 in all.
for i in range(2, 7):
    k.register_stream_consumer(StreamARN=arn, ConsumerName=f"app-{i}")
assert code(k.register_stream_consumer, StreamARN=arn, ConsumerName="app-7") == "LimitExceededException"
for i in range(7, 21):
    if (i - 7) % 5 == 0:
        settle()
    k.register_stream_consumer(StreamARN=arn, ConsumerName=f"app-{i}")
settle()
assert code(k.register_stream_consumer, StreamARN=arn, ConsumerName="app-21") == "LimitExceededException"
assert k.describe_stream_summary(StreamName="fan")["StreamDescriptionSummary"]["ConsumerCount"] == 20

# Listed page by page: every consumer once, in registration order.
pages = k.get_paginator("list_stream_consumers").paginate(StreamARN=arn, PaginationConfig={"PageSize": 3})
names = [x["ConsumerName"] for page in pages for x in page["Consumers"]]
assert names == [f"app-{i}" for i in range(1, 21)], names
first = k.list_stream_consumers(StreamARN=arn, MaxResults=7)
assert len(first["Consumers"]) == 7 and "NextToken" in first, first
assert code(k.list_stream_consumers, StreamARN=arn, NextToken="bm9wZQ==") == "InvalidArgumentException"

# Deregistered: DELETING, then gone; a name can then be registered again.
k.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
assert k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]["ConsumerStatus"] == "DELETING"
k.deregister_stream_consumer(StreamARN=arn, ConsumerName="app-2")
settle()
assert code(k.describe_stream_consumer, ConsumerARN=c["ConsumerARN"]) == "ResourceNotFoundException"
left = [x["ConsumerName"] for x in k.list_stream_consumers(StreamARN=arn, MaxResults=100)["Consumers"]]
assert left == [f"app-{i}" for i in range(3, 21)], left
k.register_stream_consumer(StreamARN=arn, ConsumerName="app-1")

# Gone with their stream.
k.delete_stream(StreamName="fan")
settle()
create("fan", 1)
assert k.list_stream_consumers(StreamARN=arn)["Consumers"] == []
print("consumer operations as AWS documents them")
