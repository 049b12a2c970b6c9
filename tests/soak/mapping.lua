-- The soak's mapping (tests/soak/soak.sh, beside a copy of handler.lua): the served durable stream "soak"
-- (2 shards) consumed in batches of up to 4 records with PF 2 (two lanes a shard); a failed batch is not retried
-- (maximum_retry_attempts 0) but goes to the on-failure file failed.jsonl, so every record is handled once: in a
-- successful invocation or in a failed batch (the handler logs both; the file has AWS's record of the failure).
local sl = require("shardlab")
sl.experiment {
  name = "soak",
  stream = { name = "soak", shards = 2 },
  mapping = {
    handler = "handler.lua", batch_size = 4, parallelization_factor = 2, maximum_retry_attempts = 0,
    on_failure = "failed.jsonl",
  },
}
