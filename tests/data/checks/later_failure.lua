-- Passes every check, then its second experiment fails while it runs (its producer raises at record 3): the
-- first experiment's results are still written.
local sl = require("shardlab")
sl.experiment { name = "finishes", duration = 1,
  producers = { { rate = 10, record = function(i) return "k", tostring(i * 2 + 1) end } },
  mapping = { handler = "handler_even.lua" } }
sl.experiment { name = "fails later", duration = 1,
  producers = { { rate = 10, record = function(i) if i == 3 then error("no key for record 3") end return "k", "1" end } },
  mapping = { handler = "handler_even.lua" } }
