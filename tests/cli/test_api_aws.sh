#!/usr/bin/env bash
# test_api_aws.sh - today's AWS API against `shardlab serve` with boto3 and the AWS CLI (api_aws_client.py):
# status transitions (300 ms each here) and the calls each status refuses, StreamARN on every operation that
# takes one, ListStreams and ListShards paging, every ShardFilter type, the operations added since 2013; then
# a durable stream's settings (tags, encryption, monitoring, policy, record size) across a restart of
# `serve --data`; and a `--mapping` stream ACTIVE at once.
. "$(dirname "$0")/lib.sh"
client="$src/tests/cli/api_aws_client.py"
start_server --create-stream-ms 300 --delete-stream-ms 300 --update-stream-ms 300
HOME=$tmp /usr/bin/python3 "$client" main "$port" || fail "the walk's checks"
# A newer boto3 than Debian's, when there is one (its paginator follows NextToken): the same streams page by page.
if command -v python3 >/dev/null && [ "$(command -v python3)" != /usr/bin/python3 ] && python3 -c 'import boto3' 2>/dev/null; then
  HOME=$tmp python3 "$client" paginate "$port" || fail "a newer boto3's paginator"
fi
stop_server TERM

start_server --data "$tmp/data" --update-stream-ms 50
HOME=$tmp /usr/bin/python3 "$client" persist-set "$port" || fail "setting a durable stream's settings"
stop_server TERM
[ -f "$tmp/data/d/settings.json" ] || fail "no settings.json beside the stream"
start_server --data "$tmp/data"
HOME=$tmp /usr/bin/python3 "$client" persist-check "$port" || fail "the settings after a restart"
stop_server TERM

# A stream `serve --mapping` creates for its mapping is usable at once, however long CREATING lasts.
cp "$src"/tests/data/serve/mapping.lua "$src"/tests/data/handlers/delivery_log.lua "$tmp/"
cd "$tmp" || exit 1
DELIVERY_LOG="$tmp/deliveries.log" start_server --mapping mapping.lua --workers 1 --create-stream-ms 60000
HOME=$tmp /usr/bin/python3 - "$port" <<'PY' || fail "a mapping's stream is not ACTIVE at once"
import sys, boto3
k = boto3.client("kinesis", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
s = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
assert s["StreamStatus"] == "ACTIVE", s
k.put_record(StreamName="orders", PartitionKey="k", Data=b"x")
k.create_stream(StreamName="other", ShardCount=1)
assert k.describe_stream_summary(StreamName="other")["StreamDescriptionSummary"]["StreamStatus"] == "CREATING"
PY
stop_server TERM
finish
