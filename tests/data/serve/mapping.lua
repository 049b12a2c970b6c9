-- A mapping for `shardlab serve --mapping` (tests/cli/test_serve_mapping.sh): the served stream "orders"
-- (2 shards) consumed with PF 2 by a handler that logs every record. It polls at Lambda's once a second: the
-- shards' 5 GetRecords calls a second are shared with the test's own boto3 reader.
local sl = require("shardlab")
sl.experiment {
  name = "orders mapping",
  stream = { name = "orders", shards = 2 },
  mapping = { handler = "delivery_log.lua", batch_size = 25, parallelization_factor = 2 },
}
