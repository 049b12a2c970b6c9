-- The seed question: why does a stream with 4 shards and ParallelizationFactor 10 run only 2 or 3 concurrent
-- Lambda executions? Because of its partition keys. The same workload runs with 1 key, with 3 keys, and with
-- 100 keys (one per server); the last runs twice, with the two ordering models shardlab offers:
--   lanes: each shard has PF lanes and a key goes to lane MD5(key) mod PF, so keys can collide on a lane;
--   keys:  keys are balanced over a shard's PF slots, the best any scheduler could do.
-- Run: shardlab run examples/seed_question.lua
local sl = require("shardlab")

local function experiment(name, key, ordering)
  sl.experiment {
    name = name,
    duration = 120,
    seed = 1,
    stream = { shards = 4 },
    producers = {
      { rate = 800, record = function(i, now) return key(i), { server = key(i), cpu = 42 } end },
    },
    mapping = {
      handler = "handlers/slow.lua",
      batch_size = 100,
      parallelization_factor = 10,
      ordering = ordering,
    },
  }
end

experiment("1 key", sl.keys.constant("server-1"))
experiment("3 keys", sl.keys.per_entity("server", 3))
experiment("100 keys", sl.keys.per_entity("server", 100))
experiment("100 keys (keys)", sl.keys.per_entity("server", 100), "keys")
