-- Returns something that cannot be sent as JSON.
return function() return { f = print } end
