local sl = require("shardlab")
sl.experiment { name = "bad filter", duration = 1,
  mapping = { handler = "../handlers/counter.lua", filters = { { data = { total = { { numeric = { "~", 1 } } } } } } } }
