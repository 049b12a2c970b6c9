local sl = require("shardlab")
sl.experiment { name = "bad destination", duration = 1,
  mapping = { handler = "../handlers/counter.lua", on_failure = { stream = "x", file = "y.jsonl" } } }
