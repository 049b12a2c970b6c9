-- route --stream: an sl.experiment (5 shards) before an sl.run (3 shards): route takes the declared one.
local sl = require("shardlab")
sl.experiment { name = "declared", duration = 1, stream = { shards = 5 }, mapping = { handler = "../handlers/counter.lua" } }
local result = sl.run {
  name = "inline", duration = 1, stream = { shards = 3 },
  producers = { { rate = 1, record = function(i) return "k" .. i, "x" end } },
  mapping = { handler = "../handlers/counter.lua" },
}
print(result.summary.records_put)
