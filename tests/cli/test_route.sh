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
# Empty stdin lines (a blank line between keys, a trailing blank line, a CRLF blank line) are no keys: skipped
# silently, and line numbers in messages still count them.
out=$(printf 'a\n\nb\n\n\r\n' | "$shardlab" route --shards 3 2>&1); status=$?
[ "$status" -eq 0 ] || fail "empty stdin lines exited $status: $out"
[ "$out" == "$("$shardlab" route --shards 3 a b)" ] || fail "empty stdin lines: got $out"
out=$(printf '' | "$shardlab" route --shards 3 2>&1); status=$?
[ "$status" -eq 0 ] && [ -z "$out" ] || fail "empty stdin: status $status, '$out'"
out=$(printf 'a\n\n\xff\n' | "$shardlab" route --shards 3 2>&1); status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"stdin line 3: PartitionKey is not valid UTF-8"* ]] ||
  fail "line numbers after an empty line: status $status, $out"
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
# Files that run experiments with sl.run: route does not run them; the top level stops at the first sl.run,
# whose stream counts when no sl.experiment came before it.
for pair in "examples/smallest_pf.lua 2" "tests/data/route/run_first.lua 3" "tests/data/route/declared_first.lua 5"; do
  set -- $pair
  a=$("$shardlab" route --stream "$src/$1" "${keys[@]}" 2>&1) || fail "--stream $1 exited $?: $a"
  b=$("$shardlab" route --shards "$2" "${keys[@]}")
  [ "$a" == "$b" ] || fail "--stream $1 differs from --shards $2: $a"
done
out=$("$shardlab" route --stream "$src/tests/data/experiments/none.lua" a 2>&1); status=$?
[ "$status" -eq 1 ] && [[ "$out" == *"declares no experiment"* ]] || fail "--stream without experiments: $status, $out"

# --pf P: each key's lane (MD5(key) mod P, the dispatcher's `lanes` model) and a last line with the bound the
# keys give: per shard, the distinct lanes its keys use (ordering lanes) and min(its keys, P) (ordering keys).
# The seed example's 100 keys (sl.keys.per_entity("server", 100): server-1 .. server-100) on 4 shards, PF 10,
# recomputed here from MD5; the README and the run's diagnosis say 38 and 40.
bound_expected() { # N PF KEY... -> the key lines and the bound line, computed without shardlab
  python3 - "$@" <<'PY'
import hashlib, sys
n, pf = int(sys.argv[1]), int(sys.argv[2]); q = 2**128 // n
lanes, count, seen = {}, {}, set()
for key in sys.argv[3:]:
    h = int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16)
    shard = min(h // q, n - 1)
    print(f"{key}\t{h}\tshardId-{shard:012d}\t{h % pf}")
    if h in seen: continue
    seen.add(h)
    lanes.setdefault(shard, set()).add(h % pf); count[shard] = count.get(shard, 0) + 1
lb = sum(len(v) for v in lanes.values()); kb = sum(min(c, pf) for c in count.values()); slots = n * pf
rep = len(sys.argv) - 3 - len(seen)
s = lambda k, w, many="s": f"{k} {w}{'' if k == 1 else many}"
print(f"{s(len(seen), 'key')}{f' ({rep} repeated)' if rep else ''} on {s(n, 'shard')}, PF {pf}: at most "
      f"{s(lb, 'concurrent batch', 'es')} with ordering lanes ({s(slots, 'slot')}; {s(slots - lb, 'lane')} empty), "
      f"{kb} with keys; shards used {len(count)} of {n}")
PY
}
servers=($(seq -f 'server-%g' 1 100))
want=$(bound_expected 4 10 "${servers[@]}")
[[ "$want" == *"at most 38 concurrent batches with ordering lanes (40 slots; 2 lanes empty), 40 with keys; shards used 4 of 4" ]] ||
  fail "Python's bound for the seed's 100 keys is not the README's 38 of 40: ${want##*$'\n'}"
got=$(printf '%s\n' "${servers[@]}" | "$shardlab" route --shards 4 --pf 10) || fail "--pf 10 exited $?"
[ "$got" == "$want" ] || fail "--shards 4 --pf 10 for server-1..100: got\n$got\nwant\n$want"
got=$("$shardlab" route --stream "$src/examples/seed_question.lua" --pf 10 "${servers[@]}") || fail "--stream --pf exited $?"
[ "$got" == "$want" ] || fail "--stream seed_question.lua --pf 10 differs from --shards 4 --pf 10"
for args in "1 1 a" "3 2 a b e f a" "4 10 server-1 server-2 server-3" "7 3 ${keys[*]}"; do
  set -- $args
  want=$(bound_expected "$@")
  got=$("$shardlab" route --shards "$1" --pf "$2" "${@:3}") || fail "--shards $1 --pf $2 exited $?"
  [ "$got" == "$want" ] || fail "--shards $1 --pf $2 ${*:3}: got\n$got\nwant\n$want"
done

# --pf with --json: {"keys": [... with "lane"], "bound": {...}}, the same numbers, recomputed.
json=$(printf '%s\n' "${servers[@]}" server-7 | "$shardlab" route --shards 4 --pf 10 --json) || fail "--pf --json exited $?"
python3 - "$json" "${servers[@]}" server-7 <<'PY' || fail "--pf --json content"
import hashlib, json, sys
doc = json.loads(sys.argv[1]); keys = sys.argv[2:]; n, pf = 4, 10
assert sorted(doc) == ["bound", "keys"], doc.keys()
assert [r["key"] for r in doc["keys"]] == keys
per = {}
for r in doc["keys"]:
    h = int(hashlib.md5(r["key"].encode()).hexdigest(), 16)
    shard = "shardId-%012d" % min(h // (2**128 // n), n - 1)
    assert r == {"key": r["key"], "hash_key": str(h), "shard": shard, "lane": h % pf}, r
    per.setdefault(shard, {})[r["key"]] = h % pf
b = doc["bound"]
lanes = sum(len(set(v.values())) for v in per.values())
want = {"distinct_keys": 100, "repeated_keys": 1, "shards": n, "shards_used": len(per), "parallelization_factor": pf,
        "slots": n * pf, "max_concurrency": {"lanes": lanes, "keys": sum(min(len(v), pf) for v in per.values())},
        "empty_lanes": n * pf - lanes,
        "per_shard": [{"shard": s, "keys": len(v), "lanes": len(set(v.values()))} for s, v in sorted(per.items())]}
assert b == want, (b, want)
assert b["max_concurrency"] == {"lanes": 38, "keys": 40}, b
PY
expect_usage "--pf '11' must be a whole number from 1 to 10" "$shardlab" route --shards 4 --pf 11 a
expect_usage "--pf '0' must be a whole number from 1 to 10" "$shardlab" route --shards 4 --pf 0 a
expect_usage "--pf needs a ParallelizationFactor" "$shardlab" route --shards 4 --pf

# Help and version succeed and say what they are.
"$shardlab" --help | grep -q "route" || fail "--help does not list route"
"$shardlab" route --help | grep -q -- "--shards" || fail "route --help does not describe --shards"
"$shardlab" --version | grep -Eq '^shardlab [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

finish
