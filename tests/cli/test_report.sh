#!/usr/bin/env bash
# test_report.sh - what `shardlab run` reports: the HTML report of the seed example holds one SVG chart per
# metric per experiment whose data are the JSON output's (recomputed here from the JSON), shares each metric's
# scale across experiments, marks best and worst, and fetches nothing; the CSV files read back to the JSON's
# numbers; the terminal table is aligned and ends with the diagnosis; and every example's report renders in
# headless Chromium with no console error, its screenshot kept under build/reports/ as a CI artifact. The report
# opens with overlay charts (every experiment on one chart per metric, reference lines at shards x PF and at the
# write limit), checked the same way, the iterator age's against log10(ms + 1).
. "$(dirname "$0")/lib.sh"
out=${SHARDLAB_BUILD_DIR:-$src/build}/reports
mkdir -p "$out"
cp -r "$src/examples" "$tmp/examples"

"$shardlab" run "$tmp/examples/seed_question.lua" --json "$tmp/seed.json" --report "$tmp/seed.html" \
  --csv "$tmp/csv" >"$tmp/seed.txt" 2>"$tmp/err" || fail "seed_question exited $?: $(cat "$tmp/err")"

python3 - "$tmp/seed.json" "$tmp/seed.html" <<'PY' || fail "HTML report structure"
import json, sys
from html.parser import HTMLParser
runs = json.load(open(sys.argv[1]))["experiments"]
html = open(sys.argv[2]).read()

