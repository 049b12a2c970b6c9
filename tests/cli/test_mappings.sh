#!/usr/bin/env bash
# test_mappings.sh - several event source mappings on one stream (`mappings = {...}`, tests/data/mappings/):
# each has its own handler, settings, results section and name; the experiment's summary and series are
# theirs together (counts added up, the largest iterator age, concurrency across them), recomputed here from
# the mappings' own sections; every record reaches every mapping; the terminal shows a table per mapping;
# runs are byte-identical; mistakes are refused at load naming mappings[i]; durable streams keep checkpoints
# per mapping and resume each; the real clock hands each invocation's end back to its own mapping. (That
# standard mappings share each shard's 5 reads a second is computed from AWS's limits in test_read_limits.c.)
. "$(dirname "$0")/lib.sh"
cp -r "$src/tests/data/mappings/." "$tmp/"
cd "$tmp" || exit 1

"$shardlab" run two.lua --json two.json >out.txt 2>err.txt || fail "two.lua exited $?: $(cat err.txt)"
"$shardlab" run two.lua --json again.json >/dev/null 2>&1 || fail "two.lua exited $? the second time"
cmp -s two.json again.json || fail "two runs of two.lua differ"
python3 - two.json <<'PY' || fail "the mappings' results"
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
s, maps = e["summary"], e["mappings"]
assert [m["name"] for m in maps] == ["orders", "audit", "fan-out"], [m["name"] for m in maps]
assert [m["name"] for m in e["config"]["mappings"]] == ["orders", "audit", "fan-out"]
assert [m["config"]["consumer"] for m in maps] == ["standard", "standard", "efo"]
assert [m["config"]["handler"] for m in maps] == ["ok.lua", "audit.lua", "ok.lua"]
assert e["config"]["mapping"] == {k: v for k, v in maps[0]["config"].items() if k != "name"}
put = s["records_put"]
assert put > 10000, put
# Every record reaches every mapping; audit's refused batch (record 13's) is sent away after its one retry.
assert maps[0]["summary"]["records_delivered"] == put and maps[2]["summary"]["records_delivered"] == put
a = maps[1]["summary"]
assert a["errors"] == 2 and a["retries"] == 1 and a["records_failed"] == 50, a
assert a["records_delivered"] + a["records_failed"] == put, a
assert list(a["errors_by_type"]) == ["LuaError"] and a["errors_by_type"]["LuaError"]["where"] == "./audit.lua:5"
assert maps[0]["summary"]["errors_by_type"] == {} and s["errors_by_type"] == a["errors_by_type"]
for f in ["records_delivered", "deliveries", "invocations", "errors", "retries", "records_failed", "cold_starts",
          "read_throttles", "duplicate_deliveries", "records_expired", "polled_event_count"]:
    assert s[f] == sum(m["summary"][f] for m in maps), f
assert s["max_iterator_age_ms"] == max(m["summary"]["max_iterator_age_ms"] for m in maps)
assert abs(s["mean_concurrency"] - sum(m["summary"]["mean_concurrency"] for m in maps)) < 0.01
assert max(m["summary"]["max_concurrency"] for m in maps) <= s["max_concurrency"] <= sum(m["summary"]["max_concurrency"] for m in maps)
# The fan-out mapping has records pushed within 70 ms; the standard ones poll once a second when caught up.
assert maps[2]["summary"]["max_iterator_age_ms"] < 200 < maps[0]["summary"]["max_iterator_age_ms"]
rows = e["timeseries"]
for m in maps:
    assert len(m["timeseries"]) == len(rows)
    assert sum(r["invocations"] for r in m["timeseries"]) == m["summary"]["invocations"]
    assert "records_in" not in m["timeseries"][0]
for t, row in enumerate(rows):
    per = [m["timeseries"][t] for m in maps]
    assert row["invocations"] == sum(p["invocations"] for p in per), t
    assert row["iterator_age_ms"] == max(p["iterator_age_ms"] for p in per), t
    assert max(p["concurrency"] for p in per) <= row["concurrency"] <= sum(p["concurrency"] for p in per), t
# Shard figures of each mapping: lanes of PF 2 for orders (keys ordered by lanes).
for sh in maps[0]["summary"]["shards"]:
    assert len(sh["lane_keys"]) == 2 and sum(sh["lane_keys"]) == sh["distinct_keys"], sh
