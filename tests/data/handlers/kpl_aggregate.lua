-- Aggregates user records with sl.kpl.aggregate (tests/cli/test_kpl.sh). Each event record's data is the JSON
-- { records = [{ partition_key, explicit_hash_key, data (base64) }], max_size = N }; returns, per event record,
-- the aggregates: { partition_key, explicit_hash_key, count, data (base64) }.
local sl = require("shardlab")
return function(event)
  local out = {}
  for i, record in ipairs(event.Records) do
    local input = sl.json.decode(sl.base64.decode(record.kinesis.data))
    local records = {}
    for j, r in ipairs(input.records) do
      records[j] = { partition_key = r.partition_key, explicit_hash_key = r.explicit_hash_key,
                     data = sl.base64.decode(r.data) }
    end
    local aggregates = sl.kpl.aggregate(records, { max_size = input.max_size })
    for _, a in ipairs(aggregates) do a.data = sl.base64.encode(a.data) end
    out[i] = aggregates
  end
  return out
end
