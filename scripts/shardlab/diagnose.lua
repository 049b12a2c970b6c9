-- shardlab.diagnose: what bounded an experiment's concurrency and throughput, read from its own results
-- (the {name, config, summary, timeseries} of `shardlab run --json`). One plain line per finding, each with
-- the numbers behind it; used by the terminal summary and the HTML report.
local M = {}

local function plural(n, word) return string.format("%d %s%s", n, word, n == 1 and "" or "s") end
local function pct(x) return string.format(x < 0.1 and "%.1f%%" or "%.0f%%", x * 100) end
local function secs(ms) return ms >= 10000 and string.format("%.0f s", ms / 1000) or string.format("%.1f s", ms / 1000) end

-- The shards whose keys and lanes bound concurrency: after a resharding the ones open at the end (a closed
-- parent's keys went on to its children: counting both would count each key twice); else all of them.
function M.current_shards(shards)
  local open, closed = {}, false
  for _, s in ipairs(shards) do
    if s.open == false then closed = true else open[#open + 1] = s end
  end
  return closed and open or shards
end

-- Per-shard figures with totals: keys, lanes used, records, and the bound each ordering model allows.
local function shard_figures(e)
  local pf = e.config.mapping.parallelization_factor
  local current = M.current_shards(e.summary.shards)
  local f = { keys = 0, lanes = 0, records = 0, bound = 0, busiest = nil, with_records = 0, shards = #current }
  for _, s in ipairs(current) do
    f.keys = f.keys + s.distinct_keys
    f.lanes = f.lanes + s.lanes_used
    f.records = f.records + s.records_in
    f.bound = f.bound + math.min(s.distinct_keys, pf)
    if s.records_in > 0 then f.with_records = f.with_records + 1 end
    if f.busiest == nil or s.records_in > f.busiest.records_in then f.busiest = s end
  end
  return f
end

local function sum(series, field)
  local total = 0
  for _, row in ipairs(series) do total = total + row[field] end
  return total
end

-- The findings, most fundamental first. Each returns a line or nil.
local checks = {}

checks[#checks + 1] = function(e, f) -- too few partition keys
  local pf, shards = e.config.mapping.parallelization_factor, e.config.stream.shards
  local slots = shards * pf
  if f.keys >= slots then return nil end
  return string.format("concurrency limited by partition keys: %s on %s %s at most %d concurrent %s (PF %d allows %d)",
    plural(f.keys, "key"), plural(shards, "shard"), f.keys == 1 and "gives" or "give", f.keys,
    f.keys == 1 and "batch" or "batches", pf, slots)
end

checks[#checks + 1] = function(e, f) -- keys colliding on lanes
  if e.config.mapping.ordering ~= "lanes" or f.lanes >= f.bound then return nil end
  local per = {}
  for _, s in ipairs(e.summary.shards) do
    if s.distinct_keys > 0 then per[#per + 1] = plural(s.distinct_keys, "key") .. " on " .. plural(s.lanes_used, "lane") end
  end
  return string.format("keys collide on lanes: %d keys use only %d of the %d lanes they could fill (a key's lane is MD5 mod PF %d; %s); ordering = \"keys\" would allow %d",
    f.keys, f.lanes, f.bound, e.config.mapping.parallelization_factor, table.concat(per, ", "), f.bound)
end

-- Findings about the stream and its producers (reported once for an experiment of several mappings); the
-- others are about one mapping. Bounds on concurrency (too few keys, keys on too few lanes) are findings only
-- when something held the run back: a run nothing held back says so instead.
local stream_level, bounds = {}, {}
bounds[checks[1]], bounds[checks[2]] = true, true

checks[#checks + 1] = function(e, f) -- hot shards
  if f.shards < 2 or f.records == 0 then return nil end
  local share, even = f.busiest.records_in / f.records, 1 / f.shards
  if share < 1.5 * even then return nil end
  return string.format("hot shard: %s took %s of the records (%d of %d; an even spread gives each of %d shards %s)",
    f.busiest.shard, pct(share), f.busiest.records_in, f.records, f.shards, pct(even))
end
stream_level[checks[#checks]] = true

checks[#checks + 1] = function(e) -- write throttling
  local s = e.summary
  if s.records_throttled == 0 then return nil end
  local text = string.format("write throttling: %d puts refused (%s of attempts) by the shard write limits (1,000 records/s and 1 MiB/s per shard)",
    s.records_throttled, pct(s.records_throttled / (s.records_put + s.records_throttled)))
  local offered, not_sent = s.records_offered or 0, s.records_not_sent or 0
  if not_sent > 0 and offered > 0 then -- the load a waiting producer never sent: the throughput lost
    text = text .. string.format("; %d of %d records offered were never sent (%s): the producer waited on refused puts",
      not_sent, offered, pct(not_sent / offered))
  end
  return text
end
stream_level[checks[#checks]] = true

checks[#checks + 1] = function(e) -- reserved or account concurrency
  local waits = sum(e.timeseries, "throttles")
  if waits == 0 then return nil end
  local m = e.config.mapping
  local reserved = m.reserved_concurrency > 0 and m.reserved_concurrency < m.account_concurrency
  return string.format("concurrency limited by %s %d: batches waited %s for a free execution (max concurrency %d)",
    reserved and "reserved concurrency" or "account concurrency", reserved and m.reserved_concurrency or m.account_concurrency,
    plural(waits, "time"), e.summary.max_concurrency)
end

checks[#checks + 1] = function(e) -- failing records: a stalled lane, or records sent away
  local s = e.summary
  if s.errors == 0 and s.retries == 0 and s.records_failed == 0 then return nil end
  local left = (s.kinesis_records_put or s.records_put) - s.records_delivered - s.records_failed - s.records_filtered
  local line = string.format("%s: %s, %s, max iterator age %s",
    left > 0 and "failing batches stalled their lanes" or "failing records",
    plural(s.errors, "error"), s.retries == 1 and "1 retry" or s.retries .. " retries", secs(s.max_iterator_age_ms))
  if left > 0 then line = line .. ", " .. plural(left, "record") .. " never delivered" end
  if s.records_failed > 0 then line = line .. ", " .. plural(s.records_failed, "record") .. " sent away without success" end
  if (s.records_filtered or 0) > 0 then line = line .. ", " .. plural(s.records_filtered, "record") .. " filtered out (not lost)" end
  return line
end

checks[#checks + 1] = function(e) -- the commonest error type, with its first message
  local by, top, total, types = e.summary.errors_by_type, nil, 0, 0
  for t, v in pairs(by or {}) do
    total, types = total + v.count, types + 1
    if top == nil or v.count > by[top].count or (v.count == by[top].count and t < top) then top = t end
  end
  if top == nil then return nil end
  local v = by[top]
  local first = tostring(v.first_message):match("^[^\n]*")
  if #first > 200 then first = first:sub(1, 200) .. "..." end
  local where = type(v.where) == "string" and not first:find(v.where, 1, true) and " (at " .. v.where .. ")" or ""
  local share = v.count == total and (total == 1 and "the 1 failed invocation" or "all " .. total .. " failed invocations")
    or string.format("%d of %d failed invocations (%d error types)", v.count, total, types)
  return string.format("handler errors: %s in %s; the first: %s%s", top, share, first, where)
end

-- The most shards open at once (results without shards_max_open: the starting count).
local function shards_reached(e) return e.summary.shards_max_open or e.config.stream.shards end

-- The scripted resharding in words ("the stream went from 4 to 8 shards at 60 s"), or nil when there was none.
local function resharding(e)
  local acts = {}
  for i, a in ipairs(e.config.actions or {}) do acts[i] = a end
  if #acts == 0 then return nil end
  table.sort(acts, function(a, b) return a.at < b.at end)
  local parts = { string.format("the stream went from %d to %s at %g s", e.config.stream.shards,
    plural(acts[1].update_shard_count, "shard"), acts[1].at) }
  for i = 2, #acts do parts[i] = string.format("to %d at %g s", acts[i].update_shard_count, acts[i].at) end
  return table.concat(parts, ", then ")
end

-- A run nothing held back: its records waited under a second (the default poll interval: an idle shard's new
-- record may wait that long for the next poll), with no refused put, no concurrency wait and no failure.
local function unhindered(e)
  local s = e.summary
  return s.max_iterator_age_ms < 1000 and not s.interrupted and s.records_throttled == 0 and s.errors == 0 and
    s.retries == 0 and s.records_failed == 0 and sum(e.timeseries, "throttles") == 0
end

checks[#checks + 1] = function(e) -- shards x PF: the most shards open at once, the keys of the open ones
  local pf, shards = e.config.mapping.parallelization_factor, shards_reached(e)
  local slots, keys = shards * pf, 0
  for _, s in ipairs(e.summary.shards) do
    if s.open ~= false then keys = keys + s.distinct_keys end
  end
  if keys < slots or e.summary.max_concurrency < slots or unhindered(e) then return nil end
  local how = resharding(e)
  return string.format("concurrency limited by shards and parallelization factor: it reached %d = %s x PF %d (%s%d keys could keep more batches busy)",
    slots, plural(shards, "shard"), pf, how and "the most open at once: " .. how .. "; " or "", keys)
end

checks[#checks + 1] = function(e) -- handler duration
  local s = e.summary
  if s.invocations == 0 or s.max_iterator_age_ms < 1000 or s.errors > 0 or s.retries > 0 then return nil end
  local run_s = s.duration_s
  local mean_ms = s.mean_concurrency * run_s * 1000 / s.invocations
  local per_batch = s.deliveries / s.invocations
  local capacity = s.max_concurrency * per_batch / (mean_ms / 1000)
  return string.format("handler duration: invocations took %.0f ms on average for %.0f records each; at concurrency %d that delivers about %.0f records/s against %.0f put per second, so records waited up to %s",
    mean_ms, per_batch, s.max_concurrency, capacity, s.records_put / e.config.duration, secs(s.max_iterator_age_ms))
end

-- One mapping of an experiment of several seen as an experiment of its own: its settings, figures, shards
-- and seconds, with the stream's and producers' figures of the whole run.
function M.mapping_view(e, m)
  local config, summary = {}, {}
  for k, v in pairs(e.config) do config[k] = v end
  config.mapping = m.config
  for k, v in pairs(e.summary) do summary[k] = v end
  for k, v in pairs(m.summary) do summary[k] = v end
  return { name = m.name, config = config, summary = summary, timeseries = m.timeseries }
end

-- The lines for experiment e, in order; a run with nothing to report says so, with its numbers. only: "stream"
-- for the stream's findings alone, "mapping" for the mapping's alone (nil: all).
local function lines_of(e, only)
  local f = shard_figures(e)
  local out = {}
  if e.summary.interrupted and only ~= "mapping" then
    out[1] = string.format("interrupted: stopped after %.1f s with %d of %d records delivered",
      e.summary.duration_s, e.summary.records_delivered, e.summary.records_put)
  end
  for _, check in ipairs(checks) do
    local line = (only == nil or (only == "stream") == (stream_level[check] == true)) and
      not (bounds[check] and unhindered(e)) and check(e, f)
    if line then out[#out + 1] = line end
  end
  if only == "stream" then return out end
  if unhindered(e) then
    out[#out + 1] = string.format("nothing limited it: records waited at most %d ms (max concurrency %d with %d keys on %d slots%s)",
      e.summary.max_iterator_age_ms, e.summary.max_concurrency, f.keys, shards_reached(e) * e.config.mapping.parallelization_factor,
      resharding(e) and "; " .. resharding(e) or "")
  elseif #out == 0 then
    out[1] = string.format("nothing held concurrency back: it reached %d with %d keys on %d slots, max iterator age %s",
      e.summary.max_concurrency, f.keys, shards_reached(e) * e.config.mapping.parallelization_factor,
      secs(e.summary.max_iterator_age_ms))
  end
  return out
end

-- The lines for experiment e. With several mappings: the stream's findings, then each mapping's, from its own
-- settings and figures, each line starting with the mapping's name.
function M.lines(e)
  if e.mappings == nil or #e.mappings < 2 then return lines_of(e) end
  local out = lines_of(e, "stream")
  for _, m in ipairs(e.mappings) do
    for _, line in ipairs(lines_of(M.mapping_view(e, m), "mapping")) do out[#out + 1] = m.name .. ": " .. line end
  end
  return out
end

return M
