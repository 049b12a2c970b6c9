-- shardlab.replay (sl.replay): recorded traffic as a producer (docs/experiments.md, "Replay"). This checks the
-- arguments where the experiment file calls it (errors carry that file:line) and returns a producer entry that
-- the experiment reader recognizes; the file itself is read there, when the experiment is loaded.
--
--   producers = { sl.replay{ file = "data/orders.jsonl", speed = 2, rekey = function(r) return r.data:sub(1, 8) end } }
local FIELDS = "file, format, speed, rekey"
local FORMATS = { ["get-records"] = true, jsonl = true, csv = true }
local BY_EXTENSION = { json = "get-records", jsonl = "jsonl", csv = "csv" }

local function fail(msg) error("sl.replay: " .. msg, 3) end

return function(args)
  if type(args) ~= "table" then fail("takes a table { " .. FIELDS .. " }, e.g. sl.replay{ file = \"capture.jsonl\" }") end
  for k in pairs(args) do
    if k ~= "file" and k ~= "format" and k ~= "speed" and k ~= "rekey" then
      fail(tostring(k) .. " is not a known field (fields: " .. FIELDS .. ")")
    end
  end
  local file, format, speed, rekey = args.file, args.format, args.speed, args.rekey
  if type(file) ~= "string" or file == "" then fail("file must be the path of a capture, got " .. tostring(file)) end
  if format == nil then
    format = BY_EXTENSION[file:match("%.(%w+)$") or ""]
    if format == nil then fail("format is required for " .. file .. ": \"get-records\", \"jsonl\" or \"csv\"") end
  elseif not FORMATS[format] then
    fail("format must be \"get-records\", \"jsonl\" or \"csv\", got " .. tostring(format))
  end
  if speed == nil then speed = 1 end
  if type(speed) ~= "number" or speed ~= speed or speed <= 0 or speed > 1e6 then
    fail("speed must be a number in (0, 1e6] (2: twice as fast), got " .. tostring(speed))
  end
  if rekey ~= nil and type(rekey) ~= "function" then
    fail("rekey must be a function(r) returning partition_key [, explicit_hash_key], got " .. type(rekey))
  end
  return setmetatable({ file = file, format = format, speed = speed, rekey = rekey }, { __name = "shardlab.replay" })
end
