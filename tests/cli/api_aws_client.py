"""api_aws_client.py - today's AWS API surface against `shardlab serve` (test_api_aws.sh, Debian's python3 with
its boto3 and the AWS CLI /usr/bin/aws): stream status transitions and the calls each status refuses,
StreamARN on every operation that takes one, ListStreams and ListShards paging, every ShardFilter type after
a split (the expected shards come from that split), and each operation added since the 2013 API (tags by
ARN, limits, encryption, enhanced monitoring, resource policies, account settings, record size, warm
throughput, record distribution, channels), operations botocore lacks as raw JSON over http.client.

`main PORT`: the walk (the server's status times are 300 ms). `persist-set PORT` / `persist-check PORT`: a
durable stream's settings before and after a restart of `serve --data`."""
import base64, hashlib, http.client, json, os, subprocess, sys, time

import boto3
import botocore
import botocore.exceptions

mode, port = sys.argv[1], int(sys.argv[2])
endpoint = f"http://127.0.0.1:{port}"
ACCOUNT, REGION = "123456789012", "us-east-1"
env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION=REGION, AWS_PAGER="")
k = boto3.client("kinesis", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="x",
                 aws_secret_access_key="x")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def arn(name):
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def raw(op, body):
    """An operation sent as JSON with X-Amz-Target, as an SDK whose model has it would: (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/", json.dumps(body), {"X-Amz-Target": f"Kinesis_20131202.{op}",
                                               "Content-Type": "application/x-amz-json-1.1"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else {}


model = k.meta.service_model
# Today's model (the JS SDK's @aws-sdk/client-kinesis 3.1143, botocore 1.43): its 45 operations, and those
# that take StreamARN. Debian's botocore (1.29) predates most of them, hence the lists here.
OPERATIONS = ["AddTagsToStream", "CreateChannel", "CreateStream", "DecreaseStreamRetentionPeriod", "DeleteChannel",
              "DeleteResourcePolicy", "DeleteStream", "DeregisterStreamConsumer", "DescribeAccountSettings",
              "DescribeChannel", "DescribeLimits", "DescribeStream", "DescribeStreamConsumer", "DescribeStreamSummary",
              "DisableEnhancedMonitoring", "EnableEnhancedMonitoring", "GetRecords", "GetResourcePolicy",
              "GetShardIterator", "IncreaseStreamRetentionPeriod", "ListChannels", "ListShards", "ListStreamConsumers",
              "ListStreams", "ListTagsForResource", "ListTagsForStream", "MergeShards", "PutRecord", "PutRecords",
              "PutResourcePolicy", "RegisterStreamConsumer", "RemoveTagsFromStream", "SplitShard",
              "StartStreamEncryption", "StopStreamEncryption", "SubscribeToShard", "TagResource", "UntagResource",
              "UpdateAccountSettings", "UpdateChannel", "UpdateMaxRecordSize", "UpdateShardCount", "UpdateStreamMode",
              "UpdateStreamRecordDistributionStrategy", "UpdateStreamWarmThroughput"]
TAKING_STREAM_ARN = ["AddTagsToStream", "DecreaseStreamRetentionPeriod", "DeleteStream", "DeregisterStreamConsumer",
                     "DescribeStream", "DescribeStreamConsumer", "DescribeStreamSummary", "DisableEnhancedMonitoring",
                     "EnableEnhancedMonitoring", "GetRecords", "GetShardIterator", "IncreaseStreamRetentionPeriod",
                     "ListShards", "ListStreamConsumers", "ListTagsForStream", "MergeShards", "PutRecord", "PutRecords",
                     "RegisterStreamConsumer", "RemoveTagsFromStream", "SplitShard", "StartStreamEncryption",
                     "StopStreamEncryption", "UpdateMaxRecordSize", "UpdateShardCount", "UpdateStreamMode",
                     "UpdateStreamRecordDistributionStrategy", "UpdateStreamWarmThroughput"]
CONSUMERS = {"RegisterStreamConsumer", "DeregisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
             "SubscribeToShard"}  # enhanced fan-out: another change


def wire(v):
    """A parameter as JSON: blobs base64, timestamps epoch seconds."""
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {key: wire(x) for key, x in v.items()}
    if isinstance(v, list):
        return [wire(x) for x in v]
    return v


def call(op, **params):
    """op through boto3 when Debian's botocore knows it and every parameter given (its model is from 2022: no
    StreamARN, no resource policies, ...), else as raw JSON; errors raise ClientError either way. Answers
    with members botocore's model lacks lose them through boto3: checks of those use raw()."""
    shape = model.operation_model(op).input_shape if op in model.operation_names else None
    if op in model.operation_names and set(params) <= set(shape.members if shape else []):
        return getattr(k, botocore.xform_name(op))(**params)
    status, body = raw(op, wire(params))
    if status != 200:
        raise botocore.exceptions.ClientError({"Error": {"Code": body.get("__type"), "Message": body.get("message")}}, op)
    return body


