-- Bisection with a stream as the on-failure destination: only the poison record's failure record lands there.
local sl = require("shardlab")
local key = sl.keys.per_entity("device", 10)
sl.experiment {
  name = "dead letters", duration = 20, seed = 1, stream = { shards = 2 },
  producers = { { rate = 200, arrivals = "fixed", record = function(i)
      return key(i), i == 300 and "poison" or "ok"
    end } },
  mapping = { handler = "../../../examples/handlers/poison.lua", maximum_retry_attempts = 0, bisect_on_error = true,
              on_failure = { stream = "dead-letters" } },
}
