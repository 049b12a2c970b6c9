"""soak_client.py - the bounded mixed load of tests/soak/soak.sh, through boto3, and its accounting.

`load PORT SERVER_PID SECONDS WARMUP OUT`: for SECONDS, a writer puts 10 requests a second on a fixed schedule
(PutRecords of 1 to 8 records and PutRecord in turn, 10 keys, data "nNUMBER " and 20 to 60 bytes, never
retried: any error is a failure), a reader tails every shard with GetRecords once a second and calls ListShards
and DescribeStreamSummary, and a prober reads one acknowledged record back by AT_SEQUENCE_NUMBER twice a second.
The server's RSS (VmRSS) and open descriptors (/proc/PID/fd) are sampled every 10 s; "start" is the sample at
WARMUP, "end" the last one, taken before the load stops. Then every acknowledged record is read back from
TRIM_HORIZON (same shard, sequence number and data) and everything goes to OUT (JSON).
`flat OUT [rss]`: the server's descriptors, and with `rss` its RSS, at the end against the start (see flat()).
`account OUT DELIVERIES FAILED SUMMARY`: after the server stopped, every acknowledged record was handled once
by the mapping and nothing else was: delivered in a successful invocation or in a batch the handler failed (its
log DELIVERIES), never both; the on-failure file FAILED has the failed batches (their ends records the handler
failed, their sizes adding up), one per record numbered a multiple of 300 (handler.lua), and the server's
summary SUMMARY counts them as errors and records failed."""
import json, os, random, re, sys, threading, time
import boto3
import botocore
from botocore.config import Config

STREAM = "soak"


