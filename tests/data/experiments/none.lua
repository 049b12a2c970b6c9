-- Declares no experiment.
local x = 1
