-- Reports the records whose data is "fail" as batch item failures.
local sl = require("shardlab")
return function(event)
  local failures = {}
  for _, r in ipairs(event.Records) do
    if sl.base64.decode(r.kinesis.data) == "fail" then
      failures[#failures + 1] = { itemIdentifier = r.kinesis.sequenceNumber }
    end
  end
  return { batchItemFailures = failures }
end
