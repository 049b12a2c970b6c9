-- shardlab.workload (sl.workload): rates that vary in time, for a producer's `rate` (docs/experiments.md,
-- "Rates over time"). Each constructor checks its arguments and returns a workload: a table callable as
-- rate(t) (t in seconds since the start of the run, records per second back) that carries its exact maximum
-- (max_rate, the bound the simulation draws arrivals under), its kind and parameters (the results' config) and
-- integral(t), the records it asks for over [0, t] (the mean in the results).
--
--   rate = sl.workload.bursty{ base = 50, peak = 400, period = 60, duty = 0.25 }
local workload = {}

local WORKLOAD = { __name = "shardlab.workload", __call = function(self, t) return self.rate_at(t) end }

-- An error at the line that called the constructor: level 3 from the constructor itself, 4 from a helper.
local function fail(ctor, msg, level) error("sl.workload." .. ctor .. ": " .. msg, level or 3) end

local function check_table(ctor, args, allowed, example)
  if type(args) ~= "table" then fail(ctor, "takes a table, e.g. sl.workload." .. ctor .. example, 4) end
  for k in pairs(args) do
    if type(k) ~= "string" or not allowed[k] then
      fail(ctor, tostring(k) .. " is not a known field (fields: " .. allowed[1] .. ")", 4)
    end
  end
end

-- args[field] as a finite number >= lo (> lo when strict), or default when absent (nil: required).
local function number(ctor, args, field, lo, strict, default)
  local v = args[field]
  if v == nil then
    if default ~= nil then return default end
    fail(ctor, field .. " is required", 4)
  end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
    fail(ctor, field .. " must be a number, got " .. tostring(v), 4)
  end
  if (strict and v <= lo) or v < lo then
    fail(ctor, field .. " must be " .. (strict and "more than " or "at least ") .. lo .. ", got " .. v, 4)
  end
  return v
end

local function make(kind, params, max_rate, rate_at, integral)
  return setmetatable({ kind = kind, params = params, max_rate = max_rate, rate_at = rate_at, integral = integral },
    WORKLOAD)
end

-- peak records/s for the first duty fraction of each period, base the rest of it.
function workload.bursty(args)
  check_table("bursty", args, { "base, peak, period, duty", base = true, peak = true, period = true, duty = true },
    "{ base = 50, peak = 400, period = 60, duty = 0.25 }")
  local base = number("bursty", args, "base", 0, false, 0)
  local peak = number("bursty", args, "peak", 0, true)
  local period = number("bursty", args, "period", 0, true)
  local duty = number("bursty", args, "duty", 0, true, 0.5)
  if duty > 1 then fail("bursty", "duty must be a fraction of the period in (0, 1], got " .. duty) end
  if peak < base then fail("bursty", "peak (" .. peak .. ") must be at least base (" .. base .. ")") end
  local on = duty * period
  local function rate_at(t) return (t % period) < on and peak or base end
  local function integral(t)
    local whole = math.floor(t / period)
    local rest = t - whole * period
    return whole * (on * peak + (period - on) * base) + math.min(rest, on) * peak + math.max(rest - on, 0) * base
  end
  return make("bursty", { base = base, peak = peak, period = period, duty = duty }, peak, rate_at, integral)
end

-- A sinusoid between low and high over period seconds (a day by default), at high at peak_at seconds (by
-- default half a period: the run starts at the low).
function workload.diurnal(args)
  check_table("diurnal", args, { "low, high, period, peak_at", low = true, high = true, period = true, peak_at = true },
    "{ low = 20, high = 500, period = 86400 }")
  local low = number("diurnal", args, "low", 0, false)
  local high = number("diurnal", args, "high", 0, true)
  local period = number("diurnal", args, "period", 0, true, 86400)
  local peak_at = number("diurnal", args, "peak_at", 0, false, period / 2)
  if high < low then fail("diurnal", "high (" .. high .. ") must be at least low (" .. low .. ")") end
  local mid, amp, w = (low + high) / 2, (high - low) / 2, 2 * math.pi / period
  local function rate_at(t) return math.max(0, mid + amp * math.cos(w * (t - peak_at))) end
  local function integral(t) return mid * t + amp / w * (math.sin(w * (t - peak_at)) - math.sin(-w * peak_at)) end
  return make("diurnal", { low = low, high = high, period = period, peak_at = peak_at }, high, rate_at, integral)
end

-- Constant rates from given times on: { {at = 0, rate = 100}, {at = 30, rate = 800}, ... }, at increasing from 0.
function workload.step(args)
  if type(args) ~= "table" or #args == 0 then
    fail("step", "takes a list of steps, e.g. sl.workload.step{ {at = 0, rate = 100}, {at = 30, rate = 800} }")
  end
  local steps, max = {}, 0
  for k in pairs(args) do
    if math.type(k) ~= "integer" or k < 1 or k > #args then fail("step", tostring(k) .. " is not a step: give a list") end
  end
  for i, s in ipairs(args) do
    local ctor = "step (step " .. i .. ")"
    if type(s) ~= "table" then fail(ctor, "must be a table {at = seconds, rate = records/s}") end
    for k in pairs(s) do
      if k ~= "at" and k ~= "rate" then fail(ctor, tostring(k) .. " is not a known field (at, rate)") end
    end
    local at = number(ctor, s, "at", 0, false)
    local rate = number(ctor, s, "rate", 0, false)
    if i == 1 and at ~= 0 then fail(ctor, "at must be 0 (the rate from the start), got " .. at) end
    if i > 1 and at <= steps[i - 1].at then
      fail(ctor, "at " .. at .. " must be after step " .. (i - 1) .. "'s " .. steps[i - 1].at)
    end
    steps[i] = { at = at, rate = rate }
    max = math.max(max, rate)
  end
  if max == 0 then fail("step", "every rate is 0: a producer needs some rate") end
  local function find(t) -- the last step at or before t
    local lo, hi = 1, #steps
    while lo < hi do
      local mid = (lo + hi + 1) // 2
      if steps[mid].at <= t then lo = mid else hi = mid - 1 end
    end
    return lo
  end
  local function rate_at(t) return steps[find(t)].rate end
  local function integral(t)
    local sum = 0
    for i, s in ipairs(steps) do
      if s.at >= t then break end
      local to = steps[i + 1] and math.min(steps[i + 1].at, t) or t
      sum = sum + (to - s.at) * s.rate
    end
    return sum
  end
  return make("step", { steps = steps }, max, rate_at, integral)
end

return workload
