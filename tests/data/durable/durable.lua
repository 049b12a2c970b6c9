-- A mapping on a durable stream, for tests/cli/test_durable.sh: RUN tags the records ("RUN:i"), DURATION and
-- DRAIN size the run, so a first run can stop (or be killed) mid-stream and a second resume it.
local sl = require("shardlab")
local run = os.getenv("RUN") or "1"
sl.experiment {
  name = "durable",
  duration = tonumber(os.getenv("DURATION") or "5"),
  drain_timeout = tonumber(os.getenv("DRAIN") or "600"),
  -- read_limits off: polls every 0.1 s would be half refused by the 5 calls a second a shard allows, and this
  -- test is about what a restart redelivers, which wants invocations in flight when the first run stops.
  stream = { shards = 2, data_dir = "data", fsync = "always", read_limits = false },
  producers = { { rate = 200, arrivals = "fixed", record = function(i) return "key-" .. (i % 10), run .. ":" .. i end } },
  mapping = { handler = "delivery_log.lua", batch_size = 10, parallelization_factor = 2, poll_interval = 0.1 },
}
