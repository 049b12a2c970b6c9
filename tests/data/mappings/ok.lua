-- Takes 20 ms a batch.
local sl = require("shardlab")
return function(event)
  sl.sleep(0.02)
  return nil
end
