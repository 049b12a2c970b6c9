-- Sleeps 20 s: an invocation still running when the run is aborted.
local sl = require("shardlab")
return function() sl.sleep(20) return {} end
