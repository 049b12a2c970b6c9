local sl = require("shardlab")
sl.experiment {
  name = "broken producer", duration = 5,
  producers = { { rate = 10, record = function(i) if i == 3 then error("no key for record 3") end return "k", "d" end } },
  mapping = { handler = "../handlers/counter.lua" },
}
