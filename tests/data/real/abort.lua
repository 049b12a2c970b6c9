-- A run whose invocation sleeps for 20 s: a first SIGINT waits for it, a second must not.
local sl = require("shardlab")
sl.experiment {
  name = "abort",
  duration = 60,
  stream = { shards = 1 },
  producers = { { rate = 10, record = function() return "k", "x" end } },
  mapping = { handler = "forever.lua", timeout = 60, poll_interval = 0.05 },
}
