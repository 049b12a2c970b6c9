-- A mapping whose handler file is not there: `shardlab run` must stop before any simulated time.
local sl = require("shardlab")
sl.experiment { name = "missing handler", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "no_such_handler.lua" } }
