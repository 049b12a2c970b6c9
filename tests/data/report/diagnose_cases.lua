-- Cases for scripts/shardlab/diagnose.lua, run by tests/unit/test_diagnose.c: results made up by hand for one
-- finding at a time, with the line each must produce worked out here from the made-up numbers.
local diagnose = require("shardlab.diagnose")

-- An experiment's results: 4 shards with PF 10 by default, shards given as {records, keys, lanes}.
local function results(o)
  local shards = {}
  for i, s in ipairs(o.shards or { { 250, 25, 10 }, { 250, 25, 10 }, { 250, 25, 10 }, { 250, 25, 10 } }) do
    shards[i] = { shard = string.format("shardId-%012d", i - 1), records_in = s[1], distinct_keys = s[2], lanes_used = s[3],
                  open = s[4] ~= "closed" }
  end
  local summary = { records_put = 1000, records_throttled = 0, records_delivered = 1000, deliveries = 1000,
                    invocations = 100, errors = 0, retries = 0, records_failed = 0, records_filtered = 0,
                    max_concurrency = 20, mean_concurrency = 10.0, max_iterator_age_ms = 200, duration_s = 10.0,
                    interrupted = false, shards = shards }
  for k, v in pairs(o.summary or {}) do summary[k] = v end
  local series = {}
  for t = 1, 10 do series[t] = { t = t - 1, throttles = (o.throttles or {})[t] or 0 } end
  return { name = "case", summary = summary, timeseries = series,
           config = { duration = 10.0, stream = { shards = o.start_shards or #shards }, actions = o.actions or {},
                      mapping = { parallelization_factor = o.pf or 10, ordering = o.ordering or "lanes",
                                  reserved_concurrency = o.reserved or 0, account_concurrency = 1000 } } }
end

local function expect(name, r, wanted, unwanted)
  local lines = diagnose.lines(r)
  local text = table.concat(lines, "\n")
  for _, w in ipairs(wanted) do
    if not text:find(w, 1, true) then error(name .. ": no line with «" .. w .. "» in:\n" .. text, 2) end
  end
  for _, u in ipairs(unwanted or {}) do
    if text:find(u, 1, true) then error(name .. ": unexpected «" .. u .. "» in:\n" .. text, 2) end
  end
end

-- 3 keys over 4 shards x PF 10: at most 3 batches at once, while records waited 5 s.
local three_keys = { { 0, 0, 0 }, { 0, 0, 0 }, { 600, 2, 2 }, { 400, 1, 1 } }
expect("keys", results { shards = three_keys, summary = { max_concurrency = 3, max_iterator_age_ms = 5000 } },
  { "concurrency limited by partition keys: 3 keys on 4 shards give at most 3 concurrent batches (PF 10 allows 40)",
    "hot shard: shardId-000000000002 took 60% of the records (600 of 1000; an even spread gives each of 4 shards 25%)" })
-- The same keys with records that waited at most 200 ms: the bound held nothing back, so it is not named.
expect("keys, unhindered", results { shards = three_keys, summary = { max_concurrency = 3 } },
  { "nothing limited it: records waited at most 200 ms" }, { "partition keys" })

-- 100 keys fill 38 of 40 lanes; with the keys ordering there is no lane to collide on.
local colliding = { { 250, 26, 9 }, { 250, 24, 9 }, { 250, 29, 10 }, { 250, 21, 10 } }
expect("lanes", results { shards = colliding, summary = { max_concurrency = 38, max_iterator_age_ms = 5000 } },
  { "keys collide on lanes: 100 keys use only 38 of the 40 lanes they could fill", "26 keys on 9 lanes" },
  { "partition keys", "hot shard" })
expect("keys ordering", results { shards = colliding, ordering = "keys",
                                  summary = { max_concurrency = 38, max_iterator_age_ms = 5000 } }, {}, { "collide" })

-- Write throttling: 50 refused of 1,000 attempts.
expect("writes", results { summary = { records_put = 950, records_delivered = 950, records_throttled = 50 } },
  { "write throttling: 50 puts refused (5.0% of attempts)" })

-- Reserved concurrency 5: batches waited 7 times.
expect("reserved", results { reserved = 5, throttles = { 0, 3, 4 }, summary = { max_concurrency = 5 } },
  { "concurrency limited by reserved concurrency 5: batches waited 7 times for a free execution (max concurrency 5)" })

-- A poison record: 5 errors, 5 retries, 400 records behind it never delivered.
expect("stalled", results { summary = { errors = 5, retries = 5, records_delivered = 600, max_iterator_age_ms = 9000 } },
  { "failing batches stalled their lanes: 5 errors, 5 retries, max iterator age 9.0 s, 400 records never delivered" },
  { "handler duration" })

-- 100 keys on 2 shards x PF 4 = 8 slots, all busy.
expect("slots", results { pf = 4, shards = { { 500, 50, 4 }, { 500, 50, 4 } }, summary = { max_concurrency = 8, max_iterator_age_ms = 5000 } },
  { "concurrency limited by shards and parallelization factor: it reached 8 = 2 shards x PF 4 (100 keys could keep more batches busy)" },
  { "nothing limited" })
-- The same with records that waited at most 200 ms: nothing limited it, whatever the slots.
expect("slots, unhindered", results { pf = 4, shards = { { 500, 50, 4 }, { 500, 50, 4 } }, summary = { max_concurrency = 8 } },
  { "nothing limited it: records waited at most 200 ms (max concurrency 8 with 100 keys on 8 slots)" },
  { "shards and parallelization factor", "nothing held" })

-- Resharded from 4 to 8 shards at 60 s, PF 2: the 4 closed parents (25 keys each) and 8 open children
-- (25 keys each) are all in the summary; 16 = 8 x 2 batches ran at once, and the 8 open shards have 200 keys.
local parents, children = {}, {}
for i = 1, 4 do parents[i] = { 500, 25, 2, "closed" } end
for i = 1, 8 do children[i] = { 500, 25, 2 } end
table.move(children, 1, 8, 5, parents)
expect("resharded", results { pf = 2, start_shards = 4, shards = parents, actions = { { at = 60.0, update_shard_count = 8 } },
                              summary = { records_put = 6000, records_delivered = 6000, max_concurrency = 16,
                                          shards_max_open = 8, shards_open = 8, max_iterator_age_ms = 5000 } },
  { "concurrency limited by shards and parallelization factor: it reached 16 = 8 shards x PF 2 (the most open at once: the stream went from 4 to 8 shards at 60 s; 200 keys could keep more batches busy)" },
  { "4 shards x PF", "= 12 shards", "nothing limited" })
-- Two actions, given out of order, are told in time order; a resharded run nothing held back says so too.
expect("resharded twice", results { pf = 2, start_shards = 4, shards = parents,
                                    actions = { { at = 90.0, update_shard_count = 4 }, { at = 60.0, update_shard_count = 8 } },
                                    summary = { records_put = 6000, records_delivered = 6000, max_concurrency = 16,
                                                shards_max_open = 8, shards_open = 4 } },
  { "nothing limited it: records waited at most 200 ms (max concurrency 16 with 200 keys on 16 slots; the stream went from 4 to 8 shards at 60 s, then to 4 at 90 s)" })

-- Failing records with a filter: the 300 filtered records are filtered, not lost.
expect("failing, filtered", results { summary = { errors = 2, retries = 2, records_delivered = 700, records_filtered = 300,
                                                  max_iterator_age_ms = 5000 } },
  { "failing records: 2 errors, 2 retries, max iterator age 5.0 s, 300 records filtered out (not lost)" },
  { "never delivered", "stalled" })

-- Slow handler: 100 invocations over 100 s at mean concurrency 1 last 1 s each, 100 records per batch:
-- about 100 records/s against 200 put per second (20,000 records over a 100 s duration).
local slow = results { summary = { records_put = 20000, records_delivered = 20000, deliveries = 10000,
                                   invocations = 100, mean_concurrency = 1.0, max_concurrency = 1, duration_s = 100.0,
                                   max_iterator_age_ms = 50000 } }
slow.config.duration = 100.0
expect("slow", slow, { "handler duration: invocations took 1000 ms on average for 100 records each; at concurrency 1 that delivers about 100 records/s against 200 put per second, so records waited up to 50 s" })

-- Nothing to say: 100 keys, 40 slots, 20 used, no throttles, no errors, records that waited at most 200 ms.
expect("nothing", results { summary = { max_concurrency = 20 } },
  { "nothing limited it: records waited at most 200 ms (max concurrency 20 with 100 keys on 40 slots)" },
  { "concurrency limited", "collide", "hot shard", "throttling", "failing", "duration", "nothing held" })
-- Young records but refused puts or a concurrency wait: something did limit it.
expect("young but throttled", results { summary = { records_put = 990, records_delivered = 990, records_throttled = 10 } },
  {}, { "nothing limited" })
expect("young but waited", results { reserved = 5, throttles = { 1 }, summary = { max_concurrency = 5 } }, {}, { "nothing limited" })
-- Old records with nothing else to say (no invocation): the older line, with its numbers.
expect("nothing, no invocations", results { summary = { invocations = 0, max_iterator_age_ms = 3000 } },
  { "nothing held concurrency back: it reached 20 with 100 keys on 40 slots, max iterator age 3.0 s" })

-- Errors by type: the commonest named with its count and first message; where is added when the message
-- lacks it; one type alone is "all N"; none at all gives no such line.
expect("error types", results { summary = { errors = 7, retries = 7, errors_by_type = {
    LuaError = { count = 5, first_message = "h.lua:7: even record 2\nmore", where = "h.lua:7" },
    ["Sandbox.Timedout"] = { count = 2, first_message = "Task timed out after 3.00 seconds", where = "h.lua:9" } } } },
  { "handler errors: LuaError in 5 of 7 failed invocations (2 error types); the first: h.lua:7: even record 2" },
  { "more", "(at h.lua:7)" })
expect("one error type", results { summary = { errors = 2, retries = 2, errors_by_type = {
    ["Sandbox.Timedout"] = { count = 2, first_message = "Task timed out after 3.00 seconds", where = "h.lua:9" } } } },
  { "handler errors: Sandbox.Timedout in all 2 failed invocations; the first: Task timed out after 3.00 seconds (at h.lua:9)" })
expect("no error types", results { summary = { errors_by_type = {} } }, {}, { "handler errors" })

-- Interrupted runs say so first.
local stopped = results { summary = { interrupted = true, records_delivered = 700, duration_s = 3.5 } }
assert(diagnose.lines(stopped)[1] == "interrupted: stopped after 3.5 s with 700 of 1000 records delivered", diagnose.lines(stopped)[1])

-- Two mappings on 2 shards: "a" (PF 2) kept its 4 slots busy while records waited 5 s; "b" (PF 1) was held by
-- nothing. Each is diagnosed from its own settings and figures, named; the hot shard is the stream's, once.
do
  local r = results { pf = 2, shards = { { 900, 20, 2 }, { 100, 20, 2 } }, summary = { max_concurrency = 6 } }
  local function mapping(name, pf, max, age)
    return { name = name, config = { parallelization_factor = pf, ordering = "lanes", reserved_concurrency = 0,
                                     account_concurrency = 1000 },
             summary = { records_delivered = 1000, deliveries = 1000, invocations = 100, errors = 0, retries = 0,
                         records_failed = 0, records_filtered = 0, max_concurrency = max, mean_concurrency = 2.0,
                         max_iterator_age_ms = age, shards = r.summary.shards },
             timeseries = r.timeseries }
  end
  r.mappings = { mapping("a", 2, 4, 5000), mapping("b", 1, 2, 300) }
  expect("mappings", r, { "a: concurrency limited by shards and parallelization factor: it reached 4 = 2 shards x PF 2",
                          "b: nothing limited it: records waited at most 300 ms (max concurrency 2",
                          "hot shard: shardId-000000000000 took 90%" },
    { "b: concurrency limited", "a: hot shard", "b: hot shard", "a: nothing" })
end

return true