def error(op, **kw):
    """The (code, message) op raises, or (None, None)."""
    try:
        call(op, **kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, None


def expect(code, message, op, **kw):
    got = error(op, **kw)
    check(got[0] == code and (message is None or got[1] == message),
          f"{op}({kw}): expected {code} {message!r}, got {got}")


def aws(*args):
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json", "kinesis", *args], env=env,
                       capture_output=True, text=True)
    check(p.returncode == 0, f"aws {' '.join(args)}: {p.returncode} {p.stderr.strip()[:300]}")
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else {}


def status(name):
    return call("DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]


def wait_active(name):
    """Polls DescribeStreamSummary as a client would (boto3's waiter polls every 10 s); the seconds it took."""
    start = time.monotonic()
    while status(name) != "ACTIVE":
        if time.monotonic() - start > 10:
            check(False, f"{name} never became ACTIVE")
            break
        time.sleep(0.03)
    return time.monotonic() - start


def create(name, **kw):
    call("CreateStream", StreamName=name, **kw)
    wait_active(name)


def shard_ids(name, **kw):
    return [s["ShardId"] for s in call("ListShards", StreamName=name, **kw)["Shards"]]


# --- transitions -------------------------------------------------------------------------------------------

def transitions():
    call("CreateStream", StreamName="tr", ShardCount=2)
    check(status("tr") == "CREATING", "a new stream is CREATING")
    d = call("DescribeStream", StreamName="tr")["StreamDescription"]
    check(d["Shards"] == [] and d["StreamStatus"] == "CREATING", f"a CREATING stream lists no shards: {d}")
    summaries = {s["StreamName"]: s["StreamStatus"] for s in raw("ListStreams", {})[1]["StreamSummaries"]}
    check(summaries.get("tr") == "CREATING", f"ListStreams shows CREATING: {summaries}")
    not_found = f"Stream tr under account {ACCOUNT} not found."
    in_use = f"Stream tr under account {ACCOUNT} not ACTIVE, instead in state CREATING"
    expect("ResourceNotFoundException", not_found, "PutRecord", StreamName="tr", PartitionKey="a", Data=b"x")
    expect("ResourceNotFoundException", not_found, "PutRecords", StreamName="tr",
           Records=[{"PartitionKey": "a", "Data": b"x"}])
    expect("ResourceNotFoundException", f"Shard shardId-000000000000 in stream tr under account {ACCOUNT} does not "
           "exist", "GetShardIterator", StreamName="tr", ShardId="shardId-000000000000", ShardIteratorType="LATEST")
    expect("ResourceInUseException", in_use, "SplitShard", StreamName="tr", ShardToSplit="shardId-000000000000",
           NewStartingHashKey="2")
    expect("ResourceInUseException", in_use, "MergeShards", StreamName="tr", ShardToMerge="shardId-000000000000",
           AdjacentShardToMerge="shardId-000000000001")
    expect("ResourceInUseException", in_use, "ListShards", StreamName="tr")
    took = wait_active("tr")
    check(0.1 < took < 3, f"CREATING lasted {took:.2f} s with --create-stream-ms 300")
    check(len(call("DescribeStream", StreamName="tr")["StreamDescription"]["Shards"]) == 2, "ACTIVE: its 2 shards")

    call("SplitShard", StreamName="tr", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126))
    check(status("tr") == "UPDATING", "a split makes the stream UPDATING at once")
    expect("ResourceInUseException", f"Stream tr under account {ACCOUNT} not ACTIVE, instead in state UPDATING",
           "MergeShards", StreamName="tr", ShardToMerge="shardId-000000000002", AdjacentShardToMerge="shardId-000000000003")
    check(call("PutRecord", StreamName="tr", PartitionKey="a", Data=b"x")["SequenceNumber"], "puts go on while UPDATING")
    check(len(shard_ids("tr")) == 4, "ListShards answers while UPDATING")
    wait_active("tr")
    call("UpdateShardCount", StreamName="tr", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    check(status("tr") == "UPDATING", "UpdateShardCount makes it UPDATING")
    wait_active("tr")
    call("UpdateStreamMode", StreamARN=arn("tr"), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    check(status("tr") == "UPDATING", "UpdateStreamMode makes it UPDATING")
    wait_active("tr")
    call("StartStreamEncryption", StreamName="tr", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    check(status("tr") == "UPDATING", "StartStreamEncryption makes it UPDATING")
    expect("ResourceInUseException", None, "IncreaseStreamRetentionPeriod", StreamName="tr", RetentionPeriodHours=48)
    wait_active("tr")

    call("DeleteStream", StreamName="tr")
    check(status("tr") == "DELETING", "a deleted stream is DELETING at once")
    expect("ResourceNotFoundException", not_found, "PutRecord", StreamName="tr", PartitionKey="a", Data=b"x")
    expect("ResourceInUseException", f"Stream tr under account {ACCOUNT} already exists.", "CreateStream",
           StreamName="tr", ShardCount=1)
    start = time.monotonic()
    while error("DescribeStreamSummary", StreamName="tr")[0] is None and time.monotonic() - start < 10:
        time.sleep(0.03)
    check(error("DescribeStreamSummary", StreamName="tr") == ("ResourceNotFoundException", not_found),
          "a DELETING stream is gone once its time passed")
    check("tr" not in call("ListStreams")["StreamNames"], "and ListStreams no longer has it")


# --- StreamARN ---------------------------------------------------------------------------------------------

def stream_arn_walk():
    """Every operation of botocore's model that takes StreamARN, called with StreamARN alone."""
    create("a1", ShardCount=2)
    create("od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    a = arn("a1")
    it = call("GetShardIterator", StreamARN=a, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")
    calls = {
        "AddTagsToStream": lambda: call("AddTagsToStream", StreamARN=a, Tags={"t": "1"}),
        "ListTagsForStream": lambda: call("ListTagsForStream", StreamARN=a),
        "RemoveTagsFromStream": lambda: call("RemoveTagsFromStream", StreamARN=a, TagKeys=["t"]),
        "DescribeStream": lambda: call("DescribeStream", StreamARN=a),
        "DescribeStreamSummary": lambda: call("DescribeStreamSummary", StreamARN=a),
        "ListShards": lambda: call("ListShards", StreamARN=a),
        "PutRecord": lambda: call("PutRecord", StreamARN=a, PartitionKey="p", Data=b"1"),
        "PutRecords": lambda: call("PutRecords", StreamARN=a, Records=[{"PartitionKey": "p", "Data": b"2"}]),
        "GetShardIterator": lambda: call("GetShardIterator", StreamARN=a, ShardId="shardId-000000000000",
                                                         ShardIteratorType="LATEST"),
        "GetRecords": lambda: call("GetRecords", StreamARN=a, ShardIterator=it["ShardIterator"]),
        "IncreaseStreamRetentionPeriod": lambda: call("IncreaseStreamRetentionPeriod", StreamARN=a, RetentionPeriodHours=48),
        "DecreaseStreamRetentionPeriod": lambda: call("DecreaseStreamRetentionPeriod", StreamARN=a, RetentionPeriodHours=24),
        "EnableEnhancedMonitoring": lambda: call("EnableEnhancedMonitoring", StreamARN=a, ShardLevelMetrics=["ALL"]),
        "DisableEnhancedMonitoring": lambda: call("DisableEnhancedMonitoring", StreamARN=a, ShardLevelMetrics=["ALL"]),
        "StartStreamEncryption": lambda: call("StartStreamEncryption", StreamARN=a, EncryptionType="KMS", KeyId="k"),
        "StopStreamEncryption": lambda: (wait_active("a1"), call("StopStreamEncryption", StreamARN=a, EncryptionType="KMS",
                                                                                      KeyId="k")),
        "SplitShard": lambda: (wait_active("a1"), call("SplitShard", StreamARN=a, ShardToSplit="shardId-000000000001",
                                                                NewStartingHashKey=str(3 * 2**126))),
        "MergeShards": lambda: (wait_active("a1"), call("MergeShards", StreamARN=a, ShardToMerge="shardId-000000000002",
                                                                  AdjacentShardToMerge="shardId-000000000003")),
        "UpdateShardCount": lambda: (wait_active("a1"), call("UpdateShardCount", StreamARN=a, TargetShardCount=4,
                                                                             ScalingType="UNIFORM_SCALING")),
        "UpdateStreamMode": lambda: (wait_active("a1"), call("UpdateStreamMode", 
            StreamARN=a, StreamModeDetails={"StreamMode": "PROVISIONED"})),
        "UpdateMaxRecordSize": lambda: (wait_active("a1"), call("UpdateMaxRecordSize", StreamARN=a, MaxRecordSizeInKiB=1024)),
        "UpdateStreamWarmThroughput": lambda: call("UpdateStreamWarmThroughput", StreamARN=arn("od"), WarmThroughputMiBps=8),
        "UpdateStreamRecordDistributionStrategy": lambda: call("UpdateStreamRecordDistributionStrategy",
                                                               StreamARN=arn("od"),
                                                               RecordDistributionStrategy="USER_PARTITION_KEY"),
    }
    taking = set(TAKING_STREAM_ARN) - CONSUMERS - {"DeleteStream"}  # DeleteStream by ARN: at the end
    check(taking <= set(calls), f"operations that take StreamARN but are not walked: {sorted(taking - set(calls))}")
    for op, fn in calls.items():
        try:
            fn()
        except botocore.exceptions.ClientError as e:
            check(False, f"{op} by StreamARN: {e}")
    check(call("DescribeStream", StreamARN=a)["StreamDescription"]["StreamName"] == "a1", "DescribeStream by ARN")
    d = call("DescribeStreamSummary", StreamName="a1", StreamARN=a)["StreamDescriptionSummary"]
    check(d["StreamARN"] == a, "StreamName and StreamARN that agree are taken")
    expect("InvalidArgumentException", None, "DescribeStreamSummary", StreamName="od", StreamARN=a)
    pattern = r"arn:aws.*:kinesis:.*:\d{12}:stream/\S+"
    expect("ValidationException", "1 validation error detected: Value 'arn:aws:kinesis:us-east-1:123:stream/a1' at "
           f"'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}",
           "DescribeStreamSummary", StreamARN="arn:aws:kinesis:us-east-1:123:stream/a1")
    expect("ResourceNotFoundException", "Stream a1 under account 210987654321 not found.", "DescribeStreamSummary",
           StreamARN=f"arn:aws:kinesis:{REGION}:210987654321:stream/a1")
    expect("ResourceNotFoundException", f"Stream a1 under account {ACCOUNT} not found.", "PutRecord",
           StreamARN=f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/a1", PartitionKey="p", Data=b"x")
    expect("ResourceNotFoundException", f"Stream nope under account {ACCOUNT} not found.", "ListShards",
           StreamARN=arn("nope"))
    wait_active("a1")
    call("DeleteStream", StreamARN=arn("od"))
    check(status("od") == "DELETING", "DeleteStream by ARN")
    # The CLI's --stream-arn.
    check(aws("describe-stream-summary", "--stream-arn", a)["StreamDescriptionSummary"]["StreamName"] == "a1",
          "aws describe-stream-summary --stream-arn")
    check("SequenceNumber" in aws("put-record", "--stream-arn", a, "--partition-key", "p", "--data", "aGk="),
          "aws put-record --stream-arn")
    check(len(aws("list-shards", "--stream-arn", a).get("Shards", [])) == len(shard_ids("a1")),
          "aws list-shards --stream-arn")


# --- paging ------------------------------------------------------------------------------------------------

def paging():
    names = [f"p{i}" for i in range(5)]
    for n in names:
        call("CreateStream", StreamName=n, ShardCount=1)
    every = sorted(call("ListStreams", Limit=10000)["StreamNames"])
    check(set(names) <= set(every), f"the 5 streams are listed: {every}")
    pages = list(k.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}))
    got = [n for p in pages for n in p["StreamNames"]]
    check(got == every, f"boto3's paginator with PageSize 1: {got}, expected {every}")
    check(all(len(p["StreamNames"]) == 1 for p in pages), "a page of 1 each")
    page = raw("ListStreams", {"Limit": 2})[1]
    check([x["StreamName"] for x in page["StreamSummaries"]] == page["StreamNames"] == every[:2] and
          all(x["StreamARN"] == arn(x["StreamName"]) for x in page["StreamSummaries"]), f"StreamSummaries: {page}")
    cli = aws("list-streams", "--page-size", "1")
    check(cli.get("StreamNames") == every, f"aws list-streams --page-size 1: {cli.get('StreamNames')}")
    loop, token = [], None  # the JS SDK's paginator (and boto3 1.43's): NextToken alone until there is none
    while True:
        page = raw("ListStreams", {"Limit": 2, **({"NextToken": token} if token else {})})[1]
        loop += page["StreamNames"]
        token = page.get("NextToken")
        check(bool(token) == page["HasMoreStreams"], "NextToken exactly while HasMoreStreams")
        if not token:
            break
    check(loop == every, f"a token loop: {loop}")
    check(call("ListStreams", ExclusiveStartStreamName="p1", Limit=2)["StreamNames"] ==
          [n for n in every if n > "p1"][:2], "ExclusiveStartStreamName")
    expect("InvalidArgumentException", "Invalid NextToken.", "ListStreams", NextToken="bm9wZQ==")
    # ListShards: MaxResults 1 and its NextToken.
    wait_active("p0")
    call("UpdateShardCount", StreamName="p0", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    got, token = [], None
    while True:
        page = call("ListShards", MaxResults=1, **({"NextToken": token} if token else {"StreamName": "p0"}))
        got += [s["ShardId"] for s in page["Shards"]]
        token = page.get("NextToken")
        if not token:
            break
    check(got == shard_ids("p0") and len(got) == 3, f"ListShards page by page: {got}")
    token = call("ListShards", StreamName="p0", MaxResults=1)["NextToken"]
    expect("InvalidArgumentException", "NextToken and StreamName cannot be provided together.", "ListShards",
           StreamName="p0", NextToken=token)
    expect("InvalidArgumentException", "NextToken and ShardFilter cannot be provided together.", "ListShards",
           NextToken=token, ShardFilter={"Type": "AT_LATEST"})
    expect("InvalidArgumentException", "NextToken and ExclusiveStartShardId cannot be provided together.",
           "ListShards", NextToken=token, ExclusiveStartShardId="shardId-000000000000")
    for n in names:
        wait_active(n)


# --- ShardFilter -------------------------------------------------------------------------------------------

def shard_filters():
    create("f", ShardCount=2)
    before = call("ListShards", StreamName="f")["Shards"]
    time.sleep(1.2)
    t_before = time.time()
    time.sleep(1.2)
    parent = before[0]
    lo, hi = int(parent["HashKeyRange"]["StartingHashKey"]), int(parent["HashKeyRange"]["EndingHashKey"])
    call("SplitShard", StreamName="f", ShardToSplit=parent["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
    wait_active("f")
    after = call("ListShards", StreamName="f")["Shards"]
    children = [s["ShardId"] for s in after if s.get("ParentShardId") == parent["ShardId"]]
    check(len(children) == 2, f"the split made two children: {children}")
    time.sleep(1.2)
    t_after = time.time()
    initial = [s["ShardId"] for s in before]
    open_now = [i for i in initial if i != parent["ShardId"]] + children
    every = initial + children
    cases = [({"Type": "AT_LATEST"}, open_now), ({"Type": "AT_TRIM_HORIZON"}, initial),
             ({"Type": "FROM_TRIM_HORIZON"}, every),
             ({"Type": "AFTER_SHARD_ID", "ShardId": initial[-1]}, children),
             ({"Type": "AT_TIMESTAMP", "Timestamp": t_before}, initial),
             ({"Type": "AT_TIMESTAMP", "Timestamp": t_after}, open_now),
             ({"Type": "FROM_TIMESTAMP", "Timestamp": t_before}, every),
             ({"Type": "FROM_TIMESTAMP", "Timestamp": t_after}, open_now)]
    for f, want in cases:
        got = shard_ids("f", ShardFilter=f)
        check(sorted(got) == sorted(want), f"ShardFilter {f}: {got}, expected {want}")
    got, token = [], None  # a filter holds across pages
    while True:
        page = call("ListShards", MaxResults=1, **({"NextToken": token} if token else
                                              {"StreamName": "f", "ShardFilter": {"Type": "AT_LATEST"}}))
        got += [s["ShardId"] for s in page["Shards"]]
        token = page.get("NextToken")
        if not token:
            break
    check(sorted(got) == sorted(open_now), f"AT_LATEST page by page: {got}")
    cli = aws("list-shards", "--stream-name", "f", "--shard-filter", "Type=AT_LATEST")
    check(sorted(s["ShardId"] for s in cli.get("Shards", [])) == sorted(open_now), "aws list-shards --shard-filter")
    expect("InvalidArgumentException", "ShardId must be given for ShardFilter type AFTER_SHARD_ID.", "ListShards",
           StreamName="f", ShardFilter={"Type": "AFTER_SHARD_ID"})
    expect("InvalidArgumentException", "Timestamp must be given for ShardFilter type AT_TIMESTAMP.", "ListShards",
           StreamName="f", ShardFilter={"Type": "AT_TIMESTAMP"})
    expect("InvalidArgumentException", "Timestamp may not be given for ShardFilter type AT_LATEST.", "ListShards",
           StreamName="f", ShardFilter={"Type": "AT_LATEST", "Timestamp": t_after})
    status_code, body = raw("ListShards", {"StreamName": "f", "ShardFilter": {"Type": "LATEST"}})
    check(status_code == 400 and body.get("__type") == "ValidationException", f"an unknown filter type: {body}")


# --- the operations added since 2013 -----------------------------------------------------------------------

def new_operations():
    create("n", ShardCount=2)
    a = arn("n")
    call("TagResource", ResourceARN=a, Tags={"team": "data", "env": "test"})
    tags = {t["Key"]: t["Value"] for t in call("ListTagsForResource", ResourceARN=a)["Tags"]}
    check(tags == {"team": "data", "env": "test"}, f"TagResource, ListTagsForResource: {tags}")
    check({t["Key"] for t in call("ListTagsForStream", StreamName="n")["Tags"]} == {"team", "env"}, "the same tags")
    call("UntagResource", ResourceARN=a, TagKeys=["env"])
    check([t["Key"] for t in call("ListTagsForResource", ResourceARN=a)["Tags"]] == ["team"], "UntagResource")
    expect("ResourceNotFoundException", None, "ListTagsForResource", ResourceARN=a + "/consumer/c:1")
    expect("ValidationException", None, "ListTagsForResource", ResourceARN="arn:aws:kinesis:x")

    limits = call("DescribeLimits")
    open_shards = sum(len(shard_ids(n, ShardFilter={"Type": "AT_LATEST"})) for n in call("ListStreams")["StreamNames"]
                      if status(n) != "DELETING")
    on_demand = sum(s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND" for s in raw("ListStreams", {})[1]["StreamSummaries"]
                    if s["StreamStatus"] != "DELETING")
    check((limits["ShardLimit"], limits["OpenShardCount"], limits["OnDemandStreamCount"],
           limits["OnDemandStreamCountLimit"]) == (10000, open_shards, on_demand, 50), f"DescribeLimits: {limits}")

    call("StartStreamEncryption", StreamName="n", EncryptionType="KMS", KeyId="arn:aws:kms:us-east-1:123456789012:key/1")
    d = call("DescribeStreamSummary", StreamName="n")["StreamDescriptionSummary"]
    check((d["EncryptionType"], d.get("KeyId")) == ("KMS", "arn:aws:kms:us-east-1:123456789012:key/1"),
          f"StartStreamEncryption recorded: {d}")
    wait_active("n")
    check(call("PutRecord", StreamName="n", PartitionKey="a", Data=b"x")["EncryptionType"] == "KMS", "puts say KMS")
    check(call("PutRecords", StreamName="n", Records=[{"PartitionKey": "a", "Data": b"x"}])["EncryptionType"] == "KMS",
          "PutRecords says KMS")
    call("StopStreamEncryption", StreamName="n", EncryptionType="KMS", KeyId="arn:aws:kms:us-east-1:123456789012:key/1")
    d = call("DescribeStream", StreamName="n")["StreamDescription"]
    check(d["EncryptionType"] == "NONE" and "KeyId" not in d, f"StopStreamEncryption: {d}")
    wait_active("n")

    m = call("EnableEnhancedMonitoring", StreamName="n", ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    check(m["CurrentShardLevelMetrics"] == [] and sorted(m["DesiredShardLevelMetrics"]) ==
          ["IncomingBytes", "OutgoingRecords"], f"EnableEnhancedMonitoring: {m}")
    m = call("DisableEnhancedMonitoring", StreamName="n", ShardLevelMetrics=["IncomingBytes"])
    check(m["DesiredShardLevelMetrics"] == ["OutgoingRecords"] and len(m["CurrentShardLevelMetrics"]) == 2,
          f"DisableEnhancedMonitoring: {m}")
    check(call("DescribeStreamSummary", StreamName="n")["StreamDescriptionSummary"]["EnhancedMonitoring"] ==
          [{"ShardLevelMetrics": ["OutgoingRecords"]}], "the metrics in DescribeStreamSummary")

    policy = '{"Version": "2012-10-17",  "Statement": [ ] }'
    call("PutResourcePolicy", ResourceARN=a, Policy=policy)
    check(call("GetResourcePolicy", ResourceARN=a)["Policy"] == policy, "GetResourcePolicy: the document as given")
    call("DeleteResourcePolicy", ResourceARN=a)
    check(call("GetResourcePolicy", ResourceARN=a)["Policy"] == "{}", "no policy after DeleteResourcePolicy")
    expect("ResourceNotFoundException", None, "DeleteResourcePolicy", ResourceARN=a)
    expect("InvalidArgumentException", None, "PutResourcePolicy", ResourceARN=a, Policy="not json")

    check(call("DescribeAccountSettings")["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED", "no commitment")
    u = call("UpdateAccountSettings", MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    check(u["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED", f"UpdateAccountSettings: {u}")
    check(call("DescribeAccountSettings")["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED", "kept")

    big = b"b" * (1536 * 1024)
    expect("ValidationException", None, "PutRecord", StreamName="n", PartitionKey="a", Data=big)
    call("UpdateMaxRecordSize", StreamARN=a, MaxRecordSizeInKiB=2048)
    check(raw("DescribeStreamSummary", {"StreamName": "n"})[1]["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] == 2048,
          "MaxRecordSizeInKiB shown")
    check(call("PutRecord", StreamName="n", PartitionKey="a", Data=big)["SequenceNumber"], "a 1.5 MiB record after it")

    expect("InvalidArgumentException", None, "UpdateStreamWarmThroughput", StreamName="n", WarmThroughputMiBps=10)
    create("w", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    w = call("UpdateStreamWarmThroughput", StreamName="w", WarmThroughputMiBps=10)["WarmThroughput"]
    check(w["TargetMiBps"] == 10, f"UpdateStreamWarmThroughput: {w}")
    summary = raw("DescribeStreamSummary", {"StreamName": "w"})[1]["StreamDescriptionSummary"]
    check(summary["WarmThroughput"]["TargetMiBps"] == 10 and summary["RecordDistributionStrategy"] ==
          "USER_PARTITION_KEY",
          "WarmThroughput shown")

    # UpdateStreamRecordDistributionStrategy: botocore may not know it; AUTO spreads one key over the shards.
    st, body = raw("UpdateStreamRecordDistributionStrategy", {"StreamARN": a, "RecordDistributionStrategy": "AUTO"})
    check(st == 400 and body.get("__type") == "InvalidArgumentException", f"AUTO on a provisioned stream: {body}")
    st, body = raw("UpdateStreamRecordDistributionStrategy", {"StreamARN": arn("w"), "RecordDistributionStrategy": "AUTO"})
    check(st == 200, f"AUTO on an on-demand stream: {body}")
    spread = {call("PutRecord", StreamName="w", PartitionKey="same", Data=b"x")["ShardId"] for _ in range(8)}
    check(len(spread) == 4, f"AUTO: one key over the 4 shards: {spread}")
    raw("UpdateStreamRecordDistributionStrategy", {"StreamARN": arn("w"), "RecordDistributionStrategy": "USER_PARTITION_KEY"})
    kept = {call("PutRecord", StreamName="w", PartitionKey="same", Data=b"x")["ShardId"] for _ in range(8)}
    check(len(kept) == 1, f"USER_PARTITION_KEY: one key, one shard: {kept}")

    st, body = raw("ListChannels", {})
    check(st == 200 and body.get("ChannelSummaries") == [], f"ListChannels: {body}")
    st, body = raw("DescribeChannel", {"ChannelARN": "arn:aws:kinesis:us-east-1:123456789012:channel/c"})
    check(body.get("__type") == "ResourceNotFoundException", f"DescribeChannel: {body}")
    st, body = raw("CreateChannel", {"ChannelName": "c"})
    check(body.get("__type") == "InvalidArgumentException", f"CreateChannel: {body}")

    # Every operation of the SDKs' models is answered (the JS SDK's 45: botocore's and the channels').
    unknown = [op for op in OPERATIONS if op not in CONSUMERS and
               raw(op, {})[1].get("__type") == "UnknownOperationException"]
    check(unknown == [], f"operations answered UnknownOperationException: {unknown}")


# --- --data ------------------------------------------------------------------------------------------------

def persist_set():
    create("d", ShardCount=1)
    call("AddTagsToStream", StreamName="d", Tags={"keep": "me"})
    call("StartStreamEncryption", StreamName="d", EncryptionType="KMS", KeyId="key-1")
    wait_active("d")
    call("EnableEnhancedMonitoring", StreamName="d", ShardLevelMetrics=["IncomingRecords"])
    call("PutResourcePolicy", ResourceARN=arn("d"), Policy='{"Statement":[]}')
    call("UpdateMaxRecordSize", StreamARN=arn("d"), MaxRecordSizeInKiB=4096)


def persist_check():
    d = raw("DescribeStreamSummary", {"StreamName": "d"})[1]["StreamDescriptionSummary"]
    check(d["StreamStatus"] == "ACTIVE", f"a reopened stream is ACTIVE: {d['StreamStatus']}")
    check((d["EncryptionType"], d.get("KeyId")) == ("KMS", "key-1"), f"the encryption survives a restart: {d}")
    check(d["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingRecords"]}], f"the metrics survive: {d}")
    check(d["MaxRecordSizeInKiB"] == 4096, f"the record size survives: {d}")
    check(call("ListTagsForStream", StreamName="d")["Tags"] == [{"Key": "keep", "Value": "me"}], "the tags survive")
    check(call("GetResourcePolicy", ResourceARN=arn("d"))["Policy"] == '{"Statement":[]}', "the policy survives")


def paginate():
    """A newer boto3 (its ListStreams paginator follows NextToken, not ExclusiveStartStreamName)."""
    config = k.meta.service_model.operation_model("ListStreams").input_shape.members
    if "NextToken" not in config:
        print("api_aws_client.py: this botocore's ListStreams has no NextToken: paginate skipped")
        return
    every = sorted(raw("ListStreams", {"Limit": 10000})[1]["StreamNames"])
    pages = list(k.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}))
    got = [n for p in pages for n in p["StreamNames"]]
    check(got == every and len(pages) == len(every), f"boto3 {boto3.__version__}'s paginator, PageSize 1: {got}")
    check(all("NextToken" in p for p in pages[:-1]) and "NextToken" not in pages[-1], "NextToken while HasMoreStreams")


if mode == "main":
    paging()
    transitions()
    stream_arn_walk()
    shard_filters()
    new_operations()
elif mode == "paginate":
    paginate()
elif mode == "persist-set":
    persist_set()
else:
    persist_check()
sys.exit(1 if failures else 0)
