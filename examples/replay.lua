-- What would my production traffic give with another partition key? examples/data/orders-capture.jsonl is
-- six seconds of an order service's stream (300 records), captured from `shardlab serve` with
-- `shardlab capture --endpoint http://127.0.0.1:4567 --stream orders --out orders-capture.jsonl` after a
-- boto3 script put them. Its producer keyed by service name (three keys), so Lambda can run at most three
-- batches at once however high the ParallelizationFactor. The second experiment replays the same records at
-- the same times with the device id from each record's data as the key.
-- Run: shardlab run examples/replay.lua
local sl = require("shardlab")

local function experiment(name, rekey)
  sl.experiment {
    name = name,
    stream = { shards = 2 },
    producers = { sl.replay { file = "data/orders-capture.jsonl", rekey = rekey } },
    mapping = { handler = "handlers/slow.lua", batch_size = 10, parallelization_factor = 10 },
  }
end

experiment("recorded keys")
experiment("device id as key", function(r) return sl.json.decode(r.data).device end)
