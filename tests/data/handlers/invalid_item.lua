-- Always returns an invalid batchItemFailures (with report_batch_item_failures every invocation fails the
-- whole batch) and counts its calls in a global, to show the environment stays warm. The partition key of the
-- first record picks the kind: "empty" (an empty itemIdentifier), "nil" (an entry without one), "shape"
-- (batchItemFailures not a list); anything else names a sequence number that is not in the batch.
inits = (inits or 0) + 1
calls = 0

return function(event)
  calls = calls + 1
  local key = event.Records[1] and event.Records[1].kinesis.partitionKey or ""
  local failures
  if key == "empty" then
    failures = { { itemIdentifier = "" } }
  elseif key == "nil" then
    failures = { { itemIdentifer = "1" } }
  elseif key == "shape" then
    failures = "all of them"
  else
    failures = { { itemIdentifier = "1" } }
  end
  return { batchItemFailures = failures, calls = calls, inits = inits }
end
