-- Sleeps 300 ms per batch and logs every record's key and sequence number, in batch order.
local sl = require("shardlab")
return function(event)
  sl.sleep(0.3)
  for _, r in ipairs(event.Records) do
    print("record " .. r.kinesis.partitionKey .. " " .. r.kinesis.sequenceNumber)
  end
  return {}
end
