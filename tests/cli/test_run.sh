#!/usr/bin/env bash
# test_run.sh - `shardlab run` end to end on examples/seed_question.lua: the concurrency each key strategy
# allows is what MD5 predicts (computed here in Python, not copied from output), keys land only on the shards
# their hashes name, every record is delivered, the same seed gives byte-identical JSON; bad experiment files
# fail with a message naming the field or file:line; filters on anything but data, or more filters than the
# quota, are refused.
. "$(dirname "$0")/lib.sh"
data=$src/tests/data/experiments

"$shardlab" run "$src/examples/seed_question.lua" --json "$tmp/a.json" >"$tmp/out" 2>"$tmp/err" ||
  fail "seed_question exited $?: $(cat "$tmp/err")"
python3 - "$tmp/a.json" <<'PY' || fail "seed question numbers"
import hashlib, json, sys
runs = {e["name"]: e for e in json.load(open(sys.argv[1]))["experiments"]}
def h(k): return int(hashlib.md5(k.encode()).hexdigest(), 16)
def shard(k): return h(k) // 2**126            # 4 shards, even split
servers = lambda n: ["server-%d" % i for i in range(1, n + 1)]
for name, e in runs.items():
    s = e["summary"]
    assert s["records_delivered"] == s["records_put"] > 0, (name, s)
# One key: one batch at a time, whatever the shards and PF.
assert runs["1 key"]["summary"]["max_concurrency"] == 1
# Three keys: at most three; and only the shards their hashes name receive records, at any load.
assert runs["3 keys"]["summary"]["max_concurrency"] <= 3
busy = {shard(k) for k in servers(3)}
for i, sh in enumerate(runs["3 keys"]["summary"]["shards"]):
    assert (sh["records_in"] > 0) == (i in busy), (i, sh, busy)
# 100 keys with lanes: one batch per distinct (shard, MD5 mod 10) pair, fewer than 40.
pairs = {(shard(k), h(k) % 10) for k in servers(100)}
assert runs["100 keys"]["summary"]["max_concurrency"] == len(pairs) < 40, (runs["100 keys"]["summary"]["max_concurrency"], len(pairs))
# Balanced keys reach shards x PF.
assert runs["100 keys (keys)"]["summary"]["max_concurrency"] == 40
for e in runs.values():
    assert len(e["timeseries"]) >= e["config"]["duration"], e["name"]
    # The per-second series add up to the totals, per shard and overall.
    assert sum(r["records_in"] for r in e["timeseries"]) == e["summary"]["records_put"]
    for k, sh in enumerate(e["summary"]["shards"]):
        assert sum(r["shards"][k]["records_in"] for r in e["timeseries"] if k < len(r["shards"])) == sh["records_in"]
PY
grep -q "max concurrency" "$tmp/out" || fail "no summary table on stdout"

# Same file and seed: byte-identical JSON.
"$shardlab" run "$src/examples/seed_question.lua" --json "$tmp/b.json" >/dev/null 2>&1
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "two runs gave different JSON"
"$shardlab" run "$src/examples/seed_question.lua" --seed 2 --json "$tmp/c.json" >/dev/null 2>&1
cmp -s "$tmp/a.json" "$tmp/c.json" && fail "--seed 2 gave the same JSON as seed 1"

# Key strategies: a constant key makes one hot, throttled shard; balanced explicit hash keys spread records
# evenly; random keys reach every shard.
"$shardlab" run "$src/examples/key_strategies.lua" --json "$tmp/k.json" >/dev/null 2>&1 || fail "key_strategies exited $?"
python3 - "$tmp/k.json" <<'PY' || fail "key strategies"
import json, sys
runs = {e["name"]: e["summary"] for e in json.load(open(sys.argv[1]))["experiments"]}
per = lambda n: [s["records_in"] for s in runs[n]["shards"]]
assert sorted(per("constant"))[:3] == [0, 0, 0] and runs["constant"]["records_throttled"] > 0, runs["constant"]
assert max(per("balanced")) - min(per("balanced")) <= 1, per("balanced")
assert min(per("random")) > 0 and runs["random"]["records_throttled"] == 0, per("random")
for n, s in runs.items():
    assert s["records_delivered"] == s["records_put"], n
PY

# sl.run: a scripted search sees each run's results as Lua tables, and every run is reported.
"$shardlab" run "$src/examples/smallest_pf.lua" --json "$tmp/pf.json" >"$tmp/pf.out" 2>&1 || fail "smallest_pf exited $?"
python3 - "$tmp/pf.json" "$tmp/pf.out" <<'PY' || fail "sl.run results"
import json, re, sys
runs = json.load(open(sys.argv[1]))["experiments"]
ages = [e["summary"]["max_iterator_age_ms"] for e in runs]
assert all(a >= 1000 for a in ages[:-1]) and ages[-1] < 1000, ages   # the search stopped at the first success
said = re.search(r"smallest PF with iterator age under a second: (\d+)", open(sys.argv[2]).read())
assert said and int(said.group(1)) == runs[-1]["config"]["mapping"]["parallelization_factor"] == len(runs), said
for e, pf in zip(runs, range(1, len(runs) + 1)):
    assert "PF %2d: max iterator age %7d ms" % (pf, e["summary"]["max_iterator_age_ms"]) in open(sys.argv[2]).read()
PY

