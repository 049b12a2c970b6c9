#!/usr/bin/env bash
# test_full_disk.sh - durable storage on a disk that fills up, a small tmpfs: `shardlab serve --data` answers
# puts with AWS's ServiceUnavailable (HTTP 503) naming the file, reads go on, writes resume once space returns,
# and after a SIGKILL every acknowledged record is back; `shardlab run` on a durable stream stops with a message
# naming the file. Mounting needs root (CI runs as root); without it the test is skipped (exit 77).
. "$(dirname "$0")/lib.sh"
disk=$tmp/disk
mkdir "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (not root?)"
  exit 77
fi
trap '[ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null; umount "$disk" 2>/dev/null; rm -rf "$tmp"' EXIT

# 1. serve: full (killed and restarted while full: it starts, and what it acknowledged is there), freed,
# killed, restarted.
client() { /usr/bin/python3 "$src/tests/cli/full_disk_client.py" "$@"; }
kill_server() { { kill -9 "$server_pid" && wait "$server_pid"; } 2>/dev/null; }
start_server --data "$disk/data"
client fill "$port" "$disk" "$tmp/acks.json" || fail "serve on a full disk"
grep -q "No space left on device" "$tmp/server.err" || fail "serve did not say why: $(cat "$tmp/server.err")"
kill_server
start_server --data "$disk/data"
client check "$port" "$tmp/acks.json" || fail "after a restart on the full disk"
client resume "$port" "$disk" "$tmp/acks.json" || fail "writes did not resume when space returned"
kill_server
start_server --data "$disk/data"
client check "$port" "$tmp/acks.json" || fail "after the restart"
stop_server TERM
rm -rf "$disk/data"

# 2. run: a durable stream on a full disk stops the run, naming the file.
mkdir "$tmp/run" && printf "return function(event) end\n" >"$tmp/run/handler.lua"
cat >"$tmp/run/full.lua" <<LUA
local sl = require("shardlab")
sl.experiment {
  name = "full", duration = 60,
  stream = { shards = 1, data_dir = "$disk/run-data", fsync = "always" },
  producers = { { rate = 1000, record = function(i) return "k" .. (i % 10), string.rep("x", 1000) end } },
  mapping = { handler = "handler.lua" },
}
LUA
avail=$(df --output=avail -B1 "$disk" | tail -1)
head -c $((avail - 200 * 1024)) /dev/zero >"$disk/filler"
(cd "$tmp/run" && "$shardlab" run full.lua >out 2>err)
status=$?
[ "$status" -ne 0 ] || fail "run on a full disk exited 0"
grep -q "No space left on device" "$tmp/run/err" || fail "run did not say the disk is full: $(cat "$tmp/run/err")"
grep -q "$disk/run-data/shardId-000000000000/00000000000000000000.seg" "$tmp/run/err" ||
  fail "run did not name the file: $(cat "$tmp/run/err")"
finish
