-- Fails in three ways on three marked records, the environment's worst days: an error, a loop that never
-- ends (the timeout must stop it, even through pcall), a memory bomb (the memory limit must stop it).
local sl = require("shardlab")
return function(event)
  for _, r in ipairs(event.Records) do
    local data = sl.base64.decode(r.kinesis.data)
    if data == "crash" then error("crash on purpose") end
    if data == "loop" then while true do pcall(function() while true do end end) end end
    if data == "hog" then
      local t = {}
      for i = 1, 1e9 do t[i] = string.rep("x", 1 << 20) .. i end
    end
    sl.sleep(0.01)
  end
  return {}
end
