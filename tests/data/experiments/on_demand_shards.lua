-- An on-demand stream with a shard count: refused, as AWS's CreateStream takes ShardCount for provisioned streams only.
local sl = require("shardlab")
sl.experiment {
  name = "on demand shards", duration = 5,
  stream = { mode = "on_demand", shards = 2 },
  producers = { { rate = 10, record = function(i) return "key-" .. i, "d" end } },
  mapping = { handler = "../handlers/counter.lua" },
}
