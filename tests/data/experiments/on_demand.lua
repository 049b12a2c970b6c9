-- An on-demand stream (docs/semantics.md, "Capacity modes"): no shard count; it starts with 4 shards (AWS: 4 MB/s
-- and 4,000 records/s of writes) and the service scales it to double its peak second. 6,000 records/s of random
-- keys from 6 producers: more than 4 shards take, so puts are refused until the stream has scaled (2 s after
-- a shortfall is seen here; AWS's own delay is up to 15 minutes, the default).
local sl = require("shardlab")
local key, producers = sl.keys.random(), {}
for p = 1, 6 do producers[p] = { rate = 1000, record = function(i) return key(i), "d" end } end
sl.experiment {
  name = "on demand", duration = 15, seed = 5,
  stream = { mode = "on_demand", on_demand_scale_delay = 2 },
  producers = producers,
  mapping = { handler = "../../../examples/handlers/fast.lua", batch_size = 1000 },
}
