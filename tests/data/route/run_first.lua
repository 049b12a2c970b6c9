-- route --stream: sl.run comes first (route must not run it, and what follows uses its results), then an
-- sl.experiment with another shard count. route takes the sl.run's stream: 3 shards.
local sl = require("shardlab")
local result = sl.run {
  name = "inline", duration = 1, stream = { shards = 3 },
  producers = { { rate = 1, record = function(i) return "k" .. i, "x" end } },
  mapping = { handler = "../handlers/counter.lua" },
}
if result.summary.records_put < 0 then error("unreachable") end
sl.experiment { name = "declared", duration = 1, stream = { shards = 5 }, mapping = { handler = "../handlers/counter.lua" } }
