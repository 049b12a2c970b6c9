local sl = require("shardlab")
sl.experiment { name = "zero", duration = 1, mapping = { handler = "../handlers/counter.lua", batch_size = 0 } }
