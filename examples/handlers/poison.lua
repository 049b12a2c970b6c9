-- Fails the whole batch when it holds the poison record, as an unhandled exception would.
local sl = require("shardlab")

return function(event)
  for _, r in ipairs(event.Records) do
    if sl.base64.decode(r.kinesis.data) == "poison" then error("cannot parse record " .. r.kinesis.sequenceNumber) end
  end
  sl.sleep(0.05 + 0.001 * #event.Records)
end
