-- Two mappings on a durable stream: each keeps checkpoints of its own, so a second run resumes both.
local sl = require("shardlab")
sl.experiment {
  name = "kept", duration = 5, seed = 1,
  stream = { shards = 2, data_dir = "kept-data" },
  producers = { { rate = 100, arrivals = "fixed", record = function(i) return "k" .. (i % 7), "r" .. i end } },
  mappings = { { name = "first", handler = "ok.lua" }, { name = "second", handler = "ok.lua", batch_size = 5 } },
}
