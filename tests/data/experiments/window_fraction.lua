local sl = require("shardlab")
sl.experiment { name = "window", duration = 1, mapping = { handler = "../handlers/counter.lua", batching_window = 0.5 } }
