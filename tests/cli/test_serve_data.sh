#!/usr/bin/env bash
# test_serve_data.sh - `shardlab serve --data DIR --fsync always`: records acknowledged to boto3, and a split,
# survive killing the server with SIGKILL; a restarted server on the same folder serves them with the same
# sequence numbers; DeleteStream removes the stream's folder.
set -uo pipefail
shardlab=$(realpath "${1:?usage: test_serve_data.sh PATH/TO/shardlab}")
here=$(dirname "$(realpath "$0")")
tmp=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
start() {
  "$shardlab" serve --port 0 --data "$tmp/data" --fsync always >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$tmp/out" && break; sleep 0.1; done
  port=$(grep -o '[0-9]*$' "$tmp/out" | head -1)
  [ -n "$port" ] || { echo "FAIL: the server did not start: $(cat "$tmp/err")" >&2; exit 1; }
}
start
HOME=$tmp /usr/bin/python3 "$here/serve_data_client.py" put "$port" "$tmp/acks.json" ||
  { echo "FAIL: putting records" >&2; exit 1; }
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
start
HOME=$tmp /usr/bin/python3 "$here/serve_data_client.py" check "$port" "$tmp/acks.json" ||
  { echo "FAIL: after the restart" >&2; exit 1; }
[ ! -e "$tmp/data/kept" ] || { echo "FAIL: DeleteStream left $tmp/data/kept" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: serve exited $? after SIGTERM" >&2; exit 1; }
echo "test_serve_data: all checks passed"
