-- bench_sim's experiment: one simulated hour of 4 shards at 1,000 records/s each (write limits off, so the
-- rate is exactly that), 100-byte payloads, a trivial handler.
local sl = require("shardlab")
local key = sl.keys.per_entity("device", 400)
local payload = string.rep("x", 100)
sl.experiment {
  name = "one hour", duration = 3600, seed = 1,
  stream = { shards = 4, write_limits = false },
  producers = { { rate = 4000, arrivals = "fixed", record = function(i) return key(i), payload end } },
  mapping = { handler = "handlers/trivial.lua", batch_size = 100 },
}
