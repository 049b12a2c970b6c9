-- shardlab.report_charts: the charts of shardlab.report as inline SVG: a chart per metric of one experiment
-- (scales shared across experiments by the caller), the overlays that draw every experiment together, and the
-- resharding and action marks on them.
local html = require("shardlab.report_html")
local esc, num = html.esc, html.num

local M = {}

local PALETTE = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf" }
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

-- The x ticks every xstep seconds, both axes, and their labels (the y one: unit).
local function time_axes(add, x, x_max, xstep, ph, pw, unit)
  for t = 0, x_max + xstep / 2, xstep do
    add(string.format('<line class="axis" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/><text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>',
      x(t), x(t), TOP + ph, TOP + ph + 5, x(t), TOP + ph + 18, num(t)))
  end
  add(string.format('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/><line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/>',
    LEFT, LEFT, TOP, TOP + ph, LEFT, W - RIGHT, TOP + ph, TOP + ph))
  add(string.format('<text class="label" x="%.1f" y="%d" text-anchor="middle">time since the start (s)</text>', LEFT + pw / 2, H - 6))
  add(string.format('<text class="label" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">%s</text>', TOP + ph / 2,
    esc(unit)))
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
  time_axes(add, x, x_max, xstep, ph, pw, metric.unit)
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
  time_axes(add, x, x_max, xstep, ph, pw, ov.log and "seconds (log scale)" or ov.unit)
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

M.METRICS, M.OVERLAYS, M.chart, M.overlay_chart = METRICS, OVERLAYS, chart, overlay_chart
return M
