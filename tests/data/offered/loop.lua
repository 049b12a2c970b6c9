-- A handler that never returns: every invocation runs to its timeout (tests/cli/test_offered.sh).
return function(event)
  local x = 0
  while true do x = x + 1 end
end
