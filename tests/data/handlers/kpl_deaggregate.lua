-- De-aggregates every record of the event with sl.kpl.deaggregate (tests/cli/test_kpl.sh): the record itself for
-- odd positions, its `kinesis` table for even ones (both forms are accepted). Returns the lists, in order.
local sl = require("shardlab")
return function(event)
  local out = {}
  for i, record in ipairs(event.Records) do
    out[i] = sl.kpl.deaggregate(i % 2 == 1 and record or record.kinesis)
  end
  return out
end
