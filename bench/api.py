#!/usr/bin/env python3
"""bench/api.py - PutRecords throughput of `shardlab serve` against kinesalite, measured in the same run by the
same client: batches of 500 records (24-byte keys, 100-byte data) sent over one keep-alive connection, request
bodies built once beforehand so the client costs little. Both servers start on free loopback ports; kinesalite
comes from npm (installed into bench/node_modules on first use, or pass its folder). Target: >= 20x.
Usage: bench/api.py PATH/TO/shardlab [SECONDS] [KINESALITE_DIR]"""
import base64, http.client, json, os, re, shutil, socket, subprocess, sys, tempfile, time

shardlab = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
here = os.path.dirname(os.path.abspath(__file__))
kl_dir = sys.argv[3] if len(sys.argv) > 3 else here


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(conn, op, body):
    conn.request("POST", "/", body=body, headers={
        "X-Amz-Target": f"Kinesis_20131202.{op}", "Content-Type": "application/x-amz-json-1.1",
        # kinesalite wants a signature's shape (neither server verifies it)
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/kinesis/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{op}: {resp.status} {data[:200]}")
    return json.loads(data) if data.strip() else {}


def wait_for(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def measure(port, name):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    call(conn, "CreateStream", json.dumps({"StreamName": "bench", "ShardCount": 4}))
    for _ in range(100):  # kinesalite creates streams asynchronously
        if call(conn, "DescribeStreamSummary", json.dumps({"StreamName": "bench"}))["StreamDescriptionSummary"][
                "StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    data = base64.b64encode(b"x" * 100).decode()
    bodies = [json.dumps({"StreamName": "bench", "Records": [
        {"PartitionKey": f"device-{(b * 500 + i) * 2654435761 % 100000:016d}", "Data": data} for i in range(500)]})
        for b in range(20)]
    sent, failed, t0 = 0, 0, time.monotonic()
    headers = {"X-Amz-Target": "Kinesis_20131202.PutRecords", "Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Date": "20240101T000000Z", "Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/"
               "us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=" + "0" * 64}
    while time.monotonic() - t0 < seconds:  # the client only looks for the failure count: it costs little
        conn.request("POST", "/", body=bodies[(sent // 500) % len(bodies)], headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        m = re.search(rb'"FailedRecordCount"\s*:\s*(\d+)', data)
        if resp.status != 200 or m is None:
            raise RuntimeError(f"PutRecords: {resp.status} {data[:200]}")
        sent += 500
        failed += int(m.group(1))
    elapsed = time.monotonic() - t0
    conn.close()
    rate = (sent - failed) / elapsed
    print(f"  {name:<12} {rate:12.0f} records/s accepted ({failed} of {sent} throttled)")
    return rate


def main():
    kinesalite = os.path.join(kl_dir, "node_modules", "kinesalite", "cli.js")
    if not os.path.exists(kinesalite):
        subprocess.run(["npm", "install", "--prefix", kl_dir, "kinesalite", "--no-audit", "--no-fund"], check=True,
                       stdout=subprocess.DEVNULL)
    port = free_port()
    kl = subprocess.Popen(["node", kinesalite, "--port", str(port), "--createStreamMs", "0",
                           "--shardLimit", "100"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Neither server limits writes: kinesalite has no per-shard limits, so shardlab's are off too.
    sl = subprocess.Popen([shardlab, "serve", "--port", "0", "--no-write-limits", "--create-stream-ms", "0"], stdout=subprocess.PIPE, text=True)
    # And durable: every answer waits for its records' write(2) (fsync interval, the default).
    data_dir = tempfile.mkdtemp(prefix="shardlab-bench-api-")
    sd = subprocess.Popen([shardlab, "serve", "--port", "0", "--no-write-limits", "--create-stream-ms", "0", "--data", data_dir],
                          stdout=subprocess.PIPE, text=True)
    try:
        sl_port = int(re.search(r"(\d+)$", sl.stdout.readline()).group(1))
        sd_port = int(re.search(r"(\d+)$", sd.stdout.readline()).group(1))
        wait_for(port)
        print(f"bench_api: PutRecords of 500 records (24-byte keys, 100-byte data), one keep-alive connection, "
              f"{seconds:g} s each")
        theirs = measure(port, "kinesalite")
        ours = measure(sl_port, "shardlab")
        durable = measure(sd_port, "--data")
        print(f"  ratio        {ours / theirs:12.1f}x   (target >= 20)")
        print(f"  --data       {durable / theirs:12.1f}x   of kinesalite, {durable / ours:.2f}x of in-memory serve")
    finally:
        kl.terminate()
        sl.terminate()
        sd.terminate()
        sd.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


main()
