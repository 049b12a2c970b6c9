-- shardlab.report: the results of `shardlab run` (the list of {name, config, summary, timeseries} that
-- --json writes) as one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) and as CSV.
-- Charts of one metric share their scales across experiments so they can be compared by eye.
local diagnose = require("shardlab.diagnose")
local heatmap = require("shardlab.report_heatmap")
local charts = require("shardlab.report_charts")
local html = require("shardlab.report_html")
local esc, num = html.esc, html.num
local METRICS, OVERLAYS, chart, overlay_chart = charts.METRICS, charts.OVERLAYS, charts.chart, charts.overlay_chart

local M = {}

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
