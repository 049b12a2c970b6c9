local sl = require("shardlab")
sl.experiment { name = "pf", duration = 1, mapping = { handler = "../handlers/counter.lua", parallelization_factor = 11 } }
