-- bench_dispatch's experiment: records through the whole dispatcher (producer, stream, reader, slots,
-- batches of 100, environments) to a handler that reads every record's key and data.
local sl = require("shardlab")
local key = sl.keys.per_entity("device", 400)
local payload = string.rep("x", 100)
sl.experiment {
  name = "dispatch", duration = 300, seed = 1,
  stream = { shards = 4, write_limits = false },
  producers = { { rate = 4000, arrivals = "fixed", record = function(i) return key(i), payload end } },
  mapping = { handler = "handlers/touch_records.lua", batch_size = 100, parallelization_factor = 2 },
}
