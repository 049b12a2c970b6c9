-- Rate functions for test_replay.sh, RATE_CASE: "raises" (an error after 2 s), "over" (above its max_rate),
-- "bounded" (100/s for 5 s, then 250/s, with max_rate 250 and fixed arrivals).
local sl = require("shardlab")
local case = os.getenv("RATE_CASE")
local rate, max_rate = function(t) return t < 5 and 100 or 250 end, 250
if case == "raises" then
  rate, max_rate = function(t) if t > 2 then error("no rate after 2 s") end return 10 end, nil
elseif case == "over" then
  max_rate = 200
end
sl.experiment {
  name = case, duration = 10,
  producers = { { rate = rate, max_rate = max_rate, arrivals = "fixed", record = function(i) return "k" .. i, "x" end } },
  mapping = { handler = "arrival_log.lua", batch_size = 100 },
}
