-- Reports which dangerous functions are reachable, and whether the library and local modules load.
local sl = require("shardlab")
return function()
  local ok_bin = pcall(load, string.dump(function() return 1 end))
  local f, bin_err = load(string.dump(function() return 1 end))
  return {
    os_exit = os.exit ~= nil, os_execute = os.execute ~= nil, io_popen = io.popen ~= nil,
    io_read = io.read ~= nil, sethook = debug.sethook ~= nil, traceback = debug.traceback ~= nil,
    binary_chunk = f ~= nil, binary_err = tostring(bin_err), ok_bin = ok_bin,
    loadlib = package.loadlib ~= nil,
    keys = type(sl.keys.constant) == "function", helper = require("helper_module").answer,
    text_load = load("return 7")(),
  }
end
