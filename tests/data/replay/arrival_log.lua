-- Logs every record it gets to the file named by DELIVERY_LOG, one flushed line each: "shard key arrival data"
-- (arrival: approximateArrivalTimestamp, epoch seconds; data: base64 as the event has it).
local log = assert(io.open(assert(os.getenv("DELIVERY_LOG")), "a"))
return function(event)
  for _, r in ipairs(event.Records) do
    log:write(r.eventID:match("^([^:]+)"), " ", r.kinesis.partitionKey, " ",
              string.format("%.3f", r.kinesis.approximateArrivalTimestamp), " ", r.kinesis.data, "\n")
    log:flush()
  end
  return {}
end
