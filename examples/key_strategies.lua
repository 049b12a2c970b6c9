-- Partition-key strategies side by side: the same 2,000 records/s into 4 shards (4,000 records/s of write
-- capacity in all), PF 5, keyed six ways. Watch "records throttled" (a shard takes 1,000 records/s at most),
-- the per-shard table (hot shards) and "max concurrency".
-- Run: shardlab run examples/key_strategies.lua
local sl = require("shardlab")

local strategies = {
  { "constant", sl.keys.constant("tenant-1") },
  { "random", sl.keys.random() },
  { "per entity", sl.keys.per_entity("device", 50) },
  { "salted hot key", sl.keys.salted("tenant-1", 8) },
  { "balanced", sl.keys.balanced(4) },
  { "zipf", sl.keys.zipf("customer", 1000, 1.1) },
}

for _, s in ipairs(strategies) do
  local name, key = s[1], s[2]
  sl.experiment {
    name = name,
    duration = 30,
    seed = 7,
    stream = { shards = 4 },
    producers = {
      { rate = 2000, record = function(i, now)
          local k, explicit_hash_key = key(i)
          return k, "payload-" .. i, explicit_hash_key
        end },
    },
    mapping = { handler = "handlers/fast.lua", batch_size = 100, parallelization_factor = 5 },
  }
end
