-- A handler whose top level fails (handler_top_level.lua, line 3).
local sl = require("shardlab")
sl.experiment { name = "top level", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "handler_top_level.lua" } }
