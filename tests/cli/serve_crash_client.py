"""serve_crash_client.py - boto3 writers and the final check of test_serve_crash.sh (SIGKILL under concurrency).

`trial PORT LOGS TRIAL SEED [split]`: creates the stream "crash" (4 shards) in trial 0, splits a shard first
with `split`, then forks 8 writers that put PutRecords batches (1 to 60 records, 16 keys, every fifth record
with an ExplicitHashKey) without retries (botocore total_max_attempts 1: an answered request was sent once).
Each writer logs to LOGS/tTRIAL-cN.jsonl, flushed per batch, what it is about to send ({"sent": [[data, key,
hash key or null], ...]}) and then per entry what the answer said ({"acked": [[data, shard, sequence number],
...], "refused": [data, ...]}). Once every writer has had an answer, LOGS/tTRIAL.running appears; a writer stops
at its first connection error (the server was killed) and logs it; any other error is logged as unexpected.
`check PORT LOGS`: reads every shard from TRIM_HORIZON and checks: each acknowledged record is there, in the
shard and with the sequence number it was acknowledged with; sequence numbers rise strictly within each shard
(and within each writer's acknowledgements per shard); every record found was sent, once, to a shard whose
hash key range holds its hash key; no refused entry was stored; no writer saw an unexpected error. Prints the
summary line."""
import glob, hashlib, json, os, random, sys, time
import boto3
import botocore
from botocore.config import Config

WRITERS, KEYS, STREAM = 8, 16, "crash"


def client(port, retries=1):
    return boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": retries, "mode": "standard"},
                                      connect_timeout=5, read_timeout=20))


def write(port, logs, trial, seed, n):
    """One writer: batches until the server goes away (or 60 s pass: the driver never killed it)."""
    rng = random.Random(f"{seed}-{trial}-{n}")
    k = client(port)
    log = open(f"{logs}/t{trial}-c{n}.jsonl", "w")
    started = f"{logs}/t{trial}-c{n}.answered"
    deadline, i = time.monotonic() + 60, 0
    while time.monotonic() < deadline:
        batch = []
        for _ in range(rng.choice([1, 2, 5, 10, 25, 60])):
            entry = {"PartitionKey": f"key-{rng.randrange(KEYS)}",
                     "Data": f"t{trial} c{n} r{i} {'x' * rng.randrange(200)}".encode()}
            if i % 5 == 0:
                entry["ExplicitHashKey"] = str(rng.randrange(2 ** 128))
            batch.append(entry)
            i += 1
        log.write(json.dumps({"sent": [[e["Data"].decode(), e["PartitionKey"], e.get("ExplicitHashKey")]
                                       for e in batch]}) + "\n")
        log.flush()
        try:
            out = k.put_records(StreamName=STREAM, Records=batch)
        except botocore.exceptions.HTTPClientError as e:  # connection refused, reset or closed: killed
            log.write(json.dumps({"stopped": type(e).__name__}) + "\n")
            return
        except Exception as e:
            log.write(json.dumps({"unexpected": f"{type(e).__name__}: {e}"}) + "\n")
            return
        acked = [[e["Data"].decode(), r["ShardId"], r["SequenceNumber"]]
                 for e, r in zip(batch, out["Records"]) if "SequenceNumber" in r]
        refused = [e["Data"].decode() for e, r in zip(batch, out["Records"]) if "SequenceNumber" not in r]
        log.write(json.dumps({"acked": acked, "refused": refused}) + "\n")
        log.flush()
        if not os.path.exists(started):
            open(started, "w").close()
    log.write(json.dumps({"unexpected": "never killed"}) + "\n")


def trial(port, logs, number, seed, split):
    k = client(port)
    if number == 0:
        k.create_stream(StreamName=STREAM, ShardCount=4)
    if split:  # recovery then crosses a reshard: shard 1 closed, its children open
        k.split_shard(StreamName=STREAM, ShardToSplit="shardId-000000000001", NewStartingHashKey=str(3 * 2 ** 125))
    pids = []
    for n in range(WRITERS):
        pid = os.fork()
        if pid == 0:
            try:
                write(port, logs, number, seed, n)
            finally:
                os._exit(0)
        pids.append(pid)
    while not all(os.path.exists(f"{logs}/t{number}-c{n}.answered") for n in range(WRITERS)):
        if any(os.waitpid(p, os.WNOHANG)[0] for p in pids):
            break  # a writer ended before its first answer: the check will say why
        time.sleep(0.01)
    open(f"{logs}/t{number}.running", "w").close()
    for p in pids:
        os.waitpid(p, 0)


