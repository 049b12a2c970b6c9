-- An S3-style on-failure destination: with no retries every batch holding a poison record goes to dlq/, one
-- object per batch under AWS's key layout, with the batch's event as its payload (tests/cli/
-- test_destinations.sh). Run from a copy: the handler path assumes examples/ three folders up, and dlq/ is
-- created beside this file.
local sl = require("shardlab")
sl.experiment {
  name = "s3 destination", duration = 10, seed = 3, stream = { shards = 2 },
  producers = { { rate = 100, arrivals = "fixed", record = function(i)
      return "device-" .. (i % 5), (i == 150 or i == 700) and "poison" or ("record-" .. i)
    end } },
  mapping = { handler = "../../../examples/handlers/poison.lua", batch_size = 10, maximum_retry_attempts = 0,
              on_failure = { s3 = "dlq" } },
}
