#!/usr/bin/env bash
# test_serve_mapping.sh - `shardlab serve --mapping`: a boto3 producer loop (Debian's python3-boto3) writes 300
# records to a served stream, and a Lua handler of the mapping receives every one of them exactly once, in
# per-key order, with the sequence numbers the producer was given; a boto3 reader then still gets all 300 from
# TRIM_HORIZON (the mapping is not the stream's only reader); SIGTERM then stops the server, which prints the
# mapping's summary and exits 0. A file may declare its stream on-demand: it is created so (boto3 sees
# ON_DEMAND and the 4 shards AWS's 4,000 records/s start with), and a durable stream of another mode is refused.
# A mapping with consumer = "efo" is a registered consumer of its stream. A batch the handler fails reaches the
# on-failure file at once.
. "$(dirname "$0")/lib.sh"
cp "$src"/tests/data/serve/* "$src"/tests/data/handlers/delivery_log.lua "$tmp/"
cd "$tmp" || exit 1
export DELIVERY_LOG="$tmp/deliveries.log"
start_server --mapping mapping.lua
HOME=$tmp /usr/bin/python3 producer.py "$port" >acks || fail "the producer: $(cat "$tmp/server.err")"
for _ in $(seq 100); do [ "$(wc -l <deliveries.log 2>/dev/null || echo 0)" -ge 300 ] && break; sleep 0.1; done
# The mapping is not the stream's only reader: what it consumed is still there for a client's GetRecords.
HOME=$tmp /usr/bin/python3 reader.py "$port" >read || fail "the reader: $(cat "$tmp/server.err")"
sort acks >acks.sorted && sort read >read.sorted
cmp -s acks.sorted read.sorted || fail "GetRecords after the mapping consumed: $(wc -l <read) of 300 records"
stop_server TERM
grep -q "records delivered" "$tmp/server.out" || fail "no summary after SIGTERM: $(cat "$tmp/server.out")"
python3 - acks deliveries.log <<'PY' || fail "deliveries"
import sys
acked = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
sent = {(key, data): int(seq) for key, data, seq in acked}
got = [l.split(" ", 2) for l in open(sys.argv[2]).read().splitlines()]
got = [(key, data, int(seq)) for key, seq, data in got]
assert len(sent) == 300, len(sent)
assert len(got) == 300, f"{len(got)} deliveries for 300 records"
assert {(k, d): s for k, d, s in got} == sent, "deliveries differ from what the producer was acknowledged"
last = {}
for key, data, seq in got:
    assert seq > last.get(key, -1), f"{key}: {data} delivered after a later record"
    last[key] = seq
print("300 records from boto3 delivered once each, in per-key order")
PY
# On-demand: created in that mode, durably; a file declaring it provisioned is then refused, naming both.
start_server --mapping on_demand.lua --data "$tmp/data"
HOME=$tmp /usr/bin/python3 - "$port" <<'PY' || fail "the on-demand served stream"
import sys, boto3
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
s = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
assert s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND", s
assert s["OpenShardCount"] == 4, s  # KDG: a new on-demand stream writes 4,000 records/s, 1,000 a shard
PY
stop_server TERM
if "$shardlab" serve --port 0 --mapping mapping.lua --data "$tmp/data" >out 2>err; then
  fail "a provisioned mapping file on an on-demand durable stream was accepted"
fi
grep -q "orders exists as an ON_DEMAND stream, not PROVISIONED" err || fail "the mode conflict: $(cat err)"
# A mapping with consumer = "efo" reads through a registered consumer, which clients see.
: >"$DELIVERY_LOG"
start_server --mapping fanout.lua
HOME=$tmp /usr/bin/python3 - "$port" <<'PY' || fail "the fan-out mapping's consumer"
import sys, boto3
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
arn = k.describe_stream_summary(StreamName="fanned")["StreamDescriptionSummary"]["StreamARN"]
c = k.list_stream_consumers(StreamARN=arn)["Consumers"]
assert [(x["ConsumerName"], x["ConsumerStatus"]) for x in c] == [("search", "ACTIVE")], c
assert c[0]["ConsumerARN"].startswith(arn + "/consumer/search:"), c
k.put_record(StreamName="fanned", PartitionKey="k", Data=b"pushed")
PY
for _ in $(seq 100); do grep -q pushed "$DELIVERY_LOG" && break; sleep 0.1; done
grep -q pushed "$DELIVERY_LOG" || fail "the fan-out mapping delivered nothing"
stop_server TERM
# A batch the handler fails is in the on-failure file while the server runs, not in a buffer a crash loses.
start_server --mapping failing.lua
HOME=$tmp /usr/bin/python3 - "$port" <<'PY' || fail "putting to the failing mapping"
import sys, boto3
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
k.put_record(StreamName="failing", PartitionKey="k", Data=b"doomed")
PY
for _ in $(seq 100); do [ -s failed.jsonl ] && break; sleep 0.1; done
grep -q '"RetryAttemptsExhausted"\|"condition"' failed.jsonl || fail "no failure record while the server runs: $(cat failed.jsonl 2>&1)"
{ kill -9 "$server_pid" && wait "$server_pid"; } 2>/dev/null
server_pid=""
finish
