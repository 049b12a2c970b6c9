#!/usr/bin/env bash
# test_reshard_report.sh - what `shardlab run` reports of a run that reshards (tests/data/reshard/reshard.lua:
# 4 shards, PF 2, 200 keys, `actions = { { at = 5, update_shard_count = 8 } }`): the JSON's shards say which
# are open and name their parents, shards_max_open is 8 and shards_open 8, the config lists the action, the
# diagnosis names the 8 shards reached and the resharding, the terminal's shard table marks the 4 closed
# parents, and the HTML report lists the action and the closed shards, and marks the resharding on every
# chart of the run at its time. A filtered run's table shows its
# records filtered, and its shards' keys count the filtered records' keys too.
. "$(dirname "$0")/lib.sh"
"$shardlab" run "$src/tests/data/reshard/reshard.lua" --json "$tmp/r.json" --report "$tmp/r.html" >"$tmp/r.txt" 2>"$tmp/err" ||
  fail "reshard.lua exited $?: $(cat "$tmp/err")"

python3 - "$tmp/r.json" "$tmp/r.txt" "$tmp/r.html" <<'PY' || fail "a resharded run's results"
import json, re, sys
runs = {r["name"]: r for r in json.load(open(sys.argv[1]))["experiments"]}
text, html = open(sys.argv[2]).read(), open(sys.argv[3]).read()
r = runs["reshard"]
s = r["summary"]
assert r["config"]["actions"] == [{"at": 5.0, "update_shard_count": 8}], r["config"]["actions"]
assert s["shards_max_open"] == 8 and s["shards_open"] == 8, (s["shards_max_open"], s["shards_open"])
assert s["max_concurrency"] == 16, s["max_concurrency"]
closed = [x for x in s["shards"] if not x["open"]]
assert [x["shard"] for x in closed] == [f"shardId-{i:012d}" for i in range(4)], closed
assert all(x["parent"] is None and x["adjacent_parent"] is None for x in closed)
children = [x for x in s["shards"] if x["open"]]
assert len(children) == 8 and {x["parent"] for x in children} == {x["shard"] for x in closed}, children
# The diagnosis names the shards reached and the resharding, not the starting 4.
assert "it reached 16 = 8 shards x PF 2" in text and "the stream went from 4 to 8 shards at 5 s" in text, text
assert "4 shards x PF" not in text
# The terminal's shard table marks the closed parents.
block = text.split("reshard: per shard\n")[1].split("\n\n")[0].split("\n")[1:]
marked = [l.split()[0] for l in block if l.rstrip().endswith("closed")]
assert marked == [x["shard"] for x in closed], block
assert sum(l.rstrip().endswith(" open") for l in block) == 8, block
# The report: the action in the settings, the closed shards marked, the diagnosis.
assert "<th scope=\"row\">actions</th><td>at 5 s: 8 shards</td>" in html
assert len(re.findall(r'<tr class="closed"><td>shardId-00000000000[0-3]</td>', html)) == 4
assert "it reached 16 = 8 shards x PF 2" in html
# Resharding markers: on each of the run's charts and on the overlays, a line at the action's time on the
# chart's own x map (the points are one second apart from x0 at t = 0), labelled with the shard count.
charts = re.findall(r'<svg class="chart[^"]*"[^>]*>.*?</svg>', html)
marked = 0
for svg in charts:
    marks = re.findall(r'<line class="action"[^>]*data-experiment="([^"]*)" data-at="([^"]*)" data-shards="([^"]*)" x1="([^"]*)"', svg)
    mine = [m for m in marks if m[0] == "reshard"]
    if 'data-experiment="reshard"' not in svg and 'data-series="reshard"' not in svg:
        continue
    assert [(float(m[1]), int(m[2])) for m in mine] == [(5.0, 8)], (svg[:120], mine)
    line = re.search(r'<polyline[^>]*data-series="[^"]*"[^>]*points="([^"]*)"', svg)
    xs = [float(pt.split(",")[0]) for pt in line.group(1).split()]
    step = (xs[-1] - xs[0]) / (len(xs) - 1)
    assert abs(xs[0] + 5 * step - float(mine[0][3])) < 0.2, (mine, xs[:3])
    marked += 1
assert marked >= 5 + 3, marked  # the run's five charts and the three overlays
assert "Dotted vertical lines mark the scripted reshardings" in html
# The keys x lanes caption counts the shards open at the end (a parent's keys went on to its children), its
# numbers recomputed from the JSON; the closed parents are still drawn, marked.
if r["config"]["mapping"]["ordering"] == "lanes":
    pf = r["config"]["mapping"]["parallelization_factor"]
    keys = sum(x["distinct_keys"] for x in children)
    filled = sum(1 for x in children for lane in range(pf) if x["lane_keys"][lane] > 0)
    caption = f"{keys} keys on {len(children)} open shards, PF {pf}: {filled} of {len(children) * pf} lanes have a key"
    assert caption in html, caption
    assert html.count("(closed)</text>") >= 4
# A filtered run: records filtered in the table, counted as filtered in the JSON, keys before the filter.
f = runs["filtered"]["summary"]
assert f["records_filtered"] > 0 and f["records_delivered"] + f["records_filtered"] == f["records_put"], f
row = [l for l in text.split("\n") if l.startswith("records filtered")]
assert len(row) == 1 and row[0].split()[-2:] == ["0", str(f["records_filtered"])], row
assert sum(x["distinct_keys"] for x in f["shards"]) == 20, f["shards"]  # key-0 .. key-19, 5 of them pass
assert any(l.startswith("windows closed") for l in text.split("\n"))
PY

finish
