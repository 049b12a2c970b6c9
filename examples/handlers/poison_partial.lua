-- Reports the poison record as a batch item failure instead of failing the whole batch.
local sl = require("shardlab")

return function(event)
  local failures = setmetatable({}, sl.json.array_mt)
  for _, r in ipairs(event.Records) do
    if sl.base64.decode(r.kinesis.data) == "poison" then
      failures[#failures + 1] = { itemIdentifier = r.kinesis.sequenceNumber }
    end
  end
  sl.sleep(0.05 + 0.001 * #event.Records)
  return { batchItemFailures = failures }
end
