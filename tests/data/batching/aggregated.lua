-- A batching producer with KPL aggregation (tests/cli/test_batching.sh): 2,000 records/s of 50 keys into 2
-- shards for 5 s; SHARDLAB_AGG_KEY picks the aggregates' key ("kpl", the default, or "first").
local sl = require("shardlab")
sl.experiment {
  name = "aggregated", duration = 5, seed = 3,
  stream = { shards = 2 },
  producers = { { rate = 2000, mode = "batching", aggregate = true, aggregate_key = os.getenv("SHARDLAB_AGG_KEY"),
                  record = function(i) return "key-" .. (i % 50), "record " .. i end } },
  mapping = { handler = "deagg_log.lua", batch_size = 100, parallelization_factor = 2 },
}
