-- A handler that does not parse (handler_syntax.lua, line 3).
local sl = require("shardlab")
sl.experiment { name = "syntax error", duration = 2,
  producers = { { rate = 10, record = function(i) return "k", tostring(i) end } },
  mapping = { handler = "handler_syntax.lua" } }
