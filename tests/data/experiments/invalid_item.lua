-- Every invocation returns an invalid batchItemFailures (an itemIdentifier not in the batch): each batch fails
-- as a whole and goes to the destination after maximum_retry_attempts, but the handler returned normally, so
-- each slot's environment stays warm: one cold start per slot (here 2 shards x PF 1), not one per invocation.
local sl = require("shardlab")
local key = sl.keys.per_entity("device", 10)
sl.experiment {
  name = "invalid item", duration = 10, seed = 1, stream = { shards = 2 },
  producers = { { rate = 20, arrivals = "fixed", record = function(i) return key(i), "ok" end } },
  mapping = { handler = "../handlers/invalid_item.lua", report_batch_item_failures = true,
              maximum_retry_attempts = 2 },
}
