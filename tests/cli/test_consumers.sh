#!/usr/bin/env bash
# test_consumers.sh - enhanced fan-out's consumer operations (RegisterStreamConsumer, DescribeStreamConsumer,
# ListStreamConsumers, DeregisterStreamConsumer) through boto3: states (CREATING and DELETING for the server's
# --create-stream-ms and --delete-stream-ms), ARNs, limits, paging, deletion.
. "$(dirname "$0")/lib.sh"
start_server --create-stream-ms 500 --delete-stream-ms 500
HOME=$tmp /usr/bin/python3 "$src/tests/cli/consumers_client.py" "$port" || fail "consumers: $(cat "$tmp/server.err")"
stop_server TERM
finish
