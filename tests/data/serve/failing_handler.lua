-- Fails every batch (tests/data/serve/failing.lua).
return function(event) error("always fails") end
