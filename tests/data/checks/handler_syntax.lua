-- Does not parse: line 3 has an unfinished expression.
return function(event, context)
  local x = = 1
end
