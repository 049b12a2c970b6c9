-- shardlab.report_heatmap: the keys x lanes picture of a mapping with ordering = "lanes" (DESIGN 4): a row per
-- shard, a column per lane (a key's lane is MD5(key) mod PF), each cell shaded by the distinct keys that fell
-- in it (summary.shards[i].lane_keys), so empty lanes show why some keys give fewer concurrent batches than
-- shards x PF. Inline SVG for shardlab.report.
local html = require("shardlab.report_html")
local esc, plural = html.esc, html.plural

local M = {}

-- The figures of the picture: the shards that have lane counts (rows: closed parents of a resharding too),
-- and for the caption those open at the end when some closed (a parent's keys went on to its children):
-- their keys, lanes with a key; the most keys in one lane. nil when the mapping does not order by lanes.
function M.figures(shards, pf)
  local rows, any_closed, most = {}, false, 0
  for _, s in ipairs(shards) do
    if type(s.lane_keys) == "table" then
      rows[#rows + 1] = s
      any_closed = any_closed or s.open == false
      for lane = 1, pf do most = math.max(most, s.lane_keys[lane] or 0) end
    end
  end
  if #rows == 0 then return nil end
  local keys, filled, counted = 0, 0, 0
  for _, s in ipairs(rows) do
    if not (any_closed and s.open == false) then
      counted = counted + 1
      keys = keys + s.distinct_keys
      for lane = 1, pf do if (s.lane_keys[lane] or 0) > 0 then filled = filled + 1 end end
    end
  end
  return { rows = rows, keys = keys, filled = filled, most = most, pf = pf, shards = counted,
           open = any_closed and " open" or "" }
end

-- "100 keys on 4 shards, PF 10: 38 of 40 lanes have a key" (after a resharding: "on 8 open shards")
function M.caption(f)
  return string.format("%s on %d%s shard%s, PF %d: %d of %d lanes have a key", plural(f.keys, "key"), f.shards,
    f.open, f.shards == 1 and "" or "s", f.pf, f.filled, f.shards * f.pf)
end

-- The figure for shards (a summary's) with parallelization factor pf, or nil without lane counts.
function M.figure(name, shards, pf)
  local f = M.figures(shards, pf)
  if f == nil then return nil end
  local cell, left, top = 34, 170, 26
  local w, h = left + cell * pf + 10, top + cell * #f.rows + 10
  local out = { string.format('<svg class="heatmap" viewBox="0 0 %d %d" role="img" data-experiment="%s" data-pf="%d" aria-label="keys per lane, %s">',
    w, h, esc(name), pf, esc(name)) }
  out[#out + 1] = string.format('<title>%s: keys per lane</title>', esc(name))
  for lane = 1, pf do
    out[#out + 1] = string.format('<text class="tick" x="%d" y="%d" text-anchor="middle">%d</text>',
      left + cell * (lane - 1) + cell // 2, top - 8, lane - 1)
  end
  for r, s in ipairs(f.rows) do
    local y = top + cell * (r - 1)
    out[#out + 1] = string.format('<text class="tick" x="%d" y="%d" text-anchor="end">%s%s</text>', left - 8,
      y + cell // 2 + 4, esc(s.shard), s.open == false and " (closed)" or "")
    for lane = 1, pf do
      local n = s.lane_keys[lane] or 0
      local shade = f.most > 0 and n / f.most or 0
      out[#out + 1] = string.format('<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="%.3f" stroke="#ccc" data-shard="%s" data-lane="%d" data-keys="%d"/>',
        left + cell * (lane - 1), y, cell, cell, n > 0 and "#1f77b4" or "#fff", n > 0 and 0.15 + 0.85 * shade or 1,
        esc(s.shard), lane - 1, n)
      out[#out + 1] = string.format('<text class="tick" x="%d" y="%d" text-anchor="middle">%d</text>',
        left + cell * (lane - 1) + cell // 2, y + cell // 2 + 4, n)
    end
  end
  out[#out + 1] = '</svg>'
  return string.format('<figure><figcaption>Keys per lane <span class="unit">(%s)</span></figcaption>%s<p class="read">%s. A row per shard, a column per lane (a key\'s lane is MD5(key) mod PF); each cell is the number of distinct keys in it, darker for more. With ordering = "lanes" a lane runs one batch at a time, so an empty cell is a batch that cannot run.</p></figure>',
    esc(M.caption(f)), table.concat(out), esc(M.caption(f)))
end

return M
