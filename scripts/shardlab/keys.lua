-- shardlab.keys (sl.keys): partition-key strategies for producers.
--
-- Each strategy returns a function key(i) that gives the partition key for record i (counting from 1), and
-- for sl.keys.balanced also an explicit hash key. Randomness comes from sl.random, so a seed fixes the keys.
--
--   local sl = require("shardlab")
--   local key = sl.keys.per_entity("server", 100)
--   record = function(i, now) return key(i), "payload" end
local sl = require("shardlab")

local keys = {}

local function check_count(n, what)
  if math.type(n) ~= "integer" or n < 1 then
    error(what .. " must be a whole number >= 1, got " .. tostring(n), 3)
  end
end

local function check_key(k, what)
  if type(k) ~= "string" or k == "" then
    error(what .. " must be a non-empty string, got " .. tostring(k), 3)
  end
end

-- One key for every record: one shard, and at most one batch of it running at a time.
function keys.constant(k)
  check_key(k, "keys.constant: the key")
  return function() return k end
end

-- A key drawn uniformly from a list for each record.
function keys.choice(list)
  if type(list) ~= "table" or #list == 0 then error("keys.choice: expects a non-empty list of keys", 2) end
  for i = 1, #list do check_key(list[i], "keys.choice: entry " .. i) end
  local n = #list
  return function() return list[sl.random.int(1, n)] end
end

-- n entities ("prefix-1" .. "prefix-n") taking turns: record i belongs to entity ((i - 1) % n) + 1.
function keys.per_entity(prefix, n)
  check_key(prefix, "keys.per_entity: the prefix")
  check_count(n, "keys.per_entity: the entity count")
  return function(i) return prefix .. "-" .. ((i - 1) % n + 1) end
end

-- A fresh random key for every record (128 random bits in hex), as producers that use UUIDs do.
function keys.random()
  return function()
    return string.format("%016x%016x", sl.random.int(math.mininteger, math.maxinteger),
                         sl.random.int(math.mininteger, math.maxinteger))
  end
end

-- A hot key spread over n salted keys ("key#0" .. "key#(n-1)"), chosen at random per record: writes spread
-- over shards, but per-key order now only holds within each salt.
function keys.salted(k, n)
  check_key(k, "keys.salted: the key")
  check_count(n, "keys.salted: the salt count")
  return function() return k .. "#" .. sl.random.int(0, n - 1) end
end

-- Records spread evenly over the shards of a new stream of `shards` shards with explicit hash keys: record i
-- goes to shard (i - 1) % shards, whatever its partition key ("balanced-<shard>"). Ranges are those of the
-- even split, so the balance holds until the stream is resharded.
function keys.balanced(shards)
  check_count(shards, "keys.balanced: the shard count")
  local starts = {}
  for s = 0, shards - 1 do starts[s + 1] = (sl.shard_range(shards, s)) end
  return function(i)
    local s = (i - 1) % shards
    return "balanced-" .. s, starts[s + 1]
  end
end

-- n entities whose popularity follows Zipf's law with exponent s (default 1): entity k is chosen with
-- probability proportional to 1 / k^s, so a few hot keys carry most records.
function keys.zipf(prefix, n, s)
  check_key(prefix, "keys.zipf: the prefix")
  check_count(n, "keys.zipf: the entity count")
  s = s or 1
  if type(s) ~= "number" or s <= 0 then error("keys.zipf: the exponent must be a number > 0", 2) end
  local cdf, total = {}, 0
  for k = 1, n do
    total = total + 1 / k ^ s
    cdf[k] = total
  end
  return function()
    local u = sl.random.float() * total
    local lo, hi = 1, n
    while lo < hi do
      local mid = (lo + hi) // 2
      if cdf[mid] < u then lo = mid + 1 else hi = mid end
    end
    return prefix .. "-" .. lo
  end
end

return keys
