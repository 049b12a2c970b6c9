-- Refuses the batch holding record 13.
local sl = require("shardlab")
return function(event)
  for _, r in ipairs(event.Records) do
    if sl.base64.decode(r.kinesis.data) == "order 13" then error("audit refused order 13") end
  end
end
