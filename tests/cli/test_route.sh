#!/usr/bin/env bash
# test_route.sh - `shardlab route` end to end: every key's hash key and shard must equal what Python computes
# independently (hashlib MD5, big integers, the even split of DESIGN 1); keys from arguments and from stdin give
# the same answer; bad input exits 2 with a message naming the problem, never a crash.
. "$(dirname "$0")/lib.sh"

keys=(a b e f user-1 user-2 "order#42/eu-west-1" "é" "日本語" "😀" "key with spaces" "$(printf 'k%.0s' {1..256})")

expected() { # N KEY... -> "key<TAB>hash<TAB>shard" lines, computed without shardlab
  python3 - "$@" <<'PY'
import hashlib, sys
n = int(sys.argv[1])
q = 2**128 // n
for key in sys.argv[2:]:
    h = int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16)
    shard = min(h // q, n - 1)
    print(f"{key}\t{h}\tshardId-{shard:012d}")
PY
}

for n in 1 2 3 4 7 10000; do
  want=$(expected "$n" "${keys[@]}")
  got=$("$shardlab" route --shards "$n" "${keys[@]}") || fail "route --shards $n exited $?"
  [ "$got" == "$want" ] || fail "route --shards $n: got\n$got\nwant\n$want"
  got_stdin=$(printf '%s\n' "${keys[@]}" | "$shardlab" route --shards "$n") || fail "stdin route exited $?"
  [ "$got_stdin" == "$want" ] || fail "route --shards $n from stdin differs from the arguments"
done

# AWS's recorded routing on 3 shards (shared/reference/hash-ranges.json): a, b, e, f -> 0, 1, 2, 1.
got=$("$shardlab" route --shards 3 a b e f | cut -f3 | tr '\n' ' ')
[ "$got" == "shardId-000000000000 shardId-000000000001 shardId-000000000002 shardId-000000000001 " ] ||
  fail "recorded AWS routing: got $got"

# --json: a list of {key, hash_key, shard} with the same values.
json=$("$shardlab" route --shards 4 --json "${keys[@]}") || fail "--json exited $?"
python3 - "$json" "${keys[@]}" <<'PY' || fail "--json content"
import hashlib, json, sys
rows = json.loads(sys.argv[1]); keys = sys.argv[2:]
assert [r["key"] for r in rows] == keys, rows
for r in rows:
    h = int(hashlib.md5(r["key"].encode()).hexdigest(), 16)
    assert r["hash_key"] == str(h), r
    assert r["shard"] == "shardId-%012d" % min(h // (2**128 // 4), 3), r
PY

# CRLF line endings on stdin are not part of the key.
got=$(printf 'a\r\nb\r\n' | "$shardlab" route --shards 3 | cut -f1 | tr '\n' ' ')
[ "$got" == "a b " ] || fail "CRLF keys: got '$got'"

# Usage errors: exit status 2 and a message that names the problem.
expect_usage() { # MESSAGE-FRAGMENT CMD...
  local fragment=$1; shift
  local out status
  out=$("$@" 2>&1 </dev/null); status=$?
  [ "$status" -eq 2 ] || fail "'${*:2}' exited $status, want 2 ($out)"
  [[ "$out" == *"$fragment"* ]] || fail "'${*:2}': message lacks '$fragment': $out"
}
expect_usage "unknown option '--shard'" "$shardlab" route --shard 3 a
expect_usage "one of --shards N and --stream FILE.lua is required" "$shardlab" route a
expect_usage "one of --shards N and --stream FILE.lua is required" "$shardlab" route --shards 2 --stream x.lua a
expect_usage "--stream: cannot read" "$shardlab" route --stream "$src/none.lua" a
expect_usage "ShardCount 0 is out of range" "$shardlab" route --shards 0 a
expect_usage "ShardCount 10001 is out of range" "$shardlab" route --shards 10001 a
expect_usage "--shards 'x3' is not a whole number" "$shardlab" route --shards x3 a
expect_usage "--shards needs a number" "$shardlab" route --shards
expect_usage "argument 2: PartitionKey has 0 characters" "$shardlab" route --shards 3 a ""
expect_usage "PartitionKey has 257 characters" "$shardlab" route --shards 3 "$(printf 'k%.0s' {1..257})"
expect_usage "unknown command 'rout'" "$shardlab" rout
out=$(printf 'a\n\nb\n' | "$shardlab" route --shards 3 2>&1); status=$?
[ "$status" -eq 2 ] || fail "empty stdin line exited $status"
[[ "$out" == *"stdin line 2: PartitionKey has 0 characters"* ]] || fail "empty stdin line message: $out"
out=$(printf 'a\n\xff\n' | "$shardlab" route --shards 3 2>&1); status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"stdin line 2: PartitionKey is not valid UTF-8"* ]] ||
  fail "invalid UTF-8 on stdin: status $status, $out"
"$shardlab" 2>/dev/null; [ $? -eq 2 ] || fail "no command should exit 2"

# --stream: an experiment file's stream routes as a new stream of its shard count does.
for pair in "seed_question.lua 4" "poison_pill.lua 2" "tumbling_window.lua 1"; do
  set -- $pair
  a=$("$shardlab" route --stream "$src/examples/$1" "${keys[@]}") || fail "--stream $1 exited $?"
  b=$("$shardlab" route --shards "$2" "${keys[@]}")
  [ "$a" == "$b" ] || fail "--stream $1 differs from --shards $2"
done
out=$("$shardlab" route --stream "$src/tests/data/experiments/none.lua" a 2>&1); status=$?
[ "$status" -eq 1 ] && [[ "$out" == *"declares no experiment"* ]] || fail "--stream without experiments: $status, $out"

# Help and version succeed and say what they are.
"$shardlab" --help | grep -q "route" || fail "--help does not list route"
"$shardlab" route --help | grep -q -- "--shards" || fail "route --help does not describe --shards"
"$shardlab" --version | grep -Eq '^shardlab [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

finish
