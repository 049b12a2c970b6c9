-- A handler slower than the records arrive: half a second per batch plus a millisecond per record, as a
-- handler that calls a slow downstream service would be. On the virtual clock sl.sleep costs no real time.
local sl = require("shardlab")

return function(event)
  sl.sleep(0.5 + 0.001 * #event.Records)
end
