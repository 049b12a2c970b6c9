-- An example handler: decodes each record's JSON payload, keeps a running count per device in a global (it
-- survives between warm invocations of the same environment), and reports records it cannot parse as batch
-- item failures.
local sl = require("shardlab")

seen = seen or {}

return function(event, context)
  local failures = setmetatable({}, sl.json.array_mt) -- encodes as [] even when empty
  for _, record in ipairs(event.Records) do
    local ok, reading = pcall(sl.json.decode, sl.base64.decode(record.kinesis.data))
    if ok and type(reading) == "table" then
      local key = record.kinesis.partitionKey
      seen[key] = (seen[key] or 0) + 1
      print(key, reading.temperature or "-", "readings so far: " .. seen[key])
    else
      failures[#failures + 1] = { itemIdentifier = record.kinesis.sequenceNumber }
    end
  end
  return { batchItemFailures = failures }
end
