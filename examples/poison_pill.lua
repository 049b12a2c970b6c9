-- What one bad record does to a stream: 10 devices write 100 records/s each into 2 shards for a minute, and
-- record 1000 cannot be parsed. Side by side:
--   defaults: Lambda retries the failing batch until its records expire (24 hours), so the poison record's
--     shard stalls, nothing behind it is processed, and its iterator age climbs for the rest of the run;
--   retries 2 + on_failure: after three invocations the whole batch (100 records) goes to the destination;
--   bisect + on_failure: the failing batch is halved until the poison record is alone; only it goes there;
--   partial batch response: the handler names the poison record; with retries 2 it ends in the destination.
-- Failed batches are written as AWS's on-failure records to poison-*.jsonl next to this file.
-- Run: shardlab run examples/poison_pill.lua
local sl = require("shardlab")

local function experiment(name, handler, mapping)
  local key = sl.keys.per_entity("device", 10)
  mapping.handler = handler
  mapping.batch_size = 100
  sl.experiment {
    name = name, duration = 60, seed = 1,
    stream = { shards = 2 },
    producers = { { rate = 1000, arrivals = "fixed", record = function(i)
        return key(i), i == 1000 and "poison" or sl.json.encode({ device = key(i), reading = i })
      end } },
    mapping = mapping,
    drain_timeout = 120,
  }
end

experiment("defaults", "handlers/poison.lua", {})
experiment("retries 2", "handlers/poison.lua", { maximum_retry_attempts = 2, on_failure = "poison-retries.jsonl" })
experiment("bisect", "handlers/poison.lua",
           { maximum_retry_attempts = 0, bisect_on_error = true, on_failure = "poison-bisect.jsonl" })
experiment("partial", "handlers/poison_partial.lua",
           { report_batch_item_failures = true, maximum_retry_attempts = 2, on_failure = "poison-partial.jsonl" })
