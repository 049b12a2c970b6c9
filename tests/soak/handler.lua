-- The soak's handler (tests/soak/soak.sh): fails each batch that holds a record whose number (the load client's
-- data begins "nNUMBER ") is a multiple of 300: one batch per 300 records, about 1% of batches of the 3 or so
-- records a poll brings (mapping.lua), chosen by the data alone. Logs every record it gets to the file named by
-- DELIVERY_LOG, flushed per batch, one line a record: "delivered EVENTID" or, in a batch it then fails,
-- "failing EVENTID" (the eventID is "SHARD:SEQUENCE").
local sl = require("shardlab")
local log = assert(io.open(assert(os.getenv("DELIVERY_LOG")), "a"))
return function(event)
  local records = event.Records
  local failing = nil
  for _, r in ipairs(records) do
    local n = tonumber(sl.base64.decode(r.kinesis.data):match("^n(%d+) "))
    if n % 300 == 0 then failing = n end
  end
  local lines = {}
  for i, r in ipairs(records) do
    lines[i] = (failing and "failing " or "delivered ") .. r.eventID
  end
  log:write(table.concat(lines, "\n"), "\n")
  log:flush()
  if failing then error("soak: the planned failure of the batch with record n" .. failing) end
  return {}
end
