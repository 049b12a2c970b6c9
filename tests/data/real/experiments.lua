-- Real-clock experiments for tests/cli/test_real.sh. Each is short; the test picks them by name with
-- SHARDLAB_REAL_ONLY (read below) so a test runs only what it checks.
local sl = require("shardlab")
local only = os.getenv("SHARDLAB_REAL_ONLY")

local function experiment(e)
  if only == nil or only == e.name then sl.experiment(e) end
end

-- Two CPU-bound invocations on two slots of one shard: both records are read by the same poll.
experiment {
  name = "parallel",
  duration = 0.02,
  stream = { shards = 1 },
  producers = { { rate = 100, arrivals = "fixed", record = function(i) return ({ "a", "b" })[i], "x" end } },
  mapping = { handler = "busy.lua", parallelization_factor = 2, ordering = "keys", poll_interval = 0.05,
              logs = "parallel.log" },
}

-- Sleeping handlers: 10 keys on PF 10 keep 10 invocations running; one key keeps one.
for _, keys in ipairs({ 10, 1 }) do
  experiment {
    name = keys .. " keys sleeping",
    duration = 0.5,
    stream = { shards = 1 },
    producers = { { rate = 100, arrivals = "fixed", record = function(i) return "k" .. (i % keys), "x" end } },
    mapping = { handler = "sleepy.lua", parallelization_factor = 10, ordering = "keys", batch_size = 10,
                poll_interval = 0.05 },
  }
end

-- Failures on the real clock: each bad record fails alone (batch size 1, no retries) and later ones succeed.
local bad = { [5] = "crash", [9] = "loop", [13] = "hog" }
experiment {
  name = "troubled",
  duration = 0.4,
  stream = { shards = 1 },
  producers = { { rate = 50, arrivals = "fixed", record = function(i) return "key", bad[i] or ("ok " .. i) end } },
  mapping = { handler = "troubled.lua", batch_size = 1, maximum_retry_attempts = 0, timeout = 0.5,
              memory_mb = 16, poll_interval = 0.05, logs = "troubled.log" },
}

-- A long run to interrupt: 5 keys on 2 shards with PF 2, every record logged with its sequence number.
experiment {
  name = "long",
  duration = 60,
  stream = { shards = 2 },
  producers = { { rate = 50, arrivals = "fixed", record = function(i) return "key-" .. (i % 5), tostring(i) end } },
  mapping = { handler = "sleepy.lua", parallelization_factor = 2, batch_size = 10, poll_interval = 0.05,
              logs = "long.log" },
}
