-- Returns the first record's fields as the handler sees them, with its data decoded, and the context.
local sl = require("shardlab")
return function(event, context)
  local r = event.Records[1]
  return {
    count = #event.Records, eventSource = r.eventSource, eventVersion = r.eventVersion, eventID = r.eventID,
    eventName = r.eventName, invokeIdentityArn = r.invokeIdentityArn, awsRegion = r.awsRegion,
    eventSourceARN = r.eventSourceARN, kinesisSchemaVersion = r.kinesis.kinesisSchemaVersion,
    partitionKey = r.kinesis.partitionKey, sequenceNumber = r.kinesis.sequenceNumber, data = r.kinesis.data,
    decoded = sl.base64.decode(r.kinesis.data),
    approximateArrivalTimestamp = r.kinesis.approximateArrivalTimestamp,
    context = { function_name = context.function_name, function_version = context.function_version,
                invoked_function_arn = context.invoked_function_arn,
                memory_limit_in_mb = context.memory_limit_in_mb, aws_request_id = context.aws_request_id,
                log_group_name = context.log_group_name, log_stream_name = context.log_stream_name,
                remaining = context.get_remaining_time_in_millis() },
  }
end
