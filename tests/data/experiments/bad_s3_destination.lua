local sl = require("shardlab")
sl.experiment { name = "bad s3 destination", duration = 1,
  mapping = { handler = "../handlers/counter.lua", on_failure = { s3 = 5 } } }
