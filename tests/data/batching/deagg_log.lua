-- Logs every user record of the batch, unpacked with sl.kpl.deaggregate, to $DELIVERY_LOG as
-- "SHARD\tKINESIS_KEY\tUSER_KEY\tDATA" (tests/cli/test_batching.sh).
local sl = require("shardlab")
return function(event)
  local log = assert(io.open(os.getenv("DELIVERY_LOG"), "a"))
  for _, record in ipairs(event.Records) do
    for _, user in ipairs(sl.kpl.deaggregate(record)) do
      log:write(record.eventID:match("^shardId%-%d+"), "\t", record.kinesis.partitionKey, "\t", user.partitionKey, "\t",
                sl.base64.decode(user.data), "\n")
    end
  end
  log:close()
  return {}
end
