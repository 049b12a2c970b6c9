#!/usr/bin/env bash
# test_api.sh - starts `shardlab serve` on a free loopback port and runs real clients against it
# (api_clients.py: Debian's AWS CLI and boto3), then stops it with SIGTERM and checks it exits cleanly.
set -uo pipefail
shardlab=$(realpath "${1:?usage: test_api.sh PATH/TO/shardlab}")
here=$(dirname "$(realpath "$0")")
tmp=$(mktemp -d)
"$shardlab" serve --port 0 --iterator-ttl 1500 >"$tmp/out" 2>"$tmp/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening "$tmp/out" && break; sleep 0.1; done
port=$(grep -o '[0-9]*$' "$tmp/out")
[ -n "$port" ] || { echo "FAIL: the server did not start: $(cat "$tmp/err")" >&2; exit 1; }
HOME=$tmp /usr/bin/python3 "$here/api_clients.py" "$port"
status=$?
kill -TERM "$pid"
wait "$pid"
server=$?
[ "$server" -eq 0 ] || { echo "FAIL: the server exited $server after SIGTERM: $(cat "$tmp/err")" >&2; status=1; }
[ "$status" -eq 0 ] && echo "test_api: all checks passed"
exit "$status"
