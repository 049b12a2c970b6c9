-- Workloads for test_replay.sh: WORKLOAD = "bursty" (fixed arrivals), "step" or "diurnal" (Poisson), with the
-- parameters the test recomputes its expected counts from.
local sl = require("shardlab")
local kind = os.getenv("WORKLOAD")
local rates = {
  bursty = function() return sl.workload.bursty { base = 10, peak = 200, period = 10, duty = 0.3 } end,
  step = function() return sl.workload.step { { at = 0, rate = 50 }, { at = 10, rate = 300 }, { at = 25, rate = 20 } } end,
  diurnal = function() return sl.workload.diurnal { low = 20, high = 200, period = 20 } end,
}
local rate = rates[kind]()
sl.experiment {
  name = kind,
  duration = 30,
  stream = { shards = 2 },
  producers = { { rate = rate, arrivals = kind == "bursty" and "fixed" or "poisson",
                  record = function(i) return "k" .. i, "x" end } },
  mapping = { handler = "arrival_log.lua", batch_size = 100 },
}
