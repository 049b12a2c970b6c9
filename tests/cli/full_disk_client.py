"""full_disk_client.py - boto3 against `shardlab serve --data` on a tmpfs that fills up (test_full_disk.sh).
`fill PORT DISK ACKS`: creates a stream, fills the disk but for a little room with DISK/filler, puts records
until the server answers AWS's ServiceUnavailable (HTTP 503) for a full disk, checks that more puts are refused
the same way and that reads still answer with every acknowledged record; writes them to ACKS.
`resume PORT DISK ACKS`: frees the filler and puts 50 more (acknowledged again: writes resume), added to ACKS.
`check PORT ACKS`: after a SIGKILL and a restart, every acknowledged record is back with its sequence number,
in order, each once."""
import json, os, sys
import boto3
import botocore
from botocore.config import Config

mode, port = sys.argv[1], sys.argv[2]
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x",
                 config=Config(retries={"total_max_attempts": 1}))  # a 503 is seen, not retried away


def read_all():
    it = k.get_shard_iterator(StreamName="full", ShardId="shardId-000000000000",
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    while True:
        r = k.get_records(ShardIterator=it, Limit=10000)
        out += [(x["SequenceNumber"], x["Data"].decode()) for x in r["Records"]]
        if not r["Records"]:
            return out
        it = r["NextShardIterator"]


def put(i):
    return k.put_record(StreamName="full", PartitionKey=f"k{i % 5}", Data=f"{i:06d}:" + "x" * 2000)


if mode == "fill":
    disk, acks_path = sys.argv[3], sys.argv[4]
    k.create_stream(StreamName="full", ShardCount=1)
    st = os.statvfs(disk)
    with open(f"{disk}/filler", "wb") as f:
        f.write(b"\0" * (st.f_bavail * st.f_frsize - 40 * 1024))  # about 20 records of room left
    acked, i, refusal = [], 0, None
    while refusal is None and i < 1000:
        try:
            acked.append((put(i)["SequenceNumber"], f"{i:06d}"))
        except botocore.exceptions.ClientError as e:
            refusal = e.response
        i += 1
    assert refusal is not None, "the disk never filled"
    assert refusal["ResponseMetadata"]["HTTPStatusCode"] == 503, refusal
    assert refusal["Error"]["Code"] == "ServiceUnavailable", refusal
    assert "No space left on device" in refusal["Error"]["Message"], refusal
    assert ".seg" in refusal["Error"]["Message"], refusal
    assert len(acked) > 5, f"only {len(acked)} records before the disk was full"
    # While full: every put refused the same way, and reads answer with everything acknowledged.
    for _ in range(3):
        try:
            put(i)
            raise AssertionError("a put on a full disk was acknowledged")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ServiceUnavailable", e.response
        i += 1
    got = {seq: data[:6] for seq, data in read_all()}
    missing = [a for a in acked if got.get(a[0]) != a[1]]
    assert not missing, f"reads on a full disk miss {missing[:3]}"
    json.dump(acked, open(acks_path, "w"))
    print(f"{len(acked)} records before the disk was full")
elif mode == "resume":
    disk, acks_path = sys.argv[3], sys.argv[4]
    acked = json.load(open(acks_path))
    os.remove(f"{disk}/filler")  # space returns: writes resume
    for i in range(1000, 1050):
        acked.append((put(i)["SequenceNumber"], f"{i:06d}"))
    json.dump(acked, open(acks_path, "w"))
else:
    acked = json.load(open(sys.argv[3]))
    got = read_all()
    seqs = [s for s, _ in got]
    assert seqs == sorted(seqs, key=int) and len(set(seqs)) == len(seqs), "records out of order or twice"
    datas = [d[:6] for _, d in got]
    assert len(set(datas)) == len(datas), "a record stored twice"
    have = dict((s, d[:6]) for s, d in got)
    missing = [a for a in acked if have.get(a[0]) != a[1]]
    assert not missing, f"{len(missing)} acknowledged records lost after the restart, e.g. {missing[:3]}"
    print(f"{len(acked)} acknowledged records back ({len(got)} stored)")
