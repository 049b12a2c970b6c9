-- One record per batch, no retries: each failing record is one failed invocation, counted by its type.
local sl = require("shardlab")
sl.experiment { name = "some errors", duration = 3,
  producers = { { rate = 10, record = function(i) return "k" .. i, tostring(i) end } },
  mapping = { handler = "handler_even.lua", batch_size = 1, maximum_retry_attempts = 0,
              report_batch_item_failures = true } }