def read_all(k):
    """Every shard's records from TRIM_HORIZON: {shard: (hash key range, [(sequence number, data, key)])}."""
    shards = {}
    for s in k.list_shards(StreamName=STREAM)["Shards"]:
        r = s["HashKeyRange"]
        it = k.get_shard_iterator(StreamName=STREAM, ShardId=s["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = []
        while it:
            out = k.get_records(ShardIterator=it, Limit=10000)
            got += [(int(x["SequenceNumber"]), x["Data"].decode(), x["PartitionKey"]) for x in out["Records"]]
            it = out.get("NextShardIterator") if out["Records"] or out.get("MillisBehindLatest", 0) > 0 else None
        shards[s["ShardId"]] = ((int(r["StartingHashKey"]), int(r["EndingHashKey"])), got)
    return shards


def check(port, logs):
    sent, acked, refused, problems = {}, {}, set(), []
    trials = set()
    for path in sorted(glob.glob(f"{logs}/t*-c*.jsonl")):
        trials.add(os.path.basename(path).split("-")[0])
        last = {}  # shard -> the writer's last acknowledged sequence number there
        for line in open(path):
            entry = json.loads(line)
            for data, key, hash_key in entry.get("sent", []):
                sent[data] = (key, hash_key)
            for data, shard, seq in entry.get("acked", []):
                acked[data] = (shard, int(seq))
                if int(seq) <= last.get(shard, -1):
                    problems.append(f"{path}: {data} acknowledged with {seq}, not above {last[shard]} on {shard}")
                last[shard] = int(seq)
            refused.update(entry.get("refused", []))
            if "unexpected" in entry:
                problems.append(f"{path}: {entry['unexpected']}")
    shards = read_all(client(port, retries=5))
    found = {}
    for shard, ((low, high), records) in shards.items():
        seqs = [seq for seq, _, _ in records]
        if any(a >= b for a, b in zip(seqs, seqs[1:])):
            problems.append(f"{shard}: sequence numbers not strictly increasing")
        for seq, data, key in records:
            if data not in sent:
                problems.append(f"{shard}: {seq} {data[:40]!r} was never sent")
                continue
            if data in found:
                problems.append(f"{data[:40]!r} stored twice: {found[data]} and {(shard, seq)}")
            found[data] = (shard, seq)
            want_key, hash_key = sent[data]
            h = int(hash_key) if hash_key is not None else int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
            if key != want_key or not low <= h <= high:
                problems.append(f"{shard}: {data[:40]!r} with key {key}, hash key {h} outside [{low}, {high}]")
    lost = [d for d in acked if found.get(d) != acked[d]]
    for d in lost[:10]:
        problems.append(f"acknowledged as {acked[d]}, found as {found.get(d)}: {d[:40]!r}")
    if lost:
        problems.append(f"{len(lost)} of {len(acked)} acknowledged records lost or moved")
    stored_refused = refused & found.keys()
    if stored_refused:
        problems.append(f"{len(stored_refused)} refused entries stored, e.g. {min(stored_refused)[:40]!r}")
    for p in problems[:30]:
        print("FAIL:", p, file=sys.stderr)
    unanswered = len(found) - len(acked.keys() & found.keys())
    print(f"{len(trials)} trials: {len(sent)} records sent, {len(acked)} acknowledged, {len(refused)} refused, "
          f"{len(found)} found in {len(shards)} shards ({unanswered} of them sent without an answer)")
    return not problems


if __name__ == "__main__":
    mode, port, logs = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "trial":
        trial(port, logs, int(sys.argv[4]), sys.argv[5], len(sys.argv) > 6 and sys.argv[6] == "split")
    else:
        sys.exit(0 if check(port, logs) else 1)
