-- Checks the tumbling-window fields as AWS documents them, then returns no state (which must fail).
return function(event)
  assert(event.window.start == "2020-12-09T07:04:00Z", event.window.start)
  assert(event["window"]["end"] == "2020-12-09T07:06:00Z")
  assert(event.state["device-1"] == 41)
  assert(event.shardId == "shardId-000000000003")
  assert(event.eventSourceARN == "arn:aws:kinesis:us-east-1:1:stream/s")
  assert(event.isFinalInvokeForWindow == true and event.isWindowTerminatedEarly == false)
  return { ok = true }
end
