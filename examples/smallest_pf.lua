-- A scripted search with sl.run: the smallest ParallelizationFactor that keeps the iterator age under one
-- second for 100 devices writing 600 records/s into 2 shards, with a handler taking half a second per batch.
-- Each sl.run returns its summary as a Lua table; every run is reported at the end.
-- Run: shardlab run examples/smallest_pf.lua
local sl = require("shardlab")

local function trial(pf)
  local key = sl.keys.per_entity("device", 100)
  return sl.run {
    name = "PF " .. pf,
    duration = 60,
    stream = { shards = 2 },
    producers = { { rate = 600, record = function(i) return key(i), "reading" end } },
    mapping = { handler = "handlers/slow.lua", parallelization_factor = pf },
  }
end

for pf = 1, 10 do
  local result = trial(pf)
  local age = result.summary.max_iterator_age_ms
  print(string.format("PF %2d: max iterator age %7d ms, max concurrency %d", pf, age,
                      result.summary.max_concurrency))
  if age < 1000 then
    print("smallest PF with iterator age under a second: " .. pf)
    break
  end
end
