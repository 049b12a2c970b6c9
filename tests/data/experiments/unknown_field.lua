local sl = require("shardlab")
sl.experiment { name = "typo", duration = 1, mapping = { handler = "../handlers/counter.lua", batchsize = 10 } }
