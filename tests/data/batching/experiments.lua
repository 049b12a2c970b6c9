-- Producers for tests/cli/test_batching.sh: the same 3,000 records/s with 200 keys into 4 shards for 10 s
-- (4,000 records/s of room: nothing is refused), sent by a sync producer and by a batching one with the KPL's
-- defaults; SHARDLAB_BAD picks a mistake instead.
local sl = require("shardlab")
local function record(i) return "key-" .. (i % 200), "record " .. i end
local bad = os.getenv("SHARDLAB_BAD")
local modes = { "sync", "batching" }
for _, mode in ipairs(modes) do
  local producer = { rate = 3000, arrivals = "fixed", mode = mode, record = record }
  if bad == "sync_setting" and mode == "sync" then producer.max_buffered_time = 0.5 end
  if bad == "mode" and mode == "batching" then producer.mode = "kpl" end
  if bad == "count" and mode == "batching" then producer.collection_max_count = 501 end
  if bad == "agg_key" and mode == "batching" then producer.aggregation_max_size = 1000 end
  sl.experiment {
    name = mode, duration = 10,
    stream = { shards = 4 },
    producers = { producer },
    mapping = { handler = "handler.lua", batch_size = 500 },
  }
end
