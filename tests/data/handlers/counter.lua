-- Keeps state in globals between warm invocations; fails on demand (partition key "boom": error("x"),
-- "table": error({}), "nil": a runtime error), sleeps on demand ("sleep:<seconds>").
local sl = require("shardlab")
inits = (inits or 0) + 1
calls = 0
local seen = {}

return function(event, context)
  calls = calls + 1
  for _, r in ipairs(event.Records) do
    local key = r.kinesis.partitionKey
    if key == "boom" then error("x") end
    if key == "table" then error({}) end
    if key == "nil" then local t = nil; return t.field end
    local secs = key:match("^sleep:(.+)$")
    if secs then sl.sleep(tonumber(secs)) end
    seen[#seen + 1] = key
  end
  print("calls", calls, "inits", inits)
  return { calls = calls, inits = inits, seen = #seen, remaining = context.get_remaining_time_in_millis(),
           now = sl.now(), random = sl.random.int(1, 1000000), request = context.aws_request_id }
end
