-- The benchmark handler: reads every record's partition key and data, as a real handler at least does.
touched = 0
return function(event)
  local n = 0
  for _, r in ipairs(event.Records) do
    local k = r.kinesis
    n = n + #k.partitionKey + #k.data
  end
  touched = touched + n
end
