-- Replays for test_replay.sh, set by the environment: REPLAY_FILE, REPLAY_FORMAT (default: from the name),
-- REPLAY_SPEED, REPLAY_SHARDS, REPLAY_REKEY ("device": the key becomes the data's first word), REPLAY_DURATION.
local sl = require("shardlab")
local rekey
if os.getenv("REPLAY_REKEY") == "device" then
  rekey = function(r) return (r.data:match("^(%S+)")) end
end
sl.experiment {
  name = "replay",
  duration = tonumber(os.getenv("REPLAY_DURATION") or ""),
  stream = { shards = tonumber(os.getenv("REPLAY_SHARDS") or "1") },
  producers = { sl.replay { file = os.getenv("REPLAY_FILE"), format = os.getenv("REPLAY_FORMAT"),
                            speed = tonumber(os.getenv("REPLAY_SPEED") or "1"), rekey = rekey } },
  mapping = { handler = "arrival_log.lua", batch_size = 1 },
}