# Provisioned concurrency: no cold start for that many environments, and no more concurrency than keys allow.
"$shardlab" run "$data/provisioned.lua" --json "$tmp/p.json" >/dev/null 2>&1 || fail "provisioned.lua exited $?"
python3 - "$tmp/p.json" <<'PY' || fail "provisioned concurrency"
import json, sys
for e in json.load(open(sys.argv[1]))["experiments"]:
    pc, s = int(e["name"].split()[1]), e["summary"]
    assert s["max_concurrency"] == 6, (e["name"], s["max_concurrency"])
    assert s["cold_starts"] == max(0, 6 - pc), (e["name"], s["cold_starts"])
PY

# Bad experiment files: exit 1, a message naming the problem.
expect_failure() { # FRAGMENT FILE
  local out status
  out=$("$shardlab" run "$2" 2>&1 >/dev/null); status=$?
  [ "$status" -eq 1 ] || fail "$(basename "$2") exited $status, want 1 ($out)"
  [[ "$out" == *"$1"* ]] || fail "$(basename "$2"): message lacks '$1': $out"
}
expect_failure "mapping.batchsize is not a known field" "$data/unknown_field.lua"
expect_failure "mapping.batch_size 0 is out of range" "$data/batch_size_zero.lua"
expect_failure "mapping.parallelization_factor 11 is out of range" "$data/pf_eleven.lua"
expect_failure "mapping.batching_window 301 is out of range" "$data/window_301.lua"
expect_failure "record_error.lua:4: no key for record 3" "$data/record_error.lua"
expect_failure "returned number as the partition key" "$data/number_key.lua"
expect_failure "declares no experiment" "$data/none.lua"
expect_failure "syntax.lua:2:" "$data/syntax.lua"
# Filters as Lambda has them for Kinesis: on the data key only, and no more than the quota of filters per
# event source mapping (5 unless mapping.max_filters, 1..10, raises it).
expect_failure "experiment 'key filter': mapping.filters[2]: Kinesis event source mappings only support filtering on the data key (AWS Lambda guide, event filtering with Kinesis); \"partitionKey\" is not allowed" "$data/key_filter.lua"
expect_failure "experiment 'six filters': mapping.filters has 6 patterns, more than the quota of 5 filters per event source mapping (mapping.max_filters" "$data/too_many_filters.lua"
sed -e 's/filters = six }/filters = six, max_filters = 6 }/' -e "s#\.\./handlers/#$src/tests/data/handlers/#" \
  "$data/too_many_filters.lua" >"$tmp/six_filters.lua"
"$shardlab" run "$tmp/six_filters.lua" --json "$tmp/six.json" >/dev/null 2>"$tmp/err" ||
  fail "six filters with max_filters = 6 exited $?: $(cat "$tmp/err")"
python3 - "$tmp/six.json" <<'PY' || fail "six filters numbers"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
want = sum(1 for i in range(1, s["records_put"] + 1) if 1 <= i % 10 <= 6)
assert s["records_put"] == 100 and s["records_delivered"] == want and s["records_filtered"] == 100 - want, (s, want)
PY
sed -i 's/max_filters = 6/max_filters = 11/' "$tmp/six_filters.lua"
expect_failure "mapping.max_filters 11 is out of range: it must be between 1 and 10" "$tmp/six_filters.lua"
out=$("$shardlab" run "$tmp/missing.lua" 2>&1); status=$?
[ "$status" -eq 2 ] && [[ "$out" == *"cannot read"* ]] || fail "missing file: status $status, $out"
out=$("$shardlab" run "$src/examples/seed_question.lua" --bogus 2>&1); [ $? -eq 2 ] || fail "unknown option should exit 2"
# AWS takes MaximumBatchingWindowInSeconds in whole seconds; UpdateShardCount scales a stream at most
# stream.update_shard_count_per_day times (AWS: ten) per rolling 24 hours, then LimitExceededException.
expect_failure "mapping.batching_window 0.5 must be whole seconds: AWS's MaximumBatchingWindowInSeconds is an integer from 0 to 300" "$data/window_fraction.lua"
expect_failure "actions[3]: UpdateShardCount cannot scale stream shardlab-stream under account 123456789012 more than 2 times per rolling 24-hour period" "$data/scaling_per_day.lua"
sed 's/update_shard_count_per_day = 2/update_shard_count_per_day = 3/' "$data/scaling_per_day.lua" |
  sed "s#\.\./handlers/#$src/tests/data/handlers/#" >"$tmp/scaling_3.lua"
"$shardlab" run "$tmp/scaling_3.lua" >/dev/null 2>"$tmp/err" || fail "three scalings allowed exited $?: $(cat "$tmp/err")"
# On-demand streams (docs/semantics.md, "Capacity modes"): 4 shards to start (AWS: 4,000 records/s), scaled by
# the service while 6,000 records/s arrive; every record delivered once. A shard count is refused with it.
(cd "$data" && "$shardlab" run on_demand.lua --json "$tmp/on_demand.json" >/dev/null 2>"$tmp/err") ||
  fail "on_demand.lua exited $?: $(cat "$tmp/err")"
python3 - "$tmp/on_demand.json" <<'PY' || fail "on-demand numbers"
import json, sys
s = json.load(open(sys.argv[1]))["experiments"][0]["summary"]
assert len(s["shards"]) > 4, len(s["shards"])                  # it scaled past its first 4 shards
assert s["records_throttled"] > 0, s                           # 6,000 > 4 x 1,000 until it had
assert s["records_put"] > 6000 * 15 * 9 // 10, s               # and then took nearly all of it
assert s["records_delivered"] == s["records_put"] and s["duplicate_deliveries"] == 0, s
PY
expect_failure "stream.shards cannot be given with mode = \"on_demand\"" "$data/on_demand_shards.lua"

finish
