-- bench_parallel's experiment (real clock): as many records as workers, one key each, on one shard whose
-- PF gives each its own slot; every record asks the handler for SHARDLAB_BENCH_WORK loop iterations.
local sl = require("shardlab")
local slots = tonumber(os.getenv("SHARDLAB_BENCH_SLOTS") or "2")
local work = os.getenv("SHARDLAB_BENCH_WORK") or "1000000"
sl.experiment {
  name = "parallel", duration = 0.01, seed = 1,
  stream = { shards = 1 },
  producers = { { rate = slots * 100, arrivals = "fixed", record = function(i) return "slot-" .. i, work end } },
  mapping = { handler = "handlers/spin.lua", batch_size = 1, parallelization_factor = slots, ordering = "keys",
              poll_interval = 0.001, timeout = 60 },
}