class Charts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.cells, self.current, self.cell = {}, {}, None, None
        self.overlays, self.order = {}, []
        self.heatmaps, self.heat, self.settings = {}, None, {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "data-overlay" in a:
            assert a["data-metric"] not in self.overlays, f"two overlay charts for {a['data-metric']}"
            self.current = self.overlays[a["data-metric"]] = {"scale": a["data-scale"], "series": {}, "refs": []}
            self.order.append("overlay")
        elif tag == "line" and self.current is not None and "data-ref" in a:
            assert a["y1"] == a["y2"], a
            self.current["refs"].append((a["data-experiment"], a["data-ref"], float(a["data-value"]), float(a["y1"]),
                                         a.get("stroke-dasharray")))
        elif tag == "svg" and "data-metric" in a:
            self.order.append("experiment")
            key = (a["data-experiment"], a["data-metric"])
            assert key not in self.charts, f"two charts for {key}"
            self.current = self.charts[key] = {"y_max": float(a["data-y-max"]), "series": {}}
        elif tag == "polyline" and self.current is not None:
            values = [float(v) for v in a["data-values"].split()]
            points = [tuple(map(float, p.split(","))) for p in a["points"].split()]
            self.current["series"][a["data-series"]] = (values, points)
        elif tag == "td" and "data-field" in a:
            self.cell = [a["data-field"], a.get("class", ""), ""]
        elif tag == "svg" and a.get("class") == "heatmap":
            self.current = None
            self.heat = self.heatmaps.setdefault(a["data-experiment"], {"pf": int(a["data-pf"]), "cells": {}})
        elif tag == "rect" and a.get("class") == "cell" and self.heat is not None:
            self.heat["cells"][(a["data-shard"], int(a["data-lane"]))] = int(a["data-keys"])
        elif tag == "tr" and "data-setting" in a:
            self.settings[a["data-setting"]] = "differs" in a.get("class", "")
    def handle_endtag(self, tag):
        if tag == "svg":
            self.current, self.heat = None, None
        elif tag == "td" and self.cell:
            self.cells.setdefault(self.cell[0], []).append((self.cell[2].split()[0], self.cell[1]))
            self.cell = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data

p = Charts()
p.feed(html)
# What each chart must show, computed from the JSON here.
def expected(run):
    ts = run["timeseries"]
    shards = run["summary"]["shards"]
    return {
        "concurrency": {"concurrency": [r["concurrency"] for r in ts]},
        "iterator_age": {"iterator age": [r["iterator_age_ms"] for r in ts]},
        "records_in": {s["shard"]: [r["shards"][k]["records_in"] for r in ts] for k, s in enumerate(shards)},
        "throttles": {"batches held by a concurrency limit": [r["throttles"] for r in ts],
                      "puts refused by write limits": [r["records_throttled"] for r in ts]},
        # planned: what the producers' rates ask for each second of the duration, beside what was put
        "planned": {"planned (the producers' rates)": [sum(run["config"]["producer_rates"]) if r["t"] < run["config"]["duration"] else 0
                                                       for r in ts],
                    "put": [r["records_in"] for r in ts], "delivered": [r["records_delivered"] for r in ts]},
    }
assert len(p.charts) == 5 * len(runs), f"{len(p.charts)} charts for {len(runs)} experiments"
y_max = {}
for run in runs:
    for metric, series in expected(run).items():
        chart = p.charts[(run["name"], metric)]
        assert set(chart["series"]) == set(series), (run["name"], metric, chart["series"].keys())
        for label, values in series.items():
            got, points = chart["series"][label]
            assert got == values, (run["name"], metric, label)
            # the points draw the values: x one step per second, y an affine decreasing map of the value
            xs = [x for x, _ in points]
            assert len(points) == len(values) and all(b > a for a, b in zip(xs, xs[1:])), (run["name"], metric)
            steps = {round(b - a, 1) for a, b in zip(xs, xs[1:])}
            assert max(steps) - min(steps) <= 0.11, steps
            lo = min(range(len(values)), key=lambda i: values[i]); hi = max(range(len(values)), key=lambda i: values[i])
            if values[hi] > values[lo]:
                scale = (points[lo][1] - points[hi][1]) / (values[hi] - values[lo])
                # a range below a tenth of a pixel of the shared scale (a 100 ms curve beside a 400 s one, the
                # plot under 260 px high) is drawn flat: the coordinates are written to 0.1 px
                flat = (values[hi] - values[lo]) / chart["y_max"] * 260 < 0.1
                assert scale > 0 or (scale == 0 and flat), (run["name"], metric, values[lo], values[hi])
                for v, (_, y) in zip(values, points):
                    assert abs(points[lo][1] - (v - values[lo]) * scale - y) < 0.2, (run["name"], metric, v, y)
            assert max(values, default=0) <= chart["y_max"]
        y_max.setdefault(metric, set()).add(chart["y_max"])
assert all(len(v) == 1 for v in y_max.values()), f"a metric's scale differs between experiments: {y_max}"
# The overlay charts, before the per-experiment ones: one per metric, a line per experiment with the JSON's values,
# the points an affine decreasing map of the values (of log10(ms + 1) on the iterator-age chart), and dashed
# reference lines, at the same map, at shards x PF (concurrency) and shards x 1,000 records/s (records put).
import math
assert set(p.overlays) == {"concurrency", "iterator_age", "records_in", "records_delivered"}, p.overlays.keys()
assert p.order[:4] == ["overlay"] * 4 and "overlay" not in p.order[4:], p.order
assert p.overlays["iterator_age"]["scale"] == "log10(ms+1)" and p.overlays["concurrency"]["scale"] == "linear"
field = {"concurrency": "concurrency", "iterator_age": "iterator_age_ms", "records_in": "records_in",
         "records_delivered": "records_delivered"}
for metric, chart in p.overlays.items():
    assert list(chart["series"]) == [r["name"] for r in runs], (metric, chart["series"].keys())
    f = (lambda v: math.log10(v + 1)) if metric == "iterator_age" else (lambda v: v)
    pairs = []  # (f(value), y) over every line: one map for the whole chart
    for run in runs:
        values, points = chart["series"][run["name"]]
        assert values == [s[field[metric]] for s in run["timeseries"]], (metric, run["name"])
        assert len(points) == len(values)
        xs = [x for x, _ in points]
        assert all(b > a for a, b in zip(xs, xs[1:])), (metric, run["name"])
        pairs += [(f(v), y) for v, (_, y) in zip(values, points)]
    (f0, y0), (f1, y1) = min(pairs), max(pairs)
    assert f1 > f0 and y1 < y0, (metric, f0, f1, y0, y1)
    scale = (y0 - y1) / (f1 - f0)
    def y_of(v): return y0 - (f(v) - f0) * scale
    for fv, y in pairs:
        assert abs(y0 - (fv - f0) * scale - y) < 0.2, (metric, fv, y)
    want = []
    for run in runs:
        shards, pf = run["config"]["stream"]["shards"], run["config"]["mapping"]["parallelization_factor"]
        if metric == "concurrency":
            want.append((run["name"], "shards x PF", shards * pf))
        elif metric == "records_in" and run["config"]["stream"]["write_limits"]:
            want.append((run["name"], "write limit", shards * 1000))
    assert [r[:3] for r in chart["refs"]] == want, (metric, chart["refs"], want)
    for name, label, value, y, dash in chart["refs"]:
        assert abs(y_of(value) - y) < 0.2, (metric, name, label, value, y, y_of(value))
        assert dash, (metric, name, "reference line not dashed")
# Keys x lanes per shard for every lanes-ordered run: each cell the JSON's lane_keys, the caption's numbers
# recomputed here (keys of all shards; lanes with a key of shards x PF).
lanes_runs = [r for r in runs if r["config"]["mapping"]["ordering"] == "lanes"]
assert set(p.heatmaps) == {r["name"] for r in lanes_runs}, p.heatmaps.keys()
for run in lanes_runs:
    pf, shards = run["config"]["mapping"]["parallelization_factor"], run["summary"]["shards"]
    heat = p.heatmaps[run["name"]]
    assert heat["pf"] == pf
    assert heat["cells"] == {(s["shard"], lane): s["lane_keys"][lane] for s in shards for lane in range(pf)}, run["name"]
    keys = sum(s["distinct_keys"] for s in shards)
    filled = sum(1 for s in shards for lane in range(pf) if s["lane_keys"][lane] > 0)
    caption = f"{keys} key{'s' if keys != 1 else ''} on {len(shards)} shards, PF {pf}: {filled} of {len(shards) * pf} lanes have a key"
    assert caption in html, caption
assert "100 keys on 4 shards, PF 10: 38 of 40 lanes have a key" in html
# The settings that differ are marked, and only those (checked for settings read straight from the JSON).
def differ(values): return len({json.dumps(v) for v in values}) > 1
for label, value in (("key strategy", lambda r: r["config"]["key_strategies"]), ("ordering", lambda r: r["config"]["mapping"]["ordering"]),
                     ("shards", lambda r: r["config"]["stream"]["shards"]), ("batch size", lambda r: r["config"]["mapping"]["batch_size"]),
                     ("producer rates", lambda r: r["config"]["producer_rates"]), ("handler", lambda r: r["config"]["mapping"]["handler"])):
    assert p.settings[label] == differ([value(r) for r in runs]), (label, p.settings[label])
assert p.settings["key strategy"] and not p.settings["shards"]
assert html.count('<p class="read">') == 4 + 5 * len(runs) + len(lanes_runs), "a chart without its line on how to read it"
assert "the dashed line" in html or "each dashed line" in html
# The summary table has the JSON's numbers; best and worst are marked where experiments differ.
for field in ("records_put", "max_concurrency", "max_iterator_age_ms", "invocations"):
    got = [int(v) for v, _ in p.cells[field]]
    assert got == [r["summary"][field] for r in runs], (field, got)
assert p.cells["max_concurrency"][0][1] == "worst" and p.cells["max_concurrency"][3][1] == "best", p.cells["max_concurrency"]
assert p.cells["max_iterator_age_ms"][0][1] == "worst"
# One file, nothing from anywhere else.
lower = html.lower()
for needle in ("<script", "http://", "https://", " src=", "url(", "<link", "@import"):
    assert needle not in lower, needle
assert "concurrency limited by partition keys: 3 keys on 4 shards give at most 3 concurrent batches (PF 10 allows 40)" in html
PY

python3 - "$tmp/seed.json" "$tmp/csv" <<'PY' || fail "CSV round trip"
import csv, json, math, os, sys
runs = json.load(open(sys.argv[1]))["experiments"]
folder = sys.argv[2]
def same(a, b):
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
summary = list(csv.DictReader(open(os.path.join(folder, "summary.csv"))))
assert [r["experiment"] for r in summary] == [r["name"] for r in runs]
for row, run in zip(summary, runs):
    for field, value in run["summary"].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and field in row:
            assert same(row[field], value), (run["name"], field, row[field], value)
    assert int(row["parallelization_factor"]) == run["config"]["mapping"]["parallelization_factor"]
files = {"1 key": "1-key.csv", "3 keys": "3-keys.csv", "100 keys": "100-keys.csv", "100 keys (keys)": "100-keys-keys.csv"}
for run in runs:
    rows = list(csv.DictReader(open(os.path.join(folder, files[run["name"]]))))
    assert len(rows) == len(run["timeseries"]), run["name"]
    for row, second in zip(rows, run["timeseries"]):
        for field in ("t", "concurrency", "invocations", "errors", "throttles", "iterator_age_ms", "records_in", "records_throttled",
                      "records_delivered"):
            assert int(row[field]) == second[field], (run["name"], field)
        for k, shard in enumerate(run["summary"]["shards"]):
            assert int(row[shard["shard"] + "_records_in"]) == second["shards"][k]["records_in"]
            assert int(row[shard["shard"] + "_bytes_in"]) == second["shards"][k]["bytes_in"]
PY

python3 - "$tmp/seed.txt" <<'PY' || fail "terminal summary"
import sys
lines = open(sys.argv[1]).read().split("\n")
table = lines[:lines.index("")]
assert len({len(l) for l in table}) == 1, "summary rows differ in width: columns are not aligned"
assert any("max iterator age (ms)" in l for l in table) and any("run length (s)" in l for l in table)
text = "\n".join(lines)
assert "3 keys: what limited it" in text and "  - hot shard: shardId-000000000002 took 67% of the records" in text
PY

# Every example: its report renders in Chromium without a console error; the screenshot is kept.
browser=$(command -v chromium || command -v chromium-browser)
[ -n "$browser" ] || fail "chromium is not installed (.ci/install-deps installs it)"
for example in "$tmp"/examples/*.lua; do
  name=$(basename "$example" .lua)
  "$shardlab" run "$example" --report "$out/$name.html" --csv "$out/$name-csv" >/dev/null 2>"$tmp/err" ||
    fail "$name exited $?: $(cat "$tmp/err")"
  [ -n "$browser" ] || continue
  rm -f "$out/$name.png"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
    --user-data-dir="$tmp/chromium" --enable-logging=stderr --v=0 --screenshot="$out/$name.png" \
    "file://$out/$name.html" >"$tmp/browser.out" 2>"$tmp/browser.err" || fail "$name: chromium exited $?"
  # The page's console (":CONSOLE") and failed loads ("net::ERR_"); Chromium's own complaints (no D-Bus in a
  # container, say) are not the page's.
  if grep -E ":CONSOLE|net::ERR_" "$tmp/browser.err" >/dev/null; then
    fail "$name: console messages: $(grep -E ':CONSOLE|net::ERR_' "$tmp/browser.err" | head -3)"
  fi
  python3 - "$out/$name.png" <<'PY' || fail "$name: screenshot"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1280, 2400), (width, height)
assert len(data) > 30000, f"{len(data)} bytes: a blank page?"
PY
done

finish
