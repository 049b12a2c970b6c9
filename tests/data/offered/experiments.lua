-- Offered load and the load never sent, for tests/cli/test_offered.sh; SHARDLAB_OFFERED_ONLY picks
-- experiments by name (several: separated by commas). The rates are read from the environment so the test computes what it expects from them.
local sl = require("shardlab")
local only = os.getenv("SHARDLAB_OFFERED_ONLY")
local rate = tonumber(os.getenv("SHARDLAB_OFFERED_RATE") or "3000")
local duration = tonumber(os.getenv("SHARDLAB_OFFERED_DURATION") or "10")

local picked = {}
for name in (only or ""):gmatch("[^,]+") do picked[name] = true end

local function experiment(e)
  if only == nil or picked[e.name] then sl.experiment(e) end
end

local function record(i) return "k" .. (i % 50), "x" end

-- 3,000 records/s into one shard that takes 1,000: the producer waits on refused puts.
experiment {
  name = "throttled",
  duration = duration,
  stream = { shards = 1, write_limits = true },
  producers = { { rate = rate, arrivals = "fixed", record = record } },
  mapping = { handler = "ok.lua", batch_size = 1000 },
}

-- The same producer, Poisson arrivals.
experiment {
  name = "throttled poisson",
  duration = duration,
  stream = { shards = 1, write_limits = true },
  producers = { { rate = rate, record = record } },
  mapping = { handler = "ok.lua", batch_size = 1000 },
}

-- 200 records/s: nothing refused, everything offered is sent.
experiment {
  name = "unthrottled",
  duration = duration,
  stream = { shards = 1, write_limits = true },
  producers = { { rate = 200, arrivals = "fixed", record = record }, { rate = 200, record = record } },
  mapping = { handler = "ok.lua" },
}

-- A handler that loops until its 0.05 s timeout, retried 5 times.
experiment {
  name = "looping",
  duration = 0.5,
  stream = { shards = 1 },
  producers = { { rate = 4, arrivals = "fixed", record = function(i) return "k" .. (i % 2), "x" end } },
  mapping = { handler = "loop.lua", timeout = 0.05, maximum_retry_attempts = 5, parallelization_factor = 2,
              ordering = "keys", batch_size = 1 },
}

-- A long virtual run, to be interrupted (tests/cli/test_interrupt.sh).
experiment {
  name = "long",
  duration = 1e6,
  stream = { shards = 2 },
  producers = { { rate = 50, arrivals = "fixed", record = record } },
  mapping = { handler = "ok.lua" },
}

-- Declared after "long": not run once a signal stopped it.
experiment {
  name = "after long",
  duration = 1,
  stream = { shards = 1 },
  producers = { { rate = 10, arrivals = "fixed", record = record } },
  mapping = { handler = "ok.lua" },
}