def client(port, attempts):
    """A client of its own session: creating clients of the default session from several threads is not safe."""
    return boto3.session.Session().client("kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"},
                                      connect_timeout=10, read_timeout=30))


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return {"rss_kb": rss, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


class Load:
    def __init__(self, port, seconds):
        self.port, self.seconds, self.stop = port, seconds, threading.Event()
        self.acks, self.put_bytes, self.problems = [], 0, []
        self.counts = {"put_requests": 0, "get_records": 0, "records_tailed": 0, "list_shards": 0,
                       "describe": 0, "probes": 0, "read_throttles": 0}
        self.lock = threading.Lock()

    def guard(self, name, body):
        """Runs a thread's body; an exception ends the load as a failure."""
        try:
            body()
        except Exception as e:
            self.problems.append(f"{name}: {type(e).__name__}: {e}")
            self.stop.set()

    def write(self):
        k, rng, n = client(self.port, 1), random.Random(17), 0
        start = time.monotonic()
        for tick in range(self.seconds * 10):
            if self.stop.wait(max(0.0, start + tick / 10 - time.monotonic())):
                return
            batch = []
            for _ in range(rng.randint(1, 8) if tick % 2 == 0 else 1):
                batch.append({"PartitionKey": f"key-{rng.randrange(10)}",
                              "Data": f"n{n} {'d' * rng.randint(20, 60)}".encode()})
                n += 1
            if tick % 2 == 0:
                out = k.put_records(StreamName=STREAM, Records=batch)["Records"]
            else:
                out = [k.put_record(StreamName=STREAM, **batch[0])]
            for e, r in zip(batch, out):
                if "SequenceNumber" not in r:
                    raise RuntimeError(f"{e['Data'][:12]!r} refused: {r}")
            with self.lock:
                self.acks += [[r["ShardId"], r["SequenceNumber"], e["Data"].decode()] for e, r in zip(batch, out)]
                self.put_bytes += sum(len(e["PartitionKey"]) + len(e["Data"]) for e in batch)
            self.counts["put_requests"] += 1

    def read(self):
        k = client(self.port, 5)
        iterators = {}
        while not self.stop.wait(1.0):
            for s in k.list_shards(StreamName=STREAM)["Shards"]:
                if s["ShardId"] not in iterators:
                    iterators[s["ShardId"]] = k.get_shard_iterator(
                        StreamName=STREAM, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            self.counts["list_shards"] += 1
            k.describe_stream_summary(StreamName=STREAM)
            self.counts["describe"] += 1
            for shard, it in iterators.items():
                try:
                    out = k.get_records(ShardIterator=it, Limit=1000)
                except k.exceptions.ProvisionedThroughputExceededException:
                    self.counts["read_throttles"] += 1  # shared with the mapping's polls: next second
                    continue
                iterators[shard] = out["NextShardIterator"]
                self.counts["get_records"] += 1
                self.counts["records_tailed"] += len(out["Records"])

    def probe(self):
        k, rng = client(self.port, 5), random.Random(3)
        while not self.stop.wait(0.5):
            with self.lock:
                if not self.acks:
                    continue
                shard, seq, data = rng.choice(self.acks)
            try:
                it = k.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          StartingSequenceNumber=seq)["ShardIterator"]
                got = k.get_records(ShardIterator=it, Limit=1)["Records"]
            except k.exceptions.ProvisionedThroughputExceededException:
                self.counts["read_throttles"] += 1
                continue
            if not got or got[0]["SequenceNumber"] != seq or got[0]["Data"].decode() != data:
                raise RuntimeError(f"{shard} {seq}: read back as {got[:1]}")
            self.counts["probes"] += 1


def read_back(port, acks):
    """Every acknowledged record from TRIM_HORIZON, in its shard with its sequence number and data."""
    k = client(port, 10)
    found = []
    for s in k.list_shards(StreamName=STREAM)["Shards"]:
        it = k.get_shard_iterator(StreamName=STREAM, ShardId=s["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = k.get_records(ShardIterator=it, Limit=10000)
            found += [[s["ShardId"], r["SequenceNumber"], r["Data"].decode()] for r in out["Records"]]
            it = out.get("NextShardIterator") if out["Records"] or out.get("MillisBehindLatest", 0) > 0 else None
    return sorted(found) == sorted(acks), len(found)


def load(port, pid, seconds, warmup, out):
    run = Load(port, seconds)
    threads = [threading.Thread(target=run.guard, args=(name, body))
               for name, body in [("writer", run.write), ("reader", run.read), ("prober", run.probe)]]
    for t in threads:
        t.start()
    begin, samples, start = time.monotonic(), [], None
    for at in sorted({warmup, *range(10, seconds, 10)}):
        if at < warmup or run.stop.wait(max(0.0, begin + at - time.monotonic())):
            continue
        with run.lock:
            samples.append({"at": at, **sample(pid), "records": len(run.acks), "put_bytes": run.put_bytes})
    run.stop.set()
    for t in threads:
        t.join()
    ok, found = read_back(port, run.acks) if not run.problems else (False, 0)
    if not ok and not run.problems:
        run.problems.append(f"{found} records read back from TRIM_HORIZON, {len(run.acks)} acknowledged (or not the same)")
    json.dump({"acks": run.acks, "samples": samples, "counts": run.counts, "found": found,
               "problems": run.problems}, open(out, "w"))
    for p in run.problems:
        print("FAIL:", p, file=sys.stderr)
    return not run.problems


def account(out, deliveries, failed, summary):
    acks = json.load(open(out))["acks"]
    acked = {(shard, int(seq)) for shard, seq, _ in acks}
    log = {"delivered": [], "failing": []}
    for line in open(deliveries).read().splitlines():
        what, event_id = line.split(" ")
        shard, seq = event_id.rsplit(":", 1)
        log[what].append((shard, int(seq)))
    delivered = log["delivered"]
    problems = []
    if len(set(delivered)) != len(delivered):
        problems.append(f"{len(delivered) - len(set(delivered))} records delivered twice")
    # With PF 2 a batch holds one lane's records, so the range of a failed batch (all AWS's record gives) may
    # hold other lanes' records too: its ends must be records the handler failed, and the sizes add up.
    failing = set(log["failing"])
    batches = [json.loads(line)["KinesisBatchInfo"] for line in open(failed)] if os.path.exists(failed) else []
    for b in batches:
        ends = {(b["shardId"], int(b["startSequenceNumber"])), (b["shardId"], int(b["endSequenceNumber"]))}
        if not ends <= failing:
            problems.append(f"a failed batch the handler did not fail: {b}")
    in_failed = log["failing"]
    if sum(b["batchSize"] for b in batches) != len(in_failed) or len(failing) != len(in_failed):
        problems.append(f"the on-failure file has {sum(b['batchSize'] for b in batches)} records, the handler "
                        f"failed {len(in_failed)} ({len(failing)} distinct)")
    both = set(delivered) & set(in_failed)
    handled = set(delivered) | set(in_failed)
    if both:
        problems.append(f"{len(both)} records both delivered and in a failed batch")
    if handled != acked:
        problems.append(f"{len(acked - handled)} acknowledged records never handled by the mapping, "
                        f"{len(handled - acked)} handled that were never acknowledged")
    text = open(summary).read()

    def row(name):
        m = re.search(rf"^\s*{name}\s+([\d,]+)", text, re.M)
        return int(m.group(1).replace(",", "")) if m else None
    invocations, errors, failed_records = row("invocations"), row("errors"), row("records failed")
    if errors != len(batches) or failed_records != len(in_failed):
        problems.append(f"the summary says {errors} errors and {failed_records} records failed; the on-failure file "
                        f"has {len(batches)} batches of {len(in_failed)} records")
    planned = sum(1 for _, _, data in acks if int(data.split()[0][1:]) % 300 == 0)  # handler.lua's
    if len(batches) != planned or not invocations or not 0.002 <= len(batches) / invocations <= 0.05:
        problems.append(f"{len(batches)} failed batches of {invocations} invocations, {planned} planned")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    print(f"mapping: {invocations} invocations, {len(batches)} failed ({len(in_failed)} records to the on-failure "
          f"file), {len(set(delivered))} records delivered: {len(handled & acked)} of {len(acked)} acknowledged "
          f"records handled once")
    return not problems


def flat(out, check_rss):
    """RSS and descriptors at the end against the start: descriptors within 2 (a client's reconnection in
    flight), RSS within 4 MiB plus what the stream keeps of the records put in between (it holds every record
    for its 24-hour retention: a 48-byte header and the key and data bytes, docs/storage.md) plus 16 bytes a
    record of block and chunk slack."""
    run = json.load(open(out))
    if len(run["samples"]) < 2:
        print(f"FAIL: {len(run['samples'])} samples of the server", file=sys.stderr)
        return False
    start, end = run["samples"][0], run["samples"][-1]
    records = end["records"] - start["records"]
    retained_kb = (records * (48 + 16) + end["put_bytes"] - start["put_bytes"]) / 1024
    limit_kb = start["rss_kb"] + 4096 + retained_kb
    print(f"server at {start['at']} s: RSS {start['rss_kb']} kB, {start['fds']} descriptors, {start['records']} "
          f"records; at {end['at']} s: RSS {end['rss_kb']} kB, {end['fds']} descriptors, {end['records']} records "
          f"(RSS limit {limit_kb:.0f} kB: {retained_kb:.0f} kB of records retained in between)")
    print("samples (s, RSS kB, descriptors):", " ".join(f"{s['at']}:{s['rss_kb']}:{s['fds']}" for s in run["samples"]))
    print("load:", ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in run["counts"].items()))
    ok = abs(end["fds"] - start["fds"]) <= 2 and (end["rss_kb"] <= limit_kb or not check_rss)
    if not ok:
        print("FAIL: not flat", file=sys.stderr)
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "load":
        ok = load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "flat":
        ok = flat(sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "rss")
    else:
        ok = account(*sys.argv[2:6])
    sys.exit(0 if ok else 1)
