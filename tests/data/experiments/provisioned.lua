-- Six keys over two shards (balanced keys ordering), with 0, 2 and 50 provisioned environments.
local sl = require("shardlab")
for _, pc in ipairs({ 0, 2, 50 }) do
  local key = sl.keys.per_entity("s", 6)
  sl.experiment {
    name = "pc " .. pc, duration = 20, stream = { shards = 2 },
    producers = { { rate = 200, record = function(i) return key(i), "d" end } },
    mapping = { handler = "../../../examples/handlers/slow.lua", parallelization_factor = 10, ordering = "keys",
                provisioned_concurrency = pc },
  }
end
