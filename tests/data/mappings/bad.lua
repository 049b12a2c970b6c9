-- Mistakes in mappings, one per experiment, chosen by SHARDLAB_BAD: each must be refused at load.
local sl = require("shardlab")
local case = os.getenv("SHARDLAB_BAD")
local ok = { handler = "ok.lua" }
local cases = {
  both = { mapping = ok, mappings = { ok } },
  empty = { mappings = {} },
  twins = { mappings = { { name = "a", handler = "ok.lua" }, { name = "a", handler = "ok.lua" } } },
  range = { mappings = { ok, { handler = "ok.lua", batch_size = 0 } } },
  handler = { mappings = { ok, { handler = "missing.lua" } } },
  lone_name = { mapping = { name = "x", handler = "ok.lua" } },
  not_table = { mappings = { ok, "ok.lua" } },
  accounts = { mappings = { ok, { handler = "ok.lua", account_concurrency = 20 } } },
  reserved = { mappings = { { handler = "ok.lua", account_concurrency = 10 },
                            { handler = "ok.lua", account_concurrency = 10, reserved_concurrency = 10 } } },
}
local e = cases[case]
e.name, e.duration = "bad " .. case, 5
e.producers = { { rate = 10, record = function(i) return "k", "d" end } }
sl.experiment(e)
