-- Counts records per partition key within each tumbling window; the final invocation of a window logs the
-- totals (one JSON line) and starts the next window from an empty state.
local sl = require("shardlab")

return function(event)
  local counts = event.state or {}
  for _, r in ipairs(event.Records) do
    local key = r.kinesis.partitionKey
    counts[key] = (counts[key] or 0) + 1
  end
  if event.isFinalInvokeForWindow then
    print(sl.json.encode({ window = event.window.start, shard = event.shardId, counts = counts,
                           early = event.isWindowTerminatedEarly }))
    return { state = {} }
  end
  return { state = counts }
end
