-- Records of three types; two patterns ORed: orders above 500, and the record whose total is 7.
local sl = require("shardlab")
sl.experiment {
  name = "filtered", duration = 10, stream = { shards = 2 },
  producers = { { rate = 100, arrivals = "fixed", record = function(i)
      return "k" .. i % 7, { type = ({ "ping", "pong", "order" })[i % 3 + 1], total = i }
    end } },
  mapping = { handler = "../handlers/counter.lua",
              filters = { { data = { type = { "order" }, total = { { numeric = { ">", 500 } } } } },
                          { data = { total = { 7 } } } } },
}
