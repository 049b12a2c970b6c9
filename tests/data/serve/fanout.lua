-- A mapping for `shardlab serve --mapping` (tests/cli/test_serve_mapping.sh) that reads through enhanced fan-out:
-- its consumer "search" is registered on the served stream, as a Lambda mapping with a consumer ARN is.
local sl = require("shardlab")
sl.experiment {
  name = "fan-out mapping",
  stream = { name = "fanned", shards = 1 },
  mappings = { { name = "search", handler = "delivery_log.lua", consumer = "efo", batch_size = 10 } },
}
