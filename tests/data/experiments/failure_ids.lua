-- On-failure records carry the RequestId of the invocation that sent their batch away (tests/cli/
-- test_failures.sh checks each against the START lines of the log). Run from a copy: the handler path
-- assumes examples/ three folders up, and the record and log files land beside this file.
local sl = require("shardlab")
sl.experiment {
  name = "failure ids", duration = 10, seed = 1, stream = { shards = 2 },
  producers = { { rate = 200, arrivals = "fixed", record = function(i)
      return "device-" .. (i % 7), (i == 300 or i == 1200) and "poison" or "ok"
    end } },
  mapping = { handler = "../../../examples/handlers/poison.lua", maximum_retry_attempts = 1, bisect_on_error = true,
              on_failure = "failure-ids.jsonl", logs = "failure-ids.log" },
}
