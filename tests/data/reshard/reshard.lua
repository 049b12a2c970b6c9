-- tests/cli/test_reshard_report.sh: 4 shards with PF 2 and 200 keys, a handler slower than the records
-- arrive, and a resharding to 8 shards 5 s in; then a run whose filter passes 1 record in 4.
local sl = require("shardlab")

sl.experiment {
  name = "reshard", duration = 20, seed = 1,
  stream = { shards = 4 },
  producers = { { rate = 2000, record = function(i, now) return "key-" .. (i % 200), "x" end } },
  mapping = { handler = "../../../examples/handlers/slow.lua", batch_size = 100, parallelization_factor = 2 },
  actions = { { at = 5, update_shard_count = 8 } },
}

-- 1 record in 4 is an order; the filter passes only those, so 3 in 4 are filtered out, not lost.
sl.experiment {
  name = "filtered", duration = 10, seed = 1,
  stream = { shards = 2 },
  producers = { { rate = 100, record = function(i, now)
    return "key-" .. (i % 20), { type = i % 4 == 0 and "order" or "other" } end } },
  mapping = { handler = "../../../examples/handlers/fast.lua", batch_size = 10,
              filters = { { data = { type = { "order" } } } } },
}
