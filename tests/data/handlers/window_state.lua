-- A tumbling-window style handler: counts records per key into the state it returns.
return function(event)
  local state = event.state or {}
  for _, r in ipairs(event.Records) do
    local k = r.kinesis.partitionKey
    state[k] = (state[k] or 0) + 1
  end
  return { state = state }
end
