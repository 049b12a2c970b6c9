-- Fails on some records, by their data (a whole number): even -> error (LuaError); a multiple of 5 that is
-- odd -> an invalid batchItemFailures response (Runtime.InvalidBatchItemFailures); others succeed.
local sl = require("shardlab")
return function(event)
  for _, r in ipairs(event.Records) do
    local n = tonumber(sl.base64.decode(r.kinesis.data))
    if n % 2 == 0 then error("even record " .. n) end
    if n % 5 == 0 then return { batchItemFailures = { { itemIdentifier = "" } } } end
  end
  return { batchItemFailures = {} }
end
