#!/usr/bin/env bash
# test_serve_data.sh - `shardlab serve --data DIR`: records acknowledged to boto3, and a split, survive killing
# the server with SIGKILL, under every fsync policy: the server writes what it acknowledges to the kernel
# before it answers, so a process crash loses nothing acknowledged (the policy only decides what a machine
# crash may lose; with the default `interval` 39 of 200 acknowledged records used to be lost). A restarted
# server on the same folder serves them with the same sequence numbers; DeleteStream removes the stream's
# folder. An on-demand stream, and the history that AWS's limits on UpdateShardCount and UpdateStreamMode
# count, survive the restart too.
. "$(dirname "$0")/lib.sh"
client() { HOME=$tmp /usr/bin/python3 "$src/tests/cli/serve_data_client.py" "$1" "$port" "$tmp/acks.json"; }
for policy in always interval never; do
  data=$tmp/data-$policy
  start_server --data "$data" --fsync "$policy"
  client put || fail "$policy: putting records"
  { kill -9 "$server_pid" && wait "$server_pid"; } 2>/dev/null
  start_server --data "$data" --fsync "$policy"
  client check || fail "$policy: after the restart"
  [ ! -e "$data/kept" ] || fail "$policy: DeleteStream left $data/kept"
  stop_server TERM
done
finish
