#!/usr/bin/env bash
# soak.sh PATH/TO/shardlab [SECONDS] - a soak of `shardlab serve --data DIR --mapping FILE`: SECONDS (default
# 600; ctest runs 45) of bounded mixed load through boto3 (10 puts a second, a reader tailing every shard with
# GetRecords, ListShards and DescribeStreamSummary, a prober reading single records back) while a mapping's
# handler fails about 1% of its batches, which go unretried to an on-failure file. Checks that the server stays
# flat (open descriptors within 2 and RSS within 4 MiB plus the records it retains, between the sample after
# the warm-up and the last one) and that nothing is lost: every acknowledged record reads back from
# TRIM_HORIZON, and the mapping handled each once (delivered, or in a failed batch the on-failure file names,
# matching the summary's counts). Prints the figures.
. "$(dirname "$0")/../cli/lib.sh"
seconds=${2:-${SOAK_SECONDS:-600}}
warmup=$((seconds >= 300 ? 60 : 10))
cp "$src"/tests/soak/mapping.lua "$src"/tests/soak/handler.lua "$tmp/"
cd "$tmp" || exit 1
export DELIVERY_LOG="$tmp/deliveries.log"
: >"$DELIVERY_LOG"
client() { HOME=$tmp /usr/bin/python3 "$src/tests/soak/soak_client.py" "$@"; }
start_server --data "$tmp/data" --mapping mapping.lua
echo "soak: $seconds s of load, samples from $warmup s on"
client load "$port" "$server_pid" "$seconds" "$warmup" run.json || fail "the load: $(tail -5 "$tmp/server.err")"
# AddressSanitizer keeps freed memory in quarantine (256 MiB), so under it RSS grows by design: descriptors only.
rss=rss
# (grep without -q: under pipefail, an ldd that grep -q's early exit killed with SIGPIPE would fail the test.)
if ldd "$shardlab" | grep libasan >/dev/null; then rss=""; echo "soak: AddressSanitizer build: RSS not checked"; fi
client flat run.json $rss || fail "the server's RSS or descriptors grew"
# The mapping catches up (a poll a second): then every acknowledged record has a line in the handler's log.
acked=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["acks"]))' run.json)
for _ in $(seq 1200); do [ "$(wc -l <deliveries.log)" -ge "$acked" ] && break; sleep 0.1; done
stop_server TERM
client account run.json deliveries.log failed.jsonl server.out || fail "the mapping's accounting: $(cat server.out)"
finish
