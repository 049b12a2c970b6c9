local sl = require("shardlab")
sl.experiment { name = "x" duration = 1 }
