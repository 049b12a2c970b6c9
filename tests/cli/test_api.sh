#!/usr/bin/env bash
# test_api.sh - starts `shardlab serve` on a free loopback port and runs real clients against it
# (api_clients.py: Debian's AWS CLI and boto3), then stops it with SIGTERM and checks it exits cleanly.
. "$(dirname "$0")/lib.sh"
start_server --iterator-ttl 5000 # long enough for a slow CLI start on a busy machine; expiry is checked after it
HOME=$tmp /usr/bin/python3 "$src/tests/cli/api_clients.py" "$port" || fail "the clients' checks"
stop_server TERM
finish
