-- A filter on the partition key: Kinesis event source mappings filter on data only, so this is refused at load.
local sl = require("shardlab")
sl.experiment { name = "key filter", duration = 1,
  mapping = { handler = "../handlers/counter.lua",
              filters = { { data = { type = { "order" } } }, { partitionKey = { { prefix = "eu-" } } } } } }
