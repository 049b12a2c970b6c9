-- A handler file that returns no function and defines no global handler.
local sl = require("shardlab")
sl.experiment { name = "no function", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "handler_no_function.lua" } }
