# lib.sh - what the end-to-end scripts share, sourced first by each: the executable's absolute path from the
# script's first argument, the source tree, a temporary folder removed at exit (with a server start_server
# began), fail() to count a failed check, start_server, and finish to report and set the exit status.
set -uo pipefail
shardlab=$(realpath "${1:?usage: $(basename "$0") PATH/TO/shardlab}")
src=${SHARDLAB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
server_pid=""
trap '[ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# start_server ARGS...: `shardlab serve --port 0 ARGS` in the background, from the current folder; sets
# server_pid, and port once the server says it listens (its output goes to $tmp/server.out and .err).
# Streams change status at once (--create-stream-ms 0 and the others): the scripts that use it test other
# things than the transitions, and create streams and use them at once. ARGS may set them again
# (test_api_aws.sh does).
start_server() {
  "$shardlab" serve --port 0 --create-stream-ms 0 --delete-stream-ms 0 --update-stream-ms 0 "$@" \
    >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  for _ in $(seq 300); do grep -qs listening "$tmp/server.out" && break
    kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  port=$(grep -o '[0-9]*$' "$tmp/server.out" | head -1)
  [ -n "$port" ] || { echo "FAIL: the server did not start: $(cat "$tmp/server.err")" >&2; exit 1; }
}

# stop_server SIGNAL: sends it and waits; fails the run unless the server exits with status 0.
stop_server() {
  kill "-$1" "$server_pid"
  wait "$server_pid"
  local status=$?
  server_pid=""
  [ "$status" -eq 0 ] || fail "serve exited $status after SIG$1: $(cat "$tmp/server.err")"
}

# finish: the verdict; a non-zero exit status when any check failed.
# check_bad FILE CASE MESSAGE: `SHARDLAB_BAD=CASE shardlab run FILE` (from the current folder) exits 1 before
# anything runs, saying MESSAGE.
check_bad() {
  SHARDLAB_BAD=$2 "$shardlab" run "$1" >"$tmp/bad.out" 2>"$tmp/bad.err"
  local status=$?
  [ "$status" -eq 1 ] || fail "$2: exit $status, not 1"
  grep -qF -- "$3" "$tmp/bad.err" || fail "$2: no '$3' in: $(cat "$tmp/bad.err")"
  grep -q "(nothing was run)" "$tmp/bad.err" || fail "$2: something ran"
}

finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed" >&2; exit 1; fi
  echo "$(basename "$0" .sh): all checks passed"
}
