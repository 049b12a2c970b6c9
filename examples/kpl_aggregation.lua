-- What KPL aggregation does to a Lambda mapping: about 2,000 records/s of 100 devices (small JSON readings)
-- into 2 shards from a batching producer with the KPL's defaults; a handler that unpacks each record
-- (sl.kpl.deaggregate: Lambda does not) and works half a second plus a millisecond per reading; PF 10.
--   - "batching": plain PutRecords: 100 keys keep up to 20 batches busy (max concurrency 20).
--   - "aggregated (KPL key)": the KPL packs each shard's buffered readings into aggregates of up to 51,200
--     bytes, about 600 Kinesis records for 60,000 readings, and gives every aggregate of two or more records
--     the partition key "a", as the C++ KPL does. Lambda then sees one key per shard, so one batch per shard
--     runs at a time whatever the PF: max concurrency 2, and the records wait longer.
--   - "aggregated (first key)": the same aggregates keyed by their first reading (as aws-kinesis-agg's
--     aggregator does): the keys, and the concurrency, come back (16).
--   - "plain, hot" and "aggregated, hot": 6,000 readings/s into 1 shard, six times its 1,000 records/s. Plain
--     PutRecords are throttled and two thirds of the readings are dropped after the KPL's 30 s RecordTtl;
--     aggregates of a hundred readings all get in, but one batch at a time falls behind (iterator age 115 s).
-- Run: shardlab run examples/kpl_aggregation.lua
local sl = require("shardlab")
local device = sl.keys.per_entity("device", 100)
local function reading(i) return device(i), string.format('{"device":%d,"celsius":%.1f}', i % 100, 18 + i % 7) end

local function experiment(name, o)
  sl.experiment {
    name = name, duration = 30,
    stream = { shards = o.shards or 2 },
    producers = { { rate = o.rate or 2000, mode = "batching", aggregate = o.aggregate,
                    aggregate_key = o.key, record = reading } },
    mapping = { handler = "handlers/deaggregating.lua", parallelization_factor = 10, batch_size = 100, timeout = 60 },
  }
end

experiment("batching", {})
experiment("aggregated (KPL key)", { aggregate = true })
experiment("aggregated (first key)", { aggregate = true, key = "first" })
experiment("plain, hot", { shards = 1, rate = 6000 })
experiment("aggregated, hot", { shards = 1, rate = 6000, aggregate = true })
