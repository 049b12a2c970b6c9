-- shardlab.report_html: what every part of the HTML report writes with: text escaped for HTML, numbers as
-- the report shows them, counted nouns.
local M = {}

function M.esc(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                                         ["'"] = "&#39;" }))
end

-- Integers as integers, others with at most 3 decimals and no trailing zeros.
function M.num(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%.0f", v) end
  return string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", "")
end

function M.plural(n, word) return string.format("%d %s%s", n, word, n == 1 and "" or "s") end

return M
