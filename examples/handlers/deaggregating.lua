-- A handler of KPL-aggregated records: each Kinesis record of the event is unpacked into the readings it holds
-- (sl.kpl.deaggregate: a plain record comes back as itself), then it works half a second plus a millisecond
-- per reading, as slow.lua does per record. Lambda does not de-aggregate; the handler must.
local sl = require("shardlab")

return function(event)
  local readings = 0
  for _, record in ipairs(event.Records) do readings = readings + #sl.kpl.deaggregate(record) end
  sl.sleep(0.5 + 0.001 * readings)
end
