-- Fails while it loads, before any invocation.
local config = nil
local table_name = config.table_name
return function(event, context) return table_name end
