-- A good experiment, then one with a misspelt field: nothing may run, not even the first.
local sl = require("shardlab")
sl.experiment { name = "good first", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "handler_even.lua" } }
sl.experiment { name = "typo second", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "handler_even.lua", batch_sise = 10 } }