assert "lane_keys" not in s["shards"][0]
PY
# The diagnosis is per mapping: each of its lines about a mapping names it, and a bound it names is that
# mapping's own shards x PF, which its max concurrency reached (the experiment's concurrency, 7 with all three
# together, is not any one mapping's bound).
python3 - two.json out.txt <<'PY' || fail "the per-mapping diagnosis"
import json, re, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
text = open(sys.argv[2]).read()
lines = [l[4:] for l in text.split("three readers: what limited it\n")[1].split("\n\n")[0].split("\n") if l.startswith("  - ")]
maps = {m["name"]: m for m in e["mappings"]}
named = [l.split(": ", 1)[0] for l in lines if l.split(": ", 1)[0] in maps]
assert set(named) == set(maps), (named, lines)
for l in lines:
    m = re.search(r"it reached (\d+) = (\d+) shards x PF (\d+)", l)
    if not m:
        continue
    name = l.split(": ", 1)[0]
    assert name in maps, l
    reached, shards, pf = map(int, m.groups())
    assert pf == maps[name]["config"]["parallelization_factor"] and reached == shards * pf, l
    assert maps[name]["summary"]["max_concurrency"] == reached, (l, maps[name]["summary"]["max_concurrency"])
    assert shards == e["summary"]["shards_max_open"], l
PY
grep -q "^three readers: per mapping$" out.txt || fail "no per-mapping table: $(cat out.txt)"
grep -Eq "^ +orders +audit +fan-out$" out.txt || fail "the per-mapping table has no mapping columns"
grep -Eq "^read throttles +[0-9]+$" out.txt || fail "no read throttles row"

# Mistakes, each refused before anything runs, naming where.
check_bad bad.lua both "mappings cannot be given with mapping"
check_bad bad.lua empty "mappings must be a list of mappings"
check_bad bad.lua twins "mappings[2].name \"a\" is the name of mappings[1] too"
check_bad bad.lua range "mappings[2].batch_size 0 is out of range"
check_bad bad.lua handler "mappings[2].handler ./missing.lua cannot be loaded"
check_bad bad.lua lone_name "mapping.name is for the entries of mappings"
check_bad bad.lua not_table "mappings[2] must be a table"
check_bad bad.lua accounts "mappings[2].account_concurrency 20 differs from mappings[1]'s 1000: the mappings share one account"
check_bad bad.lua reserved "mappings.reserved_concurrency adds up to 10 of account_concurrency 10, which leaves nothing"

# A durable stream: a checkpoint file per mapping; the second run resumes each, delivering only new records.
"$shardlab" run durable.lua --json d1.json >/dev/null 2>err.txt || fail "durable.lua exited $?: $(cat err.txt)"
"$shardlab" run durable.lua --json d2.json >/dev/null 2>err.txt || fail "durable.lua exited $? again: $(cat err.txt)"
python3 - d1.json d2.json kept-data/checkpoints <<'PY' || fail "checkpoints per mapping"
import json, os, sys
first, second = (json.load(open(f))["experiments"][0] for f in sys.argv[1:3])
assert sorted(os.listdir(sys.argv[3])) == ["kept--first.json", "kept--second.json"], os.listdir(sys.argv[3])
for name in ["first", "second"]:
    doc = json.load(open(os.path.join(sys.argv[3], f"kept--{name}.json")))
    assert doc["mapping"] == name and doc["experiment"] == "kept"
    assert sum(cp["next"] for cp in doc["shards"].values()) == 1000, doc  # both runs' records done
assert first["summary"]["storage"]["shards_resumed"] == 0
assert second["summary"]["storage"]["shards_resumed"] == 4  # 2 shards x 2 mappings
for m in second["mappings"]:  # the first run's 500 records are not delivered again
    assert m["summary"]["records_delivered"] == 500 and m["summary"]["duplicate_deliveries"] == 0, m["summary"]
PY

# The real clock: both mappings get every record, each invocation's end back to its own mapping.
"$shardlab" run real.lua --clock real --json r.json >/dev/null 2>err.txt || fail "real.lua exited $?: $(cat err.txt)"
python3 - r.json <<'PY' || fail "several mappings on the real clock"
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
put = e["summary"]["records_put"]
assert put == 200, put
for m in e["mappings"]:
    assert m["summary"]["records_delivered"] == put and m["summary"]["errors"] == 0, (m["name"], m["summary"])
assert e["summary"]["invocations"] == sum(m["summary"]["invocations"] for m in e["mappings"])
PY
finish
