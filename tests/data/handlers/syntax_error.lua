-- A syntax error on line 3.
return function(event)
  local x = = 1
end
