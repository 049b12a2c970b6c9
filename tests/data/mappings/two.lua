-- Two mappings on one stream: two standard ones share each shard's 5 reads a second; a third reads through
-- enhanced fan-out. Each has its own handler, settings and results.
local sl = require("shardlab")
local key = sl.keys.per_entity("user", 20)

sl.experiment {
  name = "three readers", duration = 30, seed = 3,
  stream = { shards = 2 },
  producers = { { rate = 400, record = function(i) return key(i), "order " .. i end } },
  mappings = {
    { name = "orders", handler = "ok.lua", batch_size = 10, parallelization_factor = 2 },
    { name = "audit", handler = "audit.lua", batch_size = 50, maximum_retry_attempts = 1 },
    { name = "fan-out", handler = "ok.lua", consumer = "efo", batch_size = 100 },
  },
}
