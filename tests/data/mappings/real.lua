-- Several mappings on the real clock: each invocation's end comes back to its own mapping.
local sl = require("shardlab")
sl.experiment {
  name = "real pair", duration = 2, seed = 1,
  stream = { shards = 2 },
  producers = { { rate = 100, arrivals = "fixed", record = function(i) return "k" .. (i % 9), "r" .. i end } },
  mappings = { { name = "slow", handler = "ok.lua", parallelization_factor = 3 },
               { name = "fast", handler = "audit.lua", batch_size = 7 } },
}
