-- shardlab.report: the results of `shardlab run` (the list of {name, config, summary, timeseries} that
-- --json writes) as one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) and as CSV.
-- Charts of one metric share their scales across experiments so they can be compared by eye.
local diagnose = require("shardlab.diagnose")
local heatmap = require("shardlab.report_heatmap")

local M = {}

local PALETTE = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf" }

local function esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                                         ["'"] = "&#39;" }))
end

local function num(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%.0f", v) end
  return string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", "")
end

-- A step of 1, 2 or 5 times a power of ten giving about `count` ticks up to max.
local function nice_step(max, count)
  if max <= 0 then return 1 end
  local raw = max / count
  local mag = 10 ^ math.floor(math.log(raw, 10))
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    if raw <= m * mag then return m * mag end
  end
  return 10 * mag
end

-- --- the metrics charted -----------------------------------------------------------------------------------

-- One field of every second of an experiment's series.
local function column(e, field)
  local v = {}
  for i, row in ipairs(e.timeseries) do v[i] = row[field] end
  return v
end

-- The records per second the producers were asked for (config.producer_rates: a number each, or a varying
-- rate's {mean = ...}); nil when the results do not say.
local function planned_rate(e)
  local rates = e.config.producer_rates
  if type(rates) ~= "table" then return nil end
  local total = 0
  for _, r in ipairs(rates) do
    local v = type(r) == "table" and r.mean or r
    if type(v) ~= "number" then return nil end
    total = total + v
  end
  return total
end

-- Each metric: an id, a title, the y unit, and its series for an experiment as {label, values}.
local METRICS = {
  { id = "concurrency", title = "Concurrent executions", unit = "executions (max per second)",
    series = function(e)
      return { { label = "concurrency", values = column(e, "concurrency") } }
    end,
    read = "Most batches running at once in each second; shards x PF (see the settings) is the most the mapping allows." },
  { id = "iterator_age", title = "Iterator age", unit = "milliseconds (max per second)",
    series = function(e)
      return { { label = "iterator age", values = column(e, "iterator_age_ms") } }
    end,
    read = "Iterator age in each second: the most any batch started then was behind (its newest record's age), on the scale shared by all experiments; a rising line is a backlog growing." },
  { id = "records_in", title = "Records in per shard", unit = "records per second",
    series = function(e)
      local out = {}
      for k, shard in ipairs(e.summary.shards) do
        local v = {}
        for i, row in ipairs(e.timeseries) do v[i] = row.shards[k] and row.shards[k].records_in or 0 end
        out[#out + 1] = { label = shard.shard, values = v }
      end
      return out
    end,
    read = "Records each shard accepted in each second; one shard far above the others is a hot shard, and each shard takes at most 1,000 records/s with write limits on." },
  { id = "throttles", title = "Throttles", unit = "per second",
    series = function(e)
      local waits, writes = {}, {}
      for i, row in ipairs(e.timeseries) do
        waits[i], writes[i] = row.throttles, row.records_throttled
      end
      return { { label = "batches held by a concurrency limit", values = waits },
               { label = "puts refused by write limits", values = writes } }
    end,
    read = "Batches held back by a concurrency limit and records refused by the write limits in each second; zero lines mean neither limit was hit." },
  { id = "planned", title = "Planned and put", unit = "records per second",
    series = function(e)
      local put, planned, rate = column(e, "records_in"), {}, planned_rate(e) or 0
      for i = 1, #e.timeseries do planned[i] = i - 1 < e.config.duration and rate or 0 end
      return { { label = "planned (the producers' rates)", values = planned }, { label = "put", values = put },
               { label = "delivered", values = column(e, "records_delivered") } }
    end,
    read = "The records per second the producers were asked for (during the duration), the records the stream accepted, and the records delivered by the invocations that ended each second; put below planned is load never sent (records_not_sent: the producer waited on refused puts), delivered below put a backlog growing." },
}

-- --- charts ----------------------------------------------------------------------------------------------

local W, H = 640, 260
local LEFT, RIGHT, TOP, BOTTOM = 64, 20, 16, 44

-- Markers for an experiment's scripted reshardings (config.actions): a dotted vertical line at each action's
-- time, labelled with the shard count it scales to, on the chart's x map.
-- The sentence on the markers, for charts of experiments that reshard.
local function marks_note(experiments)
  for _, e in ipairs(experiments) do
    if #(e.config.actions or {}) > 0 then
      return " Dotted vertical lines mark the scripted reshardings (actions), labelled with the shard count they scale to."
    end
  end
  return ""
end

local function action_marks(e, x, stroke)
  local out = {}
  for _, a in ipairs(e.config.actions or {}) do
    out[#out + 1] = string.format('<line class="action" stroke="%s" stroke-dasharray="2 3" data-experiment="%s" data-at="%s" data-shards="%s" x1="%.1f" x2="%.1f" y1="%d" y2="%d"><title>%s: %s shards at %s s</title></line><text class="tick" x="%.1f" y="%d" text-anchor="start">&#8594;%s</text>',
      stroke, esc(e.name), num(a.at), num(a.update_shard_count), x(a.at), x(a.at), TOP, H - BOTTOM, esc(e.name),
      num(a.update_shard_count), num(a.at), x(a.at) + 3, TOP + 10, num(a.update_shard_count))
  end
  return table.concat(out)
end

local function chart(e, metric, series, x_max, y_max)
  local pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
  y_max = y_max > 0 and y_max or 1
  x_max = x_max > 0 and x_max or 1
  local ystep, xstep = nice_step(y_max, 4), nice_step(x_max, 6)
  y_max = math.ceil(y_max / ystep) * ystep
  x_max = math.ceil(x_max / xstep) * xstep
  local function x(t) return LEFT + pw * t / x_max end
  local function y(v) return TOP + ph * (1 - v / y_max) end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(string.format('<svg class="chart" viewBox="0 0 %d %d" role="img" data-experiment="%s" data-metric="%s" data-x-max="%s" data-y-max="%s" aria-label="%s, %s">',
    W, H, esc(e.name), metric.id, num(x_max), num(y_max), esc(metric.title), esc(e.name)))
  add(string.format('<title>%s: %s</title>', esc(e.name), esc(metric.title)))
  for v = 0, y_max + ystep / 2, ystep do -- y grid and labels
    add(string.format('<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>',
      LEFT, W - RIGHT, y(v), y(v), LEFT - 6, y(v) + 4, num(v)))
  end
  for t = 0, x_max + xstep / 2, xstep do -- x ticks
    add(string.format('<line class="axis" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>',
      x(t), x(t), TOP + ph, TOP + ph + 5, x(t), TOP + ph + 18, num(t)))
  end
  add(string.format('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/><line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>',
    LEFT, LEFT, TOP, TOP + ph, LEFT, W - RIGHT, TOP + ph, TOP + ph))
  add(string.format('<text class="label" x="%.1f" y="%d" text-anchor="middle">time since the start (s)</text>', LEFT + pw / 2, H - 6))
  add(string.format('<text class="label" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>', TOP + ph / 2, esc(metric.unit)))
  add(action_marks(e, x, "#555"))
  for k, s in ipairs(series) do
    local pts = {}
    for i, v in ipairs(s.values) do pts[i] = string.format("%.1f,%.1f", x(i - 1), y(v)) end
    local values = {}
    for i, v in ipairs(s.values) do values[i] = num(v) end
    add(string.format('<polyline fill="none" stroke="%s" stroke-width="1.5" data-series="%s" data-values="%s" points="%s"/>',
      PALETTE[(k - 1) % #PALETTE + 1], esc(s.label), table.concat(values, " "), table.concat(pts, " ")))
  end
  add('</svg>')
  local legend = { '<ul class="legend">' }
  for k, s in ipairs(series) do
    legend[#legend + 1] = string.format('<li><span class="swatch" style="background:%s"></span>%s</li>',
      PALETTE[(k - 1) % #PALETTE + 1], esc(s.label))
  end
  legend[#legend + 1] = '</ul>'
  return string.format('<figure><figcaption>%s <span class="unit">(%s)</span></figcaption>%s%s<p class="read">%s</p></figure>',
    esc(metric.title), esc(metric.unit), table.concat(out), table.concat(legend), esc(metric.read .. marks_note({ e })))
end

-- --- overlay charts: every experiment on one chart per metric ----------------------------------------------

-- Each overlay: an id (the per-experiment metric it overlays), a title, the y unit, an experiment's values, its
-- reference lines as {label, value} (dashed, in the experiment's colour), whether y is log10(ms + 1), and the
-- line under the chart saying how to read it.
local OVERLAYS = {
  { id = "concurrency", title = "Concurrent executions, all experiments", unit = "executions (max per second)",
    values = function(e)
      return column(e, "concurrency")
    end,
    refs = function(e)
      local shards, pf = e.config.stream.shards, e.config.mapping.parallelization_factor
      if type(shards) ~= "number" or type(pf) ~= "number" then return {} end
      return { { label = "shards x PF", value = shards * pf } }
    end,
    read = "Most batches running at once in each second, one line per experiment; each dashed line is that experiment's shards x PF (shards at the start), the most it could run." },
  { id = "iterator_age", title = "Iterator age, all experiments", unit = "seconds, log scale (max per second)", log = true,
    values = function(e)
      return column(e, "iterator_age_ms")
    end,
    refs = function() return {} end,
    read = "Iterator age in each second (the most any batch started then was behind), on a log scale (log10 of the age in ms + 1): each grid line is ten times the one below, so a 100 ms curve and a 400 s one both show; a rising line is a backlog growing." },
  { id = "records_in", title = "Records put, all experiments", unit = "records per second",
    values = function(e)
      return column(e, "records_in")
    end,
    refs = function(e)
      local st = e.config.stream
      if type(st.shards) ~= "number" or st.write_limits == false then return {} end
      return { { label = "write limit", value = st.shards * (st.records_per_second or 1000) } }
    end,
    read = "Records the stream accepted in each second, all shards together; each dashed line is that experiment's write limit, shards x 1,000 records/s." },
  { id = "records_delivered", title = "Records delivered, all experiments", unit = "records per second",
    values = function(e)
      return column(e, "records_delivered")
    end,
    refs = function() return {} end,
    read = "Records delivered successfully in each second (by the invocations that ended then), one line per experiment; against the records put above, a line below is a backlog growing, one above it catching up." },
}

local function log_ms(v) return math.log(v + 1, 10) end

local function seconds_label(ms)
  if ms < 1000 then return num(ms) .. " ms" end
  return num(ms / 1000) .. " s"
end

local function colour(k) return PALETTE[(k - 1) % #PALETTE + 1] end

local function overlay_chart(experiments, ov, x_max)
  local pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
  local lines, vmax = {}, 0
  for k, e in ipairs(experiments) do
    local values, refs = ov.values(e), ov.refs(e)
    for _, v in ipairs(values) do vmax = math.max(vmax, v) end
    for _, r in ipairs(refs) do vmax = math.max(vmax, r.value) end
    lines[k] = { e = e, values = values, refs = refs }
  end
  x_max = x_max > 0 and x_max or 1
  local xstep = nice_step(x_max, 6)
  x_max = math.ceil(x_max / xstep) * xstep
  local ticks, f, y_top = {}, function(v) return v end, nil
  if ov.log then
    f = log_ms
    local decade = 1 -- the top grid line: the first power of ten (10 ms or more) at or over the largest value
    while 10 ^ decade < vmax do decade = decade + 1 end
    for d = 0, decade do
      local ms = math.tointeger(10 ^ d) or 10 ^ d
      ticks[#ticks + 1] = { value = ms, label = seconds_label(ms) }
    end
    y_top = log_ms(10 ^ decade)
  else
    vmax = vmax > 0 and vmax * 1.05 or 1 -- room above the top line or reference line
    local ystep = nice_step(vmax, 4)
    y_top = math.ceil(vmax / ystep) * ystep
    for v = 0, y_top + ystep / 2, ystep do ticks[#ticks + 1] = { value = v, label = num(v) } end
  end
  local function x(t) return LEFT + pw * t / x_max end
  local function y(v) return TOP + ph * (1 - f(v) / y_top) end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(string.format('<svg class="chart overlay" viewBox="0 0 %d %d" role="img" data-overlay="all" data-metric="%s" data-scale="%s" data-x-max="%s" data-y-max="%s" aria-label="%s">',
    W, H, ov.id, ov.log and "log10(ms+1)" or "linear", num(x_max), ov.log and string.format("%.6f", y_top) or num(y_top),
    esc(ov.title)))
  add(string.format('<title>%s</title>', esc(ov.title)))
  for _, t in ipairs(ticks) do
    add(string.format('<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/><text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>',
      LEFT, W - RIGHT, y(t.value), y(t.value), LEFT - 6, y(t.value) + 4, esc(t.label)))
  end
  for t = 0, x_max + xstep / 2, xstep do
    add(string.format('<line class="axis" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>',
      x(t), x(t), TOP + ph, TOP + ph + 5, x(t), TOP + ph + 18, num(t)))
  end
  add(string.format('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/><line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>',
    LEFT, LEFT, TOP, TOP + ph, LEFT, W - RIGHT, TOP + ph, TOP + ph))
  add(string.format('<text class="label" x="%.1f" y="%d" text-anchor="middle">time since the start (s)</text>', LEFT + pw / 2, H - 6))
  add(string.format('<text class="label" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>', TOP + ph / 2,
    esc(ov.log and "seconds (log scale)" or ov.unit)))
  -- Reference lines under the data; experiments whose lines coincide share the dashes, in turn, so each colour shows.
  local same = {}
  for _, l in ipairs(lines) do
    for _, r in ipairs(l.refs) do same[r.label .. "=" .. num(r.value)] = (same[r.label .. "=" .. num(r.value)] or 0) + 1 end
  end
  local seen = {}
  for k, l in ipairs(lines) do
    for _, r in ipairs(l.refs) do
      local key = r.label .. "=" .. num(r.value)
      local m, j = same[key], seen[key] or 0
      seen[key] = j + 1
      add(string.format('<line class="ref" stroke="%s" stroke-width="1.2" stroke-dasharray="6 %d" stroke-dashoffset="%d" data-experiment="%s" data-ref="%s" data-value="%s" x1="%d" x2="%d" y1="%.1f" y2="%.1f"><title>%s: %s %s</title></line>',
        colour(k), 10 * m - 6, -10 * j, esc(l.e.name), esc(r.label), num(r.value), LEFT, W - RIGHT, y(r.value), y(r.value), esc(l.e.name),
        esc(r.label), num(r.value)))
    end
  end
  for k, l in ipairs(lines) do add(action_marks(l.e, x, colour(k))) end
  for k, l in ipairs(lines) do
    local pts, values = {}, {}
    for i, v in ipairs(l.values) do
      pts[i] = string.format("%.1f,%.1f", x(i - 1), y(v))
      values[i] = num(v)
    end
    add(string.format('<polyline fill="none" stroke="%s" stroke-width="1.5" data-series="%s" data-values="%s" points="%s"/>',
      colour(k), esc(l.e.name), table.concat(values, " "), table.concat(pts, " ")))
  end
  add('</svg>')
  local legend = { '<ul class="legend">' }
  for k, l in ipairs(lines) do
    local refs = {}
    for i, r in ipairs(l.refs) do refs[i] = esc(r.label) .. " " .. num(r.value) end
    legend[#legend + 1] = string.format('<li><span class="swatch" style="background:%s"></span>%s%s</li>', colour(k),
      esc(l.e.name), #refs > 0 and ' <span class="unit">(dashed: ' .. table.concat(refs, ", ") .. ')</span>' or "")
  end
  legend[#legend + 1] = '</ul>'
  return string.format('<figure><figcaption>%s <span class="unit">(%s)</span></figcaption>%s%s<p class="read">%s</p></figure>',
    esc(ov.title), esc(ov.unit), table.concat(out), table.concat(legend), esc(ov.read .. marks_note(experiments)))
end

-- --- tables ----------------------------------------------------------------------------------------------

-- Summary rows: label, field, unit, and which way is better (1: more, -1: less, nil: neither).
local ROWS = {
  { "records put", "records_put" }, { "records throttled", "records_throttled", nil, -1 },
  { "records delivered", "records_delivered", nil, 1 }, { "duplicate deliveries", "duplicate_deliveries", nil, -1 },
  { "invocations", "invocations" }, { "errors", "errors", nil, -1 }, { "retries", "retries", nil, -1 },
  { "records failed", "records_failed", nil, -1 }, { "max concurrency", "max_concurrency", "executions", 1 },
  { "mean concurrency", "mean_concurrency", "executions", 1 },
  { "max iterator age", "max_iterator_age_ms", "ms", -1 }, { "cold starts", "cold_starts" },
  { "run length", "duration_s", "s", -1 },
}

local function summary_table(experiments)
  local out = { '<table class="summary"><thead><tr><th></th>' }
  for _, e in ipairs(experiments) do out[#out + 1] = '<th scope="col">' .. esc(e.name) .. '</th>' end
  out[#out + 1] = '</tr></thead><tbody>'
  for _, row in ipairs(ROWS) do
    local label, field, unit, better = row[1], row[2], row[3], row[4]
    local lo, hi
    for _, e in ipairs(experiments) do
      local v = e.summary[field]
      lo = (lo == nil or v < lo) and v or lo
      hi = (hi == nil or v > hi) and v or hi
    end
    out[#out + 1] = '<tr><th scope="row">' .. esc(label) .. (unit and ' <span class="unit">(' .. unit .. ')</span>' or '') .. '</th>'
    for _, e in ipairs(experiments) do
      local v, class, mark = e.summary[field], "", ""
      if better and #experiments > 1 and lo ~= hi then
        if v == (better > 0 and hi or lo) then class, mark = ' class="best"', ' <span class="mark" title="best">&#9650; best</span>' end
        if v == (better > 0 and lo or hi) then class, mark = ' class="worst"', ' <span class="mark" title="worst">&#9660; worst</span>' end
      end
      out[#out + 1] = string.format('<td%s data-field="%s">%s%s</td>', class, field, num(v), mark)
    end
    out[#out + 1] = '</tr>'
  end
  out[#out + 1] = '</tbody></table>'
  return table.concat(out)
end

-- The scripted resharding: "at 5 s: 8 shards; at 60 s: 4 shards", or "none".
local function actions_text(actions)
  local parts = {}
  for i, a in ipairs(actions or {}) do parts[i] = string.format("at %s s: %s shards", num(a.at), num(a.update_shard_count)) end
  return #parts > 0 and table.concat(parts, "; ") or "none"
end

local function settings_table(e)
  local c, m = e.config, e.config.mapping
  local rows = {
    { "clock", c.clock }, { "duration", num(c.duration) .. " s" }, { "seed", num(c.seed) },
    { "shards", num(c.stream.shards) }, { "actions", actions_text(c.actions) },
    { "write limits", c.stream.write_limits and "on" or "off" },
    { "producers", num(c.producers) }, { "batch size", num(m.batch_size) },
    { "batching window", num(m.batching_window) .. " s" }, { "parallelization factor", num(m.parallelization_factor) },
    { "ordering", m.ordering }, { "reserved concurrency", m.reserved_concurrency > 0 and num(m.reserved_concurrency) or "none" },
    { "account concurrency", num(m.account_concurrency) }, { "starting position", m.starting_position },
    { "memory", num(m.memory_mb) .. " MB" }, { "timeout", num(m.timeout) .. " s" },
  }
  local out = { '<table class="settings"><tbody>' }
  for _, r in ipairs(rows) do out[#out + 1] = '<tr><th scope="row">' .. esc(r[1]) .. '</th><td>' .. esc(r[2]) .. '</td></tr>' end
  out[#out + 1] = '</tbody></table>'
  return table.concat(out)
end

-- The settings that tell experiments apart, a row each and a column per experiment; rows whose values differ
-- between experiments are marked (class "differs"), so what changed between two runs shows at a glance.
local function keys_seen(e)
  local n = 0
  for _, s in ipairs(e.summary.shards) do n = math.max(n, s.distinct_keys) end
  local total = 0
  for _, s in ipairs(e.summary.shards) do if s.open ~= false then total = total + s.distinct_keys end end
  return math.max(n, total)
end

local function list_text(v, fmt)
  if type(v) ~= "table" then return "-" end
  local parts = {}
  for i, x in ipairs(v) do parts[i] = fmt and fmt(x) or tostring(x) end
  return #parts > 0 and table.concat(parts, ", ") or "-"
end

local function rate_text(r)
  if type(r) == "table" then return (r.kind or "varying") .. (r.mean and (", mean " .. num(r.mean)) or "") end
  return num(r) .. "/s"
end

local COMPARED = {
  { "key strategy", function(e) return list_text(e.config.key_strategies) end },
  { "keys", function(e) return num(keys_seen(e)) end },
  { "producer rates", function(e) return list_text(e.config.producer_rates, rate_text) end },
  { "handler", function(e) return e.config.mapping.handler or "-" end },
  { "actions", function(e) return actions_text(e.config.actions) end },
  { "shards", function(e) return num(e.config.stream.shards) end },
  { "parallelization factor", function(e) return num(e.config.mapping.parallelization_factor) end },
  { "ordering", function(e) return e.config.mapping.ordering end },
  { "batch size", function(e) return num(e.config.mapping.batch_size) end },
  { "batching window", function(e) return num(e.config.mapping.batching_window) .. " s" end },
  { "maximum retry attempts", function(e) return num(e.config.mapping.maximum_retry_attempts or -1) end },
  { "maximum record age", function(e)
      local a = e.config.mapping.maximum_record_age
      return (a == nil or a < 0) and "none" or num(a) .. " s"
    end },
  { "bisect on error", function(e) return e.config.mapping.bisect_on_error and "yes" or "no" end },
  { "batch item failures", function(e) return e.config.mapping.report_batch_item_failures and "reported" or "no" end },
  { "tumbling window", function(e)
      local w = e.config.mapping.tumbling_window or 0
      return w > 0 and num(w) .. " s" or "none"
    end },
  { "reserved concurrency", function(e)
      local r = e.config.mapping.reserved_concurrency
      return r and r > 0 and num(r) or "none"
    end },
  { "write limits", function(e) return e.config.stream.write_limits and "on" or "off" end },
  { "duration", function(e) return num(e.config.duration) .. " s" end },
  { "clock", function(e) return e.config.clock end },
  { "seed", function(e) return num(e.config.seed) end },
}

local function comparison_table(experiments)
  local out = { '<table class="compare"><thead><tr><th></th>' }
  for _, e in ipairs(experiments) do out[#out + 1] = '<th scope="col">' .. esc(e.name) .. '</th>' end
  out[#out + 1] = '</tr></thead><tbody>'
  for _, row in ipairs(COMPARED) do
    local values, differs = {}, false
    for i, e in ipairs(experiments) do
      values[i] = tostring(row[2](e))
      if values[i] ~= values[1] then differs = true end
    end
    out[#out + 1] = string.format('<tr%s data-setting="%s"><th scope="row">%s</th>', differs and ' class="differs"' or "",
      esc(row[1]), esc(row[1]))
    for _, v in ipairs(values) do out[#out + 1] = '<td>' .. esc(v) .. '</td>' end
    out[#out + 1] = '</tr>'
  end
  out[#out + 1] = '</tbody></table>'
  return table.concat(out)
end

-- Every shard the run had; keys are those of the records read (filtered ones included); closed shards (split
-- or merged by a resharding) are marked, and children name their parents.
local function shards_table(e)
  local out = { '<table class="shards"><thead><tr><th>shard</th><th>records in</th><th>keys</th><th>lanes used</th><th>state</th><th>parents</th></tr></thead><tbody>' }
  for _, s in ipairs(e.summary.shards) do
    local parents = {}
    if type(s.parent) == "string" then parents[#parents + 1] = s.parent end
    if type(s.adjacent_parent) == "string" then parents[#parents + 1] = s.adjacent_parent end
    out[#out + 1] = string.format('<tr%s><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td></tr>',
      s.open == false and ' class="closed"' or "", esc(s.shard), s.records_in, s.distinct_keys, s.lanes_used,
      s.open == false and "closed" or "open", #parents > 0 and esc(table.concat(parents, ", ")) or "-")
  end
  out[#out + 1] = '</tbody></table>'
  return table.concat(out)
end

-- The invocations that failed, by errorType (summary.errors_by_type): most first; nil when none failed.
local function errors_table(e)
  local by, types = e.summary.errors_by_type or {}, {}
  for t in pairs(by) do types[#types + 1] = t end
  if #types == 0 then return nil end
  table.sort(types, function(a, b) return by[a].count > by[b].count or (by[a].count == by[b].count and a < b) end)
  local out = { '<table class="errors"><thead><tr><th>error type</th><th>count</th><th>where</th><th>first message</th></tr></thead><tbody>' }
  for _, t in ipairs(types) do
    local v = by[t]
    out[#out + 1] = string.format('<tr data-error-type="%s"><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>', esc(t), esc(t),
      v.count, type(v.where) == "string" and esc(v.where) or "-", esc(tostring(v.first_message)))
  end
  out[#out + 1] = '</tbody></table>'
  return table.concat(out)
end

-- Each mapping of an experiment of several: its settings, its own figures, what limited it, and its keys per
-- lane (lanes ordering).
local MAPPING_ROWS = { "records_delivered", "invocations", "errors", "retries", "records_failed", "max_concurrency",
                       "mean_concurrency", "max_iterator_age_ms", "read_throttles", "cold_starts" }

local function diagnosis_list(e)
  local out = { '<ul class="diagnosis">' }
  for _, line in ipairs(diagnose.lines(e)) do out[#out + 1] = '<li>' .. esc(line) .. '</li>' end
  out[#out + 1] = '</ul>'
  return table.concat(out)
end

local function mapping_sections(e)
  local out = {}
  for _, m in ipairs(e.mappings) do
    local c = m.config
    out[#out + 1] = string.format('<section class="mapping" data-mapping="%s"><h3>Mapping %s</h3><p class="note">handler %s, PF %s, %s ordering, batch size %s%s</p>',
      esc(m.name), esc(m.name), esc(c.handler or "-"), num(c.parallelization_factor), esc(c.ordering), num(c.batch_size),
      c.consumer == "efo" and ", enhanced fan-out" or "")
    out[#out + 1] = '<table class="summary"><tbody>'
    for _, f in ipairs(MAPPING_ROWS) do
      out[#out + 1] = string.format('<tr><th scope="row">%s</th><td data-mapping-field="%s">%s</td></tr>',
        esc(f:gsub("_", " ")), f, num(m.summary[f] or 0))
    end
    out[#out + 1] = '</tbody></table>'
    out[#out + 1] = diagnosis_list(diagnose.mapping_view(e, m))
    if c.ordering == "lanes" then
      out[#out + 1] = heatmap.figure(e.name .. " / " .. m.name, m.summary.shards, c.parallelization_factor) or ""
    end
    out[#out + 1] = '</section>'
  end
  return table.concat(out)
end


local CSS = [[
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;max-width:1400px;padding:16px 24px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}p.note{color:#555;margin:2px 0 12px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:right}
th[scope=row],table.settings th,table.shards td:first-child{text-align:left;font-weight:normal;color:#444}
table.errors td,table.errors th{text-align:left}table.errors td:nth-child(2){text-align:right}
table.shards tr.closed td{color:#888}
table.compare tr.differs th,table.compare tr.differs td{background:#fff4d6;font-weight:600}
table.compare td{text-align:left}svg.heatmap{max-width:560px;width:100%;height:auto;display:block}
thead th{font-weight:600;border-bottom:2px solid #bbb}.unit{color:#777;font-size:12px}
td.best{background:#e6f4ea}td.worst{background:#fce8e6}.mark{font-size:11px;color:#555;white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px 24px}
figure{margin:0;break-inside:avoid}figcaption{font-weight:600;margin:4px 0}
svg.chart{width:100%;height:auto;display:block}svg .grid{stroke:#eee}svg .axis{stroke:#888}
svg .tick{font-size:11px;fill:#555}svg .label{font-size:12px;fill:#333}
ul.legend{list-style:none;padding:0;margin:2px 0 0 64px;font-size:12px}ul.legend li{display:inline-block;margin-right:14px}
p.read{color:#555;font-size:12px;margin:2px 0 0 64px}
.swatch{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}
ul.diagnosis{margin:4px 0 8px;padding-left:20px}.meta{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}
section.experiment{break-before:page}
@media print{body{max-width:none;padding:0;font-size:11px}.charts{grid-template-columns:1fr 1fr}section.experiment:first-of-type{break-before:auto}}
]]

local function plural_experiments(n) return n == 1 and "1 experiment" or n .. " experiments" end

-- The whole page.
function M.html(experiments)
  local x_max, y_max = 0, {}
  local series_of = {}
  for i, e in ipairs(experiments) do
    x_max = math.max(x_max, #e.timeseries)
    series_of[i] = {}
    for _, metric in ipairs(METRICS) do
      local series = metric.series(e)
      series_of[i][metric.id] = series
      for _, s in ipairs(series) do
        for _, v in ipairs(s.values) do y_max[metric.id] = math.max(y_max[metric.id] or 0, v) end
      end
    end
  end
  local out = {}
  local function add(s) out[#out + 1] = s end
  add('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">')
  add('<title>shardlab report</title><style>' .. CSS .. '</style></head><body>')
  add(string.format('<h1>shardlab report</h1><p class="note">%s. The first charts draw every experiment together, one line each; below them, charts of one metric share their axes across experiments; each point is one second.</p>',
    plural_experiments(#experiments)))
  add('<section class="overlays"><h2>All experiments</h2><div class="charts">')
  for _, ov in ipairs(OVERLAYS) do add(overlay_chart(experiments, ov, x_max)) end
  add('</div></section>')
  add('<h2>Summary</h2>' .. summary_table(experiments))
  add('<h2>Settings</h2><p class="note">Highlighted rows differ between the experiments.</p>' .. comparison_table(experiments))
  add('<h2>What limited each experiment</h2>')
  for _, e in ipairs(experiments) do add('<h3>' .. esc(e.name) .. '</h3>' .. diagnosis_list(e)) end
  for i, e in ipairs(experiments) do
    add(string.format('<section class="experiment" id="experiment-%d"><h2>%s</h2>', i, esc(e.name)))
    add('<div class="meta"><div><h3>Settings</h3>' .. settings_table(e) .. '</div><div><h3>Shards</h3>' ..
        shards_table(e) .. '</div></div>')
    local errors = errors_table(e)
    if errors then add('<h3>Errors by type</h3>' .. errors) end
    add('<div class="charts">')
    for _, metric in ipairs(METRICS) do add(chart(e, metric, series_of[i][metric.id], x_max, y_max[metric.id] or 0)) end
    local lanes = e.config.mapping.ordering == "lanes" and (e.mappings == nil or #e.mappings < 2) and
      heatmap.figure(e.name, e.summary.shards, e.config.mapping.parallelization_factor)
    if lanes then add(lanes) end
    add('</div>')
    if e.mappings and #e.mappings > 1 then add(mapping_sections(e)) end
    add('</section>')
  end
  add('</body></html>\n')
  return table.concat(out)
end

-- --- CSV ---------------------------------------------------------------------------------------------------

local function csv_field(v) -- numbers at full precision: reading the CSV back gives the JSON's values
  local s = math.type(v) == "float" and string.format("%.15g", v) or tostring(v)
  if s:find('[,"\r\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function csv_line(fields)
  local out = {}
  for i, v in ipairs(fields) do out[i] = csv_field(v) end
  return table.concat(out, ",") .. "\n"
end

local EVENT_COUNTS = { "polled_event_count", "filtered_out_event_count", "failed_invoke_event_count",
                       "dropped_event_count", "on_failure_destination_delivered_event_count" }
local SERIES_COLUMNS = { "t", "concurrency", "invocations", "errors", "throttles", "iterator_age_ms", "records_in",
                         "records_throttled", "records_delivered", "read_throttles", table.unpack(EVENT_COUNTS) }
local SUMMARY_COLUMNS = { "records_put", "records_offered", "records_not_sent", "records_throttled", "records_delivered",
                          "deliveries", "duplicate_deliveries", "invocations", "errors", "retries", "timeouts",
                          "records_failed", "records_filtered", "records_expired",
                          "max_concurrency", "mean_concurrency", "max_iterator_age_ms", "cold_starts",
                          "windows_closed", "duration_s", "read_throttles", table.unpack(EVENT_COUNTS) }

-- A file name from an experiment's name: letters, digits, '-' and '_' kept, the rest '-'.
local function slug(name, used)
  local s = name:gsub("[^%w_-]+", "-"):gsub("^-+", ""):gsub("-+$", "")
  if s == "" then s = "experiment" end
  local base, n = s, 1
  while used[s] do n = n + 1; s = base .. "-" .. n end
  used[s] = true
  return s
end

-- {{file = NAME.csv, text = ...}, ...}: one file per experiment (a row per second, a records_in and a
-- bytes_in column per shard) and summary.csv (a row per experiment: its settings and summary).
function M.csv(experiments)
  local files, used = {}, { summary = true }
  local head = { "experiment", "clock", "duration", "seed", "shards", "batch_size", "parallelization_factor",
                 "ordering", "reserved_concurrency" }
  for _, c in ipairs(SUMMARY_COLUMNS) do head[#head + 1] = c end
  local summary = { csv_line(head) }
  for _, e in ipairs(experiments) do
    local m = e.config.mapping
    local row = { e.name, e.config.clock, e.config.duration, e.config.seed, e.config.stream.shards, m.batch_size,
                  m.parallelization_factor, m.ordering, m.reserved_concurrency }
    for _, c in ipairs(SUMMARY_COLUMNS) do row[#row + 1] = e.summary[c] end
    summary[#summary + 1] = csv_line(row)
    local cols = {}
    for i, c in ipairs(SERIES_COLUMNS) do cols[i] = c end
    for _, s in ipairs(e.summary.shards) do
      cols[#cols + 1] = s.shard .. "_records_in"
      cols[#cols + 1] = s.shard .. "_bytes_in"
    end
    local lines = { csv_line(cols) }
    for _, r in ipairs(e.timeseries) do
      local fields = {}
      for i, c in ipairs(SERIES_COLUMNS) do fields[i] = r[c] end
      for k = 1, #e.summary.shards do
        local sh = r.shards[k] or { records_in = 0, bytes_in = 0 }
        fields[#fields + 1] = sh.records_in
        fields[#fields + 1] = sh.bytes_in
      end
      lines[#lines + 1] = csv_line(fields)
    end
    files[#files + 1] = { file = slug(e.name, used) .. ".csv", text = table.concat(lines) }
  end
  files[#files + 1] = { file = "summary.csv", text = table.concat(summary) }
  return files
end

return M
