-- A mapping for `shardlab serve --mapping` (tests/cli/test_serve_mapping.sh) whose handler always fails: each
-- batch goes to the on-failure file at once (no retries), which must reach the file while the server runs.
local sl = require("shardlab")
sl.experiment {
  name = "failing mapping",
  stream = { name = "failing", shards = 1 },
  mapping = { handler = "failing_handler.lua", batch_size = 10, maximum_retry_attempts = 0, on_failure = "failed.jsonl" },
}
