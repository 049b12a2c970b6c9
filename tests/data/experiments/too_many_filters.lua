-- Six filters (n = 1 .. 6): more than the default quota of 5 filters per event source mapping, so refused at
-- load. tests/cli/test_run.sh also runs it with max_filters = 6 (a raised quota), where they all apply.
local sl = require("shardlab")
local six = {}
for i = 1, 6 do six[i] = { data = { n = { i } } } end
sl.experiment { name = "six filters", duration = 10, stream = { shards = 1 },
  producers = { { rate = 10, arrivals = "fixed", record = function(i) return "k" .. i % 3, { n = i % 10 } end } },
  mapping = { handler = "../handlers/counter.lua", filters = six } }
