-- Three uniform scalings in one run on a stream that allows two per rolling 24 hours: the third is refused
-- with LimitExceededException (AWS UpdateShardCount: ten by default).
local sl = require("shardlab")
sl.experiment {
  name = "scaling per day", duration = 5,
  stream = { shards = 2, update_shard_count_per_day = 2 },
  producers = { { rate = 10, record = function(i) return "key-" .. i, "d" end } },
  mapping = { handler = "../handlers/counter.lua" },
  actions = { { at = 1, update_shard_count = 4 }, { at = 2, update_shard_count = 2 }, { at = 3, update_shard_count = 4 } },
}
