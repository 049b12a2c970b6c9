#!/usr/bin/env bash
# test_serve_data.sh - `shardlab serve --data DIR --fsync always`: records acknowledged to boto3, and a split,
# survive killing the server with SIGKILL; a restarted server on the same folder serves them with the same
# sequence numbers; DeleteStream removes the stream's folder. An on-demand stream, and the history that AWS's
# limits on UpdateShardCount and UpdateStreamMode count, survive the restart too.
. "$(dirname "$0")/lib.sh"
client() { HOME=$tmp /usr/bin/python3 "$src/tests/cli/serve_data_client.py" "$1" "$port" "$tmp/acks.json"; }
start_server --data "$tmp/data" --fsync always
client put || fail "putting records"
{ kill -9 "$server_pid" && wait "$server_pid"; } 2>/dev/null
start_server --data "$tmp/data" --fsync always
client check || fail "after the restart"
[ ! -e "$tmp/data/kept" ] || fail "DeleteStream left $tmp/data/kept"
stop_server TERM
finish
