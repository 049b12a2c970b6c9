-- Defines the handler as a global instead of returning it.
function handler(event)
  return { records = #event.Records }
end
