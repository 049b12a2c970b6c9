-- Per-key counts over 60-second tumbling windows: three sensors write 10 readings/s each for three minutes
-- into one shard. The handler keeps its counts in the window's state (not in a global, so they survive
-- environment resets), and the final invocation of each window writes the totals to tumbling-window.log:
--   grep counts examples/tumbling-window.log
-- Run: shardlab run examples/tumbling_window.lua
local sl = require("shardlab")
local sensor = sl.keys.per_entity("sensor", 3)

sl.experiment {
  name = "60 s windows", duration = 180, seed = 1,
  stream = { shards = 1 },
  producers = { { rate = 30, arrivals = "fixed", record = function(i) return sensor(i), { reading = i } end } },
  mapping = { handler = "handlers/window_counts.lua", batch_size = 50, tumbling_window = 60,
              logs = "tumbling-window.log" },
}
