-- Logs every record it gets to the file named by DELIVERY_LOG, one flushed line each ("key sequence-number
-- data"), so a run killed with SIGKILL still leaves the lines of what it delivered.
local sl = require("shardlab")
local log = assert(io.open(assert(os.getenv("DELIVERY_LOG")), "a"))
return function(event)
  sl.sleep(0.02)
  for _, r in ipairs(event.Records) do
    log:write(r.kinesis.partitionKey, " ", r.kinesis.sequenceNumber, " ", sl.base64.decode(r.kinesis.data), "\n")
    log:flush()
  end
  return {}
end
