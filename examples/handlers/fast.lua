-- A quick handler: 50 ms per batch plus half a millisecond per record (simulated time).
local sl = require("shardlab")

return function(event)
  sl.sleep(0.05 + 0.0005 * #event.Records)
end
