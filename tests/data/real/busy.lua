-- Burns CPU for 200 ms of wall time, then logs when it started and ended (real clock).
local sl = require("shardlab")
return function(event)
  local t0 = sl.now()
  local x = 0
  while sl.now() - t0 < 0.2 do x = x + 1 end
  print(string.format("busy %s %.6f %.6f", event.Records[1].kinesis.partitionKey, t0, sl.now()))
  return {}
end
