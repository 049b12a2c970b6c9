-- An on-demand served stream for `shardlab serve --mapping` (tests/cli/test_serve_mapping.sh): "orders" created
-- in the on-demand capacity mode (4 shards to start, scaled by the server), consumed by the same handler.
local sl = require("shardlab")
sl.experiment {
  name = "orders on demand",
  stream = { name = "orders", mode = "on_demand" },
  mapping = { handler = "delivery_log.lua", batch_size = 25 },
}
