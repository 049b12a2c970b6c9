local sl = require("shardlab")
sl.experiment {
  name = "number key", duration = 5,
  producers = { { rate = 10, record = function(i) return 42, "d" end } },
  mapping = { handler = "../handlers/counter.lua" },
}
