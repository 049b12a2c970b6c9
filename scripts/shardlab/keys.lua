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

-- The strategies whose keys were asked for since the last keys.take_used(), by description
-- ('per_entity("user", 100)'): a run's results name the key strategies its producers used.
local used = {}

-- The descriptions of the strategies used since the last call, sorted, and a fresh start.
function keys.take_used()
  local list = {}
  for desc in pairs(used) do list[#list + 1] = desc end
  table.sort(list)
  used = {}
  return list
end

local function describe(name, ...)
  local args = table.pack(...)
  for i = 1, args.n do args[i] = type(args[i]) == "string" and string.format("%q", args[i]) or tostring(args[i]) end
  return name .. "(" .. table.concat(args, ", ", 1, args.n) .. ")"
end

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
  local desc = describe("constant", k)
  return function()
    used[desc] = true
    return k
  end
end

-- A key drawn uniformly from a list for each record.
function keys.choice(list)
  if type(list) ~= "table" or #list == 0 then error("keys.choice: expects a non-empty list of keys", 2) end
  for i = 1, #list do check_key(list[i], "keys.choice: entry " .. i) end
  local n = #list
  local desc = "choice(" .. n .. " keys)"
  return function()
    used[desc] = true
    return list[sl.random.int(1, n)]
  end
end

-- n entities ("prefix-1" .. "prefix-n") taking turns: record i belongs to entity ((i - 1) % n) + 1.
function keys.per_entity(prefix, n)
  check_key(prefix, "keys.per_entity: the prefix")
  check_count(n, "keys.per_entity: the entity count")
  local desc = describe("per_entity", prefix, n)
  return function(i)
    used[desc] = true
    return prefix .. "-" .. ((i - 1) % n + 1)
  end
end

-- A fresh random key for every record (128 random bits in hex), as producers that use UUIDs do.
function keys.random()
  return function()
    used["random()"] = true
    return string.format("%016x%016x", sl.random.int(math.mininteger, math.maxinteger),
                         sl.random.int(math.mininteger, math.maxinteger))
  end
end

-- A hot key spread over n salted keys ("key#0" .. "key#(n-1)"), chosen at random per record: writes spread
-- over shards, but per-key order now only holds within each salt.
function keys.salted(k, n)
  check_key(k, "keys.salted: the key")
  check_count(n, "keys.salted: the salt count")
  local desc = describe("salted", k, n)
  return function()
    used[desc] = true
    return k .. "#" .. sl.random.int(0, n - 1)
  end
end

-- Records spread evenly over the shards of a new stream of `shards` shards with explicit hash keys: record i
-- goes to shard (i - 1) % shards, whatever its partition key ("balanced-<shard>"). Ranges are those of the
-- even split, so the balance holds until the stream is resharded.
function keys.balanced(shards)
  check_count(shards, "keys.balanced: the shard count")
  local starts = {}
  for s = 0, shards - 1 do starts[s + 1] = (sl.shard_range(shards, s)) end
  local desc = describe("balanced", shards)
  return function(i)
    used[desc] = true
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
  local desc = describe("zipf", prefix, n, s)
  return function()
    used[desc] = true
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
