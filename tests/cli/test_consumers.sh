#!/usr/bin/env bash
# test_consumers.sh - enhanced fan-out's consumer operations (RegisterStreamConsumer, DescribeStreamConsumer,
# ListStreamConsumers, DeregisterStreamConsumer) through boto3: states, ARNs, limits, paging, deletion.
. "$(dirname "$0")/lib.sh"
start_server
HOME=$tmp /usr/bin/python3 "$src/tests/cli/consumers_client.py" "$port" || fail "consumers: $(cat "$tmp/server.err")"
stop_server TERM
finish
