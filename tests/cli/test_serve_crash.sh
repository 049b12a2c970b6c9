#!/usr/bin/env bash
# test_serve_crash.sh - crashes under concurrency: 8 boto3 writer processes put PutRecords batches into
# `shardlab serve --data DIR` (default fsync policy, interval) and the server is killed with SIGKILL at a random
# moment, 25 times over one folder, each start recovering what the earlier crashes left (trial 12 splits a
# shard first, so recovery crosses a reshard). Afterwards every acknowledged record is back, in its shard with
# its sequence number, sequence numbers rise within each shard, and nothing else is there: every record found
# was sent, once, no refused entry was stored (a request the kill left unanswered may or may not be there;
# writers never retry, so a record twice is a failure). The seed is printed; SEED=N replays a run.
. "$(dirname "$0")/lib.sh"
seed=${SEED:-$(( $(date +%s%N) / 1000 % 1000000 ))}
trials=${TRIALS:-25}
echo "seed $seed (SEED=$seed $0 ... replays it)"
RANDOM=$seed
data=$tmp/data logs=$tmp/logs
mkdir -p "$logs"
client() { HOME=$tmp /usr/bin/python3 "$src/tests/cli/serve_crash_client.py" "$@"; }
torn=0
for trial in $(seq 0 $((trials - 1))); do
  start_server --data "$data" --no-read-limits
  split=""
  [ "$trial" -ne 12 ] || split=split
  client trial "$port" "$logs" "$trial" "$seed" $split >"$tmp/trial.out" 2>&1 &
  writers=$!
  for _ in $(seq 3000); do [ -e "$logs/t$trial.running" ] || ! kill -0 "$writers" 2>/dev/null && break; sleep 0.01; done
  [ -e "$logs/t$trial.running" ] || fail "trial $trial: the writers did not start: $(cat "$tmp/trial.out")"
  sleep "$(printf '0.%03d' $((RANDOM % 1000)))" # the random moment of the crash: 0 to 1 s into the writing
  kill -9 "$server_pid" 2>/dev/null || fail "trial $trial: the server had already exited: $(cat "$tmp/server.err")"
  wait "$server_pid" 2>/dev/null
  server_pid=""
  wait "$writers" || fail "trial $trial: the writers: $(cat "$tmp/trial.out")"
  torn=$((torn + $(grep -c "cut a torn tail" "$tmp/server.err")))
  if [ "$failures" -ne 0 ]; then finish; fi
done
start_server --data "$data" --no-read-limits
torn=$((torn + $(grep -c "cut a torn tail" "$tmp/server.err")))
client check "$port" "$logs" || fail "after $trials crashes (seed $seed)"
echo "$torn torn tails cut on restart"
stop_server TERM
finish
