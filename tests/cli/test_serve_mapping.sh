#!/usr/bin/env bash
# test_serve_mapping.sh - `shardlab serve --mapping`: a boto3 producer loop (Debian's python3-boto3) writes 300
# records to a served stream, and a Lua handler of the mapping receives every one of them exactly once, in
# per-key order, with the sequence numbers the producer was given; SIGTERM then stops the server, which
# prints the mapping's summary and exits 0.
set -uo pipefail
shardlab=$(realpath "${1:?usage: test_serve_mapping.sh PATH/TO/shardlab}")
src=${SHARDLAB_SOURCE_DIR:?}
tmp=$(mktemp -d)
cp "$src"/tests/data/serve/* "$src"/tests/data/handlers/delivery_log.lua "$tmp/"
cd "$tmp" || exit 1
DELIVERY_LOG="$tmp/deliveries.log" "$shardlab" serve --port 0 --mapping mapping.lua >out 2>err &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening out && break; sleep 0.1; done
port=$(grep -o '[0-9]*$' out | head -1)
[ -n "$port" ] || { echo "FAIL: the server did not start: $(cat err)" >&2; exit 1; }
failures=0
HOME=$tmp /usr/bin/python3 producer.py "$port" >acks || { echo "FAIL: the producer: $(cat err)" >&2; failures=1; }
for _ in $(seq 100); do [ "$(wc -l <deliveries.log 2>/dev/null || echo 0)" -ge 300 ] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || { echo "FAIL: serve exited $status after SIGTERM: $(cat err)" >&2; failures=$((failures + 1)); }
grep -q "records delivered" out || { echo "FAIL: no summary after SIGTERM: $(cat out)" >&2; failures=$((failures + 1)); }
python3 - acks deliveries.log <<'PY' || failures=$((failures + 1))
import sys
acked = [l.split(" ", 1)[0:1] + l.rsplit(" ", 1)[1:] + [l.split(" ", 1)[1].rsplit(" ", 1)[0]] for l in open(sys.argv[1]).read().splitlines()]
sent = {(key, data): int(seq) for key, seq, data in acked}
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
[ "$failures" -eq 0 ] && echo "test_serve_mapping: all checks passed"
exit "$failures"
