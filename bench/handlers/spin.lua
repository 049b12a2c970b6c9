-- bench_parallel's handler: a fixed amount of CPU work per record (the record's data is the loop count).
local sl = require("shardlab")
return function(event)
  for _, r in ipairs(event.Records) do
    local n, x = tonumber(sl.base64.decode(r.kinesis.data)), 0
    for i = 1, n do x = x + i % 7 end
  end
  return {}
end
