-- Loops that never end, in the places a timeout must still reach: inside a coroutine (resumed, wrapped,
-- nested), in the handler after a coroutine has run, and after catching a timed-out coroutine's error.
local function spin() while true do end end

local cases = {
  resume = function() return coroutine.resume(coroutine.create(spin)) end,
  wrap = function() coroutine.wrap(spin)() end,
  nested = function()
    coroutine.wrap(function() coroutine.resume(coroutine.create(spin)) end)()
  end,
  after = function()
    coroutine.resume(coroutine.create(function() coroutine.yield(1) end))
    spin()
  end,
  caught = function()
    local ok = pcall(coroutine.wrap(spin)) -- the timeout must not end here
    while true do pcall(spin) end
  end,
  fine = function()
    local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
    return gen() + gen() + gen()
  end,
}

return function(event)
  local case = event.Records[1].kinesis.partitionKey
  return { result = cases[case]() }
end
